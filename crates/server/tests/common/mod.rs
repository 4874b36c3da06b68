//! Test support: a real herald-server on 127.0.0.1:0 with a real SQLite file or PostgreSQL
//! database (`store`), seeded agents, an HTTP client and a WebSocket client.

#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use chrono::Utc;
use herald_protocol::*;
use herald_server::admin::{self, NewAgent};
use herald_server::db::DatabaseUrl;
use herald_server::{Running, ServerConfig};
use reqwest::StatusCode;

pub mod apns_service;
pub mod binary;
pub mod chatwoot_api;
pub mod fcm_service;
pub mod follower;
pub mod ledger;
pub mod phones;
pub mod push_service;
pub mod smtp_sink;
pub mod store;
mod ws;

// Each test binary uses some of these, none all.
#[allow(unused_imports)]
pub use ws::{items, Closed, Socket, Ws};

pub const PASSWORD: &str = "correct horse battery";
pub const WORKSPACE: &str = "Acme";
/// The workspace's declared link origin (`reply` links there).
pub const LINK_ORIGIN: &str = "https://acme.example";

/// A running server and what the tests need to talk to it.
pub struct TestServer {
    pub server: Option<Running>,
    pub url: String,
    pub ws_url: String,
    pub key: String,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
    /// Where its data lives (`store::fresh`): a restart opens the same.
    pub database: DatabaseUrl,
}

pub fn config(db: &DatabaseUrl) -> ServerConfig {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), db.clone());
    config.stream.ping_interval = Duration::from_millis(300);
    config.stream.resume_timeout = Duration::from_secs(2);
    config.stream.send_timeout = Duration::from_secs(30);
    config.max_streams_per_agent = 3;
    config
}

