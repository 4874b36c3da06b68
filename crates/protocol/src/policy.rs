//! The notification policy: one pure function, `decide`, shared by the server (bell, email,
//! mobile push) and the client (OS notification, sound).
//!
//! Time is passed in. Every channel's decision carries the reasons that led to it, so the
//! agent can later ask "why did / didn't I get this?" and get a true answer.
//!
//! The rules, in the order they are applied to a channel:
//! 1. the event × channel matrix (the test event goes to every channel some row uses);
//! 2. "mentions always alert" puts a mention on the dashboard and push even when its row is
//!    off, and lets it through pause, quiet hours, device mute and the push scope;
//! 3. push scope "assigned to me";
//! 4. pause, then quiet hours (with break-through for mentions / assignments);
//! 5. device-local context: muted device, focused app (no push while the agent looks at the
//!    bell), an OS permission known to be denied.
//!
//! A reminder (`AgentContext::reminder`: a snooze that ended, an unread assignment's
//! escalation) is back on the bell and pushes whatever its row says, never emails, and is
//! held by the same gates from rule 4 on.
//!
//! The dashboard is never silenced by pause or quiet hours: those stop interruptions, not
//! the record. Sound follows what reaches the dashboard or push.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::event::{Channel, EventKind};
use crate::prefs::{local_clock, parse_time_zone, EmailMode, LocalTime, Preferences, PushScope};

/// What the OS says about showing notifications, as far as the caller can tell.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    TS,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OsPermission {
    /// Notifications may be shown.
    Granted,
    /// The OS or browser blocks them.
    Denied,
    /// Not known (the server's view, or an OS that does not say).
    #[default]
    Unknown,
}

/// Facts about the agent and the moment that the preferences alone do not tell.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    TS,
    schemars::JsonSchema,
)]
pub struct AgentContext {
    /// The conversation is assigned to this agent.
    pub assigned_to_me: bool,
    /// The event mentions this agent (a mention event, or a reply that mentions them).
    pub mentioned: bool,
    /// The event names this agent as an explicit recipient (module events).
    pub directly_addressed: bool,
    /// The app's window is focused (client only).
    pub app_focused: bool,
    /// This device is muted locally (client only).
    pub device_muted: bool,
    /// What the OS allows (client only).
    pub push_permission: OsPermission,
    /// This device is a phone registered for push: the server's pushes are its
    /// notifications, and its app raises none of its own (client only).
    #[serde(default)]
    pub pushed_to_this_phone: bool,
    /// The agent's rule for the conversation's inbox or team, if one applies (the server
    /// finds it: `Preferences::group_rule_for`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub group_rule: Option<crate::prefs::GroupAction>,
    /// The item is coming back (snoozed until now, or an assignment still unread): decided
    /// as a reminder (the server sets it when it brings the item back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reminder: Option<crate::reminders::Reminder>,
}

/// What happens on one channel.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Delivered now.
    Deliver,
    /// Kept for the end-of-day summary email.
    Summary,
    /// Not delivered.
    Suppress,
}

