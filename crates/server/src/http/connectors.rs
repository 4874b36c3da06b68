//! `POST /connectors/{id}/webhook`: a helpdesk's signed webhook (Chatwoot's format).
//!
//! 1. The connector must exist (404) and the delivery be signed with its secret within the
//!    replay window (401 with the reason).
//! 2. A delivery id seen before gets its first answer again, marked `duplicate`.
//! 3. The payload is mapped to Herald events (or ignored with a reason), each event is
//!    validated and ingested in the connector's workspace, and the outcome is recorded.
//!
//! Whatever the payload says, a signed delivery is answered 200 with what Herald made of
//! it: a helpdesk that got errors for events Herald does not use would retry them forever.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use herald_protocol::{WebhookOutcome, WebhookResult};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::AppState;
use crate::connectors::chatwoot::{self, Mapped};
use crate::connectors::{self, signature};
use crate::error::AppError;

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The handler.
pub async fn webhook(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookResult>, AppError> {
    let connector = connectors::load(&state.db, id)
        .await?
        .ok_or(AppError::NotFound("no such connector"))?;
    let now = state.clock.now();
    signature::verify(
        connector.secret.as_bytes(),
        header(&headers, "x-chatwoot-signature"),
        header(&headers, "x-chatwoot-timestamp"),
        &body,
        now,
    )
    .map_err(|e| {
        tracing::info!(connector = %id, error = %e, "webhook refused");
        AppError::Unauthorized(e.message())
    })?;
    // Chatwoot names each delivery; without it, the body itself identifies a retry.
    let delivery_id = header(&headers, "x-chatwoot-delivery")
        .map(str::trim)
        .filter(|d| !d.is_empty() && d.len() <= 200 && !d.contains(char::is_control))
        .map_or_else(
            || crate::token::hex(&Sha256::digest(&body))[..32].to_owned(),
            str::to_owned,
        );
    let payload: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::invalid(format!("the body is not JSON: {e}")))?;
    let event: String = payload
        .get("event")
        .and_then(|e| e.as_str())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    if let Some(outcome) = connectors::recorded(&state.db, id, &delivery_id).await? {
        return Ok(Json(WebhookResult {
            delivery_id,
            event,
            duplicate: true,
            outcome,
        }));
    }
    let outcome = match chatwoot::map(&payload, &delivery_id, &connector.account, now) {
        Mapped::Ignored(reason) => WebhookOutcome::Ignored { reason },
        Mapped::Events(events) => ingest(&state, &connector, events).await?,
    };
    connectors::record(&state.db, id, &delivery_id, &event, &outcome, now).await?;
    tracing::debug!(connector = %id, %event, "webhook delivery handled");
    Ok(Json(WebhookResult {
        delivery_id,
        event,
        duplicate: false,
        outcome,
    }))
}

async fn ingest(
    state: &AppState,
    connector: &connectors::Connector,
    events: Vec<herald_protocol::PlatformEvent>,
) -> Result<WebhookOutcome, AppError> {
    let mut results = Vec::with_capacity(events.len());
    let mut skipped = Vec::new();
    for event in events {
        if let Err(err) = crate::ingest::validate(&event) {
            // A payload Herald cannot take as it is: recorded, not retried forever.
            let (_, body) = err.into_body();
            return Ok(WebhookOutcome::Ignored {
                reason: format!("the event it maps to is invalid: {}", body.message),
            });
        }
        for user in
            connectors::unknown_agents(&state.db, connector.workspace_id, &event.mentioned).await?
        {
            skipped.push(format!(
                "a mention of Chatwoot user {user}: no Herald agent has that id"
            ));
        }
        results.push(state.ingest.event(connector.workspace_id, event).await?);
    }
    Ok(WebhookOutcome::Ingested {
        events: results,
        skipped,
    })
}
