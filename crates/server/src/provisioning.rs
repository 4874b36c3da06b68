//! Provisioning scoped to one workspace: agents, ingest keys, connectors and admin keys.
//! The admin API (`/api/v1/admin/…`) calls it with the admin key's workspace; nothing here
//! reaches another workspace's rows (every statement is filtered by `workspace_id`).

use chrono::{DateTime, Utc};
use herald_protocol::{
    AdminAgent, AdminConnector, AdminIngestKey, AgentUpdate, CreatedIngestKey, NewAgentRequest,
    NewIngestKeyRequest,
};
use sqlx::Row;
use uuid::Uuid;

use crate::db::{Db, RowExt, SqlTime};
use crate::error::AppError;

/// Checks group keys: `inbox:<id>` or `team:<id>`, at most 200 of them.
fn check_groups(groups: &[String]) -> Result<(), AppError> {
    if groups.len() > 200 {
        return Err(AppError::invalid("at most 200 groups"));
    }
    for group in groups {
        if !herald_protocol::is_group_key(group) {
            return Err(AppError::invalid(format!(
                "group {:?} must look like inbox:<id> or team:<id>",
                group.chars().take(60).collect::<String>()
            )));
        }
    }
    Ok(())
}

fn clean_email(email: &str) -> Result<String, AppError> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 320
        && email.split('@').count() == 2
        && !email.starts_with('@')
        && !email.ends_with('@')
        && !email.contains(|c: char| c.is_control() || c.is_whitespace());
    if ok {
        Ok(email)
    } else {
        Err(AppError::invalid(format!(
            "{:?} is not an email address",
            email.chars().take(60).collect::<String>()
        )))
    }
}

fn clean_name(name: &str) -> Result<String, AppError> {
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid("a name is 1 to 200 characters"));
    }
    Ok(name.to_owned())
}

/// The workspace's agents, by email: two queries whatever their number.
pub async fn list_agents(db: &Db, ws: Uuid) -> Result<Vec<AdminAgent>, AppError> {
    agents(db, ws, None).await
}

/// One agent of the workspace (404 for another workspace's).
pub async fn get_agent(db: &Db, ws: Uuid, id: Uuid) -> Result<AdminAgent, AppError> {
    agents(db, ws, Some(id))
        .await?
        .pop()
        .ok_or(AppError::NotFound("no such agent in this workspace"))
}

/// The workspace's agents (or the one with `only`), with their groups.
async fn agents(db: &Db, ws: Uuid, only: Option<Uuid>) -> Result<Vec<AdminAgent>, AppError> {
    let only = only.map(|id| id.to_string());
    let rows = sqlx::query(
        "SELECT id, external_id, email, name, disabled_at IS NOT NULL AS disabled, has_password, created_at \
         FROM agents WHERE workspace_id = $1 AND ($2 IS NULL OR id = $2) ORDER BY email",
    )
    .bind(ws.to_string())
    .bind(&only)
    .fetch_all(&db.reader)
    .await?;
    let memberships = sqlx::query(
        "SELECT g.agent_id, g.group_key FROM agent_groups AS g JOIN agents AS a ON a.id = g.agent_id \
         WHERE a.workspace_id = $1 AND ($2 IS NULL OR a.id = $2) ORDER BY g.group_key",
    )
    .bind(ws.to_string())
    .bind(&only)
    .fetch_all(&db.reader)
    .await?;
    let mut groups: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for row in &memberships {
        groups
            .entry(row.try_get("agent_id")?)
            .or_default()
            .push(row.try_get("group_key")?);
    }
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            Ok(AdminAgent {
                id: crate::auth::parse_uuid(&id)?,
                external_id: row.try_get("external_id")?,
                email: row.try_get("email")?,
                name: row.try_get("name")?,
                groups: groups.remove(&id).unwrap_or_default(),
                disabled: row.flag("disabled")?,
                has_password: row.try_get::<i64, _>("has_password")? != 0,
                created_at: row.time("created_at")?,
            })
        })
        .collect()
}

