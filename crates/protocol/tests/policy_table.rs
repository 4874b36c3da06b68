//! The policy, case by case. Every case names the sentence of the product spec
//! (`shared/seed/000_154850bdf0379563.txt`) or the design rule it pins.
//!
//! Expectations read `D E P S` (dashboard, email, push, sound), each `+` deliver, `-`
//! suppress, `~` summary, `?` not asserted.

use chrono::{DateTime, TimeZone, Utc};
use herald_protocol::*;

struct Case {
    /// The spec sentence or rule this case covers.
    covers: &'static str,
    /// What the case sets up.
    setup: &'static str,
    kind: EventKind,
    ctx: AgentContext,
    prefs: Preferences,
    now: DateTime<Utc>,
    expect: &'static str,
    /// A reason that must appear on the given channel ('D', 'E', 'P', 'S').
    reason: Option<(char, Reason)>,
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid test instant")
}

/// A Tuesday afternoon in UTC, outside any default quiet hours.
fn tuesday() -> DateTime<Utc> {
    at(2026, 11, 24, 15, 0)
}

fn prefs(edit: impl FnOnce(&mut Preferences)) -> Preferences {
    let mut p = Preferences::default();
    edit(&mut p);
    p
}

fn t(h: u8, m: u8) -> LocalTime {
    LocalTime::new(h, m).expect("valid local time")
}

const ASSIGNED: AgentContext = AgentContext {
    assigned_to_me: true,
    mentioned: false,
    directly_addressed: false,
    app_focused: false,
    device_muted: false,
    push_permission: OsPermission::Granted,
    pushed_to_this_phone: false,
    group_rule: None,
    reminder: None,
};
const PARTICIPANT: AgentContext = AgentContext {
    assigned_to_me: false,
    ..ASSIGNED
};

fn night_quiet(p: &mut Preferences) {
    p.quiet_hours.enabled = true;
    p.quiet_hours.time_zone = "America/Sao_Paulo".into();
    p.quiet_hours.windows = vec![QuietWindow {
        days: Weekday::WORKDAYS.to_vec(),
        start: t(22, 0),
        end: t(7, 0),
    }];
}

fn everything_off(p: &mut Preferences) {
    for kind in EventKind::KNOWN {
        if let Some(row) = p.events.row_mut(&kind) {
            *row = ChannelSet::NONE;
        }
    }
    p.events.other = ChannelSet::NONE;
}

/// Preferences under a workspace's locks (issue 15: "assignments always push", "mentions
/// always alert").
fn locked(edit: impl FnOnce(&mut Preferences), locks: &[Lock]) -> Preferences {
    prefs(edit).under(locks, Some("Acme admins"))
}

const ALWAYS_ALERT: Lock = Lock::MentionsAlwaysAlert { on: true };

