//! What an agent's sessions have live, on this node and on the others (`presence`): the
//! devices list's streams, the desktop apps "Save and test" names and waits for, and the
//! windows in front that route pushes.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use herald_protocol::{ClientKind, SessionLive};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::presence::{Change, Streams};
use super::{Conn, Hub};

/// A session's streams among `conns` (one agent's on this node), as told to other nodes.
pub(super) fn change(agent: Uuid, session: Uuid, conns: &[Conn]) -> Change {
    let mut streams = Streams::default();
    for conn in conns.iter().filter(|c| c.session_id == session) {
        add(&mut streams, conn);
    }
    Change {
        agent,
        session,
        streams,
    }
}

/// One agent's streams on this node, per session.
fn by_session(conns: &[Conn]) -> HashMap<Uuid, Streams> {
    let mut sessions: HashMap<Uuid, Streams> = HashMap::new();
    for conn in conns {
        add(sessions.entry(conn.session_id).or_default(), conn);
    }
    sessions
}

fn add(streams: &mut Streams, conn: &Conn) {
    streams.count += 1;
    streams.in_front |= conn.in_front.load(Ordering::Relaxed);
    if let Some((kind, name)) = conn.client.get() {
        streams.kind = streams.kind.or(Some(*kind));
        streams.name.get_or_insert_with(|| name.clone());
    }
}

impl Hub {
    /// A session's streams here changed: the other nodes are told. Told under the lock, so
    /// two changes of one session are told in the order they happened.
    pub(super) fn session_changed(&self, agent: Uuid, session: Uuid) {
        let conns = self.lock();
        let list = conns.get(&agent).map_or(&[][..], |a| &a.conns[..]);
        self.presence.changed(|| change(agent, session, list));
    }

    /// Sends this node's session changes to `to` (the fan-out tells the other nodes).
    pub fn tell_presence(&self, to: mpsc::UnboundedSender<Change>) {
        self.presence.tell(to);
    }

    /// Another node (`node`) says what streams a session has there now.
    pub fn heard_presence(&self, node: &str, change: Change) {
        self.presence.heard(node, change, self.clock.now());
    }

    /// Every session with a stream here, with its streams: what the other nodes are told
    /// again every refresh.
    pub fn sessions(&self) -> Vec<Change> {
        let conns = self.lock();
        let mut out = Vec::new();
        for (agent, streams) in conns.iter() {
            out.extend(
                by_session(&streams.conns)
                    .into_iter()
                    .map(|(session, streams)| Change {
                        agent: *agent,
                        session,
                        streams,
                    }),
            );
        }
        out
    }

    /// The agent's sessions with streams here and on the other nodes, each once per node.
    fn everywhere(&self, agent_id: Uuid) -> Vec<(Uuid, Streams)> {
        let mut all: Vec<(Uuid, Streams)> = match self.lock().get(&agent_id) {
            Some(agent) => by_session(&agent.conns).into_iter().collect(),
            None => Vec::new(),
        };
        all.extend(self.presence.remote(agent_id, self.clock.now()));
        all
    }

    /// The agent's live streams now, on every node, per session.
    pub fn live(&self, agent_id: Uuid) -> HashMap<Uuid, SessionLive> {
        let mut out: HashMap<Uuid, SessionLive> = HashMap::new();
        for (session, streams) in self.everywhere(agent_id) {
            let live = out.entry(session).or_insert(SessionLive {
                streams: 0,
                kind: None,
                in_front: false,
            });
            live.streams += streams.count;
            live.kind = live.kind.or(streams.kind);
            live.in_front |= streams.in_front;
        }
        out
    }

    /// The agent's apps (desktop, phone) with a live stream now, on any node: (session,
    /// name), one per session, this node's first.
    pub fn apps(&self, agent_id: Uuid) -> Vec<(Uuid, String)> {
        let mut apps: Vec<(Uuid, String)> = Vec::new();
        for (session, streams) in self.everywhere(agent_id) {
            if let (Some(ClientKind::DesktopApp | ClientKind::PhoneApp), Some(name)) =
                (streams.kind, streams.name)
            {
                if !apps.iter().any(|(s, _)| *s == session) {
                    apps.push((session, name));
                }
            }
        }
        apps
    }

    /// Whether a live stream of this session, on any node, says its window is in front of
    /// the agent.
    pub fn in_front(&self, agent_id: Uuid, session_id: Uuid) -> bool {
        self.everywhere(agent_id)
            .iter()
            .any(|(session, streams)| *session == session_id && streams.in_front)
    }

    /// The last moment a Herald window of a computer (desktop app or browser, on any node;
    /// not the phone app) was in front of the agent: now if one is, else when the last one
    /// left; `None` if none was since the start.
    pub fn computer_active_at(&self, agent_id: Uuid) -> Option<DateTime<Utc>> {
        if self
            .everywhere(agent_id)
            .iter()
            .any(|(_, streams)| streams.computer_in_front())
        {
            return Some(self.clock.now());
        }
        self.presence.last_left(agent_id)
    }
}
