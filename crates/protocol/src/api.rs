//! REST bodies of `/api/v1` and the one error shape.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::notification::{Notification, UnreadCount};
use crate::prefs::{FieldError, PrefEdit, Preferences};

/// Error codes a client branches on. Unknown codes from a newer server read as `unknown`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No valid session: sign in (again).
    Unauthorized,
    /// Signed in, but this is not yours to touch.
    Forbidden,
    /// No such thing (or not visible to you).
    NotFound,
    /// The request is malformed or a field is invalid (see `fields`).
    InvalidInput,
    /// Conflicts with what exists (e.g. same event id, different body).
    Conflict,
    /// `If-Match` names an old version: fetch, re-apply, retry.
    PreconditionFailed,
    /// The write needs `If-Match`.
    PreconditionRequired,
    /// Too many attempts: wait and retry.
    RateLimited,
    /// The body is too large.
    PayloadTooLarge,
    /// The server cannot serve this now (starting, shutting down, storage full): retry.
    Unavailable,
    /// A bug or fault on the server: retry later; the server logged it.
    Internal,
    /// A code this version does not know.
    #[serde(other)]
    Unknown,
}

/// The error itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ApiErrorBody {
    /// What kind of error.
    pub code: ErrorCode,
    /// A message for a person.
    pub message: String,
    /// Invalid fields, for `invalid_input`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<FieldError>>")]
    pub fields: Vec<FieldError>,
}

/// Every error response: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ApiError {
    /// The error.
    pub error: ApiErrorBody,
}

impl ApiError {
    /// An error without field details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            error: ApiErrorBody {
                code,
                message: message.into(),
                fields: Vec::new(),
            },
        }
    }
}

/// `POST /api/v1/session`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct SignInRequest {
    /// The agent's email.
    pub email: String,
    /// The agent's password.
    pub password: String,
    /// A name for this device, shown in the session list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub device_name: Option<String>,
}

impl fmt::Debug for SignInRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInRequest")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("device_name", &self.device_name)
            .finish()
    }
}

/// Who is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AgentProfile {
    /// Herald's id of the agent.
    pub id: Uuid,
    /// The platform's id of the agent.
    pub external_id: String,
    /// The profile email (where emails go).
    pub email: String,
    /// Display name.
    pub name: String,
    /// The workspace's name.
    pub workspace: String,
    /// The inboxes and teams the agent belongs to (`inbox:<id>`, `team:<id>`), for their
    /// rules in the preferences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub groups: Vec<String>,
}

/// A new session. The token is shown once and never again.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct SessionGrant {
    /// The bearer token.
    pub token: String,
    /// The session's id (for the session list).
    pub session_id: Uuid,
    /// Who signed in.
    pub agent: AgentProfile,
}

/// `POST` and `GET /api/v1/web/session`: the web app's session. The session token itself
/// is in an HttpOnly cookie, never in a body the page's scripts can read; state-changing
/// requests carry `csrf_token` in the `X-Herald-CSRF` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct WebSession {
    /// The session's id (for the session list).
    pub session_id: Uuid,
    /// Who is signed in.
    pub agent: AgentProfile,
    /// Sent back in `X-Herald-CSRF` on every POST, PUT, PATCH and DELETE.
    pub csrf_token: String,
}

impl fmt::Debug for SessionGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionGrant")
            .field("token", &"<redacted>")
            .field("session_id", &self.session_id)
            .field("agent", &self.agent)
            .finish()
    }
}

/// One of the agent's sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct SessionInfo {
    /// Its id.
    pub id: Uuid,
    /// The device name given at sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub device_name: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_seen_at: DateTime<Utc>,
    /// Whether it is the session making the request.
    pub current: bool,
    /// Its live streams on this server now (an open Herald app or tab); absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub live: Option<SessionLive>,
}

/// A session's live streams now, as the server sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct SessionLive {
    /// How many streams it holds open.
    pub streams: u32,
    /// What the client said it is (absent for clients that do not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub kind: Option<crate::receipt::ClientKind>,
    /// One of its windows says it is in front of the agent (visible and focused).
    pub in_front: bool,
}

/// Preferences with their version (`ETag` / `If-Match`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct VersionedPreferences {
    /// Increases with every write.
    #[ts(type = "number")]
    pub version: u64,
    /// The preferences.
    pub preferences: Preferences,
}

/// Mark items read or unread, or all of them (optionally in one conversation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum MarkRequest {
    /// These items.
    Items {
        /// Item ids.
        ids: Vec<Uuid>,
        /// Read (true) or unread (false).
        read: bool,
    },
    /// Every unread item.
    All,
    /// Every unread item of one conversation.
    Conversation {
        /// The platform's conversation id.
        conversation_id: String,
    },
}

/// `POST /api/v1/preferences/edits`: changes applied by the server, in order, to the
/// current preferences (the web app's saves; no If-Match needed: each edit names one
/// setting, so edits from two devices compose).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PrefEdits {
    /// The changes; a pause preset is computed at the server's time in the agent's zone.
    pub edits: Vec<PrefEdit>,
    /// Pause (or resume), applied after the edits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pause: Option<crate::prefs::PausePreset>,
}

