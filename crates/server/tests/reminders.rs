//! Items that come back, against a real server with a clock the test moves: snoozed items
//! (kept by the server across a restart, heard on every stream, out of the counter while
//! snoozed) and the reminders of assignments nobody read (escalation).
//!
//! "Nothing came back" is never asserted after a sleep: each such check rides on another
//! reminder due at the same time that must come back, so the worker's round that skipped
//! the first one is known to have run.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use herald_protocol::*;
use reqwest::StatusCode;
use uuid::Uuid;

struct Setup {
    server: TestServer,
    clock: ManualClock,
    token: String,
}

impl Setup {
    async fn start() -> Setup {
        let clock = ManualClock::new(Utc::now());
        let (server, token) = TestServer::start_clocked(&clock).await;
        Setup {
            server,
            clock,
            token,
        }
    }

    /// Stops the server and starts it again on the same database (a new port).
    async fn restart(&mut self) {
        self.server.stop().await;
        let mut config = common::config(&self.server.database);
        config.clock = self.clock.clock();
        config.reminder_poll = Duration::from_millis(40);
        let running = herald_server::start(config).await.unwrap();
        self.server.url = running.url();
        self.server.ws_url = format!("ws://{}/api/v1/stream", running.addr);
        self.server.server = Some(running);
    }

    async fn snooze(&self, target: SnoozeTarget, until: Option<SnoozeUntil>) -> reqwest::Response {
        self.server
            .http
            .post(self.server.api("/inbox/snooze"))
            .bearer_auth(&self.token)
            .json(&SnoozeRequest { target, until })
            .send()
            .await
            .unwrap()
    }

