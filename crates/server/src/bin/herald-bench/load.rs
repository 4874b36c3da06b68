//! The throughput phases: events posted as fast as they are acknowledged, one per request
//! or in batches, by clients spread over the nodes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_protocol::{IngestBatchResult, IngestItemResult, PlatformEvent};

use crate::setup::event;

/// Posts `count` events from `concurrency` clients (client `t` on node `t % nodes`) as fast
/// as acknowledgements come back; events per second.
pub async fn throughput(
    urls: &[String],
    key: &str,
    agents: usize,
    count: usize,
    concurrency: usize,
    tag: &str,
) -> anyhow::Result<f64> {
    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let (url, key, next, tag) = (
            urls[t % urls.len()].clone(),
            key.to_owned(),
            Arc::clone(&next),
            tag.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= count {
                    return Ok::<(), anyhow::Error>(());
                }
                http.post(format!("{url}/api/v1/events"))
                    .bearer_auth(&key)
                    .json(&event(format!("{tag}-{n}"), n % agents))
                    .send()
                    .await?
                    .error_for_status()?;
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(count as f64 / start.elapsed().as_secs_f64())
}

/// Posts `count` events in batches of `size` from `concurrency` clients spread over the
/// nodes; events per second.
pub async fn batched(
    urls: &[String],
    key: &str,
    agents: usize,
    count: usize,
    size: usize,
    concurrency: usize,
) -> anyhow::Result<f64> {
    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let (url, key, next) = (
            urls[t % urls.len()].clone(),
            key.to_owned(),
            Arc::clone(&next),
        );
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            loop {
                let first = next.fetch_add(size, Ordering::Relaxed);
                if first >= count {
                    return Ok::<(), anyhow::Error>(());
                }
                let events: Vec<PlatformEvent> = (first..(first + size).min(count))
                    .map(|n| event(format!("batch-{n}"), n % agents))
                    .collect();
                let result: IngestBatchResult = http
                    .post(format!("{url}/api/v1/events/batch"))
                    .bearer_auth(&key)
                    .json(&serde_json::json!({ "events": events }))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                if let Some(IngestItemResult::Rejected { event_id, error }) = result
                    .results
                    .iter()
                    .find(|r| matches!(r, IngestItemResult::Rejected { .. }))
                {
                    anyhow::bail!("event {event_id:?} of a batch was rejected: {error:?}");
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(count as f64 / start.elapsed().as_secs_f64())
}

/// The `p` quantile of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
