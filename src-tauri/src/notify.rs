//! The core's `Notifier` port over tauri-plugin-notification, and the way back: a click on a
//! notification (or its "Open" / "Mark read" action, where the OS shows actions) goes to the
//! core, which marks the item read and hands back the conversation's https link, if any.

use herald_core::client::NotificationAction;
use herald_core::error::{CoreError, ErrorKind, Result};
use herald_core::ports::{Notifier, OsNotification};
use herald_protocol::{escape_markup, Language, Tone};
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::{Action, ActionType, NotificationExt};

use crate::herald::Herald;
use crate::texts::texts;

/// The action type every item notification carries.
const ITEM_ACTIONS: &str = "herald-item";

/// Shows the core's notifications.
pub struct OsNotifier {
    app: AppHandle,
}

impl OsNotifier {
    /// A notifier for `app`.
    pub fn new(app: AppHandle) -> OsNotifier {
        OsNotifier { app }
    }
}

/// The freedesktop sound theme name closest to each tone.
fn sound_name(tone: Tone) -> &'static str {
    match tone {
        Tone::Chime => "message-new-instant",
        Tone::Ping => "dialog-information",
        Tone::Knock => "bell",
    }
}

impl Notifier for OsNotifier {
    fn show(&self, n: &OsNotification) -> Result<()> {
        let herald = self.app.state::<Herald>();
        let id = herald.remember_shown(n.id);
        let body = if cfg!(all(unix, not(target_os = "macos"))) {
            // Notification servers read the body as markup: hostile text must stay text.
            escape_markup(&n.body)
        } else {
            n.body.clone()
        };
        let mut builder = self
            .app
            .notification()
            .builder()
            .id(id)
            .title(&n.title)
            .body(body)
            .action_type_id(ITEM_ACTIONS);
        // With the window open the UI plays the tone at the chosen volume; otherwise the
        // notification asks the OS for a sound of its own theme.
        if n.sound && crate::window::main(&self.app).is_none() {
            let tone = herald
                .current_preferences()
                .map(|p| p.sound.tone)
                .unwrap_or(Tone::Chime);
            builder = builder.sound(sound_name(tone));
        }
        builder.show().map_err(|e| {
            CoreError::new(
                ErrorKind::Os,
                format!("the notification could not be shown: {e}"),
            )
        })
    }
}

/// Names the notification buttons in the agent's language (registering again replaces them).
pub fn name_actions(app: &AppHandle, language: Language) {
    let words = texts(language);
    let types = vec![ActionType::builder(ITEM_ACTIONS)
        .actions(vec![
            Action::builder("open", words.action_open).build(),
            Action::builder("mark_read", words.action_mark_read).build(),
        ])
        .build()];
    if let Err(err) = app.notification().register_action_types(types) {
        tracing::warn!(error = %err, "notification actions are not available");
    }
}

/// Registers the notification actions and handles clicks.
pub fn register(app: &AppHandle, language: Language) {
    name_actions(app, language);
    let notifications = app.notification();
    let handle = app.clone();
    let registered = notifications.on_action(move |performed| {
        let Some(shown) = performed.notification().map(|n| n.id()) else {
            return;
        };
        let action = match performed.action_id() {
            "mark_read" => NotificationAction::MarkRead,
            // "tap" (a click on the notification), "open", "default"
            _ => NotificationAction::Open,
        };
        let app = handle.clone();
        tauri::async_runtime::spawn(async move { acted(&app, shown, action).await });
    });
    if let Err(err) = registered {
        tracing::warn!(error = %err, "notification clicks will not be reported");
    }
}

async fn acted(app: &AppHandle, shown: i32, action: NotificationAction) {
    let herald = app.state::<Herald>();
    let Some(item) = herald.shown_item(shown) else {
        return;
    };
    match herald.open(item, action).await {
        Ok(false) if action == NotificationAction::Open => {
            // No link of the platform: show the item in Herald.
            crate::window::show(app);
            herald.focus_item(item);
        }
        Ok(_) => {}
        Err(err) => {
            tracing::warn!(kind = ?err.kind, error = %err, "the notification action failed")
        }
    }
}
