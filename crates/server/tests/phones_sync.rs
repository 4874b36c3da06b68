//! Read-sync to phones, against the local APNs and FCM stand-ins: reading anywhere sends
//! each phone one background push with the new badge and the keys of the notifications to
//! take away — those whose items are now all read, and no other. The bodies are read the
//! way the app reads them (`PhoneMessage::from_fields` on what the OS hands it), and the
//! keys are the ones the alerts were shown under (APNs collapse id, Android tag). A sync
//! rate limited is sent again; one whose phone is gone removes the phone.

#![allow(clippy::unwrap_used)]

mod common;

use common::apns_service::app_fields;
use common::fcm_service::data_fields;
use common::phones::{Setup, ANDROID, TOKEN};
use common::*;
use herald_protocol::*;

/// The n-th (from 1) background push at APNs and data message at FCM, as the app reads
/// them; both must say the same.
async fn sync(s: &Setup, apns_n: usize, fcm_n: usize) -> PhoneRead {
    let apns = s.wait_received(apns_n).await;
    let push = &apns[apns_n - 1];
    assert_eq!(push.push_type, "background", "{}", push.body);
    assert_eq!(push.priority, "5");
    let Ok(PhoneMessage::Read(read)) = PhoneMessage::from_fields(app_fields(&push.body)) else {
        panic!("not a read-sync: {}", push.body);
    };
    assert_eq!(
        push.body["aps"],
        serde_json::json!({ "content-available": 1 }),
        "the badge is the app's to set, from the fields"
    );
    let fcm = s.wait_fcm(fcm_n).await;
    let message = &fcm[fcm_n - 1].message;
    assert!(message.get("notification").is_none(), "nothing to show");
    let Ok(PhoneMessage::Read(on_android)) = PhoneMessage::from_fields(data_fields(message)) else {
        panic!("not a read-sync: {message}");
    };
    assert_eq!(read, on_android, "both phones are told the same");
    read
}

/// The key each alert so far was shown under, by the item's title; checks that APNs and
/// FCM name it alike.
async fn shown_keys(s: &Setup) -> Vec<(String, PhoneKey)> {
    let mut keys = Vec::new();
    for push in s.apns.received().iter().filter(|p| p.push_type == "alert") {
        let Ok(PhoneMessage::Item(item)) = PhoneMessage::from_fields(app_fields(&push.body)) else {
            panic!("not an item: {}", push.body);
        };
        assert_eq!(push.collapse_id.as_deref(), Some(item.key.as_str()));
        let title = push.body["aps"]["alert"]["title"].as_str().unwrap();
        keys.push((title.to_owned(), item.key));
    }
    for received in s.fcm.received() {
        let message = &received.message;
        if let Ok(PhoneMessage::Item(item)) = PhoneMessage::from_fields(data_fields(message)) {
            assert_eq!(message["android"]["notification"]["tag"], item.key.as_str());
            let title = message["notification"]["title"].as_str().unwrap();
            assert!(
                keys.iter().any(|(t, k)| t == title && *k == item.key),
                "FCM's tag for {title} is APNs' collapse id"
            );
        }
    }
    keys
}

fn key_of(keys: &[(String, PhoneKey)], title_end: &str) -> PhoneKey {
    keys.iter()
        .find(|(title, _)| title.ends_with(title_end))
        .map(|(_, key)| key.clone())
        .unwrap_or_else(|| panic!("no alert for {title_end}: {keys:?}"))
}

async fn id_of(s: &Setup, title_end: &str) -> uuid::Uuid {
    s.server
        .all_items(&s.token)
        .await
        .into_iter()
        .find(|n| n.title.ends_with(title_end))
        .unwrap()
        .id
}

