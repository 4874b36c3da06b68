//! Changes to the preferences as data: a device keeps its unsaved ones and re-applies them
//! on a fresher copy when someone else saved first.

use chrono::{DateTime, Utc};
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
}

impl Preferences {
    /// Applies one change.
    pub fn apply(&mut self, edit: &PrefEdit) {
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
            PrefEdit::Language { language } => self.language = *language,
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
