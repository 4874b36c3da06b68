//! Extractors: the caller of a request, from its `Authorization: Bearer` header (a session
//! token, or a platform's ingest key) or the web app's session cookie (checked by
//! [`crate::web::guard`]), looked up through [`crate::auth`].

use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sqlx::Row;

use super::AppState;
use crate::auth::{parse_uuid, session_for_token, AgentSession, IngestCaller};
use crate::error::AppError;
use crate::token::hash_token;
use crate::web::guard;

/// The bearer token of a request, if it has one.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    (!token.is_empty() && token.len() <= 256).then_some(token.trim())
}

impl FromRequestParts<AppState> for AgentSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let ended = AppError::Unauthorized("your session has ended; sign in again");
        if let Some(token) = bearer(parts) {
            return session_for_token(&state.db, token).await?.ok_or(ended);
        }
        // The web app's cookie: only from this server's own pages, and with the CSRF token
        // on anything that may change state.
        let token = guard::session_cookie(&parts.headers).ok_or(AppError::Unauthorized(
            "sign in first: this needs an Authorization: Bearer token or the web app's session",
        ))?;
        let who = session_for_token(&state.db, token).await?.ok_or(ended)?;
        guard::check(&state.web, &parts.method, &parts.headers, who.session_id).map_err(
            |refusal| match refusal {
                guard::Refusal::CrossOrigin => {
                    AppError::Forbidden("this request came from another site's page")
                }
                guard::Refusal::NoCsrf => {
                    AppError::Forbidden("this request lacks the session's CSRF token")
                }
            },
        )?;
        Ok(who)
    }
}

impl FromRequestParts<AppState> for IngestCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let key = bearer(parts).ok_or(AppError::Unauthorized(
            "ingest needs Authorization: Bearer <ingest key>",
        ))?;
        let hash = hash_token(key);
        if let Some(workspace_id) = state.ingest_keys.get(&hash, Instant::now()) {
            return Ok(IngestCaller { workspace_id });
        }
        let row = sqlx::query(
            "SELECT workspace_id FROM ingest_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(&hash)
        .fetch_optional(&state.db.reader)
        .await?
        .ok_or(AppError::Unauthorized("unknown or revoked ingest key"))?;
        let workspace_id = parse_uuid(row.try_get("workspace_id")?)?;
        state.ingest_keys.put(hash, workspace_id, Instant::now());
        Ok(IngestCaller { workspace_id })
    }
}
