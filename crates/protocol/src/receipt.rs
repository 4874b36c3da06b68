//! What a Herald app did with an item it received live: its receipt, sent on the stream.
//!
//! The desktop app decides its OS notification itself (focus, device mute, the OS
//! permission are only known there), so only it can say whether the notification was
//! shown. It reports that on the stream ([`crate::ClientMessage::Receipt`]); the server
//! keeps the receipt per item and app, for "Save and test" and for "Why?" on other devices.
//! A receipt is what the app *observed*: `shown` means the OS notifier took the
//! notification without error, not that the agent looked at it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::policy::Reason;

/// Longest error text a receipt keeps (characters).
pub const RECEIPT_ERROR_MAX: usize = 300;
/// Most reasons a receipt keeps.
pub const RECEIPT_REASONS_MAX: usize = 16;

/// What kind of Herald client holds a stream.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// The desktop app: raises its own OS notifications and sends receipts.
    DesktopApp,
    /// The web app in a browser tab: its notifications come as Web Push.
    WebApp,
    /// The app on a phone: raises its own notifications while it runs and sends receipts,
    /// like the desktop app, but its being in front does not mean the agent is working at
    /// a computer (the phone's pushes are not held for it).
    PhoneApp,
}

/// Who is at the other end of a stream, sent with `resume`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct StreamClient {
    /// The kind of client.
    pub kind: ClientKind,
    /// A name for the agent's device lists, e.g. "Herald for Linux on ana-laptop".
    pub name: String,
}

impl StreamClient {
    /// The name as the server keeps it ([`crate::push::device_name`]).
    pub fn clean_name(&self) -> String {
        crate::push::device_name(Some(&self.name), "Herald app")
    }
}

/// What an app did with one item's OS notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AppOutcome {
    /// The OS took the notification.
    Shown,
    /// Shown inside one notification with others (a burst of its conversation, or "while
    /// you were away").
    Folded,
    /// Not shown: the app's own rules (its window in front, the device muted, the OS
    /// permission denied) said no; the reasons say which.
    NotShown {
        /// The app's push reasons.
        reasons: Vec<Reason>,
    },
    /// The OS refused it.
    Failed {
        /// What the notifier said.
        error: String,
    },
    /// The app had the item but sent no receipt by the time the server answered (an app
    /// older than receipts, or one that is frozen or busy).
    NoAnswer,
}

impl AppOutcome {
    /// The outcome as the server keeps it: bounded error text and reasons. `NoAnswer` is
    /// the server's to say, never an app's.
    pub fn bounded(self) -> Option<AppOutcome> {
        Some(match self {
            AppOutcome::NoAnswer => return None,
            AppOutcome::NotShown { mut reasons } => {
                reasons.truncate(RECEIPT_REASONS_MAX);
                AppOutcome::NotShown { reasons }
            }
            AppOutcome::Failed { error } => AppOutcome::Failed {
                error: error
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(RECEIPT_ERROR_MAX)
                    .collect(),
            },
            other => other,
        })
    }
}

/// One app's receipt for an item, as the server reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AppReceipt {
    /// The app's name.
    pub name: String,
    /// What it did.
    pub outcome: AppOutcome,
    /// When the receipt came; absent for `no_answer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_errors_are_bounded_and_plain() {
        let client = StreamClient {
            kind: ClientKind::DesktopApp,
            name: format!("a\u{7}b{}", "x".repeat(500)),
        };
        let name = client.clean_name();
        assert!(name.starts_with("ab"));
        assert_eq!(name.chars().count(), crate::push::DEVICE_NAME_MAX);
        let blank = StreamClient {
            kind: ClientKind::DesktopApp,
            name: " \n ".into(),
        };
        assert_eq!(blank.clean_name(), "Herald app");
        let failed = AppOutcome::Failed {
            error: "e\n".repeat(400),
        }
        .bounded();
        assert_eq!(
            failed,
            Some(AppOutcome::Failed {
                error: "e".repeat(RECEIPT_ERROR_MAX)
            })
        );
        assert_eq!(
            AppOutcome::NoAnswer.bounded(),
            None,
            "only the server says it"
        );
        let many = AppOutcome::NotShown {
            reasons: vec![Reason::AppFocused; 40],
        }
        .bounded();
        assert!(
            matches!(many, Some(AppOutcome::NotShown { reasons }) if reasons.len() == RECEIPT_REASONS_MAX)
        );
    }
}
