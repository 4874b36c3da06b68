//! OS notification decisions on the client: bursts fold per conversation, mentions always
//! show at once, and every item keeps its trail ("why did / didn't I get this?").

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use herald_core::api::Api;
use herald_core::client::{Client, ClientConfig, DeviceContext, OsOutcome};
use herald_core::config::ServerUrl;
use herald_core::ports::ConnState;
use herald_core::prefsync::PrefSync;
use herald_core::sensitive::Sensitive;
use herald_core::state::LocalState;
use herald_core::state::MemoryState;
use herald_protocol::{
    ActorRef, EventKind, Language, OsPermission, PrefEdit, PushScope, Reason, SoundPreferences,
    Tone,
};
use herald_testkit::wait_until as until;
use support::*;
use tokio_util::sync::CancellationToken;

/// A signed-in client with the burst `window`, following preferences with `edits` applied
/// (none: the client decides with the server's copy).
async fn start_with(
    server: &TestServer,
    window: Duration,
    edits: &[PrefEdit],
) -> (Client, Arc<Recorder>, CancellationToken) {
    let api = Api::new(ServerUrl::parse(&server.url(), false).unwrap()).unwrap();
    let (token, _) = api
        .sign_in("ana@acme.test", &Sensitive::new(PASSWORD.into()), None)
        .await
        .unwrap();
    let local: Arc<dyn LocalState> = Arc::new(MemoryState::default());
    let recorder = Arc::new(Recorder::default());
    let config = ClientConfig {
        coalesce_window: window,
        ..ClientConfig::default()
    };
    let client = Client::new(
        api.clone(),
        token.clone(),
        local.clone(),
        recorder.clone(),
        recorder.clone(),
        config,
    )
    .unwrap();
    if !edits.is_empty() {
        let base = api.preferences(&token).await.unwrap();
        let sync = PrefSync::new(api, token, base, local).unwrap();
        for edit in edits {
            sync.edit(edit.clone()).unwrap();
        }
        client.attach_preferences(Arc::new(sync));
    }
    let stop = CancellationToken::new();
    tokio::spawn({
        let (client, stop) = (client.clone(), stop.clone());
        async move { client.run(stop).await }
    });
    let conn = client.connection();
    until("the stream is live", || *conn.borrow() == ConnState::Live).await;
    (client, recorder, stop)
}

async fn start(
    server: &TestServer,
    window: Duration,
) -> (Client, Arc<Recorder>, CancellationToken) {
    start_with(server, window, &[]).await
}

/// Waits until the client has decided for the item of `event` (its trail exists). The
/// position alone moves before the decision is made.
async fn decided(client: &Client, event: &str) {
    let what = format!("{event} is decided");
    until(&what, || {
        client
            .bell()
            .0
            .iter()
            .find(|n| n.event_id == event)
            .is_some_and(|n| client.why(n.id).is_some())
    })
    .await;
}

#[tokio::test]
async fn a_burst_in_one_conversation_folds_but_a_mention_shows_at_once() {
    let server = TestServer::start().await;
    let (client, recorder, stop) = start(&server, Duration::from_millis(600)).await;
    for n in 0..4 {
        server.ingest(&format!("b{n}")).await;
    }
    let mut mention = reply("m1");
    mention.kind = EventKind::Mention;
    mention.actor = Some(ActorRef {
        agent_id: Some("bruno".into()),
        name: "Bruno".into(),
    });
    mention.mentioned = vec!["ana".into()];
    server.ingest_event(&mention).await;
    until("five items", || client.position().0 == 5).await;
    // The position moves before an item's OS notification is raised: wait for the two
    // notifications this test means, then check that nothing else came with them.
    until("the first reply and the mention are shown", || {
        recorder.shown.lock().unwrap().len() >= 2
    })
    .await;
    let shown_now: Vec<String> = recorder
        .shown
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.title.clone())
        .collect();
    assert_eq!(
        shown_now.len(),
        2,
        "the first reply and the mention, nothing else yet: {shown_now:?}"
    );
    assert!(shown_now[1].contains("mentioned you"), "{shown_now:?}");

    until("the burst closes", || {
        recorder.shown.lock().unwrap().len() == 3
    })
    .await;
    let summary = recorder.shown.lock().unwrap()[2].clone();
    assert!(
        summary.title.starts_with("3 more in Pedido #4821"),
        "{}",
        summary.title
    );

    let (items, _) = client.bell();
    let by_event = |id: &str| items.iter().find(|n| n.event_id == id).unwrap().id;
    let first = by_event("b0");
    assert_eq!(client.why(first).unwrap().os, OsOutcome::Shown);
    for folded in ["b1", "b2", "b3"] {
        assert_eq!(
            client.why(by_event(folded)).unwrap().os,
            OsOutcome::Coalesced { into: first },
            "{folded}"
        );
    }
    assert_eq!(client.why(by_event("m1")).unwrap().os, OsOutcome::Shown);
    stop.cancel();
}

