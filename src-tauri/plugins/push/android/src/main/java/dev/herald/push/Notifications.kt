// The notifications FCM shows for Herald's pushes: under the push's tag (Herald's key of a
// conversation), with id 0.
package dev.herald.push

import android.app.NotificationManager
import android.content.Context

internal object Notifications {
  private fun manager(context: Context): NotificationManager =
    context.getSystemService(Context.NOTIFICATION_SERVICE) as NotificationManager

  /** The tags of the notifications shown (the app's own, untagged ones left out). */
  fun shownTags(context: Context): List<String> =
    manager(context).activeNotifications.mapNotNull { it.tag }

  /** Takes these away; a tag not shown is no error. */
  fun cancel(context: Context, keys: List<String>) {
    val manager = manager(context)
    for (key in keys) {
      manager.cancel(key, 0)
    }
  }
}
