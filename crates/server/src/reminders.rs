//! The reminders worker: every `poll`, asks whether a snooze ended, an unread assignment's
//! reminder is due (one indexed query on a reader) or an agent's quiet time with held items
//! is over, and if so has the ingest writer bring those items back and make the quiet
//! summaries (`ingest::returns`, `ingest::quiet`). Times come from the server's clock, so
//! tests move it instead of waiting.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::db::Db;
use crate::ingest::{any_due, any_quiet_over, Ingest};

/// Checks every `poll` until `stop`. Holds an [`Ingest`] handle, dropped when it stops, so
/// the writer can finish after it.
pub fn start_worker(
    db: Db,
    ingest: Ingest,
    clock: herald_protocol::Clock,
    poll: Duration,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(poll);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = ticks.tick() => {}
            }
            let now = clock.now();
            let due = match any_due(&db, now).await {
                Ok(false) => any_quiet_over(&db, now).await,
                other => other,
            };
            match due {
                Ok(false) => {}
                Ok(true) => match ingest.returns().await {
                    Ok(n) => tracing::debug!(came_back = n, "reminders handled"),
                    Err(err) => {
                        tracing::warn!(error = %err, "bringing items back failed; will retry")
                    }
                },
                Err(err) => {
                    tracing::warn!(error = %err, "reading due reminders failed; will retry")
                }
            }
        }
    })
}
