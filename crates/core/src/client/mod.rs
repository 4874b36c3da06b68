//! The signed-in client: one task that keeps exactly one stream open, resumes it from the
//! saved position after any disconnect, keeps the bell, and raises OS notifications.
//!
//! The connection is a state machine: `Connecting → Live → Reconnecting(attempt, delay) →
//! Connecting …`, or `SignedOut` on a fatal close. Reconnects wait an exponential delay
//! with full jitter; the attempt counter resets only after a connection stayed up for
//! `stable_after`. A connection that hears nothing (no frame, no ping) for
//! `heartbeat_timeout` is treated as dead (half-open links). [`Client::wake`] (the computer
//! woke, the network changed) drops the current connection or the current wait and
//! reconnects at once.
//!
//! Exactly once for the agent: items are deduplicated by id; the saved position is
//! written before an OS notification is shown, so a crash can never show one twice.
//!
//! # Layout
//!
//! - this file: the client's state and what the app asks of it (bell, marks, paging, why).
//! - `connection`: the reconnect loop, one connection, and `on_message`, the one step that
//!   applies a server message.
//! - `alerts`: the local policy decision, OS notifications, bursts and the "while you were
//!   away" summary.
//! - `offline`: the offline and back-online notices (never silently offline).
//! - `trail`: the decision trail of each item ("why did / didn't I get this?").

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use herald_protocol::{
    AppOutcome, Clock, MarkRequest, MarkResult, Notification, OsPermission, ServerMessage,
    SnoozeRequest, SnoozeResult, SnoozeTarget, SnoozeUntil, UnreadCount, VersionedPreferences,
};
use tokio::sync::{watch, Notify};
use uuid::Uuid;

use crate::api::Api;
use crate::backoff::os_random;
use crate::bell::Bell;
use crate::error::Result;
use crate::ports::{ConnState, EventSink, Notifier, UiEvent};
use crate::prefsync::PrefSync;
use crate::sensitive::Sensitive;
use crate::state::{LocalState, Saved};

mod alerts;
mod connection;
pub(crate) mod offline;
mod trail;

pub use alerts::heading;
pub use trail::{OsOutcome, Trail};

/// Timings and sizes.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// First reconnect delay bound.
    pub backoff_base: Duration,
    /// Largest reconnect delay.
    pub backoff_cap: Duration,
    /// How long a connection must stay up before the backoff resets.
    pub stable_after: Duration,
    /// Silence after which a connection counts as dead (the server pings every 20 s).
    pub heartbeat_timeout: Duration,
    /// Longest wait for a connection to open.
    pub connect_timeout: Duration,
    /// Items the bell keeps in memory.
    pub bell_capacity: usize,
    /// Replayed items above this count raise one summary notification instead of one each.
    pub replay_notify_max: usize,
    /// Burst window per conversation: after one OS notification, further ones of the same
    /// conversation fold into a single "N more" at the end of the window (mentions and
    /// assignments always show at once).
    pub coalesce_window: Duration,
    /// Randomness for the jitter.
    pub random: fn() -> u64,
    /// The time for local decisions and read marks (tests move it).
    pub clock: Clock,
    /// How this app names itself on the stream (receipts, "Save and test").
    pub app_name: String,
    /// What this app tells the server it is: the desktop app, or the app on a phone (whose
    /// being in front does not hold the phone's pushes as a computer's would).
    pub kind: herald_protocol::ClientKind,
    /// How long without a live stream before one OS notification says Herald is offline.
    pub offline_after: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            stable_after: Duration::from_secs(30),
            heartbeat_timeout: Duration::from_secs(50),
            connect_timeout: Duration::from_secs(10),
            bell_capacity: 10_000,
            replay_notify_max: 3,
            coalesce_window: Duration::from_secs(5),
            random: os_random,
            clock: Clock::system(),
            app_name: format!("Herald ({})", std::env::consts::OS),
            kind: herald_protocol::ClientKind::DesktopApp,
            offline_after: Duration::from_secs(60),
        }
    }
}

