//! The registry of live streams: who is connected, and a bounded queue to each.
//!
//! Publishing never waits: a message goes into each of the agent's connection queues with
//! `try_send`; a full queue means that client is not keeping up, and it is closed with the
//! retryable `slow_consumer` code (it will resume from its last seq and miss nothing). Close
//! requests travel on a separate channel so they get through even when the queue is full.
//!
//! Items are handed on in seq order per agent, whichever node committed them (`order`):
//! what does not follow on from the last one handed on waits for the reader of `fanout`,
//! which reads the agent's rows from the database; how long another node's items waited
//! for that is the fan-out lag (`lag`). What each agent's sessions have live here and on
//! the other nodes: `live` and `presence`.

mod lag;
mod live;
mod order;
pub mod presence;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use herald_protocol::{ClientKind, Clock, CloseReason, ServerMessage, StreamClient};
use tokio::sync::{mpsc, watch, Notify};
use uuid::Uuid;

use crate::histogram::Histogram;

/// A serialised message on its way to one connection.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The item's seq, for items (a stream skips what its replay already sent).
    pub seq: Option<u64>,
    /// The JSON text frame.
    pub json: Arc<str>,
}

/// The frame of `ServerMessage::Item { replay: false, notification }` around the
/// notification's JSON: what serde writes for it, without serialising the item again.
pub fn live_item_frame(notification_json: &str) -> String {
    const HEAD: &str = r#"{"type":"item","replay":false,"notification":"#;
    let mut frame = String::with_capacity(HEAD.len() + notification_json.len() + 1);
    frame.push_str(HEAD);
    frame.push_str(notification_json);
    frame.push('}');
    frame
}

/// One live connection as the hub sees it.
#[derive(Debug)]
struct Conn {
    id: u64,
    session_id: Uuid,
    /// The client said its window is in front of the agent (`ClientMessage::Presence`).
    in_front: Arc<AtomicBool>,
    /// Who the client said it is (`resume`), with its name cleaned.
    client: Arc<OnceLock<(ClientKind, String)>>,
    queue: mpsc::Sender<Outgoing>,
    close: watch::Sender<Option<CloseReason>>,
}

/// One agent's live streams on this node, and where its items stand.
#[derive(Debug, Default)]
struct AgentStreams {
    conns: Vec<Conn>,
    order: order::Order,
    /// Other nodes' hints whose items are not handed on yet, for the fan-out lag.
    waiting: lag::Waiting,
}

/// The registry.
#[derive(Debug)]
pub struct Hub {
    conns: Mutex<HashMap<Uuid, AgentStreams>>,
    /// Wakes the reader (`fanout`) when an agent's items must be read from the database.
    reads: Arc<Notify>,
    next_id: AtomicU64,
    /// Most live streams one agent may hold.
    max_per_agent: usize,
    /// Messages that may wait for one connection before it counts as slow.
    queue_len: usize,
    /// Windows in front beyond this node's connections, and when they left, for routing
    /// pushes by presence.
    presence: presence::Presence,
    /// This node's name in the hints nodes send each other (12 random hex digits).
    node: Arc<str>,
    /// How long other nodes' items waited to be handed on here (`lag`).
    lag: Histogram,
    clock: Clock,
}

/// The fan-out lag's bucket bounds, in seconds.
const LAG_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What a stream task holds: its queue, its close signal; leaving drops it from the hub.
#[derive(Debug)]
pub struct Subscription {
    hub: Arc<Hub>,
    agent_id: Uuid,
    session_id: Uuid,
    id: u64,
    /// Serialised messages for this connection.
    pub queue: mpsc::Receiver<Outgoing>,
    /// Set when the server wants this connection closed.
    pub close: watch::Receiver<Option<CloseReason>>,
    in_front: Arc<AtomicBool>,
    client: Arc<OnceLock<(ClientKind, String)>>,
}

impl Subscription {
    /// Records who the client is (once, from its `resume`).
    pub fn set_client(&self, client: &StreamClient) {
        if self.client.set((client.kind, client.clean_name())).is_ok() {
            self.hub.session_changed(self.agent_id, self.session_id);
        }
    }

    /// The app's name (the desktop app's, the phone app's), if this stream is one: the
    /// apps raise their own notifications and report them.
    pub fn app_name(&self) -> Option<&str> {
        match self.client.get() {
            Some((ClientKind::DesktopApp | ClientKind::PhoneApp, name)) => Some(name),
            _ => None,
        }
    }

    /// Whether this stream's client runs on a computer (see [`presence::at_a_computer`]).
    fn at_a_computer(&self) -> bool {
        presence::at_a_computer(self.client.get().map(|(kind, _)| *kind))
    }

