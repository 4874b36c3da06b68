//! "While you were quiet" against a real server with a clock the test moves: what a pause
//! or quiet hours held is summed up in one notification when the quiet time ends, once,
//! and not at all when nothing is left unread.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use herald_protocol::*;
use reqwest::StatusCode;
use sqlx::Row;

async fn start(at: chrono::DateTime<Utc>) -> (TestServer, ManualClock, String) {
    let clock = ManualClock::new(at);
    let (server, token) = TestServer::start_clocked(&clock).await;
    (server, clock, token)
}

/// Quiet times noted and not summed up yet.
async fn noted(server: &TestServer) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM quiet_digests")
        .fetch_one(&server.running().db.reader)
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

#[tokio::test]
async fn the_end_of_a_pause_sums_up_what_it_held_in_one_notification() {
    let (server, clock, token) = start(Utc::now()).await;
    let now = clock.clock().now();
    server
        .edit_prefs(&token, |p| {
            p.paused_until = Some(now + chrono::Duration::hours(2))
        })
        .await;
    let mut stream = server.connect(&token).await;
    stream.resume(0, None).await;
    stream.until_live().await;
    server.ingest_ok(&assignment("a-1", "c-1", "Refund")).await;
    server.ingest_ok(&reply("r-1", "c-1", "ana")).await;
    server.ingest_ok(&assignment("a-2", "c-2", "Invoice")).await;
    // A mention gets through the pause ("mentions always alert"), and is counted too.
    server.ingest_ok(&mention("m-1", "ana", "bruno")).await;
    let mut last = 0;
    for _ in 0..4 {
        let item = stream.next_item().await;
        last = item.seq;
    }
    assert_eq!(noted(&server).await, 1, "one quiet time noted");

    // Resumed by hand, before the pause would end: the summary comes at once.
    server.edit_prefs(&token, |p| p.paused_until = None).await;
    let summary = stream.next_item().await;
    assert_eq!(summary.kind, EventKind::QuietSummary);
    assert_eq!(
        summary.title,
        "While you were quiet: 4 notifications, 2 assignments, 1 mention"
    );
    let digest = summary.digest.clone().unwrap();
    assert_eq!(digest.total, 4);
    assert_eq!(digest.after_seq, last - 4);
    assert_eq!(digest.up_to_seq, last, "the bell filtered to exactly these");
    assert_eq!(digest.since, now);
    assert!(summary.read_at.is_some(), "it counts nothing itself");
    assert!(
        summary.decision.push.delivers(),
        "{:?}",
        summary.decision.push
    );
    assert_eq!(summary.decision.email.outcome, Outcome::Suppress);
    let unread: UnreadCount = server.get(&token, "/inbox/unread").await;
    assert_eq!(unread.total, 4);
    assert_eq!(noted(&server).await, 0, "summed up once");

    // The platform cannot make one.
    let mut forged = reply("q-1", "c-1", "ana");
    forged.kind = EventKind::QuietSummary;
    assert_eq!(
        server.ingest(&forged).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn quiet_hours_end_with_a_summary_unless_everything_was_read() {
    // 23:00 UTC on a Wednesday; quiet from 22:00 to 07:00 every day; assignments do not
    // break through.
    let start_at = Utc
        .with_ymd_and_hms(2026, 12, 2, 23, 0, 0)
        .single()
        .unwrap();
    let (server, clock, token) = start(start_at).await;
    server
        .edit_prefs(&token, |p| {
            p.quiet_hours.enabled = true;
            p.quiet_hours.time_zone = "UTC".into();
            p.quiet_hours.windows = vec![QuietWindow {
                days: Weekday::ALL.to_vec(),
                start: LocalTime::new(22, 0).unwrap(),
                end: LocalTime::new(7, 0).unwrap(),
            }];
            p.quiet_hours.break_through.assignments = false;
        })
        .await;
    server
        .ingest_ok(&assignment("a-1", "c-1", "Night order"))
        .await;
    assert_eq!(noted(&server).await, 1);
    // A marker: a reply snoozed until 06:59, whose coming back shows a round ran then.
    server.ingest_ok(&reply("r-1", "c-2", "ana")).await;
    let marker = server.all_items(&token).await.pop().unwrap();
    let _: SnoozeResult = server
        .post_json(
            &token,
            "/inbox/snooze",
            &SnoozeRequest {
                target: SnoozeTarget::Items {
                    ids: vec![marker.id],
                },
                until: Some(SnoozeUntil::At {
                    at: Utc
                        .with_ymd_and_hms(2026, 12, 3, 6, 59, 0)
                        .single()
                        .unwrap(),
                }),
            },
        )
        .await;

    clock.set(
        Utc.with_ymd_and_hms(2026, 12, 3, 6, 59, 0)
            .single()
            .unwrap(),
    );
    herald_testkit::wait_for("the marker back at 06:59", || async {
        let item: Notification = server.get(&token, &format!("/inbox/{}", marker.id)).await;
        (item.seq > marker.seq).then_some(())
    })
    .await;
    assert_eq!(noted(&server).await, 1, "still quiet at 06:59");

    clock.set(Utc.with_ymd_and_hms(2026, 12, 3, 7, 0, 0).single().unwrap());
    herald_testkit::wait_for("the summary at 07:00", || async {
        (noted(&server).await == 0).then_some(())
    })
    .await;
    let items = server.all_items(&token).await;
    let summary = items.last().unwrap();
    assert_eq!(summary.kind, EventKind::QuietSummary);
    assert_eq!(
        summary.title, "While you were quiet: 2 notifications, 1 assignment",
        "the night's assignment, and the reply back from its snooze"
    );

    // The next night: held, then read before the morning: nothing to sum up.
    clock.set(
        Utc.with_ymd_and_hms(2026, 12, 3, 23, 0, 0)
            .single()
            .unwrap(),
    );
    server
        .ingest_ok(&assignment("a-2", "c-2", "Read at night"))
        .await;
    assert_eq!(noted(&server).await, 1);
    let _: MarkResult = server
        .post_json(&token, "/inbox/mark", &MarkRequest::All)
        .await;
    clock.set(Utc.with_ymd_and_hms(2026, 12, 4, 7, 0, 0).single().unwrap());
    herald_testkit::wait_for("the quiet time closed", || async {
        (noted(&server).await == 0).then_some(())
    })
    .await;
    let after = server.all_items(&token).await;
    assert_eq!(
        after
            .iter()
            .filter(|n| n.kind == EventKind::QuietSummary)
            .count(),
        1,
        "no summary of nothing"
    );
}

#[tokio::test]
async fn an_agent_who_turned_it_off_gets_none() {
    let (server, clock, token) = start(Utc::now()).await;
    let now = clock.clock().now();
    server
        .edit_prefs(&token, |p| {
            p.quiet_summary = false;
            p.paused_until = Some(now + chrono::Duration::hours(1));
        })
        .await;
    server.ingest_ok(&assignment("a-1", "c-1", "Paused")).await;
    assert_eq!(noted(&server).await, 0, "nothing noted");
}
