//! The real `herald-server` binary killed in the middle of a burst: nothing it acknowledged
//! may be lost, nor any push owed for it. And SIGTERM: it drains and exits cleanly.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::binary::{prepare, spawn, spawn_with};
use common::ledger::{check_nothing_acknowledged_lost, stored_ids, stored_items};
use common::push_service::PushService;
use common::{reply, sign_in};
use herald_protocol::PushServerKey;

/// Posts events from 8 tasks until told to stop; returns the ids the server acknowledged.
fn burst(
    url: &str,
    key: &str,
    stop: tokio_util::sync::CancellationToken,
) -> (Arc<Mutex<Vec<String>>>, Vec<tokio::task::JoinHandle<()>>) {
    let acked = Arc::new(Mutex::new(Vec::new()));
    let tasks = (0..8)
        .map(|t| {
            let (url, key, acked, stop) = (
                url.to_owned(),
                key.to_owned(),
                Arc::clone(&acked),
                stop.clone(),
            );
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                for n in 0.. {
                    if stop.is_cancelled() {
                        return;
                    }
                    let id = format!("burst-{t}-{n}");
                    let sent = http
                        .post(format!("{url}/api/v1/events"))
                        .bearer_auth(&key)
                        .json(&reply(&id, "c-1", "ana"))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => acked.lock().unwrap().push(id),
                        _ => return, // the server is gone
                    }
                }
            })
        })
        .collect();
    (acked, tasks)
}

async fn wait_for(acked: &Arc<Mutex<Vec<String>>>, n: usize) {
    let what = format!("the burst reaches {n} acknowledged events");
    herald_testkit::wait_until(&what, || acked.lock().unwrap().len() >= n).await;
}

/// Runs a burst against the server until `n` events are acknowledged, SIGKILLs it, and
/// returns the ids of every event it acknowledged.
async fn kill_mid_burst(
    mut child: tokio::process::Child,
    url: &str,
    key: &str,
    n: usize,
) -> HashSet<String> {
    let stop = tokio_util::sync::CancellationToken::new();
    let (acked, tasks) = burst(url, key, stop.clone());
    wait_for(&acked, n).await;
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    stop.cancel();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().iter().cloned().collect();
    acked
}

/// The ids of the items the acknowledged events made (one each, all owed a push).
async fn owed_pushes(url: &str, acked: &HashSet<String>) -> HashSet<String> {
    let owed: HashSet<String> = stored_items(url)
        .await
        .iter()
        .filter(|n| acked.contains(&n.event_id))
        .map(|n| n.id.to_string())
        .collect();
    assert_eq!(
        owed.len(),
        acked.len(),
        "every acknowledged event is an item to push"
    );
    owed
}

#[tokio::test]
async fn sigkill_mid_burst_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let database = common::store::fresh(dir.path()).await;
    let key = prepare(&database).await;
    let (mut child, url) = spawn(&database).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let (acked, tasks) = burst(&url, &key, stop.clone());
    wait_for(&acked, 400).await;
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    stop.cancel();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    let (_child, url) = spawn(&database).await;
    let stored = stored_ids(&url).await;
    check_nothing_acknowledged_lost(&acked, &stored);
    assert!(stored.len() >= acked.len());
}

#[tokio::test]
async fn sigterm_drains_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let database = common::store::fresh(dir.path()).await;
    let key = prepare(&database).await;
    let (mut child, url) = spawn(&database).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let (acked, tasks) = burst(&url, &key, stop.clone());
    wait_for(&acked, 200).await;
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    stop.cancel();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    if let herald_server::db::DatabaseUrl::Sqlite(path) = &database {
        let wal = path.with_extension("db-wal");
        assert!(
            !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
            "WAL checkpointed on exit"
        );
    }

    let (_child, url) = spawn(&database).await;
    let stored = stored_ids(&url).await;
    check_nothing_acknowledged_lost(&acked, &stored);
}

