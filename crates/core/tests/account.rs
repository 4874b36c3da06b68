//! The account on a device, headless against a real server: sign in, restore from the
//! keychain, the session ending on the server, debounced saves with their state told to the
//! UI, pausing from outside the preferences, the indicators, and the diagnostics.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use herald_core::account::{Account, AccountConfig, AccountPorts};
use herald_core::client::{ClientConfig, DeviceContext};
use herald_core::diagnostics::{Finding, OsCheck, Topic, Verdict};
use herald_core::error::ErrorKind;
use herald_core::ports::{ConnState, UiEvent};
use herald_core::prefsync::SaveStatus;
use herald_core::secret::{MemoryStore, SecretStore};
use herald_core::sensitive::Sensitive;
use herald_core::state::{FileState, LocalState};
use herald_core::views::PausePreset;
use herald_protocol::{ManualClock, OsPermission, PrefEdit, PushScope};
use herald_server::admin;
use herald_testkit::wait_until;
use support::*;

/// A device: its keychain, its state file and what the shell would be told.
struct Device {
    secrets: Arc<dyn SecretStore>,
    local: Arc<dyn LocalState>,
    clock: ManualClock,
    _dir: tempfile::TempDir,
}

impl Device {
    fn new() -> Device {
        let dir = tempfile::tempdir().unwrap();
        Device {
            secrets: Arc::new(MemoryStore::default()),
            local: Arc::new(FileState::new(dir.path().join("state.json"))),
            clock: ManualClock::new(
                chrono::Utc
                    .with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
                    .single()
                    .unwrap(),
            ),
            _dir: dir,
        }
    }

    /// A new start of the app on this device.
    fn account(&self) -> (Account, Arc<Recorder>) {
        let recorder = Arc::new(Recorder::default());
        let account = Account::new(
            AccountConfig {
                device_name: "test device".into(),
                client: ClientConfig {
                    clock: self.clock.clock(),
                    ..ClientConfig::default()
                },
                save_debounce: Duration::from_millis(50),
                ..AccountConfig::default()
            },
            AccountPorts {
                secrets: self.secrets.clone(),
                local: self.local.clone(),
                notifier: recorder.clone(),
                sink: recorder.clone(),
                runtime: tokio::runtime::Handle::current(),
            },
            DeviceContext::default(),
        );
        (account, recorder)
    }
}

async fn signed_in(server: &TestServer, device: &Device) -> (Account, Arc<Recorder>) {
    let (account, recorder) = device.account();
    account.restore().await;
    let agent = account
        .sign_in(
            &server.url(),
            "ana@acme.test",
            Sensitive::new(PASSWORD.into()),
        )
        .await
        .unwrap();
    assert_eq!(agent.external_id, "ana");
    let live = account.indicators();
    wait_until("the stream is live", || {
        live.borrow().connection == ConnState::Live
    })
    .await;
    (account, recorder)
}

fn events(recorder: &Recorder) -> Vec<UiEvent> {
    recorder.events.lock().unwrap().clone()
}

#[tokio::test]
async fn signing_in_follows_the_agent_and_the_indicators_count() {
    let server = TestServer::start().await;
    let device = Device::new();
    let (account, _) = device.account();
    assert_eq!(
        account.bell_view().unwrap_err().kind,
        ErrorKind::SignedOut,
        "nobody is signed in before the restore"
    );
    account.restore().await;
    let view = account.session_view();
    assert!(!view.signed_in && !view.restoring, "{view:?}");

    let (account, _) = signed_in(&server, &device).await;
    server.ingest("r1").await;
    server.ingest("r2").await;
    let indicators = account.indicators();
    wait_until("the tray would show 2 unread", || {
        indicators.borrow().unread == 2
    })
    .await;
    let bell = account.bell_view().unwrap();
    assert_eq!(bell.items.len(), 2);
    assert_eq!(bell.unread.total, 2, "the counter agrees with the items");
    assert_eq!(
        bell.last_event_at,
        Some(device.clock.clock().now()),
        "the last event's time comes from the account's clock"
    );
    let view = account.session_view();
    assert!(view.signed_in);
    assert_eq!(view.agent.unwrap().email, "ana@acme.test");
    assert_eq!(
        view.server,
        Some(format!("{}/", server.url())),
        "the form is prefilled with the server signed in to"
    );
    account.shutdown();
}

