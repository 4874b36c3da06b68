//! What operators watch, in Prometheus' text format at `GET /metrics`: counters kept as the
//! server works (ingest, batches, failures), the fan-out lag's histogram, and gauges read
//! at scrape time (live streams, outbox depth and age per channel, push answers by outcome,
//! database reachability).
//!
//! Served only to loopback and private addresses (a scraper inside the operator's network);
//! anyone else gets 404, as for a route that does not exist.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::db::{Db, RowExt};

/// Counters, shared by the ingest writer and the handlers.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Events acknowledged (stored).
    pub events_ingested: AtomicU64,
    /// Group-commit batches committed.
    pub batches: AtomicU64,
    /// Jobs (events and tests) in those batches.
    pub batch_jobs: AtomicU64,
    /// Batches that failed (nothing of them acknowledged).
    pub batches_failed: AtomicU64,
    /// Microseconds spent committing batches.
    pub batch_micros: AtomicU64,
    /// This node runs the background work now (`leader`).
    pub background: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Metrics {
    /// One committed batch of `jobs`, of which `events` were platform events.
    pub fn batch(&self, jobs: usize, events: usize, micros: u64) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.batch_jobs.fetch_add(jobs as u64, Ordering::Relaxed);
        self.events_ingested
            .fetch_add(events as u64, Ordering::Relaxed);
        self.batch_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
    );
}

fn gauge_head(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
}

/// The exposition: the counters, then what the database says now.
pub async fn render(
    metrics: &Metrics,
    fanout: &crate::fanout::FanoutStats,
    db: &Db,
    hub: &crate::hub::Hub,
    draining: bool,
    now: DateTime<Utc>,
) -> String {
    let mut out = String::with_capacity(2048);
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    counter(
        &mut out,
        "herald_ingest_events_total",
        "Platform events stored and acknowledged.",
        load(&metrics.events_ingested),
    );
    counter(
        &mut out,
        "herald_ingest_batches_total",
        "Group-commit batches committed (events per batch = jobs / batches).",
        load(&metrics.batches),
    );
    counter(
        &mut out,
        "herald_ingest_batch_jobs_total",
        "Jobs (events and test notifications) in committed batches.",
        load(&metrics.batch_jobs),
    );
    counter(
        &mut out,
        "herald_ingest_batches_failed_total",
        "Batches that failed; none of their events was acknowledged.",
        load(&metrics.batches_failed),
    );
    let seconds = load(&metrics.batch_micros) as f64 / 1e6;
    let _ = writeln!(
        out,
        "# HELP herald_ingest_batch_seconds_total Time spent committing batches.\n# TYPE herald_ingest_batch_seconds_total counter\nherald_ingest_batch_seconds_total {seconds}"
    );
    for (name, help, value) in [
        (
            "herald_fanout_hints_total",
            "Hints received from other nodes through the database (PostgreSQL).",
            &fanout.hints,
        ),
        (
            "herald_fanout_reads_total",
            "Agents' items read from the database to hand on (another node's, or after a gap).",
            &fanout.reads,
        ),
        (
            "herald_fanout_catch_ups_total",
            "Times every local agent was read again after the listening connection was lost.",
            &fanout.catch_ups,
        ),
        (
            "herald_fanout_swept_total",
            "Agents the sweep found further on than their streams here (a missed hint).",
            &fanout.swept,
        ),
    ] {
        counter(&mut out, name, help, load(value));
    }
    hub.fanout_lag().render(
        &mut out,
        "herald_fanout_lag_seconds",
        "From the start of another node's batch to its items handed to streams here.",
    );
    gauge_head(
        &mut out,
        "herald_background_leader",
        "1 if this node runs the background work (email, push, reminders, sync) now.",
    );
    let _ = writeln!(
        out,
        "herald_background_leader {}",
        u8::from(metrics.background.load(Ordering::Relaxed))
    );
    gauge_head(
        &mut out,
        "herald_live_streams",
        "Live WebSocket streams on this node.",
    );
    let _ = writeln!(out, "herald_live_streams {}", hub.connections());
    gauge_head(
        &mut out,
        "herald_draining",
        "1 while this node shuts down and closes its streams.",
    );
    let _ = writeln!(out, "herald_draining {}", u8::from(draining));
    let database_up = match database_gauges(db, now).await {
        Ok(gauges) => {
            out.push_str(&gauges);
            1
        }
        Err(err) => {
            tracing::warn!(error = %err, "metrics: the database did not answer");
            0
        }
    };
    gauge_head(
        &mut out,
        "herald_database_up",
        "1 when the database answered this scrape.",
    );
    let _ = writeln!(out, "herald_database_up {database_up}");
    out
}

async fn database_gauges(db: &Db, now: DateTime<Utc>) -> Result<String, sqlx::Error> {
    let mut out = String::new();
    let email = sqlx::query(
        "SELECT count(*) AS n, min(created_at) AS oldest FROM outbox WHERE status = 'pending'",
    )
    .fetch_one(&db.reader)
    .await?;
    let push = sqlx::query(
        "SELECT count(*) AS n, min(created_at) AS oldest FROM push_outbox \
         WHERE status IN ('pending', 'held')",
    )
    .fetch_one(&db.reader)
    .await?;
    gauge_head(
        &mut out,
        "herald_outbox_pending",
        "Messages waiting to be sent, per channel.",
    );
    gauge_head(
        &mut out,
        "herald_outbox_oldest_seconds",
        "Age of the oldest waiting message, per channel (0 when none).",
    );
    let mut ages = String::new();
    for (channel, row) in [("email", &email), ("push", &push)] {
        let n: i64 = row.try_get("n")?;
        let oldest: Option<DateTime<Utc>> = row.time("oldest")?;
        let age = oldest.map_or(0, |t| (now - t).num_seconds().max(0));
        let _ = writeln!(out, "herald_outbox_pending{{channel=\"{channel}\"}} {n}");
        let _ = writeln!(
            ages,
            "herald_outbox_oldest_seconds{{channel=\"{channel}\"}} {age}"
        );
    }
    out.push_str(&ages);
    let rows = sqlx::query(
        "SELECT status, count(*) AS n FROM push_outbox GROUP BY status ORDER BY status",
    )
    .fetch_all(&db.reader)
    .await?;
    gauge_head(
        &mut out,
        "herald_push_answers",
        "Push outbox rows by state (sent, gone, failed, skipped, expired, in_front, pending).",
    );
    for row in rows {
        let status: String = row.try_get("status")?;
        let n: i64 = row.try_get("n")?;
        let _ = writeln!(out, "herald_push_answers{{status=\"{status}\"}} {n}");
    }
    let rows =
        sqlx::query("SELECT status, count(*) AS n FROM outbox GROUP BY status ORDER BY status")
            .fetch_all(&db.reader)
            .await?;
    gauge_head(
        &mut out,
        "herald_email_answers",
        "Email outbox rows by state.",
    );
    for row in rows {
        let status: String = row.try_get("status")?;
        let n: i64 = row.try_get("n")?;
        let _ = writeln!(out, "herald_email_answers{{status=\"{status}\"}} {n}");
    }
    Ok(out)
}
