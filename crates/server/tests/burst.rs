//! A burst of sign-ins against the real binary: refused early (429 from the limiter, 503 when
//! the password queue is full), the server keeps answering other requests meanwhile, and its
//! memory stays bounded (each Argon2id hash holds 19 MiB; unbounded, 300 of them took
//! several gigabytes and kept them).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::binary::{prepare, spawn, status_kib};
use futures_util::future::join_all;

/// The peak resident size allowed during the burst: the goal is 300 MB; this leaves the
/// test room on a noisy machine while still failing by gigabytes without the bound.
const PEAK_MAX_KIB: u64 = 300 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_sign_ins_is_refused_early_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::store::fresh(dir.path()).await;
    prepare(&db).await;
    let (child, url) = spawn(&db).await;
    let pid = child.id().unwrap();
    let idle = status_kib(pid, "VmRSS");
    let http = reqwest::Client::new();

    // Wrong passwords for a real agent and unknown emails, all from one address, at once.
    let attempts = (0..300).map(|n| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let email = if n % 3 == 0 {
                "ana@acme.test".to_owned()
            } else {
                format!("nobody{n}@acme.test")
            };
            let response = http
                .post(format!("{url}/api/v1/session"))
                .json(&serde_json::json!({"email": email, "password": "not the password"}))
                .send()
                .await
                .unwrap();
            let retry_after = response.headers().contains_key("retry-after");
            (response.status().as_u16(), retry_after)
        }
    });
    // Meanwhile, someone else's requests must still be answered.
    let probes = async {
        let mut answered = 0;
        for _ in 0..20 {
            let health = http
                .get(format!("{url}/api/v1/health"))
                .timeout(Duration::from_secs(5))
                .send()
                .await
                .unwrap();
            assert_eq!(health.status(), 200, "the server answers during the burst");
            answered += 1;
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        answered
    };
    let (answers, answered) = tokio::join!(join_all(attempts), probes);
    assert_eq!(answered, 20);

    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for (status, retry_after) in &answers {
        *by_status.entry(*status).or_default() += 1;
        assert!(
            matches!(status, 401 | 429 | 503),
            "only refusals, never an error: {by_status:?}"
        );
        if matches!(status, 429 | 503) {
            assert!(retry_after, "a refusal says when to retry");
        }
    }
    let refused_early = by_status.get(&429).copied().unwrap_or(0);
    assert!(
        refused_early >= 200,
        "the limiter counts attempts before hashing, so most of one address's burst is refused at once: {by_status:?}"
    );
    let peak = status_kib(pid, "VmHWM");
    assert!(
        peak < PEAK_MAX_KIB,
        "peak resident {} MiB during the burst (bound {} MiB): {by_status:?}",
        peak / 1024,
        PEAK_MAX_KIB / 1024
    );
    eprintln!(
        "sign-in burst: {by_status:?}; resident: idle {} MiB, peak {} MiB, after {} MiB",
        idle / 1024,
        peak / 1024,
        status_kib(pid, "VmRSS") / 1024
    );
}

/// Memory per live stream, measured on the real binary: sign in `STREAMS` agents, open a
/// stream for each, and divide the growth of the server's resident size. Printed, and held
/// under a generous bound (the goal, 30 KiB, is tracked by the benchmark).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_live_stream_costs_the_server_little_memory() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    const STREAMS: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let db = common::store::fresh(dir.path()).await;
    common::binary::prepare_agents(&db, STREAMS).await;
    let (child, url) = spawn(&db).await;
    let pid = child.id().unwrap();
    let http = reqwest::Client::new();
    let mut tokens = Vec::new();
    for n in 0..STREAMS {
        tokens.push(common::sign_in(&http, &url, &format!("agent{n}")).await);
    }
    let before = status_kib(pid, "VmRSS");
    let stream_url = url.replace("http://", "ws://") + "/api/v1/stream";
    let mut sockets = Vec::new();
    for token in &tokens {
        let mut request = stream_url.as_str().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Authorization", format!("Bearer {token}").parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        ws.send(Message::Text(r#"{"type":"resume","after_seq":0}"#.into()))
            .await
            .unwrap();
        loop {
            let Some(Ok(Message::Text(text))) = ws.next().await else {
                panic!("the stream closed before it was live");
            };
            if text.contains(r#""type":"live""#) {
                break;
            }
        }
        sockets.push(ws);
    }
    let after = status_kib(pid, "VmRSS");
    let per_stream = after.saturating_sub(before) as f64 / STREAMS as f64;
    eprintln!(
        "{STREAMS} live streams: resident {} → {} MiB, {per_stream:.1} KiB per stream (goal 30)",
        before / 1024,
        after / 1024
    );
    assert!(
        per_stream < 64.0,
        "{per_stream:.1} KiB per live stream (the buffers are sized for 16 KiB frames)"
    );
    drop(sockets);
}
