//! Web Push end to end: a real server sends its push outbox to a local push service that
//! checks the VAPID signature and decrypts every message with the browser's keys
//! (`common/push_service.rs`), and answers as scripted: 201, 404/410, 429 with Retry-After,
//! 5xx. What the outbox does with each answer, the SSRF guard on endpoints, sign-out, and
//! "Save and test" per device.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use chrono::Utc;
use common::push_service::{PushService, Reply};
use common::*;
use herald_protocol::*;
use reqwest::StatusCode;

struct Setup {
    server: TestServer,
    push: PushService,
    clock: ManualClock,
    token: String,
}

impl Setup {
    /// A server that may push to the local service (http on 127.0.0.1), with a clock the test
    /// moves, ana signed in, and the push service knowing the server's key.
    async fn start() -> Setup {
        let clock = ManualClock::new(Utc::now());
        let moved = clock.clock();
        let server = TestServer::start_with(|config| {
            config.clock = moved;
            config.push.allow_insecure_endpoints = true;
            config.push.poll = Duration::from_millis(50);
            config.push.contact = "mailto:ops@acme.test".into();
        })
        .await;
        let token = server.sign_in("ana").await;
        let key: PushServerKey = server.get(&token, "/push/key").await;
        let push = PushService::start(&key.public_key).await;
        Setup {
            server,
            push,
            clock,
            token,
        }
    }

