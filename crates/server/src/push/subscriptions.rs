//! The browsers and phones an agent registered for push, and what their push services answered, read
//! back from the outbox rows.

use chrono::{DateTime, Utc};
use herald_protocol::{
    FieldError, PhoneDeviceRemoval, PhoneDeviceRequest, PushAttempt, PushDevice, PushOutcome,
    PushPlatform, PushSubscriptionRequest, TestPushDevice,
};
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use super::endpoint;
use crate::auth::AgentSession;
use crate::db::{Db, RowExt, SqlTime};
use crate::error::AppError;

/// Most push devices per agent: registering another removes the oldest.
pub const MAX_PER_AGENT: i64 = 20;

/// Registers (or refreshes) a browser's subscription for the caller's session.
pub async fn register(
    db: &Db,
    who: &AgentSession,
    req: &PushSubscriptionRequest,
    allow_insecure: bool,
    now: DateTime<Utc>,
) -> Result<PushDevice, AppError> {
    let url = endpoint::check(&req.endpoint, allow_insecure).map_err(|e| AppError::Invalid {
        message: format!("this push subscription cannot be used: {e}"),
        fields: vec![FieldError {
            field: "endpoint".into(),
            message: e.to_string(),
        }],
    })?;
    super::browser::browser_keys(&req.keys.p256dh, &req.keys.auth).map_err(|e| {
        AppError::Invalid {
            message: format!("this push subscription cannot be used: {e}"),
            fields: vec![FieldError {
                field: "keys".into(),
                message: e.to_owned(),
            }],
        }
    })?;
    let device = NewDevice {
        endpoint: req.endpoint.clone(),
        p256dh: req.keys.p256dh.clone(),
        auth: req.keys.auth.clone(),
        name: herald_protocol::device_name(req.device_name.as_deref(), "Browser"),
        platform: PushPlatform::Web,
        app_id: None,
        service: url.host_str().unwrap_or_default().to_owned(),
    };
    register_device(db, who, device, now).await
}

/// Registers (or refreshes) a phone's push token for the caller's session (the app
/// registers it at sign-in and when the OS gives it a new one).
pub async fn register_phone(
    db: &Db,
    who: &AgentSession,
    req: &PhoneDeviceRequest,
    now: DateTime<Utc>,
) -> Result<PushDevice, AppError> {
    let endpoint = phone_endpoint(req.platform, &req.token)?;
    if !is_bundle_id(&req.app_id) {
        return Err(invalid_field(
            "app_id",
            "the app's bundle identifier, like dev.herald.app",
        ));
    }
    let device = NewDevice {
        endpoint,
        p256dh: String::new(),
        auth: String::new(),
        name: herald_protocol::device_name(req.device_name.as_deref(), "Phone"),
        platform: req.platform,
        app_id: Some(req.app_id.clone()),
        service: service_of(req.platform, ""),
    };
    register_device(db, who, device, now).await
}

/// Forgets the caller's phone with this token; true if there was one.
pub async fn unregister_phone(
    db: &Db,
    who: &AgentSession,
    req: &PhoneDeviceRemoval,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let endpoint = phone_endpoint(req.platform, &req.token)?;
    unregister(db, who, &endpoint, now).await
}

/// The row's endpoint for a phone's token, or why the token is refused.
fn phone_endpoint(platform: PushPlatform, token: &str) -> Result<String, AppError> {
    match platform {
        PushPlatform::Apns => {
            // 32 bytes today; Apple says tokens may grow, so up to 100 bytes are taken.
            let hex = token.len().is_multiple_of(2)
                && (64..=200).contains(&token.len())
                && token.bytes().all(|b| b.is_ascii_hexdigit());
            if hex {
                Ok(format!("apns:{}", token.to_ascii_lowercase()))
            } else {
                Err(invalid_field(
                    "token",
                    "an APNs device token is 64 to 200 hexadecimal characters",
                ))
            }
        }
        PushPlatform::Fcm => {
            let ok = (32..=4096).contains(&token.len())
                && token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'));
            if ok {
                Ok(format!("fcm:{token}"))
            } else {
                Err(invalid_field(
                    "token",
                    "an FCM registration token is 32 to 4096 letters, digits, '_', '-' and ':'",
                ))
            }
        }
        PushPlatform::Web => Err(invalid_field(
            "platform",
            "browsers register with POST /push/subscriptions",
        )),
    }
}