fn cases() -> Vec<Case> {
    vec![
        Case {
            covers: "Per-inbox rules: a muted inbox does not interrupt; the bell still records it.",
            setup: "reply in a conversation of a muted inbox",
            kind: EventKind::Reply,
            ctx: AgentContext { group_rule: Some(GroupAction::Mute), ..ASSIGNED },
            prefs: prefs(|p| p.events.reply.email = true),
            now: tuesday(),
            expect: "D+ E- P- S-",
            reason: Some(('P', Reason::GroupMuted)),
        },
        Case {
            covers: "Per-inbox rules: precedence: \"mentions always alert\" gets a mention through a muted inbox.",
            setup: "mention in a muted inbox, mentions always alert on",
            kind: EventKind::Mention,
            ctx: AgentContext { mentioned: true, group_rule: Some(GroupAction::Mute), ..PARTICIPANT },
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ E+ P+ S+",
            reason: Some(('P', Reason::MentionsAlwaysAlert)),
        },
        Case {
            covers: "Per-team rules: take push for one team even with push limited to assigned conversations.",
            setup: "new conversation of a team with push always, scope assigned to me",
            kind: EventKind::NewConversation,
            ctx: AgentContext { group_rule: Some(GroupAction::PushAlways), ..PARTICIPANT },
            prefs: prefs(|p| p.events.new_conversation.push = true),
            now: tuesday(),
            expect: "D+ E- P+ S+",
            reason: Some(('P', Reason::GroupPushAlways)),
        },
        Case {
            covers: "Per-team rules: precedence: a team's push-always does not switch on a row that is off.",
            setup: "new conversation row push off, team push always",
            kind: EventKind::NewConversation,
            ctx: AgentContext { group_rule: Some(GroupAction::PushAlways), ..PARTICIPANT },
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ E- P- ?",
            reason: Some(('P', Reason::ChannelOff)),
        },
        Case {
            covers: "Per-inbox rules: precedence: a muted inbox still pauses a mention when mentions always alert is off.",
            setup: "mention in a muted inbox, mentions always alert off",
            kind: EventKind::Mention,
            ctx: AgentContext { mentioned: true, group_rule: Some(GroupAction::Mute), ..PARTICIPANT },
            prefs: prefs(|p| p.mentions_always_alert = false),
            now: tuesday(),
            expect: "D+ E- P- S-",
            reason: Some(('E', Reason::GroupMuted)),
        },
        Case {
            covers: "Workspace locks: a locked cell holds whatever the agent's row says, and says who locked it.",
            setup: "agent switched assignment push off, the admin locked it on",
            kind: EventKind::Assignment,
            ctx: ASSIGNED,
            prefs: locked(
                |p| p.events.assignment.push = false,
                &[Lock::Channel { kind: EventKind::Assignment, channel: Channel::Push, on: true }],
            ),
            now: tuesday(),
            expect: "D+ E+ P+ S+",
            reason: Some(('P', Reason::Locked { by: "Acme admins".into() })),
        },
        Case {
            covers: "Workspace locks: a cell locked off stays off.",
            setup: "reply push locked off",
            kind: EventKind::Reply,
            ctx: ASSIGNED,
            prefs: locked(|_| {}, &[Lock::Channel { kind: EventKind::Reply, channel: Channel::Push, on: false }]),
            now: tuesday(),
            expect: "D+ E- P- S+",
            reason: Some(('P', Reason::Locked { by: "Acme admins".into() })),
        },
        Case {
            covers: "Workspace locks: a locked \"mentions always alert\" lets a mention through a pause, and says so.",
            setup: "agent paused and switched mentions-always-alert off; the admin locked it on",
            kind: EventKind::Mention,
            ctx: AgentContext { mentioned: true, ..PARTICIPANT },
            prefs: locked(
                |p| {
                    p.mentions_always_alert = false;
                    p.paused_until = Some(at(2026, 11, 24, 18, 0));
                },
                &[ALWAYS_ALERT],
            ),
            now: tuesday(),
            expect: "D+ ? P+ ?",
            reason: Some(('P', Reason::Locked { by: "Acme admins".into() })),
        },
        // ---- Overview ----
        Case {
            covers: "Overview: notifications tell you what needs attention: new conversations, assignments, mentions, replies and module events.",
            setup: "module event, module row with email on",
            kind: EventKind::Module,
            ctx: AgentContext { directly_addressed: true, ..PARTICIPANT },
            prefs: prefs(|p| p.events.module.email = true),
            now: tuesday(),
            expect: "D+ E+ P- S+",
            reason: Some(('P', Reason::ChannelOff)),
        },
        // ---- Step by step ----
        Case {
            covers: "Step by step: Save and test by generating a conversation/mention to validate.",
            setup: "test event, defaults (every channel in use)",
            kind: EventKind::Test,
            ctx: AgentContext { app_focused: true, ..PARTICIPANT },
            prefs: prefs(|p| { night_quiet(p); p.paused_until = Some(at(2030, 1, 1, 0, 0)); }),
            now: at(2026, 11, 25, 3, 0),
            expect: "D+ E+ P+ S+",
            reason: Some(('P', Reason::TestRequested)),
        },
        Case {
            covers: "Step by step: Save and test by generating a conversation/mention to validate.",
            setup: "test event, no row uses email: the test says the channel is unused",
            kind: EventKind::Test,
            ctx: PARTICIPANT,
            prefs: prefs(|p| for kind in EventKind::KNOWN {
                if let Some(row) = p.events.row_mut(&kind) { row.email = false; }
            }),
            now: tuesday(),
            expect: "D+ E- P+ S+",
            reason: Some(('E', Reason::ChannelUnused)),
        },
        // ---- Settings & options ----
        Case {
            covers: "Settings: Per event: toggle each alert type individually.",
            setup: "reply in my conversation, reply row push switched off",
            kind: EventKind::Reply,
            ctx: ASSIGNED,
            prefs: prefs(|p| p.events.reply.push = false),
            now: tuesday(),
            expect: "D+ E- P- S+",
            reason: Some(('P', Reason::ChannelOff)),
        },
        Case {
            covers: "Settings: Per event: toggle each alert type individually.",
            setup: "same preferences, an assignment still pushes",
            kind: EventKind::Assignment,
            ctx: ASSIGNED,
            prefs: prefs(|p| p.events.reply.push = false),
            now: tuesday(),
            expect: "D+ E+ P+ S+",
            reason: Some(('P', Reason::ChannelOn)),
        },
        Case {
            covers: "Settings: Per channel: dashboard, email and push independently.",
            setup: "mention row: email only, mentions-always-alert off",
            kind: EventKind::Mention,
            ctx: ASSIGNED,
            prefs: prefs(|p| {
                p.mentions_always_alert = false;
                p.events.mention = ChannelSet { dashboard: false, email: true, push: false };
            }),
            now: tuesday(),
            expect: "D- E+ P- S-",
            reason: Some(('S', Reason::NothingToSoundFor)),
        },
        Case {
            covers: "Settings: Sound/visual: audible alerts and unread counters in the dashboard.",
            setup: "sound on, assignment",
            kind: EventKind::Assignment,
            ctx: ASSIGNED,
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ ? ? S+",
            reason: Some(('S', Reason::ChannelOn)),
        },
        Case {
            covers: "Settings: Sound/visual: audible alerts and unread counters in the dashboard.",
            setup: "sound switched off: the bell still counts it, silently",
            kind: EventKind::Assignment,
            ctx: ASSIGNED,
            prefs: prefs(|p| p.sound.enabled = false),
            now: tuesday(),
            expect: "D+ ? ? S-",
            reason: Some(('S', Reason::SoundOff)),
        },
        Case {
            covers: "Settings: Per-agent preferences: each person tunes their own, without affecting the team.",
            setup: "agent A: new conversations push, scope all",
            kind: EventKind::NewConversation,
            ctx: PARTICIPANT,
            prefs: prefs(|p| { p.events.new_conversation.push = true; p.push_scope = PushScope::All; }),
            now: tuesday(),
            expect: "D+ E- P+ S+",
            reason: None,
        },
        Case {
            covers: "Settings: Per-agent preferences: each person tunes their own, without affecting the team.",
            setup: "agent B, same event, defaults: no push",
            kind: EventKind::NewConversation,
            ctx: PARTICIPANT,
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ E- P- S+",
            reason: Some(('P', Reason::ChannelOff)),
        },
        // ---- Use cases ----
        Case {
            covers: "Use case: Receive push only for conversations assigned to you.",
            setup: "scope assigned-to-me, reply in a conversation I only take part in",
            kind: EventKind::Reply,
            ctx: PARTICIPANT,
            prefs: prefs(|p| p.push_scope = PushScope::AssignedToMe),
            now: tuesday(),
            expect: "D+ E- P- S+",
            reason: Some(('P', Reason::NotAssignedToMe)),
        },
        Case {
            covers: "Use case: Receive push only for conversations assigned to you.",
            setup: "same scope, reply in my conversation",
            kind: EventKind::Reply,
            ctx: ASSIGNED,
            prefs: prefs(|p| p.push_scope = PushScope::AssignedToMe),
            now: tuesday(),
            expect: "D+ E- P+ S+",
            reason: Some(('P', Reason::ChannelOn)),
        },
        Case {
            covers: "Use case: Use email for an end-of-day summary and the dashboard for real time.",
            setup: "email mode summary at 18:30 Sao Paulo, reply row email on",
            kind: EventKind::Reply,
            ctx: ASSIGNED,
            prefs: prefs(|p| {
                p.email.mode = EmailMode::Summary;
                p.email.summary_at = t(18, 30);
                p.email.time_zone = "America/Sao_Paulo".into();
                p.events.reply.email = true;
            }),
            now: tuesday(),
            expect: "D+ E~ P+ S+",
            reason: Some(('E', Reason::InSummary { at: t(18, 30), time_zone: "America/Sao_Paulo".into() })),
        },
        Case {
            covers: "Use case: Make sure mentions always alert, even with the rest muted.",
            setup: "every row off, paused, device muted, quiet hours without break-through: a mention",
            kind: EventKind::Mention,
            ctx: AgentContext { device_muted: true, ..PARTICIPANT },
            prefs: prefs(|p| {
                everything_off(p);
                night_quiet(p);
                p.quiet_hours.break_through.mentions = false;
                p.paused_until = Some(at(2030, 1, 1, 0, 0));
            }),
            now: at(2026, 11, 25, 3, 0), // 00:00 in Sao Paulo, inside quiet hours
            expect: "D+ E- P+ S+",
            reason: Some(('P', Reason::MentionsAlwaysAlert)),
        },
        Case {
            covers: "Use case: Make sure mentions always alert, even with the rest muted.",
            setup: "same muted setup: a reply stays silent",
            kind: EventKind::Reply,
            ctx: AgentContext { device_muted: true, ..ASSIGNED },
            prefs: prefs(|p| {
                everything_off(p);
                night_quiet(p);
                p.paused_until = Some(at(2030, 1, 1, 0, 0));
            }),
            now: at(2026, 11, 25, 3, 0),
            expect: "D- E- P- S-",
            reason: Some(('P', Reason::ChannelOff)),
        },
        Case {
            covers: "Use case: Make sure mentions always alert, even with the rest muted.",
            setup: "a reply that mentions me counts as a mention",
            kind: EventKind::Reply,
            ctx: AgentContext { mentioned: true, ..PARTICIPANT },
            prefs: prefs(everything_off),
            now: tuesday(),
            expect: "D+ E- P+ S+",
            reason: Some(('D', Reason::MentionsAlwaysAlert)),
        },
        // ---- Tips ----
        Case {
            covers: "Tip: Avoid turning everything on: too many notifications become noise and get ignored.",
            setup: "defaults: a new conversation only reaches the bell",
            kind: EventKind::NewConversation,
            ctx: PARTICIPANT,
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ E- P- S+",
            reason: Some(('E', Reason::ChannelOff)),
        },
        Case {
            covers: "Tip: Prioritize assignments and mentions, usually what matters most.",
            setup: "defaults: an assignment reaches every channel",
            kind: EventKind::Assignment,
            ctx: ASSIGNED,
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ E+ P+ S+",
            reason: None,
        },
        Case {
            covers: "Tip: Prioritize assignments and mentions, usually what matters most.",
            setup: "quiet hours: an assignment breaks through",
            kind: EventKind::Assignment,
            ctx: ASSIGNED,
            prefs: prefs(night_quiet),
            now: at(2026, 11, 25, 3, 0),
            expect: "D+ E+ P+ S+",
            reason: Some(('P', Reason::BreaksThroughQuietHours)),
        },
        Case {
            covers: "Tip: If push doesn't arrive, start by checking browser/system permissions.",
            setup: "assignment, OS permission denied",
            kind: EventKind::Assignment,
            ctx: AgentContext { push_permission: OsPermission::Denied, ..ASSIGNED },
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ E+ P- S+",
            reason: Some(('P', Reason::PermissionDenied)),
        },
        // ---- Troubleshooting ----
        Case {
            covers: "Troubleshooting: I don't get browser push: check the site's notification permission and that it isn't blocked at the operating system level.",
            setup: "test event with the OS blocking notifications",
            kind: EventKind::Test,
            ctx: AgentContext { push_permission: OsPermission::Denied, ..PARTICIPANT },
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ E+ P- S+",
            reason: Some(('P', Reason::PermissionDenied)),
        },
        Case {
            covers: "Troubleshooting: I don't get emails: check spam, your profile email and that the event is enabled.",
            setup: "reply row email off (the default)",
            kind: EventKind::Reply,
            ctx: ASSIGNED,
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "? E- ? ?",
            reason: Some(('E', Reason::ChannelOff)),
        },
        Case {
            covers: "Troubleshooting: I get too many notifications: reduce events/channels in your preferences.",
            setup: "new conversations switched off entirely",
            kind: EventKind::NewConversation,
            ctx: PARTICIPANT,
            prefs: prefs(|p| p.events.new_conversation = ChannelSet::NONE),
            now: tuesday(),
            expect: "D- E- P- S-",
            reason: Some(('D', Reason::ChannelOff)),
        },
        // ---- Pause, quiet hours, focus ----
        Case {
            covers: "Design: pause until a time silences push and sound, not the bell.",
            setup: "paused for another hour, assignment",
            kind: EventKind::Assignment,
            ctx: ASSIGNED,
            prefs: prefs(|p| p.paused_until = Some(tuesday() + chrono::Duration::hours(1))),
            now: tuesday(),
            expect: "D+ E- P- S-",
            reason: Some(('P', Reason::Paused { until: tuesday() + chrono::Duration::hours(1) })),
        },
        Case {
            covers: "Design: a pause that has ended has no effect.",
            setup: "paused until an hour ago",
            kind: EventKind::Assignment,
            ctx: ASSIGNED,
            prefs: prefs(|p| p.paused_until = Some(tuesday() - chrono::Duration::hours(1))),
            now: tuesday(),
            expect: "D+ E+ P+ S+",
            reason: None,
        },
        Case {
            covers: "Design: quiet hours across midnight (Mon 22:00 to Tue 07:00).",
            setup: "Tue 02:00 Sao Paulo, reply in my conversation",
            kind: EventKind::Reply,
            ctx: ASSIGNED,
            prefs: prefs(night_quiet),
            now: at(2026, 11, 24, 5, 0),
            expect: "D+ E- P- S-",
            reason: Some(('P', Reason::QuietHours { ends_at: t(7, 0) })),
        },
        Case {
            covers: "Design: quiet hours across midnight, Friday night runs into Saturday.",
            setup: "Sat 02:00 Sao Paulo",
            kind: EventKind::Reply,
            ctx: ASSIGNED,
            prefs: prefs(night_quiet),
            now: at(2026, 11, 21, 5, 0),
            expect: "D+ E- P- S-",
            reason: Some(('P', Reason::QuietHours { ends_at: t(7, 0) })),
        },
        Case {
            covers: "Design: quiet hours across midnight, Saturday is not a start day.",
            setup: "Sun 02:00 Sao Paulo",
            kind: EventKind::Reply,
            ctx: ASSIGNED,
            prefs: prefs(night_quiet),
            now: at(2026, 11, 22, 5, 0),
            expect: "D+ E- P+ S+",
            reason: None,
        },
        Case {
            covers: "Design: quiet hours ending at 07:00 end at 07:00.",
            setup: "Tue 07:00 Sao Paulo",
            kind: EventKind::Reply,
            ctx: ASSIGNED,
            prefs: prefs(night_quiet),
            now: at(2026, 11, 24, 10, 0),
            expect: "D+ E- P+ S+",
            reason: None,
        },
        Case {
            covers: "Design: the app focused shows the bell and plays the sound, no OS notification.",
            setup: "assignment while the window is focused",
            kind: EventKind::Assignment,
            ctx: AgentContext { app_focused: true, ..ASSIGNED },
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ E+ P- S+",
            reason: Some(('P', Reason::AppFocused)),
        },
        Case {
            covers: "Design: a muted device stays silent (unless a mention overrides).",
            setup: "assignment on a muted device",
            kind: EventKind::Assignment,
            ctx: AgentContext { device_muted: true, ..ASSIGNED },
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ E+ P- S-",
            reason: Some(('S', Reason::DeviceMuted)),
        },
        // ---- Phones (issue 13) ----
        Case {
            covers: "Phones: a phone that gets pushes raises no notification or sound of its own: the push is its notification (held at a computer, dropped once read).",
            setup: "assignment, the app on a registered phone in the background",
            kind: EventKind::Assignment,
            ctx: AgentContext { pushed_to_this_phone: true, ..ASSIGNED },
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ E+ P- S-",
            reason: Some(('P', Reason::PushedToThisPhone)),
        },
        Case {
            covers: "Phones: the app open in front of the agent shows the bell and plays the sound, as on a computer.",
            setup: "assignment, the app on a registered phone in front",
            kind: EventKind::Assignment,
            ctx: AgentContext { pushed_to_this_phone: true, app_focused: true, ..ASSIGNED },
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ E+ P- S+",
            reason: Some(('P', Reason::AppFocused)),
        },
        // ---- Reminders (issue 16) ----
        Case {
            covers: "Snooze: comes back with a fresh notification, even for a kind that does not push.",
            setup: "a reply whose snooze ended, replies push off, push limited to my conversations",
            kind: EventKind::Reply,
            ctx: AgentContext { reminder: Some(Reminder::Snoozed), ..PARTICIPANT },
            prefs: prefs(|p| p.events.reply = ChannelSet { dashboard: true, email: true, push: false }),
            now: tuesday(),
            expect: "D+ E- P+ S+",
            reason: Some(('E', Reason::Reminded { reminder: Reminder::Snoozed })),
        },
        Case {
            covers: "Escalation: an unanswered assignment's reminder waits out quiet hours.",
            setup: "first reminder of an assignment at 23:00 in São Paulo, assignments do not break through",
            kind: EventKind::Assignment,
            ctx: AgentContext { reminder: Some(Reminder::Unanswered { count: 1, limit: 2 }), ..ASSIGNED },
            prefs: prefs(|p| {
                night_quiet(p);
                p.quiet_hours.break_through.assignments = false;
            }),
            now: at(2026, 11, 25, 2, 0),
            expect: "D+ E- P- S-",
            reason: Some(('P', Reason::QuietHours { ends_at: t(7, 0) })),
        },
        Case {
            covers: "Escalation: a reminder shows nothing over the app the agent is looking at.",
            setup: "reminder of an assignment, the app focused",
            kind: EventKind::Assignment,
            ctx: AgentContext { reminder: Some(Reminder::Unanswered { count: 2, limit: 2 }), app_focused: true, ..ASSIGNED },
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ E- P- S+",
            reason: Some(('P', Reason::AppFocused)),
        },
        Case {
            covers: "While you were quiet: one notification when the quiet time ends, on the bell, never by email.",
            setup: "a quiet summary, defaults (its own kind: no row of the preferences applies)",
            kind: EventKind::QuietSummary,
            ctx: PARTICIPANT,
            prefs: prefs(everything_off),
            now: tuesday(),
            expect: "D+ E- P+ S+",
            reason: Some(('P', Reason::QuietSummary)),
        },
        Case {
            covers: "While you were quiet: nothing over the app the agent is looking at.",
            setup: "a quiet summary, the app focused",
            kind: EventKind::QuietSummary,
            ctx: AgentContext { app_focused: true, ..PARTICIPANT },
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ E- P- S+",
            reason: Some(('P', Reason::AppFocused)),
        },
        // ---- Unknown kinds ----
        Case {
            covers: "Design: unknown kinds from a newer platform are kept and shown.",
            setup: "kind \"sla_breach\", defaults: the other-events row (bell only)",
            kind: EventKind::parse("sla_breach"),
            ctx: ASSIGNED,
            prefs: Preferences::default(),
            now: tuesday(),
            expect: "D+ E- P- S+",
            reason: Some(('D', Reason::ChannelOn)),
        },
        Case {
            covers: "Design: unknown kinds follow the agent's other-events row.",
            setup: "kind \"sla_breach\", other row pushes",
            kind: EventKind::parse("sla_breach"),
            ctx: ASSIGNED,
            prefs: prefs(|p| p.events.other.push = true),
            now: tuesday(),
            expect: "D+ E- P+ S+",
            reason: None,
        },
    ]
}

