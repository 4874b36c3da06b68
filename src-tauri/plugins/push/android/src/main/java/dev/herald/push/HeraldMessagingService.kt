// Firebase Cloud Messaging's callbacks. FCM shows an item's push by itself while the app is
// in the background (a notification message); what reaches this service is a new token,
// Herald's read-syncs (data messages), and items while the app is in the foreground.
package dev.herald.push

import com.google.firebase.messaging.FirebaseMessagingService
import com.google.firebase.messaging.RemoteMessage

class HeraldMessagingService : FirebaseMessagingService() {
  override fun onNewToken(token: String) {
    // Handed to herald-core when the app runs; otherwise the next start asks for it.
    PushPlugin.tokenChanged(token, packageName)
  }

  override fun onMessageReceived(message: RemoteMessage) {
    val data = message.data
    if (data["herald"] == "read") {
      // The server named the notifications to take away. Acted on here because the app's
      // Rust side may not be running; when it is, it does the same (harmless twice).
      val keys = data["clear"].orEmpty().split(',').filter { it.isNotEmpty() }
      Notifications.cancel(this, keys)
    }
    PushPlugin.received(data)
  }
}
