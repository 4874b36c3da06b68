//! Settings a workspace admin locked. The locks travel inside the agent's preferences
//! ([`Preferences::locks`], written by the server only), so the server's policy and every
//! client's apply the same values: [`Preferences::enforce`] sets each locked value, an edit
//! of a locked setting changes nothing ([`Preferences::apply`]), and `decide` names the lock
//! in its reasons ("locked by …").

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::event::{Channel, EventKind};

use super::*;

/// Most locks a workspace may set.
pub const LOCKS_MAX: usize = 50;

/// One locked setting and the value the admin chose.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum Lock {
    /// One cell of the event × channel matrix, e.g. "assignments always push".
    Channel {
        /// The kind (its row; unknown kinds share the "other" row; not the test event).
        kind: EventKind,
        /// The channel.
        channel: Channel,
        /// The value.
        on: bool,
    },
    /// "Mentions always alert".
    MentionsAlwaysAlert {
        /// The value.
        on: bool,
    },
}

impl Preferences {
    /// The locked value of a matrix cell, if a lock sets it.
    pub fn locked_channel(&self, kind: &EventKind, channel: Channel) -> Option<bool> {
        // Locks name a row's kind; an unknown kind's row is the "other" row.
        let row = |k: &EventKind| match k {
            EventKind::Unknown(_) => "other".to_owned(),
            known => known.as_str().to_owned(),
        };
        self.locks.iter().find_map(|lock| match lock {
            Lock::Channel {
                kind: k,
                channel: c,
                on,
            } if row(k) == row(kind) && *c == channel => Some(*on),
            _ => None,
        })
    }

    /// The locked value of "mentions always alert", if locked.
    pub fn locked_mentions_always_alert(&self) -> Option<bool> {
        self.locks.iter().find_map(|lock| match lock {
            Lock::MentionsAlwaysAlert { on } => Some(*on),
            Lock::Channel { .. } => None,
        })
    }

    /// Whether an edit would change a locked setting.
    pub fn is_locked(&self, edit: &PrefEdit) -> bool {
        match edit {
            PrefEdit::Channel { kind, channel, .. } => {
                self.locked_channel(kind, *channel).is_some()
            }
            PrefEdit::MentionsAlwaysAlert { .. } => self.locked_mentions_always_alert().is_some(),
            _ => false,
        }
    }

    /// Sets every locked value.
    pub fn enforce(&mut self) {
        for lock in self.locks.clone() {
            match lock {
                Lock::Channel { kind, channel, on } => {
                    if let Some(row) = self.events.row_mut(&kind) {
                        row.set(channel, on);
                    }
                }
                Lock::MentionsAlwaysAlert { on } => self.mentions_always_alert = on,
            }
        }
    }

    /// These preferences under a workspace's locks (replacing the ones they had), enforced.
    pub fn under(mut self, locks: &[Lock], locked_by: Option<&str>) -> Preferences {
        self.locks = locks.to_vec();
        self.locked_by = (!locks.is_empty()).then(|| locked_by.unwrap_or("your admin").to_owned());
        self.enforce();
        self
    }
}

/// Checks a workspace's locks: known kinds only (not the test event), one lock per setting,
/// at most [`LOCKS_MAX`].
pub fn check_locks(locks: &[Lock]) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if locks.len() > LOCKS_MAX {
        errors.push(FieldError {
            field: "locks".into(),
            message: format!("at most {LOCKS_MAX} locks"),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for (i, lock) in locks.iter().enumerate() {
        let key = match lock {
            Lock::Channel { kind, channel, .. } => {
                if matches!(
                    kind,
                    EventKind::Test | EventKind::QuietSummary | EventKind::Unknown(_)
                ) {
                    errors.push(FieldError {
                        field: format!("locks[{i}].kind"),
                        message: "lock a row of the preferences: new_conversation, assignment, mention, reply or module".into(),
                    });
                }
                format!("{kind}/{channel:?}")
            }
            Lock::MentionsAlwaysAlert { .. } => "mentions_always_alert".into(),
        };
        if !seen.insert(key) {
            errors.push(FieldError {
                field: format!("locks[{i}]"),
                message: "this setting is locked twice".into(),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locked() -> Preferences {
        Preferences::default().under(
            &[
                Lock::Channel {
                    kind: EventKind::Assignment,
                    channel: Channel::Push,
                    on: true,
                },
                Lock::MentionsAlwaysAlert { on: true },
            ],
            Some("Acme admins"),
        )
    }

    #[test]
    fn locked_values_hold_against_edits() {
        let mut prefs = locked();
        prefs.events.assignment.push = false;
        prefs.mentions_always_alert = false;
        prefs.enforce();
        assert!(prefs.events.assignment.push && prefs.mentions_always_alert);
        let off = PrefEdit::Channel {
            kind: EventKind::Assignment,
            channel: Channel::Push,
            on: false,
        };
        assert!(prefs.is_locked(&off));
        prefs.apply(&off);
        assert!(
            prefs.events.assignment.push,
            "an edit of a locked cell changes nothing"
        );
        prefs.apply(&PrefEdit::MentionsAlwaysAlert { on: false });
        assert!(prefs.mentions_always_alert);
        // Other settings stay the agent's.
        let email = PrefEdit::Channel {
            kind: EventKind::Assignment,
            channel: Channel::Email,
            on: false,
        };
        assert!(!prefs.is_locked(&email));
        prefs.apply(&email);
        assert!(!prefs.events.assignment.email);
        assert_eq!(prefs.locked_by.as_deref(), Some("Acme admins"));
        // Unlocked again: the values stay, the agent may change them.
        let free = prefs.clone().under(&[], None);
        assert!(free.locks.is_empty() && free.locked_by.is_none());
    }

    #[test]
    fn only_rows_can_be_locked_once_each() {
        let twice = [
            Lock::MentionsAlwaysAlert { on: true },
            Lock::MentionsAlwaysAlert { on: false },
        ];
        assert!(check_locks(&twice).is_err());
        let test = [Lock::Channel {
            kind: EventKind::Test,
            channel: Channel::Push,
            on: true,
        }];
        assert_eq!(check_locks(&test).unwrap_err()[0].field, "locks[0].kind");
        assert!(check_locks(&[]).is_ok());
    }
}
