//! Sign in, sign out, sessions, the caller's profile, health.

use std::net::IpAddr;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::Json;
use herald_protocol::{AgentProfile, CloseReason, SessionGrant, SessionInfo, SignInRequest};
use sqlx::Row;
use uuid::Uuid;

use super::client_addr::ClientAddr;
use super::{ApiJson, AppState};
use crate::auth::AgentSession;
use crate::db::{RowExt, SqlTime};
use crate::error::AppError;
use crate::passwords;

const WRONG: &str = "wrong email or password";

/// `GET /health`: for diagnostics ("server reachable").
pub async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "epoch": &*state.epoch,
    }))
}

/// `POST /session`: sign in with email and password.
pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<Json<SessionGrant>, AppError> {
    Ok(Json(open_session(&state, client, req).await?))
}

/// Checks the password (rate-limited, the same cost for unknown emails) and opens a session.
pub(super) async fn open_session(
    state: &AppState,
    client: IpAddr,
    req: SignInRequest,
) -> Result<SessionGrant, AppError> {
    let email = req.email.trim().to_lowercase();
    let address = client.to_string();
    if email.len() > 320 || req.password.len() > 1024 {
        return Err(AppError::Unauthorized(WRONG));
    }
    // Counted before the hash runs: a burst is refused here, not after 19 MiB each.
    state
        .limiter
        .attempt(&email, &address, Instant::now())
        .map_err(AppError::RateLimited)?;
    let row = sqlx::query(
        "SELECT id, password_hash, disabled_at IS NOT NULL AS disabled FROM agents WHERE email = $1",
    )
    .bind(&email)
    .fetch_optional(&state.db.reader)
    .await?;
    let (agent_id, stored, disabled) = match &row {
        Some(row) => (
            Some(row.try_get::<String, _>("id")?),
            row.try_get::<String, _>("password_hash")?,
            row.flag("disabled")?,
        ),
        // Unknown emails cost the same as wrong passwords: no way to tell which exist.
        None => (None, passwords::decoy_hash().to_owned(), false),
    };
    let ok = state
        .passwords
        .verify(req.password, stored)
        .await
        .map_err(|_| AppError::Busy("too many sign-ins at once; try again in a moment"))?;
    let agent_id = match agent_id {
        Some(id) if ok && !disabled => id,
        _ => {
            tracing::info!("sign-in refused");
            return Err(AppError::Unauthorized(WRONG));
        }
    };
    state.limiter.succeeded(&email, &address);
    let (token, hash) = crate::token::new_token(crate::token::SESSION_PREFIX);
    let session_id = Uuid::now_v7();
    let now = state.clock.now();
    let device: Option<String> = req.device_name.map(|d| d.chars().take(100).collect());
    sqlx::query(
        "INSERT INTO sessions (id, agent_id, token_hash, device_name, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(session_id.to_string())
    .bind(&agent_id)
    .bind(hash)
    .bind(device)
    .bind(SqlTime(now))
    .execute(&state.db.writer)
    .await?;
    let agent = profile(state, &agent_id).await?;
    tracing::info!(%session_id, "signed in");
    Ok(SessionGrant {
        token,
        session_id,
        agent,
    })
}

pub(super) async fn profile(state: &AppState, agent_id: &str) -> Result<AgentProfile, AppError> {
    let row = sqlx::query(
        "SELECT a.id, a.external_id, a.email, a.name, w.name AS workspace FROM agents a \
         JOIN workspaces w ON w.id = a.workspace_id WHERE a.id = $1",
    )
    .bind(agent_id)
    .fetch_one(&state.db.reader)
    .await?;
    Ok(AgentProfile {
        id: Uuid::parse_str(&row.try_get::<String, _>("id")?)
            .map_err(|e| AppError::Internal(e.into()))?,
        external_id: row.try_get("external_id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        workspace: row.try_get("workspace")?,
        groups: sqlx::query_scalar(
            "SELECT group_key FROM agent_groups WHERE agent_id = $1 ORDER BY group_key",
        )
        .bind(agent_id)
        .fetch_all(&state.db.reader)
        .await?,
    })
}

/// `GET /me`.
pub async fn me(
    State(state): State<AppState>,
    who: AgentSession,
) -> Result<Json<AgentProfile>, AppError> {
    Ok(Json(profile(&state, &who.agent_id.to_string()).await?))
}

/// `DELETE /session`: sign out this session.
pub async fn sign_out(
    State(state): State<AppState>,
    who: AgentSession,
) -> Result<axum::http::StatusCode, AppError> {
    revoke_session(&state, &who, who.session_id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// `GET /sessions`: the caller's active sessions.
pub async fn list(
    State(state): State<AppState>,
    who: AgentSession,
) -> Result<Json<Vec<SessionInfo>>, AppError> {
    let rows = sqlx::query(
        "SELECT id, device_name, created_at, last_seen_at FROM sessions \
         WHERE agent_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC",
    )
    .bind(who.agent_id.to_string())
    .fetch_all(&state.db.reader)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut live = state.hub.live(who.agent_id);
    for row in rows {
        let id = Uuid::parse_str(&row.try_get::<String, _>("id")?)
            .map_err(|e| AppError::Internal(e.into()))?;
        out.push(SessionInfo {
            id,
            device_name: row.try_get("device_name")?,
            created_at: row.time("created_at")?,
            last_seen_at: row.time("last_seen_at")?,
            current: id == who.session_id,
            live: live.remove(&id),
        });
    }
    Ok(Json(out))
}

/// `DELETE /sessions/{id}`: revoke one of the caller's sessions.
pub async fn revoke(
    State(state): State<AppState>,
    who: AgentSession,
    Path(id): Path<Uuid>,
) -> Result<axum::http::StatusCode, AppError> {
    revoke_session(&state, &who, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Revokes a session and forgets the browsers it registered for push.
pub(super) async fn revoke_session(
    state: &AppState,
    who: &AgentSession,
    id: Uuid,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let mut tx = state.db.write_tx().await?;
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND agent_id = $3 AND revoked_at IS NULL",
    )
    .bind(SqlTime(now))
    .bind(id.to_string())
    .bind(who.agent_id.to_string())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound("no such session"));
    }
    let session = id.to_string();
    crate::push::subscriptions::forget(
        &mut tx,
        crate::push::subscriptions::Whose::Session(&session),
        now,
    )
    .await?;
    tx.commit().await?;
    state
        .fanout
        .close_session(id, CloseReason::SessionRevoked)
        .await;
    tracing::info!(session_id = %id, "session revoked");
    Ok(())
}
