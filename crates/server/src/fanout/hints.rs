//! The hints nodes send each other on PostgreSQL's channel `herald`: a few bytes naming
//! what changed, never the change itself (a node reads that from the database).
//!
//! - `i <node> <ms> <agent>:<seq> <agent>:<seq> …`: the agents' items up to these seqs are
//!   committed (sent by a node's ingest batch, in its transaction, stamped with the batch's
//!   time in milliseconds since 1970 for the fan-out lag; that node's own writer hands
//!   them to its streams, so it skips its own);
//! - `n <node> <id> <agent>`: notice `id` of `stream_notices` is for the agent's streams;
//! - `s <node> <session> <reason>`: close that session's streams;
//! - `a <node> <agent> <reason>`: close that agent's streams;
//! - `l <node> <agent>:<session>:<streams>:<kind>:<front>:<name> …`: those sessions have
//!   that many streams on the node now (0: none left), of that kind (`d` the desktop app,
//!   `w` the web app, `-` not said yet), a window in front of the agent or not (1 or 0),
//!   the name the client gave (base64url of its UTF-8, empty if none); sent on each change
//!   and again every few seconds for every session with a stream (`hub::presence`).
//!
//! A payload stays under PostgreSQL's limit of 8000 bytes: item and presence hints are
//! split.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use herald_protocol::{ClientKind, CloseReason};
use uuid::Uuid;

use crate::hub::presence::{Change, Streams};

/// The channel.
pub const CHANNEL: &str = "herald";

/// Longest payload this side makes (PostgreSQL refuses 8000 bytes or more).
const MAX_PAYLOAD: usize = 7000;

/// A hint as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    /// Items committed by a node, up to a seq per agent.
    Items {
        node: String,
        /// When the batch that committed them began, on that node's clock.
        at: DateTime<Utc>,
        items: Vec<(Uuid, u64)>,
    },
    /// A notice for an agent's streams, from a node.
    Notice { node: String, id: i64, agent: Uuid },
    /// Close a session's streams.
    CloseSession {
        node: String,
        session: Uuid,
        reason: CloseReason,
    },
    /// Close an agent's streams.
    CloseAgent {
        node: String,
        agent: Uuid,
        reason: CloseReason,
    },
    /// Sessions' streams on a node now.
    Presence { node: String, changes: Vec<Change> },
}

impl Hint {
    /// The node that sent a payload (every kind names it second), read without reading the
    /// rest: a node skips its own hints before parsing them.
    pub fn sender(payload: &str) -> Option<&str> {
        payload.split(' ').nth(1)
    }

    /// Reads a payload; `None` for anything else (a newer node's hint, a stray NOTIFY).
    pub fn parse(payload: &str) -> Option<Hint> {
        let mut words = payload.split(' ');
        match words.next()? {
            "i" => {
                let node = words.next()?.to_owned();
                let at = DateTime::from_timestamp_millis(words.next()?.parse().ok()?)?;
                let mut items = Vec::new();
                for word in words {
                    let (agent, seq) = word.split_once(':')?;
                    items.push((Uuid::parse_str(agent).ok()?, seq.parse().ok()?));
                }
                // This side never sends a hint that names nothing.
                (!items.is_empty()).then_some(Hint::Items { node, at, items })
            }
            "n" => Some(Hint::Notice {
                node: words.next()?.to_owned(),
                id: words.next()?.parse().ok()?,
                agent: Uuid::parse_str(words.next()?).ok()?,
            }),
            kind @ ("s" | "a") => {
                let node = words.next()?.to_owned();
                let id = Uuid::parse_str(words.next()?).ok()?;
                let reason = reason_from(words.next()?)?;
                Some(if kind == "s" {
                    Hint::CloseSession {
                        node,
                        session: id,
                        reason,
                    }
                } else {
                    Hint::CloseAgent {
                        node,
                        agent: id,
                        reason,
                    }
                })
            }
            "l" => {
                let node = words.next()?.to_owned();
                let changes = words.map(read_change).collect::<Option<Vec<_>>>()?;
                (!changes.is_empty()).then_some(Hint::Presence { node, changes })
            }
            _ => None,
        }
    }
}

/// Item hints of `node` for `(agent, last seq)` pairs committed by a batch that began `at`,
/// split to fit a payload each.
pub fn items(
    node: &str,
    at: DateTime<Utc>,
    seqs: impl IntoIterator<Item = (Uuid, u64)>,
) -> Vec<String> {
    split(
        &format!("i {node} {}", at.timestamp_millis()),
        seqs.into_iter()
            .map(|(agent, seq)| format!(" {agent}:{seq}")),
    )
}

