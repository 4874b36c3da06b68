//! For operators and load balancers: `GET /api/v1/ready` (readiness, apart from the
//! liveness of `GET /api/v1/health`) and `GET /metrics` (Prometheus).

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::client_addr::ClientAddr;
use super::AppState;
use crate::error::AppError;

/// `GET /ready`: 200 when this node should get traffic; 503 with the reason while the
/// database does not answer (within 2 s) or the node is draining.
pub async fn ready(State(state): State<AppState>) -> Response {
    if state.shutdown.is_cancelled() {
        return not_ready("draining: this node is shutting down");
    }
    let answered = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(&state.db.reader),
    )
    .await;
    match answered {
        Ok(Ok(_)) => Json(serde_json::json!({ "ready": true })).into_response(),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "not ready: the database failed");
            not_ready("the database does not answer")
        }
        Err(_) => not_ready("the database does not answer within 2 s"),
    }
}

fn not_ready(reason: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({ "ready": false, "reason": reason })),
    )
        .into_response()
}

/// `GET /metrics`: Prometheus' text format, to loopback and private addresses only.
pub async fn metrics(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
) -> Result<Response, AppError> {
    // Behind a trusted proxy, the address it names: a public caller it passes on is refused.
    if crate::push::endpoint::is_public(client) {
        return Err(AppError::NotFound("no such route"));
    }
    let body = crate::metrics::render(
        &state.metrics,
        state.fanout.stats(),
        &state.db,
        &state.hub,
        state.shutdown.is_cancelled(),
        state.clock.now(),
    )
    .await;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response())
}
