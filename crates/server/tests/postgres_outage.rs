//! PostgreSQL stopped and started again under the real `herald-server` in the middle of a
//! burst: while it is down, requests are refused (503, nothing acknowledged) and readiness
//! says why; once it is back, the server reconnects by itself and takes events again;
//! nothing it acknowledged is lost, none is stored twice, and the seqs stay 1..n.
//!
//! Runs on a cluster of its own (made with `HERALD_TEST_PG_BIN`, as `HERALD_TEST_PG_USER`
//! when the tests run as root; `scripts/test.sh` exports both), so restarting it disturbs no
//! other test, in both passes of the suite.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::binary::{prepare, spawn};
use common::ledger::{check_nothing_acknowledged_lost, stored_ids};
use common::reply;
use herald_server::db::DatabaseUrl;

/// A PostgreSQL cluster in a temporary folder, run by the unprivileged test user (or by
/// this one when it is not root).
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    user: Option<String>,
    port: u16,
}

/// `program` of PostgreSQL's bin folder, run as `user` if given.
fn pg_command(bin: &std::path::Path, user: Option<&str>, program: &str) -> Command {
    match user {
        Some(user) => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--"]).arg(bin.join(program));
            command
        }
        None => Command::new(bin.join(program)),
    }
}

impl Cluster {
    fn pg_ctl(&self, args: &[&str]) {
        let status = pg_command(&self.bin, self.user.as_deref(), "pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "pg_ctl {args:?}");
    }

    fn new(bin: PathBuf, user: Option<String>) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        if let Some(user) = &user {
            let chown = Command::new("chown").arg(user).arg(dir.path()).status();
            assert!(chown.unwrap().success(), "the folder given to {user}");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let initdb = pg_command(&bin, user.as_deref(), "initdb")
            .arg("-D")
            .arg(dir.path().join("data"))
            .args(["-A", "trust", "-U", "herald"])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(initdb.success(), "initdb");
        let cluster = Cluster {
            dir,
            bin,
            user,
            port,
        };
        cluster.start();
        cluster
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log");
        self.pg_ctl(&["-w", "-l", log.to_str().unwrap(), "-o", &options, "start"]);
    }

    /// A fast shutdown: PostgreSQL ends every session, as a restart or failover does.
    fn stop(&self) {
        self.pg_ctl(&["-w", "-m", "fast", "stop"]);
    }

    fn url(&self) -> DatabaseUrl {
        DatabaseUrl::Postgres(format!(
            "postgres://herald@127.0.0.1:{}/postgres",
            self.port
        ))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = pg_command(&self.bin, self.user.as_deref(), "pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// A running burst: the ids the server acknowledged, how many requests it refused.
struct Burst {
    acked: Arc<Mutex<Vec<String>>>,
    refused: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Posts events from 4 tasks until told to stop, through failures.
fn burst(url: &str, key: &str, stop: tokio_util::sync::CancellationToken) -> Burst {
    let acked = Arc::new(Mutex::new(Vec::new()));
    let refused = Arc::new(AtomicUsize::new(0));
    let tasks = (0..4)
        .map(|t| {
            let (url, key, acked, refused, stop) = (
                url.to_owned(),
                key.to_owned(),
                Arc::clone(&acked),
                Arc::clone(&refused),
                stop.clone(),
            );
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                for n in 0.. {
                    if stop.is_cancelled() {
                        return;
                    }
                    let id = format!("outage-{t}-{n}");
                    let sent = http
                        .post(format!("{url}/api/v1/events"))
                        .bearer_auth(&key)
                        .json(&reply(&id, "c-1", "ana"))
                        .send()
                        .await
                        .unwrap();
                    if sent.status().is_success() {
                        acked.lock().unwrap().push(id);
                    } else {
                        assert_eq!(sent.status(), 503, "refused as unavailable, not failed");
                        refused.fetch_add(1, Ordering::SeqCst);
                        // Pacing a client that was told to come back, not waiting for the
                        // server: the test waits on what the server answers.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            })
        })
        .collect();
    Burst {
        acked,
        refused,
        tasks,
    }
}

async fn readiness(http: &reqwest::Client, url: &str) -> (u16, serde_json::Value) {
    let response = http
        .get(format!("{url}/api/v1/ready"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_mid_burst_loses_nothing_acknowledged() {
    // Its own cluster, whichever store the rest of the suite runs on.
    let bin = std::env::var("HERALD_TEST_PG_BIN").ok();
    if !herald_testkit::runs_with(
        bin.is_some(),
        "HERALD_SKIP_POSTGRES",
        "HERALD_TEST_PG_BIN (PostgreSQL's bin folder) is unset: scripts/test.sh exports it",
    ) {
        return;
    }
    let bin = bin.unwrap();
    let user = std::env::var("HERALD_TEST_PG_USER").ok();
    let cluster = Cluster::new(bin.into(), user);
    let database = cluster.url();
    let key = prepare(&database).await;
    let (_child, url) = spawn(&database).await;
    let http = reqwest::Client::new();
    assert_eq!(readiness(&http, &url).await.0, 200);

    let stop = tokio_util::sync::CancellationToken::new();
    let Burst {
        acked,
        refused,
        tasks,
    } = burst(&url, &key, stop.clone());
    let count = || acked.lock().unwrap().len();
    herald_testkit::wait_until("the burst reaches 100 acknowledged events", || {
        count() >= 100
    })
    .await;

    cluster.stop();
    let down = herald_testkit::wait_for("readiness says the node is not ready", || async {
        let (status, body) = readiness(&http, &url).await;
        (status == 503).then_some(body)
    })
    .await;
    assert_eq!(down["ready"], false, "readiness follows the outage: {down}");
    assert!(
        down["reason"].as_str().unwrap_or("").contains("database"),
        "and says why: {down}"
    );
    herald_testkit::wait_until("a request is refused while the database is down", || {
        refused.load(Ordering::SeqCst) > 0
    })
    .await;
    // Any route, not only ingest: the client is told to come back, not that the server broke.
    let sign_in = http
        .post(format!("{url}/api/v1/session"))
        .json(&serde_json::json!({"email": "ana@acme.test", "password": common::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        sign_in.status(),
        503,
        "signing in while the database is down"
    );
    let body: serde_json::Value = sign_in.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");

    cluster.start();
    herald_testkit::wait_for("ready again once the database is back", || async {
        (readiness(&http, &url).await.0 == 200).then_some(())
    })
    .await;
    let before = count();
    herald_testkit::wait_until("events are acknowledged again after the restart", || {
        count() >= before + 100
    })
    .await;
    stop.cancel();
    for t in tasks {
        t.await.unwrap();
    }

    let acked = acked.lock().unwrap().clone();
    let stored = stored_ids(&url).await;
    check_nothing_acknowledged_lost(&acked, &stored);
    assert!(
        refused.load(Ordering::SeqCst) > 0,
        "the outage was seen by the clients"
    );
}
