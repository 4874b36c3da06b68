//! What the UI is sent when it asks: the session, the bell, the preferences, and the pause
//! choices. Built by [`crate::account::Account`]; the TypeScript types are generated from
//! these (`crate::ts`) and each has a golden JSON file, so the UI cannot drift from them.

use chrono::{DateTime, Utc};
use herald_protocol::{AgentProfile, Notification, Preferences, UnreadCount};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use crate::ports::ConnState;
use crate::prefsync::SaveStatus;

/// What the UI shows before anything else.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SessionView {
    /// Someone is signed in.
    pub signed_in: bool,
    /// Who (absent when restored offline and not yet confirmed).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub agent: Option<AgentProfile>,
    /// The last server, to prefill the form.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub server: Option<String>,
    /// The last email, to prefill the form.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub email: Option<String>,
    /// The connection.
    pub connection: ConnState,
    /// This device is muted.
    pub device_muted: bool,
    /// The session kept in the keychain is still being restored (the UI waits for the
    /// `restored` event instead of showing the sign-in form).
    pub restoring: bool,
    /// An item to show: its OS notification was clicked while no window was open.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub focus_item: Option<Uuid>,
}

/// The bell as the UI shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BellView {
    /// Newest first.
    pub items: Vec<Notification>,
    /// The counter (from the server, absolute).
    pub unread: UnreadCount,
    /// The connection.
    pub connection: ConnState,
    /// When the last item arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub last_event_at: Option<DateTime<Utc>>,
}

/// The preferences as the UI shows them.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PrefsView {
    /// With unsaved edits.
    pub preferences: Preferences,
    /// Saved, saving or failed.
    pub status: SaveStatus,
}

pub use herald_protocol::PausePreset;
