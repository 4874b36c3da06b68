//! The live stream against a real server: delivery, resume, gaps, closes.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use futures_util::SinkExt;
use herald_protocol::*;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn an_ingested_event_reaches_the_live_stream() {
    let server = TestServer::start().await;
    let token = server.sign_in("ana").await;
    let mut ws = server.connect(&token).await;
    ws.resume(0, None).await;
    let opening = ws.until_live().await;
    assert!(items(&opening).is_empty(), "nothing to replay yet");

    let result = server.ingest_ok(&reply("e1", "c-1", "ana")).await;
    assert_eq!(result.recipients, 1);
    let item = ws.next_item().await;
    assert_eq!(item.event_id, "e1");
    assert_eq!(item.seq, 1);
    assert_eq!(item.kind, EventKind::Reply);
    assert!(item.decision.dashboard.delivers());
    match ws.next().await {
        Ok(ServerMessage::Unread { unread }) => assert_eq!(unread.total, 1, "absolute counter"),
        other => panic!("expected the unread counter, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_that_misses_events_resumes_and_sees_each_exactly_once() {
    let server = TestServer::start().await;
    let token = server.sign_in("ana").await;
    let mut ws = server.connect(&token).await;
    ws.resume(0, None).await;
    let epoch = match ws.until_live().await.pop() {
        Some(ServerMessage::Live { epoch, .. }) => epoch,
        other => panic!("{other:?}"),
    };
    let mut seen: Vec<(u64, String)> = Vec::new();
    for n in 0..5 {
        server
            .ingest_ok(&reply(&format!("a{n}"), "c-1", "ana"))
            .await;
        let item = ws.next_item().await;
        seen.push((item.seq, item.event_id));
    }
    drop(ws); // the laptop sleeps
    for n in 0..20 {
        server
            .ingest_ok(&reply(&format!("b{n}"), "c-1", "ana"))
            .await;
    }
    let mut ws = server.connect(&token).await;
    let last = seen.last().map(|s| s.0).unwrap_or(0);
    ws.resume(last, Some(epoch.clone())).await;
    let opening = ws.until_live().await;
    let replayed = items(&opening);
    assert_eq!(replayed.len(), 20, "exactly the missed items are replayed");
    assert!(opening
        .iter()
        .all(|m| !matches!(m, ServerMessage::Gap { .. })));
    seen.extend(replayed.iter().map(|n| (n.seq, n.event_id.clone())));
    server.ingest_ok(&reply("c0", "c-1", "ana")).await;
    let live = ws.next_item().await;
    seen.push((live.seq, live.event_id));

    let ids: HashSet<&String> = seen.iter().map(|s| &s.1).collect();
    assert_eq!(ids.len(), seen.len(), "no item twice");
    assert_eq!(seen.len(), 26, "no item lost");
    let seqs: Vec<u64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(
        seqs,
        (1..=26).collect::<Vec<_>>(),
        "seq strictly increasing without holes"
    );
}

#[tokio::test]
async fn items_committed_during_replay_are_neither_lost_nor_doubled() {
    let server = TestServer::start().await;
    let token = server.sign_in("ana").await;
    for n in 0..300 {
        server
            .ingest_ok(&reply(&format!("old{n}"), "c-1", "ana"))
            .await;
    }
    let mut ws = server.connect(&token).await;
    ws.resume(0, None).await;
    // Ingest concurrently with the replay.
    let url = server.api("/events");
    let key = server.key.clone();
    let writer = tokio::spawn(async move {
        let http = reqwest::Client::new();
        for n in 0..50 {
            http.post(&url)
                .bearer_auth(&key)
                .json(&reply(&format!("new{n}"), "c-1", "ana"))
                .send()
                .await
                .unwrap();
        }
    });
    let mut ids = Vec::new();
    while ids.len() < 350 {
        if let ServerMessage::Item { notification, .. } = ws.next().await.expect("open") {
            ids.push(notification.seq);
        }
    }
    writer.await.unwrap();
    let unique: HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 350, "each of the 350 items exactly once");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in seq order");
}

#[tokio::test]
async fn a_changed_epoch_or_a_large_gap_is_signalled() {
    let server = TestServer::start().await;
    let token = server.sign_in("ana").await;
    server.ingest_ok(&reply("e1", "c-1", "ana")).await;

    let mut ws = server.connect(&token).await;
    ws.resume(0, Some("another-database".into())).await;
    match ws.next().await {
        Ok(ServerMessage::Gap {
            reason, latest_seq, ..
        }) => {
            assert_eq!(reason, GapReason::EpochChanged);
            assert_eq!(latest_seq, 1);
        }
        other => panic!("expected a gap, got {other:?}"),
    }

    let mut ws = server.connect(&token).await;
    ws.resume(99, None).await;
    assert!(
        matches!(
            ws.next().await,
            Ok(ServerMessage::Gap {
                reason: GapReason::EpochChanged,
                ..
            })
        ),
        "a seq ahead of the server is another history"
    );

    for n in 0..1001 {
        server
            .ingest_ok(&reply(&format!("g{n}"), "c-1", "ana"))
            .await;
    }
    let mut ws = server.connect(&token).await;
    ws.resume(0, None).await;
    let opening = ws.until_live().await;
    assert!(
        matches!(
            opening[0],
            ServerMessage::Gap {
                reason: GapReason::TooFarBehind,
                latest_seq: 1002,
                ..
            }
        ),
        "{:?}",
        opening[0]
    );
    assert!(items(&opening).is_empty(), "no partial replay after a gap");
    server.ingest_ok(&reply("after-gap", "c-1", "ana")).await;
    assert_eq!(ws.next_item().await.seq, 1003, "live after the gap");
}

#[tokio::test]
async fn the_stream_needs_a_valid_token_in_the_header() {
    let server = TestServer::start().await;
    let err = Ws::connect(&server.ws_url, "hrld_s_not-a-token")
        .await
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(text.contains("401"), "{text}");
    let token = server.sign_in("ana").await;
    let in_url = format!("{}?token={token}", server.ws_url);
    assert!(
        Ws::connect(&in_url, "").await.is_err(),
        "a token in the URL is not accepted"
    );
}

#[tokio::test]
async fn signing_out_closes_the_stream_with_a_fatal_code() {
    let server = TestServer::start().await;
    let token = server.sign_in("ana").await;
    let mut ws = server.connect(&token).await;
    ws.resume(0, None).await;
    ws.until_live().await;
    let response = server
        .http
        .delete(server.api("/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let closed = ws.until_closed().await;
    assert_eq!(closed.code, Some(4001));
    assert_eq!(closed.reason, Some(CloseReason::SessionRevoked));
    assert!(CloseReason::from_code(4001).is_some_and(CloseReason::is_fatal));
    let again = server
        .http
        .get(server.api("/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401, "the token is dead");
}

#[tokio::test]
async fn disabling_an_agent_elsewhere_closes_its_streams_on_the_next_heartbeat() {
    let server = TestServer::start().await;
    let token = server.sign_in("bruno").await;
    let mut ws = server.connect(&token).await;
    ws.resume(0, None).await;
    ws.until_live().await;
    // As the admin CLI does: straight to the database.
    herald_server::admin::disable_agent(&server.running().db, "bruno@acme.test")
        .await
        .unwrap();
    let closed = ws.until_closed().await;
    assert_eq!(closed.code, Some(4003), "agent_disabled");
    let me = server
        .http
        .get(server.api("/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
}

#[tokio::test]
async fn too_many_streams_for_one_agent_are_refused_with_a_retryable_code() {
    let server = TestServer::start().await;
    let token = server.sign_in("ana").await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut ws = server.connect(&token).await;
        ws.resume(0, None).await;
        ws.until_live().await;
        open.push(ws);
    }
    let mut fourth = server.connect(&token).await;
    let closed = fourth.until_closed().await;
    assert_eq!(closed.code, Some(4029));
    assert!(!CloseReason::TooManyConnections.is_fatal());
}

#[tokio::test]
async fn protocol_abuse_is_closed_not_crashed() {
    let server = TestServer::start().await;
    let token = server.sign_in("ana").await;

    // No resume message at all.
    let mut ws = server.connect(&token).await;
    ws.socket
        .send(Message::Text("{\"type\":\"hello\"}".into()))
        .await
        .unwrap();
    assert_eq!(ws.until_closed().await.code, Some(4400));

    // A 1 MiB first frame: docs/stream.md promises 4400 for any frame over 16 KiB.
    let mut ws = server.connect(&token).await;
    let huge = "x".repeat(1024 * 1024);
    let _ = ws.socket.send(Message::Text(huge.into())).await;
    assert_eq!(
        ws.until_closed().await.code,
        Some(4400),
        "oversized first frame"
    );

    // An oversized frame after going live.
    let mut ws = server.connect(&token).await;
    ws.resume(0, None).await;
    ws.until_live().await;
    let big = "x".repeat(64 * 1024);
    let _ = ws.socket.send(Message::Text(big.into())).await;
    assert_eq!(
        ws.until_closed().await.code,
        Some(4400),
        "oversized live frame"
    );

    // The server still serves.
    let mut ws = server.connect(&token).await;
    ws.resume(0, None).await;
    ws.until_live().await;
}

#[tokio::test]
async fn a_silent_peer_is_dropped_by_the_heartbeat() {
    let server = TestServer::start().await;
    let token = server.sign_in("ana").await;
    let mut ws = server.connect(&token).await;
    ws.resume(0, None).await;
    ws.until_live().await;
    // Read nothing (so no pong is sent) for several ping intervals.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let closed = ws.until_closed().await;
    assert_eq!(closed.code, Some(4010), "heartbeat_timeout");
}

#[tokio::test]
async fn a_slow_consumer_is_closed_and_loses_nothing_on_resume() {
    // A long ping interval, so that the heartbeat (the client reads nothing) does not win.
    let server = TestServer::start_with(|c| {
        c.stream_queue = 8;
        c.stream.ping_interval = Duration::from_secs(120);
    })
    .await;
    let token = server.sign_in("ana").await;
    let mut ws = server.connect(&token).await;
    ws.resume(0, None).await;
    ws.until_live().await;
    // Big items fill the socket buffers while the client reads nothing.
    let filler = "y".repeat(1900);
    let total = 4000;
    let mut handles = Vec::new();
    for chunk in 0..8 {
        let url = server.api("/events");
        let key = server.key.clone();
        let filler = filler.clone();
        handles.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for n in 0..total / 8 {
                let mut event = reply(&format!("s{chunk}-{n}"), "c-1", "ana");
                event.text = Some(filler.clone());
                http.post(&url)
                    .bearer_auth(&key)
                    .json(&event)
                    .send()
                    .await
                    .unwrap()
                    .error_for_status()
                    .unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let mut seen = HashSet::new();
    let mut last = 0;
    let closed = loop {
        match ws.next().await {
            Ok(ServerMessage::Item { notification, .. }) => {
                last = notification.seq;
                seen.insert(notification.seq);
            }
            Ok(_) => {}
            Err(closed) => break closed,
        }
    };
    assert_eq!(
        closed.code,
        Some(4008),
        "slow_consumer, after {} items",
        seen.len()
    );
    assert!(
        seen.len() < total,
        "the close came before everything was read"
    );
    let mut ws = server.connect(&token).await;
    ws.resume(last, None).await;
    let opening = ws.until_live().await;
    if matches!(opening[0], ServerMessage::Gap { .. }) {
        // More than the replay limit behind: what a client does is refetch over REST.
        assert!(total as u64 - last > herald_server::inbox::REPLAY_MAX);
        for n in server.all_items(&token).await {
            seen.insert(n.seq);
        }
    } else {
        for n in items(&opening) {
            assert!(seen.insert(n.seq), "seq {} twice", n.seq);
        }
    }
    assert_eq!(seen.len(), total, "every item after the resume");
}

#[tokio::test]
async fn preference_changes_reach_the_agents_other_devices() {
    let server = TestServer::start().await;
    let laptop = server.sign_in("ana").await;
    let phone = server.sign_in("ana").await;
    let mut ws = server.connect(&phone).await;
    ws.resume(0, None).await;
    ws.until_live().await;
    let current: VersionedPreferences = server.get(&laptop, "/preferences").await;
    let mut prefs = current.preferences.clone();
    prefs.sound.volume = 20;
    let response = server
        .http
        .put(server.api("/preferences"))
        .bearer_auth(&laptop)
        .header("If-Match", format!("\"{}\"", current.version))
        .json(&prefs)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    loop {
        match ws.next().await.expect("open") {
            ServerMessage::PreferencesChanged { preferences } => {
                assert_eq!(preferences.version, current.version + 1);
                assert_eq!(preferences.preferences.sound.volume, 20);
                break;
            }
            _ => continue,
        }
    }
}

#[tokio::test]
async fn graceful_shutdown_closes_streams_with_a_retryable_code() {
    let mut server = TestServer::start().await;
    let token = server.sign_in("ana").await;
    let mut ws = server.connect(&token).await;
    ws.resume(0, None).await;
    ws.until_live().await;
    let stop = tokio::spawn({
        let running = server.server.take().unwrap();
        async move { running.shutdown().await }
    });
    let closed = ws.until_closed().await;
    assert_eq!(closed.code, Some(1012));
    assert!(!CloseReason::ServerShutdown.is_fatal());
    stop.await.unwrap();
    server.stop().await;
}
