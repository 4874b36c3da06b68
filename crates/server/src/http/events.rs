//! `POST /events` and `POST /events/batch`: the platform's ingest.

use axum::extract::State;
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
