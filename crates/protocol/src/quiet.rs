//! "While you were quiet": when quiet hours or a pause end, one notification sums up what
//! arrived meanwhile and opens the bell filtered to it. The server notes the first item an
//! agent's quiet time held and, once [`is_quiet`] says the quiet time is over, makes one
//! item of kind [`EventKind::QuietSummary`] carrying a [`QuietDigest`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::event::EventKind;
use crate::policy::{
    device_refusal, quiet_hours_end, AgentContext, ChannelDecision, Decision, Outcome, Reason,
};
use crate::prefs::{Language, Preferences};

/// What arrived while the agent was quiet, still unread when the quiet time ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct QuietDigest {
    /// When the first held item arrived.
    pub since: DateTime<Utc>,
    /// The items are after this seq …
    #[ts(type = "number")]
    pub after_seq: u64,
    /// … and up to this one (the bell filtered to them shows exactly these).
    #[ts(type = "number")]
    pub up_to_seq: u64,
    /// How many.
    pub total: u32,
    /// How many of each kind, most first.
    pub kinds: Vec<KindCount>,
}

/// How many items of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct KindCount {
    /// The kind.
    pub kind: EventKind,
    /// How many.
    pub count: u32,
}

/// Whether the agent is quiet now: paused, or inside quiet hours.
pub fn is_quiet(prefs: &Preferences, now: DateTime<Utc>) -> bool {
    prefs.paused_until.is_some_and(|until| now < until) || quiet_hours_end(prefs, now).is_some()
}

/// Whether a decision's push was held only by pause or quiet hours (what a quiet summary
/// counts, and what an escalation waits out).
pub fn held_by_quiet(decision: &Decision) -> bool {
    !decision.push.delivers()
        && decision
            .push
            .reasons
            .iter()
            .any(|r| matches!(r, Reason::Paused { .. } | Reason::QuietHours { .. }))
}

impl QuietDigest {
    /// "While you were quiet: 7 notifications, 2 assignments, 1 mention", in `language`.
    /// Assignments and mentions are named; the rest are in the total.
    pub fn headline(&self, language: Language) -> String {
        let pt = language == Language::PtBr;
        let count = |kind: &EventKind| {
            self.kinds
                .iter()
                .find(|k| &k.kind == kind)
                .map_or(0, |k| k.count)
        };
        let words =
            |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = vec![if pt {
            words(self.total, "notificação", "notificações")
        } else {
            words(self.total, "notification", "notifications")
        }];
        let assignments = count(&EventKind::Assignment);
        if assignments > 0 {
            parts.push(if pt {
                words(assignments, "atribuição", "atribuições")
            } else {
                words(assignments, "assignment", "assignments")
            });
        }
        let mentions = count(&EventKind::Mention);
        if mentions > 0 {
            parts.push(if pt {
                words(mentions, "menção", "menções")
            } else {
                words(mentions, "mention", "mentions")
            });
        }
        let lead = if pt {
            "Enquanto você estava em silêncio"
        } else {
            "While you were quiet"
        };
        format!("{lead}: {}", parts.join(", "))
    }
}

/// A quiet summary: on the bell (made read: it is about other items, not one to count),
/// pushed as the one notification of the quiet time's end unless the device says otherwise,
/// never emailed; sound as the agent's sound setting says.
pub(crate) fn decide_quiet_summary(ctx: &AgentContext, prefs: &Preferences) -> Decision {
    let summary = || vec![Reason::QuietSummary];
    let push = match device_refusal(ctx, false) {
        Some(reason) => ChannelDecision::new(Outcome::Suppress, vec![Reason::QuietSummary, reason]),
        None => ChannelDecision::new(Outcome::Deliver, summary()),
    };
    let sound = if !prefs.sound.enabled || prefs.sound.volume == 0 {
        ChannelDecision::new(Outcome::Suppress, vec![Reason::SoundOff])
    } else if ctx.device_muted {
        ChannelDecision::new(Outcome::Suppress, vec![Reason::DeviceMuted])
    } else {
        ChannelDecision::new(Outcome::Deliver, summary())
    };
    Decision {
        dashboard: ChannelDecision::new(Outcome::Deliver, summary()),
        email: ChannelDecision::new(Outcome::Suppress, summary()),
        push,
        sound,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::{decide, AgentContext};

    fn digest(kinds: &[(EventKind, u32)]) -> QuietDigest {
        QuietDigest {
            since: Utc
                .with_ymd_and_hms(2026, 12, 2, 1, 0, 0)
                .single()
                .expect("valid"),
            after_seq: 10,
            up_to_seq: 20,
            total: kinds.iter().map(|(_, n)| n).sum(),
            kinds: kinds
                .iter()
                .map(|(kind, count)| KindCount {
                    kind: kind.clone(),
                    count: *count,
                })
                .collect(),
        }
    }

    #[test]
    fn the_summary_names_the_total_assignments_and_mentions() {
        let d = digest(&[
            (EventKind::Reply, 4),
            (EventKind::Assignment, 2),
            (EventKind::Mention, 1),
        ]);
        assert_eq!(
            d.headline(Language::En),
            "While you were quiet: 7 notifications, 2 assignments, 1 mention"
        );
        assert_eq!(
            d.headline(Language::PtBr),
            "Enquanto você estava em silêncio: 7 notificações, 2 atribuições, 1 menção"
        );
        assert_eq!(
            digest(&[(EventKind::Reply, 1)]).headline(Language::En),
            "While you were quiet: 1 notification"
        );
    }

    #[test]
    fn quiet_means_paused_or_inside_quiet_hours() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 2, 12, 0, 0)
            .single()
            .expect("valid");
        let mut prefs = Preferences::default();
        assert!(!is_quiet(&prefs, now));
        prefs.paused_until = Some(now + Duration::minutes(1));
        assert!(is_quiet(&prefs, now));
        assert!(
            !is_quiet(&prefs, now + Duration::minutes(1)),
            "the pause ended"
        );
        prefs.paused_until = None;
        prefs.quiet_hours.enabled = true;
        prefs.quiet_hours.windows[0].days = crate::prefs::Weekday::ALL.to_vec();
        prefs.quiet_hours.windows[0].start = crate::prefs::LocalTime::new(11, 0).expect("valid");
        prefs.quiet_hours.windows[0].end = crate::prefs::LocalTime::new(13, 0).expect("valid");
        assert!(is_quiet(&prefs, now));
        let ctx = AgentContext {
            assigned_to_me: true,
            ..AgentContext::default()
        };
        let held = decide(&EventKind::Reply, &ctx, &prefs, now);
        assert!(held_by_quiet(&held));
        assert!(!held_by_quiet(&decide(
            &EventKind::Reply,
            &ctx,
            &prefs,
            now + Duration::hours(2)
        )));
    }
}
