//! The reconnect loop, one connection, and [`Client::on_message`]: the one step that applies
//! a server message to the bell, the position, the preferences and the alerts.

use std::sync::atomic::Ordering;

use futures_util::{SinkExt, StreamExt};
use herald_protocol::{ClientMessage, CloseReason, ServerMessage, StreamClient};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Client, OsOutcome};
use crate::backoff::Backoff;
use crate::bell::Applied;
use crate::error::{CoreError, ErrorKind, Result};
use crate::ports::{ConnState, UiEvent};

/// How one connection ended.
enum Ended {
    /// Reconnect (after backoff unless `now`).
    Retry { was_stable: bool, now: bool },
    /// The session is over.
    Fatal(String),
    /// Stopped by the app.
    Stopped,
}

impl Ended {
    /// Reconnect after the backoff delay.
    const RETRY: Ended = Ended::Retry {
        was_stable: false,
        now: false,
    };
}

/// What one connection has seen so far.
struct Connection {
    /// This device had no position when it connected: replayed items are history.
    first_start: bool,
    /// When the server said "live".
    live_since: Option<Instant>,
    /// Items replayed before "live", alerted together once it comes.
    replayed: Vec<Uuid>,
    /// The server announced why it is about to close.
    closing: Option<CloseReason>,
}