/// What the agent did with an OS notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationAction {
    /// Clicked it, or chose "open".
    Open,
    /// Chose "mark read".
    MarkRead,
    /// Chose "snooze for an hour".
    SnoozeHour,
}

/// The device's side of the policy context.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceContext {
    /// The app's window is focused.
    pub app_focused: bool,
    /// The agent muted this device.
    pub device_muted: bool,
    /// What the OS allows, as far as the shell can tell.
    pub push_permission: OsPermission,
    /// This device is a phone registered for push with this account's server: its pushes
    /// are its notifications, and the app raises none of its own.
    pub pushed_to_this_phone: bool,
}

/// An open burst window of one conversation.
struct Burst {
    opened_by: Uuid,
    folded: Vec<Uuid>,
    subject: String,
    sound: bool,
}

struct Model {
    bell: Bell,
    saved: Saved,
    notified: HashSet<Uuid>,
    device: DeviceContext,
    trails: HashMap<Uuid, Trail>,
    bursts: HashMap<String, Burst>,
    prefs: Option<Arc<PrefSync>>,
    /// When the last live or replayed item arrived.
    last_event_at: Option<DateTime<Utc>>,
    /// Items replayed when the stream last went live (for "back online, N caught up").
    caught_up: usize,
}

struct Inner {
    api: Api,
    token: Sensitive<String>,
    config: ClientConfig,
    model: Mutex<Model>,
    local: Arc<dyn LocalState>,
    notifier: Arc<dyn Notifier>,
    sink: Arc<dyn EventSink>,
    conn: watch::Sender<ConnState>,
    wake: Notify,
    /// Receipts waiting for the stream (sent on this connection or the next).
    receipts: Mutex<VecDeque<(Uuid, AppOutcome)>>,
    receipt_ready: Notify,
    /// The window came to the front or left it: the server is told (it holds phone pushes
    /// while the agent works here).
    presence_changed: Notify,
    running: AtomicBool,
}

/// Receipts kept while offline; older ones give way.
const RECEIPTS_MAX: usize = 256;

