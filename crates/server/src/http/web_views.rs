//! Answers the web app needs that the desktop app gets from herald-core on its own device:
//! the diagnostics (the browser's facts, the verdicts of `herald_core::diagnostics`) and an
//! item's decision trail with what each push device's push service answered.

use axum::extract::{Path, State};
use axum::http::header::HOST;
use axum::http::HeaderMap;
use axum::Json;
use herald_core::client::{OsOutcome, Trail};
use herald_core::diagnostics::Diagnostics;
use herald_core::web::{diagnose, ServerFacts, WebFacts};
use uuid::Uuid;

use super::{ApiJson, AppState};
use crate::auth::AgentSession;
use crate::error::AppError;
use crate::push::subscriptions;

/// `POST /diagnostics`: the troubleshooting cards for the browser that asks.
pub async fn diagnostics(
    State(state): State<AppState>,
    who: AgentSession,
    headers: HeaderMap,
    ApiJson(facts): ApiJson<WebFacts>,
) -> Result<Json<Diagnostics>, AppError> {
    let prefs = super::prefs::load(&state, &who).await?;
    let profile = super::session::profile(&state, &who.agent_id.to_string()).await?;
    let email = crate::email::status(&state.db, state.mailer.is_some(), who.agent_id)
        .await
        .map_err(|e| e.to_string());
    let devices = subscriptions::list(&state.db, who.agent_id).await?;
    let this_browser = match &facts.endpoint {
        Some(endpoint) => subscriptions::is_registered(&state.db, who.agent_id, endpoint).await?,
        None => false,
    };
    let url = match &state.web.public_origin {
        Some(origin) => origin.clone(),
        None => headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| format!("http://{h}"))
            .unwrap_or_default(),
    };
    Ok(Json(diagnose(
        &facts,
        ServerFacts {
            url: &url,
            version: env!("CARGO_PKG_VERSION"),
            preferences: &prefs.preferences,
            profile_email: &profile.email,
            email: email.as_ref().map_err(String::as_str),
            devices: &devices,
            this_browser,
            now: state.clock.now(),
        },
    )))
}

/// `GET /inbox/{id}/trail`: why the item reached (or did not reach) the agent: the server's
/// decision, which a browser follows as it is (it has no policy of its own), per push
/// device what its push service answered, and per desktop app what it reported doing.
pub async fn trail(
    State(state): State<AppState>,
    who: AgentSession,
    Path(id): Path<Uuid>,
) -> Result<Json<Trail>, AppError> {
    let item = crate::inbox::get(&state.db, who.agent_id, id).await?;
    let devices = subscriptions::queued_for(&state.db, id).await?;
    let devices = subscriptions::results_for(&state.db, id, &devices).await?;
    let os = if devices.is_empty() {
        OsOutcome::NotShown
    } else {
        OsOutcome::SentAsPush
    };
    let apps = crate::receipts::for_item(&state.db, who.agent_id, id)
        .await?
        .into_iter()
        .map(|(_, receipt)| receipt)
        .collect();
    Ok(Json(Trail {
        server: item.decision.clone(),
        local: item.decision,
        os,
        devices,
        apps,
    }))
}
