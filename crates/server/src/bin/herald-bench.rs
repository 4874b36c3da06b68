//! `herald-bench`: durable ingest throughput and ingest → client delivery latency of a real
//! herald-server (SQLite file, `synchronous = FULL`) with M agents on real WebSockets; with
//! `--postgres <cluster>`, the same on a fresh PostgreSQL database beside it, side by side.
//!
//! Prints numbers, not a verdict: the machine is shared. The peer in the same run is the
//! same server committing every event on its own (no group commit).
//!
//! ```text
//! cargo run --release -p herald-server --bin herald-bench -- --agents 1000 --events 20000
//! scripts/bench-postgres.sh   # a durable throwaway cluster, then both stores
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use clap::Parser;
use futures_util::StreamExt;
use herald_protocol::{
    ActorRef, ConversationRef, EventKind, PlatformEvent, ServerMessage, SessionGrant,
};
use herald_server::admin::{self, NewAgent};
use herald_server::db::DatabaseUrl;
use herald_server::ServerConfig;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// Benchmark options.
#[derive(Parser, Debug)]
struct Args {
    /// Agents, each with a live WebSocket.
    #[arg(long, default_value_t = 1000)]
    agents: usize,
    /// Events for the throughput phase.
    #[arg(long, default_value_t = 20_000)]
    events: usize,
    /// Concurrent HTTP clients posting events in the throughput phase.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Events per request in the batched throughput phase (`POST /events/batch`).
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Events per second in the latency phase.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    /// Seconds of the latency phase.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Only seed this database with `--agents` agents ("a0@bench.test"…, password
    /// "bench password", hashed once) and print an ingest key; for `scripts/bench-peers.sh`,
    /// which runs the real binary on it.
    #[arg(long)]
    seed: Option<std::path::PathBuf>,
    /// A PostgreSQL cluster (`postgres://user@host:port/db`): the same phases again on a new
    /// database in it, printed beside SQLite's.
    #[arg(long)]
    postgres: Option<String>,
}

const PASSWORD: &str = "bench password";

fn event(id: String, agent: usize) -> PlatformEvent {
    PlatformEvent {
        id,
        kind: EventKind::Assignment,
        occurred_at: Utc::now(),
        conversation: Some(ConversationRef {
            id: format!("c-{agent}"),
            inbox_id: None,
            team_id: None,
            subject: Some("Order #4821 did not arrive".into()),
            customer_name: Some("Marina Costa".into()),
            url: None,
        }),
        actor: Some(ActorRef {
            agent_id: None,
            name: "Router".into(),
        }),
        assignee: Some(format!("a{agent}")),
        mentioned: vec![],
        participants: vec![],
        text: Some("Olá, alguma novidade sobre o meu pedido?".into()),
        module: None,
        recipients: vec![],
        teams: vec![],
    }
}

struct Setup {
    server: herald_server::Running,
    key: String,
    _dir: tempfile::TempDir,
}

/// Adds `agents` agents sharing one password hash (hashing is not what is measured).
async fn seed_agents(db: &herald_server::db::Db, agents: usize) -> anyhow::Result<()> {
    let hash = herald_server::passwords::hash_password(PASSWORD)?;
    for i in 0..agents {
        let new = NewAgent {
            workspace: "Bench".into(),
            external_id: format!("a{i}"),
            email: format!("a{i}@bench.test"),
            name: format!("Agent {i}"),
            password: String::new(),
            groups: vec![],
        };
        admin::add_agent_with_hash(db, &new, &hash).await?;
    }
    Ok(())
}

/// A new database: a SQLite file in `dir`, or a new database in the PostgreSQL cluster.
async fn database(dir: &std::path::Path, postgres: Option<&str>) -> anyhow::Result<DatabaseUrl> {
    use sqlx::{Connection as _, Executor as _};
    let Some(cluster) = postgres else {
        return Ok(DatabaseUrl::Sqlite(dir.join("bench.db")));
    };
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(cluster).await?;
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    admin.close().await?;
    let mut url = url::Url::parse(cluster)?;
    url.set_path(&name);
    Ok(DatabaseUrl::Postgres(url.to_string()))
}

