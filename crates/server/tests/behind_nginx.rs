//! The documented deployment, run: two real `herald-server` nodes on one PostgreSQL behind a
//! real nginx that includes `deploy/nginx/herald-locations.conf` verbatim. The platform
//! posts and agents stream only through nginx; one node is drained (SIGTERM) in the middle
//! of a burst. Every event the platform sent is stored once, each agent's stream gets every
//! one once and in seq order, the stream on the drained node was closed with the restart
//! code and resumed on the other, and `/metrics` is not served through the proxy. The
//! systemd unit of `deploy/systemd` passes `systemd-analyze verify`.
//!
//! Needs nginx (`scripts/test.sh` installs it; `HERALD_TEST_NGINX` names another binary)
//! and the cluster of `HERALD_TEST_POSTGRES`; fails without them unless
//! `HERALD_SKIP_NGINX=1` asks to skip, loudly.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::binary::{metric, prepare, spawn_with};
use common::follower::Follower;
use common::ledger::{check_nothing_acknowledged_lost, stored_ids};
use common::reply;
use herald_protocol::CloseReason;

/// The repository's `deploy` folder.
fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn nginx_binary() -> Option<PathBuf> {
    let path = std::env::var_os("HERALD_TEST_NGINX")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/sbin/nginx".into());
    path.exists().then_some(path)
}

