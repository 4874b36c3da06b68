//! Background work with two nodes on one PostgreSQL database: one node runs it at a time (a
//! session-level advisory lock is the lease), so an email alert ingested on either node is
//! sent once; when that node stops, the other takes the work over and sends what comes due.
//!
//! Needs the PostgreSQL cluster (`HERALD_TEST_POSTGRES`) and the SMTP test server (Python
//! with aiosmtpd); fails without them unless `HERALD_SKIP_POSTGRES` / `HERALD_SKIP_SMTP`
//! ask to skip, loudly.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::smtp_sink::Sink;
use common::{assignment, TestServer};
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

#[tokio::test]
async fn each_alert_is_sent_once_and_the_other_node_takes_the_work_over() {
    let Some(database) = common::store::postgres_or_skip().await else {
        return;
    };
    let Some(sink) = Sink::start().await else {
        return;
    };
    let port = sink.port;
    let email = move |c: &mut ServerConfig| {
        let mut email = EmailConfig::new(
            format!("smtp://127.0.0.1:{port}"),
            "Herald <herald@acme.test>",
        );
        email.alert_delay = Duration::from_millis(200);
        email.poll = Duration::from_millis(50);
        email.public_url = Some("https://herald.acme.test".into());
        c.email = Some(email);
    };
    let a = TestServer::start_on(database, email).await;
    let b = a.another_node(email).await;
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
