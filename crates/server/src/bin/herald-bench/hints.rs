//! Where PostgreSQL's notifications saturate on this machine: Herald's item hints (the
//! payloads `fanout::item_hints` makes) sent with `pg_notify` inside transactions from
//! several connections, as ingest batches send them, and received by one listening
//! connection, as each node has. Three shapes: one hint per commit (a writer that commits
//! one event at a time), 50 per commit (group commit), and full 7000-byte payloads.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_server::fanout::item_hints;
use sqlx::postgres::{PgListener, PgPoolOptions};

/// One shape's numbers.
pub struct HintRun {
    pub hints_per_commit: usize,
    pub payload_bytes: usize,
    /// Commits per second the senders made.
    pub commits: f64,
    /// Hints per second the listener received.
    pub received_hints: f64,
    /// How long the listener took, after the senders stopped, to receive the rest.
    pub drain: Duration,
}

const CHANNEL: &str = "herald_bench";
const SENDERS: usize = 4;

/// Each shape for `seconds`, on the database of `url`.
pub async fn saturation(url: &str, seconds: u64) -> anyhow::Result<Vec<HintRun>> {
    let mut runs = Vec::new();
    for per_commit in [1, 50, 170] {
        runs.push(shape(url, per_commit, Duration::from_secs(seconds)).await?);
    }
    Ok(runs)
}

async fn shape(url: &str, per_commit: usize, length: Duration) -> anyhow::Result<HintRun> {
    // Realistic payloads: random agents, seqs in the thousands.
    let payloads = item_hints(
        "a1b2c3d4e5f6",
        chrono::Utc::now(),
        (0..per_commit).map(|n| (uuid::Uuid::new_v4(), 4000 + n as u64)),
    );
    let payload_bytes = payloads.iter().map(String::len).sum();

    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    let received = Arc::new(AtomicU64::new(0));
    let counting = {
        let received = Arc::clone(&received);
        tokio::spawn(async move {
            while let Ok(notification) = listener.recv().await {
                // `i <node> <ms> <agent>:<seq> …`: every word after the first three is a hint.
                let hints = notification.payload().split(' ').count().saturating_sub(3);
                received.fetch_add(hints as u64, Ordering::Relaxed);
            }
        })
    };

    let pool = PgPoolOptions::new()
        .max_connections(SENDERS as u32)
        .connect(url)
        .await?;
    let stop = Arc::new(AtomicBool::new(false));
    let commits = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut senders = Vec::new();
    for _ in 0..SENDERS {
        let (pool, stop, commits, payloads) = (
            pool.clone(),
            Arc::clone(&stop),
            Arc::clone(&commits),
            payloads.clone(),
        );
        senders.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let mut tx = pool.begin().await?;
                sqlx::query("SELECT count(pg_notify($1, p)) FROM unnest($2::text[]) AS p")
                    .bind(CHANNEL)
                    .bind(&payloads)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                commits.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), anyhow::Error>(())
        }));
    }
    tokio::time::sleep(length).await;
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        s.await??;
    }
    let elapsed = start.elapsed();
    let sent_hints = commits.load(Ordering::Relaxed) * per_commit as u64;
    let stopped = Instant::now();
    // The listener's backlog: wait until it got everything (or 30 s).
    while received.load(Ordering::Relaxed) < sent_hints
        && stopped.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let drain = stopped.elapsed();
    counting.abort();
    pool.close().await;
    Ok(HintRun {
        hints_per_commit: per_commit,
        payload_bytes,
        commits: commits.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64(),
        received_hints: received.load(Ordering::Relaxed) as f64 / (elapsed + drain).as_secs_f64(),
        drain,
    })
}