/// Creates an agent in the workspace. Without a password it cannot sign in until it sets one
/// through a set-up link.
pub async fn create_agent(
    db: &Db,
    ws: Uuid,
    req: &NewAgentRequest,
    now: DateTime<Utc>,
) -> Result<AdminAgent, AppError> {
    let (password, has_password) = match &req.password {
        Some(p) if p.chars().count() >= 8 && p.len() <= 1024 => (p.clone(), true),
        Some(_) => return Err(AppError::invalid("a password has 8 to 1024 characters")),
        None => (crate::token::new_token("unusable_").0, false),
    };
    // Checked before the (slow) hash.
    check_agent(req)?;
    let hash = tokio::task::spawn_blocking(move || crate::passwords::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let id = insert_agent(db, ws, req, &hash, has_password, now).await?;
    get_agent(db, ws, id).await
}

fn check_agent(req: &NewAgentRequest) -> Result<(String, String), AppError> {
    let external_id = req.external_id.trim();
    if external_id.is_empty() || external_id.len() > 200 || external_id.contains(char::is_control) {
        return Err(AppError::invalid("the platform id is 1 to 200 characters"));
    }
    check_groups(&req.groups)?;
    Ok((clean_email(&req.email)?, clean_name(&req.name)?))
}

/// Inserts an agent whose password is hashed already, with its groups and the workspace's
/// starting preferences: the one way agents are made (the admin API, the CLI, agent sync,
/// the demo and the benchmarks).
pub async fn insert_agent(
    db: &Db,
    ws: Uuid,
    req: &NewAgentRequest,
    hash: &str,
    has_password: bool,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    let (email, name) = check_agent(req)?;
    let id = Uuid::now_v7();
    let prefs =
        serde_json::to_string(&crate::workspace_policy::starting_preferences(db, ws).await?)?;
    let mut tx = db.write_tx().await?;
    let inserted = sqlx::query(
        "INSERT INTO agents (id, workspace_id, external_id, email, name, password_hash, prefs, created_at, has_password) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(ws.to_string())
    .bind(req.external_id.trim())
    .bind(&email)
    .bind(&name)
    .bind(hash)
    .bind(prefs)
    .bind(SqlTime(now))
    .bind(i64::from(has_password))
    .execute(&mut *tx)
    .await;
    if let Err(sqlx::Error::Database(e)) = &inserted {
        if e.is_unique_violation() {
            return Err(AppError::Conflict(
                "an agent with this email, or this platform id in the workspace, exists".into(),
            ));
        }
    }
    inserted?;
    set_groups(&mut tx, id, &req.groups).await?;
    tx.commit().await?;
    Ok(id)
}

async fn set_groups(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: Uuid,
    groups: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM agent_groups WHERE agent_id = $1")
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    for group in groups {
        sqlx::query(
            "INSERT INTO agent_groups (agent_id, group_key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id.to_string())
        .bind(group)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Changes an agent of the workspace. Disabling revokes its sessions and forgets its push
/// devices (as `agent disable` does); the caller closes its live streams.
pub async fn update_agent(
    db: &Db,
    ws: Uuid,
    id: Uuid,
    update: &AgentUpdate,
    now: DateTime<Utc>,
) -> Result<AdminAgent, AppError> {
    get_agent(db, ws, id).await?;
    let name = update.name.as_deref().map(clean_name).transpose()?;
    let email = update.email.as_deref().map(clean_email).transpose()?;
    if let Some(groups) = &update.groups {
        check_groups(groups)?;
    }
    let mut tx = db.write_tx().await?;
    let agent = id.to_string();
    if let Some(name) = name {
        sqlx::query("UPDATE agents SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(&agent)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(email) = email {
        let changed = sqlx::query("UPDATE agents SET email = $1 WHERE id = $2")
            .bind(email)
            .bind(&agent)
            .execute(&mut *tx)
            .await;
        if let Err(sqlx::Error::Database(e)) = &changed {
            if e.is_unique_violation() {
                return Err(AppError::Conflict("another agent has this email".into()));
            }
        }
        changed?;
    }
    if let Some(groups) = &update.groups {
        set_groups(&mut tx, id, groups).await?;
    }
    match update.disabled {
        Some(true) => {
            sqlx::query("UPDATE agents SET disabled_at = COALESCE(disabled_at, $1) WHERE id = $2")
                .bind(SqlTime(now))
                .bind(&agent)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE sessions SET revoked_at = $1 WHERE agent_id = $2 AND revoked_at IS NULL",
            )
            .bind(SqlTime(now))
            .bind(&agent)
            .execute(&mut *tx)
            .await?;
            crate::push::subscriptions::forget(
                &mut tx,
                crate::push::subscriptions::Whose::Agent(&agent),
                now,
            )
            .await?;
        }
        Some(false) => {
            sqlx::query("UPDATE agents SET disabled_at = NULL WHERE id = $1")
                .bind(&agent)
                .execute(&mut *tx)
                .await?;
        }
        None => {}
    }
    tx.commit().await?;
    get_agent(db, ws, id).await
}

/// The workspace's ingest keys.
pub async fn list_ingest_keys(db: &Db, ws: Uuid) -> Result<Vec<AdminIngestKey>, AppError> {
    let rows = sqlx::query(
        "SELECT id, label, signing_secret IS NOT NULL AS signed, revoked_at IS NOT NULL AS revoked, created_at \
         FROM ingest_keys WHERE workspace_id = $1 ORDER BY created_at",
    )
    .bind(ws.to_string())
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AdminIngestKey {
                id: crate::auth::parse_uuid(&row.try_get::<String, _>("id")?)?,
                label: row.try_get("label")?,
                signed: row.flag("signed")?,
                revoked: row.flag("revoked")?,
                created_at: row.time("created_at")?,
            })
        })
        .collect()
}

/// Creates an ingest key for the workspace (and a signing secret if asked).
pub async fn create_ingest_key(
    db: &Db,
    ws: Uuid,
    req: &NewIngestKeyRequest,
    now: DateTime<Utc>,
) -> Result<CreatedIngestKey, AppError> {
    let label = req.label.as_deref().map(|l| {
        l.chars()
            .filter(|c| !c.is_control())
            .take(100)
            .collect::<String>()
    });
    let (key, hash) = crate::token::new_token(crate::token::INGEST_PREFIX);
    let secret = req
        .signed
        .then(|| crate::token::new_token(crate::token::SIGNING_PREFIX).0);
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO ingest_keys (id, workspace_id, key_hash, label, created_at, signing_secret) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(ws.to_string())
    .bind(hash)
    .bind(label)
    .bind(SqlTime(now))
    .bind(&secret)
    .execute(&db.writer)
    .await?;
    Ok(CreatedIngestKey {
        id,
        key,
        signing_secret: secret,
    })
}

/// Revokes one of the workspace's ingest keys.
pub async fn revoke_ingest_key(
    db: &Db,
    ws: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE ingest_keys SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL",
    )
    .bind(SqlTime(now))
    .bind(id.to_string())
    .bind(ws.to_string())
    .execute(&db.writer)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound(
            "no active ingest key with that id in this workspace",
        ));
    }
    Ok(())
}

