//! Extractors: the caller of a request, from its `Authorization: Bearer` header (a session
//! token, or a platform's ingest key), looked up through [`crate::auth`].

use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sqlx::Row;

use super::AppState;
use crate::auth::{parse_uuid, session_for_token, AgentSession, IngestCaller};
use crate::error::AppError;
use crate::token::hash_token;

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
        let token = bearer(parts).ok_or(AppError::Unauthorized(
            "sign in first: this needs an Authorization: Bearer token",
        ))?;
        session_for_token(&state.db, token)
            .await?
            .ok_or(AppError::Unauthorized(
                "your session has ended; sign in again",
            ))
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
