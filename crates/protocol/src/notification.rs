//! The inbox as agents see it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::event::{ActorRef, ConversationRef, EventKind, Severity};
use crate::policy::{AgentContext, Decision};
use crate::prefs::Language;
use crate::reminders::Reminder;

/// One item of an agent's inbox (the bell).
///
/// `title` and `body` are the event's own text (subject, module title, message excerpt),
/// never composed prose: the UI words the heading ("Ana mentioned you") in the agent's
/// language from `kind` and `actor`. All of it is attacker-controlled: render as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct Notification {
    /// Stable id.
    pub id: Uuid,
    /// Per-agent, strictly increasing position in the inbox.
    #[ts(type = "number")]
    pub seq: u64,
    /// The platform event it came from.
    pub event_id: String,
    /// What happened.
    pub kind: EventKind,
    /// Subject or module title.
    pub title: String,
    /// Message excerpt or module text; may be empty.
    pub body: String,
    /// The conversation, with its link (only an `https` link to one of the workspace's
    /// declared origins is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub conversation: Option<ConversationRef>,
    /// A link the platform sent that was not kept, as text for "Why?": never a link,
    /// never to be opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub withheld_link: Option<String>,
    /// Who did it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub actor: Option<ActorRef>,
    /// For module events: how serious.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub severity: Option<Severity>,
    /// When it happened on the platform.
    pub occurred_at: DateTime<Utc>,
    /// When Herald received it.
    pub created_at: DateTime<Utc>,
    /// When the agent read it; absent while unread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub read_at: Option<DateTime<Utc>>,
    /// Snoozed: it comes back unread, with a fresh notification, at this time (while
    /// snoozed it is out of the unread counter and the unread view).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub snoozed_until: Option<DateTime<Utc>>,
    /// For a quiet summary (`kind` = `quiet_summary`): what arrived while the agent was
    /// quiet; its click opens the bell filtered to those items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub digest: Option<crate::quiet::QuietDigest>,
    /// The server's decision, with reasons ("why did / didn't I get this?").
    pub decision: Decision,
    /// The agent's relation to the event (assigned, mentioned, addressed), so a client can
    /// run the same policy with its device's context added.
    #[serde(default)]
    pub context: AgentContext,
}

impl Notification {
    /// The one line that says what happened, in `language`: "Ana mentioned you: Refund".
    /// Plain text built from attacker-controlled fields: escape it for any markup.
    pub fn headline(&self, language: Language) -> String {
        let pt = language == Language::PtBr;
        let someone = if pt { "Alguém" } else { "Someone" };
        let who = self.actor.as_ref().map_or(someone, |a| a.name.as_str());
        let t = &self.title;
        let line = match (&self.kind, pt) {
            (EventKind::NewConversation, false) => format!("New conversation: {t}"),
            (EventKind::NewConversation, true) => format!("Nova conversa: {t}"),
            (EventKind::Assignment, false) => format!("{who} assigned you: {t}"),
            (EventKind::Assignment, true) => format!("{who} atribuiu a você: {t}"),
            (EventKind::Mention, false) => format!("{who} mentioned you: {t}"),
            (EventKind::Mention, true) => format!("{who} mencionou você: {t}"),
            (EventKind::Reply, false) => format!("{who} replied: {t}"),
            (EventKind::Reply, true) => format!("{who} respondeu: {t}"),
            (EventKind::Module, _) => t.clone(),
            (EventKind::Test, false) => "Herald test notification".to_owned(),
            (EventKind::Test, true) => "Notificação de teste do Herald".to_owned(),
            (EventKind::QuietSummary, _) => match &self.digest {
                Some(digest) => digest.headline(language),
                None => t.clone(),
            },
            (EventKind::Unknown(kind), _) => format!("{kind}: {t}"),
        };
        match (self.context.reminder, pt) {
            (None, _) => line,
            (Some(Reminder::Snoozed), true) => format!("De volta da soneca: {line}"),
            (Some(Reminder::Snoozed), false) => format!("Back from snooze: {line}"),
            (Some(Reminder::Unanswered { count, limit }), true) => {
                format!("Ainda não lida ({count} de {limit}): {line}")
            }
            (Some(Reminder::Unanswered { count, limit }), false) => {
                format!("Still unread ({count} of {limit}): {line}")
            }
        }
    }
}

/// One page of the inbox, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct InboxPage {
    /// The items.
    pub items: Vec<Notification>,
    /// Pass as `before` to get the next (older) page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub next_before: Option<u64>,
    /// The unread counter at the time of the page.
    pub unread: UnreadCount,
}

/// Unread counters, always absolute numbers from the server.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
pub struct UnreadCount {
    /// Unread items on the dashboard.
    pub total: u32,
}

/// Escapes text for markup: HTML (email) and the body of Linux desktop notifications, which
/// notification servers read as a small HTML subset. Everything in a notification is
/// attacker-controlled, so it must stay text wherever markup is read.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_markup;

    #[test]
    fn markup_in_hostile_text_is_escaped() {
        assert_eq!(
            escape_markup(r#"<img src=x onerror="alert(1)"> & <b>'"#),
            "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;b&gt;&#39;"
        );
        assert_eq!(escape_markup("plain Zoë"), "plain Zoë");
    }
}
