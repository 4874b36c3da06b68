//! The registry of live streams: who is connected, and a bounded queue to each.
//!
//! Publishing never waits: a message goes into each of the agent's connection queues with
//! `try_send`; a full queue means that client is not keeping up, and it is closed with the
//! retryable `slow_consumer` code (it will resume from its last seq and miss nothing). Close
//! requests travel on a separate channel so they get through even when the queue is full.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use herald_protocol::{ClientKind, Clock, CloseReason, ServerMessage, SessionLive, StreamClient};
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

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

/// The registry.
#[derive(Debug)]
pub struct Hub {
    conns: Mutex<HashMap<Uuid, Vec<Conn>>>,
    next_id: AtomicU64,
    /// Most live streams one agent may hold.
    max_per_agent: usize,
    /// Messages that may wait for one connection before it counts as slow.
    queue_len: usize,
    /// The last moment a window of each agent was in front of them (kept when it leaves
    /// the front or its stream ends), for routing phone pushes by presence.
    last_front: Mutex<HashMap<Uuid, DateTime<Utc>>>,
    clock: Clock,
}

/// What a stream task holds: its queue, its close signal; leaving drops it from the hub.
#[derive(Debug)]
pub struct Subscription {
    hub: Arc<Hub>,
    agent_id: Uuid,
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
        let _ = self.client.set((client.kind, client.clean_name()));
    }

    /// The desktop app's name, if this stream is one.
    pub fn app_name(&self) -> Option<&str> {
        match self.client.get() {
            Some((ClientKind::DesktopApp, name)) => Some(name),
            _ => None,
        }
    }

    /// Records whether the client's window is in front of the agent.
    pub fn set_in_front(&self, in_front: bool) {
        let was = self.in_front.swap(in_front, Ordering::Relaxed);
        if was && !in_front {
            self.hub.left_front(self.agent_id);
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if self.in_front.load(Ordering::Relaxed) {
            self.hub.left_front(self.agent_id);
        }
        let mut conns = self.hub.lock();
        if let Some(list) = conns.get_mut(&self.agent_id) {
            list.retain(|c| c.id != self.id);
            if list.is_empty() {
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
            next_id: AtomicU64::new(1),
            max_per_agent,
            queue_len,
            last_front: Mutex::new(HashMap::new()),
            clock,
        })
    }

    /// A window of the agent just left the front (or its stream ended while in front).
    fn left_front(&self, agent_id: Uuid) {
        let now = self.clock.now();
        self.last_front
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(agent_id, now);
    }

    /// The last moment a Herald window (desktop app or browser) was in front of the agent:
    /// now if one is, else when the last one left; `None` if none was since the start.
    pub fn computer_active_at(&self, agent_id: Uuid) -> Option<DateTime<Utc>> {
        let in_front = self
            .lock()
            .get(&agent_id)
            .is_some_and(|list| list.iter().any(|c| c.in_front.load(Ordering::Relaxed)));
        if in_front {
            return Some(self.clock.now());
        }
        self.last_front
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&agent_id)
            .copied()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Vec<Conn>>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a connection; `None` when the agent already has the most allowed.
    pub fn subscribe(self: &Arc<Self>, agent_id: Uuid, session_id: Uuid) -> Option<Subscription> {
        let mut conns = self.lock();
        let list = conns.entry(agent_id).or_default();
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
        Some(Subscription {
            hub: Arc::clone(self),
            agent_id,
            id,
            queue: queue_rx,
            close: close_rx,
            in_front,
            client,
        })
    }

    /// The agent's live streams now, per session.
    pub fn live(&self, agent_id: Uuid) -> HashMap<Uuid, SessionLive> {
        let mut out: HashMap<Uuid, SessionLive> = HashMap::new();
        if let Some(list) = self.lock().get(&agent_id) {
            for conn in list {
                let live = out.entry(conn.session_id).or_insert(SessionLive {
                    streams: 0,
                    kind: None,
                    in_front: false,
                });
                live.streams += 1;
                live.kind = live.kind.or(conn.client.get().map(|(kind, _)| *kind));
                live.in_front |= conn.in_front.load(Ordering::Relaxed);
            }
        }
        out
    }

    /// The agent's desktop apps with a live stream now: (session, name), one per session.
    pub fn apps(&self, agent_id: Uuid) -> Vec<(Uuid, String)> {
        let mut apps: Vec<(Uuid, String)> = Vec::new();
        if let Some(list) = self.lock().get(&agent_id) {
            for conn in list {
                if let Some((ClientKind::DesktopApp, name)) = conn.client.get() {
                    if !apps.iter().any(|(s, _)| *s == conn.session_id) {
                        apps.push((conn.session_id, name.clone()));
                    }
                }
            }
        }
        apps
    }

    /// Whether a live stream of this session says its window is in front of the agent.
    pub fn in_front(&self, agent_id: Uuid, session_id: Uuid) -> bool {
        self.lock().get(&agent_id).is_some_and(|list| {
            list.iter()
                .any(|c| c.session_id == session_id && c.in_front.load(Ordering::Relaxed))
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

    /// Sends a live item to every live stream of an agent, from the notification's JSON as
    /// the ingest writer stored it: the item is serialised once, not again per publish.
    /// Returns how many streams' queues took it.
    pub fn publish_item(&self, agent_id: Uuid, seq: u64, notification_json: &str) -> usize {
        if !self.is_connected(agent_id) {
            return 0;
        }
        self.send(
            agent_id,
            Outgoing {
                seq: Some(seq),
                json: Arc::from(live_item_frame(notification_json)),
            },
        )
    }

    /// Queues a message for each of an agent's streams; returns how many took it (a full
    /// queue closes that stream as a slow consumer instead).
    fn send(&self, agent_id: Uuid, outgoing: Outgoing) -> usize {
        let conns = self.lock();
        let Some(list) = conns.get(&agent_id) else {
            return 0;
        };
        let mut taken = 0;
        for conn in list {
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

    /// Whether an agent has a live stream now.
    pub fn is_connected(&self, agent_id: Uuid) -> bool {
        self.lock().contains_key(&agent_id)
    }

    /// Live streams in all.
    pub fn connections(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    /// Closes the streams of one session.
    pub fn close_session(&self, session_id: Uuid, reason: CloseReason) {
        for conn in self.lock().values().flatten() {
            if conn.session_id == session_id {
                conn.close.send_replace(Some(reason));
            }
        }
    }

    /// Closes every stream of an agent.
    pub fn close_agent(&self, agent_id: Uuid, reason: CloseReason) {
        if let Some(list) = self.lock().get(&agent_id) {
            for conn in list {
                conn.close.send_replace(Some(reason));
            }
        }
    }

    /// Closes every stream (shutdown).
    pub fn close_all(&self, reason: CloseReason) {
        for conn in self.lock().values().flatten() {
            conn.close.send_replace(Some(reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_protocol::UnreadCount;

    fn unread(total: u32) -> ServerMessage {
        ServerMessage::Unread {
            unread: UnreadCount { total },
        }
    }

    #[test]
    fn the_live_item_frame_is_what_serde_writes() {
        let notification: herald_protocol::Notification = serde_json::from_str(include_str!(
            "../../protocol/tests/golden/notification.json"
        ))
        .expect("the golden notification");
        let data = serde_json::to_string(&notification).expect("serialise");
        let message = ServerMessage::Item {
            replay: false,
            notification: Box::new(notification),
        };
        assert_eq!(
            live_item_frame(&data),
            serde_json::to_string(&message).expect("serialise")
        );
    }

    #[tokio::test]
    async fn lists_desktop_apps_once_per_session() {
        let hub = Hub::new(8, 4);
        let agent = Uuid::new_v4();
        let session = Uuid::new_v4();
        let app = |name: &str| StreamClient {
            kind: ClientKind::DesktopApp,
            name: name.into(),
        };
        let a = hub.subscribe(agent, session).expect("a");
        a.set_client(&app("Herald for Linux"));
        a.set_client(&app("renamed later"));
        let b = hub.subscribe(agent, session).expect("b");
        b.set_client(&app("Herald for Linux"));
        let web = hub.subscribe(agent, Uuid::new_v4()).expect("web");
        web.set_client(&StreamClient {
            kind: ClientKind::WebApp,
            name: "Chrome".into(),
        });
        let _silent = hub
            .subscribe(agent, Uuid::new_v4())
            .expect("an older client");
        assert_eq!(hub.apps(agent), vec![(session, "Herald for Linux".into())]);
        assert_eq!(
            a.app_name(),
            Some("Herald for Linux"),
            "the first resume names it"
        );
        assert_eq!(web.app_name(), None);
        web.set_in_front(true);
        let live = hub.live(agent);
        assert_eq!(live.len(), 3, "three sessions");
        assert_eq!(
            live[&session],
            SessionLive {
                streams: 2,
                kind: Some(ClientKind::DesktopApp),
                in_front: false
            }
        );
        drop((a, b));
        assert!(hub.apps(agent).is_empty());
    }

    #[tokio::test]
    async fn caps_connections_and_forgets_dropped_ones() {
        let hub = Hub::new(2, 4);
        let agent = Uuid::new_v4();
        let a = hub.subscribe(agent, Uuid::new_v4()).expect("first");
        let _b = hub.subscribe(agent, Uuid::new_v4()).expect("second");
        assert!(hub.subscribe(agent, Uuid::new_v4()).is_none(), "cap of 2");
        drop(a);
        assert!(
            hub.subscribe(agent, Uuid::new_v4()).is_some(),
            "a slot freed up"
        );
    }

    #[tokio::test]
    async fn a_full_queue_closes_only_that_consumer() {
        let hub = Hub::new(4, 2);
        let agent = Uuid::new_v4();
        let slow = hub.subscribe(agent, Uuid::new_v4()).expect("slow");
        let mut fast = hub.subscribe(agent, Uuid::new_v4()).expect("fast");
        for n in 0..3 {
            hub.publish(agent, &unread(n));
            let got = fast.queue.recv().await.expect("fast gets every message");
            assert!(got.json.contains(&format!("\"total\":{n}")));
        }
        assert_eq!(*slow.close.borrow(), Some(CloseReason::SlowConsumer));
        assert_eq!(*fast.close.borrow(), None, "the fast one stays open");
    }

    #[tokio::test]
    async fn closes_by_session_and_agent() {
        let hub = Hub::new(4, 4);
        let (agent, other) = (Uuid::new_v4(), Uuid::new_v4());
        let session = Uuid::new_v4();
        let a = hub.subscribe(agent, session).expect("a");
        let b = hub.subscribe(agent, Uuid::new_v4()).expect("b");
        let c = hub.subscribe(other, Uuid::new_v4()).expect("c");
        hub.close_session(session, CloseReason::SessionRevoked);
        assert_eq!(*a.close.borrow(), Some(CloseReason::SessionRevoked));
        assert_eq!(*b.close.borrow(), None);
        hub.close_agent(agent, CloseReason::AgentDisabled);
        assert_eq!(*b.close.borrow(), Some(CloseReason::AgentDisabled));
        assert_eq!(*c.close.borrow(), None, "other agents untouched");
    }
}
