//! Several herald-server nodes on one PostgreSQL database: events ingested on either node
//! reach the agent's streams on both, once and in seq order, with the right counters; one
//! agent's seqs stay 1..n with no holes when both nodes ingest for it at once; read marks,
//! preferences and sign-outs reach streams on the other node; a node that lost its
//! listening connection catches up; a node (the real binary) SIGKILLed mid-burst loses
//! nothing acknowledged and its client resumes on the other node with the same session; a
//! window in front of its agent on one node counts on the other (phone pushes routed there
//! wait for it), and a desktop app on one node is listed and answers "Save and test" on
//! the other.
//!
//! Needs the cluster of `HERALD_TEST_POSTGRES` (`scripts/test.sh` starts one); fails
//! without it unless `HERALD_SKIP_POSTGRES=1` asks to skip, loudly. Runs in both passes of
//! the suite (it makes its own databases).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::follower::Follower;
use common::{reply, TestServer, Ws};
use herald_protocol::*;
use herald_server::ServerConfig;
use reqwest::StatusCode;

/// Nodes A and B on one fresh database, both with their settings edited by `edit`. Pings
/// are two minutes apart: a test client reads its stream only when it expects something
/// (a stream not heard from within two pings is closed), and a stream closes only on a
/// hint, never on the session check of a ping.
async fn two_nodes(edit: impl Fn(&mut ServerConfig)) -> Option<(TestServer, TestServer)> {
    let edit = |config: &mut ServerConfig| {
        config.stream.ping_interval = Duration::from_secs(120);
        edit(config);
    };
    let a = TestServer::start_on(common::store::postgres_or_skip().await?, edit).await;
    let b = a.another_node(edit).await;
    Some((a, b))
}

/// A live stream of `token` on `node`, past its replay.
async fn live(node: &TestServer, token: &str) -> Ws {
    let mut ws = node.connect(token).await;
    ws.resume(0, None).await;
    ws.until_live().await;
    ws
}

fn event(n: usize) -> PlatformEvent {
    reply(&format!("e{n}"), &format!("c{n}"), "ana")
}

/// Reads items until `count` arrived; also returns the last unread counter seen.
async fn items(ws: &mut Ws, count: usize) -> (Vec<Notification>, Option<u32>) {
    let mut items = Vec::new();
    let mut unread = None;
    while items.len() < count {
        match ws.next().await.expect("the stream stays open") {
            ServerMessage::Item { notification, .. } => items.push(*notification),
            ServerMessage::Unread { unread: u } => unread = Some(u.total),
            _ => {}
        }
    }
    (items, unread)
}

/// Reads until the unread counter says `total`.
async fn until_unread(ws: &mut Ws, mut last: Option<u32>, total: u32) {
    while last != Some(total) {
        if let ServerMessage::Unread { unread } = ws.next().await.expect("open") {
            last = Some(unread.total);
        }
    }
}

fn assert_in_order_once(items: &[Notification], sent: usize, node: &str) {
    let seqs: Vec<u64> = items.iter().map(|n| n.seq).collect();
    let expected: Vec<u64> = (1..=sent as u64).collect();
    assert_eq!(
        seqs, expected,
        "the stream on {node}: every seq once, in order"
    );
    let ids: HashSet<&str> = items.iter().map(|n| n.event_id.as_str()).collect();
    assert_eq!(ids.len(), sent, "the stream on {node}: every event once");
}

#[tokio::test]
async fn items_from_either_node_reach_streams_on_both_once_in_order() {
    // No sweep within the test: the hints alone carry the items across.
    let Some((a, b)) = two_nodes(|c| c.fanout_sweep = Duration::from_secs(3600)).await else {
        return;
    };
    let token = a.sign_in("ana").await;
    let mut on_a = live(&a, &token).await;
    let mut on_b = live(&b, &token).await;
    const EVENTS: usize = 60;
    // Both nodes ingest at once, interleaving their batches.
    let (a_url, b_url, key) = (a.api("/events"), b.api("/events"), a.key.clone());
    let post = |url: String, range: Vec<usize>| {
        let key = key.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            for n in range {
                let response = http
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&event(n))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::OK, "event {n}");
            }
        })
    };
    let evens = post(a_url, (0..EVENTS).step_by(2).collect());
    let odds = post(b_url, (1..EVENTS).step_by(2).collect());
    evens.await.unwrap();
    odds.await.unwrap();

    let unread: UnreadCount = a.get(&token, "/inbox/unread").await;
    assert!(
        unread.total > 0,
        "replies to her conversations are on her bell"
    );
    for (ws, node) in [(&mut on_a, "A"), (&mut on_b, "B")] {
        let (got, last) = items(ws, EVENTS).await;
        assert_in_order_once(&got, EVENTS, node);
        until_unread(ws, last, unread.total).await;
    }
}

