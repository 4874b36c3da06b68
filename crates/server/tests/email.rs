//! Email against a real SMTP server (aiosmtpd, started by the test on 127.0.0.1): alerts
//! honour preferences, wait, skip what was read, fold bursts, retry temporary failures,
//! record permanent ones; hostile text arrives inert; the test email reports the answer.
//!
//! Needs Python with aiosmtpd: `scripts/test.sh` makes a virtualenv and sets
//! HERALD_TEST_PYTHON. Without it these tests fail, unless HERALD_SKIP_SMTP=1 asks to skip
//! them (each then prints a SKIPPED line).

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::smtp_sink::Sink;
use common::*;
use herald_protocol::*;
use herald_server::admin::{self, NewAgent};
use herald_server::email::EmailConfig;
use reqwest::StatusCode;

async fn server_with_email(sink: &Sink) -> TestServer {
    let port = sink.port;
    let server = TestServer::start_with(move |c| {
        let mut email = EmailConfig::new(
            format!("smtp://127.0.0.1:{port}"),
            "Herald <herald@acme.test>",
        );
        email.alert_delay = Duration::from_millis(400);
        email.retry_base = Duration::from_millis(100);
        email.poll = Duration::from_millis(50);
        email.public_url = Some("https://herald.acme.test".into());
        c.email = Some(email);
    })
    .await;
    for who in ["tempfail", "reject"] {
        admin::add_agent(
            &server.running().db,
            &NewAgent {
                workspace: WORKSPACE.into(),
                external_id: who.into(),
                email: format!("{who}@acme.test"),
                name: who.into(),
                password: PASSWORD.into(),
                groups: vec![],
            },
        )
        .await
        .unwrap();
    }
    server
}

fn assignment(id: &str, conversation: &str, to: &str) -> PlatformEvent {
    let mut event = reply(id, conversation, to);
    event.kind = EventKind::Assignment;
    event.actor = Some(ActorRef {
        agent_id: Some("bruno".into()),
        name: "Bruno".into(),
    });
    event
}

#[tokio::test]
async fn an_alert_follows_preferences_and_arrives_inert() {
    let Some(sink) = Sink::start().await else {
        return;
    };
    let server = server_with_email(&sink).await;
    let mut event = assignment("a1", "c-1", "ana");
    let hostile = "Refund <script>alert(1)</script>\r\nBcc: evil@x.test";
    event.conversation.as_mut().unwrap().subject = Some(hostile.into());
    event.conversation.as_mut().unwrap().url =
        Some("https://acme.example/c/1\"onmouseover=\"x".into());
    event.text = Some("<img src=x onerror=alert(2)> hi".into());
    server.ingest_ok(&event).await;
    // Replies do not email by default: only the assignment should arrive.
    server.ingest_ok(&reply("r1", "c-2", "ana")).await;

    let mail = sink.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        sink.messages().len(),
        1,
        "the reply (email off) sent nothing"
    );
    let m = &mail[0];
    assert_eq!(m["to"], serde_json::json!(["ana@acme.test"]));
    let headers: Vec<String> = serde_json::from_value(m["headers"].clone()).unwrap();
    assert!(
        !headers.iter().any(|h| h.eq_ignore_ascii_case("bcc")),
        "no header injected: {headers:?}"
    );
    let subject = m["subject"].as_str().unwrap();
    assert!(
        subject.starts_with("Bruno assigned you: Refund <script>"),
        "plain text subject: {subject}"
    );
    assert!(!subject.contains('\n') && !subject.contains('\r'));
    let html = m["html"].as_str().unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>"),
        "{html}"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(2)&gt;") && !html.contains("<img"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://acme.example/c/1&quot;onmouseover=&quot;x\""),
        "the link stays inside its attribute: {html}"
    );
    assert!(!html.contains("\"onmouseover"), "{html}");
    assert!(
        m["text"]
            .as_str()
            .unwrap()
            .contains("<img src=x onerror=alert(2)> hi"),
        "the text part is plain text"
    );
    assert!(m["message_id"].as_str().unwrap().ends_with("@herald>"));
}