    async fn snooze_ok(&self, target: SnoozeTarget, until: Option<SnoozeUntil>) -> SnoozeResult {
        let response = self.snooze(target, until).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn item(&self, id: Uuid) -> Notification {
        self.server.get(&self.token, &format!("/inbox/{id}")).await
    }

    async fn unread(&self) -> u32 {
        let count: UnreadCount = self.server.get(&self.token, "/inbox/unread").await;
        count.total
    }

    async fn unread_view(&self) -> Vec<Uuid> {
        let page: InboxPage = self.server.get(&self.token, "/inbox?unread=true").await;
        page.items.iter().map(|n| n.id).collect()
    }

    async fn ingest_item(&self, event: &PlatformEvent) -> Notification {
        self.server.ingest_ok(event).await;
        let page: InboxPage = self.server.get(&self.token, "/inbox?limit=1").await;
        page.items.into_iter().next().unwrap()
    }

    /// Waits until the item's seq moved past `seq` (it came back).
    async fn wait_back(&self, id: Uuid, seq: u64) -> Notification {
        herald_testkit::wait_for("the item comes back", || async {
            let item = self.item(id).await;
            (item.seq > seq).then_some(item)
        })
        .await
    }
}

fn items(ids: &[Uuid]) -> SnoozeTarget {
    SnoozeTarget::Items { ids: ids.to_vec() }
}

#[tokio::test]
async fn a_snoozed_item_leaves_the_counter_and_comes_back_unread_at_its_time_across_a_restart() {
    let mut s = Setup::start().await;
    let first = s.ingest_item(&reply("r-1", "c-1", "ana")).await;
    let second = s.ingest_item(&reply("r-2", "c-2", "ana")).await;
    assert_eq!(s.unread().await, 2);
    let mut other_device = s.server.connect(&s.token).await;
    other_device.resume(second.seq, None).await;
    other_device.until_live().await;

    let done = s
        .snooze_ok(items(&[first.id]), Some(SnoozeUntil::Hour))
        .await;
    let until = s.clock.clock().now() + chrono::Duration::hours(1);
    assert_eq!(done.ids, [first.id]);
    assert_eq!(done.until, Some(until));
    assert_eq!(done.unread.total, 1, "snoozed items leave the counter");
    assert_eq!(s.unread().await, 1);
    assert_eq!(s.unread_view().await, [second.id], "and the unread view");
    let snoozed = s.item(first.id).await;
    assert_eq!(snoozed.snoozed_until, Some(until));
    // The agent's other device hears it at once (after the counter it went live with).
    let mut heard = other_device.next().await.unwrap();
    if matches!(heard, ServerMessage::Unread { .. }) {
        heard = other_device.next().await.unwrap();
    }
    assert_eq!(
        heard,
        ServerMessage::Snoozed {
            ids: vec![first.id],
            until: Some(until)
        }
    );
    assert_eq!(
        other_device.next().await.unwrap(),
        ServerMessage::Unread {
            unread: UnreadCount { total: 1 }
        }
    );
    drop(other_device);

    // Kept by the server: a restart forgets nothing.
    s.restart().await;
    let mut stream = s.server.connect(&s.token).await;
    stream.resume(second.seq, None).await;
    stream.until_live().await;
    s.clock.advance(chrono::Duration::hours(1));

    let back = stream.next_item().await;
    assert_eq!(back.id, first.id, "the same item");
    assert!(
        back.seq > second.seq,
        "at the top of the bell: {} > {}",
        back.seq,
        second.seq
    );
    assert_eq!(back.read_at, None, "unread");
    assert_eq!(back.snoozed_until, None);
    assert_eq!(back.context.reminder, Some(Reminder::Snoozed));
    assert!(
        back.decision.push.delivers(),
        "a fresh notification: {:?}",
        back.decision.push
    );
    assert!(back.decision.push.reasons.contains(&Reason::Reminded {
        reminder: Reminder::Snoozed
    }));
    assert_eq!(s.unread().await, 2, "back in the counter");
    assert_eq!(s.unread_view().await, [first.id, second.id], "newest first");

    // A device that was away replays it once, at its new place.
    let mut late = s.server.connect(&s.token).await;
    late.resume(0, None).await;
    let replayed = late.until_live().await;
    let ids: Vec<Uuid> = common::items(&replayed).iter().map(|n| n.id).collect();
    assert_eq!(ids, [second.id, first.id], "once, in seq order");
}

#[tokio::test]
async fn bringing_items_back_by_hand_cancels_their_snooze() {
    let s = Setup::start().await;
    let kept = s.ingest_item(&reply("r-1", "c-1", "ana")).await;
    let cancelled = s.ingest_item(&reply("r-2", "c-2", "ana")).await;
    let unread_by_hand = s.ingest_item(&reply("r-3", "c-3", "ana")).await;
    let all = [kept.id, cancelled.id, unread_by_hand.id];
    s.snooze_ok(items(&all), Some(SnoozeUntil::QuarterHour))
        .await;
    assert_eq!(s.unread().await, 0);

    let back = s.snooze_ok(items(&[cancelled.id]), None).await;
    assert_eq!((back.ids, back.until), (vec![cancelled.id], None));
    assert_eq!(back.unread.total, 1, "unread again at once");
    let marked: MarkResult = s
        .server
        .post_json(
            &s.token,
            "/inbox/mark",
            &MarkRequest::Items {
                ids: vec![unread_by_hand.id],
                read: false,
            },
        )
        .await;
    assert_eq!(marked.unread.total, 2);
    assert_eq!(s.item(unread_by_hand.id).await.snoozed_until, None);

    s.clock.advance(chrono::Duration::minutes(15));
    s.wait_back(kept.id, unread_by_hand.seq).await;
    assert_eq!(
        s.item(cancelled.id).await.seq,
        cancelled.seq,
        "no second coming"
    );
    assert_eq!(s.item(unread_by_hand.id).await.seq, unread_by_hand.seq);
    assert_eq!(s.unread().await, 3);
}

#[tokio::test]
async fn a_conversation_is_snoozed_whole_and_comes_back_together() {
    let s = Setup::start().await;
    let a1 = s.ingest_item(&reply("r-1", "c-1", "ana")).await;
    let other = s.ingest_item(&reply("r-2", "c-2", "ana")).await;
    let a2 = s.ingest_item(&reply("r-3", "c-1", "ana")).await;
    let done = s
        .snooze_ok(
            SnoozeTarget::Conversation {
                conversation_id: "c-1".into(),
            },
            Some(SnoozeUntil::At {
                at: s.clock.clock().now() + chrono::Duration::minutes(90),
            }),
        )
        .await;
    let mut ids = done.ids.clone();
    ids.sort();
    let mut expected = vec![a1.id, a2.id];
    expected.sort();
    assert_eq!(
        ids, expected,
        "its unread items, not the other conversation's"
    );
    assert_eq!(s.unread_view().await, [other.id]);

    s.clock.advance(chrono::Duration::minutes(90));
    let first = s.wait_back(a1.id, a2.seq).await;
    let second = s.wait_back(a2.id, a2.seq).await;
    assert!(first.seq < second.seq, "in their order");
    assert_eq!(s.unread().await, 3);
}

#[tokio::test]
async fn snoozing_refuses_past_times_other_agents_items_and_huge_requests() {
    let s = Setup::start().await;
    let mine = s.ingest_item(&reply("r-1", "c-1", "ana")).await;
    let past = s
        .snooze(
            items(&[mine.id]),
            Some(SnoozeUntil::At {
                at: s.clock.clock().now() - chrono::Duration::minutes(1),
            }),
        )
        .await;
    assert_eq!(past.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = past.json().await.unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "until.at");

    // Bruno cannot snooze (or bring back) ana's item: it is not found for him.
    let bruno = s.server.sign_in("bruno").await;
    for until in [Some(SnoozeUntil::Hour), None] {
        let response = s
            .server
            .http
            .post(s.server.api("/inbox/snooze"))
            .bearer_auth(&bruno)
            .json(&SnoozeRequest {
                target: items(&[mine.id]),
                until,
            })
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(s.item(mine.id).await.snoozed_until, None, "untouched");
    assert_eq!(s.unread().await, 1);

    let many: Vec<Uuid> = (0..501).map(|_| Uuid::now_v7()).collect();
    let response = s.snooze(items(&many), Some(SnoozeUntil::Hour)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = s
        .server
        .http
        .post(s.server.api("/inbox/snooze"))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({"target": {"scope": "items", "ids": [mine.id]}, "until": {"choice": "next_year"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown choice"
    );
}

async fn escalate_every(s: &Setup, minutes: u16, repeat: u8) {
    s.server
        .edit_prefs(&s.token, |p| {
            p.escalation = Escalation {
                enabled: true,
                after_minutes: minutes,
                repeat,
            }
        })
        .await;
}

#[tokio::test]
async fn an_unread_assignment_is_reminded_up_to_the_limit_and_a_read_one_never() {
    let s = Setup::start().await;
    escalate_every(&s, 10, 2).await;
    let unanswered = s.ingest_item(&assignment("a-1", "c-1", "Refund")).await;
    let read = s.ingest_item(&assignment("a-2", "c-2", "Invoice")).await;
    let reply_item = s.ingest_item(&reply("r-1", "c-3", "ana")).await;
    s.server.mark_read(&s.token, &[read.id]).await;
    let mut stream = s.server.connect(&s.token).await;
    stream.resume(reply_item.seq, None).await;
    stream.until_live().await;

    s.clock.advance(chrono::Duration::minutes(10));
    let first = stream.next_item().await;
    assert_eq!(first.id, unanswered.id);
    assert_eq!(
        first.context.reminder,
        Some(Reminder::Unanswered { count: 1, limit: 2 })
    );
    assert!(first.decision.push.delivers());
    assert_eq!(
        first.decision.email.outcome,
        Outcome::Suppress,
        "never by email"
    );
    assert_eq!(s.item(read.id).await.seq, read.seq, "read: no reminder");
    assert_eq!(
        s.item(reply_item.id).await.seq,
        reply_item.seq,
        "replies are not escalated"
    );

    s.clock.advance(chrono::Duration::minutes(10));
    let second = stream.next_item().await;
    assert_eq!(
        second.context.reminder,
        Some(Reminder::Unanswered { count: 2, limit: 2 })
    );
    assert!(second.seq > first.seq);

    // The limit: a third round finds nothing of it (another assignment's first reminder
    // in the same round proves the round ran).
    let later = s.ingest_item(&assignment("a-3", "c-4", "Late")).await;
    s.clock.advance(chrono::Duration::minutes(10));
    let next = stream.next_item().await;
    assert_eq!(
        next.id, later.id,
        "only the new assignment's first reminder"
    );
    assert_eq!(
        s.item(unanswered.id).await.seq,
        second.seq,
        "two reminders, no more"
    );
    assert_eq!(s.unread().await, 3, "reminders do not count twice");
}

#[tokio::test]
async fn reminders_wait_out_a_pause_and_stop_once_read_or_snoozed() {
    let s = Setup::start().await;
    escalate_every(&s, 10, 3).await;
    let waits = s.ingest_item(&assignment("a-1", "c-1", "Waits")).await;
    let read_later = s.ingest_item(&assignment("a-2", "c-2", "Read")).await;
    let snoozed = s.ingest_item(&assignment("a-3", "c-3", "Snoozed")).await;
    let marker = s.ingest_item(&reply("r-1", "c-4", "ana")).await;
    let now = s.clock.clock().now();
    s.server
        .edit_prefs(&s.token, |p| {
            p.paused_until = Some(now + chrono::Duration::minutes(25))
        })
        .await;
    s.snooze_ok(
        items(&[snoozed.id]),
        Some(SnoozeUntil::At {
            at: now + chrono::Duration::days(2),
        }),
    )
    .await;
    s.snooze_ok(
        items(&[marker.id]),
        Some(SnoozeUntil::At {
            at: now + chrono::Duration::minutes(10),
        }),
    )
    .await;

    // Due at +10 while paused: held, no reminder used (the marker's coming back shows
    // that round ran).
    s.clock.advance(chrono::Duration::minutes(10));
    s.wait_back(marker.id, marker.seq).await;
    assert_eq!(s.item(waits.id).await.seq, waits.seq, "held by the pause");
    s.server.mark_read(&s.token, &[read_later.id]).await;
    s.clock.advance(chrono::Duration::minutes(20)); // +30: the pause ended at +25
    let back = s.wait_back(waits.id, marker.seq).await;
    assert_eq!(
        back.context.reminder,
        Some(Reminder::Unanswered { count: 1, limit: 3 }),
        "the pause used none of the reminders"
    );
    assert_eq!(
        s.item(read_later.id).await.seq,
        read_later.seq,
        "read meanwhile"
    );
    assert_eq!(
        s.item(snoozed.id).await.seq,
        snoozed.seq,
        "snoozed: its snooze decides"
    );
}
