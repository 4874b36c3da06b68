//! Chatwoot's webhooks as Herald events: a pure mapping from one delivery's JSON to the
//! events it means, or the reason it means nothing to notify.
//!
//! Agents are Chatwoot users: a Herald agent's platform id is the Chatwoot user id, and its
//! groups are `inbox:<inbox id>` and `team:<team id>`. Links go to the conversation in the
//! Chatwoot dashboard.
//!
//! | Chatwoot event | Herald |
//! |---|---|
//! | `conversation_created` | new conversation for its inbox's (or team's) agents and its assignee |
//! | `conversation_updated`, `assignee_id` changed to a user | assignment of that user |
//! | `conversation_updated`, `team_id` changed, no assignee change | assignment to the team's members |
//! | `message_created`, private note with `mention://user/…` or `mention://team/…` | mention of those users, and of the teams' members |
//! | `message_created`, incoming, not private | reply for the assignee and the participants |
//! | `message_created`, outgoing by a user, not private | reply for the other participants |
//! | `conversation_status_changed` | module event for the assignee ("now resolved", "now open") |
//! | `automation_event.<rule>` (an automation rule's "send webhook event", e.g. an SLA rule) | module event for the assignee, else the team's agents |
//! | anything else | acknowledged and recorded as ignored |

use chrono::{DateTime, Utc};
use herald_protocol::{ActorRef, ConversationRef, EventKind, ModuleInfo, PlatformEvent, Severity};
use serde_json::Value;

/// The connected Chatwoot account.
#[derive(Debug, Clone)]
pub struct Account {
    /// Chatwoot's account id.
    pub id: String,
    /// The Chatwoot address, e.g. `https://chat.acme.example` (no trailing slash).
    pub base_url: String,
}

/// What a delivery means.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    /// These events (ids derived from the delivery id, so a retry is a duplicate).
    Events(Vec<PlatformEvent>),
    /// Nothing to notify, and why.
    Ignored(String),
}

/// The events one delivery means. `delivery` is Chatwoot's delivery id; `now` stands in for
/// times the payload does not give.
pub fn map(payload: &Value, delivery: &str, account: &Account, now: DateTime<Utc>) -> Mapped {
    let event = payload.get("event").and_then(Value::as_str).unwrap_or("");
    let from_account = payload
        .pointer("/account/id")
        .or_else(|| payload.get("account_id"))
        .or_else(|| payload.pointer("/conversation/account_id"))
        .and_then(id_of);
    if from_account.as_deref().is_some_and(|a| a != account.id) {
        return Mapped::Ignored(format!(
            "sent for Chatwoot account {}, but this connector is for account {}",
            from_account.unwrap_or_default(),
            account.id
        ));
    }
    let id = format!("chatwoot-{delivery}");
    match event {
        "conversation_created" => conversation_created(payload, id, account, now),
        "conversation_updated" => conversation_updated(payload, id, account, now),
        "conversation_status_changed" => status_changed(payload, id, account, now),
        "message_created" => message_created(payload, id, account, now),
        "" => Mapped::Ignored("the delivery names no event".into()),
        automation if automation.starts_with("automation_event.") => automation_event(
            payload,
            id,
            account,
            now,
            &automation["automation_event.".len()..],
        ),
        other => Mapped::Ignored(format!("Herald does not notify about {other:?} events")),
    }
}

fn conversation_created(c: &Value, id: String, account: &Account, now: DateTime<Utc>) -> Mapped {
    let Some(conversation) = conversation_ref(c, account) else {
        return Mapped::Ignored("the conversation has no id".into());
    };
    let text = c
        .pointer("/messages/0/content")
        .and_then(Value::as_str)
        .map(plain_text);
    Mapped::Events(vec![PlatformEvent {
        id,
        kind: EventKind::NewConversation,
        occurred_at: time_of(c.get("created_at")).unwrap_or(now),
        conversation: Some(conversation),
        actor: None,
        assignee: assignee(c),
        text,
        ..blank(now)
    }])
}

fn conversation_updated(c: &Value, id: String, account: &Account, now: DateTime<Utc>) -> Mapped {
    let Some(conversation) = conversation_ref(c, account) else {
        return Mapped::Ignored("the conversation has no id".into());
    };
    let changed = changed_to(c, "assignee_id");
    let occurred_at = time_of(c.get("updated_at")).unwrap_or(now);
    if let Some(Some(user)) = changed.clone() {
        return Mapped::Events(vec![PlatformEvent {
            id,
            kind: EventKind::Assignment,
            occurred_at,
            conversation: Some(conversation),
            assignee: Some(user),
            ..blank(now)
        }]);
    }
    if changed.is_some() {
        return Mapped::Ignored("the conversation was unassigned".into());
    }
    if let Some(Some(team)) = changed_to(c, "team_id") {
        return Mapped::Events(vec![PlatformEvent {
            id,
            kind: EventKind::Assignment,
            occurred_at,
            conversation: Some(conversation),
            teams: vec![team],
            ..blank(now)
        }]);
    }
    Mapped::Ignored("no change Herald notifies about (only assignee and team changes)".into())
}