/// nginx in the foreground on a free port, proxying to `nodes` with the shipped locations.
struct Nginx {
    child: tokio::process::Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Nginx {
    async fn start(binary: &Path, nodes: &[&str]) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        // Run as root, nginx's workers drop to `nobody`: they must reach these folders.
        for sub in ["body", "proxy", "fastcgi", "uwsgi", "scgi"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        set_mode(dir.path(), 0o777);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let servers: String = nodes
            .iter()
            .map(|n| {
                let address = n.trim_start_matches("http://");
                format!("        server {address} max_fails=1 fail_timeout=10s;\n")
            })
            .collect();
        let d = dir.path().display();
        let locations = deploy().join("nginx/herald-locations.conf");
        let config = format!(
            "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
             events {{ worker_connections 512; }}\n\
             http {{\n    access_log off;\n\
             client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n\
             scgi_temp_path {d}/scgi;\n\
             upstream herald {{\n{servers}        keepalive 32;\n    }}\n\
             server {{\n        listen 127.0.0.1:{port};\n        include {};\n    }}\n}}\n",
            locations.display()
        );
        std::fs::write(dir.path().join("nginx.conf"), config).unwrap();
        let child = tokio::process::Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let nginx = Nginx {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let http = reqwest::Client::new();
        let health = format!("{}/api/v1/health", nginx.url);
        herald_testkit::wait_for("nginx passes requests on", || async {
            let ok = http.get(&health).send().await.ok()?;
            ok.status().is_success().then_some(())
        })
        .await;
        nginx
    }

    fn errors(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    for entry in std::fs::read_dir(path).unwrap() {
        let entry = entry.unwrap().path();
        if entry.is_dir() {
            set_mode(&entry, mode);
        }
    }
}

/// Posts one event through nginx the way a platform does: again on anything but success
/// (ingest is idempotent by id); returns how many tries it took.
async fn post_until_stored(http: &reqwest::Client, url: &str, key: &str, id: &str) -> usize {
    for tries in 1..=50 {
        let sent = http
            .post(format!("{url}/api/v1/events"))
            .bearer_auth(key)
            .json(&reply(id, &format!("c-{id}"), "ana"))
            .send()
            .await;
        if sent.is_ok_and(|r| r.status().is_success()) {
            return tries;
        }
        // Pacing a client that was turned away, not waiting for the server.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{id} was refused 50 times through nginx");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_drained_behind_nginx_mid_burst_loses_nobody_a_notification() {
    let nginx_binary = nginx_binary();
    if !herald_testkit::runs_with(
        nginx_binary.is_some(),
        "HERALD_SKIP_NGINX",
        "nginx is not installed (apt-get install nginx, or HERALD_TEST_NGINX=<binary>)",
    ) {
        return;
    }
    let Some(db) = common::store::postgres_or_skip().await else {
        return;
    };
    let key = prepare(&db).await;
    let trust = ["--trusted-proxy", "127.0.0.1"];
    let (mut node_a, a_url) = spawn_with(&db, &trust).await;
    let (_node_b, b_url) = spawn_with(&db, &trust).await;
    let nginx = Nginx::start(&nginx_binary.unwrap(), &[&a_url, &b_url]).await;
    let http = reqwest::Client::new();

    // Two streams of ana's through nginx, opened one after the other: nginx's round robin
    // puts one on each node (checked on A below).
    let token = common::sign_in(&http, &nginx.url, "ana").await;
    let mut first = Follower::start(&[&nginx.url], &token);
    herald_testkit::wait_until("the first stream is open", || first.connections() == 1).await;
    let mut second = Follower::start(&[&nginx.url], &token);
    herald_testkit::wait_until("the second stream is open", || second.connections() == 1).await;
    let on_a = metric(&a_url, "herald_live_streams").await;
    assert_eq!(on_a, 1.0, "one stream on each node");

    const EVENTS: usize = 200;
    let ids: Vec<String> = (0..EVENTS).map(|n| format!("nginx-{n}")).collect();
    let mut tries = 0;
    for (n, id) in ids.iter().enumerate() {
        if n == EVENTS / 2 {
            // A deploy: node A is told to stop (systemd sends SIGTERM).
            let pid = node_a.id().unwrap().to_string();
            let killed = std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap();
            assert!(killed.success());
        }
        tries += post_until_stored(&http, &nginx.url, &key, id).await;
    }
    let exit = tokio::time::timeout(Duration::from_secs(20), node_a.wait())
        .await
        .expect("node A drains and exits")
        .unwrap();
    assert!(exit.success(), "node A stopped cleanly: {exit}");

    // nginx passes what A can no longer take to B: the platform never saw the drain.
    assert_eq!(
        tries, EVENTS,
        "every event taken at the first try through nginx"
    );
    let stored = stored_ids(&nginx.url).await;
    check_nothing_acknowledged_lost(&ids, &stored);
    assert_eq!(stored.len(), EVENTS, "each event once, retries included");
    // Both streams get everything, once and in order, whichever node they end up on.
    first.until_got(&ids, "the first stream").await;
    second.until_got(&ids, "the second stream").await;
    let restarted: Vec<_> = [&first, &second]
        .iter()
        .flat_map(|f| f.closes())
        .filter(|c| c.reason == Some(CloseReason::ServerShutdown))
        .collect();
    assert_eq!(
        restarted.len(),
        1,
        "the stream on A was closed with the restart code ({:?}, {:?})",
        first.closes(),
        second.closes()
    );
    assert_eq!(restarted[0].code, Some(1012), "the restart close code");
    assert_eq!(
        first.connections() + second.connections(),
        3,
        "the stream on A reconnected once, through nginx, to B"
    );

    // Prometheus reads the nodes directly; the proxy does not serve /metrics.
    let metrics = http
        .get(format!("{}/metrics", nginx.url))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 404);
    assert!(
        !nginx.errors().contains("[emerg]"),
        "nginx: {}",
        nginx.errors()
    );
    drop(nginx.child);
}

#[test]
fn the_systemd_unit_passes_systemd_analyze() {
    let analyze = Path::new("/usr/bin/systemd-analyze");
    if !herald_testkit::runs_with(
        analyze.exists(),
        "HERALD_SKIP_NGINX",
        "systemd-analyze is not installed (apt-get install systemd)",
    ) {
        return;
    }
    // The shipped unit with its paths pointed at this build and a scratch settings file.
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("herald.env");
    std::fs::copy(deploy().join("systemd/herald.env.example"), &env).unwrap();
    let unit = std::fs::read_to_string(deploy().join("systemd/herald-server.service"))
        .unwrap()
        .replace(
            "/usr/local/bin/herald-server",
            env!("CARGO_BIN_EXE_herald-server"),
        )
        .replace("/etc/herald/herald.env", env.to_str().unwrap());
    let path = dir.path().join("herald-server.service");
    std::fs::write(&path, unit).unwrap();
    let verified = std::process::Command::new(analyze)
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verified.stderr);
    assert!(
        verified.status.success() && !said.contains("herald-server.service"),
        "systemd-analyze verify: {said}"
    );
}
