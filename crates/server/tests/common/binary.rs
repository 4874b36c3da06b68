//! The real `herald-server` binary: a database prepared beside it (agent "ana" and an ingest
//! key), the process started on a free port, and what /proc says about it.

use std::process::Stdio;
use std::time::Duration;

use herald_server::admin::{self, NewAgent};
use herald_server::db::{DatabaseUrl, Db};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::PASSWORD;

/// Prepares `database` with agent "ana" and returns an ingest key.
pub async fn prepare(database: &DatabaseUrl) -> String {
    let db = Db::open(database).await.unwrap();
    admin::add_agent(
        &db,
        &NewAgent {
            workspace: "Acme".into(),
            external_id: "ana".into(),
            email: "ana@acme.test".into(),
            name: "Ana".into(),
            password: PASSWORD.into(),
            groups: vec![],
        },
    )
    .await
    .unwrap();
    let (_, key) = admin::create_ingest_key(&db, "Acme", None).await.unwrap();
    db.close().await;
    key
}

/// Prepares `database` with `count` agents ("agent0@acme.test", …), each with the test
/// password (hashed once).
pub async fn prepare_agents(database: &DatabaseUrl, count: usize) {
    let db = Db::open(database).await.unwrap();
    let hash = herald_server::passwords::hash_password(PASSWORD).unwrap();
    for n in 0..count {
        let agent = NewAgent {
            workspace: "Acme".into(),
            external_id: format!("agent{n}"),
            email: format!("agent{n}@acme.test"),
            name: format!("Agent {n}"),
            password: String::new(),
            groups: vec![],
        };
        admin::add_agent_with_hash(&db, &agent, &hash)
            .await
            .unwrap();
    }
    db.close().await;
}

/// Starts the binary on a free port; returns it and its URL.
pub async fn spawn(database: &DatabaseUrl) -> (Child, String) {
    spawn_with(database, &[]).await
}

/// Starts the binary on a free port with more `serve` flags; returns it and its URL.
pub async fn spawn_with(database: &DatabaseUrl, flags: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_herald-server"))
        .args(["--log", "info", "--database"])
        .arg(super::store::arg(database))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(flags)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        let mut tx = Some(tx);
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(url) = line.strip_prefix("herald-server listening on ") {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        }
    });
    let url = tokio::time::timeout(Duration::from_secs(20), rx)
        .await
        .unwrap()
        .unwrap();
    (child, url)
}

/// A line of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`: the peak resident size).
pub fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// A gauge or counter of the `/metrics` of the server at `url` (read from loopback).
pub async fn metric(url: &str, name: &str) -> f64 {
    let text = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} in /metrics of {url}"))
}
