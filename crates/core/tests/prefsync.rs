//! Preference sync against a real server: two devices at once, offline, expired session.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use herald_core::api::Api;
use herald_core::config::ServerUrl;
use herald_core::error::ErrorKind;
use herald_core::prefsync::{PrefSync, SaveStatus};
use herald_core::sensitive::Sensitive;
use herald_core::state::{LocalState, MemoryState};
use herald_protocol::{Channel, EventKind, PrefEdit, PushScope, SoundPreferences, Tone};
use herald_testkit::wait_until;
use support::*;

async fn device(server_url: &str) -> (Api, Sensitive<String>, PrefSync, Arc<dyn LocalState>) {
    let api = Api::new(ServerUrl::parse(server_url, false).unwrap()).unwrap();
    let (token, _) = api
        .sign_in("ana@acme.test", &Sensitive::new(PASSWORD.into()), None)
        .await
        .unwrap();
    let base = api.preferences(&token).await.unwrap();
    let local: Arc<dyn LocalState> = Arc::new(MemoryState::default());
    let sync = PrefSync::new(api.clone(), token.clone(), base, local.clone()).unwrap();
    (api, token, sync, local)
}

const QUIET_SOUND: SoundPreferences = SoundPreferences {
    enabled: true,
    tone: Tone::Ping,
    volume: 15,
};

#[tokio::test]
async fn edits_from_two_devices_at_once_are_both_kept() {
    let server = TestServer::start().await;
    let (api, token, laptop, _) = device(&server.url()).await;
    let (_, _, phone, _) = device(&server.url()).await;
    // Both start from version 1 and edit different things.
    laptop
        .edit(PrefEdit::PushScope {
            scope: PushScope::All,
        })
        .unwrap();
    laptop
        .edit(PrefEdit::Channel {
            kind: EventKind::Reply,
            channel: Channel::Email,
            on: true,
        })
        .unwrap();
    phone.edit(PrefEdit::Sound { sound: QUIET_SOUND }).unwrap();
    laptop.flush().await.unwrap();
    phone.flush().await.unwrap(); // 412, refetch, re-apply, save
    let server_copy = api.preferences(&token).await.unwrap();
    assert_eq!(
        server_copy.version, 3,
        "one save each (the laptop's two edits coalesced)"
    );
    assert_eq!(server_copy.preferences.push_scope, PushScope::All);
    assert!(server_copy.preferences.events.reply.email);
    assert_eq!(server_copy.preferences.sound, QUIET_SOUND);
    assert_eq!(phone.view(), server_copy.preferences);
    assert_eq!(*phone.status().borrow(), SaveStatus::Saved);
    assert!(phone.pending().is_empty());
}

#[tokio::test]
async fn offline_edits_wait_and_survive_a_restart_of_the_app() {
    let mut server = TestServer::start().await;
    let addr = server.addr();
    let (api, token, sync, local) = device(&server.url()).await;
    server.running.take().unwrap().shutdown().await; // the network is gone
    let view = sync
        .edit(PrefEdit::MentionsAlwaysAlert { on: false })
        .unwrap();
    assert!(!view.mentions_always_alert, "the edit shows at once");
    let err = sync.flush().await.expect_err("offline");
    assert_eq!(err.kind, ErrorKind::Offline);
    assert!(matches!(
        *sync.status().borrow(),
        SaveStatus::Failed {
            kind: ErrorKind::Offline,
            ..
        }
    ));
    assert_eq!(local.load().unwrap().pending_edits.len(), 1, "kept on disk");

    // The app restarts while offline, then the network comes back.
    drop(sync);
    let base = local.load().unwrap().preferences.unwrap_or_else(|| {
        herald_protocol::VersionedPreferences {
            version: 1,
            preferences: Default::default(),
        }
    });
    let again = PrefSync::new(api.clone(), token.clone(), base, local.clone()).unwrap();
    assert!(
        !again.view().mentions_always_alert,
        "the unsaved edit came back"
    );
    let mut config = server_config(&server.dir.path().join("h.db"));
    config.bind = addr;
    server.running = Some(herald_server::start(config).await.unwrap());
    again.flush().await.unwrap();
    assert!(
        !api.preferences(&token)
            .await
            .unwrap()
            .preferences
            .mentions_always_alert
    );
    assert!(local.load().unwrap().pending_edits.is_empty());
}

#[tokio::test]
async fn an_expired_session_keeps_the_edits_until_the_agent_signs_in_again() {
    let server = TestServer::start().await;
    let (api, token, sync, _) = device(&server.url()).await;
    api.sign_out(&token).await.unwrap(); // expired / revoked elsewhere
    sync.edit(PrefEdit::UnreadBadge { on: false }).unwrap();
    let err = sync.flush().await.expect_err("signed out");
    assert_eq!(err.kind, ErrorKind::SignedOut);
    assert_eq!(sync.pending().len(), 1, "nothing lost");
    let (fresh, _) = api
        .sign_in("ana@acme.test", &Sensitive::new(PASSWORD.into()), None)
        .await
        .unwrap();
    sync.set_token(fresh.clone());
    sync.flush().await.unwrap();
    assert!(
        !api.preferences(&fresh)
            .await
            .unwrap()
            .preferences
            .unread_badge
    );
}

