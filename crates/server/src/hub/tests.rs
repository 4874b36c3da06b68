//! The registry's unit tests.

use super::*;
use herald_protocol::{SessionLive, UnreadCount};

fn unread(total: u32) -> ServerMessage {
    ServerMessage::Unread {
        unread: UnreadCount { total },
    }
}

#[test]
fn the_live_item_frame_is_what_serde_writes() {
    let notification: herald_protocol::Notification = serde_json::from_str(include_str!(
        "../../../protocol/tests/golden/notification.json"
    ))
    .expect("the golden notification");
    let data = serde_json::to_string(&notification).expect("serialise");
    let message = ServerMessage::Item {
        replay: false,
        notification: Box::new(notification),
    };
    assert_eq!(
        live_item_frame(&data),
        serde_json::to_string(&message).expect("serialise")
    );
}

#[tokio::test]
async fn lists_desktop_apps_once_per_session() {
    let hub = Hub::new(8, 4);
    let agent = Uuid::new_v4();
    let session = Uuid::new_v4();
    let app = |name: &str| StreamClient {
        kind: ClientKind::DesktopApp,
        name: name.into(),
    };
    let a = hub.subscribe(agent, session).expect("a");
    a.set_client(&app("Herald for Linux"));
    a.set_client(&app("renamed later"));
    let b = hub.subscribe(agent, session).expect("b");
    b.set_client(&app("Herald for Linux"));
    let web = hub.subscribe(agent, Uuid::new_v4()).expect("web");
    web.set_client(&StreamClient {
        kind: ClientKind::WebApp,
        name: "Chrome".into(),
    });
    let _silent = hub
        .subscribe(agent, Uuid::new_v4())
        .expect("an older client");
    assert_eq!(hub.apps(agent), vec![(session, "Herald for Linux".into())]);
    assert_eq!(
        a.app_name(),
        Some("Herald for Linux"),
        "the first resume names it"
    );
    assert_eq!(web.app_name(), None);
    web.set_in_front(true);
    let live = hub.live(agent);
    assert_eq!(live.len(), 3, "three sessions");
    assert_eq!(
        live[&session],
        SessionLive {
            streams: 2,
            kind: Some(ClientKind::DesktopApp),
            in_front: false
        }
    );
    drop((a, b));
    assert!(hub.apps(agent).is_empty());
}

#[tokio::test]
async fn caps_connections_and_forgets_dropped_ones() {
    let hub = Hub::new(2, 4);
    let agent = Uuid::new_v4();
    let a = hub.subscribe(agent, Uuid::new_v4()).expect("first");
    let _b = hub.subscribe(agent, Uuid::new_v4()).expect("second");
    assert!(hub.subscribe(agent, Uuid::new_v4()).is_none(), "cap of 2");
    drop(a);
    assert!(
        hub.subscribe(agent, Uuid::new_v4()).is_some(),
        "a slot freed up"
    );
}

#[tokio::test]
async fn a_full_queue_closes_only_that_consumer() {
    let hub = Hub::new(4, 2);
    let agent = Uuid::new_v4();
    let slow = hub.subscribe(agent, Uuid::new_v4()).expect("slow");
    let mut fast = hub.subscribe(agent, Uuid::new_v4()).expect("fast");
    for n in 0..3 {
        hub.publish(agent, &unread(n));
        let got = fast.queue.recv().await.expect("fast gets every message");
        assert!(got.json.contains(&format!("\"total\":{n}")));
    }
    assert_eq!(*slow.close.borrow(), Some(CloseReason::SlowConsumer));
    assert_eq!(*fast.close.borrow(), None, "the fast one stays open");
}

#[tokio::test]
async fn closes_by_session_and_agent() {
    let hub = Hub::new(4, 4);
    let (agent, other) = (Uuid::new_v4(), Uuid::new_v4());
    let session = Uuid::new_v4();
    let a = hub.subscribe(agent, session).expect("a");
    let b = hub.subscribe(agent, Uuid::new_v4()).expect("b");
    let c = hub.subscribe(other, Uuid::new_v4()).expect("c");
    hub.close_session(session, CloseReason::SessionRevoked);
    assert_eq!(*a.close.borrow(), Some(CloseReason::SessionRevoked));
    assert_eq!(*b.close.borrow(), None);
    hub.close_agent(agent, CloseReason::AgentDisabled);
    assert_eq!(*b.close.borrow(), Some(CloseReason::AgentDisabled));
    assert_eq!(*c.close.borrow(), None, "other agents untouched");
}

/// A session's streams on another node, as a hint says.
fn there(agent: Uuid, session: Uuid, count: u32, in_front: bool) -> presence::Change {
    presence::Change {
        agent,
        session,
        streams: presence::Streams {
            count,
            kind: Some(ClientKind::DesktopApp),
            in_front,
            name: Some("Herald for Linux on ana-laptop".into()),
        },
    }
}