/// Quiet hours read in Europe/Berlin on the two DST days of 2026.
fn dst_cases() -> Vec<Case> {
    let berlin = |start: LocalTime, end: LocalTime| {
        prefs(move |p| {
            p.quiet_hours.enabled = true;
            p.quiet_hours.time_zone = "Europe/Berlin".into();
            p.quiet_hours.windows = vec![QuietWindow {
                days: vec![Weekday::Sun],
                start,
                end,
            }];
        })
    };
    let case = |setup, prefs, now, expect| Case {
        covers: "Design: quiet hours across DST changes use the wall clock.",
        setup,
        kind: EventKind::Reply,
        ctx: ASSIGNED,
        prefs,
        now,
        expect,
        reason: None,
    };
    vec![
        case(
            "spring forward, 01:59 CET, window 02:00-03:30",
            berlin(t(2, 0), t(3, 30)),
            at(2026, 3, 29, 0, 59),
            "D+ ? P+ ?",
        ),
        case(
            "spring forward, 03:00 CEST right after the skipped hour",
            berlin(t(2, 0), t(3, 30)),
            at(2026, 3, 29, 1, 0),
            "D+ ? P- ?",
        ),
        case(
            "spring forward, 03:30 CEST, the window has ended",
            berlin(t(2, 0), t(3, 30)),
            at(2026, 3, 29, 1, 30),
            "D+ ? P+ ?",
        ),
        case(
            "fall back, first 02:15 (CEST), window 02:00-02:45",
            berlin(t(2, 0), t(2, 45)),
            at(2026, 10, 25, 0, 15),
            "D+ ? P- ?",
        ),
        case(
            "fall back, second 02:15 (CET) is quiet too",
            berlin(t(2, 0), t(2, 45)),
            at(2026, 10, 25, 1, 15),
            "D+ ? P- ?",
        ),
        case(
            "fall back, 03:15 CET is after the window",
            berlin(t(2, 0), t(2, 45)),
            at(2026, 10, 25, 2, 15),
            "D+ ? P+ ?",
        ),
    ]
}