/// A reverse-DNS bundle identifier: letters, digits, '-' and '.', with a dot.
fn is_bundle_id(id: &str) -> bool {
    (3..=155).contains(&id.len())
        && id.contains('.')
        && !id.starts_with('.')
        && !id.ends_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn invalid_field(field: &str, message: &str) -> AppError {
    AppError::Invalid {
        message: format!("this device cannot be registered: {message}"),
        fields: vec![FieldError {
            field: field.into(),
            message: message.into(),
        }],
    }
}

/// Where a device's pushes go, for the device list.
fn service_of(platform: PushPlatform, endpoint: &str) -> String {
    match platform {
        PushPlatform::Apns => "Apple Push Notification service".into(),
        PushPlatform::Fcm => "Firebase Cloud Messaging".into(),
        PushPlatform::Web => url::Url::parse(endpoint)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default(),
    }
}

/// A device to register.
struct NewDevice {
    endpoint: String,
    p256dh: String,
    auth: String,
    name: String,
    platform: PushPlatform,
    app_id: Option<String>,
    service: String,
}

/// Registers a device for the caller's session. An endpoint (or token) another agent
/// registered before (a shared computer, a phone handed on) moves to the caller, without
/// what was queued for the other agent; the oldest beyond [`MAX_PER_AGENT`] go.
async fn register_device(
    db: &Db,
    who: &AgentSession,
    device: NewDevice,
    now: DateTime<Utc>,
) -> Result<PushDevice, AppError> {
    let NewDevice {
        endpoint,
        p256dh,
        auth,
        name,
        platform,
        app_id,
        service,
    } = device;
    let platform_name = platform_name(platform);
    let mut tx = db.write_tx().await?;
    let existing = sqlx::query("SELECT id, agent_id FROM push_subscriptions WHERE endpoint = $1")
        .bind(&endpoint)
        .fetch_optional(&mut *tx)
        .await?;
    let mut id = Uuid::now_v7();
    match existing {
        Some(row) if row.try_get::<String, _>("agent_id")? == who.agent_id.to_string() => {
            let old: String = row.try_get("id")?;
            id = Uuid::parse_str(&old).map_err(|e| AppError::Internal(e.into()))?;
            sqlx::query(
                "UPDATE push_subscriptions SET session_id = $1, p256dh = $2, auth = $3, name = $4, \
                 app_id = $5 WHERE id = $6",
            )
            .bind(who.session_id.to_string())
            .bind(&p256dh)
            .bind(&auth)
            .bind(&name)
            .bind(&app_id)
            .bind(&old)
            .execute(&mut *tx)
            .await?;
        }
        Some(row) => {
            let old: String = row.try_get("id")?;
            forget(&mut tx, Whose::Id(&old), now).await?;
        }
        None => {}
    }
    sqlx::query(
        "INSERT INTO push_subscriptions \
             (id, agent_id, session_id, endpoint, p256dh, auth, name, created_at, platform, app_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (endpoint) DO NOTHING",
    )
    .bind(id.to_string())
    .bind(who.agent_id.to_string())
    .bind(who.session_id.to_string())
    .bind(&endpoint)
    .bind(&p256dh)
    .bind(&auth)
    .bind(&name)
    .bind(SqlTime(now))
    .bind(platform_name)
    .bind(&app_id)
    .execute(&mut *tx)
    .await?;
    // The oldest beyond the limit go.
    let extra = sqlx::query(
        "SELECT id FROM push_subscriptions WHERE agent_id = $1 AND id NOT IN \
         (SELECT id FROM push_subscriptions WHERE agent_id = $1 \
          ORDER BY created_at DESC, id DESC LIMIT $2)",
    )
    .bind(who.agent_id.to_string())
    .bind(MAX_PER_AGENT)
    .fetch_all(&mut *tx)
    .await?;
    for row in extra {
        let old: String = row.try_get("id")?;
        forget(&mut tx, Whose::Id(&old), now).await?;
    }
    let created: SqlTime =
        sqlx::query_scalar("SELECT created_at FROM push_subscriptions WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
    let created = created.0;
    tx.commit().await?;
    tracing::info!(device = %id, platform = platform_name, "push device registered");
    Ok(PushDevice {
        id,
        name,
        platform,
        service,
        created_at: created,
        last: None,
    })
}

/// Removes the caller's subscription with this endpoint; true if there was one.
pub async fn unregister(
    db: &Db,
    who: &AgentSession,
    endpoint: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let mut tx = db.write_tx().await?;
    let id: Option<String> = sqlx::query_scalar(
        "SELECT id FROM push_subscriptions WHERE endpoint = $1 AND agent_id = $2",
    )
    .bind(endpoint)
    .bind(who.agent_id.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = &id {
        forget(&mut tx, Whose::Id(id), now).await?;
    }
    tx.commit().await?;
    Ok(id.is_some())
}

/// Which subscriptions [`forget`] removes.
#[derive(Debug, Clone, Copy)]
pub enum Whose<'a> {
    /// One subscription, by its id.
    Id(&'a str),
    /// Those a session registered (it signed out).
    Session(&'a str),
    /// Every one of an agent's (disabled).
    Agent(&'a str),
}

/// Deletes the subscriptions `whose` names; what was still queued for them is marked gone.
pub async fn forget(
    tx: &mut Transaction<'_, Any>,
    whose: Whose<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let (column, value) = match whose {
        Whose::Id(id) => ("id", id),
        Whose::Session(id) => ("session_id", id),
        Whose::Agent(id) => ("agent_id", id),
    };
    sqlx::query(&format!(
        "UPDATE push_outbox SET status = 'gone', answered_at = $1 \
         WHERE status IN ('pending', 'held') \
         AND subscription_id IN (SELECT id FROM push_subscriptions WHERE {column} = $2)"
    ))
    .bind(SqlTime(now))
    .bind(value)
    .execute(&mut **tx)
    .await?;
    sqlx::query(&format!(
        "DELETE FROM push_subscriptions WHERE {column} = $1"
    ))
    .bind(value)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether `endpoint` is one of the agent's registered browsers.
pub async fn is_registered(db: &Db, agent_id: Uuid, endpoint: &str) -> Result<bool, AppError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM push_subscriptions WHERE agent_id = $1 AND endpoint = $2",
    )
    .bind(agent_id.to_string())
    .bind(endpoint)
    .fetch_optional(&db.reader)
    .await?;
    Ok(found.is_some())
}

/// The agent's push devices, newest first, each with its last answer.
pub async fn list(db: &Db, agent_id: Uuid) -> Result<Vec<PushDevice>, AppError> {
    let rows = sqlx::query(
        "SELECT s.id, s.name, s.endpoint, s.platform, s.created_at, \
                o.status, o.attempts, o.last_status, o.last_error, o.not_before, o.answered_at, \
                o.created_at AS queued_at, n.read_at AS item_read_at \
         FROM push_subscriptions AS s \
         LEFT JOIN push_outbox AS o ON o.id = ( \
             SELECT id FROM push_outbox WHERE subscription_id = s.id AND answered_at IS NOT NULL \
             ORDER BY answered_at DESC, id DESC LIMIT 1) \
         LEFT JOIN notifications AS n ON n.id = o.notification_id \
         WHERE s.agent_id = $1 ORDER BY s.created_at DESC, s.id DESC",
    )
    .bind(agent_id.to_string())
    .fetch_all(&db.reader)
    .await?;
    let mut devices = Vec::with_capacity(rows.len());
    for row in rows {
        let endpoint: String = row.try_get("endpoint")?;
        let platform = parse_platform(&row.try_get::<String, _>("platform")?);
        let answered: Option<DateTime<Utc>> = row.time("answered_at")?;
        let last = match answered {
            Some(at) => Some(PushAttempt {
                at,
                outcome: outcome_of(&row)?,
            }),
            None => None,
        };
        devices.push(PushDevice {
            id: crate::auth::parse_uuid(&row.try_get::<String, _>("id")?)?,
            name: row.try_get("name")?,
            platform,
            service: service_of(platform, &endpoint),
            created_at: row.time("created_at")?,
            last,
        });
    }
    Ok(devices)
}

/// An outbox row's state as an outcome (columns `status`, `attempts`, `last_status`,
/// `last_error`, `not_before`, and `queued_at` and `item_read_at` for a held push skipped).
fn outcome_of(row: &sqlx::any::AnyRow) -> Result<PushOutcome, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let attempts: i64 = row.try_get("attempts")?;
    let code: Option<i64> = row.try_get("last_status")?;
    let code = code.and_then(|c| u16::try_from(c).ok());
    let error: Option<String> = row.try_get("last_error")?;
    let error = error.unwrap_or_default();
    Ok(match status.as_str() {
        "sent" => PushOutcome::Accepted {
            status: code.unwrap_or(201),
        },
        "gone" if code.is_some() => PushOutcome::Gone {
            status: code.unwrap_or(410),
        },
        "gone" => PushOutcome::Failed {
            status: None,
            error: "the device was removed before this could be sent".into(),
        },
        "failed" => PushOutcome::Failed {
            status: code,
            error,
        },
        "skipped" => PushOutcome::SkippedRead {
            held_read_after_secs: if error == super::outbox::HELD_NOTE {
                read_after(row)?
            } else {
                None
            },
        },
        "expired" => PushOutcome::Expired,
        "in_front" => PushOutcome::InFront,
        "held" => PushOutcome::Held {
            until: row.time("not_before")?,
        },
        _ if attempts > 0 => PushOutcome::Retrying {
            status: code,
            error,
            retry_at: row.time("not_before")?,
        },
        _ => PushOutcome::Pending,
    })
}

/// Seconds from a push's row being queued (the item's arrival) to the item being read.
fn read_after(row: &sqlx::any::AnyRow) -> Result<Option<u32>, sqlx::Error> {
    let queued: Option<DateTime<Utc>> = row.time("queued_at")?;
    let read: Option<DateTime<Utc>> = row.time("item_read_at")?;
    Ok(match (queued, read) {
        (Some(queued), Some(read)) => u32::try_from((read - queued).num_seconds()).ok(),
        _ => None,
    })
}

/// The devices an item was queued for: (subscription, name), also those removed since (a
/// 410 deletes the subscription; the row keeps the name it had).
pub async fn queued_for(db: &Db, notification: Uuid) -> Result<Vec<(Uuid, String)>, AppError> {
    let rows = sqlx::query(
        "SELECT o.subscription_id, COALESCE(o.device_name, s.name, 'Browser') AS name \
         FROM push_outbox AS o LEFT JOIN push_subscriptions AS s ON s.id = o.subscription_id \
         WHERE o.notification_id = $1 ORDER BY o.id",
    )
    .bind(notification.to_string())
    .fetch_all(&db.reader)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get("subscription_id")?;
        out.push((crate::auth::parse_uuid(&id)?, row.try_get("name")?));
    }
    Ok(out)
}

/// What each device's push service answered for an item, as recorded now.
pub async fn results_for(
    db: &Db,
    notification: Uuid,
    devices: &[(Uuid, String)],
) -> Result<Vec<TestPushDevice>, AppError> {
    let rows = sqlx::query(
        "SELECT o.subscription_id, o.status, o.attempts, o.last_status, o.last_error, \
                o.not_before, o.created_at AS queued_at, n.read_at AS item_read_at \
         FROM push_outbox AS o JOIN notifications AS n ON n.id = o.notification_id \
         WHERE o.notification_id = $1",
    )
    .bind(notification.to_string())
    .fetch_all(&db.reader)
    .await?;
    let mut out = Vec::with_capacity(devices.len());
    for (device, name) in devices {
        let id = device.to_string();
        let row = rows.iter().find(|r| {
            r.try_get::<String, _>("subscription_id").ok().as_deref() == Some(id.as_str())
        });
        let outcome = match row {
            Some(row) => outcome_of(row)?,
            None => PushOutcome::Pending,
        };
        out.push(TestPushDevice {
            device: *device,
            name: name.clone(),
            outcome,
        });
    }
    Ok(out)
}

/// A platform as the table names it.
pub(super) fn platform_name(platform: PushPlatform) -> &'static str {
    match platform {
        PushPlatform::Web => "web",
        PushPlatform::Apns => "apns",
        PushPlatform::Fcm => "fcm",
    }
}

/// A platform from the table (anything unknown is a browser, as rows before phones were).
pub(super) fn parse_platform(name: &str) -> PushPlatform {
    match name {
        "apns" => PushPlatform::Apns,
        "fcm" => PushPlatform::Fcm,
        _ => PushPlatform::Web,
    }
}
