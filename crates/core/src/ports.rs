//! What the core needs from its surroundings, as narrow as its callers need, and the events it
//! sends them. The Tauri shell implements these with tauri-plugin-notification and window
//! events; tests and the headless front implement them with channels and stdout.
//!
//! [`UiEvent`] is the one contract of everything pushed to the UI: the TypeScript union is
//! generated from it (`crate::ts`) and each variant has a golden JSON file.

use herald_protocol::{Decision, Notification, Tone, UnreadCount, VersionedPreferences};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::error::Result;
use crate::prefsync::SaveStatus;

/// An OS notification to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsNotification {
    /// The inbox item it is for (a click reports it back); nil for a notice of Herald itself
    /// (offline, back online), which has no item and no actions.
    pub id: Uuid,
    /// The heading: plain text (escape it for any markup the OS interprets).
    pub title: String,
    /// The body: plain text.
    pub body: String,
    /// The agent's tone to play with it; `None` when the policy keeps it silent.
    pub sound: Option<Tone>,
    /// For a notice of Herald itself, which one (an app following several accounts says it
    /// once for all of them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
}

/// A notice of Herald itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// The stream has been down longer than the client waits before saying so.
    Offline,
    /// Live again after that.
    Online {
        /// Items that came in the replay.
        caught_up: usize,
    },
}

/// Shows OS notifications.
pub trait Notifier: Send + Sync {
    /// Shows one. The core calls it at most once per inbox item.
    fn show(&self, notification: &OsNotification) -> Result<()>;
}

/// The connection as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, Deserialize, schemars::JsonSchema)]
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
        #[ts(type = "number")]
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

/// Something the UI should know: every event the Rust side pushes to the UI.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UiEvent {
    /// A new item, and what this device decided for it (OS notification and sound: the UI
    /// plays the sound only when `local.sound` says deliver).
    Item {
        /// The item.
        notification: Box<Notification>,
        /// The client's decision for OS notification and sound.
        local: Box<Decision>,
        /// Which of the app's accounts it came from ([`crate::views::AccountSummary::id`]);
        /// absent from a lone account (the web app, `herald-watch`).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        account: Option<String>,
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
    /// The preferences changed (on another device, or here from outside the preferences
    /// screen, such as the tray's pause).
    Preferences {
        /// The new preferences.
        preferences: Box<VersionedPreferences>,
    },
    /// The connection changed state.
    Connection {
        /// The new state.
        state: ConnState,
    },
    /// The preferences' save state changed.
    Save {
        /// Saved, saving or failed.
        status: SaveStatus,
    },
    /// The stream has been down longer than the client waits before saying so (`true`,
    /// once per outage), or is live again after that (`false`).
    Offline {
        /// Offline now.
        offline: bool,
    },
    /// The agent clicked an OS notification of an item without a link: show it.
    FocusItem {
        /// The item.
        id: Uuid,
    },
    /// The session ended on the server (revoked, expired, agent disabled); its token is
    /// forgotten here.
    SignedOut {
        /// Why, for a person.
        reason: String,
    },
    /// The start-up restore of the saved session has finished.
    Restored,
    /// The app's accounts changed: one added, signed out, ended, switched to, or its
    /// connection or counter moved.
    Accounts {
        /// Every account and which one is shown.
        accounts: crate::views::AccountsView,
    },
}

/// Receives UI events.
pub trait EventSink: Send + Sync {
    /// Called from the core's task; must not block.
    fn emit(&self, event: UiEvent);
}
