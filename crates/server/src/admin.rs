//! Administration: workspaces, agents, ingest keys. Used by the CLI and the demo; works on
//! the database directly, so it also works while a server runs on the same file (a running
//! server notices a disabled agent on the next request, and on its streams' next heartbeat).

use chrono::Utc;
use sqlx::Row;
use uuid::Uuid;

use crate::db::{Db, RowExt, SqlTime};
use crate::error::AppError;

/// A new agent.
#[derive(Debug, Clone)]
pub struct NewAgent {
    /// Workspace name (created if missing).
    pub workspace: String,
    /// The platform's id of the agent.
    pub external_id: String,
    /// Sign-in and profile email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Password (hashed with Argon2id before it is stored).
    pub password: String,
    /// Inbox / team memberships: `inbox:<id>` or `team:<id>`.
    pub groups: Vec<String>,
}

/// An agent as `agent list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AgentRow {
    /// Herald's id.
    pub id: String,
    /// Workspace name.
    pub workspace: String,
    /// The platform's id.
    pub external_id: String,
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
    /// Whether disabled.
    pub disabled: bool,
}

/// The workspace's id, creating it if needed.
pub async fn ensure_workspace(db: &Db, name: &str) -> Result<Uuid, AppError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(AppError::invalid("a workspace name is 1 to 200 characters"));
    }
    sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
        .bind(Uuid::now_v7().to_string())
        .bind(name)
        .bind(SqlTime(Utc::now()))
        .execute(&db.writer)
        .await?;
    let row = sqlx::query("SELECT id FROM workspaces WHERE name = $1")
        .bind(name)
        .fetch_one(&db.writer)
        .await?;
    Uuid::parse_str(&row.try_get::<String, _>("id")?).map_err(|e| AppError::Internal(e.into()))
}

/// Adds an agent with default preferences.
pub async fn add_agent(db: &Db, new: &NewAgent) -> Result<Uuid, AppError> {
    if new.password.chars().count() < 8 {
        return Err(AppError::invalid("a password has at least 8 characters"));
    }
    let password = new.password.clone();
    let hash = tokio::task::spawn_blocking(move || crate::passwords::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    add_agent_with_hash(db, new, &hash).await
}

/// Adds an agent whose password is already hashed (bulk set-ups hash one password once);
/// `new.password` is ignored. The admin API's code ([`crate::provisioning::insert_agent`]).
pub async fn add_agent_with_hash(db: &Db, new: &NewAgent, hash: &str) -> Result<Uuid, AppError> {
    let ws = ensure_workspace(db, &new.workspace).await?;
    let req = herald_protocol::NewAgentRequest {
        external_id: new.external_id.clone(),
        email: new.email.clone(),
        name: new.name.clone(),
        groups: new.groups.clone(),
        password: None,
    };
    crate::provisioning::insert_agent(db, ws, &req, hash, true, Utc::now()).await
}

/// Every agent, or those of one workspace.
pub async fn list_agents(db: &Db, workspace: Option<&str>) -> Result<Vec<AgentRow>, AppError> {
    let rows = sqlx::query(
        "SELECT a.id, w.name AS workspace, a.external_id, a.email, a.name, a.disabled_at IS NOT NULL AS disabled \
         FROM agents a JOIN workspaces w ON w.id = a.workspace_id \
         WHERE $1 IS NULL OR w.name = $1 ORDER BY w.name, a.email",
    )
    .bind(workspace)
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AgentRow {
                id: r.try_get("id")?,
                workspace: r.try_get("workspace")?,
                external_id: r.try_get("external_id")?,
                email: r.try_get("email")?,
                name: r.try_get("name")?,
                disabled: r.flag("disabled")?,
            })
        })
        .collect()
}

/// Disables an agent by email, revokes its sessions and forgets its push devices. Returns
/// the agent's id. The admin API's code ([`crate::provisioning::update_agent`]).
pub async fn disable_agent(db: &Db, email: &str) -> Result<Uuid, AppError> {
    let row = sqlx::query("SELECT id, workspace_id FROM agents WHERE email = $1")
        .bind(email.trim().to_lowercase())
        .fetch_optional(&db.reader)
        .await?
        .ok_or(AppError::NotFound("no agent with that email"))?;
    let id = crate::auth::parse_uuid(&row.try_get::<String, _>("id")?)?;
    let ws = crate::auth::parse_uuid(&row.try_get::<String, _>("workspace_id")?)?;
    let update = herald_protocol::AgentUpdate {
        disabled: Some(true),
        ..Default::default()
    };
    crate::provisioning::update_agent(db, ws, id, &update, Utc::now()).await?;
    Ok(id)
}

