// The app delegate's push callbacks: the device token, a failure to get one, a background
// push. Tauri's app delegate (tao's) implements none of them, so they are added to its class
// at start; one that another library put there first is kept and called after ours.

import ObjectiveC.runtime
import UIKit

enum AppDelegateHooks {
  private static var installed = false
  // The implementations found in place, if any, called after ours.
  private static var previousRegistered: IMP?
  private static var previousFailed: IMP?
  private static var previousRemote: IMP?

  private static let registeredSelector = #selector(
    UIApplicationDelegate.application(_:didRegisterForRemoteNotificationsWithDeviceToken:))
  private static let failedSelector = #selector(
    UIApplicationDelegate.application(_:didFailToRegisterForRemoteNotificationsWithError:))
  private static let remoteSelector = #selector(
    UIApplicationDelegate.application(_:didReceiveRemoteNotification:fetchCompletionHandler:))

  private typealias RegisteredIMP =
    @convention(c) (AnyObject, Selector, UIApplication, NSData) -> Void
  private typealias FailedIMP =
    @convention(c) (AnyObject, Selector, UIApplication, NSError) -> Void
  private typealias RemoteIMP =
    @convention(c) (
      AnyObject, Selector, UIApplication, NSDictionary,
      @escaping @convention(block) (UIBackgroundFetchResult) -> Void
    ) -> Void

  /// Once, on the main thread, while the app finishes launching (the plugin's start).
  static func install() {
    guard !installed, let delegate = UIApplication.shared.delegate else {
      return
    }
    installed = true
    let cls: AnyClass = type(of: delegate)

    let registered: @convention(block) (AnyObject, UIApplication, NSData) -> Void = {
      this, application, token in
      PushPlugin.current?.registered(token as Data)
      if let previous = previousRegistered {
        unsafeBitCast(previous, to: RegisteredIMP.self)(
          this, registeredSelector, application, token)
      }
    }
    previousRegistered = hook(cls, registeredSelector, unsafeBitCast(registered, to: AnyObject.self))

    let failed: @convention(block) (AnyObject, UIApplication, NSError) -> Void = {
      this, application, error in
      PushPlugin.current?.failed(error)
      if let previous = previousFailed {
        unsafeBitCast(previous, to: FailedIMP.self)(this, failedSelector, application, error)
      }
    }
    previousFailed = hook(cls, failedSelector, unsafeBitCast(failed, to: AnyObject.self))

    let remote:
      @convention(block) (
        AnyObject, UIApplication, NSDictionary,
        @escaping @convention(block) (UIBackgroundFetchResult) -> Void
      ) -> Void = { this, application, userInfo, completion in
        let info = userInfo as? [AnyHashable: Any] ?? [:]
        guard let previous = previousRemote else {
          if let plugin = PushPlugin.current {
            plugin.remote(info, done: completion)
          } else {
            completion(.noData)
          }
          return
        }
        // The completion is called once, by the implementation that was there first.
        PushPlugin.current?.remote(info, done: { _ in })
        unsafeBitCast(previous, to: RemoteIMP.self)(
          this, remoteSelector, application, userInfo, completion)
      }
    previousRemote = hook(cls, remoteSelector, unsafeBitCast(remote, to: AnyObject.self))
  }

  /// Puts `block` in as the class's method for `selector`; answers the implementation it
  /// replaced, if there was one.
  private static func hook(_ cls: AnyClass, _ selector: Selector, _ block: AnyObject) -> IMP? {
    let implementation = imp_implementationWithBlock(block)
    if let method = class_getInstanceMethod(cls, selector) {
      return method_setImplementation(method, implementation)
    }
    let description = protocol_getMethodDescription(
      UIApplicationDelegate.self, selector, false, true)
    class_addMethod(cls, selector, implementation, description.types)
    return nil
  }
}
