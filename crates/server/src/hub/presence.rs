//! Where an agent's sessions have live streams on the other nodes, and whether their
//! windows (the desktop app, a browser tab) are in front of the agent: for routing pushes
//! (a phone waits while a computer is in use, a browser tab in front gets no Web Push),
//! for the devices list and for the apps "Save and test" waits for. This node's streams
//! are the hub's connections; each change to a session's streams here is told to the other
//! nodes (`fanout`, PostgreSQL only), and every session with a stream here is told again
//! every [`REFRESH`]. Another node's session is forgotten [`REMOTE_TTL`] after the last
//! hint about it, so a node that died lists nobody and holds nobody's pushes for longer
//! than that.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use herald_protocol::ClientKind;
use tokio::sync::mpsc;
use uuid::Uuid;

/// How often a node tells the others which sessions have streams on it.
pub const REFRESH: Duration = Duration::from_secs(10);
/// How long another node's session counts as live without hearing from it again.
pub const REMOTE_TTL: Duration = Duration::from_secs(30);

/// One session's streams on one node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Streams {
    /// How many (0: none left there).
    pub count: u32,
    /// What the client said it is, if it did.
    pub kind: Option<ClientKind>,
    /// One of them says its window is in front of the agent.
    pub in_front: bool,
    /// The name the client gave (cleaned), if it did.
    pub name: Option<String>,
}

impl Streams {
    /// A window of a computer is in front of the agent: the desktop app's, a browser tab's
    /// (or an older client's, which did not say). The phone app in front is not: the
    /// agent is not at a computer, and its phone's pushes do not wait for it.
    pub fn computer_in_front(&self) -> bool {
        self.in_front && at_a_computer(self.kind)
    }
}

/// Whether a client of this kind runs on a computer (an unknown one is taken to).
pub(super) fn at_a_computer(kind: Option<ClientKind>) -> bool {
    kind != Some(ClientKind::PhoneApp)
}

/// What a node tells the others: a session of an agent has these streams on it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Whose session.
    pub agent: Uuid,
    /// Which.
    pub session: Uuid,
    /// Its streams on that node now.
    pub streams: Streams,
}

/// A session's streams on another node, and when that node last said so.
#[derive(Debug, Clone)]
struct Heard {
    streams: Streams,
    at: DateTime<Utc>,
}

/// Another node's sessions of one agent, by (node, session): one session may have streams
/// on two nodes (a tab on each, or a stream that moved and one not closed yet).
type Remote = HashMap<(String, Uuid), Heard>;

/// What this node knows beyond its own connections.
#[derive(Debug, Default)]
pub(super) struct Presence {
    /// When a window of each agent last left the front (here or on another node).
    last_front: Mutex<HashMap<Uuid, DateTime<Utc>>>,
    /// Other nodes' sessions, by agent.
    remote: Mutex<HashMap<Uuid, Remote>>,
    /// Where this node's changes go to be told to the others (set on PostgreSQL).
    changes: OnceLock<mpsc::UnboundedSender<Change>>,
}

fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn ttl() -> chrono::Duration {
    chrono::Duration::from_std(REMOTE_TTL).unwrap_or(chrono::Duration::MAX)
}

impl Presence {
    /// Sends this node's changes to `to` from now on.
    pub(super) fn tell(&self, to: mpsc::UnboundedSender<Change>) {
        let _ = self.changes.set(to);
    }

    /// A session's streams on this node changed: `change` says how, made only when there
    /// are other nodes to tell (never on SQLite).
    pub(super) fn changed(&self, change: impl FnOnce() -> Change) {
        if let Some(to) = self.changes.get() {
            let _ = to.send(change());
        }
    }

    /// A computer's window of this node left the front of `agent`.
    pub(super) fn left_front(&self, agent: Uuid, now: DateTime<Utc>) {
        guard(&self.last_front).insert(agent, now);
    }

    /// Another node says what streams a session has there now.
    pub(super) fn heard(&self, node: &str, change: Change, now: DateTime<Utc>) {
        let mut remote = guard(&self.remote);
        let sessions = remote.entry(change.agent).or_default();
        let key = (node.to_owned(), change.session);
        let in_front = change.streams.count > 0 && change.streams.computer_in_front();
        let before = if change.streams.count == 0 {
            sessions.remove(&key)
        } else {
            let heard = Heard {
                streams: change.streams,
                at: now,
            };
            sessions.insert(key, heard)
        };
        let left_front = !in_front && before.is_some_and(|b| b.streams.computer_in_front());
        if sessions.is_empty() {
            remote.remove(&change.agent);
        }
        drop(remote);
        if left_front {
            self.left_front(change.agent, now);
        }
    }

    /// The agent's sessions on other nodes heard from within [`REMOTE_TTL`], one entry per
    /// node and session. Those not heard from since are dropped; a window among them that
    /// was in front counts as having left when last heard.
    pub(super) fn remote(&self, agent: Uuid, now: DateTime<Utc>) -> Vec<(Uuid, Streams)> {
        let mut remote = guard(&self.remote);
        let Some(sessions) = remote.get_mut(&agent) else {
            return Vec::new();
        };
        let mut gone = None::<DateTime<Utc>>;
        sessions.retain(|_, heard| {
            let fresh = now - heard.at <= ttl();
            if !fresh && heard.streams.computer_in_front() {
                gone = gone.max(Some(heard.at));
            }
            fresh
        });
        let found = sessions
            .iter()
            .map(|((_, session), heard)| (*session, heard.streams.clone()))
            .collect();
        if sessions.is_empty() {
            remote.remove(&agent);
        }
        drop(remote);
        if let Some(heard) = gone {
            let mut last = guard(&self.last_front);
            let entry = last.entry(agent).or_insert(heard);
            *entry = (*entry).max(heard);
        }
        found
    }

    /// When a computer's window of `agent` last left the front, here or elsewhere.
    pub(super) fn last_left(&self, agent: Uuid) -> Option<DateTime<Utc>> {
        guard(&self.last_front).get(&agent).copied()
    }
}
