//! The diagnostics: the facts the troubleshooting section of the help article asks about,
//! and the verdict of each of its lines as a card ("I don't get push", "I don't get emails",
//! "I get too many notifications", "Preferences won't save").
//!
//! The verdicts are decided here, once, from the same preferences and clock the policy uses
//! (quiet hours, pause, push scope included); the UI only words and renders the cards.

use chrono::{DateTime, Utc};
use herald_protocol::{
    quiet_hours_end, Channel, EmailMode, EmailStatus, LocalTime, OsPermission, Preferences,
    PushPlatform, PushScope,
};
use serde::Serialize;
use ts_rs::TS;

use crate::ports::ConnState;
use crate::prefsync::SaveStatus;

mod push;
pub use push::{PhoneRegistration, PushFacts, ThisDevice};

/// The notification service that answered (Linux: on the session D-Bus).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
pub struct NotificationService {
    /// Its product name (dunst, GNOME Shell, Plasma…).
    pub name: String,
    /// Its vendor.
    pub vendor: String,
    /// Its version.
    pub version: String,
    /// What it can do ("actions", "body", "body-markup", "sound"…).
    pub capabilities: Vec<String>,
}

/// What the OS says about notifications, as far as the shell can tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
pub struct OsCheck {
    /// As far as Herald can tell.
    pub permission: OsPermission,
    /// How that was found out, for a person.
    pub permission_detail: String,
    /// The service, when one answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub service: Option<NotificationService>,
    /// Why none answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub service_error: Option<String>,
    /// The OS ("linux", "macos", "windows"…).
    pub platform: String,
}

/// The server as the diagnostics see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
pub struct ServerCheck {
    /// Its address.
    pub url: String,
    /// It answered.
    pub reachable: bool,
    /// What it said, or why not.
    pub detail: String,
}

/// A row of the preferences' event matrix (named as the matrix's fields are).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Row {
    /// Assigned to the agent.
    Assignment,
    /// The agent was mentioned.
    Mention,
    /// A new conversation in the agent's inboxes.
    NewConversation,
    /// A reply in a conversation the agent follows.
    Reply,
    /// A module event.
    Module,
    /// Kinds this Herald does not know yet.
    Other,
}

impl Row {
    /// Every row, most important first (as the preferences list them).
    pub const ALL: [Row; 6] = [
        Row::Assignment,
        Row::Mention,
        Row::NewConversation,
        Row::Reply,
        Row::Module,
        Row::Other,
    ];

    fn switches(self, prefs: &Preferences) -> &herald_protocol::ChannelSet {
        let events = &prefs.events;
        match self {
            Row::Assignment => &events.assignment,
            Row::Mention => &events.mention,
            Row::NewConversation => &events.new_conversation,
            Row::Reply => &events.reply,
            Row::Module => &events.module,
            Row::Other => &events.other,
        }
    }
}

/// The rows of the event matrix switched on, per channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
pub struct EventsOn {
    /// In the bell.
    pub dashboard: Vec<Row>,
    /// By email.
    pub email: Vec<Row>,
    /// As push.
    pub push: Vec<Row>,
}

impl EventsOn {
    /// What `prefs` switch on.
    pub fn of(prefs: &Preferences) -> EventsOn {
        EventsOn {
            dashboard: events_on(prefs, Channel::Dashboard),
            email: events_on(prefs, Channel::Email),
            push: events_on(prefs, Channel::Push),
        }
    }
}

/// Which troubleshooting line a card answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// "I don't get browser push" / desktop notifications.
    Push,
    /// "I don't get emails".
    Email,
    /// "I get too many notifications".
    Noise,
    /// "Preferences won't save".
    Save,
}

/// A card's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing found that stops it.
    Ok,
    /// Something found that stops it (the findings say what).
    Problem,
    /// For information: nothing is wrong, nothing is promised.
    Info,
}

