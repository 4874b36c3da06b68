//! Operability against a real server: readiness apart from liveness, and Prometheus
//! metrics that follow what the server did.

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
    // Every sample has its HELP and TYPE.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap();
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "{name} has no TYPE"
        );
    }
}
