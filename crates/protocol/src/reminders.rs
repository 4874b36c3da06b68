//! Items that come back: snoozed items at the time the agent chose, and assignments still
//! unread after the agent's escalation delay. Both return to the top of the bell, unread,
//! with a fresh notification decided by the policy ([`crate::decide`] reads
//! [`AgentContext::reminder`](crate::AgentContext)).
//!
//! The rules here are pure; the server keeps the schedule and moves the items.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::notification::UnreadCount;
use crate::policy::{
    decide_sound, device_refusal, AgentContext, ChannelDecision, Decision, Outcome, Reason,
};
use crate::prefs::{FieldError, PausePreset, PrefEdit, Preferences};

/// Why an item is back at the top of the bell.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reminder {
    /// The agent snoozed it until now.
    Snoozed,
    /// An assignment still unread: reminder `count` of `limit`.
    Unanswered {
        /// This reminder's number (1 for the first).
        count: u8,
        /// How many the agent's preferences allow.
        limit: u8,
    },
}

/// Reminders of assignments nobody read.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
pub struct Escalation {
    /// Remind at all.
    pub enabled: bool,
    /// Minutes an assignment may stay unread before each reminder
    /// ([`ESCALATION_MINUTES`]).
    pub after_minutes: u16,
    /// Reminders at most, one every `after_minutes` ([`ESCALATION_REPEAT`]).
    pub repeat: u8,
}

/// The delays an escalation may use, in minutes.
pub const ESCALATION_MINUTES: std::ops::RangeInclusive<u16> = 5..=240;
/// How many reminders an escalation may send.
pub const ESCALATION_REPEAT: std::ops::RangeInclusive<u8> = 1..=5;

impl Default for Escalation {
    /// Off until the agent (or the workspace's starting preferences) turns it on: a reminder
    /// nobody asked for is noise.
    fn default() -> Self {
        Escalation {
            enabled: false,
            after_minutes: 15,
            repeat: 2,
        }
    }
}

impl Escalation {
    /// When the first reminder of an assignment delivered at `now` is due; `None` when off.
    pub fn first_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.enabled
            .then(|| now + Duration::minutes(i64::from(self.after_minutes)))
    }

    /// Its fields' problems, for the preferences' validation.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if !ESCALATION_MINUTES.contains(&self.after_minutes) {
            errors.push(FieldError {
                field: "escalation.after_minutes".into(),
                message: format!(
                    "remind after {} to {} minutes",
                    ESCALATION_MINUTES.start(),
                    ESCALATION_MINUTES.end()
                ),
            });
        }
        if !ESCALATION_REPEAT.contains(&self.repeat) {
            errors.push(FieldError {
                field: "escalation.repeat".into(),
                message: format!(
                    "remind {} to {} times",
                    ESCALATION_REPEAT.start(),
                    ESCALATION_REPEAT.end()
                ),
            });
        }
        errors
    }
}

/// What the server does with a due reminder of an unread assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscalationStep {
    /// Read, snoozed, or escalation switched off meanwhile: nothing more, ever.
    Stop,
    /// The agent is paused or in quiet hours and the reminder would not reach them: ask
    /// again at this time, without using one of the reminders.
    Later(DateTime<Utc>),
    /// Send reminder `count` now; the next is due at `next` (none after the last).
    Send {
        /// The reminder (its number and the limit).
        reminder: Reminder,
        /// When the next one is due.
        next: Option<DateTime<Utc>>,
    },
}

/// The next step for an assignment whose reminder is due: `sent` reminders went before,
/// `unread` says whether it is still unread (and not snoozed), and `decision` is what the
/// policy decides for reminder `sent + 1` now (see [`escalation_reminder`]).
pub fn escalation_step(
    prefs: &Preferences,
    sent: u8,
    unread: bool,
    decision: &Decision,
    now: DateTime<Utc>,
) -> EscalationStep {
    let escalation = prefs.escalation;
    if !unread || !escalation.enabled || sent >= escalation.repeat {
        return EscalationStep::Stop;
    }
    let every = Duration::minutes(i64::from(escalation.after_minutes));
    if crate::quiet::held_by_quiet(decision) {
        return EscalationStep::Later(now + every);
    }
    let count = sent.saturating_add(1);
    EscalationStep::Send {
        reminder: Reminder::Unanswered {
            count,
            limit: escalation.repeat,
        },
        next: (count < escalation.repeat).then_some(now + every),
    }
}