#[tokio::test]
async fn a_new_start_restores_the_session_from_the_keychain() {
    let server = TestServer::start().await;
    let device = Device::new();
    let (first, _) = signed_in(&server, &device).await;
    first.shutdown();

    let (again, recorder) = device.account();
    assert!(
        again.session_view().restoring,
        "restoring until restore() ends"
    );
    again.restore().await;
    assert!(
        events(&recorder).contains(&UiEvent::Restored),
        "the UI is told the restore is over"
    );
    let view = again.session_view();
    assert!(view.signed_in && !view.restoring, "{view:?}");
    assert_eq!(view.agent.unwrap().external_id, "ana");
    again.shutdown();
}

#[tokio::test]
async fn a_session_ended_on_the_server_forgets_its_token_and_says_why() {
    let server = TestServer::start().await;
    let device = Device::new();
    let (account, recorder) = signed_in(&server, &device).await;
    admin::disable_agent(&server.running.as_ref().unwrap().db, "ana@acme.test")
        .await
        .unwrap();
    wait_until("the UI is told the session ended", || {
        events(&recorder)
            .iter()
            .any(|e| matches!(e, UiEvent::SignedOut { .. }))
    })
    .await;
    let reason = events(&recorder)
        .into_iter()
        .find_map(|e| match e {
            UiEvent::SignedOut { reason } => Some(reason),
            _ => None,
        })
        .unwrap();
    assert!(reason.contains("disabled"), "{reason}");
    assert_eq!(account.signed_in().unwrap_err().kind, ErrorKind::SignedOut);
    assert_eq!(
        account.indicators().borrow().connection,
        ConnState::Stopped,
        "the tray shows signed out"
    );

    let (again, _) = device.account();
    again.restore().await;
    assert!(
        !again.session_view().signed_in,
        "the ended session's token is gone from the keychain"
    );
}

#[tokio::test]
async fn edits_are_saved_after_a_pause_in_typing_and_the_save_state_is_told() {
    let server = TestServer::start().await;
    let device = Device::new();
    let (account, recorder) = signed_in(&server, &device).await;
    account
        .edit(PrefEdit::PushScope {
            scope: PushScope::All,
        })
        .unwrap();
    account
        .edit(PrefEdit::Language {
            language: herald_protocol::Language::PtBr,
        })
        .unwrap();
    assert_eq!(
        account.indicators().borrow().language,
        herald_protocol::Language::PtBr,
        "the tray's words follow the edit at once"
    );
    wait_until("the save state is saved again", || {
        account.prefs_view().unwrap().status == SaveStatus::Saved
    })
    .await;
    let told: Vec<SaveStatus> = events(&recorder)
        .into_iter()
        .filter_map(|e| match e {
            UiEvent::Save { status } => Some(status),
            _ => None,
        })
        .collect();
    assert!(
        told.contains(&SaveStatus::Saving) && told.last() == Some(&SaveStatus::Saved),
        "the UI saw saving, then saved: {told:?}"
    );
    let (api, token) = (
        account.signed_in().unwrap().session().api.clone(),
        account.signed_in().unwrap().session().token.clone(),
    );
    let on_server = api.preferences(&token).await.unwrap();
    assert_eq!(on_server.preferences.push_scope, PushScope::All);
    assert_eq!(on_server.version, 2, "both edits went in one request");
    account.shutdown();
}

#[tokio::test]
async fn pausing_from_the_tray_tells_an_open_window() {
    let server = TestServer::start().await;
    let device = Device::new();
    let (account, recorder) = signed_in(&server, &device).await;
    let paused = account.pause(PausePreset::Hour).unwrap();
    let until = device.clock.clock().now() + chrono::Duration::hours(1);
    assert_eq!(
        paused.paused_until,
        Some(until),
        "an hour on the account's clock"
    );
    let told = events(&recorder).into_iter().rev().find_map(|e| match e {
        UiEvent::Preferences { preferences } => Some(preferences),
        _ => None,
    });
    let told = told.expect("the window is told");
    assert_eq!(told.preferences.paused_until, Some(until));
    assert!(told.version >= 1, "a real version, not a made-up one");
    account.shutdown();
}