fn outcome_of(symbol: char) -> Option<Outcome> {
    match symbol {
        '+' => Some(Outcome::Deliver),
        '-' => Some(Outcome::Suppress),
        '~' => Some(Outcome::Summary),
        _ => None,
    }
}

fn check(case: &Case) {
    let decision = decide(&case.kind, &case.ctx, &case.prefs, case.now);
    let channels = [
        ('D', &decision.dashboard),
        ('E', &decision.email),
        ('P', &decision.push),
        ('S', &decision.sound),
    ];
    let expected: Vec<Option<Outcome>> = case
        .expect
        .split_whitespace()
        .map(|token| outcome_of(token.chars().last().unwrap_or('?')))
        .collect();
    assert_eq!(
        expected.len(),
        4,
        "bad expectation in case {:?}",
        case.setup
    );
    for ((name, got), want) in channels.iter().zip(expected) {
        if let Some(want) = want {
            assert_eq!(
                got.outcome, want,
                "\n  covers: {}\n  setup: {}\n  channel {name} was {:?}, the case expects {:?}",
                case.covers, case.setup, got, want
            );
        }
        assert!(
            !got.reasons.is_empty(),
            "channel {name} must say why, in {:?}",
            case.setup
        );
    }
    if let Some((name, reason)) = &case.reason {
        let (_, got) = channels
            .iter()
            .find(|(n, _)| n == name)
            .expect("reason names a channel D, E, P or S");
        assert!(
            got.reasons.contains(reason),
            "\n  covers: {}\n  setup: {}\n  channel {name} reasons {:?} must include {:?}",
            case.covers,
            case.setup,
            got.reasons,
            reason
        );
    }
}