/// The reminder the policy is asked about for an assignment's next escalation.
pub fn escalation_reminder(prefs: &Preferences, sent: u8) -> Reminder {
    Reminder::Unanswered {
        count: sent.saturating_add(1),
        limit: prefs.escalation.repeat,
    }
}

/// When a snoozed item comes back.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
#[serde(tag = "choice", rename_all = "snake_case")]
pub enum SnoozeUntil {
    /// In 15 minutes.
    QuarterHour,
    /// In an hour.
    Hour,
    /// 08:00 tomorrow in the agent's time zone (as the pause "until tomorrow").
    TomorrowMorning,
    /// At a chosen time (within [`SNOOZE_MAX_DAYS`]).
    At {
        /// When.
        at: DateTime<Utc>,
    },
}

/// The furthest a snooze may reach.
pub const SNOOZE_MAX_DAYS: i64 = 30;

impl SnoozeUntil {
    /// The instant this choice means at `now`, or why it cannot be.
    pub fn instant(
        self,
        prefs: &Preferences,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, FieldError> {
        let at = match self {
            SnoozeUntil::QuarterHour => now + Duration::minutes(15),
            SnoozeUntil::Hour => now + Duration::hours(1),
            SnoozeUntil::TomorrowMorning => match PausePreset::Tomorrow.edit(prefs, now) {
                PrefEdit::PausedUntil { until: Some(at) } => at,
                _ => now + Duration::days(1),
            },
            SnoozeUntil::At { at } => at,
        };
        let problem = if at <= now {
            Some("choose a time in the future")
        } else if at > now + Duration::days(SNOOZE_MAX_DAYS) {
            Some("snooze for at most 30 days")
        } else {
            None
        };
        match problem {
            Some(message) => Err(FieldError {
                field: "until.at".into(),
                message: message.into(),
            }),
            None => Ok(at),
        }
    }
}

/// What to snooze.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum SnoozeTarget {
    /// These items (on the bell).
    Items {
        /// Item ids (at most 500).
        ids: Vec<Uuid>,
    },
    /// Every unread item of one conversation: they come back together, with one
    /// notification.
    Conversation {
        /// The platform's conversation id.
        conversation_id: String,
    },
}

/// `POST /api/v1/inbox/snooze`: snooze items until a time, or bring them back now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct SnoozeRequest {
    /// What.
    pub target: SnoozeTarget,
    /// Until when; absent to bring snoozed items back now (unread, without a notification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub until: Option<SnoozeUntil>,
}

/// What a snooze request changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct SnoozeResult {
    /// The items snoozed (or brought back).
    pub ids: Vec<Uuid>,
    /// When they come back; absent when they were brought back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub until: Option<DateTime<Utc>>,
    /// The counter afterwards (snoozed items leave it).
    pub unread: UnreadCount,
}

