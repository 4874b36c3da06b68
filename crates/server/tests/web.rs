//! The web app's side of the server, against a real server: the UI served at `/` with its
//! security headers, the HttpOnly session cookie, CSRF and origin checks (no cross-site
//! request or WebSocket can use an agent's session), edits and pauses applied by the
//! server, the browser's diagnostics and an item's trail per push device.

#![allow(clippy::unwrap_used)]

mod common;

use common::push_service::{PushService, Reply};
use common::*;
use herald_core::client::{OsOutcome, Trail};
use herald_core::diagnostics::{Finding, Topic, Verdict};
use herald_protocol::*;
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use reqwest::StatusCode;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A server whose web app is a one-file UI in a temporary folder.
async fn with_ui(edit: impl FnOnce(&mut herald_server::ServerConfig)) -> TestServer {
    let ui = tempfile::tempdir().unwrap();
    std::fs::write(
        ui.path().join("index.html"),
        "<html><head><title>Herald</title></head></html>",
    )
    .unwrap();
    let dir = ui.keep();
    TestServer::start_with(|config| {
        config.web_dir = Some(dir);
        config.push.allow_insecure_endpoints = true;
        edit(config);
    })
    .await
}

/// A signed-in browser: its cookie and CSRF token.
struct Browser {
    cookie: String,
    session: WebSession,
}

async fn web_sign_in(server: &TestServer, origin: Option<&str>) -> reqwest::Response {
    let mut request = server
        .http
        .post(server.api("/web/session"))
        .json(&serde_json::json!({"email": "ana@acme.test", "password": PASSWORD}));
    if let Some(origin) = origin {
        request = request.header(ORIGIN, origin);
    }
    request.send().await.unwrap()
}

async fn browser(server: &TestServer) -> Browser {
    let response = web_sign_in(server, Some(&server.url)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let set = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let cookie = set.split(';').next().unwrap().to_owned();
    Browser {
        cookie,
        session: response.json().await.unwrap(),
    }
}

impl Browser {
    /// GETs as this browser and reads the 200 answer.
    async fn get<T: serde::de::DeserializeOwned>(&self, server: &TestServer, path: &str) -> T {
        let response = self.request(server, "GET", path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.unwrap()
    }

    /// POSTs `body` as this browser and reads the 200 answer.
    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        server: &TestServer,
        path: &str,
        body: &impl serde::Serialize,
    ) -> T {
        let response = self
            .request(server, "POST", path)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "POST {path}");
        response.json().await.unwrap()
    }

    fn request(&self, server: &TestServer, method: &str, path: &str) -> reqwest::RequestBuilder {
        server
            .http
            .request(method.parse().unwrap(), server.api(path))
            .header(COOKIE, &self.cookie)
            .header(ORIGIN, &server.url)
            .header("x-herald-csrf", &self.session.csrf_token)
    }
}