#[tokio::test]
async fn an_alert_read_before_its_delay_is_not_sent() {
    let Some(sink) = Sink::start().await else {
        return;
    };
    let server = server_with_email(&sink).await;
    let ana = server.sign_in("ana").await;
    server.ingest_ok(&assignment("a1", "c-1", "ana")).await;
    server
        .http
        .post(server.api("/inbox/mark"))
        .bearer_auth(&ana)
        .json(&MarkRequest::All)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(sink.messages().is_empty(), "read in the app: no email");
    let status: EmailStatus = server.get(&ana, "/email").await;
    assert_eq!((status.configured, status.pending), (true, 0));
}

#[tokio::test]
async fn a_burst_in_one_conversation_is_one_email() {
    let Some(sink) = Sink::start().await else {
        return;
    };
    let server = server_with_email(&sink).await;
    for n in 0..3 {
        server
            .ingest_ok(&assignment(&format!("b{n}"), "c-9", "ana"))
            .await;
    }
    let mail = sink.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(sink.messages().len(), 1, "{:?}", sink.messages());
    assert!(
        mail[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with("3 new in Subject of c-9"),
        "{}",
        mail[0]["subject"]
    );
}

#[tokio::test]
async fn temporary_failures_are_retried_and_permanent_ones_recorded() {
    let Some(sink) = Sink::start().await else {
        return;
    };
    let server = server_with_email(&sink).await;
    server.ingest_ok(&assignment("t1", "c-1", "tempfail")).await;
    server.ingest_ok(&assignment("p1", "c-2", "reject")).await;
    let mail = sink.wait_for(1).await;
    assert_eq!(
        mail[0]["to"],
        serde_json::json!(["tempfail@acme.test"]),
        "delivered on the third try"
    );
    // The relay has it; the outbox records it right after.
    let row: (String, i64) = herald_testkit::wait_for("the outbox records the delivery", || async {
        let row: (String, i64) = sqlx::query_as("SELECT status, attempts FROM outbox o JOIN agents a ON a.id = o.agent_id WHERE a.external_id = 'tempfail'")
            .fetch_one(&server.running().db.reader)
            .await
            .unwrap();
        (row.0 == "sent").then_some(row)
    })
    .await;
    assert_eq!(row, ("sent".to_string(), 3), "two 451s, then 250");

    let reject = server.sign_in("reject").await;
    let status: EmailStatus =
        herald_testkit::wait_for("the permanent failure is recorded", || async {
            let status: EmailStatus = server.get(&reject, "/email").await;
            status.last_failure.is_some().then_some(status)
        })
        .await;
    let failure = status
        .last_failure
        .clone()
        .expect("the permanent failure is recorded");
    assert!(
        failure.error.contains("550") || failure.error.contains("mailbox unavailable"),
        "{}",
        failure.error
    );
    assert_eq!(status.to, "reject@acme.test");
    assert_eq!(status.pending, 0, "a permanent failure is not retried");
}

#[tokio::test]
async fn the_test_email_reports_what_the_smtp_server_said() {
    let Some(sink) = Sink::start().await else {
        return;
    };
    let server = server_with_email(&sink).await;
    let ana = server.sign_in("ana").await;
    let result: TestEmailResult = server.post(&ana, "/email/test").await;
    assert!(result.accepted);
    assert_eq!(result.code, 250);
    assert!(
        result.message.contains("queued as herald-test"),
        "{}",
        result.message
    );
    let mail = sink.wait_for(1).await;
    assert_eq!(mail[0]["subject"], "Herald test email");

    let reject = server.sign_in("reject").await;
    let refused: TestEmailResult = server.post(&reject, "/email/test").await;
    assert!(!refused.accepted);
    assert_eq!(refused.code, 550, "{refused:?}");
}

/// "Save and test" says an email is queued, with when, not that it was delivered.
#[tokio::test]
async fn the_test_notification_reports_the_relays_answer() {
    let Some(sink) = Sink::start().await else {
        return;
    };
    let server = server_with_email(&sink).await;
    let ana = server.sign_in("ana").await;
    let result: TestNotificationResult = server.post(&ana, "/test-notification").await;
    let TestEmail::Accepted { code, reply } = &result.email else {
        panic!("accepted, not {:?}", result.email);
    };
    assert_eq!(*code, 250);
    assert!(!reply.is_empty(), "the relay's words");
    // What the relay really received: the test's email, to ana.
    let mail = sink.wait_for(1).await;
    assert_eq!(mail[0]["to"], serde_json::json!(["ana@acme.test"]));
    assert!(
        mail[0]["subject"]
            .as_str()
            .unwrap_or_default()
            .contains("Herald"),
        "{:?}",
        mail[0]
    );

    // A relay that refuses the address for good, and one that asks to come back later.
    let reject = server.sign_in("reject").await;
    let result: TestNotificationResult = server.post(&reject, "/test-notification").await;
    let TestEmail::Refused { error } = &result.email else {
        panic!("refused, not {:?}", result.email);
    };
    assert!(
        error.contains("550") || error.contains("unavailable"),
        "{error}"
    );
    let tempfail = server.sign_in("tempfail").await;
    let result: TestNotificationResult = server.post(&tempfail, "/test-notification").await;
    let TestEmail::Retrying { error, retry_at } = &result.email else {
        panic!("retrying, not {:?}", result.email);
    };
    assert!(!error.is_empty());
    assert!(*retry_at > result.notification.created_at);
    assert_eq!(sink.messages().len(), 1, "only ana's was accepted");

    // A test mention follows the rules for mentions, the alert delay included: queued.
    let mention: TestNotificationResult =
        server.post(&ana, "/test-notification?mention=true").await;
    let TestEmail::Queued { due_at } = mention.email else {
        panic!("queued, not {:?}", mention.email);
    };
    assert_eq!(
        due_at - mention.notification.created_at,
        chrono::Duration::milliseconds(400),
        "after the alert delay"
    );
}

#[tokio::test]
async fn without_smtp_the_email_channel_says_so() {
    let server = TestServer::start().await;
    let ana = server.sign_in("ana").await;
    let status: EmailStatus = server.get(&ana, "/email").await;
    assert!(!status.configured);
    let response = server
        .http
        .post(server.api("/email/test"))
        .bearer_auth(&ana)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let error: ApiError = response.json().await.unwrap();
    assert!(
        error.error.message.contains("not configured"),
        "{}",
        error.error.message
    );
}

#[tokio::test]
async fn the_summary_goes_once_a_day_at_the_local_time_even_across_a_restart() {
    let Some(sink) = Sink::start().await else {
        return;
    };
    let start = chrono::Utc::now();
    let clock = herald_protocol::ManualClock::new(start);
    let email_config = |port: u16| {
        let mut email = EmailConfig::new(
            format!("smtp://127.0.0.1:{port}"),
            "Herald <herald@acme.test>",
        );
        email.poll = Duration::from_millis(50);
        email.summary_poll = Duration::from_millis(50);
        email
    };
    let port = sink.port;
    let mut server = TestServer::start_with({
        let clock = clock.clock();
        move |c| {
            c.email = Some(email_config(port));
            c.clock = clock;
        }
    })
    .await;
    let ana = server.sign_in("ana").await;
    // Summary at the next hour's minute (UTC), replies included in it.
    let due = start + chrono::Duration::hours(1);
    server
        .edit_prefs(&ana, |p| {
            p.email.mode = EmailMode::Summary;
            p.email.time_zone = "UTC".into();
            p.email.summary_at = LocalTime::of(due.time());
            p.events.reply.email = true;
        })
        .await;
    for (id, conversation) in [("s1", "c-1"), ("s2", "c-1"), ("s3", "c-2")] {
        server.ingest_ok(&reply(id, conversation, "ana")).await;
    }
    let page: InboxPage = server.get(&ana, "/inbox").await;
    assert_eq!(page.items[0].decision.email.outcome, Outcome::Summary);
    let first = page.items.iter().find(|n| n.event_id == "s1").unwrap().id;
    server
        .http
        .post(server.api("/inbox/mark"))
        .bearer_auth(&ana)
        .json(&MarkRequest::Items {
            ids: vec![first],
            read: true,
        })
        .send()
        .await
        .unwrap();

    // Before the summary time: nothing (yesterday's period had nothing in it).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sink.messages().is_empty(), "{:?}", sink.messages());

    // The clock passes the summary time: one summary.
    clock.set(start + chrono::Duration::hours(2));
    let mail = sink.wait_for(1).await;
    let subject = mail[0]["subject"].as_str().unwrap();
    assert!(
        subject.starts_with("Your Herald summary for ") && subject.ends_with(": 3 new, 2 unread"),
        "{subject}"
    );
    let text = mail[0]["text"].as_str().unwrap();
    assert!(
        text.contains("Subject of c-1 (2)") && text.contains("Subject of c-2 (1)"),
        "grouped by conversation: {text}"
    );
    assert_eq!(text.matches("[unread]").count(), 2, "{text}");

    // A restart on the same database, same day: not again.
    server.stop().await;
    let mut config = common::config(&server.database);
    config.email = Some(email_config(port));
    config.clock = clock.clock();
    server.server = Some(herald_server::start(config).await.unwrap());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        sink.messages().len(),
        1,
        "exactly once per day, across a restart"
    );
}

