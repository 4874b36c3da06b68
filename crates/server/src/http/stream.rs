//! `GET /stream`: the live WebSocket.
//!
//! 1. Authenticate from the `Authorization` header, or the web app's cookie from this
//!    server's own origin, before upgrading (401 / 403 otherwise).
//! 2. Register with the hub first, so nothing committed from now on can be missed.
//! 3. Wait for `resume`; replay from the database (or signal a gap); say `live`.
//! 4. Forward live messages, skipping items the replay already sent; note the client's
//!    `presence` (its window in front of the agent, for Web Push) and a desktop app's
//!    `receipt`s (what it did with an OS notification); ping, and close
//!    on silence, revocation, a slow client, protocol abuse or shutdown.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use herald_protocol::{ClientMessage, CloseReason, GapReason, ServerMessage};
use tokio::time::{interval_at, timeout, Instant, MissedTickBehavior};

use super::AppState;
use crate::auth::{self, AgentSession};
use crate::hub::Subscription;
use crate::inbox::{self, REPLAY_MAX};
use crate::receipts::Receipt;

/// The upgrade handler.
pub async fn stream(
    State(state): State<AppState>,
    who: AgentSession,
    ws: WebSocketUpgrade,
) -> Response {
    let max = state.stream.max_message;
    ws.max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(state.stream.read_buffer)
        // Every message is flushed as it is sent: no need to gather 128 KiB first.
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            let session_id = who.session_id;
            let mut conn = Conn {
                socket,
                send_timeout: state.stream.send_timeout,
                closed: false,
            };
            if let Err(err) = run(state, who, &mut conn).await {
                tracing::debug!(%session_id, error = %err, "stream ended with an error");
            }
            // Out of the hub by now: a lingering connection holds no slot of the agent's.
            if conn.closed {
                conn.linger().await;
            }
        })
}