fn status_changed(c: &Value, id: String, account: &Account, now: DateTime<Utc>) -> Mapped {
    let Some(conversation) = conversation_ref(c, account) else {
        return Mapped::Ignored("the conversation has no id".into());
    };
    let Some(assignee) = assignee(c) else {
        return Mapped::Ignored("the conversation has no assignee to tell".into());
    };
    let status = c
        .get("status")
        .and_then(Value::as_str)
        .filter(|s| s.len() <= 40 && s.chars().all(|ch| ch.is_ascii_alphabetic() || ch == '_'))
        .unwrap_or("changed");
    Mapped::Events(vec![PlatformEvent {
        id,
        kind: EventKind::Module,
        occurred_at: time_of(c.get("updated_at")).unwrap_or(now),
        module: Some(ModuleInfo {
            name: "chatwoot".into(),
            kind: format!("conversation_{status}"),
            severity: Severity::Info,
            title: format!("Conversation #{} is now {status}", conversation.id),
            body: None,
        }),
        conversation: Some(conversation),
        recipients: vec![assignee],
        ..blank(now)
    }])
}

/// A Chatwoot automation rule's "send webhook event" action (how an SLA or escalation rule
/// of the account reaches Herald): a module event for the conversation's assignee, or its
/// team's agents when nobody is assigned.
fn automation_event(
    c: &Value,
    id: String,
    account: &Account,
    now: DateTime<Utc>,
    rule: &str,
) -> Mapped {
    let Some(conversation) = conversation_ref(c, account) else {
        return Mapped::Ignored("the automation event names no conversation".into());
    };
    let rule: String = rule
        .chars()
        .filter(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'))
        .take(40)
        .collect();
    let rule = if rule.is_empty() {
        "automation".to_owned()
    } else {
        rule
    };
    let (recipients, teams) = match (assignee(c), conversation.team_id.clone()) {
        (Some(user), _) => (vec![user], vec![]),
        (None, Some(team)) => (vec![], vec![team]),
        (None, None) => {
            return Mapped::Ignored(
                "the automation's conversation has no assignee or team to tell".into(),
            )
        }
    };
    Mapped::Events(vec![PlatformEvent {
        id,
        kind: EventKind::Module,
        occurred_at: time_of(c.get("updated_at")).unwrap_or(now),
        module: Some(ModuleInfo {
            name: "chatwoot".into(),
            kind: format!("automation.{rule}"),
            severity: Severity::Warning,
            title: format!(
                "Chatwoot rule \"{rule}\" on conversation #{}",
                conversation.id
            ),
            body: None,
        }),
        conversation: Some(conversation),
        recipients,
        teams,
        ..blank(now)
    }])
}

fn message_created(m: &Value, id: String, account: &Account, now: DateTime<Utc>) -> Mapped {
    let Some(c) = m.get("conversation") else {
        return Mapped::Ignored("the message has no conversation".into());
    };
    let Some(conversation) = conversation_ref(c, account) else {
        return Mapped::Ignored("the conversation has no id".into());
    };
    let content = m.get("content").and_then(Value::as_str).unwrap_or("");
    let private = m.get("private").and_then(Value::as_bool).unwrap_or(false);
    let message_type = match m.get("message_type") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(0) => "incoming",
            Some(1) => "outgoing",
            Some(2) => "activity",
            _ => "template",
        },
        _ => "",
    };
    let sender_type = m
        .pointer("/sender/type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let by_user = sender_type == "user";
    let actor = m.get("sender").map(|s| ActorRef {
        agent_id: if by_user {
            s.get("id").and_then(id_of)
        } else {
            None
        },
        name: s
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("Someone")
            .to_owned(),
    });
    let event = PlatformEvent {
        id,
        kind: EventKind::Reply,
        occurred_at: time_of(m.get("created_at")).unwrap_or(now),
        assignee: assignee(c),
        text: Some(plain_text(content)),
        actor,
        conversation: Some(conversation),
        ..blank(now)
    };
    if private {
        let (users, teams) = mentions(content);
        if users.is_empty() && teams.is_empty() {
            return Mapped::Ignored("a private note that mentions nobody".into());
        }
        return Mapped::Events(vec![PlatformEvent {
            kind: EventKind::Mention,
            mentioned: users,
            teams,
            ..event
        }]);
    }
    match message_type {
        "incoming" => Mapped::Events(vec![event]),
        "outgoing" if by_user => Mapped::Events(vec![event]),
        "outgoing" => Mapped::Ignored("a message sent by a bot or an automation".into()),
        "activity" => Mapped::Ignored("an activity message".into()),
        other => Mapped::Ignored(format!("a {other:?} message")),
    }
}

