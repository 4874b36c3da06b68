//! What an event must look like before it is queued, its idempotency fingerprint, and the
//! title and body kept for it (clipped by characters, not bytes).

use herald_protocol::{EventKind, FieldError, PlatformEvent};
use sha2::{Digest, Sha256};

use crate::error::AppError;

use super::*;

/// Checks what serde cannot, with a message per field.
pub fn validate(event: &PlatformEvent) -> Result<(), AppError> {
    let mut fields = Vec::new();
    let mut bad = |field: &str, message: &str| {
        fields.push(FieldError {
            field: field.into(),
            message: message.into(),
        })
    };
    let id_ok = |s: &str| !s.trim().is_empty() && s.len() <= 200;
    if !id_ok(&event.id) {
        bad("id", "the event id must be 1 to 200 characters");
    }
    if event.kind == EventKind::Test {
        bad(
            "kind",
            "test events are made by Herald itself (POST /api/v1/test-notification)",
        );
    }
    if event.kind == EventKind::QuietSummary {
        bad(
            "kind",
            "quiet summaries are made by Herald itself when an agent's quiet time ends",
        );
    }
    let lists = [
        ("mentioned", &event.mentioned),
        ("participants", &event.participants),
        ("recipients", &event.recipients),
    ];
    for (name, list) in lists {
        if list.len() > 1000 {
            bad(name, "at most 1000 agents");
        }
        if !list.iter().all(|a| id_ok(a)) {
            bad(name, "agent ids must be 1 to 200 characters");
        }
    }
    if event.teams.len() > 100 {
        bad("teams", "at most 100 teams");
    }
    if !event.teams.iter().all(|t| id_ok(t)) {
        bad("teams", "team ids must be 1 to 200 characters");
    }
    if let Some(conversation) = &event.conversation {
        if !id_ok(&conversation.id) {
            bad(
                "conversation.id",
                "the conversation id must be 1 to 200 characters",
            );
        }
    }
    if event.kind == EventKind::Module {
        if event.module.is_none() {
            bad(
                "module",
                "a module event needs its module part (name, kind, title)",
            );
        }
        if event.recipients.is_empty() && event.teams.is_empty() {
            bad(
                "recipients",
                "a module event names its recipients (agents or teams)",
            );
        }
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid {
            message: "the event is invalid".into(),
            fields,
        })
    }
}

/// The idempotency fingerprint of an event: a hash of its canonical JSON.
pub(super) fn fingerprint(event: &PlatformEvent) -> Result<String, AppError> {
    let bytes = serde_json::to_vec(event)?;
    Ok(crate::token::hex(&Sha256::digest(&bytes)))
}

/// The item's own text: subject or module title, and the message or module body.
pub(super) fn texts(event: &PlatformEvent) -> (String, String) {
    let title = event
        .conversation
        .as_ref()
        .and_then(|c| c.subject.clone())
        .or_else(|| event.module.as_ref().map(|m| m.title.clone()))
        .unwrap_or_default();
    let body = event
        .text
        .clone()
        .or_else(|| event.module.as_ref().and_then(|m| m.body.clone()))
        .unwrap_or_default();
    (clip(&title, TITLE_MAX), clip(&body, BODY_MAX))
}

pub(super) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("ação", 3), "açã…");
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("👩‍👩‍👧", 1), "👩…");
    }
}
