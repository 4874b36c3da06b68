//! The client against a real herald-server, through a proxy that breaks the link in every
//! way we know: every item is seen exactly once, at most one OS notification per item, and
//! the counter ends equal to the server's.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use herald_core::api::Api;
use herald_core::client::{Client, ClientConfig};
use herald_core::config::ServerUrl;
use herald_core::error::ErrorKind;
use herald_core::ports::ConnState;
use herald_core::sensitive::Sensitive;
use herald_core::state::{LocalState, MemoryState, Saved};
use herald_testkit::wait_until;
use support::*;
use tokio_util::sync::CancellationToken;

fn fast() -> ClientConfig {
    ClientConfig {
        backoff_base: Duration::from_millis(50),
        backoff_cap: Duration::from_millis(400),
        stable_after: Duration::from_secs(2),
        heartbeat_timeout: Duration::from_millis(800),
        connect_timeout: Duration::from_secs(2),
        ..ClientConfig::default()
    }
}

async fn signed_in(url: &str) -> (Api, Sensitive<String>) {
    let api = Api::new(ServerUrl::parse(url, false).unwrap()).unwrap();
    let (token, profile) = api
        .sign_in(
            "ana@acme.test",
            &Sensitive::new(PASSWORD.into()),
            Some("test"),
        )
        .await
        .unwrap();
    assert_eq!(profile.external_id, "ana");
    (api, token)
}

struct Running {
    client: Client,
    recorder: Arc<Recorder>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<herald_core::error::Result<()>>,
}

fn run(
    api: Api,
    token: Sensitive<String>,
    state: Arc<dyn LocalState>,
    config: ClientConfig,
) -> Running {
    let recorder = Arc::new(Recorder::default());
    let client = Client::new(
        api,
        token,
        state,
        recorder.clone(),
        recorder.clone(),
        config,
    )
    .unwrap();
    let stop = CancellationToken::new();
    let task = tokio::spawn({
        let (client, stop) = (client.clone(), stop.clone());
        async move { client.run(stop).await }
    });
    Running {
        client,
        recorder,
        stop,
        task,
    }
}

