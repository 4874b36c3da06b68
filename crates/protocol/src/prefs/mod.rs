//! The agent's preferences: what reaches them, where, and when.
//!
//! Stored per agent on the server (email and mobile push must honour them when no client
//! runs). [`Preferences::default`] follows the spec's advice: not everything on,
//! assignments and mentions first.
//!
//! # Layout
//!
//! - this file: the preference types and their defaults.
//! - `time`: times of day, weekdays, time zones, and when the end-of-day summary is due.
//! - `edit`: changes as data ([`PrefEdit`]) and applying them.
//! - `groups`: the agent's rules per inbox or team (mute one, always push one).
//! - `locks`: settings a workspace admin locked ([`Lock`]), enforced on both sides.
//! - `validate`: what serde cannot check (time zones, volume, quiet windows), every problem
//!   at once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::event::{Channel, EventKind};

mod edit;
mod groups;
mod locks;
mod time;
mod validate;

pub use edit::{PausePreset, PrefEdit};
pub use groups::{is_group_key, GroupAction, GroupRule, GROUP_RULES_MAX};
pub use locks::{check_locks, Lock, LOCKS_MAX};
pub(crate) use time::local_clock;
pub use time::{local_instant, parse_time_zone, BadLocalTime, LocalTime, Weekday};
pub use validate::FieldError;

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
            EventKind::Test | EventKind::QuietSummary => None,
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
            EventKind::Test | EventKind::QuietSummary => None,
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
    /// Reminders of assignments left unread (absent in preferences saved before it
    /// existed: off).
    #[serde(default)]
    pub escalation: crate::reminders::Escalation,
    /// "While you were quiet": when quiet hours or a pause end, one notification sums up what
    /// arrived meanwhile (absent in preferences saved before it existed: on).
    #[serde(default = "yes")]
    pub quiet_summary: bool,
    /// While the agent works at a computer, phones wait this many seconds (0 to
    /// [`crate::presence::PHONE_DELAY_MAX`]) and get nothing if the item is read by then
    /// (absent in preferences saved before it existed: a minute).
    #[serde(default = "a_minute")]
    pub phone_delay_secs: u16,
    /// The language of emails (absent in preferences saved before it existed: English).
    #[serde(default)]
    pub language: Language,
    /// Rules per inbox or team (see `groups` for their precedence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<GroupRule>>")]
    pub group_rules: Vec<GroupRule>,
    /// Settings the workspace's admin locked, with their values (set by the server only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<Lock>>")]
    pub locks: Vec<Lock>,
    /// Who locked them, for "locked by …".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub locked_by: Option<String>,
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
            escalation: crate::reminders::Escalation::default(),
            quiet_summary: true,
            phone_delay_secs: 60,
            language: Language::En,
            group_rules: Vec::new(),
            locks: Vec::new(),
            locked_by: None,
        }
    }
}

/// Serde's default for switches that are on unless saved off.
fn yes() -> bool {
    true
}

/// Serde's default for the phones' wait: a minute.
fn a_minute() -> u16 {
    60
}
