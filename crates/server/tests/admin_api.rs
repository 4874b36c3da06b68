//! The provisioning API against a real server: an admin key administers its own workspace
//! only; agents made without a password sign in first through a one-time link; disabling
//! closes streams at once; keys and connectors are made and revoked without a shell.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use herald_protocol::*;
use herald_server::admin;
use herald_server::connectors::signature;
use herald_server::provisioning;
use reqwest::{Method, StatusCode};
use serde_json::json;

struct Setup {
    server: TestServer,
    clock: ManualClock,
    /// Acme's admin key.
    acme: String,
    /// Other Corp's admin key.
    other: String,
}

impl Setup {
    async fn start() -> Setup {
        let clock = ManualClock::new(Utc::now());
        let moved = clock.clock();
        let server = TestServer::start_with(|config| {
            config.clock = moved;
            config.public_url = Some("https://herald.acme.test/".into());
        })
        .await;
        let db = &server.running().db;
        let key = |ws: &'static str| async move {
            let id = admin::ensure_workspace(db, ws).await.unwrap();
            provisioning::create_admin_key(db, id, None, Utc::now())
                .await
                .unwrap()
                .1
        };
        let acme = key(WORKSPACE).await;
        let other = key("Other Corp").await;
        Setup {
            server,
            clock,
            acme,
            other,
        }
    }

    async fn call(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self
            .server
            .http
            .request(method, self.server.api(path))
            .bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn ok<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> T {
        let response = self.call(key, method.clone(), path, body).await;
        let status = response.status();
        assert!(status.is_success(), "{method} {path}: {status}");
        response.json().await.unwrap()
    }

    async fn sign_in(&self, email: &str, password: &str) -> StatusCode {
        self.server
            .http
            .post(self.server.api("/session"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
            .status()
    }

    async fn setup(&self, token: &str, password: &str) -> reqwest::Response {
        self.server
            .http
            .post(self.server.api("/password-setup"))
            .json(&json!({ "token": token, "password": password }))
            .send()
            .await
            .unwrap()
    }
}

fn token_of(link: &SetupLink) -> String {
    link.url
        .split_once("#setup=")
        .map(|(_, t)| t.to_owned())
        .unwrap()
}

#[tokio::test]
async fn a_new_agent_signs_in_first_through_a_one_time_link() {
    let s = Setup::start().await;
    let agent: AdminAgent = s
        .ok(
            &s.acme,
            Method::POST,
            "/admin/agents",
            Some(json!({"external_id": "77", "email": "Dora@Acme.test", "name": "Dora", "groups": ["inbox:support"]})),
        )
        .await;
    assert_eq!(agent.email, "dora@acme.test");
    assert_eq!(agent.groups, ["inbox:support"]);
    assert!(!agent.has_password);
    // No password yet: nothing signs in.
    assert_eq!(
        s.sign_in("dora@acme.test", "").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        s.sign_in("dora@acme.test", "anything at all").await,
        StatusCode::UNAUTHORIZED
    );
    let path = format!("/admin/agents/{}/setup-link", agent.id);
    let first: SetupLink = s.ok(&s.acme, Method::POST, &path, None).await;
    assert!(
        first
            .url
            .starts_with("https://herald.acme.test/#setup=hrld_p_"),
        "{}",
        first.url
    );
    assert!(!first.emailed, "this server has no email relay");
    // A newer link replaces it.
    let link: SetupLink = s.ok(&s.acme, Method::POST, &path, None).await;
    assert_eq!(
        s.setup(&token_of(&first), "a fine password").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Too short a password leaves the link usable.
    assert_eq!(
        s.setup(&token_of(&link), "short").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let done = s.setup(&token_of(&link), "a fine password").await;
    assert_eq!(done.status(), StatusCode::OK);
    let result: PasswordSetupResult = done.json().await.unwrap();
    assert_eq!(result.email, "dora@acme.test");
    assert_eq!(
        s.sign_in("dora@acme.test", "a fine password").await,
        StatusCode::OK
    );
    // Once only.
    assert_eq!(
        s.setup(&token_of(&link), "another password").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let after: AdminAgent = s
        .ok(
            &s.acme,
            Method::GET,
            &format!("/admin/agents/{}", agent.id),
            None,
        )
        .await;
    assert!(after.has_password);

    // A link left unused for more than 7 days does not work.
    let stale: SetupLink = s.ok(&s.acme, Method::POST, &path, None).await;
    s.clock
        .advance(chrono::Duration::days(7) + chrono::Duration::seconds(1));
    assert_eq!(
        s.setup(&token_of(&stale), "yet another one").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        s.sign_in("dora@acme.test", "a fine password").await,
        StatusCode::OK
    );
    // Junk tokens are refused the same way.
    for junk in ["", "hrld_p_", "hrld_s_0000", &"x".repeat(500)] {
        assert_eq!(
            s.setup(junk, "a fine password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn an_admin_key_administers_its_own_workspace_only() {
    let s = Setup::start().await;
    let acme: Vec<AdminAgent> = s.ok(&s.acme, Method::GET, "/admin/agents", None).await;
    let names: Vec<&str> = acme.iter().map(|a| a.external_id.as_str()).collect();
    assert_eq!(names, ["ana", "bruno", "carla"], "zed is Other Corp's");
    let ana = acme.iter().find(|a| a.external_id == "ana").unwrap();
    let path = format!("/admin/agents/{}", ana.id);
    // Other Corp's key: Acme's agent does not exist for it.
    assert_eq!(
        s.call(&s.other, Method::GET, &path, None).await.status(),
        StatusCode::NOT_FOUND
    );
    let patch = Some(json!({ "disabled": true }));
    assert_eq!(
        s.call(&s.other, Method::PATCH, &path, patch).await.status(),
        StatusCode::NOT_FOUND
    );
    let link = format!("{path}/setup-link");
    assert_eq!(
        s.call(&s.other, Method::POST, &link, None).await.status(),
        StatusCode::NOT_FOUND
    );
    let theirs: Vec<AdminAgent> = s.ok(&s.other, Method::GET, "/admin/agents", None).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].external_id, "zed");

    // Acme's key disables ana: her stream closes at once with "disabled", she cannot sign in.
    let token = s.server.sign_in("ana").await;
    let mut ws = s.server.connect(&token).await;
    ws.resume(0, None).await;
    ws.until_live().await;
    let disabled: AdminAgent = s
        .ok(
            &s.acme,
            Method::PATCH,
            &path,
            Some(json!({ "disabled": true })),
        )
        .await;
    assert!(disabled.disabled);
    let closed = tokio::time::timeout(Duration::from_secs(5), ws.until_closed())
        .await
        .unwrap();
    assert_eq!(closed.code, Some(4003));
    assert_eq!(
        s.sign_in("ana@acme.test", PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    // Re-enabled, renamed, regrouped.
    let back: AdminAgent = s
        .ok(
            &s.acme,
            Method::PATCH,
            &path,
            Some(json!({ "disabled": false, "name": "Ana S.", "groups": ["team:billing", "inbox:vip"] })),
        )
        .await;
    assert!(!back.disabled);
    assert_eq!(back.name, "Ana S.");
    assert_eq!(back.groups, ["inbox:vip", "team:billing"]);
    assert_eq!(s.sign_in("ana@acme.test", PASSWORD).await, StatusCode::OK);
    // Another agent's email is taken.
    let taken = s
        .call(
            &s.acme,
            Method::PATCH,
            &path,
            Some(json!({ "email": "bruno@acme.test" })),
        )
        .await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn hostile_input_is_refused_with_clear_errors() {
    let s = Setup::start().await;
    let cases = [
        (
            json!({"external_id": "9", "email": "not an email", "name": "X"}),
            "is not an email address",
        ),
        (
            json!({"external_id": "9", "email": "x@acme.test", "name": "X", "groups": ["admins"]}),
            "inbox:<id> or team:<id>",
        ),
        (
            json!({"external_id": "9", "email": "x@acme.test", "name": "\u{7}\n"}),
            "a name is 1 to 200 characters",
        ),
        (
            json!({"external_id": "", "email": "x@acme.test", "name": "X"}),
            "the platform id",
        ),
        (
            json!({"external_id": "9", "email": "x@acme.test", "name": "X", "password": "short"}),
            "8 to 1024",
        ),
        (
            json!({"external_id": "ana", "email": "new@acme.test", "name": "X"}),
            "exists",
        ),
        (json!({"email": "x@acme.test"}), "external_id"),
    ];
    for (body, expected) in cases {
        let response = s
            .call(&s.acme, Method::POST, "/admin/agents", Some(body.clone()))
            .await;
        assert!(response.status().is_client_error(), "{body}");
        let text = response.text().await.unwrap();
        assert!(text.contains(expected), "{body} → {text}");
    }
    let bad = s
        .call(&s.acme, Method::POST, "/admin/connectors", Some(json!({"account_id": "1", "url": "http://chat.acme.test", "webhook_secret": "0123456789abcdef0"})))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let short = s
        .call(&s.acme, Method::POST, "/admin/connectors", Some(json!({"account_id": "1", "url": "https://chat.acme.test", "webhook_secret": "short"})))
        .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn keys_and_connectors_are_made_and_revoked_without_a_shell() {
    let s = Setup::start().await;
    let created: CreatedIngestKey = s
        .ok(
            &s.acme,
            Method::POST,
            "/admin/ingest-keys",
            Some(json!({"label": "platform", "signed": true})),
        )
        .await;
    assert!(created.signing_secret.is_some());
    let ingest = |key: String| {
        let http = s.server.http.clone();
        let url = s.server.api("/events");
        async move {
            http.post(url)
                .bearer_auth(key)
                .json(&assignment("e-admin", "c-1", "Via the admin API"))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(ingest(created.key.clone()).await, StatusCode::OK);
    let keys: Vec<AdminIngestKey> = s.ok(&s.acme, Method::GET, "/admin/ingest-keys", None).await;
    let listed = keys.iter().find(|k| k.id == created.id).unwrap();
    assert!(listed.signed && !listed.revoked);
    assert_eq!(listed.label.as_deref(), Some("platform"));
    let path = format!("/admin/ingest-keys/{}", created.id);
    assert_eq!(
        s.call(&s.other, Method::DELETE, &path, None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.call(&s.acme, Method::DELETE, &path, None).await.status(),
        StatusCode::NO_CONTENT
    );
    let keys: Vec<AdminIngestKey> = s.ok(&s.acme, Method::GET, "/admin/ingest-keys", None).await;
    assert!(keys.iter().find(|k| k.id == created.id).unwrap().revoked);
    let other_keys: Vec<AdminIngestKey> = s
        .ok(&s.other, Method::GET, "/admin/ingest-keys", None)
        .await;
    assert!(other_keys.is_empty(), "Other Corp sees none of Acme's keys");

    // A Chatwoot connector, made through the API, takes signed deliveries at its path.
    let secret = "cw-secret-from-the-admin-api-0001";
    let connector: AdminConnector = s
        .ok(
            &s.acme,
            Method::POST,
            "/admin/connectors",
            Some(json!({"account_id": "1", "url": "https://chat.acme.test", "webhook_secret": secret})),
        )
        .await;
    assert_eq!(
        connector.webhook_path,
        format!("/api/v1/connectors/{}/webhook", connector.id)
    );
    assert!(!connector.syncs_agents);
    let body = r#"{"event":"contact_created","id":1,"account":{"id":1}}"#;
    let deliver = || {
        let ts = Utc::now().timestamp().to_string();
        s.server
            .http
            .post(format!("{}{}", s.server.url, connector.webhook_path))
            .header(
                "x-chatwoot-signature",
                signature::sign(secret.as_bytes(), &ts, body.as_bytes()),
            )
            .header("x-chatwoot-timestamp", ts)
            .header("x-chatwoot-delivery", "d-1")
            .body(body)
            .send()
    };
    assert_eq!(deliver().await.unwrap().status(), StatusCode::OK);
    let path = format!("/admin/connectors/{}", connector.id);
    assert_eq!(
        s.call(&s.other, Method::DELETE, &path, None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.call(&s.acme, Method::DELETE, &path, None).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(deliver().await.unwrap().status(), StatusCode::NOT_FOUND);
}