/// A reminder: back on the bell whatever its row says (the item was there), no email,
/// push because the agent asked for the reminder (whatever the row and the push scope
/// say), held by a muted inbox or team, pause and quiet hours (with their break-through)
/// and the device's own context like any push.
pub(crate) fn decide_reminder(
    reminder: Reminder,
    override_on: bool,
    ctx: &AgentContext,
    prefs: &Preferences,
    interruption_gate: &dyn Fn(&mut Vec<Reason>) -> bool,
) -> Decision {
    let reminded = Reason::Reminded { reminder };
    let dashboard = ChannelDecision::new(Outcome::Deliver, vec![reminded.clone()]);
    let email = ChannelDecision::new(Outcome::Suppress, vec![reminded.clone()]);
    let mut reasons = vec![reminded];
    let push = if !interruption_gate(&mut reasons) {
        ChannelDecision::new(Outcome::Suppress, reasons)
    } else if let Some(reason) = device_refusal(ctx, override_on) {
        reasons.push(reason);
        ChannelDecision::new(Outcome::Suppress, reasons)
    } else {
        ChannelDecision::new(Outcome::Deliver, reasons)
    };
    let sound = decide_sound(
        &dashboard,
        &push,
        override_on,
        ctx,
        prefs,
        interruption_gate,
    );
    Decision {
        dashboard,
        email,
        push,
        sound,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{decide, AgentContext, EventKind};

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, h, m, 0)
            .single()
            .expect("valid instant")
    }

    fn on(after_minutes: u16, repeat: u8) -> Preferences {
        Preferences {
            escalation: Escalation {
                enabled: true,
                after_minutes,
                repeat,
            },
            ..Preferences::default()
        }
    }

    fn step(prefs: &Preferences, sent: u8, unread: bool, now: DateTime<Utc>) -> EscalationStep {
        let ctx = AgentContext {
            assigned_to_me: true,
            reminder: Some(escalation_reminder(prefs, sent)),
            ..AgentContext::default()
        };
        let decision = decide(&EventKind::Assignment, &ctx, prefs, now);
        escalation_step(prefs, sent, unread, &decision, now)
    }

    #[test]
    fn escalation_sends_its_reminders_then_stops() {
        let prefs = on(15, 2);
        assert_eq!(prefs.escalation.first_due(at(9, 0)), Some(at(9, 15)));
        assert_eq!(
            step(&prefs, 0, true, at(9, 15)),
            EscalationStep::Send {
                reminder: Reminder::Unanswered { count: 1, limit: 2 },
                next: Some(at(9, 30)),
            }
        );
        assert_eq!(
            step(&prefs, 1, true, at(9, 30)),
            EscalationStep::Send {
                reminder: Reminder::Unanswered { count: 2, limit: 2 },
                next: None,
            },
            "the last reminder schedules none"
        );
        assert_eq!(step(&prefs, 2, true, at(9, 45)), EscalationStep::Stop);
        assert_eq!(
            step(&prefs, 0, false, at(9, 15)),
            EscalationStep::Stop,
            "read meanwhile"
        );
        assert_eq!(
            step(&Preferences::default(), 0, true, at(9, 15)),
            EscalationStep::Stop,
            "off by default"
        );
        assert_eq!(Preferences::default().escalation.first_due(at(9, 0)), None);
    }

    #[test]
    fn escalation_waits_out_a_pause_without_using_a_reminder() {
        let mut prefs = on(10, 3);
        prefs.paused_until = Some(at(10, 0));
        assert_eq!(
            step(&prefs, 1, true, at(9, 20)),
            EscalationStep::Later(at(9, 30))
        );
        assert!(matches!(
            step(&prefs, 1, true, at(10, 0)),
            EscalationStep::Send {
                reminder: Reminder::Unanswered { count: 2, limit: 3 },
                ..
            }
        ));
    }

    #[test]
    fn snooze_times_are_in_the_future_and_bounded() {
        let mut prefs = Preferences::default();
        prefs.quiet_hours.time_zone = "America/Sao_Paulo".into();
        let now = at(23, 30); // 20:30 in São Paulo
        assert_eq!(
            SnoozeUntil::QuarterHour.instant(&prefs, now),
            Ok(now + Duration::minutes(15))
        );
        assert_eq!(
            SnoozeUntil::Hour.instant(&prefs, now),
            Ok(now + Duration::hours(1))
        );
        assert_eq!(
            SnoozeUntil::TomorrowMorning.instant(&prefs, now),
            Ok(Utc
                .with_ymd_and_hms(2026, 12, 3, 11, 0, 0)
                .single()
                .expect("valid")),
            "08:00 of the agent's next day"
        );
        let past = SnoozeUntil::At { at: now }.instant(&prefs, now);
        assert_eq!(past.map_err(|e| e.field), Err("until.at".to_owned()));
        let far = SnoozeUntil::At {
            at: now + Duration::days(31),
        };
        assert!(far.instant(&prefs, now).is_err());
    }

    #[test]
    fn escalation_limits_are_validated() {
        let bad = Escalation {
            enabled: true,
            after_minutes: 1,
            repeat: 9,
        };
        let fields: Vec<String> = bad.problems().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["escalation.after_minutes", "escalation.repeat"]);
        assert!(Escalation::default().problems().is_empty());
    }
}