#[test]
fn every_policy_case_holds() {
    for case in cases().iter().chain(dst_cases().iter()) {
        check(case);
    }
}

/// Every sentence of the spec's "Settings & options", "Use cases", "Tips" and
/// "Troubleshooting" sections that the policy decides has a case; the one about saving
/// preferences is the server's and the client's, tested there.
#[test]
fn the_table_covers_the_spec() {
    let spec = [
        "Per event: toggle each alert type individually.",
        "Per channel: dashboard, email and push independently.",
        "Sound/visual: audible alerts and unread counters in the dashboard.",
        "Per-agent preferences: each person tunes their own, without affecting the team.",
        "Receive push only for conversations assigned to you.",
        "Use email for an end-of-day summary and the dashboard for real time.",
        "Make sure mentions always alert, even with the rest muted.",
        "Avoid turning everything on: too many notifications become noise and get ignored.",
        "Prioritize assignments and mentions",
        "If push doesn't arrive, start by checking browser/system permissions.",
        "I don't get browser push: check the site's notification permission",
        "I don't get emails: check spam, your profile email and that the event is enabled.",
        "I get too many notifications: reduce events/channels in your preferences.",
        "Save and test by generating a conversation/mention to validate.",
    ];
    let table = cases();
    for sentence in spec {
        assert!(
            table.iter().any(|c| c.covers.contains(sentence)),
            "no policy case covers the spec sentence {sentence:?}"
        );
    }
}