/// Presence hints of `node` for sessions' streams, split to fit a payload each.
pub fn presence(node: &str, changes: impl IntoIterator<Item = Change>) -> Vec<String> {
    split(&format!("l {node}"), changes.into_iter().map(write_change))
}

fn write_change(change: Change) -> String {
    let Streams {
        count,
        kind,
        in_front,
        name,
    } = change.streams;
    let kind = match kind {
        Some(ClientKind::DesktopApp) => "d",
        Some(ClientKind::WebApp) => "w",
        Some(ClientKind::PhoneApp) => "p",
        None => "-",
    };
    let name = name.map(|n| B64.encode(n)).unwrap_or_default();
    let (agent, session, front) = (change.agent, change.session, u8::from(in_front));
    format!(" {agent}:{session}:{count}:{kind}:{front}:{name}")
}

fn read_change(word: &str) -> Option<Change> {
    let mut parts = word.split(':');
    let agent = Uuid::parse_str(parts.next()?).ok()?;
    let session = Uuid::parse_str(parts.next()?).ok()?;
    let count = parts.next()?.parse().ok()?;
    let kind = match parts.next()? {
        "d" => Some(ClientKind::DesktopApp),
        "w" => Some(ClientKind::WebApp),
        "p" => Some(ClientKind::PhoneApp),
        "-" => None,
        _ => return None,
    };
    let in_front = match parts.next()? {
        "1" => true,
        "0" => false,
        _ => return None,
    };
    let name = match parts.next()? {
        "" => None,
        encoded => Some(String::from_utf8(B64.decode(encoded).ok()?).ok()?),
    };
    if parts.next().is_some() {
        return None;
    }
    Some(Change {
        agent,
        session,
        streams: Streams {
            count,
            kind,
            in_front,
            name,
        },
    })
}

/// `head` followed by as many words as fit, for each payload; none without words.
fn split(head: &str, words: impl Iterator<Item = String>) -> Vec<String> {
    let mut payloads = Vec::new();
    let mut current = head.to_owned();
    for word in words {
        if current.len() + word.len() > MAX_PAYLOAD {
            payloads.push(std::mem::replace(&mut current, head.to_owned()));
        }
        current.push_str(&word);
    }
    if current.len() > head.len() {
        payloads.push(current);
    }
    payloads
}

/// A close hint.
pub fn close(node: &str, session: bool, id: Uuid, reason: CloseReason) -> String {
    let kind = if session { "s" } else { "a" };
    format!("{kind} {node} {id} {}", reason_name(reason))
}

fn reason_name(reason: CloseReason) -> String {
    serde_json::to_string(&reason)
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned()
}

