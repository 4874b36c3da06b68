//! Phones through Apple's push service and Firebase Cloud Messaging, against local stand-ins
//! that check every request as strictly as Apple and Google document
//! (`common/apns_service.rs`, `common/fcm_service.rs`): registration scoped to the session's
//! agent, hostile tokens refused, the provider token / service-account assertion signed and
//! reused, the alert with the agent's absolute unread count, and the services' answers: a
//! removed token pruned, a rate limit retried, an expired provider token replaced, a
//! revoked access token renewed.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use chrono::Utc;
use common::apns_service::{ApnsService, TOPIC};
use common::fcm_service::FcmService;
use common::*;
use herald_protocol::*;
use reqwest::StatusCode;

const TOKEN: &str = "5f0c7e2a9b1d4c3e8f6a7b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e";
const ANDROID: &str = "cZ3k9vQ1Tq-8yW:APA91bHf0_xK2mLp4rS6tUv8wXy0zA1bC3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9dE1fG3hI5jK7lM9nO1pQ3rS5";

struct Setup {
    server: TestServer,
    apns: ApnsService,
    fcm: FcmService,
    clock: ManualClock,
    token: String,
}

impl Setup {
    /// The server's clock starts 55 minutes back: APNs (and its stand-in) refuse provider
    /// tokens issued in the future, and the tests move the clock up to 51 minutes.
    async fn start() -> Setup {
        let apns = ApnsService::start().await;
        let fcm = FcmService::start().await;
        let fcm_config = fcm.config();
        let clock = ManualClock::new(Utc::now() - chrono::Duration::minutes(55));
        let moved = clock.clock();
        let config = apns.config();
        let server = TestServer::start_with(|c| {
            c.clock = moved;
            c.push.apns = Some(config);
            c.push.fcm = Some(fcm_config);
            c.push.poll = Duration::from_millis(50);
            c.push.retry_base = Duration::from_millis(10);
        })
        .await;
        let token = server.sign_in("ana").await;
        Setup {
            server,
            apns,
            fcm,
            clock,
            token,
        }
    }

    async fn register(&self, bearer: &str, token: &str) -> reqwest::Response {
        self.register_on(bearer, PushPlatform::Apns, token).await
    }

    async fn register_on(
        &self,
        bearer: &str,
        platform: PushPlatform,
        token: &str,
    ) -> reqwest::Response {
        self.server
            .http
            .post(self.server.api("/push/devices"))
            .bearer_auth(bearer)
            .json(&PhoneDeviceRequest {
                platform,
                token: token.into(),
                app_id: TOPIC.into(),
                device_name: Some("Ana's iPhone".into()),
            })
            .send()
            .await
            .unwrap()
    }

    async fn devices(&self) -> Vec<PushDevice> {
        self.server.get(&self.token, "/push/subscriptions").await
    }

    /// Waits until the (one) phone's last outcome passes `check`.
    async fn wait_last(&self, what: &str, check: impl Fn(&PushOutcome) -> bool) {
        herald_testkit::wait_for(what, || async {
            let devices = self.devices().await;
            let last = devices.first()?.last.as_ref()?;
            check(&last.outcome).then_some(())
        })
        .await
    }

    /// Waits until the agent has no phone left.
    async fn wait_no_devices(&self) {
        herald_testkit::wait_for("the phone removed", || async {
            self.devices().await.is_empty().then_some(())
        })
        .await
    }

    async fn wait_received(&self, n: usize) -> Vec<common::apns_service::Received> {
        herald_testkit::wait_until(&format!("{n} pushes at APNs"), || {
            self.apns.received().len() >= n
        })
        .await;
        self.apns.received()
    }

    async fn wait_fcm(&self, n: usize) -> Vec<common::fcm_service::Received> {
        herald_testkit::wait_until(&format!("{n} messages at FCM"), || {
            self.fcm.received().len() >= n
        })
        .await;
        self.fcm.received()
    }
}

