//! PostgreSQL stopped and started again under two real `herald-server` nodes in the middle
//! of a burst spread over both: while it is down, requests are refused (503, nothing
//! acknowledged) and readiness on each node says why; once it is back, the nodes reconnect
//! by themselves, listen again, catch up and take events again; nothing acknowledged is
//! lost, none is stored twice, the seqs stay 1..n, and a stream on either node gets every
//! event once and in order. A live stream stays open while the database is away.
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

use common::binary::{metric, prepare, spawn};
use common::follower::Follower;
use common::ledger::{check_nothing_acknowledged_lost, stored_ids};
use common::{reply, TestServer};
use futures_util::StreamExt;
use herald_protocol::ServerMessage;
use herald_server::db::DatabaseUrl;
use tokio_tungstenite::tungstenite::Message;

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

/// Posts events from 4 tasks until told to stop, through failures, each task to the nodes
/// of `urls` in turn.
fn burst(urls: &[&str], key: &str, stop: tokio_util::sync::CancellationToken) -> Burst {
    let urls: Vec<String> = urls.iter().map(|u| (*u).to_owned()).collect();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let refused = Arc::new(AtomicUsize::new(0));
    let tasks = (0..4)
        .map(|t| {
            let (urls, key, acked, refused, stop) = (
                urls.clone(),
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
                    let url = &urls[(t + n) % urls.len()];
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

/// The cluster of this file's tests, or `None` (said loudly) when the suite is told to
/// skip PostgreSQL.
fn own_cluster() -> Option<Cluster> {
    // Its own cluster, whichever store the rest of the suite runs on.
    let bin = std::env::var("HERALD_TEST_PG_BIN").ok();
    if !herald_testkit::runs_with(
        bin.is_some(),
        "HERALD_SKIP_POSTGRES",
        "HERALD_TEST_PG_BIN (PostgreSQL's bin folder) is unset: scripts/test.sh exports it",
    ) {
        return None;
    }
    let user = std::env::var("HERALD_TEST_PG_USER").ok();
    Some(Cluster::new(bin?.into(), user))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_mid_burst_loses_nothing_on_two_nodes() {
    let Some(cluster) = own_cluster() else {
        return;
    };
    let database = cluster.url();
    let key = prepare(&database).await;
    let (_a, a_url) = spawn(&database).await;
    let (_b, b_url) = spawn(&database).await;
    let nodes = [a_url.as_str(), b_url.as_str()];
    let http = reqwest::Client::new();
    for url in nodes {
        assert_eq!(readiness(&http, url).await.0, 200);
    }
    // Ana follows her stream on each node; each client comes back to its own node.
    let token = common::sign_in(&http, &a_url, "ana").await;
    let mut on_a = Follower::start(&[&a_url], &token);
    let mut on_b = Follower::start(&[&b_url], &token);
    let catch_ups = "herald_fanout_catch_ups_total";
    let before = [
        metric(&a_url, catch_ups).await,
        metric(&b_url, catch_ups).await,
    ];

    let stop = tokio_util::sync::CancellationToken::new();
    let Burst {
        acked,
        refused,
        tasks,
    } = burst(&nodes, &key, stop.clone());
    let count = || acked.lock().unwrap().len();
    herald_testkit::wait_until("the burst reaches 100 acknowledged events", || {
        count() >= 100
    })
    .await;

    cluster.stop();
    for url in nodes {
        let down = herald_testkit::wait_for("readiness says the node is not ready", || async {
            let (status, body) = readiness(&http, url).await;
            (status == 503).then_some(body)
        })
        .await;
        assert_eq!(down["ready"], false, "readiness follows the outage: {down}");
        assert!(
            down["reason"].as_str().unwrap_or("").contains("database"),
            "and says why: {down}"
        );
    }
    herald_testkit::wait_until("a request is refused while the database is down", || {
        refused.load(Ordering::SeqCst) > 0
    })
    .await;
    // Any route, not only ingest: the client is told to come back, not that the server broke.
    let sign_in = http
        .post(format!("{a_url}/api/v1/session"))
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
    for url in nodes {
        herald_testkit::wait_for("ready again once the database is back", || async {
            (readiness(&http, url).await.0 == 200).then_some(())
        })
        .await;
    }
    let resumed = count();
    herald_testkit::wait_until("events are acknowledged again after the restart", || {
        count() >= resumed + 100
    })
    .await;
    stop.cancel();
    for t in tasks {
        t.await.unwrap();
    }

    let acked = acked.lock().unwrap().clone();
    let stored = stored_ids(&a_url).await;
    check_nothing_acknowledged_lost(&acked, &stored);
    assert!(
        refused.load(Ordering::SeqCst) > 0,
        "the outage was seen by the clients"
    );
    // Both nodes listen again and caught up: the streams on either get every event,
    // whichever node took it, once and in seq order.
    on_a.until_got(&acked, "the stream on A").await;
    on_b.until_got(&acked, "the stream on B").await;
    // A node's listener connects again a pause after the database refused it, which may
    // be after readiness came back and the streams caught up by themselves: wait for it.
    for (url, before) in nodes.iter().zip(before) {
        herald_testkit::wait_for(
            "each node caught up after its listening connection was cut",
            || async { (metric(url, catch_ups).await > before).then_some(()) },
        )
        .await;
    }
}

#[tokio::test]
async fn a_live_stream_stays_open_while_the_database_is_away() {
    let Some(cluster) = own_cluster() else {
        return;
    };
    let server = TestServer::start_on(cluster.url(), |c| {
        // Long enough for pg_ctl, which blocks this test's thread, to stop the cluster
        // before the stream expects the client's answer (two pings).
        c.stream.ping_interval = Duration::from_secs(1);
    })
    .await;
    let token = server.sign_in("ana").await;
    let mut ws = server.connect(&token).await;
    ws.resume(0, None).await;
    ws.until_live().await;
    // The counter that follows `live` is read from the database: the stream is fully
    // set up once it came.
    while !matches!(ws.next().await.unwrap(), ServerMessage::Unread { .. }) {}

    cluster.stop();
    // Pings keep coming while the session cannot be checked: each tick found the database
    // away and kept the stream (it used to close it, sending every client to reconnect
    // while no node could let it in).
    let mut pings = 0;
    while pings < 3 {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.socket.next())
            .await
            .expect("a frame within 10 s");
        match frame {
            Some(Ok(Message::Ping(_))) => pings += 1,
            Some(Ok(Message::Close(close))) => {
                panic!("closed while the database is away: {close:?}")
            }
            Some(Ok(_)) => {}
            other => panic!("the stream ended: {other:?}"),
        }
    }
    cluster.start();
    herald_testkit::wait_for("ingest works again", || async {
        let response = server.ingest(&reply("after-outage", "c-1", "ana")).await;
        response.status().is_success().then_some(())
    })
    .await;
    assert_eq!(
        ws.next_item().await.event_id,
        "after-outage",
        "the same stream"
    );
}
