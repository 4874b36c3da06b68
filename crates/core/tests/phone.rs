//! The phone app's side of push, headless against real servers:
//!
//! - the pushes the OS hands it: a tapped item shows in the bell, a read-sync names what to
//!   take away, anything else is refused;
//! - the notifications still on screen, checked against the bells, each account's by its
//!   own keys (the same conversation id on two servers is two notifications);
//! - the diagnostics: whether this phone can be reached, and which phone's pushes fail;
//! - a phone that gets pushes raises no notification of its own (the push is it).

#![allow(clippy::unwrap_used)]

mod support;

use herald_core::accounts::{Accounts, PhonePushEffect, PushToken};
use herald_core::diagnostics::{Finding, OsCheck, Topic};
use herald_core::error::ErrorKind;
use herald_core::sensitive::Sensitive;
use herald_protocol::{
    OsPermission, PhoneItem, PhoneKey, PhoneMessage, PhoneRead, PushPlatform, Reason,
};
use herald_testkit::{wait_for, wait_until};
use support::device::*;
use support::*;
use uuid::Uuid;

/// Ana's id on a server.
async fn agent_on(server: &TestServer) -> String {
    let url = herald_core::config::ServerUrl::parse(&server.url(), false).unwrap();
    let api = herald_core::api::Api::new(url).unwrap();
    let (_, agent) = api
        .sign_in("ana@acme.test", &Sensitive::new(PASSWORD.into()), None)
        .await
        .unwrap();
    agent.id.to_string()
}

/// The id of the item made of `event` once the merged bell holds it.
async fn item_of(accounts: &Accounts, event: &str) -> Uuid {
    wait_until(&format!("{event} in the bell"), || {
        accounts
            .bell_view()
            .is_ok_and(|b| b.items.iter().any(|i| i.notification.event_id == event))
    })
    .await;
    let bell = accounts.bell_view().unwrap();
    bell.items
        .iter()
        .find(|i| i.notification.event_id == event)
        .unwrap()
        .notification
        .id
}

fn fields(message: &PhoneMessage) -> Vec<(&'static str, String)> {
    message.to_fields().into_iter().collect()
}

#[tokio::test]
async fn a_tapped_push_shows_its_item_and_a_read_sync_says_what_to_take_away() {
    let server = TestServer::start().await;
    let device = Device::new();
    let (accounts, _) = device.start().await;
    sign_in(&accounts, &server).await;
    server.ingest("r-1").await;
    let id = item_of(&accounts, "r-1").await;
    let key = PhoneKey::of(&agent_on(&server).await, Some("c-1"), &id.to_string());
    let item = PhoneMessage::Item(PhoneItem {
        id,
        seq: 1,
        kind: herald_protocol::EventKind::Reply,
        key: key.clone(),
    });
    let pairs = fields(&item);
    let as_os = || pairs.iter().map(|(k, v)| (*k, v.as_str()));

    // Arriving while the app runs: the stream brought it already.
    assert_eq!(
        accounts.phone_push(as_os(), false).unwrap(),
        PhonePushEffect::Nothing
    );
    // Tapped: the bell shows it.
    assert_eq!(
        accounts.phone_push(as_os(), true).unwrap(),
        PhonePushEffect::Open(id)
    );
    assert_eq!(accounts.session_view().focus_item, Some(id));

    let read = PhoneMessage::Read(PhoneRead {
        badge: 0,
        clear: vec![key.clone()],
    });
    let pairs = fields(&read);
    assert_eq!(
        accounts
            .phone_push(pairs.iter().map(|(k, v)| (*k, v.as_str())), false)
            .unwrap(),
        PhonePushEffect::Clear(vec![key])
    );

    // Another app's push, or a forged one: refused, nothing done.
    for junk in [
        vec![("title", "hi")],
        vec![("herald", "item"), ("item", "not an id")],
        vec![("herald", "read"), ("badge", "1"), ("clear", "a,b c")],
    ] {
        let refused = accounts.phone_push(junk.iter().copied(), true).unwrap_err();
        assert_eq!(refused.kind, ErrorKind::InvalidInput, "{refused}");
    }
    accounts.shutdown();
}

#[tokio::test]
async fn notifications_left_on_screen_go_once_their_items_are_read_in_their_own_account() {
    let (one, two) = (TestServer::start().await, TestServer::start().await);
    let device = Device::new();
    let (accounts, _) = device.start().await;
    sign_in(&accounts, &one).await;
    sign_in(&accounts, &two).await;
    all_live(&accounts).await;
    let (ana_one, ana_two) = (agent_on(&one).await, agent_on(&two).await);
    // On one: two items in c-1 (one notification), one in c-2. On two: one in c-1 too.
    one.ingest_event(&reply_in("one-a", "c-1")).await;
    one.ingest_event(&reply_in("one-b", "c-1")).await;
    one.ingest_event(&reply_in("one-c", "c-2")).await;
    two.ingest_event(&reply_in("two-a", "c-1")).await;
    let (a, c) = (
        item_of(&accounts, "one-a").await,
        item_of(&accounts, "one-c").await,
    );
    let two_a = item_of(&accounts, "two-a").await;
    item_of(&accounts, "one-b").await;
    let key = |agent: &str, conversation: &str| PhoneKey::of(agent, Some(conversation), "");
    let (one_c1, one_c2, two_c1) = (
        key(&ana_one, "c-1"),
        key(&ana_one, "c-2"),
        key(&ana_two, "c-1"),
    );
    assert_ne!(
        one_c1, two_c1,
        "one conversation id on two servers: two keys"
    );
    let shown = [
        one_c1.as_str(),
        one_c2.as_str(),
        two_c1.as_str(),
        "AnotherAppsNotification",
        "not a key, at all",
    ];

    assert_eq!(accounts.stale_notifications(shown), vec![], "all unread");
    // One of c-1's two read, and c-2's only one: c-2 goes, c-1 stays.
    accounts.mark(vec![a, c], true).await.unwrap();
    wait_until("the reads in the bell", || {
        accounts.stale_notifications(shown) == vec![one_c2.clone()]
    })
    .await;
    // Read on the second server: its c-1 goes, the first server's c-1 stays.
    accounts.mark(vec![two_a], true).await.unwrap();
    wait_until("the second server's read", || {
        accounts.stale_notifications(shown) == vec![one_c2.clone(), two_c1.clone()]
    })
    .await;
    accounts.shutdown();
}

