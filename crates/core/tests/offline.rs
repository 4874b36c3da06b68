//! Never silently offline, against a real server through a fault-injecting proxy: an outage
//! longer than `offline_after` raises exactly one "offline" notification however many
//! reconnects fail, and the way back raises one "back online" with what was caught up; a
//! blip shorter than that raises nothing.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use herald_core::client::{Client, ClientConfig};
use herald_core::ports::ConnState;
use herald_testkit::wait_until;
use support::*;
use tokio_util::sync::CancellationToken;

async fn start(
    proxy: &FaultProxy,
    offline_after: Duration,
) -> (Client, Arc<Recorder>, CancellationToken) {
    let recorder = Arc::new(Recorder::default());
    let config = ClientConfig {
        backoff_base: Duration::from_millis(30),
        backoff_cap: Duration::from_millis(150),
        heartbeat_timeout: Duration::from_millis(800),
        connect_timeout: Duration::from_secs(2),
        offline_after,
        ..ClientConfig::default()
    };
    let url = format!("http://{}", proxy.addr);
    let live = LiveClient::start(&url, recorder.clone(), recorder.clone(), config).await;
    (live.client, recorder, live.stop)
}

fn titles(recorder: &Recorder) -> Vec<String> {
    recorder
        .shown
        .lock()
        .unwrap()
        .iter()
        .map(|n| n.title.clone())
        .collect()
}

#[tokio::test]
async fn an_outage_says_offline_once_and_back_online_with_what_was_caught_up() {
    let server = TestServer::start().await;
    let proxy = FaultProxy::start(server.addr()).await;
    let (client, recorder, stop) = start(&proxy, Duration::from_millis(300)).await;
    // The link goes: every reconnect fails.
    proxy.retarget(dead_address().await);
    proxy.cut();
    for n in 0..3 {
        server.ingest(&format!("while-away-{n}")).await;
    }
    wait_until("the offline notice", || {
        titles(&recorder).contains(&"Herald is offline".to_owned())
    })
    .await;
    let failing = recorder.connects();
    // Back: the three items are replayed, then one notice says so.
    proxy.retarget(server.addr());
    wait_until("the back-online notice", || {
        titles(&recorder).contains(&"Herald is back online".to_owned())
    })
    .await;
    let shown = recorder.shown.lock().unwrap().clone();
    let offline: Vec<_> = shown
        .iter()
        .filter(|n| n.title == "Herald is offline")
        .collect();
    assert_eq!(
        offline.len(),
        1,
        "one notice for the whole outage: {:?}",
        titles(&recorder)
    );
    assert!(
        offline[0].id.is_nil(),
        "a notice of Herald itself, not of an item"
    );
    let back = shown
        .iter()
        .find(|n| n.title == "Herald is back online")
        .unwrap();
    assert_eq!(back.body, "3 notifications caught up.");
    assert!(recorder.connects() >= failing);
    // The UI heard it too, once each way.
    let offline_events: Vec<bool> = recorder
        .events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            herald_core::ports::UiEvent::Offline { offline } => Some(*offline),
            _ => None,
        })
        .collect();
    assert_eq!(offline_events, [true, false]);
    assert_eq!(*client.connection().borrow(), ConnState::Live);
    stop.cancel();
}

#[tokio::test]
async fn a_blip_shorter_than_the_wait_says_nothing() {
    let server = TestServer::start().await;
    let proxy = FaultProxy::start(server.addr()).await;
    let (client, recorder, stop) = start(&proxy, Duration::from_secs(30)).await;
    let before = recorder.connects();
    proxy.cut();
    wait_until("reconnected", || {
        recorder.connects() > before && *client.connection().borrow() == ConnState::Live
    })
    .await;
    server.ingest("after-the-blip").await;
    wait_until("the item's notification", || {
        recorder.shown.lock().unwrap().len() == 1
    })
    .await;
    let titles = titles(&recorder);
    assert!(
        !titles.iter().any(|t| t.starts_with("Herald is")),
        "{titles:?}"
    );
    stop.cancel();
}
