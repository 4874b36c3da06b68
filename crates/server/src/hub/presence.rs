//! Whether an agent's windows (the desktop app, a browser tab) are in front of them, for
//! routing pushes: a phone waits while a computer is in use, a browser tab in front gets no
//! Web Push. This node's windows say so on their streams (the hub's connections); the other
//! nodes' windows arrive as hints (`fanout`, PostgreSQL only), sent again every
//! [`REFRESH`] while they stay in front and forgotten [`REMOTE_TTL`] after the last one, so
//! a node that died holds nobody's pushes for longer than that.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use uuid::Uuid;

/// How often a node tells the others which of its windows are in front.
pub const REFRESH: Duration = Duration::from_secs(10);
/// How long another node's window counts as in front without hearing from it again.
pub const REMOTE_TTL: Duration = Duration::from_secs(30);

/// A window came to the front of its agent or left it: (agent, session, in front).
pub type Change = (Uuid, Uuid, bool);

/// What this node knows beyond its own connections.
#[derive(Debug, Default)]
pub(super) struct Presence {
    /// When a window of each agent last left the front (here or on another node).
    last_front: Mutex<HashMap<Uuid, DateTime<Utc>>>,
    /// Other nodes' windows in front: agent → session → when last heard.
    remote: Mutex<HashMap<Uuid, HashMap<Uuid, DateTime<Utc>>>>,
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

    /// A window of this node came to the front or left it.
    pub(super) fn changed(&self, change: Change, now: DateTime<Utc>) {
        if !change.2 {
            guard(&self.last_front).insert(change.0, now);
        }
        if let Some(to) = self.changes.get() {
            let _ = to.send(change);
        }
    }

    /// Another node says a window of `session` is in front of `agent` (again), or left.
    pub(super) fn heard(&self, (agent, session, in_front): Change, now: DateTime<Utc>) {
        let mut remote = guard(&self.remote);
        if in_front {
            remote.entry(agent).or_default().insert(session, now);
            return;
        }
        let Some(sessions) = remote.get_mut(&agent) else {
            return;
        };
        if sessions.remove(&session).is_some() {
            guard(&self.last_front).insert(agent, now);
        }
        if sessions.is_empty() {
            remote.remove(&agent);
        }
    }

    /// Whether another node's window of `session` (any session when `None`) is in front
    /// of `agent`, heard within [`REMOTE_TTL`]. Windows not heard from since are dropped
    /// and count as having left when last heard.
    pub(super) fn remote_in_front(
        &self,
        agent: Uuid,
        session: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> bool {
        let mut remote = guard(&self.remote);
        let Some(sessions) = remote.get_mut(&agent) else {
            return false;
        };
        let mut gone = None::<DateTime<Utc>>;
        sessions.retain(|_, heard| {
            let fresh = now - *heard <= ttl();
            if !fresh {
                gone = gone.max(Some(*heard));
            }
            fresh
        });
        let found = match session {
            Some(session) => sessions.contains_key(&session),
            None => !sessions.is_empty(),
        };
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

    /// When a window of `agent` last left the front, here or elsewhere.
    pub(super) fn last_left(&self, agent: Uuid) -> Option<DateTime<Utc>> {
        guard(&self.last_front).get(&agent).copied()
    }
}