async fn setup(agents: usize, batch: usize, postgres: Option<&str>) -> anyhow::Result<Setup> {
    let dir = tempfile::tempdir()?;
    let mut config = ServerConfig::new(
        "127.0.0.1:0".parse()?,
        database(dir.path(), postgres).await?,
    );
    config.ingest_batch = batch;
    config.sign_in_limits = (usize::MAX, usize::MAX);
    let server = herald_server::start(config).await?;
    seed_agents(&server.db, agents).await?;
    let (_, key) = admin::create_ingest_key(&server.db, "Bench", None).await?;
    Ok(Setup {
        server,
        key,
        _dir: dir,
    })
}

/// Posts `count` events from `concurrency` clients as fast as acknowledgements come back.
async fn throughput(
    url: &str,
    key: &str,
    agents: usize,
    count: usize,
    concurrency: usize,
    tag: &str,
) -> anyhow::Result<f64> {
    let start = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (url, key, next, tag) = (
            url.to_owned(),
            key.to_owned(),
            Arc::clone(&next),
            tag.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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

/// Posts `count` events in batches of `size` from `concurrency` clients.
async fn batched(
    url: &str,
    key: &str,
    agents: usize,
    count: usize,
    size: usize,
    concurrency: usize,
) -> anyhow::Result<f64> {
    let start = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (url, key, next) = (url.to_owned(), key.to_owned(), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            loop {
                let first = next.fetch_add(size, std::sync::atomic::Ordering::Relaxed);
                if first >= count {
                    return Ok::<(), anyhow::Error>(());
                }
                let events: Vec<PlatformEvent> = (first..(first + size).min(count))
                    .map(|n| event(format!("batch-{n}"), n % agents))
                    .collect();
                let result: herald_protocol::IngestBatchResult = http
                    .post(format!("{url}/api/v1/events/batch"))
                    .bearer_auth(&key)
                    .json(&serde_json::json!({ "events": events }))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                if let Some(herald_protocol::IngestItemResult::Rejected { event_id, error }) =
                    result
                        .results
                        .iter()
                        .find(|r| matches!(r, herald_protocol::IngestItemResult::Rejected { .. }))
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(path) = &args.seed {
        let db = herald_server::db::Db::open(&DatabaseUrl::Sqlite(path.clone())).await?;
        seed_agents(&db, args.agents).await?;
        let (_, key) = admin::create_ingest_key(&db, "Bench", None).await?;
        db.close().await;
        println!("{key}");
        return Ok(());
    }
    if let Ok(filter) = std::env::var("HERALD_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    println!(
        "herald-bench: {} agents, {} events, {} clients, latency at {}/s for {} s",
        args.agents, args.events, args.concurrency, args.rate, args.seconds
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let sqlite = store(&args, None).await?;
    print_store("SQLite", &sqlite);
    if let Some(cluster) = &args.postgres {
        let postgres = store(&args, Some(cluster)).await?;
        print_store("PostgreSQL", &postgres);
        println!("\nPostgreSQL / SQLite, same run:");
        println!(
            "  ingest, group commit:   {:>5.2}x ({:.0} vs {:.0} events/s)",
            postgres.rate / sqlite.rate,
            postgres.rate,
            sqlite.rate
        );
        println!(
            "  ingest, batched:        {:>5.2}x ({:.0} vs {:.0} events/s)",
            postgres.batch_rate / sqlite.batch_rate,
            postgres.batch_rate,
            sqlite.batch_rate
        );
        println!(
            "  delivery p50 / p99:     {:.2} / {:.2} ms vs {:.2} / {:.2} ms",
            ms(postgres.p50),
            ms(postgres.p99),
            ms(sqlite.p50),
            ms(sqlite.p99)
        );
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One store's numbers.
struct StoreRun {
    rate: f64,
    batch_rate: f64,
    peer_rate: f64,
    p50: Duration,
    p99: Duration,
}

fn print_store(name: &str, run: &StoreRun) {
    println!(
        "{name}: group commit {:.0} events/s, batched {:.0} events/s, commit per event {:.0} events/s ({:.1}x); delivery p50 {:.2} ms, p99 {:.2} ms",
        run.rate,
        run.batch_rate,
        run.peer_rate,
        run.rate / run.peer_rate,
        ms(run.p50),
        ms(run.p99)
    );
}

/// Every phase on one store: the per-event-commit peer, group commit, batched requests, and
/// delivery latency with every agent streaming.
async fn store(args: &Args, postgres: Option<&str>) -> anyhow::Result<StoreRun> {
    println!(
        "\n--- {} ---",
        if postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    // Peer: the same server committing every event on its own.
    let peer = setup(args.agents.min(100), 1, postgres).await?;
    let peer_events = args.events.min(5000);
    let peer_rate = throughput(
        &peer.server.url(),
        &peer.key,
        args.agents.min(100),
        peer_events,
        args.concurrency,
        "peer",
    )
    .await?;
    peer.server.shutdown().await;

    let bench = setup(args.agents, herald_server::ingest::MAX_BATCH, postgres).await?;
    let url = bench.server.url();
    let rate = throughput(
        &url,
        &bench.key,
        args.agents,
        args.events,
        args.concurrency,
        "tp",
    )
    .await?;
    let batch_rate = batched(&url, &bench.key, args.agents, args.events, args.batch, 8).await?;
    println!("durable ingest, group commit:      {rate:>9.0} events/s ({} events, one per request, {} clients)", args.events, args.concurrency);
    println!("durable ingest, batched requests:  {batch_rate:>9.0} events/s ({} events, {} per request, 8 clients)", args.events, args.batch);
    println!("durable ingest, commit per event:  {peer_rate:>9.0} events/s ({peer_events} events, one per request, peer)");
    println!(
        "group commit / per-event commit:   {:>9.1}x",
        rate / peer_rate
    );

    // Latency: every agent signed in and streaming.
    let http = reqwest::Client::new();
    let (arrivals_tx, mut arrivals) = mpsc::unbounded_channel::<(String, Instant)>();
    let mut sockets = Vec::new();
    let connect_start = Instant::now();
    for i in 0..args.agents {
        let grant: SessionGrant = http
            .post(format!("{url}/api/v1/session"))
            .json(&serde_json::json!({"email": format!("a{i}@bench.test"), "password": PASSWORD}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let mut request =
            format!("ws://{}/api/v1/stream", bench.server.addr).into_client_request()?;
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
        "{} agents signed in and streaming in {:.1} s ({} live streams)",
        args.agents,
        connect_start.elapsed().as_secs_f64(),
        bench.server.hub.connections()
    );

    let total = args.rate as usize * args.seconds as usize;
    let period = Duration::from_secs_f64(1.0 / f64::from(args.rate));
    let sent: Arc<std::sync::Mutex<HashMap<String, Instant>>> = Arc::default();
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut posts = Vec::with_capacity(total);
    for n in 0..total {
        ticks.tick().await;
        let id = format!("lat-{n}");
        let body = event(id.clone(), n % args.agents);
        let (http, url, key, sent) = (
            http.clone(),
            url.clone(),
            bench.key.clone(),
            Arc::clone(&sent),
        );
        posts.push(tokio::spawn(async move {
            sent.lock().map(|mut m| m.insert(id, Instant::now())).ok();
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
    let mut latencies = Vec::with_capacity(total);
    let deadline = Instant::now() + Duration::from_secs(10);
    while latencies.len() < total && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(1), arrivals.recv()).await {
            Ok(Some((id, at))) => {
                if let Some(start) = sent.lock().ok().and_then(|m| m.get(&id).copied()) {
                    latencies.push(at.saturating_duration_since(start));
                }
            }
            _ => continue,
        }
    }
    latencies.sort_unstable();
    println!(
        "ingest -> client delivery at {}/s with {} agents connected: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} of {} delivered)",
        args.rate,
        args.agents,
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        latencies.len(),
        total
    );
    for s in sockets {
        s.abort();
    }
    bench.server.shutdown().await;
    Ok(StoreRun {
        rate,
        batch_rate,
        peer_rate,
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
    })
}
