//! `POST /events`: the platform's ingest.

use axum::extract::State;
use axum::Json;
use herald_protocol::{IngestResult, PlatformEvent};

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