/// The workspace's connectors.
pub async fn list_connectors(db: &Db, ws: Uuid) -> Result<Vec<AdminConnector>, AppError> {
    let rows = sqlx::query(
        "SELECT c.id, c.kind, c.account_id, c.base_url, c.api_token IS NOT NULL AS syncs, \
                c.synced_at, c.sync_error, \
                (SELECT count(*) FROM connector_deliveries AS d WHERE d.connector_id = c.id) AS n \
         FROM connectors AS c WHERE c.workspace_id = $1 AND c.disabled_at IS NULL ORDER BY c.created_at",
    )
    .bind(ws.to_string())
    .fetch_all(&db.reader)
    .await?;
    rows.iter()
        .map(|row| {
            let id = crate::auth::parse_uuid(&row.try_get::<String, _>("id")?)?;
            Ok(AdminConnector {
                id,
                kind: row.try_get("kind")?,
                account_id: row.try_get("account_id")?,
                base_url: row.try_get("base_url")?,
                webhook_path: format!("/api/v1/connectors/{id}/webhook"),
                deliveries: u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or_default(),
                syncs_agents: row.flag("syncs")?,
                synced_at: row.time("synced_at")?,
                sync_error: row.try_get("sync_error")?,
            })
        })
        .collect()
}

/// Disconnects one of the workspace's connectors: its webhook answers 404 from now on.
pub async fn remove_connector(
    db: &Db,
    ws: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE connectors SET disabled_at = $1 WHERE id = $2 AND workspace_id = $3 AND disabled_at IS NULL",
    )
    .bind(SqlTime(now))
    .bind(id.to_string())
    .bind(ws.to_string())
    .execute(&db.writer)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound("no such connector in this workspace"));
    }
    Ok(())
}

/// Creates an admin key for a workspace (the CLI's `admin-key create`); shown once.
pub async fn create_admin_key(
    db: &Db,
    ws: Uuid,
    label: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Uuid, String), AppError> {
    let (key, hash) = crate::token::new_token(crate::token::ADMIN_PREFIX);
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO admin_keys (id, workspace_id, key_hash, label, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.to_string())
    .bind(ws.to_string())
    .bind(hash)
    .bind(label)
    .bind(SqlTime(now))
    .execute(&db.writer)
    .await?;
    Ok((id, key))
}

/// Revokes an admin key.
pub async fn revoke_admin_key(db: &Db, id: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    let done =
        sqlx::query("UPDATE admin_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(SqlTime(now))
            .bind(id.to_string())
            .execute(&db.writer)
            .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound("no active admin key with that id"));
    }
    Ok(())
}

/// The workspace of an admin key, if it is valid.
pub async fn admin_workspace(db: &Db, key: &str) -> Result<Option<Uuid>, AppError> {
    let ws: Option<String> = sqlx::query_scalar(
        "SELECT workspace_id FROM admin_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(crate::token::hash_token(key))
    .fetch_optional(&db.reader)
    .await?;
    ws.map(|w| crate::auth::parse_uuid(&w)).transpose()
}
