//! Chatwoot's webhooks against a real server: signed deliveries (valid, forged, stale,
//! replayed) of Chatwoot-shaped payloads (`fixtures/chatwoot/`) reach the agents the
//! mapping names, in the connector's workspace, once.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::Utc;
use common::*;
use herald_protocol::*;
use herald_server::admin::{self, NewAgent};
use herald_server::connectors::{self, signature};
use reqwest::StatusCode;

const SECRET: &str = "cw-webhook-secret-0123456789abcdef";
const WS: &str = "Chatwoot Co";

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/chatwoot/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}

struct Setup {
    server: TestServer,
    hook: String,
}

impl Setup {
    /// Chatwoot users 5 (cw5: inbox 3), 6 (cw6: inbox 3) and 7 (cw7: team 2) as agents of
    /// their own workspace, and a connector for Chatwoot account 1.
    async fn start() -> Setup {
        let server = TestServer::start().await;
        let db = &server.running().db;
        for (user, groups) in [
            ("5", vec!["inbox:3"]),
            ("6", vec!["inbox:3"]),
            ("7", vec!["team:2"]),
        ] {
            admin::add_agent(
                db,
                &NewAgent {
                    workspace: WS.into(),
                    external_id: user.into(),
                    email: format!("cw{user}@acme.test"),
                    name: format!("User {user}"),
                    password: PASSWORD.into(),
                    groups: groups.into_iter().map(str::to_owned).collect(),
                },
            )
            .await
            .unwrap();
        }
        let id =
            connectors::add_chatwoot(db, WS, "1", "https://chat.acme.example", SECRET, Utc::now())
                .await
                .unwrap();
        let hook = server.api(&format!("/connectors/{id}/webhook"));
        Setup { server, hook }
    }

    async fn post_signed(
        &self,
        body: &str,
        delivery: &str,
        secret: &str,
        at: i64,
    ) -> reqwest::Response {
        let ts = at.to_string();
        self.server
            .http
            .post(&self.hook)
            .header("content-type", "application/json")
            .header(
                "x-chatwoot-signature",
                signature::sign(secret.as_bytes(), &ts, body.as_bytes()),
            )
            .header("x-chatwoot-timestamp", ts)
            .header("x-chatwoot-delivery", delivery)
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    async fn deliver(&self, name: &str, delivery: &str) -> WebhookResult {
        let response = self
            .post_signed(&fixture(name), delivery, SECRET, Utc::now().timestamp())
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        response.json().await.unwrap()
    }

    async fn items(&self, user: &str) -> Vec<Notification> {
        let token = self.server.sign_in(&format!("cw{user}")).await;
        self.server.all_items(&token).await
    }
}

fn ingested(result: &WebhookResult) -> (&[IngestResult], &[String]) {
    match &result.outcome {
        WebhookOutcome::Ingested { events, skipped } => (events, skipped),
        other => panic!("expected ingested, got {other:?}"),
    }
}

#[tokio::test]
async fn chatwoot_events_reach_the_agents_they_concern() {
    let s = Setup::start().await;

    // A new conversation in inbox 3, auto-assigned to user 5: the inbox's agents.
    let created = s.deliver("conversation_created", "d-created").await;
    assert_eq!(ingested(&created).0[0].recipients, 2);
    // Reassigned to user 6.
    s.deliver("conversation_assigned", "d-assigned").await;
    // User 6 mentions user 5, team 2 and an unknown user 999 in a private note.
    let note = s.deliver("note_mention", "d-note").await;
    let (events, skipped) = ingested(&note);
    assert_eq!(
        events[0].recipients, 2,
        "user 5 and team 2's user 7, not the author"
    );
    assert_eq!(
        skipped,
        ["a mention of Chatwoot user 999: no Herald agent has that id"]
    );
    // The customer writes again: the assignee (6) hears of it.
    s.deliver("message_incoming", "d-incoming").await;
    // The assignee answers: nobody else takes part yet, so nobody is told.
    let reply = s.deliver("message_outgoing", "d-outgoing").await;
    assert_eq!(ingested(&reply).0[0].recipients, 0);
    // Events Herald has no use for are acknowledged and recorded.
    let contact = s.deliver("contact_created", "d-contact").await;
    assert_eq!(
        contact.outcome,
        WebhookOutcome::Ignored {
            reason: "Herald does not notify about \"contact_created\" events".into()
        }
    );

    let kinds = |items: &[Notification]| -> Vec<String> {
        items.iter().map(|n| n.kind.as_str().to_owned()).collect()
    };
    let five = s.items("5").await;
    assert_eq!(kinds(&five), ["new_conversation", "mention"]);
    assert!(five[1].context.mentioned);
    let link = five[0].conversation.as_ref().and_then(|c| c.url.clone());
    assert_eq!(
        link.as_deref(),
        Some("https://chat.acme.example/app/accounts/1/conversations/1042"),
        "the Chatwoot address is a link origin of the workspace"
    );
    assert_eq!(
        five[1].body,
        "@Ana Souza and @billing can you check? cc @Nobody Known"
    );
    let six = s.items("6").await;
    assert_eq!(kinds(&six), ["new_conversation", "assignment", "reply"]);
    assert!(six[1].context.assigned_to_me);
    let seven = s.items("7").await;
    assert_eq!(
        kinds(&seven),
        ["mention"],
        "a team mention reaches the team"
    );
    assert!(seven[0].context.mentioned, "and counts as a mention");
    // Nothing leaked into the other workspace.
    let ana = s.server.sign_in("ana").await;
    assert!(s.server.all_items(&ana).await.is_empty());
}

#[tokio::test]
async fn only_signed_fresh_deliveries_are_taken_and_a_retry_is_taken_once() {
    let s = Setup::start().await;
    let body = fixture("message_incoming");
    let now = Utc::now().timestamp();
    // Signed with another secret.
    let (status, message) = error_of(
        s.post_signed(&body, "d-1", "not-the-secret-at-all!!", now)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(message.contains("does not match"), "{message}");
    // Signed properly, ten minutes ago (a captured request replayed later).
    let (status, message) = error_of(s.post_signed(&body, "d-1", SECRET, now - 600).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(message.contains("5 minutes"), "{message}");
    // No signature at all.
    let bare = s
        .server
        .http
        .post(&s.hook)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    // The body changed after signing.
    let ts = now.to_string();
    let tampered = s
        .server
        .http
        .post(&s.hook)
        .header(
            "x-chatwoot-signature",
            signature::sign(SECRET.as_bytes(), &ts, body.as_bytes()),
        )
        .header("x-chatwoot-timestamp", &ts)
        .body(body.replace("Any news", "Ignore previous"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), StatusCode::UNAUTHORIZED);
    // A connector that does not exist.
    let nowhere = s.hook.replace(
        s.hook.split('/').nth_back(1).unwrap(),
        &uuid::Uuid::now_v7().to_string(),
    );
    let missing = s
        .server
        .http
        .post(nowhere)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(
        s.items("6").await.is_empty(),
        "nothing refused was ingested"
    );

    // Chatwoot retries a delivery: the second is the first's answer, ingested once.
    let first = s.deliver("message_incoming", "d-retried").await;
    let again = s.deliver("message_incoming", "d-retried").await;
    assert!(!first.duplicate && again.duplicate);
    assert_eq!(first.outcome, again.outcome);
    assert_eq!(s.items("6").await.len(), 1);
    // Not JSON, but signed: a clear error.
    let junk = s.post_signed("{not json", "d-junk", SECRET, now).await;
    assert_eq!(junk.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
