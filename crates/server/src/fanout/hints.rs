//! The hints nodes send each other on PostgreSQL's channel `herald`: a few bytes naming
//! what changed, never the change itself (a node reads that from the database).
//!
//! - `i <node> <agent>:<seq> <agent>:<seq> …`: the agents' items up to these seqs are
//!   committed (sent by a node's ingest batch, in its transaction; that node's own writer
//!   hands them to its streams, so it skips its own);
//! - `n <node> <id> <agent>`: notice `id` of `stream_notices` is for the agent's streams;
//! - `s <node> <session> <reason>`: close that session's streams;
//! - `a <node> <agent> <reason>`: close that agent's streams;
//! - `f <node> <agent>:<session>:<1|0> …`: those sessions' windows came to the front of
//!   their agents (1, also sent again every few seconds while they stay) or left it (0).
//!
//! A payload stays under PostgreSQL's limit of 8000 bytes: item and presence hints are
//! split.

use herald_protocol::CloseReason;
use uuid::Uuid;

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
    /// Windows in front of their agents, or not, on a node: (agent, session, in front).
    Presence {
        node: String,
        changes: Vec<(Uuid, Uuid, bool)>,
    },
}

impl Hint {
    /// The node that sent it.
    pub fn node(&self) -> &str {
        match self {
            Hint::Items { node, .. }
            | Hint::Notice { node, .. }
            | Hint::CloseSession { node, .. }
            | Hint::CloseAgent { node, .. }
            | Hint::Presence { node, .. } => node,
        }
    }

    /// Reads a payload; `None` for anything else (a newer node's hint, a stray NOTIFY).
    pub fn parse(payload: &str) -> Option<Hint> {
        let mut words = payload.split(' ');
        match words.next()? {
            "i" => {
                let node = words.next()?.to_owned();
                let mut items = Vec::new();
                for word in words {
                    let (agent, seq) = word.split_once(':')?;
                    items.push((Uuid::parse_str(agent).ok()?, seq.parse().ok()?));
                }
                // This side never sends a hint that names nothing.
                (!items.is_empty()).then_some(Hint::Items { node, items })
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
            "f" => {
                let node = words.next()?.to_owned();
                let mut changes = Vec::new();
                for word in words {
                    let mut parts = word.split(':');
                    let agent = Uuid::parse_str(parts.next()?).ok()?;
                    let session = Uuid::parse_str(parts.next()?).ok()?;
                    let in_front = match parts.next()? {
                        "1" => true,
                        "0" => false,
                        _ => return None,
                    };
                    changes.push((agent, session, in_front));
                }
                (!changes.is_empty()).then_some(Hint::Presence { node, changes })
            }
            _ => None,
        }
    }
}

/// Item hints of `node` for `(agent, last seq)` pairs, split to fit a payload each.
pub fn items(node: &str, seqs: impl IntoIterator<Item = (Uuid, u64)>) -> Vec<String> {
    split(
        &format!("i {node}"),
        seqs.into_iter()
            .map(|(agent, seq)| format!(" {agent}:{seq}")),
    )
}

/// Presence hints of `node` for `(agent, session, in front)`, split to fit a payload each.
pub fn presence(node: &str, changes: impl IntoIterator<Item = (Uuid, Uuid, bool)>) -> Vec<String> {
    split(
        &format!("f {node}"),
        changes
            .into_iter()
            .map(|(agent, session, front)| format!(" {agent}:{session}:{}", u8::from(front))),
    )
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

    #[test]
    fn item_hints_read_back_and_fit_a_payload() {
        let seqs: Vec<(Uuid, u64)> = (0..400).map(|n| (Uuid::new_v4(), n * 1000)).collect();
        let payloads = items("n1", seqs.clone());
        assert!(payloads.len() > 1, "400 agents do not fit one payload");
        let mut back = Vec::new();
        for payload in &payloads {
            assert!(payload.len() < 8000, "{}", payload.len());
            match Hint::parse(payload) {
                Some(Hint::Items { node, items }) => {
                    assert_eq!(node, "n1");
                    back.extend(items);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(back, seqs);
        assert!(items("n1", []).is_empty());
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
        let changes: Vec<(Uuid, Uuid, bool)> = (0..300)
            .map(|n| (Uuid::new_v4(), Uuid::new_v4(), n % 3 != 0))
            .collect();
        let payloads = presence("n1", changes.clone());
        assert!(payloads.len() > 1, "300 sessions do not fit one payload");
        let mut back = Vec::new();
        for payload in &payloads {
            assert!(payload.len() < 8000, "{}", payload.len());
            match Hint::parse(payload) {
                Some(Hint::Presence { node, changes }) => {
                    assert_eq!(node, "n1");
                    back.extend(changes);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(back, changes);
        assert!(presence("n1", []).is_empty());
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
            "n n1 x y",
            "s n1 bad bad",
            "a",
            "f",
            "f n1",
            format!("f n1 {a}:{s}:2").as_str(),
            format!("f n1 {a}:{s}").as_str(),
            format!("f n1 {a}:nope:1").as_str(),
        ] {
            assert_eq!(Hint::parse(payload), None, "{payload:?}");
        }
    }
}
