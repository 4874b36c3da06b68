//! The diagnostics cards, one test per card and verdict: each line of the help article's
//! troubleshooting section, decided from the same preferences and clock as the policy.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use herald_core::diagnostics::{
    cards, Card, Facts, Finding, NotificationService, OsCheck, Topic, Verdict,
};
use herald_core::error::ErrorKind;
use herald_core::ports::ConnState;
use herald_core::prefsync::SaveStatus;
use herald_protocol::{
    BreakThrough, ChannelSet, EmailFailure, EmailMode, EmailStatus, LocalTime, OsPermission,
    Preferences, PushScope, QuietWindow, Weekday,
};

/// Tuesday 1 December 2026, 10:00 UTC.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
        .single()
        .unwrap()
}

fn dunst() -> OsCheck {
    OsCheck {
        permission: OsPermission::Granted,
        permission_detail: "dunst answers".into(),
        service: Some(NotificationService {
            name: "dunst".into(),
            vendor: "knopwob".into(),
            version: "1.9".into(),
            capabilities: vec!["actions".into(), "body".into()],
        }),
        service_error: None,
        platform: "linux".into(),
    }
}

fn relay() -> EmailStatus {
    EmailStatus {
        configured: true,
        to: "ana@acme.test".into(),
        pending: 0,
        last_failure: None,
    }
}

/// Everything working: live, granted, the defaults, a relay, saved.
struct Situation {
    os: OsCheck,
    connection: ConnState,
    prefs: Preferences,
    email: Result<EmailStatus, String>,
    save: SaveStatus,
    muted: bool,
    focused: bool,
}

impl Default for Situation {
    fn default() -> Self {
        Situation {
            os: dunst(),
            connection: ConnState::Live,
            prefs: Preferences {
                push_scope: PushScope::All,
                ..Preferences::default()
            },
            email: Ok(relay()),
            save: SaveStatus::Saved,
            muted: false,
            focused: false,
        }
    }
}

impl Situation {
    fn card(&self, topic: Topic) -> Card {
        cards(&Facts {
            os: &self.os,
            connection: &self.connection,
            preferences: Some(&self.prefs),
            email: self.email.as_ref().map_err(String::as_str),
            save: &self.save,
            device_muted: self.muted,
            window_focused: self.focused,
            now: now(),
            push: None,
        })
        .into_iter()
        .find(|c| c.topic == topic)
        .unwrap()
    }
}

#[test]
fn push_is_ok_when_nothing_stops_it() {
    let card = Situation::default().card(Topic::Push);
    assert_eq!((card.verdict, card.findings), (Verdict::Ok, vec![]));
}

#[test]
fn push_names_each_thing_that_stops_it() {
    let mut s = Situation::default();
    s.os.permission = OsPermission::Denied;
    s.os.service = None;
    s.os.service_error = Some("org.freedesktop.Notifications was not provided".into());
    s.connection = ConnState::Reconnecting {
        attempt: 2,
        retry_in_ms: 900,
    };
    s.muted = true;
    let card = s.card(Topic::Push);
    assert_eq!(card.verdict, Verdict::Problem);
    assert_eq!(
        card.findings,
        vec![
            Finding::PermissionDenied,
            Finding::NoNotificationService,
            Finding::StreamNotLive,
            Finding::DeviceMuted,
        ]
    );
}

#[test]
fn push_is_a_problem_during_quiet_hours_and_says_what_breaks_through() {
    // The old UI said "push OK" here: it never looked at quiet hours.
    let mut s = Situation::default();
    s.prefs.quiet_hours.enabled = true;
    s.prefs.quiet_hours.time_zone = "UTC".into();
    s.prefs.quiet_hours.windows = vec![QuietWindow {
        days: Weekday::ALL.to_vec(),
        start: LocalTime::new(9, 0).unwrap(),
        end: LocalTime::new(12, 0).unwrap(),
    }];
    s.prefs.quiet_hours.break_through = BreakThrough {
        mentions: false,
        assignments: true,
    };
    s.prefs.mentions_always_alert = true;
    let card = s.card(Topic::Push);
    assert_eq!(card.verdict, Verdict::Problem);
    assert_eq!(
        card.findings,
        vec![Finding::QuietHours {
            until: LocalTime::new(12, 0).unwrap(),
            mentions_break_through: true,
            assignments_break_through: true,
        }],
        "mentions always alert, so they break through too"
    );
}

