//! One-click unsubscribe (RFC 8058) from a signed link in an email. `GET` only shows a
//! confirmation (mail scanners fetch links); `POST` switches every email channel of the
//! agent off and tells the agent's devices.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use herald_protocol::{
    Channel, EventKind, PrefEdit, Preferences, ServerMessage, VersionedPreferences,
};
use sqlx::Row;

use super::AppState;
use crate::error::AppError;
use crate::links;

/// `?token=…`
#[derive(Debug, serde::Deserialize)]
pub struct Link {
    token: Option<String>,
}

fn page(body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Herald email</title></head>\
         <body style=\"font-family:sans-serif;max-width:32em;margin:3em auto\">{body}</body></html>"
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            ),
        ],
        html,
    )
        .into_response()
}

async fn agent_of(state: &AppState, link: &Link) -> Result<uuid::Uuid, AppError> {
    let token = link
        .token
        .as_deref()
        .ok_or(AppError::Unauthorized("this link has no token"))?;
    let key = state.db.link_key().await?;
    links::verify(&key, token, state.clock.now())
}

/// `GET /unsubscribe?token=`: asks to confirm.
pub async fn confirm(
    State(state): State<AppState>,
    Query(link): Query<Link>,
) -> Result<Response, AppError> {
    agent_of(&state, &link).await?;
    Ok(page(
        "<h1>Stop Herald emails?</h1><p>You will get no more alert or summary emails. \
         The bell and notifications in the app stay as they are.</p>\
         <form method=\"post\"><button type=\"submit\">Stop all Herald emails</button></form>",
    ))
}

/// `POST /unsubscribe?token=`: switches every email channel off.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Query(link): Query<Link>,
) -> Result<Response, AppError> {
    let agent_id = agent_of(&state, &link).await?;
    let mut tx = state.db.write_tx().await?;
    let row = sqlx::query("SELECT prefs FROM agents WHERE id = $1")
        .bind(agent_id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound("no such agent"))?;
    let mut prefs: Preferences = serde_json::from_str(&row.try_get::<String, _>("prefs")?)?;
    for kind in EventKind::KNOWN
        .iter()
        .chain([EventKind::Unknown(String::new())].iter())
    {
        prefs.apply(&PrefEdit::Channel {
            kind: kind.clone(),
            channel: Channel::Email,
            on: false,
        });
    }
    let version: i64 = sqlx::query("UPDATE agents SET prefs = $1, prefs_version = prefs_version + 1 WHERE id = $2 RETURNING prefs_version")
        .bind(serde_json::to_string(&prefs)?)
        .bind(agent_id.to_string())
        .fetch_one(&mut *tx)
        .await?
        .try_get("prefs_version")?;
    tx.commit().await?;
    let saved = VersionedPreferences {
        version: u64::try_from(version).unwrap_or(0),
        preferences: prefs,
    };
    state
        .fanout
        .notice(
            agent_id,
            &ServerMessage::PreferencesChanged {
                preferences: saved.clone(),
            },
        )
        .await;
    tracing::info!(%agent_id, "email switched off from an email link");
    // An admin may have locked some emails on: say so rather than promise silence.
    let locked_on = saved.preferences.locks.iter().any(|lock| {
        matches!(
            lock,
            herald_protocol::Lock::Channel {
                channel: Channel::Email,
                on: true,
                ..
            }
        )
    });
    Ok(page(if locked_on {
        "<h1>Done</h1><p>Herald will not email you any more, except the emails your admin \
         requires (they are locked in your preferences). Turn emails back on in Herald: \
         Preferences, Email.</p>"
    } else {
        "<h1>Done</h1><p>Herald will not email you any more. Turn emails back on in Herald: \
         Preferences, Email.</p>"
    }))
}
