//! Web Push benchmark: pushes per second from ingest through the push outbox to a local
//! push service, with N browsers (one per agent), beside a peer run of a bare loop with the
//! same crate (web-push-native's encryption, the same VAPID signing, the same HTTP client
//! settings and concurrency) sending the same number of messages to the same service, with
//! no outbox, no database and no policy.
//!
//! ```text
//! cargo run --release -p herald-server --example push_bench -- 1000 10
//! ```
//! (1 000 browsers, 10 mentions of all of them: 10 000 pushes each way.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use futures_util::StreamExt;
use herald_protocol::*;
use herald_server::admin::{self, NewAgent};
use herald_server::db::DatabaseUrl;
use herald_server::push::VapidKey;
use herald_server::ServerConfig;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;

/// One browser: its endpoint and keys.
struct Browser {
    endpoint: String,
    p256dh: p256::PublicKey,
    auth: [u8; 16],
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let browsers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let total = browsers * rounds;

    // The push service: takes each message whole and answers 201, as a real one does.
    let received = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&received);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new().route(
        "/push/{n}",
        axum::routing::post(move |body: axum::body::Bytes| {
            let count = Arc::clone(&count);
            async move {
                if !body.is_empty() {
                    count.fetch_add(1, Ordering::Relaxed);
                }
                axum::http::StatusCode::CREATED
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir()?;
    let mut config = ServerConfig::new(
        "127.0.0.1:0".parse()?,
        DatabaseUrl::Sqlite(dir.path().join("bench.db")),
    );
    config.push.allow_insecure_endpoints = true;
    config.push.contact = "mailto:bench@herald.test".into();
    let server = herald_server::start(config).await?;
    let hash = herald_server::passwords::hash_password("bench password")?;
    let mut all = Vec::with_capacity(browsers);
    let mut names = Vec::with_capacity(browsers);
    let now = chrono::Utc::now();
    for n in 0..browsers {
        let agent = NewAgent {
            workspace: "Bench".into(),
            external_id: format!("agent{n}"),
            email: format!("agent{n}@bench.test"),
            name: format!("Agent {n}"),
            password: String::new(),
            groups: vec![],
        };
        let id = admin::add_agent_with_hash(&server.db, &agent, &hash).await?;
        let secret = p256::SecretKey::random(&mut rand_core::OsRng);
        let mut auth = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut auth);
        let browser = Browser {
            endpoint: format!("{origin}/push/{n}"),
            p256dh: secret.public_key(),
            auth,
        };
        sqlx::query(
            "INSERT INTO push_subscriptions (id, agent_id, endpoint, p256dh, auth, name, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'bench', $6)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(id.to_string())
        .bind(&browser.endpoint)
        .bind(B64.encode(browser.p256dh.to_encoded_point(false).as_bytes()))
        .bind(B64.encode(browser.auth))
        .bind(herald_server::db::SqlTime(now))
        .execute(&server.db.writer)
        .await?;
        all.push(browser);
        names.push(format!("agent{n}"));
    }
    let (_, key) = admin::create_ingest_key(&server.db, "Bench", None).await?;
    println!("push bench: {browsers} browsers, {rounds} mentions of all of them = {total} pushes each way; 2 cores shared");

    // Herald: a mention of every agent, `rounds` times; timed until the service has them all.
    let http = reqwest::Client::new();
    let started = Instant::now();
    for r in 0..rounds {
        let event = PlatformEvent {
            id: format!("bench-{r}"),
            kind: EventKind::Mention,
            occurred_at: chrono::Utc::now(),
            conversation: Some(ConversationRef {
                id: format!("c-{r}"),
                inbox_id: None,
                team_id: None,
                subject: Some("Can someone take this refund?".into()),
                customer_name: Some("Customer".into()),
                url: None,
            }),
            actor: Some(ActorRef {
                agent_id: None,
                name: "Lead".into(),
            }),
            assignee: None,
            mentioned: names.clone(),
            participants: vec![],
            text: Some("@all please look".into()),
            module: None,
            recipients: vec![],
            teams: vec![],
        };
        let answer = http
            .post(format!("{}/api/v1/events", server.url()))
            .bearer_auth(&key)
            .json(&event)
            .send()
            .await?;
        anyhow::ensure!(answer.status().is_success(), "ingest: {}", answer.status());
    }
    let acked = started.elapsed();
    while received.load(Ordering::Relaxed) < total {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "pushes stalled at {}",
            received.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let herald = started.elapsed();

    // Peer: the same crate in a bare loop, same client settings and concurrency.
    let vapid = VapidKey::load_or_create(&server.db).await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()?;
    let payload = br#"{"v":1,"id":"01930000-0000-7000-8000-000000000001","seq":1,"kind":"mention","title":"Can someone take this refund?","body":"@all please look","tag":"conversation:c-0","renotify":true,"url":"/?item=01930000-0000-7000-8000-000000000001"}"#;
    received.store(0, Ordering::Relaxed);
    let started = Instant::now();
    let sends = (0..total).map(|i| {
        let browser = &all[i % browsers];
        let (client, vapid, origin) = (&client, &vapid, origin.as_str());
        async move {
            let auth = web_push_native::Auth::clone_from_slice(&browser.auth);
            let body = web_push_native::encrypt(payload.to_vec(), &browser.p256dh, &auth)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let header =
                vapid.authorization(origin, "mailto:bench@herald.test", chrono::Utc::now());
            client
                .post(&browser.endpoint)
                .header("TTL", "14400")
                .header("Urgency", "high")
                .header("Content-Encoding", "aes128gcm")
                .header("Authorization", header)
                .body(body)
                .send()
                .await?;
            anyhow::Ok(())
        }
    });
    let results: Vec<_> = futures_util::stream::iter(sends)
        .buffer_unordered(64)
        .collect()
        .await;
    anyhow::ensure!(results.iter().all(Result::is_ok), "a bare send failed");
    let bare = started.elapsed();

    let rate = |d: Duration| total as f64 / d.as_secs_f64();
    println!(
        "herald: {total} pushes in {:.2} s = {:.0}/s (ingest acknowledged after {:.2} s)",
        herald.as_secs_f64(),
        rate(herald),
        acked.as_secs_f64()
    );
    println!(
        "bare web-push-native loop: {total} in {:.2} s = {:.0}/s",
        bare.as_secs_f64(),
        rate(bare)
    );
    println!("ratio herald / bare: {:.2}", rate(herald) / rate(bare));
    server.shutdown().await;
    Ok(())
}