fn reason_from(name: &str) -> Option<CloseReason> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `sent` into payloads with `make`, reads them back with `read`: several
    /// payloads, each under PostgreSQL's limit, all of `sent` back in order.
    fn round_trip<T: Clone + PartialEq + std::fmt::Debug>(
        sent: Vec<T>,
        make: impl Fn(Vec<T>) -> Vec<String>,
        read: impl Fn(Hint) -> Option<(String, Vec<T>)>,
    ) {
        let payloads = make(sent.clone());
        assert!(payloads.len() > 1, "{} do not fit one payload", sent.len());
        let mut back = Vec::new();
        for payload in &payloads {
            assert!(payload.len() < 8000, "{}", payload.len());
            let hint = Hint::parse(payload).expect("a hint");
            let (node, part) = read(hint).expect("of the kind sent");
            assert_eq!(node, "n1");
            back.extend(part);
        }
        assert_eq!(back, sent);
        assert!(make(Vec::new()).is_empty());
    }

    #[test]
    fn item_hints_read_back_and_fit_a_payload() {
        let at = DateTime::from_timestamp_millis(1_796_000_000_123).expect("a time");
        round_trip(
            (0..400).map(|n| (Uuid::new_v4(), n * 1000)).collect(),
            |seqs| items("n1", at, seqs),
            |hint| match hint {
                Hint::Items {
                    node,
                    at: read,
                    items,
                } => {
                    assert_eq!(read, at, "the stamp to the millisecond");
                    Some((node, items))
                }
                _ => None,
            },
        );
    }

    #[test]
    fn close_and_notice_hints_read_back() {
        let id = Uuid::new_v4();
        for reason in [CloseReason::SessionRevoked, CloseReason::AgentDisabled] {
            assert_eq!(
                Hint::parse(&close("n1", true, id, reason)),
                Some(Hint::CloseSession {
                    node: "n1".into(),
                    session: id,
                    reason
                })
            );
        }
        assert_eq!(
            Hint::parse(&close("n1", false, id, CloseReason::AgentDisabled)),
            Some(Hint::CloseAgent {
                node: "n1".into(),
                agent: id,
                reason: CloseReason::AgentDisabled
            })
        );
        assert_eq!(
            Hint::parse(&format!("n n2 42 {id}")),
            Some(Hint::Notice {
                node: "n2".into(),
                id: 42,
                agent: id
            })
        );
    }

    #[test]
    fn presence_hints_read_back_and_fit_a_payload() {
        let names = [
            None,
            Some("Herald for Linux on ana: 2 % off"),
            Some("Ünïcödé 🔔"),
        ];
        let kinds = [
            None,
            Some(ClientKind::DesktopApp),
            Some(ClientKind::WebApp),
            Some(ClientKind::PhoneApp),
        ];
        round_trip(
            (0..100u32)
                .map(|n| Change {
                    agent: Uuid::new_v4(),
                    session: Uuid::new_v4(),
                    streams: Streams {
                        count: n % 3,
                        kind: kinds[n as usize % kinds.len()],
                        in_front: n % 2 == 0,
                        name: names[n as usize % 3].map(str::to_owned),
                    },
                })
                .collect(),
            |changes| presence("n1", changes),
            |hint| match hint {
                Hint::Presence { node, changes } => Some((node, changes)),
                _ => None,
            },
        );
        // The longest name a client may give, in four-byte characters, still fits.
        let long = Change {
            agent: Uuid::new_v4(),
            session: Uuid::new_v4(),
            streams: Streams {
                name: Some("🔔".repeat(herald_protocol::push::DEVICE_NAME_MAX)),
                ..Streams::default()
            },
        };
        let payloads = presence("n1", [long.clone()]);
        assert_eq!(payloads.len(), 1);
        assert_eq!(
            Hint::parse(&payloads[0]),
            Some(Hint::Presence {
                node: "n1".into(),
                changes: vec![long]
            })
        );
    }

    #[test]
    fn every_kind_names_its_sender_second() {
        let id = Uuid::new_v4();
        let at = DateTime::from_timestamp_millis(1_796_000_000_123).expect("a time");
        let change = Change {
            agent: id,
            session: id,
            streams: Streams::default(),
        };
        for payload in [
            items("n1", at, [(id, 1)]).remove(0),
            presence("n1", [change]).remove(0),
            close("n1", true, id, CloseReason::SessionRevoked),
            close("n1", false, id, CloseReason::AgentDisabled),
            format!("n n1 42 {id}"),
        ] {
            assert_eq!(Hint::sender(&payload), Some("n1"), "{payload}");
            assert!(Hint::parse(&payload).is_some(), "{payload}");
        }
        assert_eq!(Hint::sender("x"), None);
    }

    #[test]
    fn strays_are_ignored() {
        let (a, s) = (Uuid::new_v4(), Uuid::new_v4());
        for payload in [
            "",
            "x",
            "i nope",
            "i n1 nope",
            "i n1 a:1",
            "i n1 1796000000123",
            format!("i n1 {a}:1").as_str(), // no stamp
            format!("i n1 x {a}:1").as_str(),
            "n n1 x y",
            "s n1 bad bad",
            "a",
            "l",
            "l n1",
            format!("f n1 {a}:{s}:1").as_str(), // the presence hint before stream counts
            format!("l n1 {a}:{s}:1:d:2:").as_str(),
            format!("l n1 {a}:{s}:1:x:1:").as_str(),
            format!("l n1 {a}:{s}:-1:d:1:").as_str(),
            format!("l n1 {a}:{s}:1:d:1").as_str(),
            format!("l n1 {a}:{s}:1:d:1::").as_str(),
            format!("l n1 {a}:{s}:1:d:1:*").as_str(),
            format!("l n1 {a}:{s}:1:d:1:_w").as_str(), // not UTF-8
            format!("l n1 {a}:nope:1:d:1:").as_str(),
        ] {
            assert_eq!(Hint::parse(payload), None, "{payload:?}");
        }
    }
}