#[tokio::test]
async fn why_says_what_stopped_a_notification() {
    let server = TestServer::start().await;
    let (client, recorder, stop) = start(&server, Duration::ZERO).await;
    // A new conversation: the bell only, by default.
    let mut new = reply("n1");
    new.kind = EventKind::NewConversation;
    new.assignee = None;
    server.ingest_event(&new).await;
    // A reply while the window is focused: the bell shows it, no OS notification.
    decided(&client, "n1").await;
    client.set_device(DeviceContext {
        app_focused: true,
        ..DeviceContext::default()
    });
    server.ingest("r1").await;
    decided(&client, "r1").await;
    // The OS blocks notifications.
    client.set_device(DeviceContext {
        push_permission: OsPermission::Denied,
        ..DeviceContext::default()
    });
    server.ingest("r2").await;
    decided(&client, "r2").await;

    let (items, _) = client.bell();
    let trail = |event: &str| {
        client
            .why(items.iter().find(|n| n.event_id == event).unwrap().id)
            .unwrap()
    };
    let new_conv = trail("n1");
    assert_eq!(new_conv.os, OsOutcome::NotShown);
    assert_eq!(new_conv.local.push.reasons, [Reason::ChannelOff]);
    assert!(new_conv.server.dashboard.delivers());
    let focused = trail("r1");
    assert_eq!(focused.os, OsOutcome::NotShown);
    assert!(focused.local.push.reasons.contains(&Reason::AppFocused));
    assert!(
        focused.local.sound.delivers(),
        "the in-app sound still plays"
    );
    let denied = trail("r2");
    assert!(
        denied
            .local
            .push
            .reasons
            .contains(&Reason::PermissionDenied),
        "{:?}",
        denied.local.push
    );
    assert!(recorder.shown.lock().unwrap().is_empty());
    stop.cancel();
}

#[tokio::test]
async fn older_pages_load_and_actions_open_only_https_links() {
    let server = TestServer::start().await;
    for n in 0..60 {
        let mut event = reply(&format!("p{n}"));
        event.conversation.as_mut().unwrap().url = Some(if n == 59 {
            "javascript:alert(1)".into()
        } else {
            "https://acme.example/c/1".into()
        });
        server.ingest_event(&event).await;
    }
    let (client, _, stop) = start(&server, Duration::ZERO).await;
    until("caught up", || client.position().0 == 60).await;
    // 60 items replayed on a first start: all held.
    assert_eq!(client.bell().0.len(), 60);
    assert_eq!(
        client.load_older(50).await.unwrap().len(),
        0,
        "nothing older than the first item"
    );

    let (items, _) = client.bell();
    let hostile = items.iter().find(|n| n.event_id == "p59").unwrap().id;
    let fine = items.iter().find(|n| n.event_id == "p1").unwrap().id;
    assert_eq!(
        client
            .act(hostile, herald_core::client::NotificationAction::Open)
            .await
            .unwrap(),
        None,
        "a javascript: link is never opened"
    );
    assert_eq!(
        client
            .act(fine, herald_core::client::NotificationAction::Open)
            .await
            .unwrap()
            .as_deref(),
        Some("https://acme.example/c/1")
    );
    until("both marked read", || client.bell().1.total == 58).await;
    stop.cancel();
}

#[tokio::test]
async fn mark_all_reads_everything_here_and_on_the_server() {
    let server = TestServer::start().await;
    for n in 0..5 {
        server.ingest(&format!("all{n}")).await;
    }
    let (client, _, stop) = start(&server, Duration::ZERO).await;
    until("caught up", || client.position().0 == 5).await;
    assert_eq!(client.bell().1.total, 5);

    let result = client.mark_all().await.unwrap();
    assert_eq!(result.changed, 5);
    assert!(client.bell().0.iter().all(|n| n.read_at.is_some()));
    until("the counter from the server", || client.bell().1.total == 0).await;

    let api = Api::new(ServerUrl::parse(&server.url(), false).unwrap()).unwrap();
    let (token, _) = api
        .sign_in("ana@acme.test", &Sensitive::new(PASSWORD.into()), None)
        .await
        .unwrap();
    assert_eq!(api.unread(&token).await.unwrap().total, 0);
    stop.cancel();
}

#[tokio::test]
async fn os_notifications_are_worded_in_the_agents_language_and_carry_its_tone() {
    let server = TestServer::start().await;
    let edits = [
        PrefEdit::PushScope {
            scope: PushScope::All,
        },
        PrefEdit::Language {
            language: Language::PtBr,
        },
        PrefEdit::Sound {
            sound: SoundPreferences {
                enabled: true,
                tone: Tone::Knock,
                volume: 40,
            },
        },
    ];
    let (_client, recorder, stop) = start_with(&server, Duration::ZERO, &edits).await;
    server.ingest("pt1").await;
    until("an OS notification", || {
        !recorder.shown.lock().unwrap().is_empty()
    })
    .await;
    let shown = recorder.shown.lock().unwrap().clone();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].title.contains(" respondeu: "),
        "{}",
        shown[0].title
    );
    assert_eq!(
        shown[0].sound,
        Some(Tone::Knock),
        "the notification carries the agent's tone, so the shell needs no lookup"
    );
    stop.cancel();
}
