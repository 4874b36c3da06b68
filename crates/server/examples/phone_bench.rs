//! Phone push benchmark: pushes per second from ingest through the push outbox to a local
//! APNs server over HTTP/2 (h2c), with N phones (one per agent), beside a bare loop that
//! sends the same number of APNs requests (same HTTP/2 client settings, the same provider
//! token, the same headers and concurrency) to the same server with no outbox, no database
//! and no policy. Then the latency Herald adds from an event's ingest to the provider
//! request for it, at a steady rate with the phones idle.
//!
//! ```text
//! cargo run --release -p herald-server --example phone_bench -- 10000 200
//! ```
//! (10 000 phones, mentioned by ten events of 1 000 each; then 200 assignments at 50/s, one agent each;
//! then every agent marks all read, and the phones' read-syncs are timed.)
//! The local server only counts and timestamps: it checks nothing (the tests' stand-in in
//! `tests/common/apns_service.rs` does), so both sides pay the same for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use futures_util::StreamExt;
use herald_protocol::*;
use herald_server::admin::{self, NewAgent};
use herald_server::db::DatabaseUrl;
use herald_server::push::apns::ApnsConfig;
use herald_server::ServerConfig;
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::{EncodePrivateKey as _, LineEnding};

const TOPIC: &str = "dev.herald.app";

/// What the local APNs server saw: how many requests, and when each latency probe came.
#[derive(Default)]
struct Seen {
    count: AtomicUsize,
    probes: Mutex<HashMap<String, Instant>>,
    /// Read-syncs (background pushes): when each came.
    syncs: Mutex<Vec<Instant>>,
}

