//! Email benchmark: end-of-day summaries for N agents into a local SMTP server (aiosmtpd,
//! the tests' sink), emails per second, beside a peer run of bare lettre sending to the same
//! server with no Herald logic.
//!
//! ```text
//! HERALD_TEST_PYTHON=.venv-test/bin/python cargo run --release -p herald-server --example email_bench -- 10000
//! ```

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use herald_protocol::*;
use herald_server::admin::{self, NewAgent};
use herald_server::db::DatabaseUrl;
use herald_server::email::EmailConfig;
use herald_server::ServerConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let agents: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let python = std::env::var("HERALD_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let sink_dir = tempfile::tempdir()?;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
    let mut sink = tokio::process::Command::new(python)
        .arg(script)
        .arg(sink_dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let ready = BufReader::new(
        sink.stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?,
    )
    .lines()
    .next_line()
    .await?
    .unwrap_or_default();
    let port: u16 = ready
        .strip_prefix("READY ")
        .ok_or_else(|| anyhow::anyhow!("the SMTP sink did not start: {ready} (needs aiosmtpd)"))?
        .parse()?;
    println!(
        "email bench: {agents} agents, summaries into aiosmtpd on 127.0.0.1:{port}; 2 cores shared"
    );

    // Peer: bare lettre, the same concurrency and a summary-sized multipart message, no
    // Herald logic (no queries, no outbox): what the SMTP server itself takes.
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(32))
        .build();
    let peer_n = 2000usize;
    let html = format!(
        "<!doctype html><html><body><ul>{}</ul></body></html>",
        "<li>Invoice 42 is overdue</li>".repeat(20)
    );
    let t = Instant::now();
    let results: Vec<anyhow::Result<()>> = futures_util::stream::iter(0..peer_n)
        .map(|n| {
            let (transport, html) = (transport.clone(), html.clone());
            async move {
                let message = Message::builder()
                    .from("Herald <herald@bench.test>".parse()?)
                    .to(format!("peer{n}@bench.test").parse()?)
                    .subject("Your Herald summary")
                    .multipart(lettre::message::MultiPart::alternative_plain_html(
                        "Invoice 42 is overdue\n".repeat(20),
                        html,
                    ))?;
                transport.send(message).await?;
                Ok(())
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    let peer_rate = peer_n as f64 / t.elapsed().as_secs_f64();

    let dir = tempfile::tempdir()?;
    let now = chrono::Utc::now();
    let mut config = ServerConfig::new(
        "127.0.0.1:0".parse()?,
        DatabaseUrl::Sqlite(dir.path().join("bench.db")),
    );
    let mut email = EmailConfig::new(
        format!("smtp://127.0.0.1:{port}"),
        "Herald <herald@bench.test>",
    );
    email.poll = Duration::from_millis(10);
    email.summary_poll = Duration::from_millis(200);
    // Two hours ahead: every summary set for the next hour is due.
    config.clock = herald_protocol::ManualClock::new(now + chrono::Duration::hours(2)).clock();
    config.email = Some(email);
    let server = herald_server::start(config).await?;
    let mut prefs = Preferences::default();
    prefs.email.mode = EmailMode::Summary;
    prefs.email.summary_at = LocalTime::of((now + chrono::Duration::hours(1)).time());
    prefs.events.module.email = true;
    let prefs = serde_json::to_string(&prefs)?;
    let hash = herald_server::passwords::hash_password("bench password")?;
    for i in 0..agents {
        let new = NewAgent {
            workspace: "Bench".into(),
            external_id: format!("a{i}"),
            email: format!("a{i}@bench.test"),
            name: format!("Agent {i}"),
            password: String::new(),
            groups: vec![],
        };
        admin::add_agent_with_hash(&server.db, &new, &hash).await?;
    }
    sqlx::query("UPDATE agents SET prefs = $1")
        .bind(&prefs)
        .execute(&server.db.writer)
        .await?;
    let (_, key) = admin::create_ingest_key(&server.db, "Bench", None).await?;
    let http = reqwest::Client::new();
    let events: Vec<serde_json::Value> = (0..agents)
        .map(|i| {
            serde_json::json!({"id": format!("m{i}"), "kind": "module", "occurred_at": now,
                "module": {"name": "billing", "kind": "overdue", "severity": "warning", "title": format!("Invoice {i} is overdue")},
                "recipients": [format!("a{i}")]})
        })
        .collect();
    for chunk in events.chunks(500) {
        http.post(format!("{}/api/v1/events/batch", server.url()))
            .bearer_auth(&key)
            .json(&serde_json::json!({"events": chunk}))
            .send()
            .await?
            .error_for_status()?;
    }
    let t = Instant::now();
    loop {
        let sent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'summary' AND status = 'sent'",
        )
        .fetch_one(&server.db.reader)
        .await?;
        if sent as usize >= agents {
            break;
        }
        if t.elapsed() > Duration::from_secs(600) {
            anyhow::bail!("only {sent} of {agents} summaries sent in 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rate = agents as f64 / t.elapsed().as_secs_f64();
    println!("summaries sent:            {rate:>7.0} emails/s ({agents} in {:.1} s, scheduling included)", t.elapsed().as_secs_f64());
    println!("bare lettre (peer):        {peer_rate:>7.0} emails/s (2000 multipart messages, 32 at a time)");
    println!("summaries / peer:          {:>7.2}x", rate / peer_rate);
    server.shutdown().await;
    Ok(())
}