/// One thing found, for the UI to word with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum Finding {
    /// The OS blocks Herald's notifications.
    PermissionDenied,
    /// The OS does not tell whether it shows them.
    PermissionUnknown,
    /// No notification service answers (Linux).
    NoNotificationService,
    /// The stream is not live: notifications arrive late or not at all.
    StreamNotLive,
    /// The agent muted this device.
    DeviceMuted,
    /// Notifications are paused.
    Paused {
        /// Until when.
        until: DateTime<Utc>,
    },
    /// Quiet hours are on now.
    QuietHours {
        /// When they end (the schedule's local time).
        until: LocalTime,
        /// Mentions still alert.
        mentions_break_through: bool,
        /// Assignments still alert.
        assignments_break_through: bool,
    },
    /// Push only for conversations assigned to the agent.
    PushOnlyAssigned,
    /// No event kind has push on.
    NoPushEvents,
    /// The window is in front: the bell shows items instead of OS notifications.
    WindowFocused,
    /// This browser allows notifications but is not registered for push (web app).
    NoPushSubscription,
    /// This phone is not registered for push: pushes cannot reach it while the app is not
    /// running.
    PhoneNotRegistered {
        /// Why, when known (the OS refused a push token, the server refused it).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        error: Option<String>,
    },
    /// A push device's push service refused or failed the last push.
    PushFailing {
        /// The device's name.
        device: String,
        /// A browser or a phone (what to do about it differs).
        platform: PushPlatform,
        /// What its push service answered.
        error: String,
    },
    /// The server sends no email (no relay configured).
    EmailNotConfigured,
    /// The relay refused the last email.
    EmailFailed {
        /// When it was given up.
        at: DateTime<Utc>,
        /// What the relay said.
        error: String,
    },
    /// The server's email status could not be read.
    EmailUnknown {
        /// Why.
        error: String,
    },
    /// No event kind has email on.
    NoEmailEvents,
    /// Emails come as the end-of-day summary.
    EmailSummary {
        /// At this local time.
        at: LocalTime,
    },
    /// How many switches of the matrix are on.
    SwitchesOn {
        /// On.
        on: u32,
        /// Of.
        of: u32,
    },
    /// Every switch is on: the noise the help article warns about.
    EverythingOn,
    /// Edits are on their way to the server.
    Saving,
    /// The last save failed; the edits are kept.
    SaveFailed {
        /// Why.
        message: String,
    },
}

/// The verdict on one troubleshooting line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
pub struct Card {
    /// Which line.
    pub topic: Topic,
    /// The verdict.
    pub verdict: Verdict,
    /// What was found, most important first.
    pub findings: Vec<Finding>,
}

/// Everything the troubleshooting section asks about, in one answer.
#[derive(Debug, Clone, PartialEq, Serialize, TS, schemars::JsonSchema)]
pub struct Diagnostics {
    /// One card per troubleshooting line: push, email, noise, save.
    pub cards: Vec<Card>,
    /// Notification permission and service.
    pub os: OsCheck,
    /// The stream.
    pub connection: ConnState,
    /// When the last item arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub last_event_at: Option<DateTime<Utc>>,
    /// The server.
    pub server: ServerCheck,
    /// The agent's profile email.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub profile_email: Option<String>,
    /// Where email goes and whether the server sends it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub email: Option<EmailStatus>,
    /// The event kinds on per channel (empty when signed out).
    pub events_on: EventsOn,
}

/// The facts the cards are decided from.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The OS check.
    pub os: &'a OsCheck,
    /// The stream.
    pub connection: &'a ConnState,
    /// The preferences with unsaved edits (`None` when signed out).
    pub preferences: Option<&'a Preferences>,
    /// The server's email status, or why it is unknown.
    pub email: Result<&'a EmailStatus, &'a str>,
    /// The save state.
    pub save: &'a SaveStatus,
    /// This device is muted.
    pub device_muted: bool,
    /// The window is in front.
    pub window_focused: bool,
    /// Now.
    pub now: DateTime<Utc>,
    /// The agent's push devices and whether this one is among them: `None` when the server
    /// could not be asked (not signed in, unreachable).
    pub push: Option<PushFacts<'a>>,
}

/// The rows a channel is on for.
pub fn events_on(prefs: &Preferences, channel: Channel) -> Vec<Row> {
    Row::ALL
        .into_iter()
        .filter(|row| row.switches(prefs).get(channel))
        .collect()
}

/// The four cards, decided from `facts`.
pub fn cards(facts: &Facts<'_>) -> Vec<Card> {
    vec![
        push_card(facts),
        email_card(facts),
        noise_card(facts),
        save_card(facts),
    ]
}

