//! Conversation links at ingest: only `https` links to an origin the workspace declared are
//! kept; anything else is dropped from the item, kept as text for "Why?", and reported in
//! the ingest answer (single events and batches), against a real server.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use herald_protocol::*;
use herald_server::admin;

fn with_link(id: &str, link: &str) -> PlatformEvent {
    let mut event = reply(id, &format!("c-{id}"), "ana");
    event.conversation.as_mut().unwrap().url = Some(link.into());
    event
}

async fn item(server: &TestServer, token: &str, event_id: &str) -> Notification {
    server
        .all_items(token)
        .await
        .into_iter()
        .find(|n| n.event_id == event_id)
        .unwrap_or_else(|| panic!("{event_id} is in the inbox"))
}

#[tokio::test]
async fn links_to_the_declared_origin_are_kept() {
    let server = TestServer::start().await;
    let ana = server.sign_in("ana").await;
    let link = format!("{LINK_ORIGIN}/conversations/42?tab=notes");
    let answer = server.ingest_ok(&with_link("ok", &link)).await;
    assert!(answer.dropped.is_empty(), "{:?}", answer.dropped);
    let stored = item(&server, &ana, "ok").await;
    assert_eq!(stored.conversation.unwrap().url.as_deref(), Some(&*link));
    assert_eq!(stored.withheld_link, None);
}

#[tokio::test]
async fn hostile_and_foreign_links_are_dropped_reported_and_kept_as_text() {
    let server = TestServer::start().await;
    let ana = server.sign_in("ana").await;
    let hostile = [
        ("js", "javascript:alert(1)"),
        ("file", "file:///etc/passwd"),
        ("smb", "smb://host/share"),
        ("data", "data:text/html,<script>alert(1)</script>"),
        ("http", "http://acme.example/c/1"),
        ("lead", " https://acme.example/c/1"),
        ("trail", "https://acme.example/c/1\n"),
        ("other", "https://evil.example/c/1"),
        ("lookalike", "https://acme.example.evil.example/c/1"),
        ("creds", "https://user:pw@acme.example/c/1"),
    ];
    let mut sent = Vec::new();
    for (id, link) in hostile {
        let event = with_link(id, link);
        let answer = server.ingest_ok(&event).await;
        sent.push(event);
        assert_eq!(answer.recipients, 1, "{id}: the item itself is delivered");
        let fields: Vec<&str> = answer.dropped.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["conversation.url"], "{id}: reported");
        assert!(!answer.dropped[0].message.is_empty());
        let stored = item(&server, &ana, id).await;
        let conversation = stored.conversation.unwrap();
        assert_eq!(conversation.url, None, "{id}: never stored as a link");
        assert_eq!(
            conversation.subject.as_deref(),
            Some(&*format!("Subject of c-{id}"))
        );
        assert_eq!(
            stored.withheld_link.as_deref(),
            Some(link.trim()),
            "{id}: kept as text"
        );
    }
    // The same event again is a duplicate (its fingerprint is of what was sent).
    let again = server.ingest_ok(&sent[0]).await;
    assert!(again.duplicate);
}

#[tokio::test]
async fn a_workspace_without_declared_origins_keeps_no_links_and_says_how_to_allow_them() {
    let server = TestServer::start().await;
    let ana = server.sign_in("ana").await;
    admin::set_link_origins(&server.running().db, WORKSPACE, &[])
        .await
        .unwrap();
    let answer = server
        .ingest_ok(&with_link("undeclared", &format!("{LINK_ORIGIN}/c/1")))
        .await;
    assert!(
        answer.dropped[0].message.contains("workspace links"),
        "{:?}",
        answer.dropped
    );
    assert_eq!(
        item(&server, &ana, "undeclared")
            .await
            .conversation
            .unwrap()
            .url,
        None
    );
    // Declaring an origin is checked too.
    let refused = admin::set_link_origins(
        &server.running().db,
        WORKSPACE,
        &["http://acme.example".into()],
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("https"), "{refused}");
}

#[tokio::test]
async fn a_batch_reports_dropped_links_per_event() {
    let server = TestServer::start().await;
    let events = [
        serde_json::to_value(with_link("b-ok", &format!("{LINK_ORIGIN}/c/1"))).unwrap(),
        serde_json::to_value(with_link("b-bad", "javascript:alert(1)")).unwrap(),
    ];
    let batch: IngestBatchResult = server.ingest_batch(&events).await.json().await.unwrap();
    let dropped: Vec<usize> = batch
        .results
        .iter()
        .map(|r| match r {
            IngestItemResult::Ingested { result } => result.dropped.len(),
            IngestItemResult::Rejected { .. } => usize::MAX,
        })
        .collect();
    assert_eq!(dropped, [0, 1]);
}
