//! The listener (PostgreSQL only): one connection per node that `LISTEN`s on the hints'
//! channel and applies them to the local hub; a catch-up whenever that connection was
//! lost; a periodic sweep that finds what a missed hint would have said.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::Row;
use tokio::time::{interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::hints::{Hint, CHANNEL};
use super::Fanout;
use crate::db::SqlTime;

/// How long a notice row is kept for catch-up.
const NOTICE_TTL: chrono::Duration = chrono::Duration::hours(1);

/// How long to wait before connecting again after the database refused.
const RECONNECT: Duration = Duration::from_secs(1);

/// How long one attempt to connect the listening connection may take.
const CONNECT: Duration = Duration::from_secs(3);

/// Most notices read in one catch-up round.
const NOTICE_PAGE: i64 = 500;

pub(super) async fn run(url: String, fanout: Fanout, sweep: Duration, shutdown: CancellationToken) {
    // Notices before this node started are not for its streams (they resume from the
    // database): start after the newest.
    let last_notice = loop {
        match newest_notice(&fanout).await {
            Ok(id) => break Arc::new(AtomicI64::new(id)),
            Err(err) => {
                tracing::warn!(error = %err, "fan-out: the database does not answer");
                if wait(&shutdown, RECONNECT).await {
                    return;
                }
            }
        }
    };
    // Its own task: a wait for hints is not cut short by a sweep.
    let sweeper = tokio::spawn(sweeps(
        fanout.clone(),
        sweep,
        Arc::clone(&last_notice),
        shutdown.clone(),
    ));
    listening(&url, &fanout, &last_notice, &shutdown).await;
    let _ = sweeper.await;
}

/// Listens, connecting again whenever the connection is lost, until shutdown.
async fn listening(
    url: &str,
    fanout: &Fanout,
    last_notice: &AtomicI64,
    shutdown: &CancellationToken,
) {
    loop {
        let mut listener = match connect(url).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "fan-out: cannot listen for other nodes' hints");
                if wait(shutdown, RECONNECT).await {
                    return;
                }
                continue;
            }
        };
        // Listening again before catching up: nothing hinted from here on is missed, and
        // whatever was hinted while this node was not listening is read now.
        catch_up(fanout, last_notice).await;
        match listen(fanout, &mut listener, shutdown, last_notice).await {
            Ended::Shutdown => return,
            Ended::Lost => tracing::warn!("fan-out: lost the listening connection; catching up"),
            Ended::Failed => {
                if wait(shutdown, RECONNECT).await {
                    return;
                }
            }
        }
    }
}

/// Why listening ended.
enum Ended {
    Shutdown,
    /// The connection was lost: connect again at once.
    Lost,
    /// The database refused: connect again after a pause.
    Failed,
}

async fn listen(
    fanout: &Fanout,
    listener: &mut PgListener,
    shutdown: &CancellationToken,
    last_notice: &AtomicI64,
) -> Ended {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return Ended::Shutdown,
            received = listener.try_recv() => match received {
                Ok(Some(notification)) => {
                    Fanout::count(&fanout.stats.hints);
                    apply(fanout, notification.payload(), last_notice).await;
                }
                // Hints sent from now until this node listens again are gone.
                Ok(None) => return Ended::Lost,
                Err(err) => {
                    tracing::warn!(error = %err, "fan-out: listening failed");
                    return Ended::Failed;
                }
            },
        }
    }
}

/// Sweeps every `every` until shutdown.
async fn sweeps(
    fanout: Fanout,
    every: Duration,
    last_notice: Arc<AtomicI64>,
    shutdown: CancellationToken,
) {
    let mut ticks = interval(every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticks.tick().await; // the first tick is now, as the listener catches up
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        if let Err(err) = sweep_once(&fanout, &last_notice).await {
            tracing::warn!(error = %err, "fan-out: the sweep failed");
        }
    }
}

/// Waits, or returns true on shutdown.
async fn wait(shutdown: &CancellationToken, pause: Duration) -> bool {
    tokio::select! {
        () = shutdown.cancelled() => true,
        () = tokio::time::sleep(pause) => false,
    }
}

/// Connects the listening connection. Not `PgListener::connect`: its pool retries a refused
/// connection for 30 s with pauses growing to 6 s, so a node would listen again up to 6 s
/// after the database came back; here each attempt gives up after `CONNECT` (pauses of at
/// most a fifth of it) and the caller tries again after `RECONNECT`.
async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .max_lifetime(None)
        .idle_timeout(None)
        .acquire_timeout(CONNECT)
        .connect(url)
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    // A lost connection is reported at once; `listening` connects again and catches up.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

async fn newest_notice(fanout: &Fanout) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT COALESCE(MAX(id), 0) AS id FROM stream_notices")
        .fetch_one(&fanout.db.reader)
        .await?;
    row.try_get("id")
}

