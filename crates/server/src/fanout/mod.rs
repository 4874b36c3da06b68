//! Live fan-out across the nodes that share one PostgreSQL database: every stream gets
//! every item once and in order, whichever node the event came in on and whichever node
//! the agent's client is connected to.
//!
//! - `hints`: the few-byte messages nodes send each other (PostgreSQL `NOTIFY` on one
//!   channel): which agent has new items up to which seq, which notice row is for whom,
//!   which session or agent to close. Never a payload: a node reads that itself.
//! - `reader`: reads an agent's items from the database when the hub cannot hand them on
//!   from memory (another node committed them, or a gap), and hands them on in seq order.
//! - `listen`: one connection per node listening for hints (PostgreSQL only); when it is
//!   lost, every local agent is read again, and a periodic sweep compares the agents' seqs
//!   with what was handed on, so a missed hint costs at most one sweep interval.
//!
//! [`Fanout`] is what handlers call for what is not an item: a read mark, a snooze, saved
//! preferences (stored as a row of `stream_notices` and hinted, pruned after an hour), a
//! revoked session or a disabled agent (hinted). On SQLite there is one node: these only
//! reach the local hub.
//!
//! - `presence`: which sessions have streams on this node (how many, of what kind, a window
//!   in front or not), told to the others: the node running the push workers routes by
//!   every node's windows, and the devices list and "Save and test" see every node's.

pub(crate) mod hints;
mod listen;
mod presence;
mod reader;

/// The item hints' payloads, for `herald-bench` to measure what PostgreSQL makes of them.
pub use hints::items as item_hints;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use herald_protocol::{Clock, CloseReason, ServerMessage};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db::{Backend, DatabaseUrl, Db, SqlTime};
use crate::hub::Hub;

/// How the fan-out is doing, for `/metrics`.
#[derive(Debug, Default)]
pub struct FanoutStats {
    /// Hints received from the database (all kinds, other nodes' and this node's own).
    pub hints: AtomicU64,
    /// Agents' items read from the database to hand on.
    pub reads: AtomicU64,
    /// Times every local agent was read again (a lost listener connection).
    pub catch_ups: AtomicU64,
    /// Agents a sweep found further on than their streams (a missed hint).
    pub swept: AtomicU64,
}

/// The handlers' side of the fan-out.
#[derive(Debug, Clone)]
pub struct Fanout {
    hub: Arc<Hub>,
    db: Db,
    clock: Clock,
    stats: Arc<FanoutStats>,
}

impl Fanout {
    /// The fan-out of a node; its hints carry the hub's name for this node (`Hub::node`).
    pub fn new(db: Db, hub: Arc<Hub>, clock: Clock) -> Fanout {
        Fanout {
            hub,
            db,
            clock,
            stats: Arc::default(),
        }
    }

    /// The counters.
    pub fn stats(&self) -> &FanoutStats {
        &self.stats
    }

    /// Starts the reader and, on PostgreSQL, the listener with its sweep. They end with
    /// `shutdown`.
    pub fn start(
        &self,
        url: &DatabaseUrl,
        sweep: Duration,
        shutdown: CancellationToken,
    ) -> JoinHandle<()> {
        let reader = tokio::spawn(reader::run(
            self.db.clone(),
            Arc::clone(&self.hub),
            Arc::clone(&self.stats),
            shutdown.clone(),
        ));
        let listener = match url {
            DatabaseUrl::Postgres(url) => {
                let (tell, changes) = tokio::sync::mpsc::unbounded_channel();
                self.hub.tell_presence(tell);
                Some((
                    tokio::spawn(listen::run(
                        url.clone(),
                        self.clone(),
                        sweep,
                        shutdown.clone(),
                    )),
                    tokio::spawn(presence::run(self.clone(), changes, shutdown)),
                ))
            }
            DatabaseUrl::Sqlite(_) => None,
        };
        tokio::spawn(async move {
            let _ = reader.await;
            if let Some((listener, presence)) = listener {
                let _ = listener.await;
                let _ = presence.await;
            }
        })
    }

    /// Tells the agent's streams on every node (read marks, snoozes, preferences).
    pub async fn notice(&self, agent_id: Uuid, message: &ServerMessage) {
        self.hub.publish(agent_id, message);
        if self.db.backend() != Backend::Postgres {
            return;
        }
        let result = async {
            let json = serde_json::to_string(message).map_err(|e| sqlx::Error::Encode(e.into()))?;
            sqlx::query(
                "WITH n AS (INSERT INTO stream_notices (node, agent_id, message, created_at) \
                   VALUES ($1, $2, $3, $4) RETURNING id) \
                 SELECT count(pg_notify('herald', 'n ' || $1 || ' ' || n.id || ' ' || $2)) \
                   AS n FROM n",
            )
            .bind(&**self.hub.node())
            .bind(agent_id.to_string())
            .bind(json)
            .bind(SqlTime(self.clock.now()))
            .fetch_one(&self.db.reader)
            .await
        }
        .await;
        if let Err(err) = result {
            // The change itself is committed; streams on other nodes see it when they next
            // resume or load the inbox.
            tracing::warn!(error = %err, "could not tell other nodes about a change");
        }
    }

    /// Closes a session's streams on every node (signed out).
    pub async fn close_session(&self, session_id: Uuid, reason: CloseReason) {
        self.hub.close_session(session_id, reason);
        self.hint(hints::close(self.hub.node(), true, session_id, reason))
            .await;
    }

    /// Closes an agent's streams on every node (disabled).
    pub async fn close_agent(&self, agent_id: Uuid, reason: CloseReason) {
        self.hub.close_agent(agent_id, reason);
        self.hint(hints::close(self.hub.node(), false, agent_id, reason))
            .await;
    }

    async fn hint(&self, payload: String) {
        if self.db.backend() != Backend::Postgres {
            return;
        }
        let sent = sqlx::query("SELECT count(pg_notify('herald', $1)) AS n")
            .bind(payload)
            .fetch_one(&self.db.reader)
            .await;
        if let Err(err) = sent {
            // Streams check their session at every ping: they close within a minute anyway;
            // presence is told again within its refresh.
            tracing::warn!(error = %err, "could not send a hint to other nodes");
        }
    }

    fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