impl TestServer {
    /// Agents ana, bruno (inbox:support) and carla (team:billing) in workspace Acme, and
    /// agent zed in another workspace.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(edit: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let database = store::fresh(dir.path()).await;
        Self::start_in(dir, database, edit).await
    }

    /// The agents of [`TestServer::start`] on a database of the caller's.
    pub async fn start_on(
        database: DatabaseUrl,
        edit: impl FnOnce(&mut ServerConfig),
    ) -> TestServer {
        Self::start_in(tempfile::tempdir().unwrap(), database, edit).await
    }

    async fn start_in(
        dir: tempfile::TempDir,
        database: DatabaseUrl,
        edit: impl FnOnce(&mut ServerConfig),
    ) -> TestServer {
        let mut config = config(&database);
        edit(&mut config);
        let server = herald_server::start(config).await.unwrap();
        for (id, group, workspace) in [
            ("ana", "inbox:support", WORKSPACE),
            ("bruno", "inbox:support", WORKSPACE),
            ("carla", "team:billing", WORKSPACE),
            ("zed", "inbox:support", "Other Corp"),
        ] {
            admin::add_agent(
                &server.db,
                &NewAgent {
                    workspace: workspace.into(),
                    external_id: id.into(),
                    email: format!("{id}@acme.test"),
                    name: id.to_uppercase(),
                    password: PASSWORD.into(),
                    groups: vec![group.into()],
                },
            )
            .await
            .unwrap();
        }
        let (_, key) = admin::create_ingest_key(&server.db, WORKSPACE, None)
            .await
            .unwrap();
        // The platform the tests pretend to be links to its conversations there.
        admin::set_link_origins(&server.db, WORKSPACE, &[LINK_ORIGIN.into()])
            .await
            .unwrap();
        let url = server.url();
        TestServer {
            ws_url: format!("ws://{}/api/v1/stream", server.addr),
            url,
            key,
            http: reqwest::Client::new(),
            server: Some(server),
            dir,
            database,
        }
    }

    /// A second node on this server's database (PostgreSQL): its own process state (hub,
    /// writer, fan-out), the same agents and key.
    pub async fn another_node(&self, edit: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let mut config = config(&self.database);
        edit(&mut config);
        let server = herald_server::start(config).await.unwrap();
        TestServer {
            ws_url: format!("ws://{}/api/v1/stream", server.addr),
            url: server.url(),
            key: self.key.clone(),
            http: reqwest::Client::new(),
            server: Some(server),
            dir: tempfile::tempdir().unwrap(),
            database: self.database.clone(),
        }
    }

    /// A server on `clock` whose reminders worker looks every 40 ms (tests move the clock
    /// and wait for what comes back), and ana's token.
    pub async fn start_clocked(clock: &ManualClock) -> (TestServer, String) {
        let moved = clock.clock();
        let server = Self::start_with(|config| {
            config.clock = moved;
            config.reminder_poll = Duration::from_millis(40);
        })
        .await;
        let token = server.sign_in("ana").await;
        (server, token)
    }

    /// Marks items read as the agent of `token`.
    pub async fn mark_read(&self, token: &str, ids: &[uuid::Uuid]) -> MarkResult {
        self.post_json(
            token,
            "/inbox/mark",
            &MarkRequest::Items {
                ids: ids.to_vec(),
                read: true,
            },
        )
        .await
    }

    pub fn running(&self) -> &Running {
        self.server.as_ref().unwrap()
    }

    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// `GET /metrics` (served to loopback, where the tests are).
    pub async fn metrics(&self) -> String {
        let response = self.http.get(format!("{}/metrics", self.url)).send();
        response.await.unwrap().text().await.unwrap()
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.url)
    }

    pub async fn sign_in(&self, who: &str) -> String {
        sign_in(&self.http, &self.url, who).await
    }

    pub async fn ingest(&self, event: &PlatformEvent) -> reqwest::Response {
        self.http
            .post(self.api("/events"))
            .bearer_auth(&self.key)
            .json(event)
            .send()
            .await
            .unwrap()
    }

    /// `POST /events/batch` with these events (JSON values, so malformed ones can be sent).
    pub async fn ingest_batch(&self, events: &[serde_json::Value]) -> reqwest::Response {
        self.http
            .post(self.api("/events/batch"))
            .bearer_auth(&self.key)
            .json(&serde_json::json!({ "events": events }))
            .send()
            .await
            .unwrap()
    }

    pub async fn ingest_ok(&self, event: &PlatformEvent) -> IngestResult {
        let response = self.ingest(event).await;
        assert_eq!(response.status(), StatusCode::OK, "ingest of {}", event.id);
        response.json().await.unwrap()
    }

    pub async fn get<T: serde::de::DeserializeOwned>(&self, token: &str, path: &str) -> T {
        let response = self
            .http
            .get(self.api(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.unwrap()
    }

    /// POSTs with no body as the agent of `token` and reads the 200 answer.
    pub async fn post<T: serde::de::DeserializeOwned>(&self, token: &str, path: &str) -> T {
        let response = self
            .http
            .post(self.api(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "POST {path}");
        response.json().await.unwrap()
    }

    /// Presses "Save and test" as the agent of `token`; the answer must come within
    /// `within` (`what` says what it waits for).
    pub async fn test_notification_within(
        &self,
        token: &str,
        within: std::time::Duration,
        what: &str,
    ) -> herald_protocol::TestNotificationResult {
        let answer = self
            .http
            .post(self.api("/test-notification"))
            .bearer_auth(token)
            .timeout(within)
            .send()
            .await
            .unwrap_or_else(|e| panic!("answered once {what}: {e}"));
        assert_eq!(answer.status(), StatusCode::OK, "POST /test-notification");
        answer.json().await.unwrap()
    }

    /// POSTs `body` as the agent of `token` and reads the 200 answer.
    pub async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        body: &impl serde::Serialize,
    ) -> T {
        let response = self
            .http
            .post(self.api(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "POST {path}");
        response.json().await.unwrap()
    }

    /// Reads the agent's preferences, changes them with `edit`, saves them over the version
    /// read (If-Match), and asserts the save went through.
    pub async fn edit_prefs(
        &self,
        token: &str,
        edit: impl FnOnce(&mut Preferences),
    ) -> VersionedPreferences {
        let current: VersionedPreferences = self.get(token, "/preferences").await;
        let mut prefs = current.preferences;
        edit(&mut prefs);
        let response = self
            .http
            .put(self.api("/preferences"))
            .bearer_auth(token)
            .header("If-Match", current.version.to_string())
            .json(&prefs)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "saving preferences");
        response.json().await.unwrap()
    }

    /// Every item of an agent's inbox (bell and hidden), oldest first.
    pub async fn all_items(&self, token: &str) -> Vec<Notification> {
        let mut items = Vec::new();
        let mut before: Option<u64> = None;
        loop {
            let path = match before {
                Some(b) => format!("/inbox?all=true&limit=200&before={b}"),
                None => "/inbox?all=true&limit=200".to_string(),
            };
            let page: InboxPage = self.get(token, &path).await;
            items.extend(page.items);
            match page.next_before {
                Some(b) => before = Some(b),
                None => break,
            }
        }
        items.reverse();
        items
    }

    pub async fn connect(&self, token: &str) -> Ws {
        Ws::connect(&self.ws_url, token).await.unwrap()
    }
}

/// Signs `who` ("ana" for ana@acme.test) in at the server at `url`; returns the token.
pub async fn sign_in(http: &reqwest::Client, url: &str, who: &str) -> String {
    grant(http, url, who).await.token
}

/// Signs `who` in at the server at `url`; returns the whole grant (token, session, agent).
pub async fn grant(http: &reqwest::Client, url: &str, who: &str) -> SessionGrant {
    http.post(format!("{url}/api/v1/session"))
        .json(&serde_json::json!({"email": format!("{who}@acme.test"), "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub fn reply(id: &str, conversation: &str, assignee: &str) -> PlatformEvent {
    PlatformEvent {
        id: id.into(),
        kind: EventKind::Reply,
        occurred_at: Utc::now(),
        conversation: Some(ConversationRef {
            id: conversation.into(),
            inbox_id: Some("support".into()),
            team_id: None,
            subject: Some(format!("Subject of {conversation}")),
            customer_name: Some("Customer".into()),
            url: Some(format!("https://acme.example/c/{conversation}")),
        }),
        actor: Some(ActorRef {
            agent_id: None,
            name: "Customer".into(),
        }),
        assignee: Some(assignee.into()),
        mentioned: vec![],
        participants: vec![],
        text: Some(format!("message {id}")),
        module: None,
        recipients: vec![],
        teams: vec![],
    }
}

/// An error answer's status and message.
pub async fn error_of(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap_or_default();
    (status, message.to_owned())
}

/// An assignment of conversation `conversation` to ana, with this subject.
pub fn assignment(id: &str, conversation: &str, subject: &str) -> PlatformEvent {
    let mut event = reply(id, conversation, "ana");
    event.kind = EventKind::Assignment;
    if let Some(c) = event.conversation.as_mut() {
        c.subject = Some(subject.into());
    }
    event
}

pub fn mention(id: &str, who: &str, by: &str) -> PlatformEvent {
    PlatformEvent {
        kind: EventKind::Mention,
        actor: Some(ActorRef {
            agent_id: Some(by.into()),
            name: by.into(),
        }),
        assignee: None,
        mentioned: vec![who.into()],
        ..reply(id, "c-mention", by)
    }
}
