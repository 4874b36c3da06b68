//! What the core needs from its surroundings, as narrow as its callers need. The Tauri shell
//! implements these with tauri-plugin-notification and window events; tests and the headless
//! front implement them with channels and stdout.

use herald_protocol::{Decision, Notification, UnreadCount, VersionedPreferences};
use serde::Serialize;
use uuid::Uuid;

use crate::error::Result;

/// An OS notification to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsNotification {
    /// The inbox item it is for (a click reports it back).
    pub id: Uuid,
    /// The heading: plain text (escape it for any markup the OS interprets).
    pub title: String,
    /// The body: plain text.
    pub body: String,
    /// Play the agent's sound with it.
    pub sound: bool,
}

/// Shows OS notifications.
pub trait Notifier: Send + Sync {
    /// Shows one. The core calls it at most once per inbox item.
    fn show(&self, notification: &OsNotification) -> Result<()>;
}

/// The connection as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnState {
    /// Opening a connection (attempt 0 is the first).
    Connecting {
        /// Attempts since the last stable connection.
        attempt: u32,
    },
    /// Up to date and receiving.
    Live,
    /// Waiting before the next attempt.
    Reconnecting {
        /// Attempts since the last stable connection.
        attempt: u32,
        /// Milliseconds until the next try.
        retry_in_ms: u64,
    },
    /// The session ended (revoked, expired, agent disabled): sign in again.
    SignedOut {
        /// Why, for a person.
        reason: String,
    },
    /// Stopped by the app.
    Stopped,
}

/// Something the UI should know.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UiEvent {
    /// A new item (and what the client decided for it).
    Item {
        /// The item.
        notification: Box<Notification>,
        /// The client's decision for OS notification and sound.
        local: Box<Decision>,
    },
    /// Items changed read state.
    ReadChanged,
    /// The bell was replaced (after a gap).
    Reset,
    /// The counter.
    Unread {
        /// The counter.
        unread: UnreadCount,
    },
    /// The preferences changed on another device.
    Preferences {
        /// The new preferences.
        preferences: Box<VersionedPreferences>,
    },
    /// The connection changed state.
    Connection {
        /// The new state.
        state: ConnState,
    },
}

/// Receives UI events.
pub trait EventSink: Send + Sync {
    /// Called from the core's task; must not block.
    fn emit(&self, event: UiEvent);
}
