//! What the UI is sent when it asks: the session, the bell, the preferences, the pause
//! choices, and the app's accounts. Built by [`crate::account::Account`] (one account) and
//! [`crate::accounts::Accounts`] (all of them); the TypeScript types are generated from
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
    /// The app's accounts, where it follows more than one place (the desktop app).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub accounts: Option<AccountsView>,
}

/// The accounts the app follows, and the one whose preferences and diagnostics are shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct AccountsView {
    /// The account shown ([`AccountSummary::id`]); none before the first sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub active: Option<String>,
    /// In the order they were added.
    pub accounts: Vec<AccountSummary>,
}

/// One account of the app: a server and an agent on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AccountSummary {
    /// This device's name for it (stable across restarts; not a secret).
    pub id: String,
    /// How the bell labels its items: the workspace, else the server's host.
    pub label: String,
    /// Its server.
    pub server: String,
    /// The agent's email.
    pub email: String,
    /// A session runs (it may be reconnecting).
    pub signed_in: bool,
    /// Its stream.
    pub connection: ConnState,
    /// Its unread counter.
    pub unread: u32,
    /// It has been without a stream longer than the client waits before saying so.
    pub offline: bool,
    /// Why the server ended its session (revoked, expired, agent disabled), until the agent
    /// signs in to it again or removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ended: Option<String>,
}

/// One item of the bell and, where the app follows several accounts, whose it is.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BellItem {
    /// The item.
    #[serde(flatten)]
    pub notification: Notification,
    /// Its account ([`AccountSummary::id`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub account: Option<String>,
}

impl BellItem {
    /// An item of `account`.
    pub fn of(account: Option<&str>, notification: Notification) -> BellItem {
        BellItem {
            notification,
            account: account.map(str::to_owned),
        }
    }
}

/// The bell as the UI shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BellView {
    /// Newest first.
    pub items: Vec<BellItem>,
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
