//! The desktop app's receipts against a real server: "Save and test" reports what the
//! app's OS notifier did (shown, refused by the OS, or not shown by the app's own rules),
//! because herald-core tells the server on the stream after each decision.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use herald_core::api::Api;
use herald_core::client::{Client, ClientConfig, DeviceContext};
use herald_core::error::{CoreError, ErrorKind, Result};
use herald_core::ports::{EventSink, Notifier, OsNotification, UiEvent};
use herald_core::sensitive::Sensitive;
use herald_protocol::{AppOutcome, Reason, TestNotificationResult};
use support::*;
use tokio_util::sync::CancellationToken;

/// An OS that refuses every notification.
struct Refusing;

impl Notifier for Refusing {
    fn show(&self, _: &OsNotification) -> Result<()> {
        Err(CoreError::new(
            ErrorKind::Os,
            "org.freedesktop.Notifications is not running",
        ))
    }
}

impl EventSink for Refusing {
    fn emit(&self, _: UiEvent) {}
}

struct App {
    client: Client,
    api: Api,
    token: Sensitive<String>,
    stop: CancellationToken,
}

impl App {
    async fn start(server: &TestServer, notifier: Arc<dyn Notifier>) -> App {
        let config = ClientConfig {
            app_name: "Herald on ana-laptop".into(),
            ..ClientConfig::default()
        };
        let live = LiveClient::start(
            &server.url(),
            notifier,
            Arc::new(Recorder::default()),
            config,
        )
        .await;
        App {
            client: live.client,
            api: live.api,
            token: live.token,
            stop: live.stop,
        }
    }

    async fn test(&self, mention: bool) -> TestNotificationResult {
        self.api
            .test_notification(&self.token, mention)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn save_and_test_says_the_app_showed_it() {
    let server = TestServer::start().await;
    let recorder = Arc::new(Recorder::default());
    let app = App::start(&server, recorder.clone()).await;
    let result = app.test(false).await;
    assert_eq!(result.apps.len(), 1, "{:?}", result.apps);
    assert_eq!(result.apps[0].name, "Herald on ana-laptop");
    assert_eq!(result.apps[0].outcome, AppOutcome::Shown);
    // And it really was shown, once.
    let shown = recorder.shown.lock().unwrap().clone();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].id, result.notification.id);
    app.stop.cancel();
}

#[tokio::test]
async fn save_and_test_says_when_the_os_refused_it() {
    let server = TestServer::start().await;
    let app = App::start(&server, Arc::new(Refusing)).await;
    let result = app.test(false).await;
    assert_eq!(
        result.apps[0].outcome,
        AppOutcome::Failed {
            error: "org.freedesktop.Notifications is not running".into()
        }
    );
    app.stop.cancel();
}

#[tokio::test]
async fn a_test_mention_follows_the_apps_rules_and_says_why_it_was_not_shown() {
    let server = TestServer::start().await;
    let recorder = Arc::new(Recorder::default());
    let app = App::start(&server, recorder.clone()).await;
    // The agent is looking at Herald: a real mention would not raise an OS notification.
    app.client.set_device(DeviceContext {
        app_focused: true,
        ..DeviceContext::default()
    });
    let result = app.test(true).await;
    let AppOutcome::NotShown { reasons } = &result.apps[0].outcome else {
        panic!("{:?}", result.apps)
    };
    assert_eq!(reasons.last(), Some(&Reason::AppFocused), "{reasons:?}");
    assert!(recorder.shown.lock().unwrap().is_empty());
    app.stop.cancel();
}

/// Whether the server sees a window of ana's in front (`GET /sessions`).
async fn server_sees_in_front(server: &TestServer, token: &Sensitive<String>) -> bool {
    let sessions: Vec<herald_protocol::SessionInfo> = reqwest::Client::new()
        .get(format!("{}/api/v1/sessions", server.url()))
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    sessions
        .iter()
        .any(|s| s.live.as_ref().is_some_and(|l| l.in_front))
}

#[tokio::test]
async fn the_app_tells_the_server_when_its_window_is_in_front() {
    let server = TestServer::start().await;
    let app = App::start(&server, Arc::new(Recorder::default())).await;
    assert!(!server_sees_in_front(&server, &app.token).await);
    let focused = DeviceContext {
        app_focused: true,
        ..DeviceContext::default()
    };
    app.client.set_device(focused);
    herald_testkit::wait_for("the server sees the window in front", || async {
        server_sees_in_front(&server, &app.token)
            .await
            .then_some(())
    })
    .await;
    app.client.set_device(DeviceContext::default());
    herald_testkit::wait_for("the window left the front", || async {
        (!server_sees_in_front(&server, &app.token).await).then_some(())
    })
    .await;
    app.stop.cancel();
}
