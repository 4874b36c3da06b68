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

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures_util::{SinkExt, StreamExt};
use herald_protocol::{
    decide, ClientMessage, CloseReason, Decision, EventKind, Language, MarkRequest, MarkResult,
    Notification, OsPermission, ServerMessage, UnreadCount, VersionedPreferences,
};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::api::Api;
use crate::backoff::{os_random, Backoff};
use crate::bell::{Applied, Bell};
use crate::error::{CoreError, ErrorKind, Result};
use crate::ports::{ConnState, EventSink, Notifier, OsNotification, UiEvent};
use crate::prefsync::PrefSync;
use crate::sensitive::Sensitive;
use crate::state::{LocalState, Saved};

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
}

/// What happened to an item's OS notification.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "os", rename_all = "snake_case")]
pub enum OsOutcome {
    /// Shown on its own.
    Shown,
    /// Folded into the burst of its conversation, shown in one "N more" notification.
    Coalesced {
        /// The notification that opened the burst.
        into: Uuid,
    },
    /// Missed while away: shown in one summary notification with others.
    InSummary,
    /// Not shown: the local decision's push reasons say why.
    NotShown,
    /// Arrived before this device's first start: history, not alerted.
    History,
    /// The OS refused it.
    Failed {
        /// What the notifier said.
        message: String,
    },
}

/// The decision trail of one item: "why did / didn't I get this?".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Trail {
    /// The server's decision (bell, email, mobile push), with reasons.
    pub server: Decision,
    /// This device's decision (OS notification, sound), with reasons.
    pub local: Decision,
    /// What happened to the OS notification.
    pub os: OsOutcome,
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
    running: AtomicBool,
}

