//! What the platform reports: events, their kinds, and the channels they can reach.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ts_rs::TS;

use crate::ts::ts_alias;

/// The kind of an event.
///
/// Serialised as a snake_case string. A kind this version does not know (sent by a newer
/// platform) is kept as [`EventKind::Unknown`] with its original text: it is stored, shown
/// and routed through the "other events" row of the preferences, never rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// A new conversation arrived in an inbox or team the agent belongs to.
    NewConversation,
    /// A conversation was assigned to the agent.
    Assignment,
    /// Someone mentioned the agent.
    Mention,
    /// A message in a conversation the agent is assigned to or takes part in.
    Reply,
    /// An event from one of the platform's modules.
    Module,
    /// A test event the agent asked for ("save and test").
    Test,
    /// Made by Herald when quiet hours or a pause end: what arrived meanwhile
    /// (`Notification::digest`). Never sent by a platform.
    QuietSummary,
    /// A kind from a newer platform, kept verbatim.
    Unknown(String),
}

impl EventKind {
    /// Every kind this version knows, in the order the UI lists them.
    pub const KNOWN: [EventKind; 6] = [
        EventKind::NewConversation,
        EventKind::Assignment,
        EventKind::Mention,
        EventKind::Reply,
        EventKind::Module,
        EventKind::Test,
    ];

    /// The wire name of the kind.
    pub fn as_str(&self) -> &str {
        match self {
            EventKind::NewConversation => "new_conversation",
            EventKind::Assignment => "assignment",
            EventKind::Mention => "mention",
            EventKind::Reply => "reply",
            EventKind::Module => "module",
            EventKind::Test => "test",
            EventKind::QuietSummary => "quiet_summary",
            EventKind::Unknown(other) => other,
        }
    }

    /// Parses a wire name; anything unrecognised becomes [`EventKind::Unknown`].
    pub fn parse(name: &str) -> EventKind {
        match name {
            "new_conversation" => EventKind::NewConversation,
            "assignment" => EventKind::Assignment,
            "mention" => EventKind::Mention,
            "reply" => EventKind::Reply,
            "module" => EventKind::Module,
            "test" => EventKind::Test,
            "quiet_summary" => EventKind::QuietSummary,
            other => EventKind::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        if name.is_empty() || name.len() > 64 {
            return Err(serde::de::Error::custom(
                "event kind must be 1 to 64 characters long",
            ));
        }
        Ok(EventKind::parse(&name))
    }
}

impl schemars::JsonSchema for EventKind {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EventKind".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "description": "new_conversation, assignment, mention, reply, module, test (Herald's own) or quiet_summary (Herald's own); any other name from a newer platform is kept and shown",
            "examples": ["new_conversation", "assignment", "mention", "reply", "module", "test"]
        })
    }
}

ts_alias!(
    EventKind,
    "EventKind",
    r#""new_conversation" | "assignment" | "mention" | "reply" | "module" | "test" | "quiet_summary" | (string & {})"#
);

/// Where a notification can be delivered.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    TS,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The bell inside the app, with its unread counter and in-app sound.
    Dashboard,
    /// An email: an instant alert or a line in the end-of-day summary.
    Email,
    /// An OS notification on desktop, a remote push on mobile.
    Push,
}

impl Channel {
    /// All channels, in the order the preferences matrix shows them.
    pub const ALL: [Channel; 3] = [Channel::Dashboard, Channel::Email, Channel::Push];
}

/// How serious a module event is.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    TS,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational.
    #[default]
    Info,
    /// Needs a look soon.
    Warning,
    /// Needs action now.
    Critical,
}

/// The conversation an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ConversationRef {
    /// The platform's conversation id.
    pub id: String,
    /// The inbox the conversation arrived in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub inbox_id: Option<String>,
    /// The team the conversation belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub team_id: Option<String>,
    /// The subject line (attacker-controlled text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub subject: Option<String>,
    /// The customer's display name (attacker-controlled text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub customer_name: Option<String>,
    /// Where the conversation opens in the platform's dashboard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub url: Option<String>,
}

/// Who did the thing an event reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ActorRef {
    /// The platform's id of the agent, when the actor is an agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub agent_id: Option<String>,
    /// The display name (attacker-controlled when the actor is a customer).
    pub name: String,
}

/// The module part of a module event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ModuleInfo {
    /// The module that raised the event, e.g. "billing".
    pub name: String,
    /// The module's own kind of event, e.g. "invoice_overdue".
    pub kind: String,
    /// How serious it is.
    #[serde(default)]
    pub severity: Severity,
    /// A one-line title.
    pub title: String,
    /// A longer text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub body: Option<String>,
}

/// An event as the platform posts it to `POST /api/v1/events`.
///
/// Agents are named by the platform's agent ids. Which agents receive the event is decided
/// by the server from these fields (see the server's ingest module).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PlatformEvent {
    /// The platform's idempotency id: the same id posted twice is one event.
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// When it happened on the platform.
    pub occurred_at: DateTime<Utc>,
    /// The conversation it is about (absent for most module events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub conversation: Option<ConversationRef>,
    /// Who did it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub actor: Option<ActorRef>,
    /// The agent the conversation is (now) assigned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub assignee: Option<String>,
    /// Agents mentioned by the message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub mentioned: Vec<String>,
    /// Agents taking part in the conversation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub participants: Vec<String>,
    /// The message text, if any (attacker-controlled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub text: Option<String>,
    /// The module part, for module events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub module: Option<ModuleInfo>,
    /// Explicit recipients (module events, or any event that names its audience).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub recipients: Vec<String>,
    /// Teams the event names (the platform's team ids): each member of the team in Herald
    /// (agents in group `team:<id>`) receives it, as directly addressed; for a mention, each
    /// member counts as mentioned (a team mention).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub teams: Vec<String>,
}

impl PlatformEvent {
    /// An event with only its id, kind and time; the rest empty, to fill in.
    pub fn new(id: impl Into<String>, kind: EventKind, occurred_at: DateTime<Utc>) -> Self {
        PlatformEvent {
            id: id.into(),
            kind,
            occurred_at,
            conversation: None,
            actor: None,
            assignee: None,
            mentioned: Vec::new(),
            participants: Vec::new(),
            text: None,
            module: None,
            recipients: Vec::new(),
            teams: Vec::new(),
        }
    }
}
