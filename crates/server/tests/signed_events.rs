//! `POST /events/signed` against a real server: an event signed with an ingest key's
//! signing secret is ingested like a bearer one; a wrong secret, a stale or moved timestamp,
//! a key without a secret, a revoked key and a tampered body are refused, nothing ingested.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::Utc;
use common::*;
use herald_protocol::*;
use herald_server::admin;
use herald_server::connectors::signature;
use reqwest::StatusCode;

async fn post(
    server: &TestServer,
    key_id: &str,
    secret: &str,
    at: i64,
    body: &str,
) -> reqwest::Response {
    let ts = at.to_string();
    server
        .http
        .post(server.api("/events/signed"))
        .header("content-type", "application/json")
        .header("x-herald-key", key_id)
        .header("x-herald-timestamp", &ts)
        .header(
            "x-herald-signature",
            signature::sign(secret.as_bytes(), &ts, body.as_bytes()),
        )
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_signed_event_is_ingested_and_a_forged_one_is_not() {
    let server = TestServer::start().await;
    let db = &server.running().db;
    let (id, key, secret) = admin::create_signed_ingest_key(db, WORKSPACE, Some("signer"))
        .await
        .unwrap();
    assert!(secret.starts_with("hrld_h_") && key.starts_with("hrld_i_"));
    let id = id.to_string();
    let now = Utc::now().timestamp();
    let body = serde_json::to_string(&assignment("e-signed", "c-1", "Signed and sealed")).unwrap();

    let (status, message) = error_of(post(&server, &id, "hrld_h_wrong", now, &body).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(message.contains("does not match"), "{message}");
    let (status, message) = error_of(post(&server, &id, &secret, now - 301, &body).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(message.contains("5 minutes"), "{message}");
    // A key made without --signed cannot sign.
    let (plain, _) = admin::create_ingest_key(db, WORKSPACE, None).await.unwrap();
    let (status, _) = error_of(post(&server, &plain.to_string(), &secret, now, &body).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Signed, then changed on the way.
    let ts = now.to_string();
    let tampered = server
        .http
        .post(server.api("/events/signed"))
        .header("x-herald-key", &id)
        .header("x-herald-timestamp", &ts)
        .header(
            "x-herald-signature",
            signature::sign(secret.as_bytes(), &ts, body.as_bytes()),
        )
        .body(body.replace("Signed and sealed", "Pay this invoice"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), StatusCode::UNAUTHORIZED);
    let ana = server.sign_in("ana").await;
    assert!(
        server.all_items(&ana).await.is_empty(),
        "nothing refused was ingested"
    );

    // The real thing, twice: one item.
    for duplicate in [false, true] {
        let ok = post(&server, &id, &secret, now, &body).await;
        assert_eq!(ok.status(), StatusCode::OK);
        let result: IngestResult = ok.json().await.unwrap();
        assert_eq!((result.recipients, result.duplicate), (1, duplicate));
    }
    let items = server.all_items(&ana).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].title, "Signed and sealed");
    // The key also works as a bearer key.
    server
        .http
        .post(server.api("/events"))
        .bearer_auth(&key)
        .json(&assignment("e-2", "c-2", "Bearer"))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();

    // A signed but invalid event gets the usual 422; a revoked key nothing.
    let invalid = r#"{"id":"","kind":"assignment","occurred_at":"2026-12-02T10:00:00Z"}"#;
    assert_eq!(
        post(&server, &id, &secret, now, invalid).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    admin::revoke_ingest_key(db, id.parse().unwrap())
        .await
        .unwrap();
    let (status, _) = error_of(post(&server, &id, &secret, now, &body).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
