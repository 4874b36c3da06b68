//! The provisioning API for platform admins (`/api/v1/admin/…`, with a workspace's admin
//! key): agents, ingest keys and connectors of that workspace, without shell access to the
//! server. Every route is scoped to the admin key's workspace.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// An agent as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AdminAgent {
    /// Herald's id.
    pub id: Uuid,
    /// The platform's id of the agent (a Chatwoot user id for Chatwoot).
    pub external_id: String,
    /// Sign-in and profile email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Inbox and team memberships: `inbox:<id>`, `team:<id>`.
    pub groups: Vec<String>,
    /// Disabled agents cannot sign in and receive nothing.
    pub disabled: bool,
    /// Whether the agent has a password yet (a new agent without one signs in first through
    /// a one-time link).
    pub has_password: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// `POST /admin/agents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct NewAgentRequest {
    /// The platform's id of the agent.
    pub external_id: String,
    /// Sign-in and profile email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// `inbox:<id>`, `team:<id>`.
    #[serde(default)]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub groups: Vec<String>,
    /// A first password (at least 8 characters); without one, the agent gets a one-time
    /// link to set it (`POST /admin/agents/{id}/setup-link`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub password: Option<String>,
}

/// `PATCH /admin/agents/{id}`: what to change; absent fields stay.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
pub struct AgentUpdate {
    /// A new display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
    /// A new email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub email: Option<String>,
    /// The whole new list of groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub groups: Option<Vec<String>>,
    /// Disable (true: sessions revoked, push devices forgotten) or re-enable (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub disabled: Option<bool>,
}

/// `POST /admin/agents/{id}/setup-link`: a one-time link where the agent sets a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct SetupLink {
    /// The link (this server's public URL with the one-time token).
    pub url: String,
    /// It works once, until then.
    pub expires_at: DateTime<Utc>,
    /// It was emailed to the agent (the server has an email relay), accepted by the relay.
    pub emailed: bool,
}

/// `POST /api/v1/password-setup`: the one-time token from the link and the new password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PasswordSetupRequest {
    /// The token from the link.
    pub token: String,
    /// The new password (at least 8 characters).
    pub password: String,
}

/// The answer to a password set-up: who may now sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PasswordSetupResult {
    /// The agent's sign-in email.
    pub email: String,
}

/// An ingest key as the admin API shows it (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AdminIngestKey {
    /// Its id (`X-Herald-Key` for signed events).
    pub id: Uuid,
    /// Its label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub label: Option<String>,
    /// It has a signing secret.
    pub signed: bool,
    /// It was revoked.
    pub revoked: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// `POST /admin/ingest-keys`.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
pub struct NewIngestKeyRequest {
    /// A label to recognise it by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub label: Option<String>,
    /// Also make a signing secret.
    #[serde(default)]
    pub signed: bool,
}

/// A new ingest key: the key (and signing secret) are shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct CreatedIngestKey {
    /// Its id.
    pub id: Uuid,
    /// The key, a bearer token for `POST /api/v1/events`.
    pub key: String,
    /// The signing secret, for `POST /api/v1/events/signed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub signing_secret: Option<String>,
}

/// A connector as the admin API shows it (never its secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct AdminConnector {
    /// Its id.
    pub id: Uuid,
    /// `chatwoot`.
    pub kind: String,
    /// The helpdesk's account id.
    pub account_id: String,
    /// The helpdesk's address.
    pub base_url: String,
    /// The path of its webhook on this server (`/api/v1/connectors/{id}/webhook`).
    pub webhook_path: String,
    /// Deliveries received so far.
    #[ts(type = "number")]
    pub deliveries: u64,
    /// It can read the helpdesk's agents (an API token was given).
    pub syncs_agents: bool,
    /// When its agents were last synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub synced_at: Option<DateTime<Utc>>,
    /// Why the last sync failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sync_error: Option<String>,
}

/// `POST /admin/connectors`: connect a Chatwoot account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct NewChatwootConnector {
    /// The Chatwoot account id.
    pub account_id: String,
    /// The Chatwoot address, `https://host[:port]`.
    pub url: String,
    /// The webhook's secret, as Chatwoot shows it.
    pub webhook_secret: String,
    /// An access token of a Chatwoot administrator (Profile settings → Access token): Herald
    /// then reads the account's agents, inboxes and teams and keeps its agents in step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub api_token: Option<String>,
    /// Where Herald reaches Chatwoot's API, when not at `url` (e.g. an address inside your
    /// network; private addresses need the server's `--connectors-allow-private`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub api_url: Option<String>,
}

/// `POST /admin/connectors/{id}/sync`: what one agent sync did.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
pub struct SyncReport {
    /// Agents created (their emails); each gets a one-time set-up link.
    pub created: Vec<String>,
    /// Agents whose name, email, groups or state changed.
    pub updated: Vec<String>,
    /// Agents disabled: they left the Chatwoot account.
    pub disabled: Vec<String>,
    /// Set-up links the email relay accepted.
    pub links_emailed: u32,
    /// What was left alone, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub skipped: Vec<String>,
}

/// `GET` / `PUT /admin/policy`: the preferences new agents start with, and the settings the
/// admin locked for every agent of the workspace.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema,
)]
pub struct WorkspacePolicy {
    /// What a new agent starts with (absent: Herald's defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub defaults: Option<crate::prefs::Preferences>,
    /// Locked settings and their values: agents see them, cannot change them, and the policy
    /// applies them.
    #[serde(default)]
    pub locks: Vec<crate::prefs::Lock>,
    /// Shown to agents as "locked by …" (e.g. "Acme support leads").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub locked_by: Option<String>,
}