/// The push card's findings of the shown account.
async fn push_findings(accounts: &Accounts) -> Vec<Finding> {
    let os = OsCheck {
        permission: OsPermission::Granted,
        permission_detail: "test".into(),
        service: None,
        service_error: None,
        platform: "ios".into(),
    };
    let diagnostics = accounts.diagnostics(os).await.unwrap();
    let card = diagnostics
        .cards
        .into_iter()
        .find(|c| c.topic == Topic::Push);
    card.unwrap().findings
}

fn not_registered(found: &[Finding]) -> Option<Option<String>> {
    found.iter().find_map(|f| match f {
        Finding::PhoneNotRegistered { error } => Some(error.clone()),
        _ => None,
    })
}

#[tokio::test]
async fn the_diagnostics_say_whether_this_phone_can_be_reached_and_which_phone_fails() {
    // A server without an APNs key: what it sends to an iPhone fails, and says why.
    let server = TestServer::start().await;
    let device = Device::new();
    let (accounts, _) = device.start().await;
    sign_in(&accounts, &server).await;

    // A computer: nothing about this device.
    let found = push_findings(&accounts).await;
    assert_eq!(not_registered(&found), None, "{found:?}");

    // A phone whose OS gave no token: said, with the OS's words.
    accounts.push_unavailable("no Google Play services");
    let found = push_findings(&accounts).await;
    assert_eq!(
        not_registered(&found),
        Some(Some("no Google Play services".into()))
    );

    // A token the server refused: said, with the server's words.
    let token = |token: &str| PushToken {
        platform: PushPlatform::Apns,
        token: token.into(),
        app_id: "dev.herald.app".into(),
    };
    accounts
        .set_push_token(Some(token("not hexadecimal")))
        .await
        .unwrap_err();
    let found = push_findings(&accounts).await;
    let why = not_registered(&found).flatten().unwrap_or_default();
    assert!(why.contains("hexadecimal"), "{why:?}");

    // Registered: nothing to say about this phone.
    let good = "ab".repeat(32);
    accounts.set_push_token(Some(token(&good))).await.unwrap();
    assert_eq!(not_registered(&push_findings(&accounts).await), None);

    // The server's push to it fails: the card names the phone and the server's reason.
    accounts.send_test(false).await.unwrap();
    let failing = wait_for("the phone's push failing", || async {
        push_findings(&accounts)
            .await
            .into_iter()
            .find_map(|f| match f {
                Finding::PushFailing {
                    device,
                    platform,
                    error,
                } => Some((device, platform, error)),
                _ => None,
            })
    })
    .await;
    assert_eq!(failing.0, "test device");
    assert_eq!(failing.1, PushPlatform::Apns);
    assert!(failing.2.contains("no APNs key"), "{}", failing.2);
    accounts.shutdown();
}

#[tokio::test]
async fn a_phone_that_gets_pushes_raises_no_notification_of_its_own() {
    let server = TestServer::start().await;
    let device = Device::new();
    let (accounts, recorder) = device.start().await;
    sign_in(&accounts, &server).await;
    all_live(&accounts).await;
    let shown = || recorder.shown.lock().unwrap().len();

    // Registered: the push is the phone's notification; the app shows the item in the bell
    // only, and "Why?" says so.
    let token = PushToken {
        platform: PushPlatform::Apns,
        token: "cd".repeat(32),
        app_id: "dev.herald.app".into(),
    };
    accounts.set_push_token(Some(token)).await.unwrap();
    server.ingest("r-1").await;
    let pushed = item_of(&accounts, "r-1").await;
    let trail = accounts.why(pushed).unwrap().unwrap();
    assert!(
        trail
            .local
            .push
            .reasons
            .contains(&Reason::PushedToThisPhone),
        "{:?}",
        trail.local.push
    );
    assert!(!trail.local.sound.delivers(), "the push sounds itself");
    assert_eq!(shown(), 0, "no notification of the app's own");

    // The token withdrawn (the OS revoked it): the app notifies by itself again.
    accounts.set_push_token(None).await.unwrap();
    server.ingest("r-2").await;
    item_of(&accounts, "r-2").await;
    wait_until("the app's own notification", || shown() == 1).await;
    accounts.shutdown();
}