    async fn subscribe(&self, token: &str, browser: &str) -> PushDevice {
        let response = subscribe(&self.server, token, &self.push.browser(browser)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    async fn devices(&self, token: &str) -> Vec<PushDevice> {
        self.server.get(token, "/push/subscriptions").await
    }

    /// Waits until the device's last answer matches.
    async fn wait_last(&self, what: &str, check: impl Fn(&PushOutcome) -> bool) -> PushAttempt {
        herald_testkit::wait_for(what, || async {
            let devices = self.devices(&self.token).await;
            let last = devices.first()?.last.clone()?;
            check(&last.outcome).then_some(last)
        })
        .await
    }

    async fn wait_received(&self, browser: &str, n: usize) -> Vec<common::push_service::Received> {
        let what = format!("{browser} has {n} pushes");
        herald_testkit::wait_until(&what, || self.push.received_by(browser).len() >= n).await;
        self.push.received_by(browser)
    }
}

async fn subscribe(
    server: &TestServer,
    token: &str,
    req: &PushSubscriptionRequest,
) -> reqwest::Response {
    server
        .http
        .post(server.api("/push/subscriptions"))
        .bearer_auth(token)
        .json(req)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_assignment_reaches_the_browser_encrypted_signed_and_as_text() {
    let s = Setup::start().await;
    s.subscribe(&s.token, "firefox").await;
    let hostile = "<img src=x onerror=alert(1)> & \"refund\"";
    s.server.ingest_ok(&assignment("e-1", "c-7", hostile)).await;
    let received = s.wait_received("firefox", 1).await;
    let push = &received[0];
    let items = s.server.all_items(&s.token).await;
    let item = items.iter().find(|n| n.event_id == "e-1").unwrap();
    assert_eq!(push.message["id"], item.id.to_string());
    assert_eq!(push.message["kind"], "assignment");
    assert_eq!(
        push.message["title"], hostile,
        "text, exactly as the platform sent it"
    );
    assert_eq!(push.message["tag"], "conversation:c-7");
    assert_eq!(push.message["renotify"], true);
    assert_eq!(push.message["url"], format!("/?item={}", item.id));
    assert_eq!(push.urgency.as_deref(), Some("high"));
    assert_eq!(push.topic.as_ref().map(String::len), Some(32));
    assert!(
        push.ttl <= 4 * 3600 && push.ttl > 4 * 3600 - 60,
        "TTL {}",
        push.ttl
    );
    let last = s
        .wait_last("the answer is recorded", |o| {
            *o == PushOutcome::Accepted { status: 201 }
        })
        .await;
    assert_eq!(last.at, s.clock.clock().now());

    // Not pushed: someone else's item, and an item the preferences keep off push (a new
    // conversation is bell-only by default). A reply in ana's conversation is, as normal.
    s.server.ingest_ok(&reply("e-2", "c-8", "bruno")).await;
    let mut new = reply("e-3", "c-9", "ana");
    new.kind = EventKind::NewConversation;
    new.assignee = None;
    s.server.ingest_ok(&new).await;
    s.server.ingest_ok(&reply("e-4", "c-7", "ana")).await;
    let received = s.wait_received("firefox", 2).await;
    assert_eq!(received[1].message["kind"], "reply");
    assert_eq!(received[1].urgency.as_deref(), Some("normal"));
    assert_eq!(
        received[1].topic, received[0].topic,
        "one Topic per conversation"
    );
    assert_eq!(s.push.received().len(), 2);
    assert_eq!(s.push.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_gone_subscription_is_removed() {
    let s = Setup::start().await;
    s.subscribe(&s.token, "old").await;
    s.push.script("old", vec![Reply::status(410)]);
    s.server.ingest_ok(&assignment("e-1", "c-1", "Hi")).await;
    s.wait_received("old", 1).await;
    herald_testkit::wait_for("the subscription is removed", || async {
        s.devices(&s.token).await.is_empty().then_some(())
    })
    .await;
    s.server
        .ingest_ok(&assignment("e-2", "c-2", "Hi again"))
        .await;
    // The second item's commit wrote no push row: nothing can reach the old browser.
    let items = s.server.all_items(&s.token).await;
    assert_eq!(items.len(), 2);
    assert_eq!(s.push.received().len(), 1);
    assert_eq!(s.push.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn busy_push_services_are_retried_and_retry_after_is_honoured() {
    let s = Setup::start().await;
    s.subscribe(&s.token, "chrome").await;
    let retry_after = Reply {
        status: 429,
        retry_after: Some("120".into()),
    };
    s.push
        .script("chrome", vec![retry_after, Reply::status(503)]);
    let t0 = s.clock.clock().now();
    s.server.ingest_ok(&assignment("e-1", "c-1", "Hi")).await;
    s.wait_received("chrome", 1).await;
    let last = s
        .wait_last("429 is recorded", |o| {
            matches!(o, PushOutcome::Retrying { .. })
        })
        .await;
    match last.outcome {
        PushOutcome::Retrying {
            status, retry_at, ..
        } => {
            assert_eq!(status, Some(429));
            assert_eq!(
                retry_at,
                t0 + chrono::Duration::seconds(120),
                "Retry-After, not the 10 s backoff"
            );
        }
        other => panic!("{other:?}"),
    }
    s.clock.advance(chrono::Duration::seconds(121));
    s.wait_received("chrome", 2).await;
    let t1 = s.clock.clock().now();
    let last = s
        .wait_last("503 is recorded", |o| {
            matches!(
                o,
                PushOutcome::Retrying {
                    status: Some(503),
                    ..
                }
            )
        })
        .await;
    match last.outcome {
        // The third attempt waits retry_base (5 s) × 2².
        PushOutcome::Retrying { retry_at, .. } => {
            assert_eq!(retry_at, t1 + chrono::Duration::seconds(20))
        }
        other => panic!("{other:?}"),
    }
    s.clock.advance(chrono::Duration::seconds(21));
    let received = s.wait_received("chrome", 3).await;
    s.wait_last("accepted at last", |o| {
        *o == PushOutcome::Accepted { status: 201 }
    })
    .await;
    let ids: Vec<_> = received.iter().map(|r| r.message["id"].clone()).collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "the same item each time"
    );
    assert_eq!(s.push.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn an_item_read_or_too_old_before_its_push_goes_is_not_pushed() {
    let s = Setup::start().await;
    s.subscribe(&s.token, "edge").await;
    s.push
        .script("edge", vec![Reply::status(500), Reply::status(500)]);
    s.server
        .ingest_ok(&assignment("e-1", "c-1", "Read me"))
        .await;
    s.wait_received("edge", 1).await;
    s.wait_last("500 is recorded", |o| {
        matches!(o, PushOutcome::Retrying { .. })
    })
    .await;
    let item = s.server.all_items(&s.token).await[0].id;
    let marked = s
        .server
        .http
        .post(s.server.api("/inbox/mark"))
        .bearer_auth(&s.token)
        .json(&MarkRequest::Items {
            ids: vec![item],
            read: true,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(marked.status(), StatusCode::OK);
    s.clock.advance(chrono::Duration::minutes(1));
    s.wait_last("skipped: read first", |o| {
        // Never held (a browser): nothing more to say.
        *o == PushOutcome::SkippedRead {
            held_read_after_secs: None,
        }
    })
    .await;

    s.server
        .ingest_ok(&assignment("e-2", "c-2", "Too late"))
        .await;
    s.wait_received("edge", 2).await;
    s.wait_last("500 again", |o| matches!(o, PushOutcome::Retrying { .. }))
        .await;
    s.clock.advance(chrono::Duration::hours(5)); // past the 4 h TTL
    s.wait_last("expired", |o| *o == PushOutcome::Expired).await;
    assert_eq!(s.push.received().len(), 2, "neither was sent again");
    assert_eq!(s.push.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn only_https_endpoints_on_public_addresses_are_accepted() {
    let server = TestServer::start().await; // the production setting
    let token = server.sign_in("ana").await;
    let keys = PushService::start("unused").await.browser("x").keys;
    let with = |endpoint: &str| PushSubscriptionRequest {
        endpoint: endpoint.into(),
        keys: keys.clone(),
        device_name: None,
    };
    for endpoint in [
        "http://push.example.com/x",
        "https://127.0.0.1/x",
        "https://localhost:8443/x",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/x",
        "https://192.168.0.10/x",
        "https://[::1]/x",
        "https://[fd12::1]/x",
        "https://router.lan/x",
        "file:///etc/passwd",
    ] {
        let response = subscribe(&server, &token, &with(endpoint)).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{endpoint}"
        );
        let error: ApiError = response.json().await.unwrap();
        assert_eq!(error.error.fields[0].field, "endpoint", "{endpoint}");
    }
    let mut bad_keys = with("https://fcm.googleapis.com/fcm/send/abc");
    bad_keys.keys.auth = "c2hvcnQ".into();
    let response = subscribe(&server, &token, &bad_keys).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    bad_keys.keys = PushSubscriptionKeys {
        p256dh: "not a key".into(),
        auth: keys.auth.clone(),
    };
    let response = subscribe(&server, &token, &bad_keys).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let real = with("https://fcm.googleapis.com/fcm/send/abc:APA91b");
    let response = subscribe(&server, &token, &real).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let devices: Vec<PushDevice> = server.get(&token, "/push/subscriptions").await;
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].service, "fcm.googleapis.com");
    assert_eq!(devices[0].name, "Browser");
    let removed = server
        .http
        .delete(server.api("/push/subscriptions"))
        .bearer_auth(&token)
        .json(&PushUnsubscribeRequest {
            endpoint: real.endpoint.clone(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let devices: Vec<PushDevice> = server.get(&token, "/push/subscriptions").await;
    assert!(devices.is_empty());
}

#[tokio::test]
async fn signing_out_forgets_the_browser_of_that_session() {
    let s = Setup::start().await;
    let browser_session = s.server.sign_in("ana").await;
    s.subscribe(&browser_session, "tab").await;
    s.subscribe(&s.token, "other").await;
    assert_eq!(s.devices(&s.token).await.len(), 2);
    let out = s
        .server
        .http
        .delete(s.server.api("/session"))
        .bearer_auth(&browser_session)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let left = s.devices(&s.token).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].name, "other's browser");
    s.server.ingest_ok(&assignment("e-1", "c-1", "Hi")).await;
    s.wait_received("other", 1).await;
    assert!(s.push.received_by("tab").is_empty());
}

#[tokio::test]
async fn save_and_test_reports_what_each_push_service_answered() {
    let s = Setup::start().await;
    let result: TestNotificationResult = s.server.post(&s.token, "/test-notification").await;
    assert_eq!(result.push, TestPush::NoDevices);

    let ok = s.subscribe(&s.token, "ok").await;
    let busy = s.subscribe(&s.token, "busy").await;
    let gone = s.subscribe(&s.token, "gone").await;
    s.push.script("busy", vec![Reply::status(500)]);
    s.push.script("gone", vec![Reply::status(410)]);
    let result: TestNotificationResult = s.server.post(&s.token, "/test-notification").await;
    let TestPush::Sent { devices } = result.push else {
        panic!("{:?}", result.push)
    };
    let outcome = |id| {
        devices
            .iter()
            .find(|d| d.device == id)
            .map(|d| d.outcome.clone())
    };
    assert_eq!(outcome(ok.id), Some(PushOutcome::Accepted { status: 201 }));
    assert!(
        matches!(
            outcome(busy.id),
            Some(PushOutcome::Retrying {
                status: Some(500),
                ..
            })
        ),
        "{:?}",
        outcome(busy.id)
    );
    assert_eq!(outcome(gone.id), Some(PushOutcome::Gone { status: 410 }));
    // What the push service really received: the test, once per browser.
    for browser in ["ok", "busy", "gone"] {
        let got = s.push.received_by(browser);
        assert_eq!(got.len(), 1, "{browser}");
        assert_eq!(got[0].message["kind"], "test");
        assert_eq!(got[0].message["id"], result.notification.id.to_string());
    }
    let left: Vec<_> = s
        .devices(&s.token)
        .await
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert!(!left.contains(&gone.id) && left.len() == 2);
    // "Why?" still names the browser whose subscription the 410 removed.
    let trail: serde_json::Value = s
        .server
        .get(
            &s.token,
            &format!("/inbox/{}/trail", result.notification.id),
        )
        .await;
    let gone_in_trail = trail["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device"] == gone.id.to_string())
        .cloned()
        .unwrap_or_default();
    assert_eq!(gone_in_trail["name"], "gone's browser", "{trail}");
    assert_eq!(gone_in_trail["outcome"]["state"], "gone", "{trail}");
    assert_eq!(s.push.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_window_in_front_holds_its_browsers_push_but_not_the_test() {
    let s = Setup::start().await;
    s.subscribe(&s.token, "tab").await;
    // The same session's stream says its window is in front of the agent.
    let mut ws = s.server.connect(&s.token).await;
    ws.resume(0, None).await;
    ws.send(&ClientMessage::Presence { in_front: true }).await;
    let me: AgentProfile = s.server.get(&s.token, "/me").await;
    let sessions: Vec<SessionInfo> = s.server.get(&s.token, "/sessions").await;
    let session = sessions.iter().find(|x| x.current).unwrap().id;
    let hub = &s.server.running().hub;
    herald_testkit::wait_until("the stream took the presence", || {
        hub.in_front(me.id, session)
    })
    .await;
    s.server
        .ingest_ok(&assignment("e-1", "c-1", "Seen in the tab"))
        .await;
    let item = ws.next_item().await;
    s.wait_last("held: the window shows it", |o| *o == PushOutcome::InFront)
        .await;
    let trail: herald_core::client::Trail = s
        .server
        .get(&s.token, &format!("/inbox/{}/trail", item.id))
        .await;
    assert_eq!(trail.devices[0].outcome, PushOutcome::InFront);
    // "Save and test" checks the push path itself: it goes.
    let result: TestNotificationResult = s.server.post(&s.token, "/test-notification").await;
    let TestPush::Sent { devices } = result.push else {
        panic!("{:?}", result.push)
    };
    assert_eq!(devices[0].outcome, PushOutcome::Accepted { status: 201 });
    // The window goes to the background: the next item is pushed.
    ws.send(&ClientMessage::Presence { in_front: false }).await;
    herald_testkit::wait_until("the stream took the presence", || {
        !hub.in_front(me.id, session)
    })
    .await;
    s.server
        .ingest_ok(&assignment("e-2", "c-2", "Away from the tab"))
        .await;
    let received = s.wait_received("tab", 2).await;
    assert_eq!(received[1].message["title"], "Away from the tab");
    assert_eq!(s.push.violations(), Vec::<String>::new());
}
