//! The agent's own rules per inbox or team: mute one (no push, instant email or sound from
//! it; the bell still records it), or take its push even with push limited to assigned
//! conversations. The server finds the rule that applies to an event's conversation
//! ([`Preferences::group_rule_for`]) and hands it to the policy in the event's context.
//!
//! Precedence, from strongest: a workspace lock; "mentions always alert" (a mention gets
//! through a muted inbox); the inbox or team rule; the push scope; pause and quiet hours;
//! the device (mute, focus, OS permission). When an event's inbox and team have different
//! rules, muting wins.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::*;

/// Most rules an agent may keep.
pub const GROUP_RULES_MAX: usize = 100;

/// What an inbox or team rule does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GroupAction {
    /// No interruptions from it: push, instant email and sound off (the bell keeps it).
    Mute,
    /// Its push comes even with push limited to conversations assigned to me.
    PushAlways,
}

/// One rule: a group and what it does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct GroupRule {
    /// `inbox:<id>` or `team:<id>`.
    pub group: String,
    /// What it does.
    pub action: GroupAction,
}

/// Whether a group key is `inbox:<id>` or `team:<id>`.
pub fn is_group_key(group: &str) -> bool {
    group
        .strip_prefix("inbox:")
        .or_else(|| group.strip_prefix("team:"))
        .is_some_and(|id| !id.is_empty() && id.len() <= 100 && !id.contains(char::is_control))
}

impl Preferences {
    /// The rule that applies to a conversation of this inbox and team, if any.
    pub fn group_rule_for(&self, inbox: Option<&str>, team: Option<&str>) -> Option<GroupAction> {
        let keys = [
            inbox.map(|i| format!("inbox:{i}")),
            team.map(|t| format!("team:{t}")),
        ];
        let actions: Vec<GroupAction> = self
            .group_rules
            .iter()
            .filter(|r| keys.iter().flatten().any(|k| *k == r.group))
            .map(|r| r.action)
            .collect();
        if actions.contains(&GroupAction::Mute) {
            Some(GroupAction::Mute)
        } else {
            actions.first().copied()
        }
    }

    /// Sets (or with `None` removes) the rule of one group.
    pub fn set_group_rule(&mut self, group: &str, action: Option<GroupAction>) {
        self.group_rules.retain(|r| r.group != group);
        if let Some(action) = action {
            self.group_rules.push(GroupRule {
                group: group.to_owned(),
                action,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_of_the_inbox_or_team_applies_and_muting_wins() {
        let mut prefs = Preferences::default();
        assert_eq!(prefs.group_rule_for(Some("3"), Some("2")), None);
        prefs.set_group_rule("team:2", Some(GroupAction::PushAlways));
        assert_eq!(
            prefs.group_rule_for(None, Some("2")),
            Some(GroupAction::PushAlways)
        );
        assert_eq!(
            prefs.group_rule_for(Some("2"), None),
            None,
            "inbox 2 is not team 2"
        );
        prefs.set_group_rule("inbox:3", Some(GroupAction::Mute));
        assert_eq!(
            prefs.group_rule_for(Some("3"), Some("2")),
            Some(GroupAction::Mute)
        );
        prefs.set_group_rule("inbox:3", None);
        assert_eq!(
            prefs.group_rule_for(Some("3"), Some("2")),
            Some(GroupAction::PushAlways)
        );
        assert!(is_group_key("inbox:3") && is_group_key("team:billing"));
        assert!(!is_group_key("inbox:") && !is_group_key("admins") && !is_group_key("team:\n"));
    }
}
