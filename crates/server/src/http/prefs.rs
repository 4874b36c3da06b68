//! `GET` / `PUT /preferences`: versioned with `ETag` / `If-Match`; `POST
//! /preferences/edits`: edits applied by the server.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_protocol::{PrefEdits, Preferences, ServerMessage, VersionedPreferences};
use sqlx::Row;

use super::{ApiJson, AppState};
use crate::auth::AgentSession;
use crate::error::AppError;

fn with_etag(prefs: VersionedPreferences) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", prefs.version)).ok();
    let mut response = Json(prefs).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// The saved version: told to the agent's other devices, and the answer.
async fn announce(
    state: &AppState,
    who: &AgentSession,
    version: i64,
    prefs: Preferences,
) -> Response {
    let saved = VersionedPreferences {
        version: u64::try_from(version).unwrap_or(0),
        preferences: prefs,
    };
    state
        .fanout
        .notice(
            who.agent_id,
            &ServerMessage::PreferencesChanged {
                preferences: saved.clone(),
            },
        )
        .await;
    with_etag(saved)
}

/// Reads an agent's preferences.
pub async fn load(state: &AppState, who: &AgentSession) -> Result<VersionedPreferences, AppError> {
    let row = sqlx::query("SELECT prefs_version, prefs FROM agents WHERE id = $1")
        .bind(who.agent_id.to_string())
        .fetch_one(&state.db.reader)
        .await?;
    let version: i64 = row.try_get("prefs_version")?;
    let json: String = row.try_get("prefs")?;
    Ok(VersionedPreferences {
        version: u64::try_from(version).unwrap_or(0),
        preferences: serde_json::from_str(&json)?,
    })
}

/// `GET /preferences`.
pub async fn get_prefs(
    State(state): State<AppState>,
    who: AgentSession,
) -> Result<Response, AppError> {
    Ok(with_etag(load(&state, &who).await?))
}

/// The version an `If-Match` header names: `"7"`, `W/"7"` or `7`.
fn if_match(headers: &HeaderMap) -> Result<i64, AppError> {
    let value = headers
        .get(header::IF_MATCH)
        .ok_or(AppError::PreconditionRequired(
            "saving preferences needs If-Match with the version you edited",
        ))?;
    let text = value.to_str().unwrap_or_default().trim();
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse()
        .map_err(|_| AppError::invalid("If-Match must be the preferences version, like \"7\""))
}

/// `PUT /preferences`: replaces them if `If-Match` names the current version.
pub async fn put_prefs(
    State(state): State<AppState>,
    who: AgentSession,
    headers: HeaderMap,
    ApiJson(prefs): ApiJson<Preferences>,
) -> Result<Response, AppError> {
    let expected = if_match(&headers)?;
    // A stale copy hears 412 first: its device re-applies its edits on the current version,
    // whose locks may have changed since.
    let stale = |current: u64| {
        AppError::PreconditionFailed(format!(
            "preferences changed since version {expected} (now {current}); reload and apply your changes again",
        ))
    };
    let current: i64 = sqlx::query_scalar("SELECT prefs_version FROM agents WHERE id = $1")
        .bind(who.agent_id.to_string())
        .fetch_one(&state.db.reader)
        .await?;
    if current != expected {
        return Err(stale(u64::try_from(current).unwrap_or(0)));
    }
    let policy = {
        let mut conn = state.db.reader.acquire().await?;
        crate::workspace_policy::of_agent(&mut conn, who.agent_id).await?
    };
    let prefs = crate::workspace_policy::check_save(prefs, &policy)?;
    prefs.validate().map_err(|fields| AppError::Invalid {
        message: "some preferences are invalid".into(),
        fields,
    })?;
    let json = serde_json::to_string(&prefs)?;
    let row = sqlx::query(
        "UPDATE agents SET prefs = $1, prefs_version = prefs_version + 1 \
         WHERE id = $2 AND prefs_version = $3 RETURNING prefs_version",
    )
    .bind(json)
    .bind(who.agent_id.to_string())
    .bind(expected)
    .fetch_optional(&state.db.writer)
    .await?;
    let Some(row) = row else {
        return Err(stale(load(&state, &who).await?.version));
    };
    Ok(announce(&state, &who, row.try_get("prefs_version")?, prefs).await)
}

/// `POST /preferences/edits`: applies the edits (and a pause preset, computed now in the
/// agent's time zone) to the current preferences, in one write transaction, so edits from
/// two devices compose without a version dance.
pub async fn edit_prefs(
    State(state): State<AppState>,
    who: AgentSession,
    ApiJson(change): ApiJson<PrefEdits>,
) -> Result<Response, AppError> {
    let mut tx = state.db.write_tx().await?;
    let row = sqlx::query("SELECT prefs FROM agents WHERE id = $1")
        .bind(who.agent_id.to_string())
        .fetch_one(&mut *tx)
        .await?;
    let mut prefs: Preferences = serde_json::from_str(&row.try_get::<String, _>("prefs")?)?;
    crate::workspace_policy::check_edits(&prefs, &change.edits)?;
    for edit in &change.edits {
        prefs.apply(edit);
    }
    if let Some(preset) = change.pause {
        let edit = preset.edit(&prefs, state.clock.now());
        prefs.apply(&edit);
    }
    prefs.validate().map_err(|fields| AppError::Invalid {
        message: "some preferences are invalid".into(),
        fields,
    })?;
    let row = sqlx::query(
        "UPDATE agents SET prefs = $1, prefs_version = prefs_version + 1 WHERE id = $2 \
         RETURNING prefs_version",
    )
    .bind(serde_json::to_string(&prefs)?)
    .bind(who.agent_id.to_string())
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(announce(&state, &who, row.try_get("prefs_version")?, prefs).await)
}

/// `GET /preferences/preview`: which channels would fire, per kind of event and situation,
/// under the saved preferences (decided by the policy, `herald_protocol::preview`).
pub async fn preview(
    State(state): State<AppState>,
    who: AgentSession,
) -> Result<Json<herald_protocol::RulesPreview>, AppError> {
    let saved = load(&state, &who).await?;
    Ok(Json(herald_protocol::preview(&saved.preferences)))
}
