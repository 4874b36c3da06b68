// Herald's phone push on iOS (the Rust side: src/lib.rs). It reports and acts; what a push
// means is decided in Rust (herald-core, on herald-protocol's phone fields).
//
// Registered after tauri-plugin-notification (the app's builder), so that at start this
// plugin takes the notification centre's delegate over and passes what is not a Herald push
// (the app's own local notifications) on to the notification plugin's.

import Tauri
import UIKit
import UserNotifications
import WebKit

struct WatchArgs: Decodable {
  let channel: Channel
}

struct ClearArgs: Decodable {
  let keys: [String]
}

/// The push token as the Rust side reads it (`Token`).
struct TokenReport: Encodable {
  let platform = "apns"
  let token: String
  let appId: String
}

/// One report on the watch channel (`PushEvent`): a `type` and what it carries.
struct PushReport: Encodable {
  let type: String
  var token: TokenReport? = nil
  var fields: [String: String]? = nil
}

/// The answer to `shown`.
struct ShownReport: Encodable {
  let keys: [String]
}

class PushPlugin: Plugin, UNUserNotificationCenterDelegate {
  /// The one instance, for the app delegate's callbacks (AppDelegateHooks).
  static weak var current: PushPlugin?

  private let lock = NSLock()
  private var watcher: Channel?
  // A tap reported before the Rust side watched (the tap that started the app).
  private var pendingTap: PushReport?
  // `token` calls waiting for the app delegate's answer.
  private var waiting: [Invoke] = []
  // The delegate before ours (the notification plugin's): local notifications are its.
  private weak var previous: UNUserNotificationCenterDelegate?

  override init() {
    super.init()
    PushPlugin.current = self
    AppDelegateHooks.install()
    // Set while the app finishes launching, so the tap that launched it reaches us.
    let center = UNUserNotificationCenter.current()
    previous = center.delegate
    center.delegate = self
  }

  // MARK: commands (src/lib.rs)

  @objc public func token(_ invoke: Invoke) {
    lock.lock()
    waiting.append(invoke)
    lock.unlock()
    // Answered by the app delegate, every time it is asked (AppDelegateHooks).
    DispatchQueue.main.async {
      UIApplication.shared.registerForRemoteNotifications()
    }
  }

  @objc public func watch(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(WatchArgs.self)
    lock.lock()
    watcher = args.channel
    let tap = pendingTap
    pendingTap = nil
    lock.unlock()
    if let tap = tap {
      try? args.channel.send(tap)
    }
    invoke.resolve()
  }

  @objc public func shown(_ invoke: Invoke) {
    UNUserNotificationCenter.current().getDeliveredNotifications { notifications in
      // A push's notification is identified by its apns-collapse-id: Herald's key.
      let keys = notifications
        .filter { PushPlugin.heraldFields($0.request) != nil }
        .map { $0.request.identifier }
      invoke.resolve(ShownReport(keys: keys))
    }
  }

  @objc public func clear(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(ClearArgs.self)
    UNUserNotificationCenter.current().removeDeliveredNotifications(withIdentifiers: args.keys)
    invoke.resolve()
  }

  // MARK: the app delegate's callbacks (AppDelegateHooks)

  func registered(_ deviceToken: Data) {
    let report = TokenReport(
      token: deviceToken.map { String(format: "%02x", $0) }.joined(),
      appId: Bundle.main.bundleIdentifier ?? "")
    let asked = takeWaiting()
    if asked.isEmpty {
      // Not asked for: the OS handed a new one.
      send(PushReport(type: "token", token: report))
    }
    for invoke in asked {
      invoke.resolve(report)
    }
  }

  func failed(_ error: Error) {
    for invoke in takeWaiting() {
      invoke.reject(error.localizedDescription)
    }
  }

