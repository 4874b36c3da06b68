//! What a batch writes and what it answers: the rows it queues for the write (inbox rows,
//! events, email alerts, pushes, reminders) and what a committed batch tells the writer.

use chrono::{DateTime, Utc};
use herald_protocol::{Notification, Preferences, UnreadCount};
use uuid::Uuid;

use super::{Answer, AppError};

/// An agent as the writer needs it.
#[derive(Debug, Clone)]
pub(super) struct AgentRow {
    pub(super) workspace_id: Uuid,
    pub(super) external_id: String,
    pub(super) prefs: Preferences,
    pub(super) last_seq: i64,
    /// The bell's unread counter: as the transaction began, plus this batch's bell rows.
    pub(super) unread: i64,
    /// The new bell rows this batch adds to the counter. PostgreSQL's batch writes this
    /// as a delta: a mark on another node may change the counter while the batch runs.
    pub(super) added: i64,
}

/// An event received before (idempotency).
#[derive(Debug, Clone)]
pub(super) struct KnownEvent {
    /// Its fingerprint: the same id with another body is refused.
    pub(super) body_hash: String,
    /// How many agents it reached.
    pub(super) recipients: i64,
}

/// A new inbox row.
pub(super) struct InboxRow {
    pub(super) agent_id: Uuid,
    pub(super) notification: Notification,
    /// The dashboard decision delivered (the bell shows it and counts it).
    pub(super) on_bell: bool,
}

/// A new row of the events table.
pub(super) struct EventRow {
    pub(super) workspace_id: Uuid,
    pub(super) event_id: String,
    pub(super) body_hash: String,
    pub(super) kind: String,
    pub(super) recipients: i64,
}

/// An email alert to queue in the outbox.
pub(super) struct AlertRow {
    pub(super) agent_id: Uuid,
    pub(super) item: Uuid,
    /// Alerts of one conversation fold into one email.
    pub(super) conversation: Option<String>,
    /// When it is due (after the alert delay, unless read by then).
    pub(super) due: DateTime<Utc>,
}

/// A push to queue for each of the agent's subscriptions.
pub(super) struct PushRow {
    pub(super) agent_id: Uuid,
    pub(super) item: Uuid,
    /// The push's Topic (one per conversation).
    pub(super) conversation: Option<String>,
    /// The Urgency header.
    pub(super) urgency: &'static str,
}

impl PushRow {
    /// The push of an item: its conversation's Topic, the Urgency of its kind.
    pub(super) fn for_item(agent_id: Uuid, item: &Notification) -> PushRow {
        PushRow {
            agent_id,
            item: item.id,
            conversation: item.conversation.as_ref().map(|c| c.id.clone()),
            urgency: crate::push::payload::urgency(&item.kind),
        }
    }
}

/// A reminder to set: a new escalation, its next reminder, or a wait through quiet hours.
pub(super) struct ReminderRow {
    pub(super) item: Uuid,
    pub(super) kind: &'static str,
    pub(super) agent_id: Uuid,
    pub(super) due: DateTime<Utc>,
    /// Reminders of it sent so far.
    pub(super) sent: u8,
}

/// A committed inbox row, for the live streams.
pub(super) struct Committed {
    pub(super) id: Uuid,
    pub(super) agent_id: Uuid,
    pub(super) seq: u64,
    /// The notification's wire JSON, as stored.
    pub(super) data: String,
}

/// What a committed batch tells: one answer per input (in order), the new items, counters.
pub(super) struct Done {
    pub(super) answers: Vec<Result<Answer, AppError>>,
    pub(super) items: Vec<Committed>,
    pub(super) unread: Vec<(Uuid, UnreadCount)>,
    /// Whether any item was to be pushed (the push worker is woken).
    pub(super) pushes: bool,
}