/// Why a channel decision came out the way it did. Tagged by `code`; the UI words them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// The agent's row for this kind has the channel on.
    ChannelOn,
    /// The agent's row for this kind has the channel off.
    ChannelOff,
    /// A test the agent asked for.
    TestRequested,
    /// Test event: no kind of event uses this channel, so a test would prove nothing.
    ChannelUnused,
    /// "Mentions always alert" applied.
    MentionsAlwaysAlert,
    /// Push is limited to conversations assigned to the agent, and this one is not.
    NotAssignedToMe,
    /// Notifications are paused.
    Paused {
        /// Until when.
        until: DateTime<Utc>,
    },
    /// Inside quiet hours.
    QuietHours {
        /// Local time the current quiet period ends.
        ends_at: LocalTime,
    },
    /// Inside quiet hours, but this kind breaks through.
    BreaksThroughQuietHours,
    /// Email goes in the end-of-day summary.
    InSummary {
        /// Local time of the summary.
        at: LocalTime,
        /// Its time zone.
        time_zone: String,
    },
    /// The app is focused: the bell shows it, no OS notification needed.
    AppFocused,
    /// This device is muted.
    DeviceMuted,
    /// The OS or browser blocks notifications: check the system permissions.
    PermissionDenied,
    /// This phone gets Herald's pushes: they are its notifications (held while the agent
    /// works at a computer, dropped once read), so the app raises none of its own.
    PushedToThisPhone,
    /// Sound is switched off (or its volume is 0).
    SoundOff,
    /// Nothing reached the dashboard or push, so there is nothing to sound for.
    NothingToSoundFor,
    /// The agent muted this conversation's inbox or team.
    GroupMuted,
    /// The agent takes push from this conversation's inbox or team even with push limited
    /// to conversations assigned to them.
    GroupPushAlways,
    /// A reminder the agent asked for (a snooze that ended, or their escalation of an
    /// unread assignment): back on the bell and as a notification, never by email.
    Reminded {
        /// Which.
        reminder: crate::reminders::Reminder,
    },
    /// "While you were quiet": a summary of what arrived during quiet hours or a pause, as a
    /// notification when the quiet time ends (kept on the bell read, never emailed).
    QuietSummary,
    /// The workspace's admin locked this setting (its value decided).
    Locked {
        /// Who locked it.
        by: String,
    },
}

/// One channel's outcome with its reasons (never empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct ChannelDecision {
    /// Delivered, summarised or suppressed.
    pub outcome: Outcome,
    /// Why, in the order the rules applied.
    pub reasons: Vec<Reason>,
}

impl ChannelDecision {
    pub(crate) fn new(outcome: Outcome, reasons: Vec<Reason>) -> Self {
        ChannelDecision { outcome, reasons }
    }

    /// Whether the channel delivers now.
    pub fn delivers(&self) -> bool {
        self.outcome == Outcome::Deliver
    }
}

/// The decision for one event and one agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct Decision {
    /// The bell.
    pub dashboard: ChannelDecision,
    /// Email.
    pub email: ChannelDecision,
    /// OS notification / mobile push.
    pub push: ChannelDecision,
    /// The in-app sound.
    pub sound: ChannelDecision,
}

impl Decision {
    /// The decision for `channel`.
    pub fn channel(&self, channel: Channel) -> &ChannelDecision {
        match channel {
            Channel::Dashboard => &self.dashboard,
            Channel::Email => &self.email,
            Channel::Push => &self.push,
        }
    }
}

