//! The decision trail of each item: the server's decision, this device's, and what happened
//! to its OS notification. Answers "why did / didn't I get this?".

use herald_protocol::{AppReceipt, Decision, Notification, TestPushDevice};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::{Client, Model};

/// What happened to an item's OS notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "os", rename_all = "snake_case")]
pub enum OsOutcome {
    /// Shown on its own.
    Shown,
    /// Folded into the burst of its conversation, shown in one "N more" notification.
    Coalesced {
        /// The notification that opened the burst.
        into: Uuid,
    },
    /// Missed while away: shown in one summary notification with others.
    InSummary,
    /// Not shown: the local decision's push reasons say why.
    NotShown,
    /// Arrived before this device's first start: history, not alerted.
    History,
    /// Sent as push to the agent's browsers (the web app): each browser shows it when its
    /// push arrives; `Trail::devices` says what each push service answered.
    SentAsPush,
    /// The OS refused it.
    Failed {
        /// What the notifier said.
        message: String,
    },
}

/// The decision trail of one item: "why did / didn't I get this?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct Trail {
    /// The server's decision (bell, email, mobile push), with reasons.
    pub server: Decision,
    /// This device's decision (OS notification, sound), with reasons.
    pub local: Decision,
    /// What happened to the OS notification.
    pub os: OsOutcome,
    /// Per push device (browsers), what its push service answered for this item.
    #[serde(default)]
    pub devices: Vec<TestPushDevice>,
    /// Per Herald desktop app (the web app asks the server), what it reported doing with
    /// its OS notification for this item.
    #[serde(default)]
    pub apps: Vec<AppReceipt>,
}

impl Client {
    pub(super) fn record(&self, n: &Notification, local: &Decision, os: OsOutcome) {
        let mut model = self.model();
        if model.trails.len() >= self.inner.config.bell_capacity * 2 {
            // Keep the trails of the items the bell still holds.
            let Model { trails, bell, .. } = &mut *model;
            trails.retain(|id, _| bell.contains(*id));
        }
        model.trails.insert(
            n.id,
            Trail {
                server: n.decision.clone(),
                local: local.clone(),
                os,
                devices: Vec::new(),
                apps: Vec::new(),
            },
        );
    }

    pub(super) fn set_outcome(&self, id: Uuid, os: OsOutcome) {
        if let Some(trail) = self.model().trails.get_mut(&id) {
            trail.os = os;
        }
    }
}
