//! Connectors: helpdesks that post their own webhooks to Herald, signed with a shared
//! secret, mapped to Herald's events and ingested as any event is (idempotent by the
//! helpdesk's delivery id).
//!
//! # Layout
//!
//! - this file: the connectors kept in the database, and the record of each delivery.
//! - [`signature`]: `HMAC-SHA256("{timestamp}.{body}")` with a replay window.
//! - [`chatwoot`]: Chatwoot's webhook payloads as Herald events.
//! - [`sync`]: Herald's agents following a Chatwoot account's agents, inboxes and teams.

pub mod chatwoot;
pub mod signature;
pub mod sync;

use chrono::{DateTime, Utc};
use herald_protocol::{NewChatwootConnector, WebhookOutcome};
use sqlx::Row;
use uuid::Uuid;

use crate::db::{Db, SqlTime};
use crate::error::AppError;

/// A connector as the webhook route needs it.
#[derive(Clone)]
pub struct Connector {
    /// Its id (in the webhook's URL).
    pub id: Uuid,
    /// The workspace its events go to.
    pub workspace_id: Uuid,
    /// The helpdesk's account.
    pub account: chatwoot::Account,
    /// The signing secret.
    pub secret: String,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("id", &self.id)
            .field("workspace_id", &self.workspace_id)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// A connector as `connector list` shows it (never its secret).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConnectorRow {
    /// Its id.
    pub id: Uuid,
    /// Workspace name.
    pub workspace: String,
    /// `chatwoot`.
    pub kind: String,
    /// The helpdesk's account id.
    pub account_id: String,
    /// The helpdesk's address.
    pub base_url: String,
    /// Deliveries received so far.
    pub deliveries: i64,
}

/// Connects a Chatwoot account to a workspace (created if missing): returns the connector's
/// id, which names its webhook URL (the CLI's way in; the admin API calls
/// [`add_chatwoot_to`]).
pub async fn add_chatwoot(
    db: &Db,
    workspace: &str,
    account_id: &str,
    base_url: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    let workspace_id = crate::admin::ensure_workspace(db, workspace).await?;
    let req = NewChatwootConnector {
        account_id: account_id.to_owned(),
        url: base_url.to_owned(),
        webhook_secret: secret.to_owned(),
        api_token: None,
        api_url: None,
    };
    add_chatwoot_to(db, workspace_id, &req, now, false).await
}

/// Connects a Chatwoot account to the workspace `ws`. The Chatwoot address becomes one of
/// the workspace's link origins, so links to its conversations are kept. Its API address
/// must be https on a public address unless `allow_private` (`--connectors-allow-private`).
pub async fn add_chatwoot_to(
    db: &Db,
    ws: Uuid,
    req: &NewChatwootConnector,
    now: DateTime<Utc>,
    allow_private: bool,
) -> Result<Uuid, AppError> {
    let account_id = req.account_id.trim();
    if account_id.is_empty()
        || !account_id.chars().all(|c| c.is_ascii_digit())
        || account_id.len() > 20
    {
        return Err(AppError::invalid(
            "the Chatwoot account id is a number (Settings → Account settings)",
        ));
    }
    let origin = crate::ingest::link_check::parse_origin(&req.url).map_err(|e| {
        AppError::invalid(format!(
            "the Chatwoot address must be https://host[:port]: {e}"
        ))
    })?;
    let secret = req.webhook_secret.trim();
    if secret.len() < 16 || secret.len() > 1024 {
        return Err(AppError::invalid(
            "the webhook secret is too short: paste the secret Chatwoot shows for the webhook",
        ));
    }
    let api_token = req
        .api_token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if api_token.is_some_and(|t| t.len() > 1024 || t.contains(char::is_control)) {
        return Err(AppError::invalid("the Chatwoot access token is malformed"));
    }
    let api_url = req
        .api_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| {
            crate::push::endpoint::check(u, allow_private)
                .map(|url| url.as_str().trim_end_matches('/').to_owned())
                .map_err(|e| AppError::invalid(format!("the Chatwoot API address: {e}")))
        })
        .transpose()?;
    let mut tx = db.write_tx().await?;
    let origins: Option<String> =
        sqlx::query_scalar("SELECT link_origins FROM workspaces WHERE id = $1")
            .bind(ws.to_string())
            .fetch_optional(&mut *tx)
            .await?;
    let mut origins: Vec<String> = origins
        .map(|o| serde_json::from_str(&o))
        .transpose()?
        .unwrap_or_default();
    if !origins.contains(&origin) {
        origins.push(origin.clone());
        sqlx::query("UPDATE workspaces SET link_origins = $1 WHERE id = $2")
            .bind(serde_json::to_string(&origins)?)
            .bind(ws.to_string())
            .execute(&mut *tx)
            .await?;
    }
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO connectors (id, workspace_id, kind, account_id, base_url, secret, created_at, api_token, api_url) \
         VALUES ($1, $2, 'chatwoot', $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.to_string())
    .bind(ws.to_string())
    .bind(account_id)
    .bind(&origin)
    .bind(secret)
    .bind(SqlTime(now))
    .bind(api_token)
    .bind(api_url)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Every connector.