/// Decides, for one event and one agent, what each channel does and why.
pub fn decide(
    kind: &EventKind,
    ctx: &AgentContext,
    prefs: &Preferences,
    now: DateTime<Utc>,
) -> Decision {
    if *kind == EventKind::QuietSummary {
        return crate::quiet::decide_quiet_summary(ctx, prefs);
    }
    let Some(row) = prefs.events.row(kind) else {
        return decide_test(ctx, prefs);
    };
    let is_mention = *kind == EventKind::Mention || ctx.mentioned;
    let override_on = is_mention && prefs.mentions_always_alert;
    let paused = prefs.paused_until.filter(|until| now < *until);
    let quiet = quiet_hours_end(prefs, now);
    let breaks_through = (is_mention && prefs.quiet_hours.break_through.mentions)
        || (*kind == EventKind::Assignment && prefs.quiet_hours.break_through.assignments);

    let group_muted = ctx.group_rule == Some(crate::prefs::GroupAction::Mute);
    // Interruption gates shared by email, push and sound: the muted inbox or team, pause,
    // then quiet hours.
    let interruption_gate = |reasons: &mut Vec<Reason>| -> bool {
        if group_muted && !override_on {
            reasons.push(Reason::GroupMuted);
            return false;
        }
        if let Some(until) = paused {
            if !override_on {
                reasons.push(Reason::Paused { until });
                return false;
            }
        }
        if let Some(ends_at) = quiet {
            if breaks_through {
                reasons.push(Reason::BreaksThroughQuietHours);
            } else if !override_on {
                reasons.push(Reason::QuietHours { ends_at });
                return false;
            }
        }
        true
    };

    if let Some(reminder) = ctx.reminder {
        return crate::reminders::decide_reminder(
            reminder,
            override_on,
            ctx,
            prefs,
            &interruption_gate,
        );
    }

    let dashboard = if row.dashboard {
        ChannelDecision::new(Outcome::Deliver, vec![Reason::ChannelOn])
    } else if override_on {
        ChannelDecision::new(Outcome::Deliver, vec![Reason::MentionsAlwaysAlert])
    } else {
        ChannelDecision::new(Outcome::Suppress, vec![Reason::ChannelOff])
    };

    // Email follows its row only: "always alert" is about real-time alerts.
    let email = if !row.email {
        ChannelDecision::new(Outcome::Suppress, vec![Reason::ChannelOff])
    } else if prefs.email.mode == EmailMode::Summary {
        ChannelDecision::new(
            Outcome::Summary,
            vec![
                Reason::ChannelOn,
                Reason::InSummary {
                    at: prefs.email.summary_at,
                    time_zone: prefs.email.time_zone.clone(),
                },
            ],
        )
    } else {
        let mut reasons = vec![Reason::ChannelOn];
        if override_on && (paused.is_some() || quiet.is_some()) {
            reasons.push(Reason::MentionsAlwaysAlert);
        }
        let open = interruption_gate(&mut reasons);
        ChannelDecision::new(
            if open {
                Outcome::Deliver
            } else {
                Outcome::Suppress
            },
            reasons,
        )
    };

    let mut push = decide_push(row.push, override_on, ctx, prefs, &interruption_gate);

    // Say so where a lock decided: the cell's own lock, or a locked "mentions always alert"
    // that let a mention through.
    let mut dashboard = dashboard;
    let mut email = email;
    let by = prefs.locked_by.as_deref().unwrap_or("your admin");
    let always_locked = prefs.locked_mentions_always_alert().is_some();
    for (channel, decision) in [
        (Channel::Dashboard, &mut dashboard),
        (Channel::Email, &mut email),
        (Channel::Push, &mut push),
    ] {
        let cell = prefs.locked_channel(kind, channel).is_some();
        let by_always = always_locked && decision.reasons.contains(&Reason::MentionsAlwaysAlert);
        if cell || by_always {
            decision
                .reasons
                .insert(0, Reason::Locked { by: by.to_owned() });
        }
    }

    let sound = decide_sound(
        &dashboard,
        &push,
        override_on,
        ctx,
        prefs,
        &interruption_gate,
    );

    Decision {
        dashboard,
        email,
        push,
        sound,
    }
}

/// What the device's own context says against an OS notification, if anything.
pub(crate) fn device_refusal(ctx: &AgentContext, override_on: bool) -> Option<Reason> {
    if ctx.device_muted && !override_on {
        Some(Reason::DeviceMuted)
    } else if ctx.app_focused {
        Some(Reason::AppFocused)
    } else if ctx.pushed_to_this_phone {
        Some(Reason::PushedToThisPhone)
    } else if ctx.push_permission == OsPermission::Denied {
        Some(Reason::PermissionDenied)
    } else {
        None
    }
}

fn decide_push(
    row_on: bool,
    override_on: bool,
    ctx: &AgentContext,
    prefs: &Preferences,
    interruption_gate: &dyn Fn(&mut Vec<Reason>) -> bool,
) -> ChannelDecision {
    let suppress = |reasons| ChannelDecision::new(Outcome::Suppress, reasons);
    let mut reasons = Vec::new();
    if row_on {
        reasons.push(Reason::ChannelOn);
    } else if override_on {
        reasons.push(Reason::MentionsAlwaysAlert);
    } else {
        return suppress(vec![Reason::ChannelOff]);
    }
    let mine = ctx.assigned_to_me || ctx.directly_addressed;
    let push_always = ctx.group_rule == Some(crate::prefs::GroupAction::PushAlways);
    if prefs.push_scope == PushScope::AssignedToMe && !mine && push_always {
        reasons.push(Reason::GroupPushAlways);
    } else if prefs.push_scope == PushScope::AssignedToMe && !mine {
        if !override_on {
            reasons.push(Reason::NotAssignedToMe);
            return suppress(reasons);
        }
        if row_on {
            reasons.push(Reason::MentionsAlwaysAlert);
        }
    }
    if !interruption_gate(&mut reasons) {
        return suppress(reasons);
    }
    if let Some(reason) = device_refusal(ctx, override_on) {
        reasons.push(reason);
        return suppress(reasons);
    }
    ChannelDecision::new(Outcome::Deliver, reasons)
}

