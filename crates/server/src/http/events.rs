//! `POST /events`, `POST /events/batch` and `POST /events/signed`: the platform's ingest,
//! with the ingest key as a bearer token, or (`signed`) an event signed with the key's
//! signing secret.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use futures_util::future::join_all;
use herald_protocol::{
    IngestBatch, IngestBatchResult, IngestItemResult, IngestResult, PlatformEvent, INGEST_BATCH_MAX,
};

use super::{ApiJson, AppState};
use crate::auth::IngestCaller;
use crate::error::AppError;
use crate::ingest;

/// Validates and ingests one event; answers once it is durable.
pub async fn ingest(
    State(state): State<AppState>,
    caller: IngestCaller,
    ApiJson(event): ApiJson<PlatformEvent>,
) -> Result<Json<IngestResult>, AppError> {
    ingest::validate(&event)?;
    Ok(Json(state.ingest.event(caller.workspace_id, event).await?))
}

/// Validates and ingests many events; answers once every accepted one is durable. Events
/// are queued together, so they usually share one transaction.
pub async fn ingest_batch(
    State(state): State<AppState>,
    caller: IngestCaller,
    ApiJson(batch): ApiJson<IngestBatch>,
) -> Result<Json<IngestBatchResult>, AppError> {
    if batch.events.len() > INGEST_BATCH_MAX {
        return Err(AppError::TooLarge("at most 500 events in one batch"));
    }
    let pending = batch.events.into_iter().map(|value| {
        let state = state.clone();
        async move {
            let event_id = value.get("id").and_then(|v| v.as_str()).map(str::to_owned);
            let outcome = match serde_json::from_value::<PlatformEvent>(value) {
                Ok(event) => match ingest::validate(&event) {
                    Ok(()) => state.ingest.event(caller.workspace_id, event).await,
                    Err(e) => Err(e),
                },
                Err(e) => Err(AppError::invalid(e.to_string())),
            };
            match outcome {
                Ok(result) => IngestItemResult::Ingested { result },
                Err(e) => IngestItemResult::Rejected {
                    event_id,
                    error: e.into_body().1,
                },
            }
        }
    });
    Ok(Json(IngestBatchResult {
        results: join_all(pending).await,
    }))
}

/// `POST /events/signed`: one event signed with an ingest key's signing secret:
/// `X-Herald-Key` (the key's id), `X-Herald-Timestamp` (Unix seconds, within 5 minutes) and
/// `X-Herald-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">`. The event id is
/// the idempotency key, as for `POST /events`.
pub async fn ingest_signed(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<IngestResult>, AppError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let refused = || {
        AppError::Unauthorized(
            "unknown or revoked ingest key, or one without a signing secret (X-Herald-Key is the key's id)",
        )
    };
    let key_id = header("x-herald-key")
        .and_then(|k| uuid::Uuid::parse_str(k.trim()).ok())
        .ok_or_else(refused)?;
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT workspace_id, signing_secret FROM ingest_keys \
         WHERE id = $1 AND revoked_at IS NULL AND signing_secret IS NOT NULL",
    )
    .bind(key_id.to_string())
    .fetch_optional(&state.db.reader)
    .await?;
    let (workspace_id, secret) = row.ok_or_else(refused)?;
    crate::connectors::signature::verify(
        secret.as_bytes(),
        header("x-herald-signature"),
        header("x-herald-timestamp"),
        &body,
        state.clock.now(),
    )
    .map_err(|e| AppError::Unauthorized(e.message()))?;
    let event: PlatformEvent = serde_json::from_slice(&body)
        .map_err(|e| AppError::invalid(format!("the body is not a valid event: {e}")))?;
    ingest::validate(&event)?;
    let workspace_id = crate::auth::parse_uuid(&workspace_id)?;
    Ok(Json(state.ingest.event(workspace_id, event).await?))
}