#[tokio::test]
async fn windows_in_front_on_other_nodes_count_until_they_leave_or_go_quiet() {
    use herald_protocol::ManualClock;
    let start = chrono::Utc::now();
    let time = ManualClock::new(start);
    let hub = Hub::with_clock(8, 4, time.clock());
    let (agent, desktop, tab) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(hub.computer_active_at(agent), None, "nothing heard yet");

    // Another node's desktop app is in front: the phone waits, as for a local one.
    hub.heard_presence("n2", there(agent, desktop, 1, true));
    time.advance(chrono::Duration::seconds(20));
    assert_eq!(hub.computer_active_at(agent), Some(time.clock().now()));
    assert!(hub.in_front(agent, desktop));
    assert!(!hub.in_front(agent, tab), "per session");
    // It leaves the front: active until then.
    let left = time.clock().now();
    hub.heard_presence("n2", there(agent, desktop, 1, false));
    time.advance(chrono::Duration::seconds(60));
    assert_eq!(hub.computer_active_at(agent), Some(left));
    assert!(!hub.in_front(agent, desktop));

    // Heard once, then never again (its node died): it counts for REMOTE_TTL after the
    // last hint, then as having left when last heard.
    let heard = time.clock().now();
    hub.heard_presence("n2", there(agent, tab, 1, true));
    time.advance(chrono::Duration::from_std(presence::REMOTE_TTL).expect("a TTL"));
    assert!(hub.in_front(agent, tab), "within the TTL");
    time.advance(chrono::Duration::seconds(1));
    assert!(!hub.in_front(agent, tab), "past it");
    assert_eq!(hub.computer_active_at(agent), Some(heard));

    // A stream that ends in front has left it.
    hub.heard_presence("n2", there(agent, tab, 1, true));
    time.advance(chrono::Duration::seconds(5));
    let gone = time.clock().now();
    hub.heard_presence("n2", there(agent, tab, 0, false));
    time.advance(chrono::Duration::seconds(5));
    assert_eq!(hub.computer_active_at(agent), Some(gone));
}

#[tokio::test]
async fn the_phone_app_in_front_on_another_node_is_not_a_computer() {
    use herald_protocol::ManualClock;
    let time = ManualClock::new(chrono::Utc::now());
    let hub = Hub::with_clock(8, 4, time.clock());
    let (agent, phone) = (Uuid::new_v4(), Uuid::new_v4());
    let mut change = there(agent, phone, 1, true);
    change.streams.kind = Some(ClientKind::PhoneApp);
    hub.heard_presence("n2", change.clone());
    assert!(
        hub.in_front(agent, phone),
        "in front of the agent all the same"
    );
    assert_eq!(hub.computer_active_at(agent), None, "but not at a computer");
    // Leaving the front, or going quiet, is not a computer left either.
    change.streams.in_front = false;
    hub.heard_presence("n2", change.clone());
    change.streams.in_front = true;
    hub.heard_presence("n2", change);
    time.advance(chrono::Duration::from_std(presence::REMOTE_TTL).expect("a TTL") * 2);
    assert!(!hub.in_front(agent, phone));
    assert_eq!(hub.computer_active_at(agent), None);
}

#[tokio::test]
async fn sessions_on_other_nodes_are_listed_with_this_nodes_own() {
    use herald_protocol::ManualClock;
    let time = ManualClock::new(chrono::Utc::now());
    let hub = Hub::with_clock(8, 4, time.clock());
    let (agent, here, elsewhere) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let local = hub.subscribe(agent, here).expect("a stream");
    local.set_client(&StreamClient {
        kind: ClientKind::WebApp,
        name: "Firefox".into(),
    });
    // The same session with a tab on each node, and a desktop app on the other node.
    hub.heard_presence("n2", there(agent, elsewhere, 2, true));
    hub.heard_presence(
        "n2",
        presence::Change {
            agent,
            session: here,
            streams: presence::Streams {
                count: 1,
                kind: Some(ClientKind::WebApp),
                ..presence::Streams::default()
            },
        },
    );
    let live = hub.live(agent);
    assert_eq!(
        live.get(&here),
        Some(&SessionLive {
            streams: 2,
            kind: Some(ClientKind::WebApp),
            in_front: false
        })
    );
    assert_eq!(
        live.get(&elsewhere),
        Some(&SessionLive {
            streams: 2,
            kind: Some(ClientKind::DesktopApp),
            in_front: true
        })
    );
    assert_eq!(
        hub.apps(agent),
        vec![(elsewhere, "Herald for Linux on ana-laptop".into())],
        "the other node's desktop app, named as it said"
    );
    // Its node stops telling: gone from both lists after the TTL.
    time.advance(chrono::Duration::from_std(presence::REMOTE_TTL).expect("a TTL"));
    time.advance(chrono::Duration::seconds(1));
    assert!(hub.apps(agent).is_empty());
    assert_eq!(hub.live(agent).len(), 1);
    assert_eq!(hub.live(agent)[&here].streams, 1);
}

