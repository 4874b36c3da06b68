//! A workspace's policy: the preferences new agents start with and the settings its admin
//! locked. Locks are copied into every agent's stored preferences (with who locked them), so
//! ingest's policy and every client's apply them; a preference save that would change a
//! locked setting is refused with the setting named.

use chrono::{DateTime, Utc};
use herald_protocol::{
    check_locks, Channel, FieldError, Lock, Preferences, VersionedPreferences, WorkspacePolicy,
};
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::db::{Db, SqlTime};
use crate::error::AppError;

/// The policy of workspace `ws` (Herald's defaults and no locks when none was set).
pub async fn get(conn: &mut AnyConnection, ws: Uuid) -> Result<WorkspacePolicy, AppError> {
    let row = sqlx::query(
        "SELECT defaults, locks, locked_by FROM workspace_policies WHERE workspace_id = $1",
    )
    .bind(ws.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(WorkspacePolicy::default());
    };
    let defaults: Option<String> = row.try_get("defaults")?;
    Ok(WorkspacePolicy {
        defaults: defaults.map(|d| serde_json::from_str(&d)).transpose()?,
        locks: serde_json::from_str(&row.try_get::<String, _>("locks")?)?,
        locked_by: row.try_get("locked_by")?,
    })
}

/// The policy of the workspace an agent belongs to.
pub async fn of_agent(conn: &mut AnyConnection, agent: Uuid) -> Result<WorkspacePolicy, AppError> {
    let ws: String = sqlx::query_scalar("SELECT workspace_id FROM agents WHERE id = $1")
        .bind(agent.to_string())
        .fetch_one(&mut *conn)
        .await?;
    get(conn, crate::auth::parse_uuid(&ws)?).await
}

/// The preferences a new agent of the workspace starts with.
pub async fn starting_preferences(db: &Db, ws: Uuid) -> Result<Preferences, AppError> {
    let mut conn = db.reader.acquire().await?;
    let policy = get(&mut conn, ws).await?;
    Ok(policy
        .defaults
        .unwrap_or_default()
        .under(&policy.locks, policy.locked_by.as_deref()))
}

/// The path of a matrix cell in the preferences, for field errors.
fn cell_field(kind: &herald_protocol::EventKind, channel: Channel) -> String {
    let channel = match channel {
        Channel::Dashboard => "dashboard",
        Channel::Email => "email",
        Channel::Push => "push",
    };
    format!("events.{kind}.{channel}")
}

/// The path of a locked setting in the preferences, for field errors.
fn field(lock: &Lock) -> String {
    match lock {
        Lock::Channel { kind, channel, .. } => cell_field(kind, *channel),
        Lock::MentionsAlwaysAlert { .. } => "mentions_always_alert".into(),
    }
}

/// Refuses preferences that change a locked setting (naming each), then puts them under
/// the workspace's locks.
pub fn check_save(prefs: Preferences, policy: &WorkspacePolicy) -> Result<Preferences, AppError> {
    let by = policy.locked_by.as_deref().unwrap_or("your admin");
    let mut fields = Vec::new();
    for lock in &policy.locks {
        let (now, locked) = match lock {
            Lock::Channel { kind, channel, on } => {
                (prefs.events.row(kind).map(|row| row.get(*channel)), *on)
            }
            Lock::MentionsAlwaysAlert { on } => (Some(prefs.mentions_always_alert), *on),
        };
        if now.is_some_and(|v| v != locked) {
            fields.push(FieldError {
                field: field(lock),
                message: format!("locked by {by}"),
            });
        }
    }
    if !fields.is_empty() {
        return Err(AppError::Invalid {
            message: format!("some settings are locked by {by}"),
            fields,
        });
    }
    Ok(prefs.under(&policy.locks, policy.locked_by.as_deref()))
}

/// Refuses edits of locked settings, naming each.
pub fn check_edits(
    prefs: &Preferences,
    edits: &[herald_protocol::PrefEdit],
) -> Result<(), AppError> {
    let by = prefs.locked_by.as_deref().unwrap_or("your admin");
    let fields: Vec<FieldError> = edits
        .iter()
        .filter(|e| prefs.is_locked(e))
        .map(|e| FieldError {
            field: match e {
                herald_protocol::PrefEdit::Channel { kind, channel, .. } => {
                    cell_field(kind, *channel)
                }
                _ => "mentions_always_alert".into(),
            },
            message: format!("locked by {by}"),
        })
        .collect();
    if fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid {
            message: format!("some settings are locked by {by}"),
            fields,
        })
    }
}

/// Sets the workspace's policy and puts every agent's preferences under its locks; returns
/// the agents whose preferences changed, with the new version, to tell their devices.
pub async fn set(
    db: &Db,
    ws: Uuid,
    policy: &WorkspacePolicy,
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, VersionedPreferences)>, AppError> {
    let mut fields = Vec::new();
    if let Err(errors) = check_locks(&policy.locks) {
        fields.extend(errors);
    }
    if let Some(defaults) = &policy.defaults {
        if let Err(errors) = defaults.validate() {
            fields.extend(errors.into_iter().map(|e| FieldError {
                field: format!("defaults.{}", e.field),
                message: e.message,
            }));
        }
    }
    let locked_by = policy
        .locked_by
        .as_deref()
        .map(|b| {
            b.chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect::<String>()
        })
        .filter(|b| !b.trim().is_empty());
    if !fields.is_empty() {
        return Err(AppError::Invalid {
            message: "the policy is invalid".into(),
            fields,
        });
    }
    // Defaults are kept without locks: the locks live in their own column.
    let defaults = policy
        .defaults
        .clone()
        .map(|d| serde_json::to_string(&d.under(&[], None)))
        .transpose()?;
    let mut tx = db.write_tx().await?;
    sqlx::query(
        "INSERT INTO workspace_policies (workspace_id, defaults, locks, locked_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id) DO UPDATE SET \
         defaults = excluded.defaults, locks = excluded.locks, locked_by = excluded.locked_by, \
         updated_at = excluded.updated_at",
    )
    .bind(ws.to_string())
    .bind(defaults)
    .bind(serde_json::to_string(&policy.locks)?)
    .bind(&locked_by)
    .bind(SqlTime(now))
    .execute(&mut *tx)
    .await?;
    let rows = sqlx::query("SELECT id, prefs FROM agents WHERE workspace_id = $1")
        .bind(ws.to_string())
        .fetch_all(&mut *tx)
        .await?;
    let mut changed = Vec::new();
    for row in rows {
        let id: String = row.try_get("id")?;
        let before: Preferences = serde_json::from_str(&row.try_get::<String, _>("prefs")?)?;
        let after = before.clone().under(&policy.locks, locked_by.as_deref());
        if after == before {
            continue;
        }
        let version: i64 = sqlx::query_scalar(
            "UPDATE agents SET prefs = $1, prefs_version = prefs_version + 1 WHERE id = $2 \
             RETURNING prefs_version",
        )
        .bind(serde_json::to_string(&after)?)
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
        changed.push((
            crate::auth::parse_uuid(&id)?,
            VersionedPreferences {
                version: u64::try_from(version).unwrap_or(0),
                preferences: after,
            },
        ));
    }
    tx.commit().await?;
    Ok(changed)
}
