//! The REST client: one method per route, typed answers, typed errors.

use std::time::Duration;

use herald_protocol::{
    AgentProfile, ApiError, EmailStatus, InboxPage, MarkRequest, MarkResult, PhoneDeviceRemoval,
    PhoneDeviceRequest, Preferences, PushDevice, SessionGrant, SignInRequest, SnoozeRequest,
    SnoozeResult, TestNotificationResult, UnreadCount, VersionedPreferences,
};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use crate::config::ServerUrl;
use crate::error::{CoreError, ErrorKind, Result};
use crate::sensitive::Sensitive;

/// A client of one server.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    url: ServerUrl,
}

impl Api {
    /// A client with sensible timeouts.
    pub fn new(url: ServerUrl) -> Result<Api> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("herald/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                CoreError::new(
                    ErrorKind::Server,
                    format!("cannot start the HTTP client: {e}"),
                )
            })?;
        Ok(Api { http, url })
    }

    /// The server.
    pub fn url(&self) -> &ServerUrl {
        &self.url
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&Sensitive<String>>,
    ) -> RequestBuilder {
        let request = self.http.request(method, self.url.api(path));
        match token {
            Some(token) => request.bearer_auth(token.expose()),
            None => request,
        }
    }

    async fn send<T: DeserializeOwned>(request: RequestBuilder) -> Result<T> {
        let response = request.send().await?;
        let status = response.status();
        if status.is_success() {
            if status == StatusCode::NO_CONTENT {
                return serde_json::from_value(serde_json::Value::Null)
                    .map_err(|e| CoreError::new(ErrorKind::Server, e.to_string()));
            }
            return Ok(response.json().await?);
        }
        let body = response.text().await.unwrap_or_default();
        match serde_json::from_str::<ApiError>(&body) {
            Ok(error) => Err(CoreError::from_api(error)),
            Err(_) if status == StatusCode::UNAUTHORIZED => {
                Err(CoreError::new(ErrorKind::SignedOut, "sign in again"))
            }
            Err(_) => Err(CoreError::new(
                ErrorKind::Server,
                format!("the server answered {status}; is this a Herald server?"),
            )),
        }
    }

    /// Is a Herald server there?
    pub async fn health(&self) -> Result<serde_json::Value> {
        Self::send(self.request(Method::GET, "health", None)).await
    }

    /// Signs in; the grant holds the new token.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &Sensitive<String>,
        device: Option<&str>,
    ) -> Result<(Sensitive<String>, AgentProfile)> {
        let body = SignInRequest {
            email: email.to_owned(),
            password: password.expose().clone(),
            device_name: device.map(str::to_owned),
        };
        let grant: SessionGrant =
            Self::send(self.request(Method::POST, "session", None).json(&body)).await?;
        Ok((Sensitive::new(grant.token), grant.agent))
    }

    /// Ends the session on the server.
    pub async fn sign_out(&self, token: &Sensitive<String>) -> Result<()> {
        Self::send::<Option<()>>(self.request(Method::DELETE, "session", Some(token)))
            .await
            .map(|_| ())
    }

    /// Who is signed in.
    pub async fn me(&self, token: &Sensitive<String>) -> Result<AgentProfile> {
        Self::send(self.request(Method::GET, "me", Some(token))).await
    }

    /// A page of the bell, newest first.
    pub async fn inbox(
        &self,
        token: &Sensitive<String>,
        before: Option<u64>,
        limit: u32,
    ) -> Result<InboxPage> {
        let mut request = self
            .request(Method::GET, "inbox", Some(token))
            .query(&[("limit", limit)]);
        if let Some(before) = before {
            request = request.query(&[("before", before)]);
        }
        Self::send(request).await
    }

    /// The unread counter.
    pub async fn unread(&self, token: &Sensitive<String>) -> Result<UnreadCount> {
        Self::send(self.request(Method::GET, "inbox/unread", Some(token))).await
    }

    /// Marks items.
    pub async fn mark(
        &self,
        token: &Sensitive<String>,
        request: &MarkRequest,
    ) -> Result<MarkResult> {
        Self::send(
            self.request(Method::POST, "inbox/mark", Some(token))
                .json(request),
        )
        .await
    }

    /// Snoozes items (or brings them back).
    pub async fn snooze(
        &self,
        token: &Sensitive<String>,
        request: &SnoozeRequest,
    ) -> Result<SnoozeResult> {
        Self::send(
            self.request(Method::POST, "inbox/snooze", Some(token))
                .json(request),
        )
        .await
    }

    /// The agent's preferences.
    pub async fn preferences(&self, token: &Sensitive<String>) -> Result<VersionedPreferences> {
        Self::send(self.request(Method::GET, "preferences", Some(token))).await
    }

    /// Saves preferences over `version`; a stale version is a `conflict`.
    pub async fn save_preferences(
        &self,
        token: &Sensitive<String>,
        version: u64,
        prefs: &Preferences,
    ) -> Result<VersionedPreferences> {
        let request = self
            .request(Method::PUT, "preferences", Some(token))
            .header("If-Match", format!("\"{version}\""))
            .json(prefs);
        Self::send(request).await
    }

    /// Where the agent's email goes and whether the server can send it (diagnostics).
    pub async fn email_status(&self, token: &Sensitive<String>) -> Result<EmailStatus> {
        Self::send(self.request(Method::GET, "email", Some(token))).await
    }

    /// Registers this phone's push token with the session.
    pub async fn register_phone(
        &self,
        token: &Sensitive<String>,
        request: &PhoneDeviceRequest,
    ) -> Result<PushDevice> {
        Self::send(
            self.request(Method::POST, "push/devices", Some(token))
                .json(request),
        )
        .await
    }

    /// Forgets a phone's push token (a replaced one).
    pub async fn remove_phone(
        &self,
        token: &Sensitive<String>,
        request: &PhoneDeviceRemoval,
    ) -> Result<()> {
        Self::send::<Option<()>>(
            self.request(Method::DELETE, "push/devices", Some(token))
                .json(request),
        )
        .await
        .map(|_| ())
    }

    /// The agent's push devices (browsers and phones) with their last outcome.
    pub async fn push_devices(&self, token: &Sensitive<String>) -> Result<Vec<PushDevice>> {
        Self::send(self.request(Method::GET, "push/subscriptions", Some(token))).await
    }

    /// Sends a test notification (or, with `mention`, a test mention decided by the rules
    /// for mentions) through the server's whole pipeline.
    pub async fn test_notification(
        &self,
        token: &Sensitive<String>,
        mention: bool,
    ) -> Result<TestNotificationResult> {
        let path = if mention {
            "test-notification?mention=true"
        } else {
            "test-notification"
        };
        Self::send(self.request(Method::POST, path, Some(token))).await
    }
}
