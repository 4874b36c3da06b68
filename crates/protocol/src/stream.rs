//! The live stream, `GET /api/v1/stream` (WebSocket, JSON text frames).
//!
//! The client opens with [`ClientMessage::Resume`]; the server replays what the agent
//! missed from the database, says [`ServerMessage::Gap`] when it cannot, then goes live.
//! Before closing, the server sends [`ServerMessage::Closing`] and a close frame whose code
//! is [`CloseReason::code`]; [`CloseReason::is_fatal`] tells the client whether to go back
//! to sign-in or to reconnect with backoff.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::api::VersionedPreferences;
use crate::notification::{Notification, UnreadCount};

/// Why the server closes a stream.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The session was signed out or revoked: fatal, sign in again.
    SessionRevoked,
    /// The agent was disabled by an admin: fatal.
    AgentDisabled,
    /// The client did not keep up with its send queue: retry.
    SlowConsumer,
    /// The server is shutting down or restarting: retry.
    ServerShutdown,
    /// The agent has too many live streams: retry later.
    TooManyConnections,
    /// No pong to the server's pings: retry.
    HeartbeatTimeout,
    /// The client broke the protocol (bad or oversized frame): retry after backoff.
    ProtocolViolation,
}

impl CloseReason {
    /// Every reason.
    pub const ALL: [CloseReason; 7] = [
        CloseReason::SessionRevoked,
        CloseReason::AgentDisabled,
        CloseReason::SlowConsumer,
        CloseReason::ServerShutdown,
        CloseReason::TooManyConnections,
        CloseReason::HeartbeatTimeout,
        CloseReason::ProtocolViolation,
    ];

    /// The WebSocket close code (4000–4999 are the application's; 1012 is "restart").
    pub const fn code(self) -> u16 {
        match self {
            CloseReason::SessionRevoked => 4001,
            CloseReason::AgentDisabled => 4003,
            CloseReason::SlowConsumer => 4008,
            CloseReason::ServerShutdown => 1012,
            CloseReason::TooManyConnections => 4029,
            CloseReason::HeartbeatTimeout => 4010,
            CloseReason::ProtocolViolation => 4400,
        }
    }

    /// The reason for a close code, if it is one of ours.
    pub fn from_code(code: u16) -> Option<CloseReason> {
        CloseReason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Fatal: reconnecting cannot help, the agent must sign in again.
    pub const fn is_fatal(self) -> bool {
        matches!(
            self,
            CloseReason::SessionRevoked | CloseReason::AgentDisabled
        )
    }
}

/// Why the server could not replay.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GapReason {
    /// The client's epoch is not the server's (a new database, a restore).
    EpochChanged,
    /// More was missed than the server replays.
    TooFarBehind,
}

/// Client → server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Start (or resume) after `after_seq` of `epoch`; a first connection sends 0 and no
    /// epoch.
    Resume {
        /// The last seq the client has.
        #[ts(type = "number")]
        after_seq: u64,
        /// The epoch that seq belongs to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        epoch: Option<String>,
        /// Who is connecting: the desktop app says so, so that the server waits for its
        /// receipts in "Save and test" and names it in "Why?".
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        client: Option<crate::receipt::StreamClient>,
    },
    /// After `resume`, whenever it changes: whether this window is in front of the agent
    /// (visible and focused). While it is, pushes to the browser of this session are not
    /// sent (the window shows the item itself), and the agent's phones wait (they work at a
    /// computer). The web app and the desktop app send it; other clients need not.
    Presence {
        /// Visible and focused.
        in_front: bool,
    },
    /// What this app did with an item's OS notification (the desktop app sends one for
    /// each item it received whose push the server decided to deliver).
    Receipt {
        /// The item.
        id: Uuid,
        /// What the app did.
        outcome: crate::receipt::AppOutcome,
    },
}

/// Server → client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// A notification: replayed from the database or live. An id the client holds already
    /// with a lower seq is that item coming back (a snooze ended, an unanswered
    /// assignment's reminder: `context.reminder` says which): move it to the top.
    Item {
        /// Whether it was missed while away.
        replay: bool,
        /// The item (boxed: it is by far the largest message).
        notification: Box<Notification>,
    },
    /// Replay is done (possibly empty); live items follow.
    Live {
        /// The server's epoch: keep it with the seq.
        epoch: String,
        /// The newest seq at this point.
        #[ts(type = "number")]
        latest_seq: u64,
    },
    /// Replay is not possible: refetch the first page and the counters, then carry on
    /// from `latest_seq`.
    Gap {
        /// Why.
        reason: GapReason,
        /// The server's epoch.
        epoch: String,
        /// The newest seq at this point.
        #[ts(type = "number")]
        latest_seq: u64,
    },
    /// The absolute unread counter.
    Unread {
        /// The counters.
        unread: UnreadCount,
    },
    /// Items changed read state (on this or another device).
    ReadChanged {
        /// The items.
        ids: Vec<Uuid>,
        /// When read; absent when marked unread.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        read_at: Option<DateTime<Utc>>,
    },
    /// Every unread item up to `up_to_seq` (of one conversation, if given) is now read.
    AllRead {
        /// Up to and including this seq.
        #[ts(type = "number")]
        up_to_seq: u64,
        /// Only this conversation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        conversation_id: Option<String>,
    },
    /// Items were snoozed (on this or another device) until `until`, or brought back
    /// (no `until`). An item that comes back when its snooze ends arrives as an `item`
    /// again: the same id with a new seq.
    Snoozed {
        /// The items.
        ids: Vec<Uuid>,
        /// When they come back; absent when brought back now.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        until: Option<DateTime<Utc>>,
    },
    /// The agent's preferences changed (on another device, or by an admin).
    PreferencesChanged {
        /// The new preferences.
        preferences: VersionedPreferences,
    },
    /// The server is about to close the stream.
    Closing {
        /// Why.
        reason: CloseReason,
        /// A message for logs and diagnostics.
        message: String,
    },
}