#[test]
fn summary_time_follows_the_agents_zone_and_dst() {
    let summary = |at: LocalTime, zone: &str| {
        prefs(|p| {
            p.email.mode = EmailMode::Summary;
            p.email.summary_at = at;
            p.email.time_zone = zone.into();
        })
    };
    // 18:00 in Sao Paulo (UTC-3) is 21:00 UTC, the same day while it is still ahead.
    let p = summary(t(18, 0), "America/Sao_Paulo");
    assert_eq!(
        p.next_summary_at(at(2026, 11, 24, 15, 0)),
        at(2026, 11, 24, 21, 0)
    );
    // At or after it, the next day.
    assert_eq!(
        p.next_summary_at(at(2026, 11, 24, 21, 0)),
        at(2026, 11, 24, 21, 0),
        "due now counts as due"
    );
    assert_eq!(
        p.next_summary_at(at(2026, 11, 24, 21, 1)),
        at(2026, 11, 25, 21, 0)
    );
    // 02:30 does not exist in Berlin on 2026-03-29: the first minute that does is 03:00 CEST.
    let p = summary(t(2, 30), "Europe/Berlin");
    assert_eq!(
        p.next_summary_at(at(2026, 3, 28, 12, 0)),
        at(2026, 3, 29, 1, 0),
        "a skipped time moves forward"
    );
    // 02:30 exists twice in Berlin on 2026-10-25: the first is 02:30 CEST = 00:30 UTC.
    assert_eq!(
        p.next_summary_at(at(2026, 10, 24, 12, 0)),
        at(2026, 10, 25, 0, 30),
        "a repeated time is the first"
    );
    // Across the spring change, 18:00 stays 18:00 local: 17:00 UTC before, 16:00 UTC after.
    let p = summary(t(18, 0), "Europe/Berlin");
    assert_eq!(
        p.next_summary_at(at(2026, 3, 28, 12, 0)),
        at(2026, 3, 28, 17, 0)
    );
    assert_eq!(
        p.next_summary_at(at(2026, 3, 28, 18, 0)),
        at(2026, 3, 29, 16, 0)
    );
}