fn granted() -> OsCheck {
    OsCheck {
        permission: OsPermission::Granted,
        permission_detail: "test".into(),
        service: None,
        service_error: None,
        platform: "linux".into(),
    }
}

#[tokio::test]
async fn diagnostics_decide_each_card_from_the_live_account() {
    let server = TestServer::start().await;
    let device = Device::new();
    let (account, _) = signed_in(&server, &device).await;
    let diag = account.diagnostics(granted(), None).await;
    let card = |topic| {
        diag.cards
            .iter()
            .find(|c| c.topic == topic)
            .cloned()
            .unwrap()
    };
    assert_eq!(diag.connection, ConnState::Live);
    assert!(diag.server.reachable, "{:?}", diag.server);
    assert_eq!(diag.profile_email.as_deref(), Some("ana@acme.test"));
    assert_eq!(
        card(Topic::Push).verdict,
        Verdict::Ok,
        "{:?}",
        card(Topic::Push)
    );
    assert!(
        card(Topic::Push)
            .findings
            .contains(&Finding::PushOnlyAssigned),
        "the default push scope is said, not counted as a problem"
    );
    assert_eq!(card(Topic::Email).verdict, Verdict::Problem);
    assert_eq!(
        card(Topic::Email).findings,
        vec![Finding::EmailNotConfigured],
        "this test server has no SMTP relay"
    );

    account.update_device(|d| d.device_muted = true);
    account
        .edit(PrefEdit::PausedUntil {
            until: Some(device.clock.clock().now() + chrono::Duration::minutes(30)),
        })
        .unwrap();
    let diag = account.diagnostics(granted(), None).await;
    let push = diag.cards.iter().find(|c| c.topic == Topic::Push).unwrap();
    assert_eq!(push.verdict, Verdict::Problem);
    assert!(push.findings.contains(&Finding::DeviceMuted), "{push:?}");
    assert!(
        push.findings
            .iter()
            .any(|f| matches!(f, Finding::Paused { .. })),
        "{push:?}"
    );
    account.shutdown();
}

#[tokio::test]
async fn an_offline_start_shows_the_cached_session_and_keeps_edits_for_later() {
    let mut server = TestServer::start().await;
    let device = Device::new();
    let (first, _) = signed_in(&server, &device).await;
    server.ingest("before").await;
    wait_until("the item is held", || {
        first.bell_view().unwrap().items.len() == 1
    })
    .await;
    first.shutdown();
    server.running.take().unwrap().shutdown().await;

    let (offline, _) = device.account();
    offline.restore().await;
    let view = offline.session_view();
    assert!(view.signed_in, "restored unverified while offline");
    assert!(view.agent.is_none(), "who is not confirmed yet");
    assert_eq!(
        offline.bell_view().unwrap().items.len(),
        1,
        "the cached bell shows at once"
    );
    offline
        .edit(PrefEdit::PushScope {
            scope: PushScope::All,
        })
        .unwrap();
    wait_until("the save fails and says it is offline", || {
        matches!(
            offline.prefs_view().unwrap().status,
            SaveStatus::Failed {
                kind: ErrorKind::Offline,
                ..
            }
        )
    })
    .await;
    offline.shutdown();
}

#[tokio::test]
async fn a_wake_from_the_os_reconnects_the_stream_at_once() {
    let server = TestServer::start().await;
    let device = Device::new();
    let (account, recorder) = signed_in(&server, &device).await;
    herald_testkit::wait_until("live", || recorder.connects() == 1).await;
    // The computer woke up: the live socket may be dead without knowing; a new one now.
    account.wake();
    herald_testkit::wait_until("live again", || recorder.connects() == 2).await;
    account.shutdown();
}