/// An event with nothing in it but its time.
fn blank(now: DateTime<Utc>) -> PlatformEvent {
    PlatformEvent::new(String::new(), EventKind::Reply, now)
}

/// The conversation as Herald names it: Chatwoot's display id (what its dashboard shows and
/// links with), inbox, team, customer, a link to it.
fn conversation_ref(c: &Value, account: &Account) -> Option<ConversationRef> {
    let id = c
        .get("display_id")
        .or_else(|| c.get("id"))
        .and_then(id_of)?;
    let customer = c
        .pointer("/meta/sender/name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .map(str::to_owned);
    let subject = c
        .pointer("/additional_attributes/mail_subject")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| match &customer {
            Some(name) => format!("{name} (#{id})"),
            None => format!("Conversation #{id}"),
        });
    Some(ConversationRef {
        url: Some(format!(
            "{}/app/accounts/{}/conversations/{id}",
            account.base_url, account.id
        )),
        inbox_id: c.get("inbox_id").and_then(id_of),
        team_id: c.pointer("/meta/team/id").and_then(id_of),
        subject: Some(subject),
        customer_name: customer,
        id,
    })
}

/// The conversation's assignee when it is a user (not a bot).
fn assignee(c: &Value) -> Option<String> {
    let bot = c
        .pointer("/meta/assignee_type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("AgentBot"));
    let user = c.pointer("/meta/assignee/type").and_then(Value::as_str);
    if bot || user.is_some_and(|t| !t.eq_ignore_ascii_case("user")) {
        return None;
    }
    c.pointer("/meta/assignee/id").and_then(id_of)
}

/// `changed_attributes`' new value of `key`: `None` when it did not change, `Some(None)`
/// when it changed to nothing. Chatwoot sends a list of one-key objects; an object is read
/// the same way.
fn changed_to(c: &Value, key: &str) -> Option<Option<String>> {
    let changes = c.get("changed_attributes")?;
    let change = match changes {
        Value::Array(list) => list.iter().find_map(|entry| entry.get(key)),
        Value::Object(_) => changes.get(key),
        _ => None,
    }?;
    Some(change.get("current_value").and_then(id_of))
}

/// An id Chatwoot sends as a number or a string.
fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s) if !s.trim().is_empty() && s.len() <= 100 => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// A time Chatwoot sends as Unix seconds or as an ISO 8601 string.
fn time_of(v: Option<&Value>) -> Option<DateTime<Utc>> {
    match v? {
        Value::Number(n) => DateTime::from_timestamp(n.as_f64()? as i64, 0),
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    }
}

/// The users and teams a note mentions: `[@Name](mention://user/ID/Name)` and
/// `[@Team](mention://team/ID/Team)`, each id once, in order.
pub fn mentions(content: &str) -> (Vec<String>, Vec<String>) {
    let (mut users, mut teams) = (Vec::new(), Vec::new());
    for (at, marker) in content.match_indices("mention://") {
        let rest = &content[at + marker.len()..];
        let (list, rest) = if let Some(r) = rest.strip_prefix("user/") {
            (&mut users, r)
        } else if let Some(r) = rest.strip_prefix("team/") {
            (&mut teams, r)
        } else {
            continue;
        };
        let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !id.is_empty() && id.len() <= 20 && !list.contains(&id) {
            list.push(id);
        }
    }
    (users, teams)
}

/// The note as a person reads it: `[@Ana Souza](mention://user/5/Ana%20Souza)` becomes
/// `@Ana Souza`; everything else stays as it was (it is shown as plain text anyway).
pub fn plain_text(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(start) = rest.find("[@") {
        let after = &rest[start + 1..];
        let link = after.find("](mention://").and_then(|label_end| {
            let tail = &after[label_end + 2..];
            tail.find(')')
                .map(|close| (label_end, label_end + 2 + close + 1))
        });
        match link {
            Some((label_end, end)) if !after[..label_end].contains(['[', ']']) => {
                out.push_str(&rest[..start]);
                out.push_str(&after[..label_end]);
                rest = &after[end..];
            }
            _ => {
                out.push_str(&rest[..start + 2]);
                rest = &rest[start + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