#[tokio::test]
async fn the_web_app_is_served_with_strict_headers() {
    let server = with_ui(|_| {}).await;
    let page = server
        .http
        .get(format!("{}/", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<meta name="herald-backend" content="server">"#));
    // An item's link opens the app too; a missing asset is a 404, not the page.
    let deep = server
        .http
        .get(format!("{}/?item=x", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(deep.status(), StatusCode::OK);
    let missing = server
        .http
        .get(format!("{}/assets/gone.js", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // The API's answers carry the headers too.
    let health = server.http.get(server.api("/health")).send().await.unwrap();
    assert!(health.headers().contains_key("content-security-policy"));

    let unbuilt = TestServer::start_with(|c| c.web_dir = Some("/nonexistent".into())).await;
    let page = unbuilt
        .http
        .get(format!("{}/", unbuilt.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.text().await.unwrap().contains("npm run build"));
}

#[tokio::test]
async fn the_session_lives_in_an_httponly_cookie_and_needs_csrf_to_change_anything() {
    let server = with_ui(|_| {}).await;
    let response = web_sign_in(&server, Some(&server.url)).await;
    let set = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"));
    assert!(!set.contains("Secure"), "plain http on this machine");
    let body = response.text().await.unwrap();
    let token = set.split(';').next().unwrap().split_once('=').unwrap().1;
    assert!(
        !body.contains(token),
        "the token is never in a body a script can read"
    );
    let b = browser(&server).await;

    let me: WebSession = b.get(&server, "/web/session").await;
    assert_eq!(me.agent.external_id, "ana");
    assert_eq!(me.csrf_token, b.session.csrf_token);

    // A state change without the token, with another session's token, or from another
    // site's page: refused, and nothing changed.
    let mark = serde_json::json!({"scope": "all"});
    let bare = server
        .http
        .post(server.api("/inbox/mark"))
        .header(COOKIE, &b.cookie)
        .json(&mark)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    let other = browser(&server).await;
    let wrong = server
        .http
        .post(server.api("/inbox/mark"))
        .header(COOKIE, &b.cookie)
        .header(ORIGIN, &server.url)
        .header("x-herald-csrf", &other.session.csrf_token)
        .json(&mark);
    assert_eq!(wrong.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    // Two tokens, one right: refused all the same.
    let doubled = b
        .request(&server, "POST", "/inbox/mark")
        .header("x-herald-csrf", &other.session.csrf_token)
        .json(&mark);
    assert_eq!(
        doubled.send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let cross = server
        .http
        .post(server.api("/inbox/mark"))
        .header(COOKIE, &b.cookie)
        .header(ORIGIN, "https://evil.example")
        .header("x-herald-csrf", &b.session.csrf_token)
        .json(&mark)
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let ok = b
        .request(&server, "POST", "/inbox/mark")
        .json(&mark)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    // Another site cannot sign a browser in either.
    assert_eq!(
        web_sign_in(&server, Some("https://evil.example"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // Bearer tokens (the desktop app, scripts) need neither.
    let bearer = server.sign_in("ana").await;
    let _: MarkResult = server.post_json(&bearer, "/inbox/mark", &mark).await;
}

#[tokio::test]
async fn cookies_are_secure_when_the_public_url_is_https() {
    let server = with_ui(|c| c.public_url = Some("https://herald.acme.example".into())).await;
    let response = web_sign_in(&server, Some("https://herald.acme.example")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let set = response.headers()[SET_COOKIE].to_str().unwrap();
    assert!(set.contains("; Secure"), "{set}");
    assert!(response.headers().contains_key("strict-transport-security"));
    // With a public URL, the page's origin must be it, whatever the Host.
    assert_eq!(
        web_sign_in(&server, Some(&server.url)).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_stream_takes_the_cookie_only_from_this_servers_pages() {
    let server = with_ui(|_| {}).await;
    let b = browser(&server).await;
    let open = |origin: Option<&str>| {
        let mut request = server.ws_url.as_str().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("cookie", b.cookie.parse().unwrap());
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", origin.parse().unwrap());
        }
        tokio_tungstenite::connect_async(request)
    };
    for origin in [Some("https://evil.example"), None] {
        match open(origin).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), StatusCode::FORBIDDEN, "{origin:?}")
            }
            other => panic!(
                "a cross-site upgrade from {origin:?} was not refused: {:?}",
                other.map(|_| ())
            ),
        }
    }
    let (socket, _) = open(Some(&server.url)).await.unwrap();
    let mut ws = Ws { socket };
    ws.resume(0, None).await;
    let live = ws.next().await.unwrap();
    assert!(
        matches!(
            live,
            ServerMessage::Live { .. } | ServerMessage::Unread { .. }
        ),
        "{live:?}"
    );
}

#[tokio::test]
async fn signing_out_revokes_the_session_clears_the_cookie_and_forgets_the_browser() {
    let server = with_ui(|_| {}).await;
    let key: PushServerKey = server.get(&server.sign_in("ana").await, "/push/key").await;
    let push = PushService::start(&key.public_key).await;
    let b = browser(&server).await;
    let registered = b
        .request(&server, "POST", "/push/subscriptions")
        .json(&push.browser("tab"))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    let out = b
        .request(&server, "DELETE", "/web/session")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(out.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let after = b
        .request(&server, "GET", "/web/session")
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    let other = server.sign_in("ana").await;
    let devices: Vec<PushDevice> = server.get(&other, "/push/subscriptions").await;
    assert!(
        devices.is_empty(),
        "the browser's subscription went with its session"
    );
}

#[tokio::test]
async fn edits_and_pauses_are_applied_by_the_server() {
    let server = with_ui(|_| {}).await;
    let b = browser(&server).await;
    let before: VersionedPreferences = b.get(&server, "/preferences").await;
    let change = PrefEdits {
        edits: vec![PrefEdit::Channel {
            kind: EventKind::Reply,
            channel: Channel::Email,
            on: true,
        }],
        pause: Some(PausePreset::Hour),
    };
    let saved: VersionedPreferences = b.post(&server, "/preferences/edits", &change).await;
    assert_eq!(saved.version, before.version + 1);
    assert!(saved.preferences.events.reply.email);
    let until = saved.preferences.paused_until.unwrap();
    let expected = chrono::Utc::now() + chrono::Duration::hours(1);
    assert!(
        (until - expected).num_seconds().abs() < 60,
        "an hour from the server's now"
    );
    let bad = PrefEdits {
        edits: vec![PrefEdit::EmailTimeZone {
            time_zone: "Mars/Olympus".into(),
        }],
        pause: None,
    };
    let refused = b
        .request(&server, "POST", "/preferences/edits")
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn diagnose(server: &TestServer, b: &Browser, facts: serde_json::Value) -> serde_json::Value {
    let response = b
        .request(server, "POST", "/diagnostics")
        .json(&facts)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_browsers_diagnostics_and_trail_say_what_push_did() {
    let server = with_ui(|_| {}).await;
    let b = browser(&server).await;
    let key: PushServerKey = b.get(&server, "/push/key").await;
    let push = PushService::start(&key.public_key).await;
    let facts = |endpoint: Option<String>| {
        serde_json::json!({
            "permission": "granted", "browser": "Chromium on Linux", "push_supported": true,
            "endpoint": endpoint, "connection": {"state": "live"}, "save": {"state": "saved"},
            "device_muted": false, "window_focused": false
        })
    };
    let push_card = |d: &serde_json::Value| {
        d["cards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["topic"] == "push")
            .unwrap()
            .clone()
    };
    let unregistered = diagnose(&server, &b, facts(None)).await;
    let card = push_card(&unregistered);
    assert_eq!(card["verdict"], "problem");
    assert!(
        card["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["finding"] == "no_push_subscription"),
        "{card}"
    );
    assert_eq!(unregistered["os"]["platform"], "web");

    let tab = push.browser("tab");
    let registered = b
        .request(&server, "POST", "/push/subscriptions")
        .json(&tab)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    push.script("tab", vec![Reply::status(400)]);
    let mut event = reply("e-1", "c-1", "ana");
    event.kind = EventKind::Assignment;
    server.ingest_ok(&event).await;
    herald_testkit::wait_until("the push service answered", || push.received().len() == 1).await;
    let bearer = server.sign_in("ana").await;
    let item = server.all_items(&bearer).await[0].id;
    let trail: Trail = herald_testkit::wait_for("the answer is recorded", || async {
        let trail: Trail = b.get(&server, &format!("/inbox/{item}/trail")).await;
        (!matches!(
            trail.devices.first().map(|d| &d.outcome),
            Some(PushOutcome::Pending) | None
        ))
        .then_some(trail)
    })
    .await;
    assert_eq!(trail.os, OsOutcome::SentAsPush);
    assert!(
        matches!(
            &trail.devices[0].outcome,
            PushOutcome::Failed {
                status: Some(400),
                ..
            }
        ),
        "{trail:?}"
    );
    let d = diagnose(&server, &b, facts(Some(tab.endpoint.clone()))).await;
    let card = push_card(&d);
    let findings = card["findings"].as_array().unwrap();
    assert!(!findings
        .iter()
        .any(|f| f["finding"] == "no_push_subscription"));
    assert!(
        findings
            .iter()
            .any(|f| f["finding"] == "push_failing" && f["device"] == "tab's browser"),
        "{card}"
    );
    assert_eq!(card["verdict"], "problem");
    // The typed view agrees with the JSON.
    let _ = (Topic::Push, Verdict::Problem, Finding::NoPushSubscription);
}