/// Creates an ingest key for a workspace (created if missing); the key is returned once and
/// stored hashed. The admin API's code ([`crate::provisioning::create_ingest_key`]).
pub async fn create_ingest_key(
    db: &Db,
    workspace: &str,
    label: Option<&str>,
) -> Result<(Uuid, String), AppError> {
    let ws = ensure_workspace(db, workspace).await?;
    let req = herald_protocol::NewIngestKeyRequest {
        label: label.map(str::to_owned),
        signed: false,
    };
    let created = crate::provisioning::create_ingest_key(db, ws, &req, Utc::now()).await?;
    Ok((created.id, created.key))
}

/// Creates an ingest key that may also sign events (`POST /events/signed`): returns its id,
/// the key (a bearer token, as any key) and the signing secret. Both are shown once.
pub async fn create_signed_ingest_key(
    db: &Db,
    workspace: &str,
    label: Option<&str>,
) -> Result<(Uuid, String, String), AppError> {
    let ws = ensure_workspace(db, workspace).await?;
    let req = herald_protocol::NewIngestKeyRequest {
        label: label.map(str::to_owned),
        signed: true,
    };
    let created = crate::provisioning::create_ingest_key(db, ws, &req, Utc::now()).await?;
    let secret = created
        .signing_secret
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a signed key without its secret")))?;
    Ok((created.id, created.key, secret))
}

/// Revokes an ingest key by id, in whichever workspace (the operator's command), through the
/// admin API's code ([`crate::provisioning::revoke_ingest_key`]).
pub async fn revoke_ingest_key(db: &Db, id: Uuid) -> Result<(), AppError> {
    let ws: String = sqlx::query_scalar("SELECT workspace_id FROM ingest_keys WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&db.reader)
        .await?
        .ok_or(AppError::NotFound("no active ingest key with that id"))?;
    let ws = crate::auth::parse_uuid(&ws)?;
    crate::provisioning::revoke_ingest_key(db, ws, id, Utc::now()).await
}

/// Ingest keys: (id, workspace, label, revoked).
pub async fn list_ingest_keys(
    db: &Db,
) -> Result<Vec<(String, String, Option<String>, bool)>, AppError> {
    let rows = sqlx::query(
        "SELECT k.id, w.name AS workspace, k.label, k.revoked_at IS NOT NULL AS revoked \
         FROM ingest_keys k JOIN workspaces w ON w.id = k.workspace_id ORDER BY k.created_at",
    )
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("workspace")?,
                r.try_get("label")?,
                r.flag("revoked")?,
            ))
        })
        .collect()
}

/// A workspace as `workspace list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WorkspaceRow {
    /// Name.
    pub name: String,
    /// The origins its conversation links may point to.
    pub link_origins: Vec<String>,
}

/// Sets the origins a workspace's conversation links may point to, replacing the earlier
/// list (an empty list keeps no links); creates the workspace if needed. Each origin is
/// `https://host[:port]`; returns them in their canonical form.
pub async fn set_link_origins(
    db: &Db,
    workspace: &str,
    origins: &[String],
) -> Result<Vec<String>, AppError> {
    let mut canonical = Vec::with_capacity(origins.len());
    for origin in origins {
        let origin = crate::ingest::link_check::parse_origin(origin).map_err(AppError::invalid)?;
        if !canonical.contains(&origin) {
            canonical.push(origin);
        }
    }
    let id = ensure_workspace(db, workspace).await?;
    sqlx::query("UPDATE workspaces SET link_origins = $1 WHERE id = $2")
        .bind(serde_json::to_string(&canonical)?)
        .bind(id.to_string())
        .execute(&db.writer)
        .await?;
    Ok(canonical)
}

/// Every workspace with its link origins.
pub async fn list_workspaces(db: &Db) -> Result<Vec<WorkspaceRow>, AppError> {
    let rows = sqlx::query("SELECT name, link_origins FROM workspaces ORDER BY name")
        .fetch_all(&db.reader)
        .await?;
    rows.iter()
        .map(|row| {
            let origins: String = row.try_get("link_origins")?;
            Ok(WorkspaceRow {
                name: row.try_get("name")?,
                link_origins: serde_json::from_str(&origins)?,
            })
        })
        .collect()
}
