//! The HTTP surface: `/api/v1`, its state, and the JSON extractor that answers malformed
//! bodies in the one error shape.

mod admin_api;
mod client_addr;
mod connectors;
mod events;
mod extract;
mod inbox;
mod ops;
mod prefs;
mod push;
mod session;
mod stream;
mod unsubscribe;
mod web_session;
mod web_views;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

pub use client_addr::{parse_trusted, TrustedProxies};

use crate::auth::RateLimiter;
use crate::db::Db;
use crate::error::AppError;
use crate::hub::Hub;
use crate::ingest::Ingest;

/// Limits and timings of the live stream.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    /// How often the server pings; two intervals without an answer close the stream.
    pub ping_interval: Duration,
    /// Largest frame or message a client may send.
    pub max_message: usize,
    /// Each stream's read buffer, allocated up front. Clients send a few small messages
    /// (resume, pongs), so 4 KiB rather than the library's 128 KiB: with thousands of
    /// streams this is most of the server's memory. Larger frames still arrive whole.
    pub read_buffer: usize,
    /// How long a client has to send its `resume` message.
    pub resume_timeout: Duration,
    /// How long one send may block before the client counts as gone.
    pub send_timeout: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            ping_interval: Duration::from_secs(20),
            max_message: 16 * 1024,
            read_buffer: 4 * 1024,
            resume_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(10),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub db: Db,
    /// Live streams.
    pub hub: Arc<Hub>,
    /// Changes other than items, for the agent's streams on every node.
    pub fanout: crate::fanout::Fanout,
    /// The group-commit writer.
    pub ingest: Ingest,
    /// Sign-in attempts.
    pub limiter: Arc<RateLimiter>,
    /// Reverse proxies whose `X-Forwarded-For` names the caller.
    pub trusted_proxies: Arc<TrustedProxies>,
    /// The password workers.
    pub passwords: crate::passwords::Passwords,
    /// Ingest keys seen lately.
    pub ingest_keys: Arc<crate::auth::KeyCache>,
    /// Stream limits.
    pub stream: Arc<StreamSettings>,
    /// Cancelled when the server shuts down.
    pub shutdown: CancellationToken,
    /// This database's epoch.
    pub epoch: Arc<str>,
    /// The SMTP relay, when configured.
    pub mailer: Option<crate::email::Mailer>,
    /// Web Push.
    pub pusher: crate::push::Pusher,
    /// Desktop apps' receipts.
    pub receipts: crate::receipts::Receipts,
    /// Agent sync from helpdesks.
    pub syncer: crate::connectors::sync::Syncer,
    /// Counters for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The web app's origin, cookies and CSRF key.
    pub web: Arc<crate::web::WebSettings>,
    /// The server's clock.
    pub clock: herald_protocol::Clock,
}

/// Largest ingest body (one event).
pub const EVENT_BODY_MAX: usize = 256 * 1024;
/// Largest batch ingest body.
pub const BATCH_BODY_MAX: usize = 4 * 1024 * 1024;
/// Largest body of every other route.
pub const BODY_MAX: usize = 64 * 1024;

/// The `/api/v1` router, the web app at `/` and the security headers of every response.
pub fn router(state: AppState, assets: crate::web::WebAssets) -> Router {
    let api = Router::new()
        .route("/health", get(session::health))
        .route("/ready", get(ops::ready))
        .route("/session", post(session::sign_in).delete(session::sign_out))
        .route("/sessions", get(session::list))
        .route("/sessions/{id}", delete(session::revoke))
        .route("/me", get(session::me))
        .route("/preferences", get(prefs::get_prefs).put(prefs::put_prefs))
        .route("/preferences/edits", post(prefs::edit_prefs))
        .route("/preferences/preview", get(prefs::preview))
        .route("/diagnostics", post(web_views::diagnostics))
        .route("/inbox", get(inbox::list))
        .route("/inbox/unread", get(inbox::unread))
        .route("/inbox/mark", post(inbox::mark))
        .route("/inbox/snooze", post(inbox::snooze))
        .route("/inbox/{id}", get(inbox::get_one))
        .route("/inbox/{id}/trail", get(web_views::trail))
        .route("/test-notification", post(inbox::test_notification))
        .route("/email", get(inbox::email_status))
        .route("/email/test", post(inbox::test_email))
        .route("/push/key", get(push::server_key))
        .route(
            "/push/devices",
            post(push::register_phone).delete(push::unregister_phone),
        )
        .route(
            "/push/subscriptions",
            get(push::list)
                .post(push::subscribe)
                .delete(push::unsubscribe),
        )
        .route(
            "/unsubscribe",
            get(unsubscribe::confirm).post(unsubscribe::unsubscribe),
        )
        .route("/stream", get(stream::stream))
        .route("/password-setup", post(admin_api::password_setup))
        .route(
            "/admin/policy",
            get(admin_api::get_policy).put(admin_api::put_policy),
        )
        .route(
            "/admin/agents",
            get(admin_api::list_agents).post(admin_api::create_agent),
        )
        .route(
            "/admin/agents/{id}",
            get(admin_api::get_agent).patch(admin_api::update_agent),
        )
        .route("/admin/agents/{id}/setup-link", post(admin_api::setup_link))
        .route(
            "/admin/ingest-keys",
            get(admin_api::list_ingest_keys).post(admin_api::create_ingest_key),
        )
        .route(
            "/admin/ingest-keys/{id}",
            delete(admin_api::revoke_ingest_key),
        )
        .route(
            "/admin/connectors",
            get(admin_api::list_connectors).post(admin_api::create_connector),
        )
        .route(
            "/admin/connectors/{id}",
            delete(admin_api::remove_connector),
        )
        .route(
            "/admin/connectors/{id}/sync",
            post(admin_api::sync_connector),
        )
        .route(
            "/web/session",
            get(web_session::current)
                .post(web_session::sign_in)
                .delete(web_session::sign_out),
        )
        .layer(DefaultBodyLimit::max(BODY_MAX))
        .merge(
            Router::new()
                .route("/events", post(events::ingest))
                .route("/events/signed", post(events::ingest_signed))
                .layer(DefaultBodyLimit::max(EVENT_BODY_MAX)),
        )
        .merge(
            Router::new()
                .route("/connectors/{id}/webhook", post(connectors::webhook))
                .layer(DefaultBodyLimit::max(EVENT_BODY_MAX)),
        )
        .merge(
            Router::new()
                .route("/events/batch", post(events::ingest_batch))
                .layer(DefaultBodyLimit::max(BATCH_BODY_MAX)),
        );
    let hsts = state.web.secure_cookies;
    Router::new()
        .nest(
            "/api/v1",
            api.fallback(|| async { AppError::NotFound("no such route") }),
        )
        .route("/metrics", get(ops::metrics))
        .with_state(state)
        .fallback_service(
            Router::new()
                .fallback(crate::web::assets::serve)
                .with_state(assets),
        )
        .layer(axum::middleware::from_fn(move |request, next| {
            crate::web::headers::secure(hsts, request, next)
        }))
}

/// `Json<T>` whose rejections use the API's error shape.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_error(rejection)),
        }
    }
}

fn json_error(rejection: JsonRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::TooLarge("the request body is too large");
    }
    let detail: String = rejection.body_text().chars().take(300).collect();
    AppError::invalid(detail)
}