    /// Records whether the client's window is in front of the agent.
    pub fn set_in_front(&self, in_front: bool) {
        let was = self.in_front.swap(in_front, Ordering::Relaxed);
        if was != in_front {
            if was && self.at_a_computer() {
                self.hub
                    .presence
                    .left_front(self.agent_id, self.hub.clock.now());
            }
            self.hub.session_changed(self.agent_id, self.session_id);
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if self.in_front.load(Ordering::Relaxed) && self.at_a_computer() {
            self.hub
                .presence
                .left_front(self.agent_id, self.hub.clock.now());
        }
        let mut conns = self.hub.lock();
        if let Some(agent) = conns.get_mut(&self.agent_id) {
            agent.conns.retain(|c| c.id != self.id);
            let (agent_id, session_id) = (self.agent_id, self.session_id);
            self.hub
                .presence
                .changed(|| live::change(agent_id, session_id, &agent.conns));
            if agent.conns.is_empty() {
                conns.remove(&self.agent_id);
            }
        }
    }
}

impl Hub {
    /// A hub with the given limits, on the system clock.
    pub fn new(max_per_agent: usize, queue_len: usize) -> Arc<Hub> {
        Hub::with_clock(max_per_agent, queue_len, Clock::system())
    }

    /// A hub with the given limits and the server's clock.
    pub fn with_clock(max_per_agent: usize, queue_len: usize, clock: Clock) -> Arc<Hub> {
        Arc::new(Hub {
            conns: Mutex::new(HashMap::new()),
            reads: Arc::new(Notify::new()),
            next_id: AtomicU64::new(1),
            max_per_agent,
            queue_len,
            presence: presence::Presence::default(),
            node: Arc::from(&Uuid::new_v4().simple().to_string()[..12]),
            lag: Histogram::new(LAG_BUCKETS),
            clock,
        })
    }