#[test]
fn defaults_follow_the_spec_advice() {
    let p = Preferences::default();
    assert!(p.validate().is_ok(), "defaults must be valid");
    let on = |row: &ChannelSet| {
        [row.dashboard, row.email, row.push]
            .iter()
            .filter(|b| **b)
            .count()
    };
    let total: usize = p.events.rows().iter().map(|r| on(r)).sum();
    assert!(
        total < 18,
        "not everything on by default (spec tip), {total} of 18 on"
    );
    assert_eq!(on(&p.events.assignment), 3, "assignments first");
    assert_eq!(on(&p.events.mention), 3, "mentions first");
    assert!(p.mentions_always_alert, "mentions always alert by default");
    assert!(
        !p.events.new_conversation.push,
        "new conversations are noise for most agents"
    );
    assert!(p.quiet_hours.break_through.assignments && p.quiet_hours.break_through.mentions);
}

#[test]
fn validation_reports_every_bad_field_in_words() {
    let mut p = Preferences::default();
    p.email.time_zone = "Mars/Olympus".into();
    p.quiet_hours.time_zone = "".into();
    p.quiet_hours.windows = vec![QuietWindow {
        days: vec![],
        start: t(8, 0),
        end: t(8, 0),
    }];
    p.sound.volume = 101;
    let errors = p.validate().expect_err("four problems");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "email.time_zone",
            "quiet_hours.time_zone",
            "quiet_hours.windows[0].days",
            "quiet_hours.windows[0].end",
            "sound.volume"
        ]
    );
    assert!(errors[0].message.contains("Mars/Olympus") && errors[0].message.contains("time zone"));
}

