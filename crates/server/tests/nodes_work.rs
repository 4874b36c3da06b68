//! Background work with two nodes on one PostgreSQL database: one node runs it at a time (a
//! session-level advisory lock is the lease), so an email alert ingested on either node is
//! sent once; when that node stops, the other takes the work over and sends what comes due.
//! "Save and test" on the node that does not send reports the relay's answer as soon as the
//! other node recorded it.
//!
//! Needs the PostgreSQL cluster (`HERALD_TEST_POSTGRES`) and the SMTP test server (Python
//! with aiosmtpd); fails without them unless `HERALD_SKIP_POSTGRES` / `HERALD_SKIP_SMTP`
//! ask to skip, loudly.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::smtp_sink::Sink;
use common::{assignment, TestServer};
use herald_protocol::TestEmail;
use herald_server::email::EmailConfig;
use herald_server::ServerConfig;

/// Whether `node` runs the background work now, from `/metrics`.
async fn leads(node: &TestServer) -> bool {
    node.metrics()
        .await
        .lines()
        .any(|l| l == "herald_background_leader 1")
}

/// Which of the two runs the background work, once one does (never both).
async fn leader(a: &TestServer, b: &TestServer) -> bool {
    herald_testkit::wait_for("one node runs the background work", || async {
        let (on_a, on_b) = (leads(a).await, leads(b).await);
        assert!(!(on_a && on_b), "both nodes run the background work");
        (on_a || on_b).then_some(on_a)
    })
    .await
}

/// Nodes A and B on one fresh database, with email through the test's SMTP server (alerts
/// 200 ms after their event) and their settings edited by `edit`; `None` when the test is
/// told to skip (said loudly).
async fn two_nodes_with_email(
    edit: impl Fn(&mut ServerConfig) + Copy,
) -> Option<(TestServer, TestServer, Sink)> {
    let database = common::store::postgres_or_skip().await?;
    let sink = Sink::start().await?;
    let port = sink.port;
    let config = move |c: &mut ServerConfig| {
        let mut email = EmailConfig::new(
            format!("smtp://127.0.0.1:{port}"),
            "Herald <herald@acme.test>",
        );
        email.alert_delay = Duration::from_millis(200);
        email.poll = Duration::from_millis(50);
        email.public_url = Some("https://herald.acme.test".into());
        c.email = Some(email);
        edit(c);
    };
    let a = TestServer::start_on(database, config).await;
    let b = a.another_node(config).await;
    Some((a, b, sink))
}

#[tokio::test]
async fn each_alert_is_sent_once_and_the_other_node_takes_the_work_over() {
    let Some((a, b, sink)) = two_nodes_with_email(|_| {}).await else {
        return;
    };
    let a_leads = leader(&a, &b).await;

    // Alerts ingested on both nodes: each sent once.
    for n in 0..10 {
        a.ingest_ok(&assignment(&format!("a{n}"), &format!("ca{n}"), "from A"))
            .await;
        b.ingest_ok(&assignment(&format!("b{n}"), &format!("cb{n}"), "from B"))
            .await;
    }
    sink.wait_for(20).await;
    // A last one after them: once it is in, a second sending of any earlier would be too.
    a.ingest_ok(&assignment("marker", "c-marker", "marker"))
        .await;
    sink.wait_for(21).await;
    assert_eq!(sink.messages().len(), 21, "every alert once");

    // The leading node stops (its connection, and with it the lock, goes): the other
    // takes the work over and sends what comes due.
    let (mut gone, other) = if a_leads { (a, b) } else { (b, a) };
    gone.stop().await;
    herald_testkit::wait_for("the other node takes the work over", || async {
        leads(&other).await.then_some(())
    })
    .await;
    other
        .ingest_ok(&assignment("after", "c-after", "after the stop"))
        .await;
    sink.wait_for(22).await;
    assert_eq!(sink.messages().len(), 22, "the new alert once");
}

#[tokio::test]
async fn save_and_test_on_the_node_that_does_not_send_reports_the_relays_answer() {
    // A wait far longer than the client's: only an answer read from what the other node
    // recorded comes in time (this node hears no announcement of it).
    let Some((a, b, sink)) =
        two_nodes_with_email(|c| c.push.test_wait = Duration::from_secs(120)).await
    else {
        return;
    };
    let idle = if leader(&a, &b).await { &b } else { &a };
    let ana = idle.sign_in("ana").await;
    let result = idle
        .test_notification_within(
            &ana,
            Duration::from_secs(30),
            "the other node recorded the relay's answer",
        )
        .await;
    assert!(
        matches!(result.email, TestEmail::Accepted { code: 250, .. }),
        "the relay's answer, not {:?}",
        result.email
    );
    assert_eq!(
        sink.wait_for(1).await.len(),
        1,
        "sent once, by the other node"
    );
}
