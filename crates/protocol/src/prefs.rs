//! The agent's preferences: what reaches them, where, and when.
//!
//! Stored per agent on the server (email and mobile push must honour them when no client
//! runs). [`Preferences::default`] follows the spec's advice: not everything on,
//! assignments and mentions first.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ts_rs::TS;

use crate::event::{Channel, EventKind};
use crate::ts::ts_alias;

/// A wall-clock time of day, `"HH:MM"` on the wire, in some time zone given beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    minutes: u16,
}

impl LocalTime {
    /// A time of day; `None` unless `hour < 24` and `minute < 60`.
    pub const fn new(hour: u8, minute: u8) -> Option<LocalTime> {
        if hour < 24 && minute < 60 {
            Some(LocalTime {
                minutes: hour as u16 * 60 + minute as u16,
            })
        } else {
            None
        }
    }

    /// Minutes since midnight.
    pub fn minutes(self) -> u16 {
        self.minutes
    }

    /// The same time as a chrono [`NaiveTime`].
    pub fn to_naive(self) -> NaiveTime {
        NaiveTime::from_hms_opt(
            u32::from(self.minutes / 60),
            u32::from(self.minutes % 60),
            0,
        )
        .unwrap_or(NaiveTime::MIN)
    }

    /// The wall-clock minute of `time` (seconds dropped).
    pub fn of(time: NaiveTime) -> LocalTime {
        LocalTime {
            minutes: (time.hour() * 60 + time.minute()) as u16,
        }
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.minutes / 60, self.minutes % 60)
    }
}

/// The text was not a time of day in `HH:MM` form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time of day like \"18:30\"")]
pub struct BadLocalTime(String);

impl FromStr for LocalTime {
    type Err = BadLocalTime;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadLocalTime(s.chars().take(32).collect());
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let h: u8 = h.parse().map_err(|_| bad())?;
        let m: u8 = m.parse().map_err(|_| bad())?;
        LocalTime::new(h, m).ok_or_else(bad)
    }
}

impl Serialize for LocalTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

ts_alias!(LocalTime, "LocalTime", "string");

impl schemars::JsonSchema for LocalTime {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LocalTime".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
            "description": "a wall-clock time of day, HH:MM",
            "examples": ["18:30"]
        })
    }
}

/// Which channels one kind of event goes to.
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
pub struct ChannelSet {
    /// The bell.
    pub dashboard: bool,
    /// Email (instant or summary, see [`EmailPreferences`]).
    pub email: bool,
    /// OS notification / mobile push.
    pub push: bool,
}

impl ChannelSet {
    /// No channel.
    pub const NONE: ChannelSet = ChannelSet {
        dashboard: false,
        email: false,
        push: false,
    };

    /// Whether `channel` is switched on.
    pub fn get(&self, channel: Channel) -> bool {
        match channel {
            Channel::Dashboard => self.dashboard,
            Channel::Email => self.email,
            Channel::Push => self.push,
        }
    }

    /// Switches `channel` on or off.
    pub fn set(&mut self, channel: Channel, on: bool) {
        match channel {
            Channel::Dashboard => self.dashboard = on,
            Channel::Email => self.email = on,
            Channel::Push => self.push = on,
        }
    }
}

/// The event × channel matrix.
///
/// The test event has no row: it goes to every channel that at least one row uses, so that
/// "save and test" checks exactly the channels the agent relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct EventMatrix {
    /// A new conversation in one of the agent's inboxes or teams.
    pub new_conversation: ChannelSet,
    /// A conversation assigned to the agent.
    pub assignment: ChannelSet,
    /// The agent was mentioned.
    pub mention: ChannelSet,
    /// A reply in a conversation the agent is assigned to or takes part in.
    pub reply: ChannelSet,
    /// Events from the platform's modules.
    pub module: ChannelSet,
    /// Kinds this version does not know yet (from a newer platform).
    pub other: ChannelSet,
}

impl EventMatrix {
    /// The row that governs `kind`; `None` for the test event, which has no row.
    pub fn row(&self, kind: &EventKind) -> Option<&ChannelSet> {
        match kind {
            EventKind::NewConversation => Some(&self.new_conversation),
            EventKind::Assignment => Some(&self.assignment),
            EventKind::Mention => Some(&self.mention),
            EventKind::Reply => Some(&self.reply),
            EventKind::Module => Some(&self.module),
            EventKind::Test => None,
            EventKind::Unknown(_) => Some(&self.other),
        }
    }

    /// The row that governs `kind`, mutably; `None` for the test event.
    pub fn row_mut(&mut self, kind: &EventKind) -> Option<&mut ChannelSet> {
        match kind {
            EventKind::NewConversation => Some(&mut self.new_conversation),
            EventKind::Assignment => Some(&mut self.assignment),
            EventKind::Mention => Some(&mut self.mention),
            EventKind::Reply => Some(&mut self.reply),
            EventKind::Module => Some(&mut self.module),
            EventKind::Test => None,
            EventKind::Unknown(_) => Some(&mut self.other),
        }
    }

