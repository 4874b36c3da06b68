//! Agent sync from Chatwoot against a real server and a local stand-in for Chatwoot's API
//! (`common/chatwoot_api.rs`, which checks the access token as Chatwoot does): agents are
//! created with their inboxes and teams, follow renames and membership changes, are
//! disabled when they leave the account (only those the connector made) and come back;
//! a refused token and an email taken elsewhere are reported, never half-applied.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::Utc;
use common::chatwoot_api::ChatwootApi;
use common::*;
use herald_protocol::*;
use herald_server::{admin, provisioning};
use reqwest::{Method, StatusCode};
use serde_json::json;

const WS: &str = "Chatwoot Co";

struct Setup {
    server: TestServer,
    chatwoot: ChatwootApi,
    key: String,
}

impl Setup {
    async fn start() -> Setup {
        let server = TestServer::start_with(|config| {
            config.public_url = Some("https://herald.acme.test".into());
            config.connectors.allow_private = true;
        })
        .await;
        let db = &server.running().db;
        let ws = admin::ensure_workspace(db, WS).await.unwrap();
        let key = provisioning::create_admin_key(db, ws, None, Utc::now())
            .await
            .unwrap()
            .1;
        let chatwoot = ChatwootApi::start("cw-admin-token").await;
        chatwoot.set_users(&[
            (5, "Ana Souza", "ana@chat.acme.test"),
            (6, "Bruno Lima", "bruno@chat.acme.test"),
            (7, "Carla Dias", "carla@chat.acme.test"),
        ]);
        chatwoot.set_inbox(3, &[5, 6]);
        chatwoot.set_team(2, &[7]);
        Setup {
            server,
            chatwoot,
            key,
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self
            .server
            .http
            .request(method, self.server.api(path))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn connect(&self, token: &str) -> AdminConnector {
        let response = self
            .call(
                Method::POST,
                "/admin/connectors",
                Some(json!({
                    "account_id": "1",
                    "url": "https://chat.acme.test",
                    "webhook_secret": "cw-webhook-secret-0123456789",
                    "api_token": token,
                    "api_url": self.chatwoot.url,
                })),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    async fn sync(&self, connector: &AdminConnector) -> SyncReport {
        let response = self
            .call(
                Method::POST,
                &format!("/admin/connectors/{}/sync", connector.id),
                None,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn agents(&self) -> Vec<AdminAgent> {
        self.call(Method::GET, "/admin/agents", None)
            .await
            .json()
            .await
            .unwrap()
    }

    async fn agent(&self, external: &str) -> AdminAgent {
        self.agents()
            .await
            .into_iter()
            .find(|a| a.external_id == external)
            .unwrap()
    }
}

#[tokio::test]
async fn herald_agents_follow_the_chatwoot_account() {
    let s = Setup::start().await;
    let connector = s.connect("cw-admin-token").await;
    assert!(connector.syncs_agents);
    let first = s.sync(&connector).await;
    assert_eq!(
        first.created,
        [
            "ana@chat.acme.test",
            "bruno@chat.acme.test",
            "carla@chat.acme.test"
        ]
    );
    assert_eq!(first.links_emailed, 0, "this server has no email relay");
    assert!(first.skipped.is_empty(), "{:?}", first.skipped);
    let ana = s.agent("5").await;
    assert_eq!(
        (ana.name.as_str(), ana.groups.as_slice()),
        ("Ana Souza", &["inbox:3".to_owned()][..])
    );
    assert!(
        !ana.has_password,
        "Chatwoot passwords never pass through Herald"
    );
    assert_eq!(s.agent("7").await.groups, ["team:2"]);
    // Nothing changed: nothing to do.
    assert_eq!(s.sync(&connector).await, SyncReport::default());

    // An agent added by hand in the same workspace is never disabled by a sync.
    let hand = s
        .call(
            Method::POST,
            "/admin/agents",
            Some(json!({"external_id": "lead-1", "email": "lead@acme.test", "name": "Lead", "password": "a fine password"})),
        )
        .await;
    assert_eq!(hand.status(), StatusCode::CREATED);

    // Bruno leaves, Ana joins team 2, Carla is renamed.
    s.chatwoot.set_users(&[
        (5, "Ana Souza", "ana@chat.acme.test"),
        (7, "Carla D. Silva", "carla@chat.acme.test"),
    ]);
    s.chatwoot.set_inbox(3, &[5]);
    s.chatwoot.set_team(2, &[7, 5]);
    let second = s.sync(&connector).await;
    assert_eq!(second.created, Vec::<String>::new());
    assert_eq!(
        second.updated,
        ["ana@chat.acme.test", "carla@chat.acme.test"]
    );
    assert_eq!(second.disabled, ["bruno@chat.acme.test"]);
    assert_eq!(s.agent("5").await.groups, ["inbox:3", "team:2"]);
    assert_eq!(s.agent("7").await.name, "Carla D. Silva");
    assert!(s.agent("6").await.disabled);
    assert!(!s.agent("lead-1").await.disabled);

    // Bruno comes back.
    s.chatwoot.set_users(&[
        (5, "Ana Souza", "ana@chat.acme.test"),
        (6, "Bruno Lima", "bruno@chat.acme.test"),
        (7, "Carla D. Silva", "carla@chat.acme.test"),
    ]);
    let third = s.sync(&connector).await;
    assert_eq!(third.updated, ["bruno@chat.acme.test"]);
    assert!(!s.agent("6").await.disabled);
    let listed: Vec<AdminConnector> = s
        .call(Method::GET, "/admin/connectors", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed[0].synced_at.is_some() && listed[0].sync_error.is_none());
    assert_eq!(s.chatwoot.refused(), 0);
}

#[tokio::test]
async fn a_refused_token_or_a_taken_email_is_reported() {
    let s = Setup::start().await;
    let wrong = s.connect("not-the-token").await;
    let response = s
        .call(
            Method::POST,
            &format!("/admin/connectors/{}/sync", wrong.id),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("refused the access token"));
    assert!(s.chatwoot.refused() > 0, "the stand-in saw the wrong token");
    let listed: Vec<AdminConnector> = s
        .call(Method::GET, "/admin/connectors", None)
        .await
        .json()
        .await
        .unwrap();
    let error = listed[0].sync_error.clone().unwrap_or_default();
    assert!(error.contains("refused the access token (401)"), "{error}");
    assert!(s.agents().await.is_empty(), "nothing half-applied");

    // Zed (another workspace) has this email: that one user is skipped, the others synced.
    s.chatwoot.set_users(&[
        (5, "Ana Souza", "ana@chat.acme.test"),
        (9, "Zed", "zed@acme.test"),
    ]);
    let right = s.connect("cw-admin-token").await;
    let report = s.sync(&right).await;
    assert_eq!(report.created, ["ana@chat.acme.test"]);
    assert_eq!(
        report.skipped,
        ["Chatwoot user 9 (zed@acme.test): another agent has that email"]
    );

    // A connector without a token cannot sync; another workspace's connector is not found.
    let plain = s
        .call(
            Method::POST,
            "/admin/connectors",
            Some(json!({"account_id": "1", "url": "https://chat.acme.test", "webhook_secret": "cw-webhook-secret-0123456789"})),
        )
        .await
        .json::<AdminConnector>()
        .await
        .unwrap();
    let response = s
        .call(
            Method::POST,
            &format!("/admin/connectors/{}/sync", plain.id),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let db = &s.server.running().db;
    let other = admin::ensure_workspace(db, "Other Corp").await.unwrap();
    let other_key = provisioning::create_admin_key(db, other, None, Utc::now())
        .await
        .unwrap()
        .1;
    let theirs = s
        .server
        .http
        .post(
            s.server
                .api(&format!("/admin/connectors/{}/sync", right.id)),
        )
        .bearer_auth(other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_private_api_address_is_refused_unless_the_operator_allows_it() {
    let server = TestServer::start().await;
    let db = &server.running().db;
    let ws = admin::ensure_workspace(db, WS).await.unwrap();
    let key = provisioning::create_admin_key(db, ws, None, Utc::now())
        .await
        .unwrap()
        .1;
    for api_url in [
        "http://127.0.0.1:3000",
        "https://10.0.0.5",
        "https://chatwoot.internal",
        "https://[::1]",
    ] {
        let response = server
            .http
            .post(server.api("/admin/connectors"))
            .bearer_auth(&key)
            .json(&json!({"account_id": "1", "url": "https://chat.acme.test", "webhook_secret": "cw-webhook-secret-0123456789", "api_token": "t", "api_url": api_url}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{api_url}"
        );
    }
}

#[tokio::test]
async fn synced_agents_get_their_set_up_link_by_email_and_it_works_once() {
    let Some(sink) = common::smtp_sink::Sink::start().await else {
        return;
    };
    let port = sink.port;
    let server = TestServer::start_with(move |config| {
        config.public_url = Some("https://herald.acme.test".into());
        config.connectors.allow_private = true;
        config.email = Some(herald_server::email::EmailConfig::new(
            format!("smtp://127.0.0.1:{port}"),
            "Herald <herald@acme.test>",
        ));
    })
    .await;
    let db = &server.running().db;
    let ws = admin::ensure_workspace(db, WS).await.unwrap();
    let key = provisioning::create_admin_key(db, ws, None, Utc::now())
        .await
        .unwrap()
        .1;
    let chatwoot = ChatwootApi::start("cw-admin-token").await;
    chatwoot.set_users(&[(5, "Ana <b>Souza</b>", "ana@chat.acme.test")]);
    chatwoot.set_inbox(3, &[5]);
    let s = Setup {
        server,
        chatwoot,
        key,
    };
    let connector = s.connect("cw-admin-token").await;
    let report = s.sync(&connector).await;
    assert_eq!(report.created, ["ana@chat.acme.test"]);
    assert_eq!(report.links_emailed, 1);
    let mail = sink.wait_for(1).await;
    assert_eq!(mail[0]["to"], json!(["ana@chat.acme.test"]));
    assert_eq!(mail[0]["subject"], "Set your Herald password");
    let text = mail[0]["text"].as_str().unwrap();
    assert!(text.contains("Hello Ana <b>Souza</b>,"), "{text}");
    let html = mail[0]["html"].as_str().unwrap();
    assert!(
        html.contains("Ana &lt;b&gt;Souza&lt;/b&gt;"),
        "the name is escaped: {html}"
    );
    let token = text
        .split("https://herald.acme.test/#setup=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    let setup = |password: &'static str| {
        s.server
            .http
            .post(s.server.api("/password-setup"))
            .json(&json!({"token": token, "password": password}))
            .send()
    };
    assert_eq!(
        setup("ana's own password").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        setup("someone else's one").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let signed_in = s
        .server
        .http
        .post(s.server.api("/session"))
        .json(&json!({"email": "ana@chat.acme.test", "password": "ana's own password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK);
}