/// The probe's mark in an alert ("… lat-17 …"), if any.
fn probe(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let at = text.find("lat-")?;
    let digits: String = text[at + 4..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("lat-{digits}"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(at).copied().unwrap_or_default()
}

fn event(id: String, kind: EventKind, subject: String, mentioned: Vec<String>) -> PlatformEvent {
    PlatformEvent {
        id,
        kind,
        occurred_at: chrono::Utc::now(),
        conversation: Some(ConversationRef {
            id: "c-bench".into(),
            inbox_id: None,
            team_id: None,
            subject: Some(subject),
            customer_name: Some("Customer".into()),
            url: None,
        }),
        actor: Some(ActorRef {
            agent_id: None,
            name: "Lead".into(),
        }),
        assignee: None,
        mentioned,
        participants: vec![],
        text: Some("please look".into()),
        module: None,
        recipients: vec![],
        teams: vec![],
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let phones: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let probes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);

    // Apple's side: HTTP/2 without TLS, 200 with an apns-id, as APNs answers.
    let seen = Arc::new(Seen::default());
    let state = Arc::clone(&seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    // As a real push service does: small frames go out at once (Nagle's delay would hold
    // each answer until the client's delayed acknowledgement, tens of milliseconds).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = axum::Router::new().route(
        "/3/device/{token}",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let seen = Arc::clone(&state);
                async move {
                    let at = Instant::now();
                    if headers
                        .get("apns-push-type")
                        .is_some_and(|t| t == "background")
                    {
                        seen.syncs
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(at);
                        return ([("apns-id", "01930000-0000-7000-8000-000000000002")], "");
                    }
                    if let Some(mark) = probe(&body) {
                        seen.probes
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(mark, at);
                    }
                    seen.count.fetch_add(1, Ordering::Relaxed);
                    ([("apns-id", "01930000-0000-7000-8000-000000000001")], "")
                }
            },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir()?;
    let secret = p256::SecretKey::random(&mut rand_core::OsRng);
    let key_file = dir.path().join("AuthKey_BENCH12345.p8");
    std::fs::write(&key_file, secret.to_pkcs8_pem(LineEnding::LF)?.as_bytes())?;
    let mut config = ServerConfig::new(
        "127.0.0.1:0".parse()?,
        DatabaseUrl::Sqlite(dir.path().join("bench.db")),
    );
    config.push.apns = Some(ApnsConfig {
        key_file,
        key_id: "BENCH12345".into(),
        team_id: "TEAM123456".into(),
        base_url: origin.clone(),
    });
    let server = herald_server::start(config).await?;
    let hash = herald_server::passwords::hash_password("bench password")?;
    let mut names = Vec::with_capacity(phones);
    let mut agents = Vec::with_capacity(phones);
    let mut tokens = Vec::with_capacity(phones);
    let now = chrono::Utc::now();
    for n in 0..phones {
        let agent = NewAgent {
            workspace: "Bench".into(),
            external_id: format!("agent{n}"),
            email: format!("agent{n}@bench.test"),
            name: format!("Agent {n}"),
            password: String::new(),
            groups: vec![],
        };
        let id = admin::add_agent_with_hash(&server.db, &agent, &hash).await?;
        let token = format!("{n:064x}");
        sqlx::query(
            "INSERT INTO push_subscriptions \
             (id, agent_id, endpoint, p256dh, auth, name, created_at, platform, app_id) \
             VALUES ($1, $2, $3, '', '', 'bench phone', $4, 'apns', $5)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(id.to_string())
        .bind(format!("apns:{token}"))
        .bind(herald_server::db::SqlTime(now))
        .bind(TOPIC)
        .execute(&server.db.writer)
        .await?;
        names.push(format!("agent{n}"));
        agents.push(id);
        tokens.push(token);
    }
    let (_, key) = admin::create_ingest_key(&server.db, "Bench", None).await?;
    println!("phone bench: {phones} phones (APNs over h2c), mentioned 1 000 per event; {probes} latency probes at 50/s; 2 cores shared");

    // Herald: every agent mentioned once; timed until the APNs server has them all.
    let http = reqwest::Client::new();
    let ingest = |event: PlatformEvent| {
        let (http, url, key) = (http.clone(), server.url(), key.clone());
        async move {
            let answer = http
                .post(format!("{url}/api/v1/events"))
                .bearer_auth(&key)
                .json(&event)
                .send()
                .await?;
            anyhow::ensure!(answer.status().is_success(), "ingest: {}", answer.status());
            anyhow::Ok(())
        }
    };
    // An event mentions at most 1 000 agents: one per thousand, all sent at once.
    let started = Instant::now();
    let mentions = names.chunks(1000).enumerate().map(|(n, chunk)| {
        let mention = event(
            format!("bench-{n}"),
            EventKind::Mention,
            "Refund".into(),
            chunk.to_vec(),
        );
        ingest(mention)
    });
    for result in futures_util::future::join_all(mentions).await {
        result?;
    }
    let acked = started.elapsed();
    while seen.count.load(Ordering::Relaxed) < phones {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "pushes stalled at {}",
            seen.count.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let herald = started.elapsed();

    // Latency: one assignment at a time, 50 a second, each to another agent.
    let mut sent_at = HashMap::new();
    let mut ticks = tokio::time::interval(Duration::from_millis(20));
    for n in 0..probes {
        ticks.tick().await;
        let mut probe = event(
            format!("probe-{n}"),
            EventKind::Assignment,
            format!("lat-{n}"),
            vec![],
        );
        probe.assignee = Some(format!("agent{}", n % phones));
        sent_at.insert(format!("lat-{n}"), Instant::now());
        ingest(probe).await?;
    }
    let waited = Instant::now();
    while seen.probes.lock().unwrap_or_else(|p| p.into_inner()).len() < probes {
        anyhow::ensure!(waited.elapsed() < Duration::from_secs(60), "probes stalled");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut latencies: Vec<Duration> = {
        let arrived = seen.probes.lock().unwrap_or_else(|p| p.into_inner());
        sent_at
            .iter()
            .filter_map(|(mark, at)| arrived.get(mark).map(|got| got.duration_since(*at)))
            .collect()
    };
    latencies.sort_unstable();

    // Read-sync: every agent marks all read. The marks are dated an hour ahead, so their
    // syncs wait until all are written; then made due at once, and timed from the first
    // background push to the last (one per phone, each with its own query of what to clear).
    let ahead = chrono::Utc::now() + chrono::Duration::hours(1);
    for agent in &agents {
        herald_server::inbox::mark(&server.db, *agent, &MarkRequest::All, ahead).await?;
    }
    sqlx::query("UPDATE phone_sync SET not_before = $1")
        .bind(herald_server::db::SqlTime(chrono::Utc::now()))
        .execute(&server.db.writer)
        .await?;
    let waited = Instant::now();
    while seen.syncs.lock().unwrap_or_else(|p| p.into_inner()).len() < phones {
        anyhow::ensure!(
            waited.elapsed() < Duration::from_secs(600),
            "read-syncs stalled"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let syncs = {
        let syncs = seen.syncs.lock().unwrap_or_else(|p| p.into_inner());
        match (syncs.iter().min(), syncs.iter().max()) {
            (Some(first), Some(last)) => last.duration_since(*first),
            _ => Duration::ZERO,
        }
    };

    // Peer: a bare loop of the same requests over one client with the same settings.
    let signing = p256::ecdsa::SigningKey::from(&secret);
    let header = B64.encode(r#"{"alg":"ES256","kid":"BENCH12345"}"#);
    let claims = B64.encode(format!(
        r#"{{"iss":"TEAM123456","iat":{}}}"#,
        now.timestamp()
    ));
    let signed = format!("{header}.{claims}");
    let signature: p256::ecdsa::Signature = signing.sign(signed.as_bytes());
    let jwt = format!("{signed}.{}", B64.encode(signature.to_bytes()));
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let body = r#"{"aps":{"alert":{"title":"Lead mentioned you: Refund","body":"please look"},"badge":1,"sound":"default","thread-id":"lKVOcukI4mTPRe9R3T8R9WXBYM8QZOlB"},"herald":"item","item":"01930000-0000-7000-8000-000000000001","key":"lKVOcukI4mTPRe9R3T8R9WXBYM8QZOlB","kind":"mention","seq":"1"}"#;
    seen.count.store(0, Ordering::Relaxed);
    let started = Instant::now();
    let sends = tokens.iter().map(|token| {
        let (client, jwt, origin) = (&client, &jwt, origin.as_str());
        async move {
            let answer = client
                .post(format!("{origin}/3/device/{token}"))
                .header("authorization", format!("bearer {jwt}"))
                .header("apns-topic", TOPIC)
                .header("apns-push-type", "alert")
                .header("apns-priority", "10")
                .header("apns-expiration", "0")
                .header("apns-collapse-id", "lKVOcukI4mTPRe9R3T8R9WXBYM8QZOlB")
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await?;
            anyhow::ensure!(answer.status().is_success(), "bare: {}", answer.status());
            anyhow::Ok(())
        }
    });
    let results: Vec<_> = futures_util::stream::iter(sends)
        .buffer_unordered(64)
        .collect()
        .await;
    anyhow::ensure!(results.iter().all(Result::is_ok), "a bare send failed");
    let bare = started.elapsed();

    let rate = |d: Duration| phones as f64 / d.as_secs_f64();
    println!(
        "herald: {phones} phone pushes in {:.2} s = {:.0}/s (ingest acknowledged after {:.3} s)",
        herald.as_secs_f64(),
        rate(herald),
        acked.as_secs_f64()
    );
    println!(
        "bare HTTP/2 loop (same client settings, concurrency 64): {phones} in {:.2} s = {:.0}/s",
        bare.as_secs_f64(),
        rate(bare)
    );
    println!("ratio herald / bare: {:.2}", rate(herald) / rate(bare));
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "ingest -> APNs request, one event at a time at 50/s: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} probes)",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
        latencies.len()
    );
    println!(
        "read-sync after 'mark all read' by every agent: {phones} background pushes in {:.2} s = {:.0}/s ({:.2}x the bare loop)",
        syncs.as_secs_f64(),
        rate(syncs),
        rate(syncs) / rate(bare)
    );
    server.shutdown().await;
    Ok(())
}