  /// A background push, or any push while the app runs. A read-sync is acted on here, the
  /// app's Rust side may not be running yet: the notifications the server named go and the
  /// badge shows the unread count it sent.
  func remote(_ userInfo: [AnyHashable: Any], done: @escaping (UIBackgroundFetchResult) -> Void) {
    let fields = PushPlugin.fields(userInfo)
    guard let kind = fields["herald"] else {
      done(.noData)
      return
    }
    send(PushReport(type: "received", fields: fields))
    guard kind == "read" else {
      done(.noData)
      return
    }
    let keys = (fields["clear"] ?? "").split(separator: ",").map(String.init)
    if !keys.isEmpty {
      UNUserNotificationCenter.current().removeDeliveredNotifications(withIdentifiers: keys)
    }
    guard let badge = fields["badge"].flatMap({ Int($0) }) else {
      done(.newData)
      return
    }
    if #available(iOS 16.0, *) {
      UNUserNotificationCenter.current().setBadgeCount(badge) { _ in done(.newData) }
    } else {
      UIApplication.shared.applicationIconBadgeNumber = badge
      done(.newData)
    }
  }

  // MARK: the notification centre's delegate

  func userNotificationCenter(
    _ center: UNUserNotificationCenter, willPresent notification: UNNotification,
    withCompletionHandler completionHandler: @escaping (UNNotificationPresentationOptions) -> Void
  ) {
    guard let fields = PushPlugin.heraldFields(notification.request) else {
      if previous?.userNotificationCenter?(
        center, willPresent: notification, withCompletionHandler: completionHandler) == nil
      {
        completionHandler(PushPlugin.presented)
      }
      return
    }
    // The app is in front: its bell shows the item from the live stream and sounds as the
    // agent's preferences say (the policy's app_focused); a banner would say it twice.
    send(PushReport(type: "received", fields: fields))
    completionHandler([])
  }

  func userNotificationCenter(
    _ center: UNUserNotificationCenter, didReceive response: UNNotificationResponse,
    withCompletionHandler completionHandler: @escaping () -> Void
  ) {
    guard let fields = PushPlugin.heraldFields(response.notification.request) else {
      if previous?.userNotificationCenter?(
        center, didReceive: response, withCompletionHandler: completionHandler) == nil
      {
        completionHandler()
      }
      return
    }
    if response.actionIdentifier == UNNotificationDefaultActionIdentifier {
      tapped(PushReport(type: "tapped", fields: fields))
    }
    completionHandler()
  }

  // MARK: reporting

  private func send(_ report: PushReport) {
    lock.lock()
    let channel = watcher
    lock.unlock()
    try? channel?.send(report)
  }

  private func tapped(_ report: PushReport) {
    lock.lock()
    defer { lock.unlock() }
    if let channel = watcher {
      try? channel.send(report)
    } else {
      pendingTap = report
    }
  }

  private func takeWaiting() -> [Invoke] {
    lock.lock()
    defer { lock.unlock() }
    let asked = waiting
    waiting = []
    return asked
  }

  /// How a notification that is not Herald's shows while the app is open, when no delegate
  /// came before ours.
  private static var presented: UNNotificationPresentationOptions {
    if #available(iOS 14.0, *) {
      return [.banner, .list, .sound, .badge]
    }
    return [.alert, .sound, .badge]
  }

  /// A remote push's fields, if it is Herald's (a `herald` field).
  static func heraldFields(_ request: UNNotificationRequest) -> [String: String]? {
    guard request.trigger is UNPushNotificationTrigger else {
      return nil
    }
    let fields = PushPlugin.fields(request.content.userInfo)
    return fields["herald"] == nil ? nil : fields
  }

  /// The push's top-level string fields: herald-protocol's phone fields sit beside `aps`.
  static func fields(_ userInfo: [AnyHashable: Any]) -> [String: String] {
    var fields: [String: String] = [:]
    for (key, value) in userInfo {
      if let key = key as? String, let value = value as? String {
        fields[key] = value
      }
    }
    return fields
  }
}

@_cdecl("init_plugin_herald_push")
public func initPlugin() -> Plugin {
  return PushPlugin()
}
