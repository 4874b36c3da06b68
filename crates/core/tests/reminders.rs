//! Items that come back, seen from the app: a snooze from the bell or from the OS
//! notification's action, the item out of the counter meanwhile, and a second OS
//! notification for the same item when the server brings it back (its clock moved by the
//! test).

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use herald_core::api::Api;
use herald_core::client::{Client, ClientConfig, NotificationAction};
use herald_core::config::ServerUrl;
use herald_core::sensitive::Sensitive;
use herald_protocol::{ManualClock, Reminder, SnoozeTarget, SnoozeUntil};
use herald_testkit::wait_until as until;
use support::*;
use tokio_util::sync::CancellationToken;

async fn app(server: &TestServer) -> (Client, Arc<Recorder>, CancellationToken) {
    let recorder = Arc::new(Recorder::default());
    let config = ClientConfig {
        coalesce_window: Duration::ZERO,
        ..ClientConfig::default()
    };
    let live = LiveClient::start(&server.url(), recorder.clone(), recorder.clone(), config).await;
    (live.client, recorder, live.stop)
}

#[tokio::test]
async fn a_snoozed_item_comes_back_with_a_second_os_notification() {
    let clock = ManualClock::new(chrono::Utc::now());
    let moved = clock.clock();
    let server = TestServer::start_with(|config| {
        config.clock = moved;
        config.reminder_poll = Duration::from_millis(40);
    })
    .await;
    let (client, recorder, stop) = app(&server).await;
    server.ingest("r-1").await;
    server.ingest_event(&reply_in("r-2", "c-2")).await;
    until("both shown", || recorder.shown.lock().unwrap().len() == 2).await;
    let (items, unread) = client.bell();
    assert_eq!(unread.total, 2);
    let first = items.iter().find(|n| n.event_id == "r-1").unwrap().clone();
    let second = items.iter().find(|n| n.event_id == "r-2").unwrap().clone();

    // From the bell: the server decides the time; the bell shows it snoozed, read.
    let done = client
        .snooze(
            SnoozeTarget::Items {
                ids: vec![first.id],
            },
            Some(SnoozeUntil::QuarterHour),
        )
        .await
        .unwrap();
    assert_eq!(done.unread.total, 1);
    let (items, unread) = client.bell();
    let snoozed = items.iter().find(|n| n.id == first.id).unwrap();
    assert_eq!(snoozed.snoozed_until, done.until);
    assert!(snoozed.read_at.is_some(), "out of the unread view");
    assert_eq!(unread.total, 1);

    // From the OS notification's action.
    client
        .act(second.id, NotificationAction::SnoozeHour)
        .await
        .unwrap();
    until("both snoozed", || client.bell().1.total == 0).await;

    clock.advance(chrono::Duration::minutes(15));
    until("the first comes back", || {
        client
            .bell()
            .0
            .iter()
            .any(|n| n.id == first.id && n.read_at.is_none())
    })
    .await;
    until("and is notified again", || {
        recorder.shown.lock().unwrap().len() == 3
    })
    .await;
    let again = recorder.shown.lock().unwrap()[2].clone();
    assert_eq!(again.id, first.id, "the same item, a fresh notification");
    assert!(
        again.title.starts_with("Back from snooze: "),
        "says why: {}",
        again.title
    );
    let (items, unread) = client.bell();
    assert_eq!(items[0].id, first.id, "at the top of the bell");
    assert_eq!(items[0].context.reminder, Some(Reminder::Snoozed));
    assert!(items[0].seq > second.seq);
    assert_eq!(unread.total, 1, "the other one is still snoozed");
    assert!(items
        .iter()
        .any(|n| n.id == second.id && n.snoozed_until.is_some()));

    // Brought back by hand: unread at once, no notification.
    client
        .snooze(
            SnoozeTarget::Items {
                ids: vec![second.id],
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(client.bell().1.total, 2);
    assert_eq!(recorder.shown.lock().unwrap().len(), 3);
    stop.cancel();
}

/// POSTs preference edits as ana (the web app's way: the server applies them).
async fn edit_prefs(server: &TestServer, body: serde_json::Value) {
    let api = Api::new(ServerUrl::parse(&server.url(), false).unwrap()).unwrap();
    let (token, _) = api
        .sign_in("ana@acme.test", &Sensitive::new(PASSWORD.into()), None)
        .await
        .unwrap();
    reqwest::Client::new()
        .post(format!("{}/api/v1/preferences/edits", server.url()))
        .bearer_auth(token.expose())
        .json(&body)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

#[tokio::test]
async fn the_end_of_a_pause_raises_one_summary_notification() {
    let server = TestServer::start_with(|config| {
        config.reminder_poll = Duration::from_millis(40);
    })
    .await;
    let (client, recorder, stop) = app(&server).await;
    edit_prefs(&server, serde_json::json!({"edits": [], "pause": "hour"})).await;
    until("the pause reached the app", || {
        client
            .preferences()
            .is_some_and(|p| p.preferences.paused_until.is_some())
    })
    .await;
    server.ingest("r-1").await;
    server.ingest_event(&reply_in("r-2", "c-2")).await;
    until("both in the bell", || client.bell().0.len() == 2).await;
    assert_eq!(recorder.shown.lock().unwrap().len(), 0, "held by the pause");

    edit_prefs(&server, serde_json::json!({"edits": [], "pause": "off"})).await;
    until("one summary notification", || {
        recorder.shown.lock().unwrap().len() == 1
    })
    .await;
    let shown = recorder.shown.lock().unwrap()[0].clone();
    assert_eq!(shown.title, "While you were quiet: 2 notifications");
    let (items, unread) = client.bell();
    assert_eq!(items[0].id, shown.id, "on the bell, at the top");
    assert!(items[0].digest.is_some());
    assert_eq!(unread.total, 2, "it counts nothing itself");
    stop.cancel();
}