    /// All rows.
    pub fn rows(&self) -> [&ChannelSet; 6] {
        [
            &self.new_conversation,
            &self.assignment,
            &self.mention,
            &self.reply,
            &self.module,
            &self.other,
        ]
    }

    /// Whether any row sends to `channel`.
    pub fn uses(&self, channel: Channel) -> bool {
        self.rows().iter().any(|row| row.get(channel))
    }
}

/// Which conversations may raise a push.
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
pub enum PushScope {
    /// Every event whose row has push on.
    All,
    /// Only conversations assigned to the agent (events addressed to the agent without a
    /// conversation, such as module events, still count as the agent's own).
    #[default]
    AssignedToMe,
}

/// How email is sent.
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
pub enum EmailMode {
    /// One email per notification, shortly after it happens.
    #[default]
    Instant,
    /// One email a day at [`EmailPreferences::summary_at`].
    Summary,
}

/// Email delivery settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct EmailPreferences {
    /// Instant alerts or the end-of-day summary.
    pub mode: EmailMode,
    /// When the summary is sent, in [`EmailPreferences::time_zone`].
    pub summary_at: LocalTime,
    /// IANA time zone name, e.g. "America/Sao_Paulo".
    pub time_zone: String,
}

/// A day of the week.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    TS,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// Every day, Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    /// Monday to Friday.
    pub const WORKDAYS: [Weekday; 5] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];

    /// The same day as chrono's weekday.
    pub fn of(day: chrono::Weekday) -> Weekday {
        Weekday::ALL[day.num_days_from_monday() as usize]
    }
}

/// One quiet period, starting on each of `days` at `start` and ending at `end`: on the same
/// day when `end > start`, on the next day otherwise ("22:00" to "07:00" spans midnight).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct QuietWindow {
    /// The days the window starts on.
    pub days: Vec<Weekday>,
    /// Local start time.
    pub start: LocalTime,
    /// Local end time.
    pub end: LocalTime,
}

/// What may interrupt quiet hours.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
pub struct BreakThrough {
    /// Mentions of the agent still alert.
    pub mentions: bool,
    /// Assignments to the agent still alert.
    pub assignments: bool,
}

/// A weekly schedule during which push and sound stay silent (the bell still fills up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct QuietHours {
    /// Whether the schedule applies at all.
    pub enabled: bool,
    /// IANA time zone the windows are read in.
    pub time_zone: String,
    /// The windows; overlapping windows are fine.
    pub windows: Vec<QuietWindow>,
    /// What still alerts during quiet hours.
    pub break_through: BreakThrough,
}

/// The in-app sound.
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
pub enum Tone {
    /// A soft two-note chime.
    #[default]
    Chime,
    /// A short single ping.
    Ping,
    /// A wooden knock.
    Knock,
}

/// Sound settings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
pub struct SoundPreferences {
    /// Whether a new notification plays a sound.
    pub enabled: bool,
    /// Which sound.
    pub tone: Tone,
    /// Volume from 0 to 100.
    pub volume: u8,
}

/// The language of what Herald writes to the agent (emails; the app follows it too).
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
pub enum Language {
    /// English.
    #[default]
    #[serde(rename = "en")]
    En,
    /// Brazilian Portuguese.
    #[serde(rename = "pt-BR")]
    PtBr,
}

/// Everything an agent can tune. Per agent: one agent's choices never affect another's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct Preferences {
    /// Event × channel.
    pub events: EventMatrix,
    /// Which conversations may push.
    pub push_scope: PushScope,
    /// Email mode and summary time.
    pub email: EmailPreferences,
    /// Mentions alert on the dashboard and by push even when muted, paused, in quiet hours,
    /// or when their own row is off.
    pub mentions_always_alert: bool,
    /// The weekly quiet schedule.
    pub quiet_hours: QuietHours,
    /// Push and sound are paused until this instant (the bell still fills up).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_until: Option<DateTime<Utc>>,
    /// The in-app sound.
    pub sound: SoundPreferences,
    /// Show the unread count on the app icon / tray.
    pub unread_badge: bool,
    /// The language of emails (absent in preferences saved before it existed: English).
    #[serde(default)]
    pub language: Language,
}