pub(crate) fn decide_sound(
    dashboard: &ChannelDecision,
    push: &ChannelDecision,
    override_on: bool,
    ctx: &AgentContext,
    prefs: &Preferences,
    interruption_gate: &dyn Fn(&mut Vec<Reason>) -> bool,
) -> ChannelDecision {
    let suppress = |reasons| ChannelDecision::new(Outcome::Suppress, reasons);
    if !dashboard.delivers() && !push.delivers() {
        return suppress(vec![Reason::NothingToSoundFor]);
    }
    if !prefs.sound.enabled || prefs.sound.volume == 0 {
        return suppress(vec![Reason::SoundOff]);
    }
    let mut reasons = Vec::new();
    if !interruption_gate(&mut reasons) {
        return suppress(reasons);
    }
    if ctx.device_muted && !override_on {
        reasons.push(Reason::DeviceMuted);
        return suppress(reasons);
    }
    // Out of sight on a phone that gets pushes: the push sounds itself.
    if ctx.pushed_to_this_phone && !ctx.app_focused {
        reasons.push(Reason::PushedToThisPhone);
        return suppress(reasons);
    }
    reasons.push(Reason::ChannelOn);
    ChannelDecision::new(Outcome::Deliver, reasons)
}

/// The test event: every channel some row uses, right now, whatever pause, quiet hours,
/// focus or mute say (the agent just asked for it); only a denied OS permission stops push,
/// which is exactly what the test must reveal.
fn decide_test(ctx: &AgentContext, prefs: &Preferences) -> Decision {
    let channel = |channel: Channel| {
        if prefs.events.uses(channel) {
            ChannelDecision::new(Outcome::Deliver, vec![Reason::TestRequested])
        } else {
            ChannelDecision::new(Outcome::Suppress, vec![Reason::ChannelUnused])
        }
    };
    let dashboard = channel(Channel::Dashboard);
    let email = channel(Channel::Email);
    let mut push = channel(Channel::Push);
    if push.delivers() && ctx.push_permission == OsPermission::Denied {
        push = ChannelDecision::new(
            Outcome::Suppress,
            vec![Reason::TestRequested, Reason::PermissionDenied],
        );
    }
    // As for any event: no sound for something that shows nowhere (every row off).
    let sound = if !dashboard.delivers() && !push.delivers() {
        ChannelDecision::new(Outcome::Suppress, vec![Reason::NothingToSoundFor])
    } else if !prefs.sound.enabled || prefs.sound.volume == 0 {
        ChannelDecision::new(Outcome::Suppress, vec![Reason::SoundOff])
    } else {
        ChannelDecision::new(Outcome::Deliver, vec![Reason::TestRequested])
    };
    Decision {
        dashboard,
        email,
        push,
        sound,
    }
}

/// When the quiet period that `now` falls in ends (local time), or `None` outside quiet
/// hours. Wall-clock comparison in the schedule's zone, so DST changes need no special case:
/// a repeated hour is quiet both times, a skipped hour is simply never seen.
pub fn quiet_hours_end(prefs: &Preferences, now: DateTime<Utc>) -> Option<LocalTime> {
    let quiet = &prefs.quiet_hours;
    if !quiet.enabled {
        return None;
    }
    let tz = parse_time_zone(&quiet.time_zone)?;
    let (today, time) = local_clock(tz, now);
    let yesterday = crate::prefs::Weekday::ALL[(today as usize + 6) % 7];
    quiet.windows.iter().find_map(|w| {
        let inside = if w.start < w.end {
            w.days.contains(&today) && w.start <= time && time < w.end
        } else {
            (w.days.contains(&today) && time >= w.start)
                || (w.days.contains(&yesterday) && time < w.end)
        };
        inside.then_some(w.end)
    })
}
