//! Invariants of the policy and the preference model, over generated inputs.

use chrono::{DateTime, Duration, LocalResult, TimeZone, Utc};
use herald_protocol::*;
use proptest::prelude::*;

const ZONES: [&str; 6] = [
    "UTC",
    "America/Sao_Paulo",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe", // half-hour DST shift
];

fn channel_set() -> impl Strategy<Value = ChannelSet> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(dashboard, email, push)| ChannelSet {
        dashboard,
        email,
        push,
    })
}

fn local_time() -> impl Strategy<Value = LocalTime> {
    (0u8..24, 0u8..60).prop_map(|(h, m)| LocalTime::new(h, m).expect("in range"))
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // 2020-01-01 .. 2035-01-01
    (1_577_836_800i64..2_051_222_400i64)
        .prop_map(|s| Utc.timestamp_opt(s, 0).single().expect("in range"))
}

fn window() -> impl Strategy<Value = QuietWindow> {
    (
        proptest::sample::subsequence(Weekday::ALL.to_vec(), 0..=7),
        local_time(),
        local_time(),
    )
        .prop_map(|(days, start, end)| QuietWindow { days, start, end })
}

fn preferences() -> impl Strategy<Value = Preferences> {
    let matrix = (
        channel_set(),
        channel_set(),
        channel_set(),
        channel_set(),
        channel_set(),
        channel_set(),
    )
        .prop_map(|(a, b, c, d, e, f)| EventMatrix {
            new_conversation: a,
            assignment: b,
            mention: c,
            reply: d,
            module: e,
            other: f,
        });
    let quiet = (
        any::<bool>(),
        proptest::sample::select(ZONES.to_vec()),
        proptest::collection::vec(window(), 0..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(enabled, zone, windows, mentions, assignments)| QuietHours {
                enabled,
                time_zone: zone.to_owned(),
                windows,
                break_through: BreakThrough {
                    mentions,
                    assignments,
                },
            },
        );
    let email = (
        prop_oneof![Just(EmailMode::Instant), Just(EmailMode::Summary)],
        local_time(),
        proptest::sample::select(ZONES.to_vec()),
    )
        .prop_map(|(mode, summary_at, zone)| EmailPreferences {
            mode,
            summary_at,
            time_zone: zone.to_owned(),
        });
    let sound = (any::<bool>(), 0u8..=100).prop_map(|(enabled, volume)| SoundPreferences {
        enabled,
        tone: Tone::Chime,
        volume,
    });
    (
        matrix,
        prop_oneof![Just(PushScope::All), Just(PushScope::AssignedToMe)],
        email,
        any::<bool>(),
        quiet,
        proptest::option::of(instant()),
        sound,
        any::<bool>(),
        (any::<bool>(), 5u16..=240, 1u8..=5),
    )
        .prop_map(
            |(events, push_scope, email, always, quiet_hours, paused_until, sound, badge, esc)| {
                Preferences {
                    events,
                    push_scope,
                    email,
                    mentions_always_alert: always,
                    quiet_hours,
                    paused_until,
                    sound,
                    unread_badge: badge,
                    quiet_summary: esc.0,
                    phone_delay_secs: esc.1,
                    escalation: Escalation {
                        enabled: esc.0,
                        after_minutes: esc.1,
                        repeat: esc.2,
                    },
                    language: Language::En,
                    group_rules: Vec::new(),
                    locks: Vec::new(),
                    locked_by: None,
                }
            },
        )
}

fn kind() -> impl Strategy<Value = EventKind> {
    prop_oneof![
        proptest::sample::select(EventKind::KNOWN.to_vec()),
        "[a-z_]{1,20}".prop_map(|s| EventKind::parse(&s)),
    ]
}

fn context() -> impl Strategy<Value = AgentContext> {
    (
        any::<[bool; 6]>(),
        prop_oneof![
            Just(OsPermission::Granted),
            Just(OsPermission::Denied),
            Just(OsPermission::Unknown)
        ],
        prop_oneof![
            Just(None),
            Just(Some(GroupAction::Mute)),
            Just(Some(GroupAction::PushAlways))
        ],
    )
        .prop_map(|(b, push_permission, group_rule)| AgentContext {
            assigned_to_me: b[0],
            mentioned: b[1],
            directly_addressed: b[2],
            app_focused: b[3],
            device_muted: b[4],
            push_permission,
            pushed_to_this_phone: b[5],
            group_rule,
            reminder: None,
        })
}

fn reminder() -> impl Strategy<Value = Reminder> {
    prop_oneof![
        Just(Reminder::Snoozed),
        (1u8..=5, 1u8..=5).prop_map(|(count, limit)| Reminder::Unanswered { count, limit }),
    ]
}

fn is_mention(kind: &EventKind, ctx: &AgentContext) -> bool {
    *kind == EventKind::Mention || ctx.mentioned
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// "Make sure mentions always alert, even with the rest muted": with the override on, no
    /// row, mute, pause, quiet hours or push scope silences a mention. Only the bell being in
    /// front of the agent, the OS refusing, or the phone's push standing in for it (a phone
    /// that gets pushes) stops the app's own OS notification.
    #[test]
    fn mentions_always_alert(prefs in preferences(), ctx in context(), now in instant()) {
        let mut prefs = prefs;
        prefs.mentions_always_alert = true;
        let d = decide(&EventKind::Mention, &ctx, &prefs, now);
        prop_assert!(d.dashboard.delivers(), "dashboard: {:?}", d.dashboard);
        let os_blocks = ctx.app_focused
            || ctx.push_permission == OsPermission::Denied
            || ctx.pushed_to_this_phone;
        prop_assert_eq!(d.push.delivers(), !os_blocks, "push: {:?}", d.push);
    }

    /// A channel switched off for a kind never delivers that kind, except a mention under
    /// "mentions always alert" on the dashboard and push. Email has no exception.
    #[test]
    fn a_channel_switched_off_never_delivers(
        prefs in preferences(), kind in kind(), ctx in context(), now in instant()
    ) {
        prop_assume!(kind != EventKind::Test && kind != EventKind::QuietSummary);
        let row = *prefs.events.row(&kind).expect("non-test kinds have a row");
        let d = decide(&kind, &ctx, &prefs, now);
        let override_on = prefs.mentions_always_alert && is_mention(&kind, &ctx);
        if !row.email {
            prop_assert_eq!(d.email.outcome, Outcome::Suppress);
        }
        if !override_on {
            for channel in [Channel::Dashboard, Channel::Push] {
                if !row.get(channel) {
                    prop_assert_eq!(d.channel(channel).outcome, Outcome::Suppress);
                }
            }
        }
    }

    /// Pause silences every interruption but a mention override; the bell is untouched.
    #[test]
    fn pause_silences_push_and_sound(
        prefs in preferences(), kind in kind(), ctx in context(), now in instant(),
        minutes in 1i64..100_000
    ) {
        prop_assume!(kind != EventKind::Test && kind != EventKind::QuietSummary);
        let mut prefs = prefs;
        prefs.paused_until = Some(now + Duration::minutes(minutes));
        let d = decide(&kind, &ctx, &prefs, now);
        if !(prefs.mentions_always_alert && is_mention(&kind, &ctx)) {
            prop_assert!(!d.push.delivers() && !d.sound.delivers() && !d.email.delivers());
        }
        let mut unpaused = prefs.clone();
        unpaused.paused_until = None;
        let u = decide(&kind, &ctx, &unpaused, now);
        prop_assert_eq!(d.dashboard, u.dashboard, "pause must not touch the bell");
    }

    /// A reminder is back on the bell, never emails, and pushes exactly when the same item
    /// would with its row's push on and push for every conversation: the agent asked for
    /// it, and mute, pause, quiet hours and the device still hold it.
    #[test]
    fn a_reminder_pushes_as_an_item_whose_push_is_on(
        prefs in preferences(), kind in kind(), ctx in context(), reminder in reminder(),
        now in instant()
    ) {
        prop_assume!(kind != EventKind::Test && kind != EventKind::QuietSummary);
        let d = decide(&kind, &AgentContext { reminder: Some(reminder), ..ctx }, &prefs, now);
        prop_assert!(d.dashboard.delivers());
        prop_assert_eq!(d.email.outcome, Outcome::Suppress);
        let mut pushing = prefs.clone();
        pushing.push_scope = PushScope::All;
        if let Some(row) = pushing.events.row_mut(&kind) {
            row.push = true;
        }
        let plain = decide(&kind, &ctx, &pushing, now);
        prop_assert_eq!(d.push.delivers(), plain.push.delivers(), "{:?} vs {:?}", d.push, plain.push);
    }

    /// Every channel always says why.
    #[test]
    fn every_decision_has_reasons(
        prefs in preferences(), kind in kind(), ctx in context(), now in instant()
    ) {
        let d = decide(&kind, &ctx, &prefs, now);
        for c in [&d.dashboard, &d.email, &d.push, &d.sound] {
            prop_assert!(!c.reasons.is_empty(), "{:?}", d);
        }
        prop_assert!(d.dashboard.outcome != Outcome::Summary && d.push.outcome != Outcome::Summary);
        if d.email.outcome == Outcome::Summary {
            prop_assert_eq!(prefs.email.mode, EmailMode::Summary);
        }
    }

    /// The bell does not depend on the clock: the same event at any time lands the same way.
    #[test]
    fn the_bell_ignores_time(
        prefs in preferences(), kind in kind(), ctx in context(), a in instant(), b in instant()
    ) {
        let da = decide(&kind, &ctx, &prefs, a);
        let db = decide(&kind, &ctx, &prefs, b);
        prop_assert_eq!(da.dashboard, db.dashboard);
    }

    /// Sound never plays for something that reached neither the bell nor push.
    #[test]
    fn sound_needs_a_delivery(
        prefs in preferences(), kind in kind(), ctx in context(), now in instant()
    ) {
        let d = decide(&kind, &ctx, &prefs, now);
        if d.sound.delivers() {
            prop_assert!(d.dashboard.delivers() || d.push.delivers());
            prop_assert!(prefs.sound.enabled && prefs.sound.volume > 0);
        }
    }

    /// The next summary is never in the past, never more than ~two days ahead (DST days are
    /// 23 to 25 hours), and falls on the chosen wall-clock time unless that time was skipped.
    #[test]
    fn next_summary_is_ahead_and_on_time(prefs in preferences(), now in instant()) {
        let due = prefs.next_summary_at(now);
        prop_assert!(due >= now);
        prop_assert!(due - now <= Duration::hours(26), "{} after {}", due, now);
        let tz = parse_time_zone(&prefs.email.time_zone).expect("generated zones are valid");
        let local = due.with_timezone(&tz);
        let wanted = local.date_naive().and_time(prefs.email.summary_at.to_naive());
        if !matches!(tz.from_local_datetime(&wanted), LocalResult::None) {
            prop_assert_eq!(LocalTime::of(local.time()), prefs.email.summary_at);
        } else {
            prop_assert!(LocalTime::of(local.time()) > prefs.email.summary_at, "skipped times move forward");
        }
    }

    /// Preferences survive JSON unchanged, and what we generate validates.
    #[test]
    fn preferences_round_trip(prefs in preferences()) {
        let json = serde_json::to_string(&prefs).expect("serialises");
        let back: Preferences = serde_json::from_str(&json).expect("parses");
        prop_assert_eq!(&back, &prefs);
        let errors = prefs.validate().err().unwrap_or_default();
        prop_assert!(errors.iter().all(|e| e.field.starts_with("quiet_hours.windows")), "{:?}", errors);
    }

    /// Any kind name reads back as itself: unknown kinds are kept verbatim.
    #[test]
    fn event_kinds_keep_their_name(name in "[a-z_]{1,64}") {
        let kind = EventKind::parse(&name);
        prop_assert_eq!(kind.as_str(), name.as_str());
        let json = serde_json::to_string(&kind).expect("serialises");
        let back: EventKind = serde_json::from_str(&json).expect("parses");
        prop_assert_eq!(back, kind);
    }
}
