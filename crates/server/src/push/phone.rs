//! One push to one phone, as both phone services (APNs, FCM) need it.

use chrono::{DateTime, Utc};
use herald_protocol::{Language, Notification};

/// One push to one phone.
pub(super) struct PhonePush<'a> {
    /// The device token (hex).
    pub(super) token: &'a str,
    /// The app's bundle id (the APNs topic; FCM does not need it).
    pub(super) topic: &'a str,
    /// The item.
    pub(super) item: &'a Notification,
    /// The agent's unread counter now.
    pub(super) badge: u32,
    /// The agent's language, for the alert's heading.
    pub(super) language: Language,
    /// The Urgency the outbox row carries (`high` interrupts).
    pub(super) urgency: &'a str,
    /// A collapse id per conversation (the Web Push Topic, 32 characters).
    pub(super) collapse: Option<String>,
    /// When the push is pointless.
    pub(super) expires: DateTime<Utc>,
}

/// A read-sync to one phone: the new badge and what was read (a background push).
pub(super) struct SyncPush<'a> {
    /// The device token.
    pub(super) token: &'a str,
    /// The app's bundle id (the APNs topic).
    pub(super) topic: &'a str,
    /// The agent's unread counter now.
    pub(super) badge: u32,
    /// The items read since the last sync (empty with `all_read`).
    pub(super) read: &'a [uuid::Uuid],
    /// Everything up to now was read.
    pub(super) all_read: bool,
}