#[test]
fn local_time_parses_only_hh_mm() {
    for good in ["00:00", "07:05", "23:59"] {
        let parsed: LocalTime = good.parse().expect("valid");
        assert_eq!(parsed.to_string(), good);
    }
    for bad in [
        "24:00", "7:05", "07:60", "0705", "", "aa:bb", "07:05:00", "-1:00",
    ] {
        assert!(
            bad.parse::<LocalTime>().is_err(),
            "{bad:?} must be rejected"
        );
    }
}

#[test]
fn close_codes_round_trip_and_say_fatal() {
    for reason in CloseReason::ALL {
        assert_eq!(CloseReason::from_code(reason.code()), Some(reason));
    }
    assert!(CloseReason::SessionRevoked.is_fatal() && CloseReason::AgentDisabled.is_fatal());
    assert!(
        !CloseReason::SlowConsumer.is_fatal(),
        "a slow consumer may reconnect"
    );
    assert_eq!(CloseReason::from_code(1000), None);
}

#[test]
fn the_last_summary_due_is_the_latest_local_summary_time() {
    let p = prefs(|p| {
        p.email.summary_at = t(18, 0);
        p.email.time_zone = "Europe/Berlin".into();
    });
    // Before 18:00 local, the last one was yesterday's.
    let (day, due, previous) = p.last_summary_due(at(2026, 11, 24, 12, 0));
    assert_eq!(day.to_string(), "2026-11-23");
    assert_eq!(due, at(2026, 11, 23, 17, 0));
    assert_eq!(previous, at(2026, 11, 22, 17, 0));
    // At and after 18:00 local, today's.
    assert_eq!(
        p.last_summary_due(at(2026, 11, 24, 17, 0)).1,
        at(2026, 11, 24, 17, 0)
    );
    // Across the spring change: the period is 23 hours long, still 18:00 to 18:00 local.
    let (day, due, previous) = p.last_summary_due(at(2026, 3, 29, 20, 0));
    assert_eq!(day.to_string(), "2026-03-29");
    assert_eq!(
        (due, previous),
        (at(2026, 3, 29, 16, 0), at(2026, 3, 28, 17, 0))
    );
    assert_eq!(due - previous, chrono::Duration::hours(23));
    // And the autumn one: 25 hours.
    let (_, due, previous) = p.last_summary_due(at(2026, 10, 25, 20, 0));
    assert_eq!(due - previous, chrono::Duration::hours(25));
}
