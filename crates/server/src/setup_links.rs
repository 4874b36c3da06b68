//! One-time password set-up links: an agent made without a password (by the admin API, or
//! synced from a helpdesk), or one whose admin resets it, sets a password through a link
//! that works once, for [`VALIDITY_DAYS`]. Only the token's hash is stored; a new link
//! replaces the agent's earlier ones; using one revokes the agent's sessions (whoever had
//! them no longer does).

use chrono::{DateTime, Duration, Utc};
use herald_protocol::{PasswordSetupRequest, PasswordSetupResult, SetupLink};
use sqlx::Row;
use uuid::Uuid;

use crate::db::{Db, SqlTime};
use crate::error::AppError;

/// How long a link works.
pub const VALIDITY_DAYS: i64 = 7;
/// The prefix of set-up tokens.
const PREFIX: &str = "hrld_p_";

/// Makes a link for an agent of workspace `ws`, and emails it when the server has a relay.
/// `public_url` is this server's address as agents reach it.
pub async fn create(
    db: &Db,
    mailer: Option<&crate::email::Mailer>,
    ws: Uuid,
    agent: Uuid,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<SetupLink, AppError> {
    let row = sqlx::query(
        "SELECT a.name, a.email, a.prefs, w.name AS workspace FROM agents AS a \
         JOIN workspaces AS w ON w.id = a.workspace_id \
         WHERE a.id = $1 AND a.workspace_id = $2 AND a.disabled_at IS NULL",
    )
    .bind(agent.to_string())
    .bind(ws.to_string())
    .fetch_optional(&db.reader)
    .await?
    .ok_or(AppError::NotFound("no such active agent in this workspace"))?;
    let (token, hash) = crate::token::new_token(PREFIX);
    let expires_at = now + Duration::days(VALIDITY_DAYS);
    let mut tx = db.write_tx().await?;
    sqlx::query("DELETE FROM password_setups WHERE agent_id = $1 AND used_at IS NULL")
        .bind(agent.to_string())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO password_setups (token_hash, agent_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(hash)
    .bind(agent.to_string())
    .bind(SqlTime(now))
    .bind(SqlTime(expires_at))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    // The web app reads the token from the fragment: it never reaches a server log.
    let url = format!("{}/#setup={token}", public_url.trim_end_matches('/'));
    let emailed = match mailer {
        Some(mailer) => {
            let language = crate::email::language_of(&row.try_get::<String, _>("prefs")?);
            crate::email::send_setup_link(
                mailer,
                &row.try_get::<String, _>("name")?,
                &row.try_get::<String, _>("email")?,
                &row.try_get::<String, _>("workspace")?,
                language,
                &url,
                VALIDITY_DAYS,
            )
            .await?
        }
        None => false,
    };
    Ok(SetupLink {
        url,
        expires_at,
        emailed,
    })
}

/// Sets the password of the link's agent, once.
pub async fn redeem(
    db: &Db,
    req: &PasswordSetupRequest,
    now: DateTime<Utc>,
) -> Result<PasswordSetupResult, AppError> {
    let used = AppError::Unauthorized(
        "this link does not work: it was used, it expired or a newer one was sent; ask your admin for a new one",
    );
    if !req.token.starts_with(PREFIX) || req.token.len() > 200 {
        return Err(used);
    }
    if req.password.chars().count() < 8 || req.password.len() > 1024 {
        return Err(AppError::invalid("a password has 8 to 1024 characters"));
    }
    // The route needs no session: only a live link may cost an Argon2 hash, or anyone could
    // make the server hash passwords for junk tokens.
    let token_hash = crate::token::hash_token(&req.token);
    let live: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM password_setups WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(&token_hash)
    .bind(SqlTime(now))
    .fetch_optional(&db.reader)
    .await?;
    if live.is_none() {
        return Err(used);
    }
    let password = req.password.clone();
    let hash = tokio::task::spawn_blocking(move || crate::passwords::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let mut tx = db.write_tx().await?;
    // Claimed in the write transaction: two tabs with the same link cannot both use it.
    let row = sqlx::query(
        "UPDATE password_setups SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING agent_id",
    )
    .bind(SqlTime(now))
    .bind(&token_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Err(used) };
    let agent: String = row.try_get("agent_id")?;
    let email: Option<String> = sqlx::query_scalar(
        "UPDATE agents SET password_hash = $1, has_password = 1 \
         WHERE id = $2 AND disabled_at IS NULL RETURNING email",
    )
    .bind(hash)
    .bind(&agent)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(email) = email else { return Err(used) };
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE agent_id = $2 AND revoked_at IS NULL")
        .bind(SqlTime(now))
        .bind(&agent)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(agent = %agent, "password set through a one-time link");
    Ok(PasswordSetupResult { email })
}
