//! Reconnect timing under paused time: exponential delays, the cap, and wake().

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use herald_core::api::Api;
use herald_core::client::{Client, ClientConfig};
use herald_core::config::ServerUrl;
use herald_core::ports::{ConnState, UiEvent};
use herald_core::sensitive::Sensitive;
use herald_core::state::MemoryState;
use support::Recorder;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[tokio::test(start_paused = true)]
async fn delays_grow_to_the_cap_and_wake_cuts_the_wait() {
    // A port with nothing behind it: every attempt is refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api =
        Api::new(ServerUrl::parse(&format!("http://127.0.0.1:{port}"), false).unwrap()).unwrap();
    let recorder = Arc::new(Recorder::default());
    let config = ClientConfig {
        random: || u64::MAX, // the jitter at its maximum: every delay equals its ceiling
        ..ClientConfig::default()
    };
    let client = Client::new(
        api,
        Sensitive::new("hrld_s_x".into()),
        Arc::new(MemoryState::default()),
        recorder.clone(),
        recorder.clone(),
        config,
    )
    .unwrap();
    let stop = CancellationToken::new();
    let started = Instant::now();
    let task = tokio::spawn({
        let (client, stop) = (client.clone(), stop.clone());
        async move { client.run(stop).await }
    });
    let waits = || -> Vec<u64> {
        recorder
            .events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                UiEvent::Connection {
                    state: ConnState::Reconnecting { retry_in_ms, .. },
                } => Some(*retry_in_ms),
                _ => None,
            })
            .collect()
    };
    while waits().len() < 9 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let first: Vec<u64> = waits().into_iter().take(9).collect();
    assert_eq!(
        first,
        [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(first[..8].iter().sum()),
        "it really waited: {elapsed:?}"
    );

    // Now in a 30 s wait: a wake reconnects at once.
    let before = waits().len();
    let woke = Instant::now();
    client.wake();
    while waits().len() == before {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        woke.elapsed() < Duration::from_secs(1),
        "wake skipped the wait: {:?}",
        woke.elapsed()
    );
    stop.cancel();
    task.await.unwrap().unwrap();
    assert_eq!(*client.connection().borrow(), ConnState::Stopped);
}
