//! What serde cannot check: time zones, volume, quiet windows. Every problem is reported at
//! once, with the field's path, so a form can mark all bad fields.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::*;

/// One invalid field, with a message for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `quiet_hours.windows[0].days`.
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
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
        if self.group_rules.len() > GROUP_RULES_MAX {
            err(
                "group_rules".into(),
                format!("at most {GROUP_RULES_MAX} inbox and team rules"),
            );
        }
        for (i, rule) in self.group_rules.iter().enumerate() {
            if !is_group_key(&rule.group) {
                err(
                    format!("group_rules[{i}].group"),
                    format!(
                        "\"{}\" must look like inbox:<id> or team:<id>",
                        clip(&rule.group)
                    ),
                );
            }
        }
        errors.extend(self.escalation.problems());
        if self.phone_delay_secs > crate::presence::PHONE_DELAY_MAX {
            errors.push(FieldError {
                field: "phone_delay_secs".into(),
                message: "phones wait at most 15 minutes".into(),
            });
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}