/// Why a stream task stopped on its own.
#[derive(Debug, thiserror::Error)]
enum StreamEnd {
    #[error("socket: {0}")]
    Socket(#[from] axum::Error),
    #[error("{0}")]
    App(#[from] crate::error::AppError),
    #[error("send timed out")]
    SendTimeout,
}

struct Conn {
    socket: WebSocket,
    send_timeout: Duration,
    /// We sent a close frame.
    closed: bool,
}

impl Conn {
    async fn send_json(&mut self, json: &str) -> Result<(), StreamEnd> {
        timeout(
            self.send_timeout,
            self.socket.send(Message::Text(json.into())),
        )
        .await
        .map_err(|_| StreamEnd::SendTimeout)??;
        Ok(())
    }

    async fn send(&mut self, message: &ServerMessage) -> Result<(), StreamEnd> {
        let json = serde_json::to_string(message).map_err(crate::error::AppError::from)?;
        self.send_json(&json).await
    }

    /// Says why, then closes with the reason's code. Best effort: the peer may be gone.
    async fn close(&mut self, reason: CloseReason, message: &str) {
        let _ = self
            .send(&ServerMessage::Closing {
                reason,
                message: message.to_owned(),
            })
            .await;
        let frame = CloseFrame {
            code: reason.code(),
            reason: message.chars().take(100).collect::<String>().into(),
        };
        let _ = timeout(
            self.send_timeout,
            self.socket.send(Message::Close(Some(frame))),
        )
        .await;
        self.closed = true;
    }

    /// Waits, for at most [`LINGER`], for the peer to close after our close frame. Closing a
    /// TCP socket with unread data makes the kernel reset the connection, and a reset can
    /// destroy our close frame before the peer reads it: an oversized frame is refused from
    /// its header, with the rest of it still arriving. What the peer still sends is read and
    /// dropped; once the library stops reading, the wait is a plain sleep.
    async fn linger(&mut self) {
        let deadline = Instant::now() + LINGER;
        let _ = tokio::time::timeout_at(deadline, async {
            loop {
                match self.socket.recv().await {
                    // The peer answered our close: it has read it.
                    Some(Ok(Message::Close(_))) => return,
                    Some(Ok(_)) => {}
                    // The library stopped reading (after an oversized frame it does):
                    // the peer may not have read our close yet.
                    None | Some(Err(_)) => break,
                }
            }
            tokio::time::sleep_until(deadline).await;
        })
        .await;
    }
}

/// Longest wait for a peer to close after our close frame.
const LINGER: Duration = Duration::from_secs(1);

async fn run(state: AppState, who: AgentSession, conn: &mut Conn) -> Result<(), StreamEnd> {
    let Some(mut sub) = state.hub.subscribe(who.agent_id, who.session_id) else {
        conn.close(
            CloseReason::TooManyConnections,
            "too many live streams for this agent",
        )
        .await;
        return Ok(());
    };

    // The client speaks first.
    let resume = match timeout(state.stream.resume_timeout, conn.socket.recv()).await {
        Ok(Some(Ok(Message::Text(text)))) => serde_json::from_str::<ClientMessage>(&text).ok(),
        _ => None,
    };
    let Some(ClientMessage::Resume {
        after_seq,
        epoch,
        client,
    }) = resume
    else {
        conn.close(
            CloseReason::ProtocolViolation,
            "expected a resume message first",
        )
        .await;
        return Ok(());
    };

    if let Some(client) = &client {
        sub.set_client(client);
    }

    let latest = inbox::latest_seq(&state.db, who.agent_id).await?;
    // Subscribed before reading: whatever is committed after `latest` reaches the queue
    // (from this node's writer, or read on another node's hint), in order from here.
    state.hub.floor(who.agent_id, latest);
    let gap = if epoch.as_deref().is_some_and(|e| e != &*state.epoch) || after_seq > latest {
        // Another database, or one restored from a backup older than the client's state.
        Some(GapReason::EpochChanged)
    } else if latest - after_seq > REPLAY_MAX {
        Some(GapReason::TooFarBehind)
    } else {
        None
    };
    let mut sent_up_to = latest;
    if let Some(reason) = gap {
        conn.send(&ServerMessage::Gap {
            reason,
            epoch: state.epoch.to_string(),
            latest_seq: latest,
        })
        .await?;
    } else {
        let missed = inbox::after(&state.db, who.agent_id, after_seq, REPLAY_MAX).await?;
        for notification in missed {
            sent_up_to = sent_up_to.max(notification.seq);
            conn.send(&ServerMessage::Item {
                replay: true,
                notification: Box::new(notification),
            })
            .await?;
        }
    }
    conn.send(&ServerMessage::Live {
        epoch: state.epoch.to_string(),
        latest_seq: sent_up_to,
    })
    .await?;
    let unread = {
        let mut db = state
            .db
            .reader
            .acquire()
            .await
            .map_err(crate::error::AppError::from)?;
        inbox::unread_count(&mut db, who.agent_id)
            .await
            .map_err(crate::error::AppError::from)?
    };
    conn.send(&ServerMessage::Unread { unread }).await?;

    let period = state.stream.ping_interval;
    let mut ticks = interval_at(Instant::now() + period, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    // The session check of the last ping, awaited beside the stream's other work: a slow or
    // absent database must not hold up items, closes or the client's answers.
    let mut check: Option<SessionCheck<'_>> = None;
    loop {
        tokio::select! {
            // Close signals first: a slow consumer must not keep draining its queue.
            biased;
            () = state.shutdown.cancelled() => {
                conn.close(CloseReason::ServerShutdown, "the server is restarting").await;
                return Ok(());
            }
            changed = sub.close.changed() => {
                let reason = if changed.is_ok() { *sub.close.borrow() } else { None };
                let reason = reason.unwrap_or(CloseReason::ServerShutdown);
                conn.close(reason, close_message(reason)).await;
                return Ok(());
            }
            outgoing = sub.queue.recv() => {
                let Some(outgoing) = outgoing else { return Ok(()) };
                if outgoing.seq.is_some_and(|seq| seq <= sent_up_to) {
                    continue; // already replayed
                }
                if let Some(seq) = outgoing.seq {
                    sent_up_to = seq;
                }
                conn.send_json(&outgoing.json).await?;
            }
            frame = conn.socket.recv() => {
                match frame {
                    None | Some(Ok(Message::Close(_))) => return Ok(()),
                    Some(Ok(message)) => {
                        last_heard = Instant::now();
                        if let Message::Text(text) = message {
                            on_client_message(&state, &who, &sub, &text);
                        }
                    }
                    Some(Err(err)) => {
                        // Oversized or malformed frames land here.
                        tracing::debug!(error = %err, "bad frame from a client");
                        conn.close(CloseReason::ProtocolViolation, "bad or oversized frame").await;
                        return Ok(());
                    }
                }
            }
            checked = async {
                match check.as_mut() {
                    Some(running) => running.await,
                    None => std::future::pending().await,
                }
            }, if check.is_some() => {
                check = None;
                match checked {
                    Ok(Ok(Some(reason))) => {
                        conn.close(reason, close_message(reason)).await;
                        return Ok(());
                    }
                    Ok(Ok(None)) => {}
                    // The database is away (a restart, a failover): closing would send every
                    // client to reconnect while no node can let it in. The stream stays and
                    // the session is checked at the next ping; a sign-out made meanwhile
                    // reaches the stream through the hub as ever.
                    Ok(Err(err)) => {
                        tracing::warn!(error = %err, "session not checked: the database failed");
                    }
                    Err(_) => tracing::warn!("session not checked: the database did not answer"),
                }
            }
            _ = ticks.tick() => {
                if last_heard.elapsed() > period * 2 {
                    conn.close(CloseReason::HeartbeatTimeout, "no answer to pings").await;
                    return Ok(());
                }
                if check.is_none() {
                    check = Some(Box::pin(timeout(
                        period,
                        auth::session_ended(&state.db, who.session_id),
                    )));
                }
                timeout(conn.send_timeout, conn.socket.send(Message::Ping(Default::default())))
                    .await
                    .map_err(|_| StreamEnd::SendTimeout)??;
            }
        }
    }
}

/// A session check under way: whether it was revoked or its agent disabled, or the database
/// failed or took longer than a ping period.
type SessionCheck<'a> = std::pin::Pin<
    Box<
        dyn std::future::Future<
                Output = Result<
                    Result<Option<CloseReason>, crate::error::AppError>,
                    tokio::time::error::Elapsed,
                >,
            > + Send
            + 'a,
    >,
>;

/// A client message after `resume`: presence, or an app's receipt. Unknown or malformed
/// ones are ignored (a newer client may say more than this server knows).
fn on_client_message(state: &AppState, who: &AgentSession, sub: &Subscription, text: &str) {
    match serde_json::from_str(text) {
        Ok(ClientMessage::Presence { in_front }) => sub.set_in_front(in_front),
        Ok(ClientMessage::Receipt { id, outcome }) => {
            // Only a desktop app that said so in its `resume` reports OS notifications.
            let (Some(name), Some(outcome)) = (sub.app_name(), outcome.bounded()) else {
                return;
            };
            state.receipts.record(Receipt {
                agent_id: who.agent_id,
                session_id: who.session_id,
                name: name.to_owned(),
                notification: id,
                outcome,
                at: state.clock.now(),
            });
        }
        Ok(ClientMessage::Resume { .. }) | Err(_) => {}
    }
}

fn close_message(reason: CloseReason) -> &'static str {
    match reason {
        CloseReason::SessionRevoked => "this session was signed out; sign in again",
        CloseReason::AgentDisabled => "this agent was disabled by an admin",
        CloseReason::SlowConsumer => "the client did not keep up; reconnect and resume",
        CloseReason::ServerShutdown => "the server is restarting",
        CloseReason::TooManyConnections => "too many live streams for this agent",
        CloseReason::HeartbeatTimeout => "no answer to pings",
        CloseReason::ProtocolViolation => "protocol violation",
    }
}