#[tokio::test]
async fn an_assignment_reaches_the_phone_through_apns() {
    let s = Setup::start().await;
    let response = s.register(&s.token, TOKEN).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let device: PushDevice = response.json().await.unwrap();
    assert_eq!(device.platform, PushPlatform::Apns);
    assert_eq!(device.name, "Ana's iPhone");

    s.server.ingest_ok(&reply("r-0", "c-0", "ana")).await; // an unread item before
    s.wait_received(1).await;
    s.server
        .ingest_ok(&assignment("a-1", "c-1", "Refund for order #88"))
        .await;
    let received = s.wait_received(2).await;
    let push = &received[1];
    assert_eq!(push.token, TOKEN);
    assert_eq!(push.priority, "10", "an assignment interrupts");
    assert_eq!(
        push.body["aps"]["alert"]["title"],
        "Customer assigned you: Refund for order #88"
    );
    assert_eq!(push.body["aps"]["badge"], 2, "the absolute unread count");
    assert_eq!(push.body["aps"]["thread-id"], "c-1");
    assert_eq!(push.body["herald"]["kind"], "assignment");
    assert_eq!(received[0].priority, "5", "a reply can wait");
    assert!(push.collapse_id.as_ref().is_some_and(|c| c.len() <= 64));
    assert_eq!(
        received[0].jwt, received[1].jwt,
        "one provider token for many pushes"
    );
    let devices = s.devices().await;
    assert_eq!(
        devices[0].last.as_ref().map(|l| &l.outcome),
        Some(&PushOutcome::Accepted { status: 200 })
    );
    assert_eq!(devices[0].service, "Apple Push Notification service");

    // Fifty minutes on, a new provider token.
    s.clock.advance(chrono::Duration::minutes(51));
    s.server.ingest_ok(&assignment("a-2", "c-2", "Later")).await;
    let received = s.wait_received(3).await;
    assert_ne!(received[2].jwt, received[1].jwt, "refreshed before an hour");
    assert!(received[2].issued_at > received[1].issued_at);
    assert_eq!(s.apns.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn apples_answers_prune_retry_and_renew() {
    let s = Setup::start().await;
    s.register(&s.token, TOKEN).await;
    // Rate limited, then an expired provider token, then taken; retries wait on the
    // server's clock.
    s.apns
        .script(&[(429, "TooManyRequests"), (403, "ExpiredProviderToken")]);
    s.server
        .ingest_ok(&assignment("a-1", "c-1", "Retry me"))
        .await;
    s.wait_received(1).await;
    s.clock.advance(chrono::Duration::minutes(1));
    s.wait_received(2).await;
    s.clock.advance(chrono::Duration::minutes(1));
    let received = s.wait_received(3).await;
    assert_eq!(
        received.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [429, 403, 200]
    );
    assert_ne!(
        received[1].jwt, received[2].jwt,
        "a new token after ExpiredProviderToken"
    );
    s.wait_last("the device's last answer", |o| {
        matches!(o, PushOutcome::Accepted { .. })
    })
    .await;

    // Apple no longer knows the token: the device goes.
    s.apns.script(&[(410, "Unregistered")]);
    s.server.ingest_ok(&assignment("a-2", "c-2", "Gone")).await;
    s.wait_received(4).await;
    s.wait_no_devices().await;
    assert_eq!(s.apns.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn registration_is_the_sessions_own_and_refuses_junk() {
    let s = Setup::start().await;
    for junk in [
        "not hex at all but long enough to pass a length check if there were one......",
        "abc",
        "5f0c7e2a9b1d4c3e8f6a7b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2",
        "<script>alert(1)</script>5f0c7e2a9b1d4c3e8f6a7b2c1d0e9f8a7b6c5d4e3f2a",
    ] {
        let response = s.register(&s.token, junk).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{junk}"
        );
    }
    let bad_app = s
        .server
        .http
        .post(s.server.api("/push/devices"))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({"platform": "apns", "token": TOKEN, "app_id": "../evil"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_app.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Bruno cannot remove ana's phone; when the phone signs in as bruno, it is his.
    assert_eq!(
        s.register(&s.token, TOKEN).await.status(),
        StatusCode::CREATED
    );
    let bruno = s.server.sign_in("bruno").await;
    let removal = s
        .server
        .http
        .delete(s.server.api("/push/devices"))
        .bearer_auth(&bruno)
        .json(&PhoneDeviceRemoval {
            platform: PushPlatform::Apns,
            token: TOKEN.into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(removal.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.devices().await.len(), 1, "still ana's");
    assert_eq!(
        s.register(&bruno, TOKEN).await.status(),
        StatusCode::CREATED
    );
    assert!(s.devices().await.is_empty(), "moved to bruno");
    let his: Vec<PushDevice> = s.server.get(&bruno, "/push/subscriptions").await;
    assert_eq!(his.len(), 1);
}

#[tokio::test]
async fn an_android_phone_gets_it_through_fcm_and_its_answers_are_followed() {
    let s = Setup::start().await;
    for junk in [
        "short",
        "has spaces in it that are not allowed in any registration token at all",
    ] {
        let response = s.register_on(&s.token, PushPlatform::Fcm, junk).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{junk}"
        );
    }
    let response = s.register_on(&s.token, PushPlatform::Fcm, ANDROID).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let device: PushDevice = response.json().await.unwrap();
    assert_eq!(device.platform, PushPlatform::Fcm);
    assert_eq!(device.service, "Firebase Cloud Messaging");

    s.server
        .ingest_ok(&assignment("a-1", "c-1", "Refund for order #88"))
        .await;
    let received = s.wait_fcm(1).await;
    let message = &received[0].message;
    assert_eq!(message["token"], ANDROID);
    assert_eq!(
        message["notification"]["title"],
        "Customer assigned you: Refund for order #88"
    );
    assert_eq!(message["android"]["priority"], "HIGH");
    assert_eq!(message["android"]["notification"]["notification_count"], 1);
    assert_eq!(
        message["android"]["notification"]["tag"],
        "conversation:c-1"
    );
    assert_eq!(message["data"]["kind"], "assignment");

    // One access token serves many pushes; a revoked one (401) is renewed and the push
    // retried; then Google no longer knows the phone (404): it goes.
    s.fcm.script(&[(401, "UNAUTHENTICATED")]);
    s.server
        .ingest_ok(&assignment("a-2", "c-2", "Second"))
        .await;
    s.wait_fcm(2).await;
    assert_eq!(s.fcm.tokens_issued(), 1, "the first token was reused");
    s.clock.advance(chrono::Duration::minutes(1));
    let received = s.wait_fcm(3).await;
    assert_eq!(received[2].answered, 200);
    assert_eq!(s.fcm.tokens_issued(), 2, "a new token after the 401");
    assert_ne!(received[1].access_token, received[2].access_token);

    s.fcm.script(&[(404, "NOT_FOUND")]);
    s.server.ingest_ok(&assignment("a-3", "c-3", "Gone")).await;
    s.wait_fcm(4).await;
    s.wait_no_devices().await;
    assert_eq!(s.fcm.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_phone_waits_while_the_agent_works_at_a_computer() {
    let s = Setup::start().await;
    s.register(&s.token, TOKEN).await;
    // A Herald window in front of ana (the web app and the desktop app say so).
    let mut window = s.server.connect(&s.token).await;
    window.resume(0, None).await;
    window.until_live().await;
    window
        .send(&ClientMessage::Presence { in_front: true })
        .await;
    herald_testkit::wait_for("the window in front", || async {
        let sessions: Vec<SessionInfo> = s.server.get(&s.token, "/sessions").await;
        sessions
            .iter()
            .any(|x| x.live.as_ref().is_some_and(|l| l.in_front))
            .then_some(())
    })
    .await;
    let held = || {
        s.wait_last("the phone's push held", |o| {
            matches!(o, PushOutcome::Held { .. })
        })
    };

    // Read at the computer within the minute: the phone never gets it.
    s.server
        .ingest_ok(&assignment("a-1", "c-1", "Read at the desk"))
        .await;
    held().await;
    let first = s.server.all_items(&s.token).await.pop().unwrap();
    s.clock.advance(chrono::Duration::seconds(40));
    s.server.mark_read(&s.token, &[first.id]).await;
    s.clock.advance(chrono::Duration::seconds(21));
    // "Why?" says it was held, and read 40 s after it came.
    let skipped = PushOutcome::SkippedRead {
        held_read_after_secs: Some(40),
    };
    s.wait_last("the push skipped", |o| *o == skipped).await;
    let trail: serde_json::Value = s
        .server
        .get(&s.token, &format!("/inbox/{}/trail", first.id))
        .await;
    assert_eq!(
        trail["devices"][0]["outcome"],
        serde_json::json!({"state": "skipped_read", "held_read_after_secs": 40}),
        "{trail}"
    );
    let alerts = || {
        s.apns
            .received()
            .into_iter()
            .filter(|r| r.push_type == "alert")
            .collect::<Vec<_>>()
    };
    assert!(
        alerts().is_empty(),
        "no alert reached the phone (only the read-sync)"
    );

    // Left unread for the minute: the phone gets it then.
    s.server
        .ingest_ok(&assignment("a-2", "c-2", "Not read"))
        .await;
    held().await;
    s.clock.advance(chrono::Duration::seconds(61));
    herald_testkit::wait_until("the alert after the minute", || alerts().len() == 1).await;
    assert!(alerts()[0].body["aps"]["alert"]["title"]
        .as_str()
        .is_some_and(|t| t.ends_with("Not read")));

    // Away from the computer for more than three minutes: at once.
    drop(window);
    herald_testkit::wait_for("the window gone", || async {
        let sessions: Vec<SessionInfo> = s.server.get(&s.token, "/sessions").await;
        sessions.iter().all(|x| x.live.is_none()).then_some(())
    })
    .await;
    s.clock.advance(chrono::Duration::minutes(4));
    s.server.ingest_ok(&assignment("a-3", "c-3", "Away")).await;
    herald_testkit::wait_until("the alert at once", || alerts().len() == 2).await;
    assert!(alerts()[1].body["aps"]["alert"]["title"]
        .as_str()
        .is_some_and(|t| t.ends_with("Away")));
    assert_eq!(s.apns.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn reading_anywhere_syncs_each_phone_once_with_the_new_badge() {
    let s = Setup::start().await;
    s.register(&s.token, TOKEN).await;
    s.register_on(&s.token, PushPlatform::Fcm, ANDROID).await;
    for (i, subject) in ["One", "Two", "Three"].iter().enumerate() {
        s.server
            .ingest_ok(&assignment(&format!("a-{i}"), &format!("c-{i}"), subject))
            .await;
    }
    s.wait_received(3).await;
    s.wait_fcm(3).await;

    // "Mark all read" on the desktop: one background push per phone, badge 0.
    let _: MarkResult = s
        .server
        .post_json(&s.token, "/inbox/mark", &MarkRequest::All)
        .await;
    let apns = s.wait_received(4).await;
    assert_eq!(apns[3].push_type, "background");
    assert_eq!(apns[3].priority, "5");
    assert_eq!(apns[3].body["aps"]["badge"], 0);
    assert_eq!(apns[3].body["herald"]["all_read"], true);
    let fcm = s.wait_fcm(4).await;
    assert_eq!(fcm[3].message["data"]["type"], "read");
    assert_eq!(fcm[3].message["data"]["badge"], "0");
    assert_eq!(fcm[3].message["data"]["all_read"], "true");

    // One item read elsewhere: its id, and the badge after it.
    s.server.ingest_ok(&assignment("a-4", "c-4", "Four")).await;
    s.server.ingest_ok(&assignment("a-5", "c-5", "Five")).await;
    s.wait_received(6).await;
    s.wait_fcm(6).await;
    let four = s
        .server
        .all_items(&s.token)
        .await
        .into_iter()
        .find(|n| n.title == "Four")
        .unwrap();
    s.server.mark_read(&s.token, &[four.id]).await;
    let apns = s.wait_received(7).await;
    assert_eq!(apns[6].push_type, "background");
    assert_eq!(apns[6].body["aps"]["badge"], 1);
    assert_eq!(apns[6].body["herald"]["read"], serde_json::json!([four.id]));
    let fcm = s.wait_fcm(7).await;
    assert_eq!(fcm[6].message["data"]["read"], four.id.to_string());
    assert_eq!(
        apns.iter().filter(|r| r.push_type == "background").count(),
        2,
        "one sync per change, per phone: the mark-all was one"
    );
    assert_eq!(s.apns.violations(), Vec::<String>::new());
    assert_eq!(s.fcm.violations(), Vec::<String>::new());
}