/// The signed-in client. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl Client {
    /// A client for a signed-in session, starting from the saved state (so the bell shows
    /// the last known items at once, even offline).
    pub fn new(
        api: Api,
        token: Sensitive<String>,
        local: Arc<dyn LocalState>,
        notifier: Arc<dyn Notifier>,
        sink: Arc<dyn EventSink>,
        config: ClientConfig,
    ) -> Result<Client> {
        let saved = local.load()?;
        let mut bell = Bell::new(config.bell_capacity);
        bell.reset(herald_protocol::InboxPage {
            items: saved.first_page.clone(),
            next_before: None,
            unread: saved.unread,
        });
        let (conn, _) = watch::channel(ConnState::Stopped);
        Ok(Client {
            inner: Arc::new(Inner {
                api,
                token,
                config,
                model: Mutex::new(Model {
                    bell,
                    saved,
                    notified: HashSet::new(),
                    device: DeviceContext::default(),
                    trails: HashMap::new(),
                    bursts: HashMap::new(),
                    prefs: None,
                    last_event_at: None,
                    caught_up: 0,
                }),
                local,
                notifier,
                sink,
                conn,
                wake: Notify::new(),
                receipts: Mutex::new(VecDeque::new()),
                receipt_ready: Notify::new(),
                presence_changed: Notify::new(),
                running: AtomicBool::new(false),
            }),
        })
    }

    fn model(&self) -> std::sync::MutexGuard<'_, Model> {
        self.inner.model.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The connection state, to watch.
    pub fn connection(&self) -> watch::Receiver<ConnState> {
        self.inner.conn.subscribe()
    }

    /// The bell's items (newest first) and the counter.
    pub fn bell(&self) -> (Vec<Notification>, UnreadCount) {
        let model = self.model();
        (model.bell.items().cloned().collect(), model.bell.unread())
    }

    /// The counter alone (cheaper than [`Client::bell`]).
    pub fn unread(&self) -> UnreadCount {
        self.model().bell.unread()
    }

    /// Whether the bell holds this item.
    pub fn holds(&self, id: Uuid) -> bool {
        self.model().bell.contains(id)
    }

    /// The highest seq held, and its epoch.
    pub fn position(&self) -> (u64, Option<String>) {
        let model = self.model();
        (model.saved.last_seq, model.saved.epoch.clone())
    }

    /// When the last item arrived (diagnostics: "last event").
    pub fn last_event_at(&self) -> Option<DateTime<Utc>> {
        self.model().last_event_at
    }

    /// The latest preferences known.
    pub fn preferences(&self) -> Option<VersionedPreferences> {
        self.model().saved.preferences.clone()
    }

    /// Loads the next older page into the bell; returns how many items came.
    pub async fn load_older(&self, limit: u32) -> Result<Vec<Notification>> {
        let oldest = self.model().bell.oldest_seq();
        let page = self
            .inner
            .api
            .inbox(&self.inner.token, oldest, limit)
            .await?;
        // Handed back rather than announced: the UI appends them instead of fetching the
        // whole bell again (thousands of items, one page at a time).
        self.model().bell.extend(page.items.clone());
        Ok(page.items)
    }

    /// The agent acted on an OS notification. "Open" and "mark read" mark the item read,
    /// "snooze" snoozes it for an hour; `Open` returns the conversation's link to open, only
    /// if it is an `https` URL (text in a notification is attacker-controlled: never hand
    /// the OS another scheme).
    pub async fn act(&self, id: Uuid, action: NotificationAction) -> Result<Option<String>> {
        if action == NotificationAction::SnoozeHour {
            let target = SnoozeTarget::Items { ids: vec![id] };
            self.snooze(target, Some(SnoozeUntil::Hour)).await?;
            return Ok(None);
        }
        let link = self
            .model()
            .bell
            .get(id)
            .and_then(|n| n.conversation.as_ref())
            .and_then(|c| c.url.clone())
            .filter(|url| url::Url::parse(url).is_ok_and(|u| u.scheme() == "https"));
        self.mark(vec![id], true).await?;
        Ok(match action {
            NotificationAction::Open => link,
            NotificationAction::MarkRead | NotificationAction::SnoozeHour => None,
        })
    }

    /// Why an item did or did not reach this agent on each channel.
    pub fn why(&self, id: Uuid) -> Option<Trail> {
        self.model().trails.get(&id).cloned()
    }

    /// Uses a preference sync engine: the local policy sees unsaved edits at once, and
    /// changes from other devices reach it.
    pub fn attach_preferences(&self, prefs: Arc<PrefSync>) {
        self.model().prefs = Some(prefs);
    }

    /// Updates the device context (focus, mute, OS permission).
    pub fn set_device(&self, device: DeviceContext) {
        let focus_changed = {
            let mut model = self.model();
            let changed = model.device.app_focused != device.app_focused;
            model.device = device;
            changed
        };
        if focus_changed {
            self.inner.presence_changed.notify_one();
        }
    }

    /// Whether this app's window is in front of the agent, as the stream tells the server.
    pub(super) fn in_front(&self) -> bool {
        self.model().device.app_focused
    }

    /// Tells the server what this app did with an item's OS notification, when the server
    /// decided to push it (otherwise there is nothing to report). Sent on the stream now, or
    /// on the next connection.
    pub(super) fn receipt(&self, id: Uuid, outcome: AppOutcome) {
        let pushed = self
            .model()
            .trails
            .get(&id)
            .is_some_and(|t| t.server.push.delivers());
        if !pushed {
            return;
        }
        {
            let mut queue = self
                .inner
                .receipts
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            queue.retain(|(queued, _)| *queued != id);
            if queue.len() >= RECEIPTS_MAX {
                queue.pop_front();
            }
            queue.push_back((id, outcome));
        }
        self.inner.receipt_ready.notify_one();
    }

    /// Takes the receipts waiting to be sent.
    pub(super) fn take_receipts(&self) -> Vec<(Uuid, AppOutcome)> {
        let mut queue = self
            .inner
            .receipts
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        queue.drain(..).collect()
    }

    /// Puts back receipts a connection could not send (before newer ones).
    pub(super) fn keep_receipts(&self, unsent: Vec<(Uuid, AppOutcome)>) {
        let mut queue = self
            .inner
            .receipts
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for receipt in unsent.into_iter().rev() {
            if !queue.iter().any(|(id, _)| *id == receipt.0) {
                queue.push_front(receipt);
            }
        }
        queue.truncate(RECEIPTS_MAX);
    }

    /// The computer woke up or the network changed: reconnect now.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Marks items read (or unread) at once in the bell, then on the server; rolls back if
    /// the server refuses.
    pub async fn mark(&self, ids: Vec<Uuid>, read: bool) -> Result<MarkResult> {
        let optimistic = ids.clone();
        self.mark_as(&optimistic, read, MarkRequest::Items { ids, read })
            .await
    }

    /// Snoozes items or a conversation until a time, or brings snoozed items back (no
    /// `until`): on the server first (it decides the time and which items), then in the
    /// bell; the agent's other devices hear it on their streams.
    pub async fn snooze(
        &self,
        target: SnoozeTarget,
        until: Option<SnoozeUntil>,
    ) -> Result<SnoozeResult> {
        let request = SnoozeRequest { target, until };
        let result = self.inner.api.snooze(&self.inner.token, &request).await?;
        let now = self.inner.config.clock.now();
        {
            let mut model = self.model();
            model.bell.set_snoozed(&result.ids, result.until, now);
            model.bell.apply(
                &ServerMessage::Unread {
                    unread: result.unread,
                },
                now,
            );
        }
        self.inner.sink.emit(UiEvent::ReadChanged);
        self.inner.sink.emit(UiEvent::Unread {
            unread: result.unread,
        });
        self.persist();
        Ok(result)
    }

    /// Marks everything read: at once for the items in the bell, on the server for all of
    /// them (older ones not loaded here too).
    pub async fn mark_all(&self) -> Result<MarkResult> {
        let ids: Vec<Uuid> = self
            .model()
            .bell
            .items()
            .filter(|n| n.read_at.is_none())
            .map(|n| n.id)
            .collect();
        self.mark_as(&ids, true, MarkRequest::All).await
    }

    async fn mark_as(&self, ids: &[Uuid], read: bool, request: MarkRequest) -> Result<MarkResult> {
        let before = self
            .model()
            .bell
            .set_read(ids, read.then(|| self.inner.config.clock.now()));
        self.inner.sink.emit(UiEvent::ReadChanged);
        match self.inner.api.mark(&self.inner.token, &request).await {
            Ok(result) => Ok(result),
            Err(err) => {
                self.model().bell.restore_read(before);
                self.inner.sink.emit(UiEvent::ReadChanged);
                Err(err)
            }
        }
    }

    fn set_conn(&self, state: ConnState) {
        self.inner.conn.send_replace(state.clone());
        self.inner.sink.emit(UiEvent::Connection { state });
    }

    /// Saves what the stream owns (position, cached page, counter, the server's latest
    /// preferences); the unsaved preference edits are the preference sync's to save.
    fn persist(&self) {
        let mine = {
            let mut model = self.model();
            let first: Vec<Notification> = model.bell.items().take(50).cloned().collect();
            model.saved.first_page = first;
            model.saved.unread = model.bell.unread();
            model.saved.clone()
        };
        let saved = self.inner.local.update(&mut |saved| {
            saved.epoch = mine.epoch.clone();
            saved.last_seq = mine.last_seq;
            saved.first_page = mine.first_page.clone();
            saved.unread = mine.unread;
            if let Some(preferences) = &mine.preferences {
                crate::prefsync::keep_newer(&mut saved.preferences, preferences);
            }
        });
        if let Err(err) = saved {
            tracing::warn!(error = %err, "could not save the local state");
        }
    }
}