#[tokio::test]
async fn one_agents_seqs_stay_whole_when_both_nodes_ingest_and_mark_at_once() {
    let Some((a, b)) = two_nodes(|_| {}).await else {
        return;
    };
    let token = a.sign_in("ana").await;
    let mut acked = Vec::new();
    // Many rounds: each a burst of single events on A, one batch on B and marks on both,
    // all at once.
    for round in 0..8 {
        let singles: Vec<_> = (0..20)
            .map(|n| {
                let (http, url, key) = (a.http.clone(), a.api("/events"), a.key.clone());
                let event = event(round * 100 + n);
                tokio::spawn(async move {
                    let r = http.post(url).bearer_auth(key).json(&event).send().await;
                    (event.id, r.unwrap().status())
                })
            })
            .collect();
        let batch: Vec<serde_json::Value> = (50..70)
            .map(|n| serde_json::to_value(event(round * 100 + n)).unwrap())
            .collect();
        let batched = b.ingest_batch(&batch);
        let mark_a = a.post_json::<MarkResult>(&token, "/inbox/mark", &MarkRequest::All);
        let mark_b = b.post_json::<MarkResult>(&token, "/inbox/mark", &MarkRequest::All);
        let (batched, _, _) = tokio::join!(batched, mark_a, mark_b);
        assert_eq!(batched.status(), StatusCode::OK, "round {round}: the batch");
        acked.extend(batch.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
        for single in singles {
            let (id, status) = single.await.unwrap();
            assert_eq!(status, StatusCode::OK, "round {round}: event {id}");
            acked.push(id);
        }
        let stored = common::ledger::stored_ids(&a.url).await;
        common::ledger::check_nothing_acknowledged_lost(&acked, &stored);
        // The counter kept by both nodes' writers and marks matches the rows.
        let all = a.all_items(&token).await;
        let unread_rows = all
            .iter()
            .filter(|n| n.read_at.is_none() && n.decision.dashboard.delivers())
            .count();
        let counter: UnreadCount = b.get(&token, "/inbox/unread").await;
        assert_eq!(
            counter.total as usize, unread_rows,
            "round {round}: the unread counter"
        );
    }
}

#[tokio::test]
async fn marks_preferences_and_sign_out_reach_a_stream_on_the_other_node() {
    let Some((a, b)) = two_nodes(|_| {}).await else {
        return;
    };
    let token = a.sign_in("ana").await;
    let mut on_b = live(&b, &token).await;
    let item = a.ingest_ok(&event(1)).await;
    assert_eq!(item.recipients, 1);
    let (got, _) = items(&mut on_b, 1).await;

    a.mark_read(&token, &[got[0].id]).await;
    let mut heard_read = false;
    let mut unread = None;
    while !(heard_read && unread == Some(0)) {
        match on_b.next().await.expect("open") {
            ServerMessage::ReadChanged { ids, read_at } => {
                assert_eq!(ids, vec![got[0].id]);
                assert!(read_at.is_some());
                heard_read = true;
            }
            ServerMessage::Unread { unread: u } => unread = Some(u.total),
            _ => {}
        }
    }

    let saved = a
        .edit_prefs(&token, |p| {
            p.paused_until = Some(chrono::Utc::now() + chrono::Duration::hours(1))
        })
        .await;
    loop {
        if let ServerMessage::PreferencesChanged { preferences } = on_b.next().await.expect("open")
        {
            assert_eq!(preferences, saved);
            break;
        }
    }

    let out = a
        .http
        .delete(a.api("/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    // Pings are two minutes apart on B: only A's hint can close this within `next`'s wait.
    let closed = on_b.until_closed().await;
    assert_eq!(closed.reason, Some(CloseReason::SessionRevoked));
}

/// The fan-out's counter of catch-ups on `node`, from `/metrics`.
async fn catch_ups(node: &TestServer) -> u64 {
    node.metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix("herald_fanout_catch_ups_total "))
        .and_then(|n| n.parse().ok())
        .expect("the catch-up counter")
}

#[tokio::test]
async fn a_node_that_lost_its_listening_connection_catches_up() {
    // No sweep within the test: only the catch-up after reconnecting can deliver.
    let Some((a, b)) = two_nodes(|c| c.fanout_sweep = Duration::from_secs(3600)).await else {
        return;
    };
    let token = a.sign_in("ana").await;
    let mut on_b = live(&b, &token).await;
    let herald_server::db::DatabaseUrl::Postgres(url) = &a.database else {
        panic!("two nodes run on PostgreSQL");
    };
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    const LISTENING: &str = "FROM pg_stat_activity \
        WHERE datname = current_database() AND query LIKE 'LISTEN%'";
    // Both nodes listen (they connect as they start).
    for _ in 0..200 {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) {LISTENING}"))
            .fetch_one(&mut admin)
            .await
            .unwrap();
        if n == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = catch_ups(&b).await;
    assert!(before >= 1, "B caught up as it began listening");
    // A burst on A while the listening connections are cut again and again: hints sent
    // while B reconnects are gone, and only its catch-up can hand those items on.
    const EVENTS: usize = 40;
    let burst = {
        let (http, url, key) = (a.http.clone(), a.api("/events"), a.key.clone());
        tokio::spawn(async move {
            for n in 0..EVENTS {
                let r = http.post(&url).bearer_auth(&key).json(&event(n)).send();
                assert_eq!(r.await.unwrap().status(), StatusCode::OK);
            }
        })
    };
    let mut killed = 0;
    while !burst.is_finished() {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT count(pg_terminate_backend(pid)) {LISTENING}"
        ))
        .fetch_one(&mut admin)
        .await
        .unwrap();
        killed += n;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    burst.await.unwrap();
    assert!(killed >= 2, "listening connections were cut ({killed})");
    let (got, _) = items(&mut on_b, EVENTS).await;
    assert_in_order_once(&got, EVENTS, "B");
    assert!(
        catch_ups(&b).await > before,
        "B caught up after losing its connection"
    );
}

#[tokio::test]
async fn a_node_killed_mid_burst_loses_nothing_and_its_client_resumes_on_the_other() {
    let Some(db) = common::store::postgres_or_skip().await else {
        return;
    };
    let key = common::binary::prepare(&db).await;
    let (mut node_a, a_url) = common::binary::spawn(&db).await;
    let (_node_b, b_url) = common::binary::spawn(&db).await;
    let http = reqwest::Client::new();
    let token = common::sign_in(&http, &a_url, "ana").await;
    // The client: a stream on A; when A dies, the same session resumes on B after the last
    // seq it got (no sticky sessions).
    let mut client = Follower::start(&[&a_url, &b_url], &token);
    // A burst alternating between the nodes; A is SIGKILLed halfway.
    const EVENTS: usize = 200;
    let mut acked = Vec::new();
    for n in 0..EVENTS {
        if n == EVENTS / 2 {
            node_a.start_kill().unwrap();
            node_a.wait().await.unwrap();
        }
        let url = if n % 2 == 0 { &a_url } else { &b_url };
        let event = event(n);
        let sent = http
            .post(format!("{url}/api/v1/events"))
            .bearer_auth(&key)
            .json(&event)
            .send()
            .await;
        if sent.is_ok_and(|r| r.status() == StatusCode::OK) {
            acked.push(event.id);
        }
    }
    assert!(
        acked.len() >= EVENTS * 3 / 4 - 1,
        "B took its half and A its first quarter ({})",
        acked.len()
    );
    // Every acknowledged event reaches the client, once, in seq order.
    client.until_got(&acked, "the client").await;
    assert!(client.connections() >= 2, "the client moved to B");
    let stored = common::ledger::stored_ids(&b_url).await;
    common::ledger::check_nothing_acknowledged_lost(&acked, &stored);
}

#[tokio::test]
async fn a_window_in_front_on_one_node_counts_on_the_other() {
    // One clock for both nodes: "since when" is compared exactly.
    let time = ManualClock::new(chrono::Utc::now());
    let Some((a, b)) = two_nodes(|c| c.clock = time.clock()).await else {
        return;
    };
    let grant = common::grant(&a.http, &a.url, "ana").await;
    let (agent, session) = (grant.agent.id, grant.session_id);
    // The node that routes pushes may be either: B asks its hub, as its push workers do.
    let hub = &b.running().hub;
    let mut on_a = live(&a, &grant.token).await;
    on_a.send(&ClientMessage::Presence { in_front: true }).await;
    herald_testkit::wait_until("B hears that ana's desktop is in front", || {
        hub.in_front(agent, session)
    })
    .await;
    assert_eq!(hub.computer_active_at(agent), Some(time.clock().now()));

    time.advance(chrono::Duration::seconds(10));
    let left = time.clock().now();
    on_a.send(&ClientMessage::Presence { in_front: false })
        .await;
    herald_testkit::wait_until("B hears that it left", || !hub.in_front(agent, session)).await;
    time.advance(chrono::Duration::seconds(60));
    assert_eq!(
        hub.computer_active_at(agent),
        Some(left),
        "a phone push waits from when it left"
    );

    // A stream that ends while in front has left it too.
    on_a.send(&ClientMessage::Presence { in_front: true }).await;
    herald_testkit::wait_until("in front again", || hub.in_front(agent, session)).await;
    drop(on_a);
    herald_testkit::wait_until("B hears the stream ended", || !hub.in_front(agent, session)).await;
}

#[tokio::test]
async fn a_desktop_app_on_one_node_is_listed_and_tested_from_the_other() {
    // The test waits far longer than the client: only a receipt read from what the other
    // node stored comes in time.
    let Some((a, b)) = two_nodes(|c| c.push.test_wait = Duration::from_secs(120)).await else {
        return;
    };
    let browser = a.sign_in("ana").await;
    let laptop = common::grant(&b.http, &b.url, "ana").await;
    let mut app = b.connect(&laptop.token).await;
    app.send(&ClientMessage::Resume {
        after_seq: 0,
        epoch: None,
        client: Some(StreamClient {
            kind: ClientKind::DesktopApp,
            name: "Herald on ana-laptop".into(),
        }),
    })
    .await;
    app.until_live().await;

    // The devices list on A shows the app's stream on B, once B said who it is (B tells
    // the stream as it opens, and again once the app said who it is).
    let sessions = herald_testkit::wait_for("A lists the app's stream on B", || async {
        let sessions: Vec<SessionInfo> = a.get(&browser, "/sessions").await;
        sessions
            .iter()
            .any(|s| s.id == laptop.session_id && s.live.as_ref().is_some_and(|l| l.kind.is_some()))
            .then_some(sessions)
    })
    .await;
    let listed = sessions.iter().find(|s| s.id == laptop.session_id).unwrap();
    assert_eq!(
        listed.live,
        Some(SessionLive {
            streams: 1,
            kind: Some(ClientKind::DesktopApp),
            in_front: false
        })
    );

    // "Save and test" pressed in the browser on A names the app on B and reports what it
    // said: the item reaches B through a hint, the receipt reaches A through the database.
    let answering = app.answer_next_item(AppOutcome::Shown);
    let result = a
        .test_notification_within(
            &browser,
            Duration::from_secs(30),
            "B stored the app's receipt",
        )
        .await;
    assert_eq!(result.apps.len(), 1, "{:?}", result.apps);
    assert_eq!(result.apps[0].name, "Herald on ana-laptop");
    assert_eq!(result.apps[0].outcome, AppOutcome::Shown);
    let app = answering.await.unwrap();

    // The app goes: A stops listing it at once, not after the other node's refreshes stop.
    drop(app);
    herald_testkit::wait_for("A hears the app's stream ended", || async {
        let sessions: Vec<SessionInfo> = a.get(&browser, "/sessions").await;
        sessions
            .iter()
            .any(|s| s.id == laptop.session_id && s.live.is_none())
            .then_some(())
    })
    .await;
}
