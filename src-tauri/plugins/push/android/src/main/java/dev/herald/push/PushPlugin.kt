// Herald's phone push on Android (the Rust side: src/lib.rs). It reports and acts; what a
// push means is decided in Rust (herald-core).
package dev.herald.push

import android.app.Activity
import android.content.Intent
import android.webkit.WebView
import app.tauri.annotation.Command
import app.tauri.annotation.InvokeArg
import app.tauri.annotation.TauriPlugin
import app.tauri.plugin.Channel
import app.tauri.plugin.Invoke
import app.tauri.plugin.JSArray
import app.tauri.plugin.JSObject
import app.tauri.plugin.Plugin
import com.google.firebase.messaging.FirebaseMessaging

@InvokeArg
class WatchArgs {
  lateinit var channel: Channel
}

@InvokeArg
class ClearArgs {
  lateinit var keys: List<String>
}

@TauriPlugin
class PushPlugin(private val activity: Activity) : Plugin(activity) {
  private var watcher: Channel? = null
  // A tap reported before the Rust side watched (the tap that started the app).
  private var pendingTap: JSObject? = null

  companion object {
    @Volatile
    var instance: PushPlugin? = null

    /** FCM replaced the token (HeraldMessagingService). */
    fun tokenChanged(token: String, appId: String) {
      val event = JSObject()
      event.put("type", "token")
      event.put("token", tokenObject(token, appId))
      instance?.report(event)
    }

    /** A push arrived while the app runs (HeraldMessagingService). */
    fun received(fields: Map<String, String>) {
      val event = JSObject()
      event.put("type", "received")
      event.put("fields", fieldsObject(fields))
      instance?.report(event)
    }

    fun tokenObject(token: String, appId: String): JSObject {
      val result = JSObject()
      result.put("platform", "fcm")
      result.put("token", token)
      result.put("appId", appId)
      return result
    }

    fun fieldsObject(fields: Map<String, String>): JSObject {
      val result = JSObject()
      for ((key, value) in fields) {
        result.put(key, value)
      }
      return result
    }
  }

  override fun load(webView: WebView) {
    super.load(webView)
    instance = this
    activity.intent?.let { tapped(it) }
  }

  override fun onNewIntent(intent: Intent) {
    super.onNewIntent(intent)
    tapped(intent)
  }

  // A tapped FCM notification starts the launcher activity with the push's data as string
  // extras; anything else (a launcher tap, a herald:// link) has no "herald" extra.
  private fun tapped(intent: Intent) {
    val extras = intent.extras ?: return
    if (extras.getString("herald") == null) {
      return
    }
    val fields = JSObject()
    for (key in extras.keySet()) {
      val value = extras.get(key)
      if (value is String) {
        fields.put(key, value)
      }
    }
    // Reported once: the activity keeps its intent across a recreation.
    intent.removeExtra("herald")
    val event = JSObject()
    event.put("type", "tapped")
    event.put("fields", fields)
    synchronized(this) {
      val channel = watcher
      if (channel != null) {
        channel.send(event)
      } else {
        pendingTap = event
      }
    }
  }

  @Synchronized
  private fun report(event: JSObject) {
    watcher?.send(event)
  }

  @Command
  fun watch(invoke: Invoke) {
    val args = invoke.parseArgs(WatchArgs::class.java)
    synchronized(this) {
      watcher = args.channel
      pendingTap?.let { args.channel.send(it) }
      pendingTap = null
    }
    invoke.resolve()
  }

  @Command
  fun token(invoke: Invoke) {
    val messaging = try {
      FirebaseMessaging.getInstance()
    } catch (e: IllegalStateException) {
      // No Firebase project in this build: the app was built without google-services.json.
      invoke.reject("Firebase is not configured in this build (google-services.json): ${e.message}")
      return
    }
    messaging.token.addOnCompleteListener { task ->
      val token = if (task.isSuccessful) task.result else null
      if (token != null) {
        invoke.resolve(tokenObject(token, activity.packageName))
      } else {
        invoke.reject(task.exception?.message ?: "Firebase Cloud Messaging gave no token")
      }
    }
  }

  @Command
  fun shown(invoke: Invoke) {
    val keys = JSArray()
    for (key in Notifications.shownTags(activity)) {
      keys.put(key)
    }
    val result = JSObject()
    result.put("keys", keys)
    invoke.resolve(result)
  }

  @Command
  fun clear(invoke: Invoke) {
    val args = invoke.parseArgs(ClearArgs::class.java)
    Notifications.cancel(activity, args.keys)
    invoke.resolve()
  }
}
