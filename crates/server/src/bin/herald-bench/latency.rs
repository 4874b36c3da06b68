//! The delivery phase: every agent signed in and streaming (agent `i` on node `i % nodes`),
//! events posted at a steady rate (event `n` on node `(n / 2) % nodes`, so that with two
//! nodes half of them are committed on the node the agent streams from and half on the
//! other), and the time from each post to its item on the agent's stream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use herald_protocol::{ServerMessage, SessionGrant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::load::percentile;
use crate::setup::{event, Setup, PASSWORD};

/// Delivery times, sorted.
#[derive(Default)]
pub struct Delivery {
    /// Every item.
    pub all: Vec<Duration>,
    /// Items committed on the node the agent streams from.
    pub same_node: Vec<Duration>,
    /// Items committed on another node (read there on a hint).
    pub cross_node: Vec<Duration>,
    /// Events posted.
    pub sent: usize,
}

impl Delivery {
    pub fn p50(&self) -> Duration {
        percentile(&self.all, 0.50)
    }

    pub fn p99(&self) -> Duration {
        percentile(&self.all, 0.99)
    }
}

pub async fn delivery(
    setup: &Setup,
    agents: usize,
    rate: u32,
    seconds: u64,
) -> anyhow::Result<Delivery> {
    let urls = setup.urls();
    let nodes = urls.len();
    let http = reqwest::Client::new();
    let (arrivals_tx, mut arrivals) = mpsc::unbounded_channel::<(String, Instant)>();
    let mut sockets = Vec::new();
    let connect_start = Instant::now();
    for i in 0..agents {
        let url = &urls[i % nodes];
        let grant: SessionGrant = http
            .post(format!("{url}/api/v1/session"))
            .json(&serde_json::json!({"email": format!("a{i}@bench.test"), "password": PASSWORD}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let mut request = format!("{}/api/v1/stream", url.replacen("http://", "ws://", 1))
            .into_client_request()?;
        request
            .headers_mut()
            .insert("Authorization", format!("Bearer {}", grant.token).parse()?);
        let (mut ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .context("stream")?;
        futures_util::SinkExt::send(
            &mut ws,
            Message::Text(r#"{"type":"resume","after_seq":0}"#.into()),
        )
        .await?;
        let tx = arrivals_tx.clone();
        sockets.push(tokio::spawn(async move {
            while let Some(Ok(frame)) = ws.next().await {
                if let Message::Text(text) = frame {
                    let at = Instant::now();
                    if let Ok(ServerMessage::Item {
                        replay: false,
                        notification,
                    }) = serde_json::from_str(&text)
                    {
                        let _ = tx.send((notification.event_id, at));
                    }
                }
            }
        }));
    }
    println!(
        "{agents} agents signed in and streaming on {nodes} node(s) in {:.1} s ({} live streams)",
        connect_start.elapsed().as_secs_f64(),
        setup.connections()
    );

    let total = rate as usize * seconds as usize;
    let period = Duration::from_secs_f64(1.0 / f64::from(rate));
    // Event id → when it was posted, and whether another node than the agent's took it.
    let sent: Arc<Mutex<HashMap<String, (Instant, bool)>>> = Arc::default();
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut posts = Vec::with_capacity(total);
    for n in 0..total {
        ticks.tick().await;
        let id = format!("lat-{n}");
        let agent = n % agents;
        let on = (n / 2) % nodes;
        let body = event(id.clone(), agent);
        let (http, url, key, sent) = (
            http.clone(),
            urls[on].clone(),
            setup.key.clone(),
            Arc::clone(&sent),
        );
        let cross = on != agent % nodes;
        posts.push(tokio::spawn(async move {
            sent.lock()
                .map(|mut m| m.insert(id, (Instant::now(), cross)))
                .ok();
            http.post(format!("{url}/api/v1/events"))
                .bearer_auth(&key)
                .json(&body)
                .send()
                .await
                .and_then(|r| r.error_for_status())
        }));
    }
    for p in posts {
        p.await??;
    }
    let mut out = Delivery {
        sent: total,
        ..Delivery::default()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while out.all.len() < total && Instant::now() < deadline {
        let Ok(Some((id, at))) =
            tokio::time::timeout(Duration::from_secs(1), arrivals.recv()).await
        else {
            continue;
        };
        if let Some((start, cross)) = sent.lock().ok().and_then(|m| m.get(&id).copied()) {
            let took = at.saturating_duration_since(start);
            out.all.push(took);
            if cross {
                out.cross_node.push(took);
            } else {
                out.same_node.push(took);
            }
        }
    }
    for s in sockets {
        s.abort();
    }
    for list in [&mut out.all, &mut out.same_node, &mut out.cross_node] {
        list.sort_unstable();
    }
    Ok(out)
}
