//! What `/metrics` says of the fan-out on PostgreSQL: a node hands its own items to its
//! streams from memory and never reads them back (it skips its own hints), and another
//! node's items are counted in the fan-out lag when they are handed on.
//!
//! Needs the cluster of `HERALD_TEST_POSTGRES` (`scripts/test.sh` starts one); fails
//! without it unless `HERALD_SKIP_POSTGRES=1` asks to skip, loudly.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::binary::metric;
use common::{reply, TestServer, Ws};
use herald_protocol::ServerMessage;
use reqwest::StatusCode;

const READS: &str = "herald_fanout_reads_total";
const LAGS: &str = "herald_fanout_lag_seconds_count";

/// A node on a fresh database with no sweep within the test (a sweep may read too).
async fn node() -> Option<TestServer> {
    let database = common::store::postgres_or_skip().await?;
    Some(
        TestServer::start_on(database, |c| {
            c.fanout_sweep = Duration::from_secs(3600);
        })
        .await,
    )
}

async fn live(node: &TestServer, token: &str) -> Ws {
    let mut ws = node.connect(token).await;
    ws.resume(0, None).await;
    ws.until_live().await;
    ws
}

/// Posts `count` replies to ana's conversations on `node`, one per request.
async fn post(node: &TestServer, from: usize, count: usize) {
    for n in from..from + count {
        let response = node
            .http
            .post(node.api("/events"))
            .bearer_auth(&node.key)
            .json(&reply(&format!("e{n}"), &format!("c{n}"), "ana"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "event {n}");
    }
}

async fn until_items(ws: &mut Ws, count: usize) {
    let mut got = 0;
    while got < count {
        if let ServerMessage::Item { .. } = ws.next().await.expect("the stream stays open") {
            got += 1;
        }
    }
}

#[tokio::test]
async fn a_node_never_reads_back_its_own_items() {
    let Some(a) = node().await else {
        return;
    };
    let token = a.sign_in("ana").await;
    let mut ws = live(&a, &token).await;
    post(&a, 0, 40).await;
    until_items(&mut ws, 40).await;
    // Its own hints come back through PostgreSQL as each batch commits, often before its
    // writer's turn: read back, they would each have cost a read of the agent's rows.
    assert_eq!(
        metric(&a.url, READS).await,
        0.0,
        "read back from the database"
    );
    assert_eq!(
        metric(&a.url, LAGS).await,
        0.0,
        "its own items did not wait"
    );
    assert!(metric(&a.url, "herald_fanout_hints_total").await >= 40.0);
}

#[tokio::test]
async fn another_nodes_items_are_counted_in_the_fanout_lag() {
    let Some(a) = node().await else {
        return;
    };
    let b = a
        .another_node(|c| c.fanout_sweep = Duration::from_secs(3600))
        .await;
    let token = a.sign_in("ana").await;
    let mut on_a = live(&a, &token).await;
    post(&b, 0, 10).await;
    until_items(&mut on_a, 10).await;
    herald_testkit::wait_for("A counts the wait of B's items", || async {
        (metric(&a.url, LAGS).await > 0.0).then_some(())
    })
    .await;
    assert!(metric(&a.url, READS).await > 0.0, "read from the database");
    let text = a.metrics().await;
    assert!(
        text.contains("# TYPE herald_fanout_lag_seconds histogram\n"),
        "{text}"
    );
    assert!(
        text.contains("herald_fanout_lag_seconds_bucket{le=\"+Inf\"} "),
        "{text}"
    );
    assert_eq!(metric(&b.url, LAGS).await, 0.0, "B took them itself");
}
