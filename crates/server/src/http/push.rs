//! Push routes: the server's key, and the caller's browsers and phones.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use herald_protocol::{
    PhoneDeviceRemoval, PhoneDeviceRequest, PushDevice, PushServerKey, PushSubscriptionRequest,
    PushUnsubscribeRequest,
};

use super::{ApiJson, AppState};
use crate::auth::AgentSession;
use crate::error::AppError;
use crate::push::subscriptions;

/// `GET /push/key`: the VAPID public key browsers subscribe with.
pub async fn server_key(State(state): State<AppState>, _who: AgentSession) -> Json<PushServerKey> {
    Json(PushServerKey {
        public_key: state.pusher.public_key().to_owned(),
    })
}

/// `GET /push/subscriptions`: the caller's push devices and their last answers.
pub async fn list(
    State(state): State<AppState>,
    who: AgentSession,
) -> Result<Json<Vec<PushDevice>>, AppError> {
    Ok(Json(subscriptions::list(&state.db, who.agent_id).await?))
}

/// `POST /push/subscriptions`: registers this browser for the caller's session.
pub async fn subscribe(
    State(state): State<AppState>,
    who: AgentSession,
    ApiJson(req): ApiJson<PushSubscriptionRequest>,
) -> Result<(StatusCode, Json<PushDevice>), AppError> {
    let allow_insecure = state.pusher.config().allow_insecure_endpoints;
    let device =
        subscriptions::register(&state.db, &who, &req, allow_insecure, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(device)))
}

/// `DELETE /push/subscriptions`: forgets this browser (idempotent).
pub async fn unsubscribe(
    State(state): State<AppState>,
    who: AgentSession,
    ApiJson(req): ApiJson<PushUnsubscribeRequest>,
) -> Result<StatusCode, AppError> {
    subscriptions::unregister(&state.db, &who, &req.endpoint, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /push/devices`: registers this phone's push token for the caller's session.
pub async fn register_phone(
    State(state): State<AppState>,
    who: AgentSession,
    ApiJson(req): ApiJson<PhoneDeviceRequest>,
) -> Result<(StatusCode, Json<PushDevice>), AppError> {
    let device = subscriptions::register_phone(&state.db, &who, &req, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(device)))
}

/// `DELETE /push/devices`: forgets this phone's token (idempotent).
pub async fn unregister_phone(
    State(state): State<AppState>,
    who: AgentSession,
    ApiJson(req): ApiJson<PhoneDeviceRemoval>,
) -> Result<StatusCode, AppError> {
    subscriptions::unregister_phone(&state.db, &who, &req, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
