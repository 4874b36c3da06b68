//! A preview of the rules: for each kind of event and each situation of the agent's day,
//! which channels would fire under these preferences, decided by [`crate::decide`] itself,
//! so the effect of a change is visible before the first notification proves it.
//!
//! The situations are hypothetical moments, each built from the preferences: *working*
//! (Herald in the background, no pause, outside quiet hours), *Herald in front* (its window
//! focused), *quiet hours* (inside a quiet period, the agent's break-through rules as set),
//! *paused*. The relation to the event is the usual one per kind: an assignment is the
//! agent's, a mention names them, a reply is in their conversation, a new conversation is
//! in their inbox, a module event addresses them.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::event::EventKind;
use crate::policy::{decide, AgentContext, OsPermission, Outcome};
use crate::prefs::{LocalTime, Preferences, QuietWindow, Weekday};

/// A moment of the agent's day.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Situation {
    /// Herald in the background, no pause, outside quiet hours.
    Working,
    /// Herald's window in front of the agent.
    AppInFront,
    /// Inside quiet hours.
    QuietHours,
    /// Notifications paused.
    Paused,
}

impl Situation {
    /// Every situation, in the order the preview shows them.
    pub const ALL: [Situation; 4] = [
        Situation::Working,
        Situation::AppInFront,
        Situation::QuietHours,
        Situation::Paused,
    ];
}

/// What the channels do in one situation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PreviewCell {
    /// The situation.
    pub situation: Situation,
    /// The bell.
    pub dashboard: Outcome,
    /// Email (deliver, summary or suppress).
    pub email: Outcome,
    /// The OS notification / push.
    pub push: Outcome,
    /// The sound.
    pub sound: Outcome,
}

/// One kind of event across the situations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PreviewRow {
    /// The kind (`other` stands for kinds from newer platforms).
    pub kind: EventKind,
    /// One cell per situation, in [`Situation::ALL`]'s order.
    pub cells: Vec<PreviewCell>,
}

/// The preview of the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct RulesPreview {
    /// One row per row of the preferences.
    pub rows: Vec<PreviewRow>,
}

/// The kinds the preview shows, one per row of the preferences.
pub fn preview_kinds() -> Vec<EventKind> {
    vec![
        EventKind::NewConversation,
        EventKind::Assignment,
        EventKind::Mention,
        EventKind::Reply,
        EventKind::Module,
        EventKind::Unknown("other".into()),
    ]
}

/// The moment the preview decides at: a Wednesday noon, UTC (the situations set their own
/// pause and quiet hours, so the real time does not matter).
fn moment() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 7, 12, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The inputs `decide` gets for one cell: the relation to the event, the preferences as
/// the situation makes them, and the moment.
pub fn cell_inputs(
    kind: &EventKind,
    situation: Situation,
    prefs: &Preferences,
) -> (AgentContext, Preferences, DateTime<Utc>) {
    let now = moment();
    let mut ctx = AgentContext {
        push_permission: OsPermission::Granted,
        ..AgentContext::default()
    };
    match kind {
        EventKind::Assignment | EventKind::Reply => ctx.assigned_to_me = true,
        EventKind::Mention => ctx.mentioned = true,
        EventKind::NewConversation => {}
        _ => ctx.directly_addressed = true,
    }
    let mut prefs = prefs.clone();
    prefs.paused_until = None;
    prefs.quiet_hours.enabled = false;
    match situation {
        Situation::Working => {}
        Situation::AppInFront => ctx.app_focused = true,
        Situation::QuietHours => {
            prefs.quiet_hours.enabled = true;
            prefs.quiet_hours.time_zone = "UTC".into();
            if let (Some(start), Some(end)) = (LocalTime::new(0, 0), LocalTime::new(23, 0)) {
                prefs.quiet_hours.windows = vec![QuietWindow {
                    days: Weekday::ALL.to_vec(),
                    start,
                    end,
                }];
            }
        }
        Situation::Paused => prefs.paused_until = Some(now + Duration::hours(1)),
    }
    (ctx, prefs, now)
}

/// The preview of these preferences.
pub fn preview(prefs: &Preferences) -> RulesPreview {
    let rows = preview_kinds()
        .into_iter()
        .map(|kind| {
            let cells = Situation::ALL
                .iter()
                .map(|&situation| {
                    let (ctx, prefs, now) = cell_inputs(&kind, situation, prefs);
                    let d = decide(&kind, &ctx, &prefs, now);
                    PreviewCell {
                        situation,
                        dashboard: d.dashboard.outcome,
                        email: d.email.outcome,
                        push: d.push.outcome,
                        sound: d.sound.outcome,
                    }
                })
                .collect();
            PreviewRow { kind, cells }
        })
        .collect();
    RulesPreview { rows }
}
