//! Operability against a real server: readiness apart from liveness, and Prometheus
//! metrics that follow what the server did; the caller seen through a trusted proxy.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn ready_and_metrics_follow_the_server() {
    let server = TestServer::start().await;
    let ready = server.http.get(server.api("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(
        ready.json::<serde_json::Value>().await.unwrap()["ready"],
        true
    );

    let ana = server.sign_in("ana").await;
    let mut ws = server.connect(&ana).await;
    ws.resume(0, None).await;
    ws.until_live().await;
    server.ingest_ok(&assignment("e-1", "c-1", "One")).await;
    let two = assignment("e-2", "c-2", "Two");
    server.ingest_ok(&two).await;
    // The platform retries: acknowledged again, stored once.
    assert!(server.ingest_ok(&two).await.duplicate);

    let metrics = server
        .http
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    assert!(metrics
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain; version=0.0.4")));
    let text = metrics.text().await.unwrap();
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
            .unwrap_or_else(|| panic!("{name} missing in\n{text}"))
            .parse()
            .unwrap()
    };
    assert_eq!(
        value("herald_ingest_events_total"),
        3.0,
        "every acknowledged ingest, the retry too"
    );
    assert!(value("herald_ingest_batches_total") >= 1.0);
    assert_eq!(value("herald_live_streams"), 1.0);
    assert_eq!(value("herald_draining"), 0.0);
    assert_eq!(value("herald_database_up"), 1.0);
    assert_eq!(value("herald_outbox_pending{channel=\"push\"}"), 0.0);
    assert_eq!(
        value("herald_outbox_oldest_seconds{channel=\"email\"}"),
        0.0
    );
    // Every sample has its HELP and TYPE (a histogram's buckets, sum and count, its own).
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap();
        let histogram = ["_bucket", "_sum", "_count"]
            .iter()
            .filter_map(|suffix| name.strip_suffix(suffix))
            .find(|family| text.contains(&format!("# TYPE {family} histogram\n")));
        let family = histogram.unwrap_or(name);
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{name} has no TYPE"
        );
        assert!(
            text.contains(&format!("# HELP {family} ")),
            "{name} has no HELP"
        );
    }
    assert_eq!(
        value("herald_fanout_lag_seconds_count"),
        0.0,
        "one node: nothing waited for another"
    );
}

/// Failed sign-ins from `forwarded` (as a proxy would say), for a new email each time;
/// returns the statuses.
async fn failed_sign_ins(server: &TestServer, forwarded: &str, count: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for n in 0..count {
        let response = server
            .http
            .post(server.api("/session"))
            .header("x-forwarded-for", forwarded)
            .json(&serde_json::json!({"email": format!("nobody{n}@acme.test"), "password": "x"}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_caller() {
    let behind_nginx = TestServer::start_with(|c| {
        c.sign_in_limits = (100, 2);
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    // Each caller has its own limit, not the proxy's one address for everybody.
    assert_eq!(
        failed_sign_ins(&behind_nginx, "203.0.113.9", 3).await,
        [401, 401, 429]
    );
    assert_eq!(
        failed_sign_ins(&behind_nginx, "198.51.100.1, 203.0.113.10", 2).await,
        [401, 401],
        "another caller, whatever it wrote before the proxy's hop"
    );
    // /metrics: private addresses only, as the proxy says.
    let metrics = |forwarded: &'static str| {
        behind_nginx
            .http
            .get(format!("{}/metrics", behind_nginx.url))
            .header("x-forwarded-for", forwarded)
            .send()
    };
    // (203.0.113.0/24 is for documentation, not public: a routable address here.)
    assert_eq!(metrics("8.8.8.8").await.unwrap().status(), 404);
    assert_eq!(metrics("10.1.2.3").await.unwrap().status(), 200);

    // Without --trusted-proxy the header is the caller's word: ignored.
    let direct = TestServer::start_with(|c| c.sign_in_limits = (100, 2)).await;
    assert_eq!(failed_sign_ins(&direct, "203.0.113.9", 2).await, [401, 401]);
    assert_eq!(
        failed_sign_ins(&direct, "203.0.113.10", 1).await,
        [429],
        "one address: the test's own"
    );
    let forged = direct
        .http
        .get(format!("{}/metrics", direct.url))
        .header("x-forwarded-for", "8.8.8.8")
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        200,
        "the header cannot hide a local caller"
    );
}
