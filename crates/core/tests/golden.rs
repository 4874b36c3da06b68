//! Golden JSON for everything the Rust side sends the UI: each [`UiEvent`] variant, the views
//! the commands answer with, the trail, the diagnostics and the errors. With the generated
//! TypeScript (`tests/typescript.rs`) this pins the IPC contract: the UI's types cannot drift
//! from what the shell sends.
//!
//! Each sample serialises to exactly `tests/golden/<name>.json`. To change the contract on
//! purpose: `HERALD_BLESS=1 cargo test -p herald-core --test golden`, then review the diff.
//! The protocol's samples are read from its own golden files, so both sets stay one contract.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use herald_core::client::{OsOutcome, Trail};
use herald_core::diagnostics::{
    cards, Diagnostics, EventsOn, Facts, NotificationService, OsCheck, PushFacts, ServerCheck,
    ThisDevice,
};
use herald_core::error::{CoreError, ErrorKind};
use herald_core::ports::{ConnState, UiEvent};
use herald_core::prefsync::SaveStatus;
use herald_core::views::{
    AccountSummary, AccountsView, BellItem, BellView, PausePreset, PrefsView, SessionView,
};
use herald_protocol::{
    AgentProfile, Decision, EmailStatus, FieldError, Notification, OsPermission, Preferences,
    UnreadCount, VersionedPreferences,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, h, m, 0)
        .single()
        .unwrap()
}

/// A sample from the protocol's golden files.
fn protocol<T: DeserializeOwned>(name: &str) -> T {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../protocol/tests/golden")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn notification() -> Notification {
    protocol("notification")
}

fn decision() -> Decision {
    protocol("decision_quiet_paused")
}

fn preferences() -> Preferences {
    protocol("preferences_default")
}

fn agent() -> AgentProfile {
    AgentProfile {
        id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00a0),
        external_id: "ana".into(),
        email: "ana@acme.test".into(),
        name: "Ana Souza".into(),
        workspace: "Acme".into(),
        groups: vec!["inbox:support".into(), "team:billing".into()],
    }
}

fn check<T: Serialize>(name: &str, value: &T, failures: &mut Vec<String>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.json"));
    let json = serde_json::to_string_pretty(value).unwrap() + "\n";
    if std::env::var_os("HERALD_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &json).unwrap();
    }
    match std::fs::read_to_string(&path) {
        Ok(golden) if golden == json => {}
        Ok(golden) => failures.push(format!(
            "{name}: differs from {}\n--- golden\n{golden}\n--- now\n{json}",
            path.display()
        )),
        Err(e) => failures.push(format!(
            "{name}: no golden file {} ({e}); run with HERALD_BLESS=1",
            path.display()
        )),
    }
}

fn os_check() -> OsCheck {
    OsCheck {
        permission: OsPermission::Granted,
        permission_detail: "dunst answers on the session bus; Linux has no per-app permission"
            .into(),
        service: Some(NotificationService {
            name: "dunst".into(),
            vendor: "knopwob".into(),
            version: "1.9.0".into(),
            capabilities: vec!["actions".into(), "body".into(), "body-markup".into()],
        }),
        service_error: None,
        platform: "linux".into(),
    }
}

/// The account "Acme", live, with `unread` items.
fn acme(unread: u32) -> AccountSummary {
    AccountSummary {
        id: "a1b2c3d4".into(),
        label: "Acme".into(),
        server: "https://herald.acme.example/".into(),
        email: "ana@acme.test".into(),
        signed_in: true,
        connection: ConnState::Live,
        unread,
        offline: false,
        ended: None,
    }
}