async fn apply(fanout: &Fanout, payload: &str, last_notice: &AtomicI64) {
    // Its own hints (one per commit, and the presence refresh): done here already.
    if Hint::sender(payload) == Some(&**fanout.hub.node()) {
        return;
    }
    let Some(hint) = Hint::parse(payload) else {
        tracing::debug!("fan-out: a hint this node does not read");
        return;
    };
    match hint {
        Hint::Items { items, at, .. } => {
            for (agent, seq) in items {
                fanout.hub.hinted(agent, seq, Some(at));
            }
        }
        Hint::Notice { id, agent, .. } => {
            if !fanout.hub.is_connected(agent) {
                return;
            }
            let row = sqlx::query("SELECT message FROM stream_notices WHERE id = $1")
                .bind(id)
                .fetch_optional(&fanout.db.reader)
                .await;
            match row {
                Ok(Some(row)) => {
                    if let Ok(message) = row.try_get::<String, _>("message") {
                        fanout.hub.publish_json(agent, message);
                    }
                }
                Ok(None) => {} // pruned already
                Err(err) => tracing::warn!(error = %err, "fan-out: could not read a notice"),
            }
            last_notice.fetch_max(id, Ordering::Relaxed);
        }
        Hint::CloseSession {
            session, reason, ..
        } => fanout.hub.close_session(session, reason),
        Hint::CloseAgent { agent, reason, .. } => fanout.hub.close_agent(agent, reason),
        Hint::Presence { node, changes } => {
            for change in changes {
                fanout.hub.heard_presence(&node, change);
            }
        }
    }
}

/// After a lost connection: every local agent is read again, and the notices since the
/// last one seen are handed on.
async fn catch_up(fanout: &Fanout, last_notice: &AtomicI64) {
    Fanout::count(&fanout.stats.catch_ups);
    fanout.hub.catch_up_all();
    if let Err(err) = notices_since(fanout, last_notice).await {
        tracing::warn!(error = %err, "fan-out: could not catch up on notices");
    }
}

/// Notices of other nodes after `last_notice`, for agents with a stream here.
async fn notices_since(fanout: &Fanout, last_notice: &AtomicI64) -> Result<(), sqlx::Error> {
    loop {
        let rows = sqlx::query(
            "SELECT id, agent_id, message FROM stream_notices WHERE id > $1 AND node <> $2 \
             ORDER BY id LIMIT $3",
        )
        .bind(last_notice.load(Ordering::Relaxed))
        .bind(&**fanout.hub.node())
        .bind(NOTICE_PAGE)
        .fetch_all(&fanout.db.reader)
        .await?;
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let agent: String = row.try_get("agent_id")?;
            if let Ok(agent) = Uuid::parse_str(&agent) {
                if fanout.hub.is_connected(agent) {
                    fanout.hub.publish_json(agent, row.try_get("message")?);
                }
            }
            last_notice.fetch_max(id, Ordering::Relaxed);
        }
        if (rows.len() as i64) < NOTICE_PAGE {
            return Ok(());
        }
    }
}

/// The sweep: agents whose seq in the database is past what their streams here were
/// handed (a hint that never came), notices missed, and old notices pruned.
async fn sweep_once(fanout: &Fanout, last_notice: &AtomicI64) -> Result<(), sqlx::Error> {
    let agents = fanout.hub.agents();
    for chunk in agents.chunks(500) {
        let published: HashMap<Uuid, Option<u64>> = chunk.iter().copied().collect();
        let ids: Vec<String> = chunk.iter().map(|(id, _)| id.to_string()).collect();
        let ids = serde_json::to_string(&ids).map_err(|e| sqlx::Error::Encode(e.into()))?;
        let rows = sqlx::query(
            "SELECT a.id, a.last_seq FROM herald_texts($1::jsonb) AS t(value) \
               JOIN agents AS a ON a.id = t.value",
        )
        .bind(ids)
        .fetch_all(&fanout.db.reader)
        .await?;
        for row in rows {
            let id: String = row.try_get("id")?;
            let seq: i64 = row.try_get("last_seq")?;
            let (Ok(id), Ok(seq)) = (Uuid::parse_str(&id), u64::try_from(seq)) else {
                continue;
            };
            if published
                .get(&id)
                .copied()
                .flatten()
                .is_some_and(|p| p < seq)
            {
                Fanout::count(&fanout.stats.swept);
                fanout.hub.hinted(id, seq, None);
            }
        }
    }
    notices_since(fanout, last_notice).await?;
    sqlx::query("DELETE FROM stream_notices WHERE created_at < $1")
        .bind(SqlTime(fanout.clock.now() - NOTICE_TTL))
        .execute(&fanout.db.reader)
        .await?;
    Ok(())
}