#[tokio::test]
async fn a_notification_goes_once_everything_it_stood_for_is_read() {
    let s = Setup::start().await;
    s.register(&s.token, TOKEN).await;
    s.register_on(&s.token, PushPlatform::Fcm, ANDROID).await;
    // Two items of one conversation (one notification on the phone), one of another.
    s.server.ingest_ok(&reply("r-1", "c-1", "ana")).await;
    s.server.ingest_ok(&assignment("a-1", "c-1", "One")).await;
    s.server.ingest_ok(&assignment("a-2", "c-2", "Two")).await;
    s.wait_received(3).await;
    s.wait_fcm(3).await;
    let keys = shown_keys(&s).await;
    let (one, two) = (key_of(&keys, "One"), key_of(&keys, "Two"));
    assert_eq!(
        keys[0].1, one,
        "the reply and the assignment share c-1's key"
    );
    assert_ne!(one, two);

    // The reply read on the desktop: c-1 still has the assignment unread, so its
    // notification stays; the badge goes down.
    let reply_id = id_of(&s, "Subject of c-1").await;
    s.server.mark_read(&s.token, &[reply_id]).await;
    let read = sync(&s, 4, 4).await;
    assert_eq!((read.badge, read.clear.clone()), (2, vec![]));

    // The assignment read too: c-1's notification goes.
    s.server
        .mark_read(&s.token, &[id_of(&s, "One").await])
        .await;
    let read = sync(&s, 5, 5).await;
    assert_eq!((read.badge, read.clear.clone()), (1, vec![one.clone()]));

    // A conversation marked read: that conversation's notification only.
    s.server.ingest_ok(&assignment("a-3", "c-3", "Three")).await;
    s.wait_received(6).await;
    s.wait_fcm(6).await;
    let three = key_of(&shown_keys(&s).await, "Three");
    let _: MarkResult = s
        .server
        .post_json(
            &s.token,
            "/inbox/mark",
            &MarkRequest::Conversation {
                conversation_id: "c-2".into(),
            },
        )
        .await;
    let read = sync(&s, 7, 7).await;
    assert_eq!((read.badge, read.clear.clone()), (1, vec![two]));

    // Snoozed on the desktop: off the phone like a read one.
    let _: SnoozeResult = s
        .server
        .post_json(
            &s.token,
            "/inbox/snooze",
            &SnoozeRequest {
                target: SnoozeTarget::Items {
                    ids: vec![id_of(&s, "Three").await],
                },
                until: Some(SnoozeUntil::Hour),
            },
        )
        .await;
    let read = sync(&s, 8, 8).await;
    assert_eq!((read.badge, read.clear.clone()), (0, vec![three]));
    assert_eq!(s.apns.violations(), Vec::<String>::new());
    assert_eq!(s.fcm.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn mark_all_read_is_one_push_per_phone_naming_each_notification() {
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
    let keys = shown_keys(&s).await;

    let _: MarkResult = s
        .server
        .post_json(&s.token, "/inbox/mark", &MarkRequest::All)
        .await;
    let read = sync(&s, 4, 4).await;
    assert_eq!(read.badge, 0);
    let mut expected: Vec<PhoneKey> = keys.into_iter().map(|(_, k)| k).collect();
    expected.reverse(); // most recent first
    assert_eq!(read.clear, expected);
    s.wait_received(4).await;
    assert_eq!(
        s.apns
            .received()
            .iter()
            .filter(|r| r.push_type == "background")
            .count(),
        1,
        "one sync for the whole mark-all"
    );
    assert_eq!(s.apns.violations(), Vec::<String>::new());
    assert_eq!(s.fcm.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_read_sync_is_retried_when_rate_limited_and_a_gone_phone_removed() {
    let s = Setup::start().await;
    s.register(&s.token, TOKEN).await;
    s.server.ingest_ok(&assignment("a-1", "c-1", "One")).await;
    s.wait_received(1).await;

    // Rate limited: the same sync again once the retry is due on the server's clock.
    s.apns.script(&[(429, "TooManyRequests")]);
    let _: MarkResult = s
        .server
        .post_json(&s.token, "/inbox/mark", &MarkRequest::All)
        .await;
    let first = s.wait_received(2).await;
    assert_eq!(first[1].answered, 429);
    assert_eq!(first[1].push_type, "background");
    s.clock.advance(chrono::Duration::minutes(1));
    let again = s.wait_received(3).await;
    assert_eq!(again[2].answered, 200);
    assert_eq!(again[2].push_type, "background");
    assert_eq!(again[2].body, again[1].body, "the same sync, sent again");

    // Apple no longer knows the token: a later sync removes the phone.
    s.server.ingest_ok(&assignment("a-2", "c-2", "Two")).await;
    s.wait_received(4).await;
    s.apns.script(&[(410, "Unregistered")]);
    let _: MarkResult = s
        .server
        .post_json(&s.token, "/inbox/mark", &MarkRequest::All)
        .await;
    let gone = s.wait_received(5).await;
    assert_eq!(
        (gone[4].answered, gone[4].push_type.as_str()),
        (410, "background")
    );
    s.wait_no_devices().await;
    assert_eq!(s.apns.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_full_round_is_followed_by_the_next_without_waiting_for_the_poll() {
    // Rounds of two and a poll of an hour: the third phone gets its alert and its sync
    // only if a full round is followed by another at once.
    let s = Setup::start_with(|c| {
        c.push.round = 2;
        c.push.poll = std::time::Duration::from_secs(3600);
    })
    .await;
    for n in 1..=3 {
        s.register(&s.token, &format!("{n:064x}")).await;
    }
    s.server.ingest_ok(&assignment("a-1", "c-1", "One")).await;
    let alerts = s.wait_received(3).await;
    assert!(alerts.iter().all(|r| r.push_type == "alert"));

    let _: MarkResult = s
        .server
        .post_json(&s.token, "/inbox/mark", &MarkRequest::All)
        .await;
    let all = s.wait_received(6).await;
    let mut synced: Vec<&str> = all[3..]
        .iter()
        .filter(|r| r.push_type == "background")
        .map(|r| r.token.as_str())
        .collect();
    synced.sort_unstable();
    let mut phones: Vec<&str> = alerts.iter().map(|r| r.token.as_str()).collect();
    phones.sort_unstable();
    assert_eq!(synced, phones, "one read-sync per phone");
    assert_eq!(s.apns.violations(), Vec::<String>::new());
}