#[tokio::test]
async fn sigkill_mid_burst_loses_no_push_of_an_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let database = common::store::fresh(dir.path()).await;
    let key = prepare(&database).await;
    let flags = ["--push-allow-insecure-endpoints"];
    let (child, url) = spawn_with(&database, &flags).await;
    let http = reqwest::Client::new();
    let token = sign_in(&http, &url, "ana").await;
    let server_key: PushServerKey = http
        .get(format!("{url}/api/v1/push/key"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The push service outlives the server: it is the browser's side.
    let push = PushService::start(&server_key.public_key).await;
    let registered = http
        .post(format!("{url}/api/v1/push/subscriptions"))
        .bearer_auth(&token)
        .json(&push.browser("tab"))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), reqwest::StatusCode::CREATED);

    let acked = kill_mid_burst(child, &url, &key, 300).await;

    let (_child, url) = spawn_with(&database, &flags).await;
    let owed = owed_pushes(&url, &acked).await;
    herald_testkit::wait_until(
        "every acknowledged event's push reaches the push service",
        || {
            let pushed: HashSet<String> = push
                .received()
                .iter()
                .filter_map(|r| r.message["id"].as_str().map(str::to_owned))
                .collect();
            owed.is_subset(&pushed)
        },
    )
    .await;
    assert_eq!(push.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn sigkill_mid_burst_loses_no_phone_push_of_an_acknowledged_event() {
    use common::apns_service::{ApnsService, KEY_ID, TEAM_ID, TOPIC};
    let dir = tempfile::tempdir().unwrap();
    let database = common::store::fresh(dir.path()).await;
    let key = prepare(&database).await;
    // Apple's side outlives the server.
    let apns = ApnsService::start().await;
    let key_file = apns.key_file.to_string_lossy().into_owned();
    let flags = [
        "--apns-key",
        &key_file,
        "--apns-key-id",
        KEY_ID,
        "--apns-team-id",
        TEAM_ID,
        "--apns-url",
        &apns.url,
    ];
    let (child, url) = spawn_with(&database, &flags).await;
    let http = reqwest::Client::new();
    let token = sign_in(&http, &url, "ana").await;
    let phone = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
    let registered = http
        .post(format!("{url}/api/v1/push/devices"))
        .bearer_auth(&token)
        .json(&herald_protocol::PhoneDeviceRequest {
            platform: herald_protocol::PushPlatform::Apns,
            token: phone.into(),
            app_id: TOPIC.into(),
            device_name: Some("Ana's iPhone".into()),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), reqwest::StatusCode::CREATED);

    // No computer is active: every push goes to the phone at once.
    let acked = kill_mid_burst(child, &url, &key, 300).await;
    let before_restart = apns.received().len();

    let (_child, url) = spawn_with(&database, &flags).await;
    let owed = owed_pushes(&url, &acked).await;
    let alerts = || -> Vec<String> {
        apns.received()
            .iter()
            .filter(|r| r.push_type == "alert" && r.token == phone)
            .filter_map(|r| r.body["item"].as_str().map(str::to_owned))
            .collect()
    };
    herald_testkit::wait_until("every acknowledged event's push reaches the phone", || {
        owed.is_subset(&alerts().into_iter().collect())
    })
    .await;
    assert_eq!(apns.violations(), Vec::<String>::new());
    // At least once across a crash: a push the service took while its row still said
    // pending (in flight, or answered but not yet written) goes again after the restart.
    // The outbox writes answers as they come, so that is at most the sends in flight (64)
    // and one batch of answers (64); each goes with its conversation's collapse id, so the
    // phone replaces the notification instead of showing it twice.
    let received = apns.received();
    let mut collapse: std::collections::HashMap<String, HashSet<Option<String>>> =
        std::collections::HashMap::new();
    for push in received.iter().filter(|r| r.push_type == "alert") {
        if let Some(id) = push.body["item"].as_str() {
            collapse
                .entry(id.to_owned())
                .or_default()
                .insert(push.collapse_id.clone());
        }
    }
    assert!(collapse
        .values()
        .all(|ids| ids.len() == 1 && !ids.contains(&None)));
    let all = alerts();
    let distinct: HashSet<&String> = all.iter().collect();
    let twice = all.len() - distinct.len();
    assert!(
        twice <= 128,
        "{twice} pushes went twice ({before_restart} were sent before the kill)"
    );
}
