//! Desktop apps' receipts against a real server: "Save and test" waits for each app the test
//! was handed to and reports what it said (or `no_answer`), "Why?" lists them, and an app
//! cannot write a receipt on another agent's item or claim to be an app mid-stream.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use herald_protocol::*;

fn desktop(name: &str) -> Option<StreamClient> {
    Some(StreamClient {
        kind: ClientKind::DesktopApp,
        name: name.into(),
    })
}

async fn open(server: &TestServer, token: &str, client: Option<StreamClient>) -> Ws {
    let mut ws = server.connect(token).await;
    ws.send(&ClientMessage::Resume {
        after_seq: 0,
        epoch: None,
        client,
    })
    .await;
    ws.until_live().await;
    ws
}

#[tokio::test]
async fn save_and_test_reports_what_each_desktop_app_said() {
    let server = TestServer::start_with(|config| {
        config.push.test_wait = Duration::from_secs(1);
    })
    .await;
    let (laptop, desk, browser) = (
        server.sign_in("ana").await,
        server.sign_in("ana").await,
        server.sign_in("ana").await,
    );
    let answering = open(&server, &laptop, desktop("Herald on ana-laptop")).await;
    let _silent = open(&server, &desk, desktop("Herald on desk-7")).await;
    let _tab = open(
        &server,
        &browser,
        Some(StreamClient {
            kind: ClientKind::WebApp,
            name: "Chrome".into(),
        }),
    )
    .await;
    let me: AgentProfile = server.get(&browser, "/me").await;
    let hub = &server.running().hub;
    herald_testkit::wait_until("both apps said who they are", || hub.apps(me.id).len() == 2).await;
    // The agent's devices and their state: each session with its live stream and kind.
    let sessions: Vec<SessionInfo> = server.get(&browser, "/sessions").await;
    assert_eq!(sessions.len(), 3);
    let apps = sessions
        .iter()
        .filter(|s| s.live.as_ref().and_then(|l| l.kind) == Some(ClientKind::DesktopApp))
        .count();
    assert_eq!(apps, 2);
    let current = sessions.iter().find(|s| s.current).unwrap();
    assert_eq!(
        current.live,
        Some(SessionLive {
            streams: 1,
            kind: Some(ClientKind::WebApp),
            in_front: false
        })
    );

    // The laptop's app shows the test when it arrives, and says so.
    let app = answering.answer_next_item(AppOutcome::Shown);
    // Pressed in the browser: the answer waits for the apps.
    let result: TestNotificationResult = server.post(&browser, "/test-notification").await;
    let answering = app.await.unwrap();
    assert_eq!(result.bell, TestBell::Stored { live_streams: 3 });
    assert_eq!(result.apps.len(), 2, "{:?}", result.apps);
    let said = |name: &str| result.apps.iter().find(|a| a.name == name).unwrap();
    assert_eq!(said("Herald on ana-laptop").outcome, AppOutcome::Shown);
    assert!(said("Herald on ana-laptop").at.is_some());
    assert_eq!(said("Herald on desk-7").outcome, AppOutcome::NoAnswer);
    assert_eq!(said("Herald on desk-7").at, None);

    // "Why?" on any device lists the receipt.
    let trail: serde_json::Value = server
        .get(
            &browser,
            &format!("/inbox/{}/trail", result.notification.id),
        )
        .await;
    assert_eq!(
        trail["apps"],
        serde_json::json!([{
            "name": "Herald on ana-laptop",
            "outcome": { "state": "shown" },
            "at": said("Herald on ana-laptop").at.unwrap(),
        }]),
        "{trail}"
    );
    drop(answering);
}

#[tokio::test]
async fn receipts_stay_with_their_own_agent_and_app() {
    let server = TestServer::start().await;
    let ana = server.sign_in("ana").await;
    let bruno = server.sign_in("bruno").await;
    let mut app = open(&server, &ana, desktop("Herald on ana-laptop")).await;
    let mut plain = open(&server, &ana, None).await;
    server.ingest_ok(&reply("e-1", "c-1", "ana")).await;
    server.ingest_ok(&reply("e-2", "c-2", "bruno")).await;
    let mine = app.next_item().await;
    assert_eq!(plain.next_item().await.id, mine.id);
    let theirs = server
        .all_items(&bruno)
        .await
        .into_iter()
        .find(|n| n.conversation.as_ref().is_some_and(|c| c.id == "c-2"))
        .unwrap()
        .id;
    // On another agent's item: dropped.
    app.send(&ClientMessage::Receipt {
        id: theirs,
        outcome: AppOutcome::Shown,
    })
    .await;
    // From a stream that never said it is a desktop app: dropped.
    plain
        .send(&ClientMessage::Receipt {
            id: mine.id,
            outcome: AppOutcome::Failed {
                error: "from nowhere".into(),
            },
        })
        .await;
    // `no_answer` is the server's word, not an app's: dropped.
    app.send(&ClientMessage::Receipt {
        id: mine.id,
        outcome: AppOutcome::NoAnswer,
    })
    .await;
    // Hostile text is bounded and kept as text.
    app.send(&ClientMessage::Receipt {
        id: mine.id,
        outcome: AppOutcome::Failed {
            error: format!("<img src=x onerror=alert(1)>\n{}", "x".repeat(1000)),
        },
    })
    .await;
    let path = format!("/inbox/{}/trail", mine.id);
    let trail = herald_testkit::wait_for("the receipt is stored", || async {
        let trail: serde_json::Value = server.get(&ana, &path).await;
        trail["apps"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
            .then_some(trail)
    })
    .await;
    let apps = trail["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 1, "{trail}");
    assert_eq!(apps[0]["name"], "Herald on ana-laptop");
    let error = apps[0]["outcome"]["error"].as_str().unwrap();
    assert!(
        error.starts_with("<img src=x onerror=alert(1)>x"),
        "{error}"
    );
    assert_eq!(error.chars().count(), RECEIPT_ERROR_MAX);
    // Stored in order: the receipt on bruno's item came first and was dropped (asked of
    // the database itself: "Why?" filters by agent and would hide it anyway).
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM app_receipts WHERE notification_id = $1")
            .bind(theirs.to_string())
            .fetch_one(&server.running().db.reader)
            .await
            .unwrap();
    assert_eq!(stored, 0);
    let trail: serde_json::Value = server.get(&bruno, &format!("/inbox/{theirs}/trail")).await;
    assert_eq!(trail["apps"], serde_json::json!([]), "{trail}");
}