/// The signed-in client. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// How one connection ended.
enum Ended {
    /// Reconnect (after backoff unless `now`).
    Retry { was_stable: bool, now: bool },
    /// The session is over.
    Fatal(String),
    /// Stopped by the app.
    Stopped,
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
                }),
                local,
                notifier,
                sink,
                conn,
                wake: Notify::new(),
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

    /// The highest seq held, and its epoch.
    pub fn position(&self) -> (u64, Option<String>) {
        let model = self.model();
        (model.saved.last_seq, model.saved.epoch.clone())
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

    /// The agent acted on an OS notification. Both actions mark the item read; `Open`
    /// returns the conversation's link to open, only if it is an `https` URL (text in a
    /// notification is attacker-controlled: never hand the OS another scheme).
    pub async fn act(&self, id: Uuid, action: NotificationAction) -> Result<Option<String>> {
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
            NotificationAction::MarkRead => None,
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
        self.model().device = device;
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
        let before = self.model().bell.set_read(ids, read.then(Utc::now));
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

    fn persist(&self) {
        let saved = {
            let mut model = self.model();
            let first: Vec<Notification> = model.bell.items().take(50).cloned().collect();
            model.saved.first_page = first;
            model.saved.unread = model.bell.unread();
            model.saved.clone()
        };
        if let Err(err) = self.inner.local.save(&saved) {
            tracing::warn!(error = %err, "could not save the local state");
        }
    }

    /// Keeps the stream open until `stop` is cancelled or the session ends. Only one run at
    /// a time: never two live connections.
    pub async fn run(&self, stop: CancellationToken) -> Result<()> {
        if self.inner.running.swap(true, Ordering::SeqCst) {
            return Err(CoreError::new(
                ErrorKind::InvalidInput,
                "the client is already running",
            ));
        }
        let config = &self.inner.config;
        let mut backoff = Backoff::new(config.backoff_base, config.backoff_cap, config.random);
        let outcome = loop {
            self.set_conn(ConnState::Connecting {
                attempt: backoff.attempt(),
            });
            match self.connect_once(&stop).await {
                Ended::Stopped => break Ok(()),
                Ended::Fatal(reason) => {
                    self.set_conn(ConnState::SignedOut {
                        reason: reason.clone(),
                    });
                    break Err(CoreError::new(ErrorKind::SignedOut, reason));
                }
                Ended::Retry { was_stable, now } => {
                    if was_stable {
                        backoff.reset();
                    }
                    if now {
                        continue;
                    }
                    let delay = backoff.next_delay();
                    self.set_conn(ConnState::Reconnecting {
                        attempt: backoff.attempt(),
                        retry_in_ms: delay.as_millis() as u64,
                    });
                    tokio::select! {
                        () = stop.cancelled() => break Ok(()),
                        () = tokio::time::sleep(delay) => {}
                        () = self.inner.wake.notified() => {}
                    }
                }
            }
        };
        self.persist();
        if outcome.is_ok() {
            self.set_conn(ConnState::Stopped);
        }
        self.inner.running.store(false, Ordering::SeqCst);
        outcome
    }

    async fn connect_once(&self, stop: &CancellationToken) -> Ended {
        let config = &self.inner.config;
        let url = self.inner.api.url().stream();
        let mut request = match url.as_str().into_client_request() {
            Ok(r) => r,
            Err(e) => return Ended::Fatal(format!("bad stream address: {e}")),
        };
        let Ok(auth) = format!("Bearer {}", self.inner.token.expose()).parse() else {
            return Ended::Fatal("the session token is malformed".into());
        };
        request.headers_mut().insert("Authorization", auth);
        let connecting = tokio::time::timeout(
            config.connect_timeout,
            tokio_tungstenite::connect_async(request),
        );
        let mut ws = tokio::select! {
            () = stop.cancelled() => return Ended::Stopped,
            result = connecting => match result {
                Ok(Ok((ws, _))) => ws,
                Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) if response.status() == 401 => {
                    return Ended::Fatal("your session has ended; sign in again".into());
                }
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "stream connect failed");
                    return Ended::Retry { was_stable: false, now: false };
                }
                Err(_) => return Ended::Retry { was_stable: false, now: false },
            }
        };
        let (after_seq, epoch) = self.position();
        let first_start = after_seq == 0 && epoch.is_none();
        let resume = ClientMessage::Resume { after_seq, epoch };
        let Ok(json) = serde_json::to_string(&resume) else {
            return Ended::Retry {
                was_stable: false,
                now: false,
            };
        };
        if ws.send(Message::Text(json.into())).await.is_err() {
            return Ended::Retry {
                was_stable: false,
                now: false,
            };
        }

        let mut live_since: Option<Instant> = None;
        let mut replayed: Vec<Uuid> = Vec::new();
        let mut closing: Option<CloseReason> = None;
        let was_stable =
            |live: Option<Instant>| live.is_some_and(|t| t.elapsed() >= config.stable_after);
        loop {
            let frame = tokio::select! {
                () = stop.cancelled() => {
                    let _ = ws.close(None).await;
                    return Ended::Stopped;
                }
                () = self.inner.wake.notified() => {
                    let _ = ws.close(None).await;
                    return Ended::Retry { was_stable: was_stable(live_since), now: true };
                }
                frame = tokio::time::timeout(config.heartbeat_timeout, ws.next()) => frame,
            };
            let message = match frame {
                Err(_) => {
                    tracing::info!("no heartbeat from the server; reconnecting");
                    return Ended::Retry {
                        was_stable: was_stable(live_since),
                        now: false,
                    };
                }
                Ok(None) | Ok(Some(Err(_))) => {
                    return Ended::Retry {
                        was_stable: was_stable(live_since),
                        now: false,
                    };
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    let code = frame
                        .map(|f| u16::from(f.code))
                        .unwrap_or(u16::from(CloseCode::Abnormal));
                    let reason = CloseReason::from_code(code).or(closing);
                    if let Some(reason) = reason.filter(|r| r.is_fatal()) {
                        return Ended::Fatal(match reason {
                            CloseReason::AgentDisabled => {
                                "your account was disabled by an admin".into()
                            }
                            _ => "your session has ended; sign in again".into(),
                        });
                    }
                    return Ended::Retry {
                        was_stable: was_stable(live_since),
                        now: false,
                    };
                }
                Ok(Some(Ok(Message::Text(text)))) => {
                    match serde_json::from_str::<ServerMessage>(&text) {
                        Ok(message) => message,
                        Err(e) => {
                            tracing::warn!(error = %e, "unreadable stream message ignored");
                            continue;
                        }
                    }
                }
                Ok(Some(Ok(_))) => continue, // ping / pong / binary: alive
            };
            match message {
                ServerMessage::Closing { reason, .. } => closing = Some(reason),
                ServerMessage::Live { epoch, latest_seq } => {
                    {
                        let mut model = self.model();
                        model.saved.epoch = Some(epoch);
                        model.saved.last_seq = model.saved.last_seq.max(latest_seq);
                    }
                    live_since = Some(Instant::now());
                    self.set_conn(ConnState::Live);
                    self.refresh_preferences().await;
                    // Edits kept while offline or signed out go out now.
                    if let Some(sync) = self.model().prefs.clone() {
                        if !sync.pending().is_empty() {
                            tokio::spawn(async move {
                                if let Err(err) = sync.flush().await {
                                    tracing::info!(error = %err, "kept preference edits not saved yet");
                                }
                            });
                        }
                    }
                    let replayed = std::mem::take(&mut replayed);
                    if !first_start {
                        self.notify_replayed(&replayed);
                    }
                    self.persist();
                }
                ServerMessage::Gap {
                    epoch, latest_seq, ..
                } => {
                    match self.inner.api.inbox(&self.inner.token, None, 50).await {
                        Ok(page) => {
                            let mut model = self.model();
                            model.bell.reset(page);
                            model.saved.epoch = Some(epoch);
                            model.saved.last_seq = latest_seq;
                        }
                        Err(err) if err.kind == ErrorKind::SignedOut => {
                            return Ended::Fatal(err.message)
                        }
                        Err(_) => {
                            return Ended::Retry {
                                was_stable: false,
                                now: false,
                            }
                        }
                    }
                    self.inner.sink.emit(UiEvent::Reset);
                    self.persist();
                }
                ServerMessage::Item {
                    replay,
                    notification,
                } => {
                    let applied = self.model().bell.apply(&ServerMessage::Item {
                        replay,
                        notification: notification.clone(),
                    });
                    {
                        let mut model = self.model();
                        model.saved.last_seq = model.saved.last_seq.max(notification.seq);
                    }
                    if let Applied::NewItem(id) = applied {
                        let local = self.local_decision(&notification);
                        let os = if !local.push.delivers() {
                            OsOutcome::NotShown
                        } else if replay && first_start {
                            OsOutcome::History
                        } else {
                            OsOutcome::NotShown // until shown below
                        };
                        self.record(&notification, &local, os);
                        self.inner.sink.emit(UiEvent::Item {
                            notification: notification.clone(),
                            local: Box::new(local.clone()),
                        });
                        if replay {
                            replayed.push(id);
                        } else {
                            self.notify_live(&notification, &local);
                        }
                    }
                }
                ServerMessage::PreferencesChanged { preferences } => {
                    let sync = {
                        let mut model = self.model();
                        model.saved.preferences = Some(preferences.clone());
                        model.prefs.clone()
                    };
                    if let Some(sync) = sync {
                        sync.remote_changed(preferences.clone());
                    }
                    self.inner.sink.emit(UiEvent::Preferences {
                        preferences: Box::new(preferences),
                    });
                }
                other => {
                    if self.model().bell.apply(&other) == Applied::Changed {
                        match other {
                            ServerMessage::Unread { unread } => {
                                self.inner.sink.emit(UiEvent::Unread { unread })
                            }
                            _ => self.inner.sink.emit(UiEvent::ReadChanged),
                        }
                    }
                }
            }
        }
    }

    async fn refresh_preferences(&self) {
        match self.inner.api.preferences(&self.inner.token).await {
            Ok(prefs) => self.model().saved.preferences = Some(prefs),
            Err(err) => {
                tracing::debug!(error = %err, "preferences not refreshed; using the cached ones")
            }
        }
    }

    /// The policy with this device's context: OS notification and sound.
    fn local_decision(&self, n: &Notification) -> Decision {
        let model = self.model();
        let mut ctx = n.context;
        ctx.app_focused = model.device.app_focused;
        ctx.device_muted = model.device.device_muted;
        ctx.push_permission = model.device.push_permission;
        if let Some(sync) = &model.prefs {
            return decide(&n.kind, &ctx, &sync.view(), Utc::now());
        }
        match &model.saved.preferences {
            Some(prefs) => decide(&n.kind, &ctx, &prefs.preferences, Utc::now()),
            // No preferences yet (first start, offline): trust the server's decision.
            None => n.decision.clone(),
        }
    }

    fn record(&self, n: &Notification, local: &Decision, os: OsOutcome) {
        let mut model = self.model();
        if model.trails.len() >= self.inner.config.bell_capacity * 2 {
            // Keep the trails of the items the bell still holds.
            let Model { trails, bell, .. } = &mut *model;
            trails.retain(|id, _| bell.contains(*id));
        }
        model.trails.insert(
            n.id,
            Trail {
                server: n.decision.clone(),
                local: local.clone(),
                os,
            },
        );
    }

    fn set_outcome(&self, id: Uuid, os: OsOutcome) {
        if let Some(trail) = self.model().trails.get_mut(&id) {
            trail.os = os;
        }
    }

    /// Shows one OS notification, at most once per item: the position is saved first.
    fn show(&self, id: Uuid, notification: OsNotification, outcome: OsOutcome) {
        if !self.model().notified.insert(id) {
            return;
        }
        self.persist();
        match self.inner.notifier.show(&notification) {
            Ok(()) => self.set_outcome(id, outcome),
            Err(err) => {
                tracing::warn!(error = %err, "the OS notification failed");
                self.set_outcome(
                    id,
                    OsOutcome::Failed {
                        message: err.message,
                    },
                );
            }
        }
    }

    /// A live item: shown at once, or folded into its conversation's burst.
    fn notify_live(&self, n: &Notification, local: &Decision) {
        if !local.push.delivers() {
            return;
        }
        let exempt =
            matches!(n.kind, EventKind::Mention | EventKind::Assignment) || n.context.mentioned;
        let conversation = n.conversation.as_ref().map(|c| c.id.clone());
        let window = self.inner.config.coalesce_window;
        if let (Some(conversation), false, false) = (conversation, exempt, window.is_zero()) {
            let mut model = self.model();
            if let Some(burst) = model.bursts.get_mut(&conversation) {
                burst.folded.push(n.id);
                burst.sound |= local.sound.delivers();
                let into = burst.opened_by;
                drop(model);
                self.set_outcome(n.id, OsOutcome::Coalesced { into });
                return;
            }
            model.bursts.insert(
                conversation.clone(),
                Burst {
                    opened_by: n.id,
                    folded: Vec::new(),
                    subject: n.title.clone(),
                    sound: false,
                },
            );
            drop(model);
            let me = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(window).await;
                me.close_burst(&conversation);
            });
        }
        self.show(
            n.id,
            os_notification(n, local, self.language()),
            OsOutcome::Shown,
        );
    }

    /// The agent's language, for the words of OS notifications.
    fn language(&self) -> Language {
        let prefs = self.model().prefs.clone();
        prefs.map(|p| p.view().language).unwrap_or_default()
    }

    /// The end of a burst window: one notification for everything folded into it.
    fn close_burst(&self, conversation: &str) {
        let Some(burst) = self.model().bursts.remove(conversation) else {
            return;
        };
        let Some(last) = burst.folded.last().copied() else {
            return;
        };
        let count = burst.folded.len();
        let summary = OsNotification {
            id: last,
            title: more_in(count, &burst.subject, self.language())
                .chars()
                .take(200)
                .collect(),
            body: self
                .model()
                .bell
                .get(last)
                .map(|n| n.body.clone())
                .unwrap_or_default(),
            sound: burst.sound,
        };
        let into = burst.opened_by;
        for id in &burst.folded {
            self.model().notified.insert(*id);
        }
        self.persist();
        match self.inner.notifier.show(&summary) {
            Ok(()) => {
                for id in burst.folded {
                    self.set_outcome(id, OsOutcome::Coalesced { into });
                }
            }
            Err(err) => tracing::warn!(error = %err, "the OS notification failed"),
        }
    }

    /// Items missed while away: each of them, or one summary when there are many.
    fn notify_replayed(&self, ids: &[Uuid]) {
        let items: Vec<(Notification, Decision)> = {
            let model = self.model();
            ids.iter()
                .filter_map(|id| model.bell.get(*id).cloned())
                .collect::<Vec<_>>()
        }
        .into_iter()
        .map(|n| {
            let d = self.local_decision(&n);
            (n, d)
        })
        .filter(|(_, d)| d.push.delivers())
        .collect();
        let language = self.language();
        if items.len() <= self.inner.config.replay_notify_max {
            for (n, d) in &items {
                self.show(n.id, os_notification(n, d, language), OsOutcome::Shown);
            }
            return;
        }
        let fresh: Vec<&(Notification, Decision)> = {
            let mut model = self.model();
            items
                .iter()
                .filter(|(n, _)| model.notified.insert(n.id))
                .collect()
        };
        let Some((newest, d)) = fresh.last() else {
            return;
        };
        self.persist();
        let summary = OsNotification {
            id: newest.id,
            title: while_away(fresh.len(), language),
            body: heading(newest, language),
            sound: d.sound.delivers(),
        };
        match self.inner.notifier.show(&summary) {
            Ok(()) => {
                for (n, _) in &fresh {
                    self.set_outcome(n.id, OsOutcome::InSummary);
                }
            }
            Err(err) => tracing::warn!(error = %err, "the OS notification failed"),
        }
    }
}

fn os_notification(n: &Notification, local: &Decision, language: Language) -> OsNotification {
    OsNotification {
        id: n.id,
        title: heading(n, language),
        body: if n.body.is_empty() {
            n.title.clone()
        } else {
            n.body.clone()
        },
        sound: local.sound.delivers(),
    }
}

/// A plain-text heading for an OS notification, in the agent's language.
pub fn heading(n: &Notification, language: Language) -> String {
    n.headline(language).chars().take(200).collect()
}

/// "N more in <conversation>", folded notifications of a burst.
fn more_in(count: usize, subject: &str, language: Language) -> String {
    match language {
        Language::PtBr => format!("mais {count} em {subject}"),
        Language::En => format!("{count} more in {subject}"),
    }
}

/// "N notifications while you were away".
fn while_away(count: usize, language: Language) -> String {
    match language {
        Language::PtBr => format!("{count} notificações enquanto você estava ausente"),
        Language::En => format!("{count} notifications while you were away"),
    }
}
