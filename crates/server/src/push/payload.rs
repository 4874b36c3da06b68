//! What a push carries and its headers: the message the service worker shows (as text), its
//! Urgency, and a Topic per conversation so a burst collapses at the push service.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use herald_protocol::{EventKind, Notification, Reminder};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Largest plaintext: a push message is at most 4096 bytes once encrypted (RFC 8291: the
/// 86-byte header, one padding delimiter and the 16-byte tag come on top).
pub const MAX_PLAINTEXT: usize = 4096 - 86 - 17;

/// The message the service worker receives. Text only: it shows `title` and `body` as text
/// and opens `url` (a path of this server) on a click.
#[derive(Debug, Serialize)]
struct Message<'a> {
    /// Format version.
    v: u8,
    id: String,
    seq: u64,
    kind: &'a str,
    title: &'a str,
    body: &'a str,
    /// Notifications with one tag replace each other (one per conversation).
    tag: String,
    /// Alert again when replacing (mentions, assignments, the test).
    renotify: bool,
    /// Where a click goes: the item in the Herald web app.
    url: String,
    /// Why it is back: `snoozed` (a snooze ended) or `unanswered` (an assignment still
    /// unread); absent for a first notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    reminder: Option<&'static str>,
}

/// The message for an item, trimmed (body first, then title) to fit [`MAX_PLAINTEXT`].
pub fn message(n: &Notification) -> Vec<u8> {
    let tag = match &n.conversation {
        Some(c) => format!("conversation:{}", c.id),
        None => format!("item:{}", n.id),
    };
    let mut title: &str = &n.title;
    let mut body: &str = &n.body;
    loop {
        let encoded = serde_json::to_vec(&Message {
            v: 1,
            id: n.id.to_string(),
            seq: n.seq,
            kind: n.kind.as_str(),
            title,
            body,
            tag: tag.clone(),
            // A reminder replaces its conversation's notification and must alert again.
            renotify: loud(&n.kind) || n.context.reminder.is_some(),
            url: format!("/?item={}", n.id),
            reminder: n.context.reminder.map(|r| match r {
                Reminder::Snoozed => "snoozed",
                Reminder::Unanswered { .. } => "unanswered",
            }),
        })
        .unwrap_or_default();
        let over = encoded.len().saturating_sub(MAX_PLAINTEXT);
        if over == 0 {
            return encoded;
        }
        // Escaping can make a character cost up to 6 bytes in JSON; cut generously.
        if !body.is_empty() {
            body = cut(body, over + 1);
        } else if !title.is_empty() {
            title = cut(title, over + 1);
        } else {
            return encoded; // ids and tag alone always fit
        }
    }
}

/// `text` without at least `bytes` bytes at its end, on a character boundary.
fn cut(text: &str, bytes: usize) -> &str {
    let mut end = text.len().saturating_sub(bytes);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Mentions, assignments and the test interrupt; the rest can wait for a better moment.
fn loud(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Mention | EventKind::Assignment | EventKind::Test
    )
}

/// The Urgency header (RFC 8030 §5.3): `high` for what interrupts, `normal` otherwise.
pub fn urgency(kind: &EventKind) -> &'static str {
    if loud(kind) {
        "high"
    } else {
        "normal"
    }
}

/// The Topic header (RFC 8030 §5.4): one per conversation, so a newer push replaces one the
/// push service still holds for an offline browser. At most 32 base64url characters.
pub fn topic(conversation: Option<&str>) -> Option<String> {
    let id = conversation?;
    let digest = Sha256::digest(id.as_bytes());
    Some(B64.encode(&digest[..24]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(body: &str) -> Notification {
        let golden = include_str!("../../../protocol/tests/golden/notification.json");
        let mut n: Notification = serde_json::from_str(golden).expect("a notification");
        n.kind = EventKind::Mention;
        n.title = "Ana mentioned you <b>".into();
        n.body = body.into();
        n
    }

    #[test]
    fn the_message_fits_and_keeps_text_as_text() {
        let long = "é\"<".repeat(3000);
        let bytes = message(&item(&long));
        assert!(bytes.len() <= MAX_PLAINTEXT, "{}", bytes.len());
        let back: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(back["title"], "Ana mentioned you <b>");
        assert!(long.starts_with(back["body"].as_str().expect("body")));
        assert_eq!(back["tag"], "conversation:c-1042");
        assert_eq!(back["renotify"], true);
        assert_eq!(back["url"], "/?item=01930000-0000-7000-8000-000000000001");
        assert!(back.get("reminder").is_none(), "a first notification");
    }

    #[test]
    fn a_reminder_says_so_and_alerts_again() {
        let mut n = item("still there?");
        n.kind = EventKind::Reply;
        n.context.reminder = Some(Reminder::Snoozed);
        let back: serde_json::Value = serde_json::from_slice(&message(&n)).expect("JSON");
        assert_eq!(back["reminder"], "snoozed");
        assert_eq!(
            back["renotify"], true,
            "a reply's reminder alerts again too"
        );
    }

    #[test]
    fn headers() {
        assert_eq!(urgency(&EventKind::Assignment), "high");
        assert_eq!(urgency(&EventKind::Reply), "normal");
        let topic = topic(Some("conversation with a very long id")).expect("a topic");
        assert_eq!(topic.len(), 32);
        assert!(topic
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(super::topic(None), None);
    }
}