impl Default for Preferences {
    fn default() -> Self {
        let bell = ChannelSet {
            dashboard: true,
            email: false,
            push: false,
        };
        let everywhere = ChannelSet {
            dashboard: true,
            email: true,
            push: true,
        };
        Preferences {
            events: EventMatrix {
                new_conversation: bell,
                assignment: everywhere,
                mention: everywhere,
                reply: ChannelSet {
                    dashboard: true,
                    email: false,
                    push: true,
                },
                module: bell,
                other: bell,
            },
            push_scope: PushScope::AssignedToMe,
            email: EmailPreferences {
                mode: EmailMode::Instant,
                summary_at: LocalTime { minutes: 18 * 60 },
                time_zone: "UTC".to_owned(),
            },
            mentions_always_alert: true,
            quiet_hours: QuietHours {
                enabled: false,
                time_zone: "UTC".to_owned(),
                windows: vec![QuietWindow {
                    days: Weekday::WORKDAYS.to_vec(),
                    start: LocalTime { minutes: 19 * 60 },
                    end: LocalTime { minutes: 8 * 60 },
                }],
                break_through: BreakThrough {
                    mentions: true,
                    assignments: true,
                },
            },
            paused_until: None,
            sound: SoundPreferences {
                enabled: true,
                tone: Tone::Chime,
                volume: 70,
            },
            unread_badge: true,
            language: Language::En,
        }
    }
}

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

/// One invalid field, with a message for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `quiet_hours.windows[0].days`.
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Parses an IANA time zone name.
pub fn parse_time_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

impl Preferences {
    /// Checks everything serde cannot: time zones, volume, quiet windows.
    /// Returns every problem at once, so a form can mark all bad fields.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err = |field: String, message: String| errors.push(FieldError { field, message });
        if parse_time_zone(&self.email.time_zone).is_none() {
            err(
                "email.time_zone".into(),
                format!(
                    "\"{}\" is not a time zone we know; pick one like \"America/Sao_Paulo\"",
                    clip(&self.email.time_zone)
                ),
            );
        }
        if parse_time_zone(&self.quiet_hours.time_zone).is_none() {
            err(
                "quiet_hours.time_zone".into(),
                format!(
                    "\"{}\" is not a time zone we know; pick one like \"Europe/Lisbon\"",
                    clip(&self.quiet_hours.time_zone)
                ),
            );
        }
        if self.quiet_hours.windows.len() > 14 {
            err(
                "quiet_hours.windows".into(),
                "at most 14 quiet periods; merge some of them".into(),
            );
        }
        for (i, window) in self.quiet_hours.windows.iter().enumerate() {
            if window.days.is_empty() {
                err(
                    format!("quiet_hours.windows[{i}].days"),
                    "choose at least one day for this quiet period".into(),
                );
            }
            if window.start == window.end {
                err(
                    format!("quiet_hours.windows[{i}].end"),
                    "a quiet period must end at another time than it starts".into(),
                );
            }
        }
        if self.sound.volume > 100 {
            err("sound.volume".into(), "volume goes from 0 to 100".into());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The most recent summary time at or before `now`, with the local date it belongs to,
    /// and the summary time of the day before (the start of the period it covers).
    pub fn last_summary_due(
        &self,
        now: DateTime<Utc>,
    ) -> (NaiveDate, DateTime<Utc>, DateTime<Utc>) {
        let tz = parse_time_zone(&self.email.time_zone).unwrap_or(Tz::UTC);
        let at = self.email.summary_at.to_naive();
        let today = now.with_timezone(&tz).date_naive();
        let mut day = today;
        let mut due = local_instant(tz, day, at);
        if due > now {
            day = today.pred_opt().unwrap_or(today);
            due = local_instant(tz, day, at);
        }
        let previous = local_instant(tz, day.pred_opt().unwrap_or(day), at);
        (day, due, previous)
    }

    /// The next instant at or after `now` when the end-of-day summary is due, in the
    /// agent's email time zone. A summary time that does not exist on a day (skipped by a
    /// DST change) moves forward to the first minute that does; one that exists twice (the
    /// clock went back) is the first of the two. Invalid zones read as UTC.
    pub fn next_summary_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let tz = parse_time_zone(&self.email.time_zone).unwrap_or(Tz::UTC);
        let today = now.with_timezone(&tz).date_naive();
        let mut day = today;
        // Two days always suffice; the bound only guards against a zone without the day.
        for _ in 0..3 {
            let due = local_instant(tz, day, self.email.summary_at.to_naive());
            if due >= now {
                return due;
            }
            day = day.succ_opt().unwrap_or(day);
        }
        now
    }
}

/// The instant of a wall-clock time on a local day, resolving DST gaps forward and
/// ambiguous times to the earlier instant.
pub fn local_instant(tz: Tz, day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let mut naive = day.and_time(time);
    // A gap is at most a few hours; step a minute at a time past it.
    for _ in 0..(24 * 60) {
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => naive += chrono::Duration::minutes(1),
        }
    }
    Utc.from_utc_datetime(&day.and_time(time))
}

/// The local weekday and wall-clock minute of `now` in `tz`.
pub(crate) fn local_clock(tz: Tz, now: DateTime<Utc>) -> (Weekday, LocalTime) {
    let local = now.with_timezone(&tz);
    (Weekday::of(local.weekday()), LocalTime::of(local.time()))
}

fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}
