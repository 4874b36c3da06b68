//! Sign in, restore at start, sign out: the API, the keychain and the local state as one.
//!
//! The token goes to the keychain and nowhere else. If the keychain refuses it, signing in
//! fails with a `keychain` error and the server session just created is revoked, so no
//! usable token is left behind anywhere.

use std::sync::Arc;

use herald_protocol::AgentProfile;

use crate::api::Api;
use crate::config::ServerUrl;
use crate::error::{ErrorKind, Result};
use crate::secret::SecretStore;
use crate::sensitive::Sensitive;
use crate::state::{LocalState, Saved};

/// A signed-in session.
#[derive(Clone)]
pub struct Session {
    /// The server's client.
    pub api: Api,
    /// The bearer token (only ever inside `Sensitive`).
    pub token: Sensitive<String>,
    /// Who; `None` when restored offline (the server could not be asked).
    pub agent: Option<AgentProfile>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("server", &self.api.url().as_str())
            .field("token", &self.token)
            .field("agent", &self.agent.as_ref().map(|a| &a.email))
            .finish()
    }
}

/// The keychain account of a server and email.
fn account(url: &ServerUrl, email: &str) -> String {
    format!("{}|{}", url.as_str(), email.trim().to_lowercase())
}

/// Signs in and keeps the token in the keychain; remembers server and email (not secret).
pub async fn sign_in(
    url: ServerUrl,
    email: &str,
    password: &Sensitive<String>,
    device: Option<&str>,
    secrets: &Arc<dyn SecretStore>,
    local: &Arc<dyn LocalState>,
) -> Result<Session> {
    let api = Api::new(url.clone())?;
    let (token, agent) = api.sign_in(email, password, device).await?;
    if let Err(err) = secrets.save(&account(&url, email), &token) {
        // Fail closed: do not leave a live session whose token is held nowhere safe.
        if let Err(revoke) = api.sign_out(&token).await {
            tracing::warn!(error = %revoke, "could not revoke the session the keychain refused");
        }
        return Err(err);
    }
    let previous = local.load().unwrap_or_default();
    let same_account = previous.server.as_deref() == Some(url.as_str())
        && previous.email.as_deref() == Some(agent.email.as_str());
    // Another account's cached items and position must not leak into this one.
    let saved = if same_account {
        previous
    } else {
        Saved {
            server: Some(url.as_str().to_owned()),
            email: Some(agent.email.clone()),
            ..Saved::default()
        }
    };
    local.save(&saved)?;
    Ok(Session {
        api,
        token,
        agent: Some(agent),
    })
}

/// Restores the last session at start. `Ok(None)`: nobody is signed in (or the session
/// ended; the stale token is deleted). Offline, the session is restored unverified so the
/// cached bell shows at once.
pub async fn restore(
    secrets: &Arc<dyn SecretStore>,
    local: &Arc<dyn LocalState>,
    allow_insecure: bool,
) -> Result<Option<Session>> {
    let saved = local.load()?;
    let (Some(server), Some(email)) = (saved.server, saved.email) else {
        return Ok(None);
    };
    let url = ServerUrl::parse(&server, allow_insecure)?;
    let Some(token) = secrets.load(&account(&url, &email))? else {
        return Ok(None);
    };
    let api = Api::new(url.clone())?;
    match api.me(&token).await {
        Ok(agent) => Ok(Some(Session {
            api,
            token,
            agent: Some(agent),
        })),
        Err(err) if err.kind == ErrorKind::SignedOut => {
            secrets.delete(&account(&url, &email))?;
            Ok(None)
        }
        Err(err) if err.kind == ErrorKind::Offline => Ok(Some(Session {
            api,
            token,
            agent: None,
        })),
        Err(err) => Err(err),
    }
}

/// Signs out: ends the session on the server (best effort: offline, the token is still
/// forgotten here), deletes the token and the cached items.
pub async fn sign_out(
    session: Session,
    secrets: &Arc<dyn SecretStore>,
    local: &Arc<dyn LocalState>,
) -> Result<()> {
    if let Err(err) = session.api.sign_out(&session.token).await {
        tracing::info!(error = %err, "the server did not confirm the sign-out");
    }
    let saved = local.load().unwrap_or_default();
    if let Some(email) = saved.email.as_deref() {
        secrets.delete(&account(session.api.url(), email))?;
    }
    local.save(&Saved::default())
}

/// The session ended on the server (revoked, expired): deletes its token here, keeps the
/// local state (unsaved preference edits go out after the next sign-in).
pub fn forget_token(
    session: &Session,
    secrets: &Arc<dyn SecretStore>,
    local: &Arc<dyn LocalState>,
) -> Result<()> {
    let saved = local.load().unwrap_or_default();
    match saved.email.as_deref() {
        Some(email) => secrets.delete(&account(session.api.url(), email)),
        None => Ok(()),
    }
}
