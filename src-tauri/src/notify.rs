//! The core's `Notifier` port over tauri-plugin-notification, and the way back: a click on a
//! notification (or its "Open" / "Mark read" action, where the OS shows actions) goes to the
//! account, which marks the item read and hands back the conversation's https link, if any.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use herald_core::accounts::Accounts;
use herald_core::client::NotificationAction;
use herald_core::error::{CoreError, ErrorKind, Result};
use herald_core::ports::{Notifier, OsNotification};
use herald_protocol::{escape_markup, Language, Tone};
use tauri::{AppHandle, Runtime};
use tauri_plugin_notification::{Action, ActionType, NotificationExt};
use uuid::Uuid;

use crate::texts::texts;

/// The action type every item notification carries.
const ITEM_ACTIONS: &str = "herald-item";

/// OS notification ids (the plugin's i32) to the inbox items they show.
#[derive(Default)]
pub struct Shown {
    items: Mutex<HashMap<i32, Uuid>>,
    next: AtomicI32,
}

impl Shown {
    /// Remembers which item a new notification shows; returns the notification's id.
    fn remember(&self, item: Uuid) -> i32 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        // A long shift shows many; the old ones cannot be clicked any more.
        if items.len() > 2_000 {
            items.clear();
        }
        items.insert(id, item);
        id
    }

    /// The item a notification showed.
    fn item(&self, id: i32) -> Option<Uuid> {
        let items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        items.get(&id).copied()
    }
}

/// Shows the core's notifications.
pub struct OsNotifier<R: Runtime> {
    app: AppHandle<R>,
    shown: Arc<Shown>,
}

impl<R: Runtime> OsNotifier<R> {
    /// A notifier for `app`, remembering what it shows in `shown` (for the clicks).
    pub fn new(app: AppHandle<R>, shown: Arc<Shown>) -> OsNotifier<R> {
        OsNotifier { app, shown }
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

impl<R: Runtime> Notifier for OsNotifier<R> {
    fn show(&self, n: &OsNotification) -> Result<()> {
        // A notice of Herald itself (offline, back online) has no item: no actions, and a
        // click only does what the OS does.
        let notice = n.id.is_nil();
        let id = if notice {
            self.shown.next.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            self.shown.remember(n.id)
        };
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
            .body(body);
        if !notice {
            builder = builder.action_type_id(ITEM_ACTIONS);
        }
        // With the window open the UI plays the tone at the chosen volume; otherwise the
        // notification asks the OS for a sound of its own theme.
        if let (Some(tone), None) = (n.sound, crate::window::main(&self.app)) {
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
pub fn name_actions<R: Runtime>(app: &AppHandle<R>, language: Language) {
    let words = texts(language);
    let types = vec![ActionType::builder(ITEM_ACTIONS)
        .actions(vec![
            Action::builder("open", words.action_open).build(),
            Action::builder("mark_read", words.action_mark_read).build(),
            Action::builder("snooze", words.action_snooze).build(),
        ])
        .build()];
    if let Err(err) = app.notification().register_action_types(types) {
        tracing::warn!(error = %err, "notification actions are not available");
    }
}

/// Handles clicks and actions on the notifications `shown` remembers.
pub fn on_clicks<R: Runtime>(app: &AppHandle<R>, account: Accounts, shown: Arc<Shown>) {
    let handle = app.clone();
    let registered = app.notification().on_action(move |performed| {
        let Some(item) = performed.notification().and_then(|n| shown.item(n.id())) else {
            return;
        };
        let action = match performed.action_id() {
            "mark_read" => NotificationAction::MarkRead,
            "snooze" => NotificationAction::SnoozeHour,
            // "tap" (a click on the notification), "open", "default"
            _ => NotificationAction::Open,
        };
        let (app, account) = (handle.clone(), account.clone());
        tauri::async_runtime::spawn(async move {
            match crate::open::act(&app, &account, item, action).await {
                Ok(false) if action == NotificationAction::Open => {
                    // No link of the platform: show the item in Herald.
                    crate::window::show(&app);
                    account.focus_item(item);
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(kind = ?err.kind, error = %err, "the notification action failed")
                }
            }
        });
    });
    if let Err(err) = registered {
        tracing::warn!(error = %err, "notification clicks will not be reported");
    }
}
