//! Changes to the preferences as data: a device keeps its unsaved ones and re-applies them
//! on a fresher copy when someone else saved first. And the pause choices, each an edit
//! made at a given time in the agent's time zone.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::event::{Channel, EventKind};

use super::*;

/// One change to the preferences. Changes are data: a device keeps its unsaved ones and
/// re-applies them on a fresher copy when someone else saved first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "edit", rename_all = "snake_case")]
pub enum PrefEdit {
    /// Switch one channel of one kind's row.
    Channel {
        /// The kind (its row; unknown kinds share the "other" row; the test event has none).
        kind: EventKind,
        /// The channel.
        channel: Channel,
        /// On or off.
        on: bool,
    },
    /// Push for all conversations or only mine.
    PushScope {
        /// The scope.
        scope: PushScope,
    },
    /// Instant email or the end-of-day summary.
    EmailMode {
        /// The mode.
        mode: EmailMode,
    },
    /// When the summary is sent.
    SummaryAt {
        /// Local time.
        at: LocalTime,
    },
    /// The email time zone.
    EmailTimeZone {
        /// IANA name.
        time_zone: String,
    },
    /// Mentions always alert.
    MentionsAlwaysAlert {
        /// On or off.
        on: bool,
    },
    /// The whole quiet-hours schedule.
    QuietHours {
        /// The schedule.
        quiet_hours: QuietHours,
    },
    /// Pause until an instant, or resume.
    PausedUntil {
        /// Until when; absent to resume.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        until: Option<DateTime<Utc>>,
    },
    /// The sound settings.
    Sound {
        /// The settings.
        sound: SoundPreferences,
    },
    /// How long phones wait while the agent works at a computer.
    PhoneDelay {
        /// Seconds (0: never wait).
        secs: u16,
    },
    /// "While you were quiet" summaries.
    QuietSummary {
        /// On or off.
        on: bool,
    },
    /// Reminders of unread assignments.
    Escalation {
        /// The settings.
        escalation: crate::reminders::Escalation,
    },
    /// The unread badge.
    UnreadBadge {
        /// On or off.
        on: bool,
    },
    /// The language of emails.
    Language {
        /// The language.
        language: Language,
    },
    /// The rule of one inbox or team; absent to follow the other settings again.
    GroupRule {
        /// `inbox:<id>` or `team:<id>`.
        group: String,
        /// What it does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        action: Option<GroupAction>,
    },
}

impl Preferences {
    /// Applies one change; a change of a locked setting changes nothing.
    pub fn apply(&mut self, edit: &PrefEdit) {
        if self.is_locked(edit) {
            return;
        }
        match edit {
            PrefEdit::Channel { kind, channel, on } => {
                if let Some(row) = self.events.row_mut(kind) {
                    row.set(*channel, *on);
                }
            }
            PrefEdit::PushScope { scope } => self.push_scope = *scope,
            PrefEdit::EmailMode { mode } => self.email.mode = *mode,
            PrefEdit::SummaryAt { at } => self.email.summary_at = *at,
            PrefEdit::EmailTimeZone { time_zone } => self.email.time_zone.clone_from(time_zone),
            PrefEdit::MentionsAlwaysAlert { on } => self.mentions_always_alert = *on,
            PrefEdit::QuietHours { quiet_hours } => self.quiet_hours = quiet_hours.clone(),
            PrefEdit::PausedUntil { until } => self.paused_until = *until,
            PrefEdit::Sound { sound } => self.sound = *sound,
            PrefEdit::UnreadBadge { on } => self.unread_badge = *on,
            PrefEdit::Escalation { escalation } => self.escalation = *escalation,
            PrefEdit::QuietSummary { on } => self.quiet_summary = *on,
            PrefEdit::PhoneDelay { secs } => self.phone_delay_secs = *secs,
            PrefEdit::Language { language } => self.language = *language,
            PrefEdit::GroupRule { group, action } => self.set_group_rule(group, *action),
        }
    }

    /// These preferences with `edits` applied in order.
    pub fn with(&self, edits: &[PrefEdit]) -> Preferences {
        let mut out = self.clone();
        for edit in edits {
            out.apply(edit);
        }
        out
    }
}

/// The pause choices offered in the preferences and the tray.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PausePreset {
    /// For the next hour.
    Hour,
    /// Until 08:00 tomorrow in the agent's time zone.
    Tomorrow,
    /// Resume now.
    Off,
}

/// When a pause of the next morning ends.
const MORNING: NaiveTime = match NaiveTime::from_hms_opt(8, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

impl PausePreset {
    /// The edit this choice makes at `now`. "Tomorrow" is 08:00 on the next day in the
    /// time zone of the agent's schedule (UTC if it names none Herald knows).
    pub fn edit(self, prefs: &Preferences, now: DateTime<Utc>) -> PrefEdit {
        let until = match self {
            PausePreset::Off => None,
            PausePreset::Hour => Some(now + Duration::hours(1)),
            PausePreset::Tomorrow => {
                let tz = parse_time_zone(&prefs.quiet_hours.time_zone).unwrap_or(chrono_tz::UTC);
                let today = now.with_timezone(&tz).date_naive();
                let tomorrow = today.succ_opt().unwrap_or(today);
                Some(local_instant(tz, tomorrow, MORNING))
            }
        };
        PrefEdit::PausedUntil { until }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn pause_until(preset: PausePreset, zone: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut prefs = Preferences::default();
        prefs.quiet_hours.time_zone = zone.into();
        match preset.edit(&prefs, now) {
            PrefEdit::PausedUntil { until } => until,
            other => panic!("a pause preset made {other:?}"),
        }
    }

    #[test]
    fn pause_presets_are_computed_in_the_agents_time_zone() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 1, 23, 30, 0)
            .single()
            .expect("valid instant");
        assert_eq!(
            pause_until(PausePreset::Hour, "UTC", now),
            Some(now + Duration::hours(1)),
            "an hour from now"
        );
        // 23:30 UTC is already 20:30 of Dec 1 in São Paulo (UTC-3): tomorrow is Dec 2.
        assert_eq!(
            pause_until(PausePreset::Tomorrow, "America/Sao_Paulo", now),
            Utc.with_ymd_and_hms(2026, 12, 2, 11, 0, 0).single(),
            "08:00 tomorrow in São Paulo is 11:00 UTC"
        );
        // In Tokyo (UTC+9) it is already 08:30 of Dec 2: tomorrow is Dec 3.
        assert_eq!(
            pause_until(PausePreset::Tomorrow, "Asia/Tokyo", now),
            Utc.with_ymd_and_hms(2026, 12, 2, 23, 0, 0).single(),
            "08:00 of Dec 3 in Tokyo is 23:00 UTC on Dec 2"
        );
        assert_eq!(pause_until(PausePreset::Off, "UTC", now), None, "resume");
    }
}