/// What a mark request changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct MarkResult {
    /// How many items changed state.
    pub changed: u32,
    /// The counter afterwards.
    pub unread: UnreadCount,
}

/// `POST /api/v1/test-notification`: what happened to a test event, per channel, as the
/// server observed it by the time it answers. Never what the policy only decided: the
/// decision and its reasons are in `notification.decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct TestNotificationResult {
    /// The item created.
    pub notification: Notification,
    /// The bell.
    pub bell: TestBell,
    /// Email.
    pub email: TestEmail,
    /// Push to browsers and phones.
    pub push: TestPush,
    /// Each Herald desktop app that had the item live: what it did with its OS
    /// notification, as the app reported it (`no_answer` when no receipt came in time).
    /// Empty when no desktop app is connected.
    #[serde(default)]
    pub apps: Vec<crate::receipt::AppReceipt>,
}

/// What happened on the bell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TestBell {
    /// Stored in the inbox (committed), and handed to this many of the agent's live streams
    /// (each open Herald app or window); 0 when none is connected.
    Stored {
        /// Live streams it was handed to.
        live_streams: u32,
    },
    /// Stored for "Why?", but the agent's preferences keep it off the bell.
    Off,
}

/// What happened to the email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TestEmail {
    /// The email relay accepted it (it goes on to the agent's mailbox from there).
    Accepted {
        /// The SMTP reply code (250).
        code: u16,
        /// The relay's words, e.g. "2.0.0 Ok: queued as 4F1".
        reply: String,
    },
    /// The relay refused it for good.
    Refused {
        /// What the relay said.
        error: String,
    },
    /// Not accepted yet (no answer, or a temporary refusal): tried again at `retry_at`.
    Retrying {
        /// What went wrong.
        error: String,
        /// The next attempt.
        retry_at: DateTime<Utc>,
    },
    /// Queued, with no answer from the relay by the time the server replied; it goes out at
    /// `due_at`.
    Queued {
        /// When it goes out.
        due_at: DateTime<Utc>,
    },
    /// The agent's preferences send no email for it.
    Off,
    /// The server has no SMTP relay: no email is sent at all.
    NotConfigured,
}

/// What happened to push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TestPush {
    /// Sent to each of the agent's push devices (browsers): what each push service answered
    /// by the time the server replied.
    Sent {
        /// One entry per device.
        devices: Vec<crate::push::TestPushDevice>,
    },
    /// The agent's preferences would push it, but no browser or phone is registered for
    /// push: nothing was sent. The desktop app shows its own notification while it runs.
    NoDevices,
    /// The agent's preferences push nothing for it.
    Off,
}

/// `POST /api/v1/events`: what ingest did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct IngestResult {
    /// The platform's event id.
    pub event_id: String,
    /// Whether this id was seen before (nothing new was written).
    pub duplicate: bool,
    /// How many agents received it.
    pub recipients: u32,
    /// Parts of the event that were not kept, and why: a conversation link that is not
    /// `https` to one of the workspace's declared origins (`field` is `conversation.url`).
    /// The item was stored without it. Absent when nothing was dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<FieldError>>")]
    pub dropped: Vec<FieldError>,
}

/// `POST /api/v1/events/batch`: many events in one request (at most
/// [`INGEST_BATCH_MAX`]). Each is validated and ingested on its own: one bad event does
/// not fail the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct IngestBatch {
    /// The events, as JSON values so that a malformed one is reported, not fatal.
    #[ts(type = "Array<PlatformEvent>")]
    pub events: Vec<serde_json::Value>,
}

/// Most events in one batch request.
pub const INGEST_BATCH_MAX: usize = 500;

/// The outcome of one event of a batch, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum IngestItemResult {
    /// Stored (or recognised as a duplicate).
    Ingested {
        /// What ingest did.
        #[serde(flatten)]
        result: IngestResult,
    },
    /// Refused; nothing of it was stored.
    Rejected {
        /// The event's id, when it could be read.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        event_id: Option<String>,
        /// Why.
        error: ApiErrorBody,
    },
}

/// The answer to a batch: one result per event, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct IngestBatchResult {
    /// One per event.
    pub results: Vec<IngestItemResult>,
}

/// `GET /api/v1/email`: can email reach this agent, and did it lately? For diagnostics
/// ("check spam, your profile email and that the event is enabled").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct EmailStatus {
    /// Whether this server has an SMTP relay configured at all.
    pub configured: bool,
    /// Where the agent's emails go (the profile email).
    pub to: String,
    /// Emails waiting to be sent (delayed alerts, retries).
    pub pending: u32,
    /// The last email that could not be delivered, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub last_failure: Option<EmailFailure>,
}

/// An email the relay refused for good, or after every retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct EmailFailure {
    /// When it was given up.
    pub at: DateTime<Utc>,
    /// What the SMTP server said.
    pub error: String,
}

/// `POST /api/v1/email/test`: what the SMTP server answered to a test email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct TestEmailResult {
    /// Whether the relay accepted it.
    pub accepted: bool,
    /// The SMTP reply code (250 on success), 0 when no reply came.
    pub code: u16,
    /// The relay's words.
    pub message: String,
}
