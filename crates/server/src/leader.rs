//! Background work (email alerts and summaries, pushes, read-sync, reminders, helpdesk agent
//! sync) runs on one node at a time, so nothing is sent twice by two nodes.
//!
//! On SQLite there is one node: the work starts at once. On PostgreSQL each node keeps a
//! connection of its own and tries for a session-level advisory lock; the node that holds
//! it runs the work. The lock is the lease: it ends with that connection, so when the node
//! dies (or loses the database) another node takes it within [`RETRY`]. The holder checks
//! its connection every [`CHECK`] and stops its work once it is gone. An item being sent
//! at that moment may be sent again by the new holder (at least once, as after a crash).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::{Connection, PgConnection};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::db::DatabaseUrl;

/// How often a node that does not hold the lock tries for it.
pub const RETRY: Duration = Duration::from_secs(2);

/// How often the holder checks that its connection (and with it the lock) is alive.
pub const CHECK: Duration = Duration::from_secs(1);

/// The lock's key: "Herald\0\2" as a big-endian integer (the ingest batch's is `\1`).
const KEY: i64 = 0x4865_7261_6c64_0002;

/// Starts the background work when this node may run it, until `shutdown`. `work` starts
/// the workers with a token that stops them; it may be called again after a lost lock.
/// `leading` says whether this node runs them now (for `/metrics`).
pub fn run<F>(
    database: &DatabaseUrl,
    work: F,
    leading: Arc<AtomicBool>,
    shutdown: CancellationToken,
) -> JoinHandle<()>
where
    F: Fn(CancellationToken) -> Vec<JoinHandle<()>> + Send + 'static,
{
    match database {
        DatabaseUrl::Sqlite(_) => tokio::spawn(async move {
            leading.store(true, Ordering::Relaxed);
            join(work(shutdown)).await;
        }),
        DatabaseUrl::Postgres(url) => tokio::spawn(contend(url.clone(), work, leading, shutdown)),
    }
}

async fn join(handles: Vec<JoinHandle<()>>) {
    for handle in handles {
        let _ = handle.await;
    }
}

/// Waits, or returns true on shutdown.
async fn wait(shutdown: &CancellationToken, pause: Duration) -> bool {
    tokio::select! {
        () = shutdown.cancelled() => true,
        () = tokio::time::sleep(pause) => false,
    }
}

async fn contend<F>(url: String, work: F, leading: Arc<AtomicBool>, shutdown: CancellationToken)
where
    F: Fn(CancellationToken) -> Vec<JoinHandle<()>> + Send + 'static,
{
    loop {
        let mut conn = match PgConnection::connect(&url).await {
            Ok(conn) => conn,
            Err(err) => {
                tracing::warn!(error = %err, "background work: the database does not answer");
                if wait(&shutdown, RETRY).await {
                    return;
                }
                continue;
            }
        };
        // Try until this node holds the lock or the connection fails.
        let held = loop {
            match sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
                .bind(KEY)
                .fetch_one(&mut conn)
                .await
            {
                Ok(true) => break true,
                Ok(false) => {
                    if wait(&shutdown, RETRY).await {
                        return;
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "background work: could not ask for the lock");
                    break false;
                }
            }
        };
        if held {
            tracing::info!("this node runs the background work (email, push, reminders, sync)");
            leading.store(true, Ordering::Relaxed);
            let stop = shutdown.child_token();
            let handles = work(stop.clone());
            let ended = loop {
                if wait(&shutdown, CHECK).await {
                    break true;
                }
                if let Err(err) = conn.ping().await {
                    tracing::warn!(error = %err, "background work: lost the lock; stopping it here");
                    break false;
                }
            };
            stop.cancel();
            join(handles).await;
            leading.store(false, Ordering::Relaxed);
            if ended {
                let _ = conn.close().await; // releases the lock at once
                return;
            }
        }
        if wait(&shutdown, RETRY).await {
            return;
        }
    }
}
