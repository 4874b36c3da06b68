//! One error type for everything the core does, with a kind the UI branches on.

use herald_protocol::{ApiError, ErrorCode, FieldError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What kind of failure, for the UI to branch on (`{"kind": …, "message": …}`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No valid session: show sign-in.
    SignedOut,
    /// The server cannot be reached: show offline, retry later.
    Offline,
    /// The server failed or is unavailable: retry later.
    Server,
    /// The input is invalid (see the message / fields).
    InvalidInput,
    /// Someone else changed it first (stale preferences version).
    Conflict,
    /// Too many attempts: wait.
    RateLimited,
    /// The server URL is not acceptable (not https, malformed).
    BadServerUrl,
    /// The OS keychain is missing or refused: Herald will not store the token elsewhere.
    Keychain,
    /// Local state could not be read or written (disk full, permissions).
    Storage,
    /// Not found.
    NotFound,
    /// The operating system refused (no notification service, a window that cannot open).
    Os,
}

/// An error with its kind and a message for a person. Never carries a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct CoreError {
    /// What kind.
    pub kind: ErrorKind,
    /// For a person.
    pub message: String,
    /// Invalid fields, for `invalid_input`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<FieldError>>")]
    pub fields: Vec<FieldError>,
}

impl CoreError {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> CoreError {
        CoreError {
            kind,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// From the server's error body.
    pub fn from_api(error: ApiError) -> CoreError {
        let kind = match error.error.code {
            ErrorCode::Unauthorized => ErrorKind::SignedOut,
            ErrorCode::Forbidden | ErrorCode::NotFound => ErrorKind::NotFound,
            ErrorCode::InvalidInput
            | ErrorCode::PayloadTooLarge
            | ErrorCode::PreconditionRequired => ErrorKind::InvalidInput,
            ErrorCode::Conflict | ErrorCode::PreconditionFailed => ErrorKind::Conflict,
            ErrorCode::RateLimited => ErrorKind::RateLimited,
            ErrorCode::Unavailable | ErrorCode::Internal | ErrorCode::Unknown => ErrorKind::Server,
        };
        CoreError {
            kind,
            message: error.error.message,
            fields: error.error.fields,
        }
    }
}

impl From<reqwest::Error> for CoreError {
    fn from(err: reqwest::Error) -> Self {
        // reqwest's Display never includes headers, so no token can leak through it.
        if err.is_connect() || err.is_timeout() || err.is_request() {
            CoreError::new(
                ErrorKind::Offline,
                format!("cannot reach the server: {err}"),
            )
        } else if err.is_decode() {
            CoreError::new(
                ErrorKind::Server,
                format!("the server sent something unreadable: {err}"),
            )
        } else {
            CoreError::new(ErrorKind::Server, err.to_string())
        }
    }
}

/// The core's result.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ui_sees_kind_and_message() {
        let err = CoreError::new(ErrorKind::SignedOut, "sign in again");
        assert_eq!(
            serde_json::to_value(&err).expect("serialises"),
            serde_json::json!({"kind": "signed_out", "message": "sign in again"})
        );
        let api = ApiError::new(ErrorCode::PreconditionFailed, "stale");
        assert_eq!(CoreError::from_api(api).kind, ErrorKind::Conflict);
    }
}
