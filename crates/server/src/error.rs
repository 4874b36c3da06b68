//! The server's errors, each mapped to one HTTP status and one [`ErrorCode`]. Internal
//! causes are logged with a reference and never shown to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_protocol::{ApiError, ApiErrorBody, ErrorCode, FieldError};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No or bad credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Authenticated, but refused (another site's page, no CSRF token).
    #[error("{0}")]
    Forbidden(&'static str),
    /// Not found, or not the caller's.
    #[error("{0}")]
    NotFound(&'static str),
    /// Bad input, optionally per field.
    #[error("{message}")]
    Invalid {
        /// For a person.
        message: String,
        /// The bad fields.
        fields: Vec<FieldError>,
    },
    /// Conflicts with stored state.
    #[error("{0}")]
    Conflict(String),
    /// Stale `If-Match`.
    #[error("{0}")]
    PreconditionFailed(String),
    /// Missing `If-Match`.
    #[error("{0}")]
    PreconditionRequired(&'static str),
    /// Too many attempts; retry after the given seconds.
    #[error("too many attempts, try again in {0} s")]
    RateLimited(u64),
    /// Busy right now (the password queue is full): try again in a second.
    #[error("{0}")]
    Busy(&'static str),
    /// The body is too big.
    #[error("{0}")]
    TooLarge(&'static str),
    /// Shutting down, or storage is full.
    #[error("{0}")]
    Unavailable(&'static str),
    /// Anything else: logged, not shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// An invalid-input error without field details.
    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::Invalid {
            message: message.into(),
            fields: Vec::new(),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            // A full disk is the operator's problem, and temporary for the client: say so
            // (SQLite's SQLITE_FULL, PostgreSQL's disk_full).
            sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("13" | "53100")) => {
                tracing::error!(error = %err, "database or disk is full");
                AppError::Unavailable("the server's storage is full; try again later")
            }
            // PostgreSQL gone or restarting (connection exceptions, shutting down, not yet
            // accepting connections), or no connection came within the pool's wait: nothing
            // was written, and the client should try again.
            sqlx::Error::Database(db)
                if db
                    .code()
                    .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")) =>
            {
                tracing::warn!(error = %err, "the database went away");
                AppError::Unavailable("the database does not answer; try again shortly")
            }
            // Two nodes' transactions crossed (a mark and an item coming back on the same
            // row, in opposite order): PostgreSQL chose this one to undo; nothing of it was
            // written, and the same request will go through.
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("40001" | "40P01")) =>
            {
                tracing::info!(error = %err, "a transaction lost a race and was undone");
                AppError::Unavailable("the server was busy; try again")
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::warn!(error = %err, "the database does not answer");
                AppError::Unavailable("the database does not answer; try again shortly")
            }
            _ => AppError::Internal(err.into()),
        }
    }
}

impl From<serde_json::Error> for AppError {
    fn from(err: serde_json::Error) -> Self {
        AppError::Internal(err.into())
    }
}

impl AppError {
    /// The status and the error body: the one shape of every error, also used per item of a
    /// batch. Internal causes are logged with a reference that the message names.
    pub fn into_body(self) -> (StatusCode, ApiErrorBody) {
        let (status, code) = match &self {
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            AppError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput),
            AppError::Conflict(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            AppError::PreconditionFailed(_) => (
                StatusCode::PRECONDITION_FAILED,
                ErrorCode::PreconditionFailed,
            ),
            AppError::PreconditionRequired(_) => (
                StatusCode::PRECONDITION_REQUIRED,
                ErrorCode::PreconditionRequired,
            ),
            AppError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
            AppError::Unavailable(_) | AppError::Busy(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable)
            }
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        };
        let message = match &self {
            AppError::Internal(cause) => {
                let reference = uuid::Uuid::new_v4().simple().to_string();
                tracing::error!(reference, error = ?cause, "request failed");
                format!("internal error (reference {reference})")
            }
            other => other.to_string(),
        };
        let fields = match self {
            AppError::Invalid { fields, .. } => fields,
            _ => Vec::new(),
        };
        (
            status,
            ApiErrorBody {
                code,
                message,
                fields,
            },
        )
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            AppError::RateLimited(seconds) => Some(*seconds),
            AppError::Busy(_) => Some(1),
            _ => None,
        };
        let (status, error) = self.into_body();
        let mut response = (status, Json(ApiError { error })).into_response();
        if let Some(seconds) = retry_after {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