fn card(topic: Topic, findings: Vec<Finding>, is_problem: impl Fn(&Finding) -> bool) -> Card {
    let verdict = if findings.iter().any(is_problem) {
        Verdict::Problem
    } else {
        Verdict::Ok
    };
    Card {
        topic,
        verdict,
        findings,
    }
}

fn push_card(facts: &Facts<'_>) -> Card {
    let mut found = Vec::new();
    match facts.os.permission {
        OsPermission::Denied => found.push(Finding::PermissionDenied),
        OsPermission::Unknown => found.push(Finding::PermissionUnknown),
        OsPermission::Granted => {}
    }
    if facts.os.service.is_none() && facts.os.service_error.is_some() {
        found.push(Finding::NoNotificationService);
    }
    if *facts.connection != ConnState::Live {
        found.push(Finding::StreamNotLive);
    }
    if facts.device_muted {
        found.push(Finding::DeviceMuted);
    }
    if let Some(prefs) = facts.preferences {
        if let Some(until) = prefs.paused_until.filter(|until| *until > facts.now) {
            found.push(Finding::Paused { until });
        }
        if let Some(until) = quiet_hours_end(prefs, facts.now) {
            let through = &prefs.quiet_hours.break_through;
            found.push(Finding::QuietHours {
                until,
                mentions_break_through: through.mentions || prefs.mentions_always_alert,
                assignments_break_through: through.assignments,
            });
        }
        if events_on(prefs, Channel::Push).is_empty() {
            found.push(Finding::NoPushEvents);
        }
        if prefs.push_scope == PushScope::AssignedToMe {
            found.push(Finding::PushOnlyAssigned);
        }
    }
    if facts.window_focused {
        found.push(Finding::WindowFocused);
    }
    if let Some(push) = facts.push {
        push::findings(&push, facts.os.permission, &mut found);
    }
    card(Topic::Push, found, |f| {
        !matches!(
            f,
            Finding::PermissionUnknown | Finding::PushOnlyAssigned | Finding::WindowFocused
        )
    })
}

fn email_card(facts: &Facts<'_>) -> Card {
    let mut found = Vec::new();
    match facts.email {
        Ok(status) if !status.configured => found.push(Finding::EmailNotConfigured),
        Ok(status) => {
            if let Some(failure) = &status.last_failure {
                found.push(Finding::EmailFailed {
                    at: failure.at,
                    error: failure.error.clone(),
                });
            }
        }
        Err(error) => found.push(Finding::EmailUnknown {
            error: error.to_owned(),
        }),
    }
    if let Some(prefs) = facts.preferences {
        if events_on(prefs, Channel::Email).is_empty() {
            found.push(Finding::NoEmailEvents);
        }
        if prefs.email.mode == EmailMode::Summary {
            found.push(Finding::EmailSummary {
                at: prefs.email.summary_at,
            });
        }
    }
    card(Topic::Email, found, |f| {
        !matches!(f, Finding::EmailSummary { .. })
    })
}

fn noise_card(facts: &Facts<'_>) -> Card {
    let Some(prefs) = facts.preferences else {
        return Card {
            topic: Topic::Noise,
            verdict: Verdict::Info,
            findings: Vec::new(),
        };
    };
    let on: usize = Channel::ALL
        .into_iter()
        .map(|channel| events_on(prefs, channel).len())
        .sum();
    let of = Row::ALL.len() * Channel::ALL.len();
    let mut findings = vec![Finding::SwitchesOn {
        on: on as u32,
        of: of as u32,
    }];
    let verdict = if on == of {
        findings.push(Finding::EverythingOn);
        Verdict::Problem
    } else {
        Verdict::Info
    };
    Card {
        topic: Topic::Noise,
        verdict,
        findings,
    }
}

fn save_card(facts: &Facts<'_>) -> Card {
    let (verdict, findings) = match facts.save {
        SaveStatus::Saved => (Verdict::Ok, Vec::new()),
        SaveStatus::Saving => (Verdict::Info, vec![Finding::Saving]),
        SaveStatus::Failed { message, .. } => (
            Verdict::Problem,
            vec![Finding::SaveFailed {
                message: message.clone(),
            }],
        ),
    };
    Card {
        topic: Topic::Save,
        verdict,
        findings,
    }
}