#[test]
fn every_ui_event_has_its_golden_json() {
    let mut failures = Vec::new();
    let events = [
        (
            "event_item",
            UiEvent::Item {
                notification: Box::new(notification()),
                local: Box::new(decision()),
                account: Some("a1b2c3d4".into()),
            },
        ),
        ("event_read_changed", UiEvent::ReadChanged),
        ("event_reset", UiEvent::Reset),
        ("event_offline", UiEvent::Offline { offline: true }),
        (
            "event_unread",
            UiEvent::Unread {
                unread: UnreadCount { total: 7 },
            },
        ),
        (
            "event_preferences",
            UiEvent::Preferences {
                preferences: Box::new(protocol::<VersionedPreferences>("versioned_preferences")),
            },
        ),
        (
            "event_connection",
            UiEvent::Connection {
                state: ConnState::Reconnecting {
                    attempt: 3,
                    retry_in_ms: 2400,
                },
            },
        ),
        (
            "event_save_failed",
            UiEvent::Save {
                status: SaveStatus::Failed {
                    kind: ErrorKind::Offline,
                    message: "cannot reach the server".into(),
                },
            },
        ),
        (
            "event_focus_item",
            UiEvent::FocusItem {
                id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001),
            },
        ),
        (
            "event_signed_out",
            UiEvent::SignedOut {
                reason: "your account was disabled by an admin".into(),
            },
        ),
        ("event_restored", UiEvent::Restored),
        (
            "event_accounts",
            UiEvent::Accounts {
                accounts: AccountsView {
                    active: Some("a1b2c3d4".into()),
                    accounts: vec![
                        acme(3),
                        AccountSummary {
                            id: "e5f6a7b8".into(),
                            label: "herald.beta.example".into(),
                            server: "https://herald.beta.example/".into(),
                            email: "ana@beta.test".into(),
                            signed_in: false,
                            connection: ConnState::Stopped,
                            unread: 0,
                            offline: false,
                            ended: Some("your session was revoked".into()),
                        },
                    ],
                },
            },
        ),
    ];
    for (name, event) in &events {
        check(name, event, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_view_and_answer_has_its_golden_json() {
    let mut failures = Vec::new();
    check(
        "view_session",
        &SessionView {
            signed_in: true,
            agent: Some(agent()),
            server: Some("https://herald.acme.example/".into()),
            email: Some("ana@acme.test".into()),
            connection: ConnState::Live,
            device_muted: false,
            restoring: false,
            focus_item: None,
            accounts: Some(AccountsView {
                active: Some("a1b2c3d4".into()),
                accounts: vec![acme(1)],
            }),
        },
        &mut failures,
    );
    check(
        "view_bell",
        &BellView {
            items: vec![BellItem::of(Some("a1b2c3d4"), notification())],
            unread: UnreadCount { total: 1 },
            connection: ConnState::Connecting { attempt: 0 },
            last_event_at: Some(at(15, 0)),
        },
        &mut failures,
    );
    check(
        "view_prefs",
        &PrefsView {
            preferences: preferences(),
            status: SaveStatus::Saving,
        },
        &mut failures,
    );
    check(
        "pause_presets",
        &[PausePreset::Hour, PausePreset::Tomorrow, PausePreset::Off],
        &mut failures,
    );
    check(
        "trail",
        &Trail {
            server: notification().decision,
            local: decision(),
            os: OsOutcome::Coalesced {
                into: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0002),
            },
            devices: vec![],
            apps: vec![],
        },
        &mut failures,
    );
    check(
        "trail_web",
        &Trail {
            server: notification().decision,
            local: notification().decision,
            os: OsOutcome::SentAsPush,
            devices: vec![herald_protocol::TestPushDevice {
                device: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00a1),
                name: "Firefox on Linux".into(),
                outcome: herald_protocol::PushOutcome::Accepted { status: 201 },
            }],
            apps: vec![herald_protocol::AppReceipt {
                name: "Herald for Linux on ana-laptop".into(),
                outcome: herald_protocol::AppOutcome::NotShown {
                    reasons: vec![
                        herald_protocol::Reason::ChannelOn,
                        herald_protocol::Reason::AppFocused,
                    ],
                },
                at: Some(at(15, 1)),
            }],
        },
        &mut failures,
    );
    let mut invalid = CoreError::new(ErrorKind::InvalidInput, "volume must be 0 to 100");
    invalid.fields = vec![FieldError {
        field: "sound.volume".into(),
        message: "must be 0 to 100".into(),
    }];
    check("error_invalid_input", &invalid, &mut failures);
    check(
        "error_os",
        &CoreError::new(ErrorKind::Os, "the notification could not be shown"),
        &mut failures,
    );

    let os = os_check();
    let prefs = preferences();
    let email = EmailStatus {
        configured: false,
        to: "ana@acme.test".into(),
        pending: 0,
        last_failure: None,
    };
    let connection = ConnState::Live;
    let save = SaveStatus::Saved;
    let diagnostics = Diagnostics {
        cards: cards(&Facts {
            os: &os,
            connection: &connection,
            preferences: Some(&prefs),
            email: Ok(&email),
            save: &save,
            device_muted: true,
            window_focused: false,
            now: at(15, 0),
            // A phone without a registration, and another phone whose pushes fail.
            push: Some(PushFacts {
                this_device: &ThisDevice::Phone {
                    registered: false,
                    error: Some("Firebase is not configured in this build".into()),
                },
                devices: &[herald_protocol::PushDevice {
                    id: uuid::Uuid::from_u128(0xa2),
                    name: "Ana's iPhone".into(),
                    platform: herald_protocol::PushPlatform::Apns,
                    service: "api.push.apple.com".into(),
                    created_at: at(9, 0),
                    last: Some(herald_protocol::PushAttempt {
                        at: at(14, 0),
                        outcome: herald_protocol::PushOutcome::Failed {
                            status: Some(400),
                            error: "BadDeviceToken".into(),
                        },
                    }),
                }],
            }),
        }),
        os: os.clone(),
        connection: connection.clone(),
        last_event_at: Some(at(14, 59)),
        server: ServerCheck {
            url: "https://herald.acme.example/".into(),
            reachable: true,
            detail: "herald-server 0.1.0".into(),
        },
        profile_email: Some("ana@acme.test".into()),
        email: Some(email.clone()),
        events_on: EventsOn::of(&prefs),
    };
    check("diagnostics", &diagnostics, &mut failures);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