    /// This node's name in hints.
    pub fn node(&self) -> &Arc<str> {
        &self.node
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, AgentStreams>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a connection; `None` when the agent already has the most allowed.
    pub fn subscribe(self: &Arc<Self>, agent_id: Uuid, session_id: Uuid) -> Option<Subscription> {
        let mut conns = self.lock();
        let list = &mut conns.entry(agent_id).or_default().conns;
        if list.len() >= self.max_per_agent {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (queue_tx, queue_rx) = mpsc::channel(self.queue_len);
        let (close_tx, close_rx) = watch::channel(None);
        let in_front = Arc::new(AtomicBool::new(false));
        let client = Arc::new(OnceLock::new());
        list.push(Conn {
            id,
            session_id,
            in_front: Arc::clone(&in_front),
            client: Arc::clone(&client),
            queue: queue_tx,
            close: close_tx,
        });
        self.presence
            .changed(|| live::change(agent_id, session_id, list));
        Some(Subscription {
            hub: Arc::clone(self),
            agent_id,
            session_id,
            id,
            queue: queue_rx,
            close: close_rx,
            in_front,
            client,
        })
    }

    /// Sends a message to every live stream of an agent.
    pub fn publish(&self, agent_id: Uuid, message: &ServerMessage) {
        // Most recipients are offline: do not serialise for nobody.
        if !self.is_connected(agent_id) {
            return;
        }
        let Ok(json) = serde_json::to_string(message) else {
            tracing::error!("a server message failed to serialise");
            return;
        };
        let seq = match message {
            ServerMessage::Item { notification, .. } => Some(notification.seq),
            _ => None,
        };
        self.send(
            agent_id,
            Outgoing {
                seq,
                json: Arc::from(json),
            },
        );
    }

    /// Sends a message already serialised (by another node) to every live stream of an
    /// agent. Not for items: they go through [`Hub::publish_committed`] or the reader.
    pub fn publish_json(&self, agent_id: Uuid, json: String) {
        self.send(
            agent_id,
            Outgoing {
                seq: None,
                json: Arc::from(json),
            },
        );
    }

    /// This node committed an agent's items, `(seq, notification JSON)` in seq order: hands
    /// them to its live streams (the JSON as the ingest writer stored it, not serialised
    /// again) if they follow on from the last item handed on, else leaves them to the
    /// reader. Returns how many streams' queues took each.
    pub fn publish_committed(&self, agent_id: Uuid, items: &[(u64, &str)]) -> Vec<usize> {
        let mut taken = vec![0; items.len()];
        let (Some(first), Some(last)) = (items.first(), items.last()) else {
            return taken;
        };
        let mut conns = self.lock();
        let Some(agent) = conns.get_mut(&agent_id) else {
            return taken;
        };
        match agent.order.committed(first.0, last.0) {
            order::Committed::Read => self.reads.notify_one(),
            order::Committed::HandOnAfter(after) => {
                for (n, (seq, json)) in items.iter().enumerate() {
                    taken[n] = if *seq > after {
                        send_to(&agent.conns, &item_outgoing(*seq, json))
                    } else {
                        // The reader handed it on already (a sweep read the agent between
                        // the commit and now): every stream here has it.
                        agent.conns.len()
                    };
                }
            }
        }
        taken
    }

    /// A hint from another node (stamped by it `at`; a sweep's has no stamp): the agent's
    /// items up to `seq` are committed.
    pub fn hinted(&self, agent_id: Uuid, seq: u64, at: Option<DateTime<Utc>>) {
        if let Some(agent) = self.lock().get_mut(&agent_id) {
            if let Some(at) = at.filter(|_| agent.order.published().is_none_or(|p| p < seq)) {
                agent.waiting.hinted(seq, at);
            }
            if agent.order.hinted(seq) {
                self.reads.notify_one();
            }
        }
    }

    /// A stream of the agent read where its items stand (`latest`) and replays up to there.
    pub fn floor(&self, agent_id: Uuid, latest: u64) {
        if let Some(agent) = self.lock().get_mut(&agent_id) {
            // What the replay sends did not wait for the fan-out.
            let _ = agent.waiting.handed_on(latest, self.clock.now());
            if agent.order.floor(latest) {
                self.reads.notify_one();
            }
        }
    }

    /// Hints may have been missed: every agent with a live stream here is read again.
    pub fn catch_up_all(&self) {
        let mut wake = false;
        for agent in self.lock().values_mut() {
            wake |= agent.order.catch_up();
        }
        if wake {
            self.reads.notify_one();
        }
    }

    /// The agents with a live stream here and the last seq handed to them.
    pub fn agents(&self) -> Vec<(Uuid, Option<u64>)> {
        self.lock()
            .iter()
            .map(|(id, agent)| (*id, agent.order.published()))
            .collect()
    }

    /// What wakes the reader.
    pub fn reads(&self) -> Arc<Notify> {
        Arc::clone(&self.reads)
    }

    /// The reader's work: each agent to read and the seq to read after.
    pub fn start_reads(&self) -> Vec<(Uuid, u64)> {
        self.lock()
            .iter_mut()
            .filter_map(|(id, agent)| Some((*id, agent.order.start_read()?)))
            .collect()
    }

    /// The reader read an agent's items (in seq order) after where it started; `complete`
    /// when it read all there were. Hands on those after the last one handed on; whether
    /// the agent must be read again.
    pub fn read_done(&self, agent_id: Uuid, items: &[(u64, String)], complete: bool) -> bool {
        let mut conns = self.lock();
        let Some(agent) = conns.get_mut(&agent_id) else {
            return false; // its streams are gone
        };
        let after = agent.order.published().unwrap_or(0);
        for (seq, json) in items {
            if *seq > after {
                send_to(&agent.conns, &item_outgoing(*seq, json));
            }
        }
        let again = agent
            .order
            .read_done(items.last().map(|(seq, _)| *seq), complete);
        if let Some(published) = agent.order.published() {
            for waited in agent.waiting.handed_on(published, self.clock.now()) {
                self.lag.observe(waited);
            }
        }
        again
    }

    /// How long other nodes' items waited to be handed on here.
    pub fn fanout_lag(&self) -> &Histogram {
        &self.lag
    }

    /// Queues a message for each of an agent's streams; returns how many took it (a full
    /// queue closes that stream as a slow consumer instead).
    fn send(&self, agent_id: Uuid, outgoing: Outgoing) -> usize {
        let conns = self.lock();
        let Some(agent) = conns.get(&agent_id) else {
            return 0;
        };
        send_to(&agent.conns, &outgoing)
    }

    /// Whether an agent has a live stream now.
    pub fn is_connected(&self, agent_id: Uuid) -> bool {
        self.lock().contains_key(&agent_id)
    }

    /// Live streams in all.
    pub fn connections(&self) -> usize {
        self.lock().values().map(|a| a.conns.len()).sum()
    }

    /// Closes the streams of one session.
    pub fn close_session(&self, session_id: Uuid, reason: CloseReason) {
        for conn in self.lock().values().flat_map(|a| &a.conns) {
            if conn.session_id == session_id {
                conn.close.send_replace(Some(reason));
            }
        }
    }

    /// Closes every stream of an agent.
    pub fn close_agent(&self, agent_id: Uuid, reason: CloseReason) {
        if let Some(agent) = self.lock().get(&agent_id) {
            for conn in &agent.conns {
                conn.close.send_replace(Some(reason));
            }
        }
    }

    /// Closes every stream (shutdown).
    pub fn close_all(&self, reason: CloseReason) {
        for conn in self.lock().values().flat_map(|a| &a.conns) {
            conn.close.send_replace(Some(reason));
        }
    }
}

/// A live item's message.
fn item_outgoing(seq: u64, notification_json: &str) -> Outgoing {
    Outgoing {
        seq: Some(seq),
        json: Arc::from(live_item_frame(notification_json)),
    }
}

/// Queues a message for each of the streams; returns how many took it (a full queue closes
/// that stream as a slow consumer instead).
fn send_to(conns: &[Conn], outgoing: &Outgoing) -> usize {
    let mut taken = 0;
    for conn in conns {
        match conn.queue.try_send(outgoing.clone()) {
            Ok(()) => taken += 1,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::info!(conn = conn.id, "closing a slow consumer");
                conn.close.send_replace(Some(CloseReason::SlowConsumer));
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
    taken
}

#[cfg(test)]
mod tests;
