//! The hints nodes send each other on PostgreSQL's channel `herald`: a few bytes naming
//! what changed, never the change itself (a node reads that from the database).
//!
//! - `i <agent>:<seq> <agent>:<seq> …`: the agents' items up to these seqs are committed
//!   (sent by the ingest batch, in its transaction);
//! - `n <node> <id> <agent>`: notice `id` of `stream_notices` is for the agent's streams;
//! - `s <node> <session> <reason>`: close that session's streams;
//! - `a <node> <agent> <reason>`: close that agent's streams.
//!
//! A payload stays under PostgreSQL's limit of 8000 bytes: item hints are split.

use herald_protocol::CloseReason;
use uuid::Uuid;

/// The channel.
pub const CHANNEL: &str = "herald";

/// Longest payload this side makes (PostgreSQL refuses 8000 bytes or more).
const MAX_PAYLOAD: usize = 7000;

/// A hint as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    /// Items committed, up to a seq per agent.
    Items(Vec<(Uuid, u64)>),
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
}

impl Hint {
    /// The node that sent it (`None` for item hints, which any node may see twice safely).
    pub fn node(&self) -> Option<&str> {
        match self {
            Hint::Items(_) => None,
            Hint::Notice { node, .. }
            | Hint::CloseSession { node, .. }
            | Hint::CloseAgent { node, .. } => Some(node),
        }
    }

    /// Reads a payload; `None` for anything else (a newer node's hint, a stray NOTIFY).
    pub fn parse(payload: &str) -> Option<Hint> {
        let mut words = payload.split(' ');
        match words.next()? {
            "i" => {
                let mut items = Vec::new();
                for word in words {
                    let (agent, seq) = word.split_once(':')?;
                    items.push((Uuid::parse_str(agent).ok()?, seq.parse().ok()?));
                }
                Some(Hint::Items(items))
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
            _ => None,
        }
    }
}

/// Item hints for `(agent, last seq)` pairs, split to fit a payload each.
pub fn items(seqs: impl IntoIterator<Item = (Uuid, u64)>) -> Vec<String> {
    let mut payloads = Vec::new();
    let mut current = String::from("i");
    for (agent, seq) in seqs {
        let word = format!(" {agent}:{seq}");
        if current.len() + word.len() > MAX_PAYLOAD {
            payloads.push(std::mem::replace(&mut current, String::from("i")));
        }
        current.push_str(&word);
    }
    if current.len() > 1 {
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
        let payloads = items(seqs.clone());
        assert!(payloads.len() > 1, "400 agents do not fit one payload");
        let mut back = Vec::new();
        for payload in &payloads {
            assert!(payload.len() < 8000, "{}", payload.len());
            match Hint::parse(payload) {
                Some(Hint::Items(items)) => back.extend(items),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(back, seqs);
        assert!(items([]).is_empty());
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
    fn strays_are_ignored() {
        for payload in ["", "x", "i nope", "i a:1", "n n1 x y", "s n1 bad bad", "a"] {
            assert_eq!(Hint::parse(payload), None, "{payload:?}");
        }
    }
}