#[tokio::test]
async fn this_nodes_sessions_are_told_as_they_change() {
    let hub = Hub::new(8, 4);
    let (tell, mut told) = mpsc::unbounded_channel();
    hub.tell_presence(tell);
    let (agent, desktop) = (Uuid::new_v4(), Uuid::new_v4());
    let mut told_now = || {
        let mut all = Vec::new();
        while let Ok(change) = told.try_recv() {
            assert_eq!((change.agent, change.session), (agent, desktop));
            all.push(change.streams);
        }
        all
    };
    let local = hub.subscribe(agent, desktop).expect("a stream");
    local.set_client(&StreamClient {
        kind: ClientKind::DesktopApp,
        name: "Herald for Linux".into(),
    });
    local.set_in_front(true);
    local.set_in_front(true);
    let app = |count, in_front| presence::Streams {
        count,
        kind: Some(ClientKind::DesktopApp),
        in_front,
        name: Some("Herald for Linux".into()),
    };
    assert_eq!(
        told_now(),
        vec![
            presence::Streams {
                count: 1,
                ..presence::Streams::default()
            },
            app(1, false),
            app(1, true),
        ],
        "connected, said who it is, came to the front; once per change"
    );
    assert_eq!(hub.sessions().len(), 1, "listed for the refresh");
    assert_eq!(hub.sessions()[0].streams, app(1, true));
    drop(local);
    assert_eq!(told_now(), vec![presence::Streams::default()], "none left");
    assert!(hub.sessions().is_empty());
}

#[tokio::test]
async fn an_own_item_the_reader_handed_on_first_counts_every_stream() {
    let hub = Hub::new(8, 8);
    let agent = Uuid::new_v4();
    let mut streams = [
        hub.subscribe(agent, Uuid::new_v4()).expect("one"),
        hub.subscribe(agent, Uuid::new_v4()).expect("two"),
    ];
    hub.floor(agent, 0);
    // A sweep reads the agent between this node's commit of seq 1 and its writer's turn.
    hub.catch_up_all();
    assert_eq!(hub.start_reads(), vec![(agent, 0)]);
    assert!(!hub.read_done(agent, &[(1, "{}".into())], true));
    // The writer's turn: nothing is sent twice, and both streams have the item.
    assert_eq!(hub.publish_committed(agent, &[(1, "{}")]), vec![2]);
    for stream in &mut streams {
        assert_eq!(stream.queue.try_recv().map(|o| o.seq).ok(), Some(Some(1)));
        assert!(stream.queue.try_recv().is_err(), "once");
    }
}

#[tokio::test]
async fn the_fanout_lag_counts_hinted_items_from_their_stamp_to_their_hand_on() {
    use herald_protocol::ManualClock;
    let time = ManualClock::new(chrono::Utc::now());
    let hub = Hub::with_clock(8, 8, time.clock());
    let agent = Uuid::new_v4();
    let _stream = hub.subscribe(agent, Uuid::new_v4()).expect("a stream");
    // Hinted before the stream read where the agent stands, and covered by its replay:
    // not the fan-out's wait.
    hub.hinted(agent, 2, Some(time.clock().now()));
    hub.floor(agent, 2);
    // Another node's items 3..=4, stamped by it 40 ms before they are handed on here.
    hub.hinted(agent, 4, Some(time.clock().now()));
    time.advance(chrono::Duration::milliseconds(40));
    assert_eq!(hub.start_reads(), vec![(agent, 2)]);
    let items = [(3, "{}".to_owned()), (4, "{}".to_owned())];
    assert!(!hub.read_done(agent, &items, true));
    // A sweep's hint has no stamp: nothing counted.
    hub.hinted(agent, 5, None);
    assert_eq!(hub.start_reads(), vec![(agent, 4)]);
    assert!(!hub.read_done(agent, &[(5, "{}".to_owned())], true));

    let mut out = String::new();
    hub.fanout_lag().render(&mut out, "lag", "");
    assert_eq!(hub.fanout_lag().count(), 1, "{out}");
    assert!(out.contains("lag_bucket{le=\"0.025\"} 0\n"), "{out}");
    assert!(out.contains("lag_bucket{le=\"0.05\"} 1\n"), "{out}");
    assert!(out.contains("lag_sum 0.04\n"), "{out}");
}
