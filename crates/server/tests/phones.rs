//! Phones through Apple's push service and Firebase Cloud Messaging, against local stand-ins
//! that check every request as strictly as Apple and Google document
//! (`common/apns_service.rs`, `common/fcm_service.rs`): registration scoped to the session's
//! agent, hostile tokens refused, the provider token / service-account assertion signed and
//! reused, the alert with the agent's absolute unread count, and the services' answers: a
//! removed token pruned, a rate limit retried, an expired provider token replaced, a
//! revoked access token renewed; a phone whose service this server has no credentials for
//! is told so on its device.

#![allow(clippy::unwrap_used)]

mod common;

use common::apns_service::app_fields;
use common::fcm_service::data_fields;
use common::phones::{Setup, ANDROID, TOKEN};
use common::*;
use herald_protocol::*;
use reqwest::StatusCode;

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
    // What the app reads beside `aps`: the item, and the notification's key, which is the
    // collapse id (iOS's name for the notification) and the thread.
    let Ok(PhoneMessage::Item(item)) = PhoneMessage::from_fields(app_fields(&push.body)) else {
        panic!("not an item's fields: {}", push.body);
    };
    assert_eq!(item.kind, EventKind::Assignment);
    assert_eq!(push.collapse_id.as_deref(), Some(item.key.as_str()));
    assert_eq!(push.body["aps"]["thread-id"], item.key.as_str());
    assert_eq!(received[0].priority, "5", "a reply can wait");
    assert_ne!(
        received[0].collapse_id, push.collapse_id,
        "one per conversation"
    );
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
    let Ok(PhoneMessage::Item(item)) = PhoneMessage::from_fields(data_fields(message)) else {
        panic!("not an item's data: {message}");
    };
    assert_eq!(item.kind, EventKind::Assignment);
    assert_eq!(message["android"]["notification"]["tag"], item.key.as_str());
    assert!(
        message["android"].get("collapse_key").is_none(),
        "FCM keeps four collapse keys per device: none, so an offline phone loses nothing"
    );

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
    s.put_in_front(&mut window, "the window in front").await;
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
async fn the_phone_app_in_front_is_not_a_computer_its_pushes_go_at_once() {
    let s = Setup::start().await;
    s.register(&s.token, TOKEN).await;
    // The app on the phone, open in front of ana: it says what it is.
    let mut phone_app = s.server.connect(&s.token).await;
    phone_app
        .send(&ClientMessage::Resume {
            after_seq: 0,
            epoch: None,
            client: Some(StreamClient {
                kind: ClientKind::PhoneApp,
                name: "Herald phone (ios)".into(),
            }),
        })
        .await;
    phone_app.until_live().await;
    s.put_in_front(&mut phone_app, "the phone app in front")
        .await;
    let alerts = || {
        s.apns
            .received()
            .into_iter()
            .filter(|r| r.push_type == "alert")
            .count()
    };

    // Not held (the clock does not move: a held push would never go).
    s.server
        .ingest_ok(&assignment("a-1", "c-1", "On the phone"))
        .await;
    herald_testkit::wait_until("the alert at once", || alerts() == 1).await;
    s.wait_last("accepted", |o| matches!(o, PushOutcome::Accepted { .. }))
        .await;

    // Nor just after the app left the front.
    phone_app
        .send(&ClientMessage::Presence { in_front: false })
        .await;
    herald_testkit::wait_for("the phone app behind", || async {
        let sessions: Vec<SessionInfo> = s.server.get(&s.token, "/sessions").await;
        sessions
            .iter()
            .all(|x| !x.live.as_ref().is_some_and(|l| l.in_front))
            .then_some(())
    })
    .await;
    s.server
        .ingest_ok(&assignment("a-2", "c-2", "In the pocket"))
        .await;
    herald_testkit::wait_until("the second alert at once", || alerts() == 2).await;
    assert_eq!(s.apns.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_phone_whose_service_this_server_lacks_is_told_so() {
    // APNs only: an Android phone may register, and its device says why nothing comes.
    let apns = common::apns_service::ApnsService::start().await;
    let config = apns.config();
    let server = TestServer::start_with(|c| {
        c.push.apns = Some(config);
        c.push.poll = std::time::Duration::from_millis(50);
    })
    .await;
    let token = server.sign_in("ana").await;
    let response = server
        .http
        .post(server.api("/push/devices"))
        .bearer_auth(&token)
        .json(&PhoneDeviceRequest {
            platform: PushPlatform::Fcm,
            token: ANDROID.into(),
            app_id: "dev.herald.app".into(),
            device_name: Some("Ana's Pixel".into()),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    server
        .ingest_ok(&assignment("a-1", "c-1", "Refund for order #88"))
        .await;
    let error = herald_testkit::wait_for("the phone's failure", || async {
        let devices: Vec<PushDevice> = server.get(&token, "/push/subscriptions").await;
        match &devices.first()?.last.as_ref()?.outcome {
            PushOutcome::Failed {
                status: None,
                error,
            } => Some(error.clone()),
            _ => None,
        }
    })
    .await;
    assert_eq!(
        error,
        "this server has no FCM service account (--fcm-service-account) set up: these phones get no push"
    );
    assert!(apns.received().is_empty(), "nothing went to Apple instead");
}