impl Client {
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
        // The offline notices follow the connection for as long as this run lasts.
        let watching = stop.child_token();
        let watcher = {
            let (me, token) = (self.clone(), watching.clone());
            tokio::spawn(async move { me.watch_offline(token).await })
        };
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
        watching.cancel();
        let _ = watcher.await;
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
                    return Ended::RETRY;
                }
                Err(_) => return Ended::RETRY,
            }
        };
        let (after_seq, epoch) = self.position();
        let mut conn = Connection {
            first_start: after_seq == 0 && epoch.is_none(),
            live_since: None,
            replayed: Vec::new(),
            closing: None,
        };
        let resume = ClientMessage::Resume {
            after_seq,
            epoch,
            client: Some(StreamClient {
                kind: config.kind,
                name: config.app_name.clone(),
            }),
        };
        let Ok(json) = serde_json::to_string(&resume) else {
            return Ended::RETRY;
        };
        if ws.send(Message::Text(json.into())).await.is_err() {
            return Ended::RETRY;
        }
        // Receipts from before this connection go first, then where the window is.
        if !self.send_receipts(&mut ws).await || !self.send_presence(&mut ws).await {
            return Ended::RETRY;
        }
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
                    return Ended::Retry { was_stable: was_stable(conn.live_since), now: true };
                }
                () = self.inner.receipt_ready.notified() => {
                    if self.send_receipts(&mut ws).await {
                        continue;
                    }
                    return Ended::Retry { was_stable: was_stable(conn.live_since), now: false };
                }
                () = self.inner.presence_changed.notified() => {
                    if self.send_presence(&mut ws).await {
                        continue;
                    }
                    return Ended::Retry { was_stable: was_stable(conn.live_since), now: false };
                }
                frame = tokio::time::timeout(config.heartbeat_timeout, ws.next()) => frame,
            };
            let retry = Ended::Retry {
                was_stable: was_stable(conn.live_since),
                now: false,
            };
            let message = match frame {
                Err(_) => {
                    tracing::info!("no heartbeat from the server; reconnecting");
                    return retry;
                }
                Ok(None) | Ok(Some(Err(_))) => return retry,
                Ok(Some(Ok(Message::Close(frame)))) => {
                    let code = frame
                        .map(|f| u16::from(f.code))
                        .unwrap_or(u16::from(CloseCode::Abnormal));
                    let reason = CloseReason::from_code(code).or(conn.closing);
                    return match reason.filter(|r| r.is_fatal()) {
                        Some(CloseReason::AgentDisabled) => {
                            Ended::Fatal("your account was disabled by an admin".into())
                        }
                        Some(_) => Ended::Fatal("your session has ended; sign in again".into()),
                        None => retry,
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
            if let Some(ended) = self.on_message(message, &mut conn).await {
                return ended;
            }
        }
    }

    /// Sends the receipts waiting; false when the connection failed (they are kept for the
    /// next one).
    /// Tells the server whether this app's window is in front of the agent.
    async fn send_presence<S>(&self, ws: &mut S) -> bool
    where
        S: futures_util::Sink<Message> + Unpin,
    {
        let message = ClientMessage::Presence {
            in_front: self.in_front(),
        };
        match serde_json::to_string(&message) {
            Ok(json) => ws.send(Message::Text(json.into())).await.is_ok(),
            Err(_) => true,
        }
    }

    async fn send_receipts<S>(&self, ws: &mut S) -> bool
    where
        S: futures_util::Sink<Message> + Unpin,
    {
        let receipts = self.take_receipts();
        for (n, (id, outcome)) in receipts.iter().enumerate() {
            let message = ClientMessage::Receipt {
                id: *id,
                outcome: outcome.clone(),
            };
            let Ok(json) = serde_json::to_string(&message) else {
                continue;
            };
            if ws.send(Message::Text(json.into())).await.is_err() {
                self.keep_receipts(receipts[n..].to_vec());
                return false;
            }
        }
        true
    }

    /// Applies one server message; `Some` ends the connection.
    async fn on_message(&self, message: ServerMessage, conn: &mut Connection) -> Option<Ended> {
        match message {
            ServerMessage::Closing { reason, .. } => conn.closing = Some(reason),
            ServerMessage::Live { epoch, latest_seq } => {
                {
                    let mut model = self.model();
                    model.saved.epoch = Some(epoch);
                    model.saved.last_seq = model.saved.last_seq.max(latest_seq);
                    // Counted before the state says live: the back-online notice reads it.
                    model.caught_up = conn.replayed.len();
                }
                conn.live_since = Some(Instant::now());
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
                let replayed = std::mem::take(&mut conn.replayed);
                if !conn.first_start {
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
                        return Some(Ended::Fatal(err.message))
                    }
                    Err(_) => return Some(Ended::RETRY),
                }
                self.inner.sink.emit(UiEvent::Reset);
                self.persist();
            }
            ServerMessage::Item {
                replay,
                notification,
            } => {
                let applied = {
                    let mut model = self.model();
                    let applied = model.bell.apply(
                        &ServerMessage::Item {
                            replay,
                            notification: notification.clone(),
                        },
                        self.inner.config.clock.now(),
                    );
                    model.saved.last_seq = model.saved.last_seq.max(notification.seq);
                    applied
                };
                if let Applied::Returned(id) = applied {
                    // A reminder of an item notified before: it may notify again.
                    self.model().notified.remove(&id);
                }
                if let Applied::NewItem(id) | Applied::Returned(id) = applied {
                    self.model().last_event_at = Some(self.inner.config.clock.now());
                    let local = self.local_decision(&notification);
                    let os = if local.push.delivers() && replay && conn.first_start {
                        OsOutcome::History
                    } else {
                        OsOutcome::NotShown // until shown below
                    };
                    self.record(&notification, &local, os);
                    self.inner.sink.emit(UiEvent::Item {
                        notification: notification.clone(),
                        local: Box::new(local.clone()),
                        account: None,
                    });
                    if replay {
                        conn.replayed.push(id);
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
                let now = self.inner.config.clock.now();
                if self.model().bell.apply(&other, now) == Applied::Changed {
                    match other {
                        ServerMessage::Unread { unread } => {
                            self.inner.sink.emit(UiEvent::Unread { unread })
                        }
                        _ => self.inner.sink.emit(UiEvent::ReadChanged),
                    }
                }
            }
        }
        None
    }

    async fn refresh_preferences(&self) {
        match self.inner.api.preferences(&self.inner.token).await {
            Ok(prefs) => self.model().saved.preferences = Some(prefs),
            Err(err) => {
                tracing::debug!(error = %err, "preferences not refreshed; using the cached ones")
            }
        }
    }
}