#[tokio::test]
async fn every_item_exactly_once_through_cuts_resets_stalls_and_a_restart() {
    let mut server = TestServer::start().await;
    let proxy = FaultProxy::start(server.addr()).await;
    let (api, token) = signed_in(&format!("http://{}", proxy.addr)).await;
    let r = run(
        api.clone(),
        token.clone(),
        Arc::new(MemoryState::default()),
        fast(),
    );
    let mut conn = r.client.connection();
    wait_until("live", || *conn.borrow_and_update() == ConnState::Live).await;

    let total = 150;
    let mut faults = 0;
    for n in 0..total {
        server.ingest(&format!("e{n}")).await;
        if n == 135 {
            proxy.slow(Duration::from_millis(40)); // a slow link to the end
        }
        if n % 20 != 10 || n > 130 {
            continue;
        }
        // One fault at a time: wait until live, break the link, wait for a new connection.
        wait_until("live before the fault", || {
            *r.client.connection().borrow() == ConnState::Live
        })
        .await;
        let before = r.recorder.connects();
        match n {
            10 => proxy.cut(),
            30 => proxy.reset(),
            50 => {
                proxy.stall(true); // half-open: only the heartbeat timeout notices
                tokio::time::sleep(Duration::from_millis(1200)).await;
                proxy.stall(false);
            }
            70 => {
                proxy.cut_mid_frame();
                server.ingest(&format!("mid{n}")).await;
            }
            90 => {
                server.restart().await; // graceful: 1012, then a new port
                proxy.retarget(server.addr());
            }
            110 => r.client.wake(), // the laptop woke up
            130 => proxy.reset(),
            _ => unreachable!(),
        }
        faults += 1;
        wait_until("a new connection after the fault", || {
            r.recorder.connects() > before
        })
        .await;
    }
    assert_eq!(faults, 7);
    let total = total + 1; // the mid-frame event
    wait_until("the client holds every item", || {
        r.client.position().0 >= total as u64
    })
    .await;

    let seen = r.recorder.item_events();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no item reached the UI twice");
    assert_eq!(unique.len(), total, "no item lost");
    let shown = r.recorder.shown.lock().unwrap().clone();
    let mut per_item: HashMap<uuid::Uuid, usize> = HashMap::new();
    for s in &shown {
        *per_item.entry(s.id).or_default() += 1;
    }
    assert!(
        per_item.values().all(|n| *n == 1),
        "at most one OS notification per item"
    );
    assert!(
        r.recorder.connects() >= 8,
        "every fault forced a new connection"
    );
    let server_unread = api.unread(&token).await.unwrap();
    wait_until("the counter matches", || r.client.bell().1 == server_unread).await;
    assert_eq!(r.client.bell().0.len(), total);
    r.stop.cancel();
    r.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_revoked_session_ends_in_signed_out_not_a_retry_loop() {
    let server = TestServer::start().await;
    let (api, token) = signed_in(&server.url()).await;
    let r = run(
        api.clone(),
        token.clone(),
        Arc::new(MemoryState::default()),
        fast(),
    );
    let mut conn = r.client.connection();
    wait_until("live", || *conn.borrow_and_update() == ConnState::Live).await;
    api.sign_out(&token).await.unwrap();
    let err = r.task.await.unwrap().expect_err("the session ended");
    assert_eq!(err.kind, ErrorKind::SignedOut);
    assert!(matches!(
        *r.client.connection().borrow(),
        ConnState::SignedOut { .. }
    ));
}

#[tokio::test]
async fn a_stale_epoch_refetches_the_first_page() {
    let server = TestServer::start().await;
    for n in 0..3 {
        server.ingest(&format!("old{n}")).await;
    }
    let (api, token) = signed_in(&server.url()).await;
    let state = Arc::new(MemoryState::default());
    state
        .save(&Saved {
            epoch: Some("another-database".into()),
            last_seq: 99,
            ..Saved::default()
        })
        .unwrap();
    let r = run(api, token, state.clone(), fast());
    wait_until("the bell is refetched", || r.client.bell().0.len() == 3).await;
    assert_eq!(r.client.bell().1.total, 3);
    assert_eq!(
        r.client.position().0,
        3,
        "position follows the server after the gap"
    );
    assert!(
        r.recorder.shown.lock().unwrap().is_empty(),
        "history is not re-notified"
    );
    server.ingest("new").await;
    wait_until("live after the gap", || r.client.position().0 == 4).await;
    wait_until("saved", || state.load().unwrap().last_seq == 4).await;
    r.stop.cancel();
    r.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn items_missed_while_away_notify_once_as_a_summary() {
    let server = TestServer::start().await;
    let (api, token) = signed_in(&server.url()).await;
    let state: Arc<dyn LocalState> = Arc::new(MemoryState::default());
    let r = run(api.clone(), token.clone(), state.clone(), fast());
    // Live first: an item that arrives before a first start's replay ends is history.
    let mut conn = r.client.connection();
    wait_until("live", || *conn.borrow_and_update() == ConnState::Live).await;
    server.ingest("first").await;
    // The position moves before the item is decided and shown: wait for the notification.
    wait_until("the first item is shown", || {
        r.recorder.shown.lock().unwrap().len() == 1
    })
    .await;
    assert_eq!(r.client.position().0, 1);
    r.stop.cancel();
    r.task.await.unwrap().unwrap();
    assert_eq!(r.recorder.shown.lock().unwrap().len(), 1);

    for n in 0..5 {
        server.ingest(&format!("away{n}")).await; // the laptop was asleep
    }
    let again = run(api, token, state, fast());
    wait_until("caught up", || again.client.position().0 == 6).await;
    wait_until("the summary is shown", || {
        !again.recorder.shown.lock().unwrap().is_empty()
    })
    .await;
    // Time for any further pop-up to arrive, which would be the bug this test is about.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let shown = again.recorder.shown.lock().unwrap().clone();
    assert_eq!(shown.len(), 1, "one summary, not five pop-ups: {shown:?}");
    assert!(
        shown[0].title.starts_with("5 notifications"),
        "{}",
        shown[0].title
    );
    assert_eq!(
        again.recorder.item_events().len(),
        5,
        "but the bell gets all five"
    );
    again.stop.cancel();
    again.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn marking_read_is_optimistic_and_rolls_back_on_failure() {
    let server = TestServer::start().await;
    server.ingest("m1").await;
    let (api, token) = signed_in(&server.url()).await;
    let r = run(
        api.clone(),
        token.clone(),
        Arc::new(MemoryState::default()),
        fast(),
    );
    wait_until("item", || r.client.position().0 == 1).await;
    let id = r.client.bell().0[0].id;
    let result = r.client.mark(vec![id], true).await.unwrap();
    assert_eq!(result.unread.total, 0);
    assert!(r.client.bell().0[0].read_at.is_some());
    wait_until("the counter follows", || r.client.bell().1.total == 0).await;

    // The same client with a dead token: the server refuses, the mark is rolled back.
    let bad = Client::new(
        api,
        Sensitive::new("hrld_s_dead".into()),
        Arc::new(MemoryState::default()),
        Arc::new(Recorder::default()),
        Arc::new(Recorder::default()),
        fast(),
    )
    .unwrap();
    let err = bad
        .mark(vec![uuid::Uuid::now_v7()], true)
        .await
        .expect_err("refused");
    assert_eq!(err.kind, ErrorKind::SignedOut);
    r.stop.cancel();
    r.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn only_one_run_at_a_time() {
    let server = TestServer::start().await;
    let (api, token) = signed_in(&server.url()).await;
    let r = run(api, token, Arc::new(MemoryState::default()), fast());
    let mut conn = r.client.connection();
    wait_until("live", || *conn.borrow_and_update() == ConnState::Live).await;
    let second = r
        .client
        .run(CancellationToken::new())
        .await
        .expect_err("refused");
    assert_eq!(
        second.kind,
        ErrorKind::InvalidInput,
        "never two live connections"
    );
    r.stop.cancel();
    r.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn after_a_gap_older_pages_load_on_demand() {
    let server = TestServer::start().await;
    for n in 0..70 {
        server.ingest(&format!("old{n}")).await;
    }
    let (api, token) = signed_in(&server.url()).await;
    let state = Arc::new(MemoryState::default());
    state
        .save(&Saved {
            epoch: Some("another-database".into()),
            last_seq: 5,
            ..Saved::default()
        })
        .unwrap();
    let r = run(api, token, state, fast());
    wait_until("the first page", || r.client.bell().0.len() == 50).await;
    assert_eq!(
        r.client.load_older(50).await.unwrap().len(),
        20,
        "the 20 older items"
    );
    let seqs: Vec<u64> = r.client.bell().0.iter().map(|n| n.seq).collect();
    assert_eq!(
        seqs,
        (1..=70).rev().collect::<Vec<_>>(),
        "newest first, no hole, no double"
    );
    assert!(r.client.load_older(50).await.unwrap().is_empty());
    r.stop.cancel();
    r.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn falling_further_behind_than_the_replay_limit_refetches() {
    let server = TestServer::start().await;
    let (api, token) = signed_in(&server.url()).await;
    let state = Arc::new(MemoryState::default());
    let r = run(api.clone(), token.clone(), state.clone(), fast());
    server.ingest("first").await;
    wait_until("first", || r.client.position().0 == 1).await;
    r.stop.cancel();
    r.task.await.unwrap().unwrap();
    // 1 100 events while the laptop was closed: more than the server replays.
    let events: Vec<_> = (0..1100)
        .map(|n| serde_json::to_value(reply(&format!("away{n}"))).unwrap())
        .collect();
    for chunk in events.chunks(500) {
        reqwest::Client::new()
            .post(format!("{}/api/v1/events/batch", server.url()))
            .bearer_auth(&server.key)
            .json(&serde_json::json!({ "events": chunk }))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }
    let again = run(api, token, state, fast());
    wait_until("caught up through a gap", || {
        again.client.position().0 == 1101
    })
    .await;
    let (items, unread) = again.client.bell();
    assert_eq!(items.len(), 50, "the refetched first page");
    assert_eq!(items[0].seq, 1101);
    assert_eq!(unread.total, 1101, "the absolute counter from the server");
    assert!(
        again.recorder.shown.lock().unwrap().is_empty(),
        "a gap refetch does not pop 1 100 notifications"
    );
    again.stop.cancel();
    again.task.await.unwrap().unwrap();
}