pub async fn list(db: &Db) -> Result<Vec<ConnectorRow>, AppError> {
    let rows = sqlx::query(
        "SELECT c.id, w.name, c.kind, c.account_id, c.base_url, \
                (SELECT count(*) FROM connector_deliveries AS d WHERE d.connector_id = c.id) AS n \
         FROM connectors AS c JOIN workspaces AS w ON w.id = c.workspace_id \
         WHERE c.disabled_at IS NULL ORDER BY c.created_at",
    )
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ConnectorRow {
                id: crate::auth::parse_uuid(&row.try_get::<String, _>("id")?)?,
                workspace: row.try_get("name")?,
                kind: row.try_get("kind")?,
                account_id: row.try_get("account_id")?,
                base_url: row.try_get("base_url")?,
                deliveries: row.try_get("n")?,
            })
        })
        .collect()
}

/// The connector with this id, if it exists and is enabled.
pub async fn load(db: &Db, id: Uuid) -> Result<Option<Connector>, AppError> {
    let row = sqlx::query(
        "SELECT workspace_id, account_id, base_url, secret FROM connectors \
         WHERE id = $1 AND disabled_at IS NULL",
    )
    .bind(id.to_string())
    .fetch_optional(&db.reader)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Connector {
        id,
        workspace_id: crate::auth::parse_uuid(&row.try_get::<String, _>("workspace_id")?)?,
        account: chatwoot::Account {
            id: row.try_get("account_id")?,
            base_url: row.try_get("base_url")?,
        },
        secret: row.try_get("secret")?,
    }))
}

/// What was recorded for a delivery before, if it came before.
pub async fn recorded(
    db: &Db,
    connector: Uuid,
    delivery: &str,
) -> Result<Option<WebhookOutcome>, AppError> {
    let outcome: Option<String> = sqlx::query_scalar(
        "SELECT outcome FROM connector_deliveries WHERE connector_id = $1 AND delivery_id = $2",
    )
    .bind(connector.to_string())
    .bind(delivery)
    .fetch_optional(&db.reader)
    .await?;
    Ok(outcome.map(|o| serde_json::from_str(&o)).transpose()?)
}

/// Records what a delivery became (the first record of a delivery id stays).
pub async fn record(
    db: &Db,
    connector: Uuid,
    delivery: &str,
    event: &str,
    outcome: &WebhookOutcome,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO connector_deliveries (connector_id, delivery_id, event, outcome, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (connector_id, delivery_id) DO NOTHING",
    )
    .bind(connector.to_string())
    .bind(delivery)
    .bind(event)
    .bind(serde_json::to_string(outcome)?)
    .bind(SqlTime(now))
    .execute(&db.writer)
    .await?;
    Ok(())
}

/// Which of `ids` (platform agent ids) no active agent of the workspace has.
pub async fn unknown_agents(
    db: &Db,
    workspace_id: Uuid,
    ids: &[String],
) -> Result<Vec<String>, AppError> {
    let mut unknown = Vec::new();
    for id in ids {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM agents WHERE workspace_id = $1 AND external_id = $2 AND disabled_at IS NULL",
        )
        .bind(workspace_id.to_string())
        .bind(id)
        .fetch_optional(&db.reader)
        .await?;
        if found.is_none() {
            unknown.push(id.clone());
        }
    }
    Ok(unknown)
}