#[tokio::test]
async fn the_one_click_unsubscribe_link_switches_email_off() {
    let Some(sink) = Sink::start().await else {
        return;
    };
    let server = server_with_email(&sink).await;
    server.ingest_ok(&assignment("u1", "c-1", "ana")).await;
    let mail = sink.wait_for(1).await;
    let header = mail[0]["list_unsubscribe"]
        .as_str()
        .unwrap_or_else(|| panic!("List-Unsubscribe missing: {}", mail[0]))
        .to_string();
    assert_eq!(
        mail[0]["list_unsubscribe_post"],
        "List-Unsubscribe=One-Click"
    );
    let url = header.trim_matches(['<', '>']);
    assert!(
        url.starts_with("https://herald.acme.test/api/v1/unsubscribe?token="),
        "{url}"
    );
    assert!(
        mail[0]["text"].as_str().unwrap().contains(url),
        "the footer carries the same link"
    );
    let token = url.split_once("token=").unwrap().1.to_string();
    let ana = server.sign_in("ana").await;
    let before: VersionedPreferences = server.get(&ana, "/preferences").await;

    // A mail scanner fetching the link changes nothing.
    let page = server
        .http
        .get(server.api(&format!("/unsubscribe?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("<form method=\"post\">"));
    let unchanged: VersionedPreferences = server.get(&ana, "/preferences").await;
    assert_eq!(unchanged.version, before.version);

    // A tampered token is refused.
    let mut forged = token.clone();
    forged.replace_range(
        forged.len() - 2..,
        if token.ends_with("00") { "11" } else { "00" },
    );
    let refused = server
        .http
        .post(server.api(&format!("/unsubscribe?token={forged}")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    // The one click.
    let done = server
        .http
        .post(server.api(&format!("/unsubscribe?token={token}")))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let after: VersionedPreferences = server.get(&ana, "/preferences").await;
    assert_eq!(after.version, before.version + 1);
    assert!(
        !after.preferences.events.uses(Channel::Email),
        "every email channel is off"
    );
    assert!(
        after.preferences.events.assignment.push,
        "nothing else changed"
    );
    server.ingest_ok(&assignment("u2", "c-3", "ana")).await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(sink.messages().len(), 1, "no more email");
}

#[tokio::test]
async fn an_agent_who_chose_portuguese_gets_portuguese() {
    let Some(sink) = Sink::start().await else {
        return;
    };
    let server = server_with_email(&sink).await;
    let carla = server.sign_in("carla").await;
    server
        .edit_prefs(&carla, |p| {
            p.apply(&PrefEdit::Language {
                language: Language::PtBr,
            })
        })
        .await;
    server.ingest_ok(&assignment("pt1", "c-5", "carla")).await;
    let mail = sink.wait_for(1).await;
    assert_eq!(mail[0]["subject"], "Bruno atribuiu a você: Subject of c-5");
    let text = mail[0]["text"].as_str().unwrap();
    assert!(text.starts_with("Olá, CARLA,"), "{text}");
    assert!(
        text.contains("Abrir a conversa: https://acme.example/c/c-5"),
        "{text}"
    );
    assert!(
        text.contains("Você recebe este e-mail")
            && text.contains("Parar todos os e-mails do Herald"),
        "{text}"
    );
    let html = mail[0]["html"].as_str().unwrap();
    assert!(
        html.contains("Olá, CARLA,") && html.contains("Parar todos os e-mails do Herald"),
        "{html}"
    );

    let result: TestEmailResult = server
        .http
        .post(server.api("/email/test"))
        .bearer_auth(&carla)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(result.accepted);
    let mail = sink.wait_for(2).await;
    assert_eq!(mail[1]["subject"], "E-mail de teste do Herald");
}
