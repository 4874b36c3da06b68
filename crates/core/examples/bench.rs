//! herald-core benchmark: ingest → client decision latency, beside a raw WebSocket reader
//! of the same events (the peer), and the memory of a bell holding 10 000 items.
//!
//! ```text
//! cargo run --release -p herald-core --example bench -- [events] [rate]
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use herald_core::api::Api;
use herald_core::bell::Bell;
use herald_core::client::{Client, ClientConfig};
use herald_core::config::ServerUrl;
use herald_core::ports::{EventSink, Notifier, OsNotification, UiEvent};
use herald_core::sensitive::Sensitive;
use herald_core::state::MemoryState;
use herald_protocol::*;
use herald_server::admin::{self, NewAgent};
use herald_server::db::DatabaseUrl;
use herald_server::ServerConfig;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// Resident memory of this process (Linux), in bytes.
fn resident() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: i64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

struct Timing(Arrivals);
impl EventSink for Timing {
    fn emit(&self, event: UiEvent) {
        if let UiEvent::Item { notification, .. } = event {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(notification.event_id.clone(), Instant::now());
        }
    }
}
impl Notifier for Timing {
    fn show(&self, _: &OsNotification) -> herald_core::error::Result<()> {
        Ok(())
    }
}

fn percentiles(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort_unstable();
    let at = |p: f64| {
        v.get(((v.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1e3
    };
    (at(0.5), at(0.99))
}

fn item(n: u64) -> Notification {
    let prefs = Preferences::default();
    let ctx = AgentContext {
        assigned_to_me: true,
        ..AgentContext::default()
    };
    Notification {
        id: uuid::Uuid::now_v7(),
        seq: n,
        event_id: format!("evt-{n}"),
        kind: EventKind::Reply,
        title: "Pedido #4821 não chegou".into(),
        body: "Olá, alguma novidade sobre o meu pedido? Já faz três dias.".into(),
        withheld_link: None,
        conversation: Some(ConversationRef {
            id: format!("c-{}", n % 500),
            inbox_id: Some("support".into()),
            team_id: None,
            subject: Some("Pedido #4821 não chegou".into()),
            customer_name: Some("Marina Costa".into()),
            url: Some(format!("https://acme.example/c/{}", n % 500)),
        }),
        actor: Some(ActorRef {
            agent_id: None,
            name: "Marina Costa".into(),
        }),
        severity: None,
        occurred_at: chrono::Utc::now(),
        created_at: chrono::Utc::now(),
        read_at: None,
        snoozed_until: None,
        digest: None,
        decision: decide(&EventKind::Reply, &ctx, &prefs, chrono::Utc::now()),
        context: ctx,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let events: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let rate: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200);
    println!("herald-core bench: {events} events at {rate}/s; 2 cores shared with the server");

    // Memory of the bell with 10 000 items.
    let before = resident();
    let mut bell = Bell::new(10_000);
    for n in 1..=10_000 {
        bell.apply(
            &ServerMessage::Item {
                replay: false,
                notification: Box::new(item(n)),
            },
            chrono::Utc::now(),
        );
    }
    let bytes = resident() - before;
    println!(
        "bell holding {} items: {:.1} MiB resident growth ({} bytes per item)",
        bell.len(),
        bytes as f64 / 1048576.0,
        bytes / 10_000
    );
    drop(bell);

    let dir = tempfile::tempdir()?;
    let server = herald_server::start(ServerConfig::new(
        "127.0.0.1:0".parse()?,
        DatabaseUrl::Sqlite(dir.path().join("b.db")),
    ))
    .await?;
    for who in ["ana", "peer"] {
        admin::add_agent(
            &server.db,
            &NewAgent {
                workspace: "Bench".into(),
                external_id: who.into(),
                email: format!("{who}@bench.test"),
                name: who.into(),
                password: "bench password".into(),
                groups: vec![],
            },
        )
        .await?;
    }
    let (_, key) = admin::create_ingest_key(&server.db, "Bench", None).await?;
    let api = Api::new(ServerUrl::parse(&server.url(), false)?)?;

    // The core client, for ana.
    let (token, _) = api
        .sign_in(
            "ana@bench.test",
            &Sensitive::new("bench password".into()),
            None,
        )
        .await?;
    let core_arrivals: Arrivals = Arc::default();
    let timing = Arc::new(Timing(core_arrivals.clone()));
    let client = Client::new(
        api.clone(),
        token,
        Arc::new(MemoryState::default()),
        timing.clone(),
        timing,
        ClientConfig::default(),
    )?;
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn({
        let (client, stop) = (client.clone(), stop.clone());
        async move { client.run(stop).await }
    });

    // The peer: a bare WebSocket reader for the same events.
    let (peer_token, _) = api
        .sign_in(
            "peer@bench.test",
            &Sensitive::new("bench password".into()),
            None,
        )
        .await?;
    let mut request = format!("ws://{}/api/v1/stream", server.addr).into_client_request()?;
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {}", peer_token.expose()).parse()?,
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    ws.send(Message::Text(r#"{"type":"resume","after_seq":0}"#.into()))
        .await?;
    let peer_arrivals: Arrivals = Arc::default();
    tokio::spawn({
        let arrivals = peer_arrivals.clone();
        async move {
            while let Some(Ok(Message::Text(text))) = ws.next().await {
                if let Ok(ServerMessage::Item { notification, .. }) =
                    serde_json::from_str::<ServerMessage>(&text)
                {
                    arrivals
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(notification.event_id, Instant::now());
                }
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;

    let http = reqwest::Client::new();
    let mut sent = HashMap::new();
    let mut ticks = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    for n in 0..events {
        ticks.tick().await;
        let id = format!("b{n}");
        let event = PlatformEvent {
            id: id.clone(),
            kind: EventKind::Module,
            occurred_at: chrono::Utc::now(),
            conversation: None,
            actor: None,
            assignee: None,
            mentioned: vec![],
            participants: vec![],
            text: None,
            module: Some(ModuleInfo {
                name: "billing".into(),
                kind: "overdue".into(),
                severity: Severity::Warning,
                title: "Invoice overdue".into(),
                body: None,
            }),
            recipients: vec!["ana".into(), "peer".into()],
            teams: vec![],
        };
        sent.insert(id, Instant::now());
        let (http, url, key) = (http.clone(), server.url(), key.clone());
        tokio::spawn(async move {
            let _ = http
                .post(format!("{url}/api/v1/events"))
                .bearer_auth(&key)
                .json(&event)
                .send()
                .await;
        });
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.cancel();
    let latencies = |arrivals: &Arrivals| -> Vec<Duration> {
        let arrivals = arrivals.lock().unwrap_or_else(|p| p.into_inner());
        sent.iter()
            .filter_map(|(id, at)| arrivals.get(id).map(|t| t.saturating_duration_since(*at)))
            .collect()
    };
    let (core, peer) = (latencies(&core_arrivals), latencies(&peer_arrivals));
    let (c50, c99) = percentiles(core.clone());
    let (p50, p99) = percentiles(peer.clone());
    println!(
        "ingest -> core decision:  p50 {c50:.2} ms, p99 {c99:.2} ms ({} of {events})",
        core.len()
    );
    println!(
        "ingest -> raw WebSocket:  p50 {p50:.2} ms, p99 {p99:.2} ms ({} of {events}, peer)",
        peer.len()
    );
    println!("core / raw at p99:        {:.2}x", c99 / p99.max(1e-9));
    server.shutdown().await;
    Ok(())
}
