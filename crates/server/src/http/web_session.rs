//! The web app's session: signing in sets an HttpOnly cookie instead of answering a token;
//! the page gets the CSRF token it sends back on every state-changing request.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_protocol::{SignInRequest, WebSession};

use super::client_addr::ClientAddr;
use super::session::{open_session, profile, revoke_session};
use super::{ApiJson, AppState};
use crate::auth::AgentSession;
use crate::error::AppError;
use crate::web::guard;

/// `POST /web/session`: sign in; the session token goes into the cookie only.
pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(mut req): ApiJson<SignInRequest>,
) -> Result<Response, AppError> {
    // Another site's page must not sign a browser in (login CSRF).
    if let Some(origin) = headers.get(axum::http::header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !guard::is_own_origin(&state.web, &headers, origin) {
            return Err(AppError::Forbidden("this request came from another site"));
        }
    }
    if req.device_name.is_none() {
        req.device_name = Some("Web browser".into());
    }
    let grant = open_session(&state, client, req).await?;
    let body = WebSession {
        csrf_token: guard::csrf_token(&state.web, grant.session_id),
        session_id: grant.session_id,
        agent: grant.agent,
    };
    let cookie = guard::set_cookie(&state.web, &grant.token);
    let mut response = Json(body).into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| AppError::Internal(e.into()))?,
    );
    Ok(response)
}

/// `GET /web/session`: who the cookie signs in, and the CSRF token (401 without a session).
pub async fn current(
    State(state): State<AppState>,
    who: AgentSession,
) -> Result<Json<WebSession>, AppError> {
    Ok(Json(WebSession {
        agent: profile(&state, &who.agent_id.to_string()).await?,
        csrf_token: guard::csrf_token(&state.web, who.session_id),
        session_id: who.session_id,
    }))
}

/// `DELETE /web/session`: sign out: the session is revoked (its streams close, the push
/// subscriptions it registered are removed) and the cookie cleared.
pub async fn sign_out(
    State(state): State<AppState>,
    who: AgentSession,
) -> Result<Response, AppError> {
    revoke_session(&state, &who, who.session_id).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    let cookie = guard::clear_cookie(&state.web);
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| AppError::Internal(e.into()))?,
    );
    Ok(response)
}