#[tokio::test]
async fn an_invalid_edit_is_refused_at_once() {
    let server = TestServer::start().await;
    let (_, _, sync, _) = device(&server.url()).await;
    let err = sync
        .edit(PrefEdit::EmailTimeZone {
            time_zone: "Mars/Olympus".into(),
        })
        .expect_err("invalid");
    assert_eq!(err.kind, ErrorKind::InvalidInput);
    assert_eq!(err.fields[0].field, "email.time_zone");
    assert!(sync.pending().is_empty());
    assert_eq!(*sync.status().borrow(), SaveStatus::Saved);
}

#[tokio::test]
async fn kept_edits_go_out_by_themselves_when_the_stream_is_back() {
    use herald_core::client::{Client, ClientConfig};
    let mut server = TestServer::start().await;
    let addr = server.addr();
    let (api, token, sync, local) = device(&server.url()).await;
    let sync = Arc::new(sync);
    let recorder = Arc::new(Recorder::default());
    let config = ClientConfig {
        backoff_base: std::time::Duration::from_millis(50),
        backoff_cap: std::time::Duration::from_millis(200),
        ..ClientConfig::default()
    };
    let client = Client::new(
        api.clone(),
        token.clone(),
        local,
        recorder.clone(),
        recorder,
        config,
    )
    .unwrap();
    client.attach_preferences(sync.clone());
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn({
        let (client, stop) = (client.clone(), stop.clone());
        async move { client.run(stop).await }
    });
    server.running.take().unwrap().shutdown().await;
    sync.edit(PrefEdit::PushScope {
        scope: PushScope::All,
    })
    .unwrap();
    assert!(sync.flush().await.is_err(), "offline");
    let mut config = server_config(&server.dir.path().join("h.db"));
    config.bind = addr;
    server.running = Some(herald_server::start(config).await.unwrap());
    wait_until(
        "the kept edit is sent on reconnect, nobody called flush",
        || sync.pending().is_empty(),
    )
    .await;
    assert_eq!(
        api.preferences(&token)
            .await
            .unwrap()
            .preferences
            .push_scope,
        PushScope::All
    );
    stop.cancel();
}

#[tokio::test]
async fn a_locked_row_cannot_be_switched_off_from_the_app() {
    let server = TestServer::start().await;
    let (api, token, sync, _) = device(&server.url()).await;
    // An edit kept from before the lock (offline, say), of the cell about to be locked.
    sync.edit(PrefEdit::Channel {
        kind: EventKind::Assignment,
        channel: Channel::Push,
        on: false,
    })
    .unwrap();
    let db = &server.running.as_ref().unwrap().db;
    let ws = herald_server::admin::ensure_workspace(db, "Acme")
        .await
        .unwrap();
    let policy = herald_protocol::WorkspacePolicy {
        defaults: None,
        locks: vec![herald_protocol::Lock::Channel {
            kind: EventKind::Assignment,
            channel: Channel::Push,
            on: true,
        }],
        locked_by: Some("Acme leads".into()),
    };
    herald_server::workspace_policy::set(db, ws, &policy, chrono::Utc::now())
        .await
        .unwrap();
    // The kept edit meets the lock on save: the save goes through, the lock holds.
    sync.flush().await.unwrap();
    let saved = api.preferences(&token).await.unwrap();
    assert!(saved.preferences.events.assignment.push);
    assert_eq!(saved.preferences.locked_by.as_deref(), Some("Acme leads"));
    assert!(sync.view().events.assignment.push);
    // From now on the app refuses the edit at once, with who locked it.
    let err = sync
        .edit(PrefEdit::Channel {
            kind: EventKind::Assignment,
            channel: Channel::Push,
            on: false,
        })
        .expect_err("locked");
    assert_eq!(err.kind, ErrorKind::InvalidInput);
    assert_eq!(err.message, "this setting is locked by Acme leads");
    assert!(sync.pending().is_empty());
    assert_eq!(*sync.status().borrow(), SaveStatus::Saved);
    // Other settings are still the agent's.
    sync.edit(PrefEdit::Channel {
        kind: EventKind::Assignment,
        channel: Channel::Email,
        on: false,
    })
    .unwrap();
    sync.flush().await.unwrap();
    let after = api.preferences(&token).await.unwrap();
    assert!(!after.preferences.events.assignment.email);
    assert!(after.preferences.events.assignment.push);
}