#[test]
fn push_is_a_problem_while_paused_or_with_every_push_off() {
    let mut s = Situation::default();
    s.prefs.paused_until = Some(now() + Duration::minutes(45));
    for row in [
        &mut s.prefs.events.new_conversation,
        &mut s.prefs.events.assignment,
        &mut s.prefs.events.mention,
        &mut s.prefs.events.reply,
        &mut s.prefs.events.module,
        &mut s.prefs.events.other,
    ] {
        row.push = false;
    }
    let card = s.card(Topic::Push);
    assert_eq!(card.verdict, Verdict::Problem);
    assert_eq!(
        card.findings,
        vec![
            Finding::Paused {
                until: now() + Duration::minutes(45)
            },
            Finding::NoPushEvents,
        ]
    );
    s.prefs.paused_until = Some(now() - Duration::minutes(1));
    assert!(
        !s.card(Topic::Push)
            .findings
            .iter()
            .any(|f| matches!(f, Finding::Paused { .. })),
        "a pause that ended is not reported"
    );
}

#[test]
fn push_scope_focus_and_an_unknown_permission_are_said_but_are_no_problem() {
    let mut s = Situation::default();
    s.prefs.push_scope = PushScope::AssignedToMe;
    s.os.permission = OsPermission::Unknown;
    s.focused = true;
    let card = s.card(Topic::Push);
    assert_eq!(card.verdict, Verdict::Ok);
    assert_eq!(
        card.findings,
        vec![
            Finding::PermissionUnknown,
            Finding::PushOnlyAssigned,
            Finding::WindowFocused,
        ]
    );
}

#[test]
fn email_is_ok_with_a_relay_and_the_summary_is_said() {
    let mut s = Situation::default();
    s.prefs.email.mode = EmailMode::Summary;
    let card = s.card(Topic::Email);
    assert_eq!(card.verdict, Verdict::Ok);
    assert_eq!(
        card.findings,
        vec![Finding::EmailSummary {
            at: s.prefs.email.summary_at
        }]
    );
}

#[test]
fn email_is_a_problem_without_a_relay_after_a_refusal_or_with_every_email_off() {
    let mut s = Situation {
        email: Ok(EmailStatus {
            configured: false,
            ..relay()
        }),
        ..Situation::default()
    };
    assert_eq!(
        s.card(Topic::Email).findings,
        vec![Finding::EmailNotConfigured]
    );
    assert_eq!(s.card(Topic::Email).verdict, Verdict::Problem);

    let failure = EmailFailure {
        at: now(),
        error: "550 mailbox unavailable".into(),
    };
    s.email = Ok(EmailStatus {
        last_failure: Some(failure.clone()),
        ..relay()
    });
    s.prefs.events.assignment = ChannelSet {
        email: false,
        ..s.prefs.events.assignment
    };
    s.prefs.events.mention = ChannelSet {
        email: false,
        ..s.prefs.events.mention
    };
    let card = s.card(Topic::Email);
    assert_eq!(card.verdict, Verdict::Problem);
    assert_eq!(
        card.findings[0],
        Finding::EmailFailed {
            at: failure.at,
            error: failure.error
        }
    );

    s.email = Err("cannot reach the server".into());
    assert_eq!(
        s.card(Topic::Email).findings[0],
        Finding::EmailUnknown {
            error: "cannot reach the server".into()
        }
    );
}

#[test]
fn noise_is_information_and_a_problem_only_with_everything_on() {
    let s = Situation::default();
    let card = s.card(Topic::Noise);
    assert_eq!(card.verdict, Verdict::Info);
    assert!(matches!(
        card.findings[0],
        Finding::SwitchesOn { of: 18, .. }
    ));

    let mut all = Situation::default();
    for row in [
        &mut all.prefs.events.new_conversation,
        &mut all.prefs.events.assignment,
        &mut all.prefs.events.mention,
        &mut all.prefs.events.reply,
        &mut all.prefs.events.module,
        &mut all.prefs.events.other,
    ] {
        *row = ChannelSet {
            dashboard: true,
            email: true,
            push: true,
        };
    }
    let card = all.card(Topic::Noise);
    assert_eq!(card.verdict, Verdict::Problem);
    assert_eq!(
        card.findings,
        vec![
            Finding::SwitchesOn { on: 18, of: 18 },
            Finding::EverythingOn
        ]
    );
}

#[test]
fn save_is_ok_saving_or_a_problem() {
    let mut s = Situation::default();
    assert_eq!(s.card(Topic::Save).verdict, Verdict::Ok);
    s.save = SaveStatus::Saving;
    assert_eq!(
        (s.card(Topic::Save).verdict, s.card(Topic::Save).findings),
        (Verdict::Info, vec![Finding::Saving])
    );
    s.save = SaveStatus::Failed {
        kind: ErrorKind::Offline,
        message: "cannot reach the server".into(),
    };
    assert_eq!(
        (s.card(Topic::Save).verdict, s.card(Topic::Save).findings),
        (
            Verdict::Problem,
            vec![Finding::SaveFailed {
                message: "cannot reach the server".into()
            }]
        )
    );
}
