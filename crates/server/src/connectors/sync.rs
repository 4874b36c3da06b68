//! Agent sync from Chatwoot's application API: Herald's agents follow the Chatwoot
//! account's agents (keyed by Chatwoot user id), their inbox and team memberships (groups
//! `inbox:<id>`, `team:<id>`), on start, every [`SyncSettings::interval`] and on demand
//! (`POST /admin/connectors/{id}/sync`).
//!
//! New agents are made without a password and get a one-time set-up link (emailed when the
//! server has a relay); agents this connector made and that left the account are disabled;
//! agents added by hand are never disabled by a sync. Chatwoot passwords never pass through
//! Herald. The API address must be https on a public address (no server-side request
//! forgery) unless the operator allows private addresses; no redirects are followed.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use herald_protocol::{AdminAgent, AgentUpdate, CloseReason, NewAgentRequest, SyncReport};
use serde_json::Value;
use sqlx::Row;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db::{Db, SqlTime};
use crate::error::AppError;
use crate::fanout::Fanout;
use crate::provisioning;

/// Most inboxes or teams read from one account.
const MAX_GROUPS: usize = 1000;
/// Most agents read from one account.
const MAX_AGENTS: usize = 10_000;

/// How connectors reach helpdesks.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// How often every connector with an access token syncs its agents.
    pub interval: Duration,
    /// Allow http and private addresses for helpdesk APIs (Chatwoot inside the operator's
    /// network, and tests).
    pub allow_private: bool,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            interval: Duration::from_secs(15 * 60),
            allow_private: false,
        }
    }
}

/// What a sync needs besides the database. Cheap to clone.
#[derive(Clone)]
pub struct Syncer {
    client: reqwest::Client,
    /// The settings.
    pub settings: Arc<SyncSettings>,
    fanout: Fanout,
    mailer: Option<crate::email::Mailer>,
    public_url: Option<String>,
}

/// Why Chatwoot could not be read.
#[derive(Debug, thiserror::Error)]
enum ReadError {
    #[error("Chatwoot refused the access token ({0}): paste a current administrator's token")]
    Refused(u16),
    #[error("Chatwoot answered {0} for {1}")]
    Status(u16, String),
    #[error("could not reach Chatwoot: {0}")]
    Network(String),
    #[error("Chatwoot's answer for {0} is not what Herald expects")]
    Shape(String),
}

impl ReadError {
    /// The answer's words (the full reason is kept as the connector's sync error).
    const fn public(&self) -> &'static str {
        match self {
            ReadError::Refused(_) => "Chatwoot refused the access token: paste a current administrator's token",
            ReadError::Network(_) => "Herald could not reach Chatwoot's API (the connector's sync_error says why)",
            ReadError::Status(..) | ReadError::Shape(_) => {
                "Chatwoot's API answered in a way Herald does not expect (the connector's sync_error says what)"
            }
        }
    }
}

/// One Chatwoot agent, as Herald keeps it.
#[derive(Debug, Clone)]
struct Member {
    name: String,
    email: String,
    groups: BTreeSet<String>,
}

impl Syncer {
    /// A syncer with its HTTP client.
    pub fn new(
        settings: SyncSettings,
        fanout: Fanout,
        mailer: Option<crate::email::Mailer>,
        public_url: Option<String>,
    ) -> Result<Syncer, reqwest::Error> {
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .user_agent(concat!("herald-server/", env!("CARGO_PKG_VERSION")));
        if settings.allow_private {
            tracing::warn!("helpdesk APIs on private addresses and plain http are allowed");
        } else {
            client = client.dns_resolver(Arc::new(crate::push::endpoint::PublicOnly));
        }
        Ok(Syncer {
            client: client.build()?,
            settings: Arc::new(settings),
            fanout,
            mailer,
            public_url,
        })
    }

    async fn get(&self, base: &str, token: &str, path: &str) -> Result<Value, ReadError> {
        let response = self
            .client
            .get(format!("{base}{path}"))
            .header("api_access_token", token)
            .send()
            .await
            .map_err(|e| ReadError::Network(e.without_url().to_string()))?;
        match response.status().as_u16() {
            200 => response
                .json()
                .await
                .map_err(|_| ReadError::Shape(path.to_owned())),
            code @ (401 | 403) => Err(ReadError::Refused(code)),
            code => Err(ReadError::Status(code, path.to_owned())),
        }
    }

    /// A list from an answer that is `[...]` or `{"payload": [...]}`.
    async fn list(&self, base: &str, token: &str, path: &str) -> Result<Vec<Value>, ReadError> {
        match self.get(base, token, path).await? {
            Value::Array(items) => Ok(items),
            Value::Object(mut o) => match o.remove("payload") {
                Some(Value::Array(items)) => Ok(items),
                _ => Err(ReadError::Shape(path.to_owned())),
            },
            _ => Err(ReadError::Shape(path.to_owned())),
        }
    }

    /// The account's agents with their groups, by Chatwoot user id.
    async fn read(
        &self,
        base: &str,
        token: &str,
        account: &str,
    ) -> Result<HashMap<String, Member>, ReadError> {
        let root = format!("/api/v1/accounts/{account}");
        let mut members: HashMap<String, Member> = HashMap::new();
        for agent in self
            .list(base, token, &format!("{root}/agents"))
            .await?
            .iter()
            .take(MAX_AGENTS)
        {
            let (Some(id), Some(email)) =
                (id_of(agent), agent.get("email").and_then(Value::as_str))
            else {
                continue;
            };
            let name = agent
                .get("available_name")
                .or_else(|| agent.get("name"))
                .and_then(Value::as_str)
                .unwrap_or(email);
            members.insert(
                id,
                Member {
                    name: name.to_owned(),
                    email: email.to_owned(),
                    groups: BTreeSet::new(),
                },
            );
        }
        let groups = [
            (
                "inbox",
                format!("{root}/inboxes"),
                format!("{root}/inbox_members/"),
            ),
            ("team", format!("{root}/teams"), format!("{root}/teams/")),
        ];
        for (kind, list, members_path) in groups {
            for group in self.list(base, token, &list).await?.iter().take(MAX_GROUPS) {
                let Some(group_id) = id_of(group) else {
                    continue;
                };
                let path = if kind == "team" {
                    format!("{members_path}{group_id}/team_members")
                } else {
                    format!("{members_path}{group_id}")
                };
                for member in self.list(base, token, &path).await? {
                    if let Some(m) = id_of(&member).and_then(|id| members.get_mut(&id)) {
                        m.groups.insert(format!("{kind}:{group_id}"));
                    }
                }
            }
        }
        Ok(members)
    }

    /// Syncs one connector's agents now, and records how it went.
    pub async fn sync(
        &self,
        db: &Db,
        connector: Uuid,
        now: DateTime<Utc>,
    ) -> Result<SyncReport, AppError> {
        let row = sqlx::query(
            "SELECT workspace_id, account_id, base_url, api_url, api_token FROM connectors \
             WHERE id = $1 AND disabled_at IS NULL",
        )
        .bind(connector.to_string())
        .fetch_optional(&db.reader)
        .await?
        .ok_or(AppError::NotFound("no such connector"))?;
        let token: Option<String> = row.try_get("api_token")?;
        let token = token.ok_or_else(|| {
            AppError::invalid("this connector has no Chatwoot access token, so it cannot read the account's agents")
        })?;
        let ws = crate::auth::parse_uuid(&row.try_get::<String, _>("workspace_id")?)?;
        let account: String = row.try_get("account_id")?;
        let api_url: Option<String> = row.try_get("api_url")?;
        let base = api_url.unwrap_or(row.try_get("base_url")?);
        let (result, error) = match self.read(&base, &token, &account).await {
            Ok(members) => match self.apply(db, ws, connector, members, now).await {
                Ok(report) => (Ok(report), None),
                Err(e) => {
                    let message = e.to_string();
                    (Err(e), Some(message))
                }
            },
            Err(e) => {
                tracing::warn!(%connector, error = %e, "agent sync failed");
                let message = e.to_string();
                (Err(AppError::Unavailable(e.public())), Some(message))
            }
        };
        sqlx::query("UPDATE connectors SET synced_at = $1, sync_error = $2 WHERE id = $3")
            .bind(SqlTime(now))
            .bind(error)
            .bind(connector.to_string())
            .execute(&db.writer)
            .await?;
        result
    }

    async fn apply(
        &self,
        db: &Db,
        ws: Uuid,
        connector: Uuid,
        members: HashMap<String, Member>,
        now: DateTime<Utc>,
    ) -> Result<SyncReport, AppError> {
        let mut report = SyncReport::default();
        let existing: HashMap<String, AdminAgent> = provisioning::list_agents(db, ws)
            .await?
            .into_iter()
            .map(|a| (a.external_id.clone(), a))
            .collect();
        let mine = connector.to_string();
        // The agents this connector made: only those leave with the account.
        let ours: HashSet<String> = sqlx::query_scalar(
            "SELECT external_id FROM agents WHERE workspace_id = $1 AND synced_by = $2",
        )
        .bind(ws.to_string())
        .bind(&mine)
        .fetch_all(&db.reader)
        .await?
        .into_iter()
        .collect();
        let mut ids: Vec<&String> = members.keys().collect();
        ids.sort();
        for user in ids {
            let member = &members[user];
            let groups: Vec<String> = member.groups.iter().cloned().collect();
            match existing.get(user) {
                Some(before) => {
                    let id = before.id;
                    let update = AgentUpdate {
                        name: (before.name != member.name).then(|| member.name.clone()),
                        email: (before.email != member.email.to_lowercase())
                            .then(|| member.email.clone()),
                        groups: (before.groups != groups).then(|| groups.clone()),
                        disabled: (before.disabled && ours.contains(user)).then_some(false),
                    };
                    if update == AgentUpdate::default() {
                        continue;
                    }
                    match provisioning::update_agent(db, ws, id, &update, now).await {
                        Ok(after) => report.updated.push(after.email),
                        Err(e) => report
                            .skipped
                            .push(format!("Chatwoot user {user} ({}): {e}", member.email)),
                    }
                }
                None => {
                    let req = NewAgentRequest {
                        external_id: user.clone(),
                        email: member.email.clone(),
                        name: member.name.clone(),
                        groups,
                        password: None,
                    };
                    let agent = match provisioning::create_agent(db, ws, &req, now).await {
                        Ok(agent) => agent,
                        Err(AppError::Conflict(_)) => {
                            report.skipped.push(format!(
                                "Chatwoot user {user} ({}): another agent has that email",
                                member.email
                            ));
                            continue;
                        }
                        Err(e) => {
                            report
                                .skipped
                                .push(format!("Chatwoot user {user} ({}): {e}", member.email));
                            continue;
                        }
                    };
                    sqlx::query("UPDATE agents SET synced_by = $1 WHERE id = $2")
                        .bind(&mine)
                        .bind(agent.id.to_string())
                        .execute(&db.writer)
                        .await?;
                    match &self.public_url {
                        Some(base) => {
                            let link = crate::setup_links::create(
                                db,
                                self.mailer.as_ref(),
                                ws,
                                agent.id,
                                base,
                                now,
                            )
                            .await?;
                            report.links_emailed += u32::from(link.emailed);
                        }
                        None => report.skipped.push(format!(
                            "{}: no set-up link (the server has no --public-url)",
                            agent.email
                        )),
                    }
                    report.created.push(agent.email);
                }
            }
        }
        for (user, agent) in &existing {
            if members.contains_key(user) || !ours.contains(user) || agent.disabled {
                continue;
            }
            let id = agent.id;
            let update = AgentUpdate {
                disabled: Some(true),
                ..AgentUpdate::default()
            };
            provisioning::update_agent(db, ws, id, &update, now).await?;
            self.fanout
                .close_agent(id, CloseReason::AgentDisabled)
                .await;
            report.disabled.push(agent.email.clone());
        }
        report.created.sort();
        report.updated.sort();
        report.disabled.sort();
        tracing::info!(
            %connector,
            created = report.created.len(),
            updated = report.updated.len(),
            disabled = report.disabled.len(),
            "agents synced from Chatwoot"
        );
        Ok(report)
    }
}

fn id_of(v: &Value) -> Option<String> {
    match v.get("id")? {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s)
            if !s.is_empty() && s.len() <= 20 && s.chars().all(|c| c.is_ascii_digit()) =>
        {
            Some(s.clone())
        }
        _ => None,
    }
}

/// Syncs every connector with an access token on start, then every interval.
pub fn start_worker(
    db: Db,
    syncer: Syncer,
    clock: herald_protocol::Clock,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let ids: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM connectors WHERE disabled_at IS NULL AND api_token IS NOT NULL",
            )
            .fetch_all(&db.reader)
            .await
            .unwrap_or_default();
            for id in ids {
                if shutdown.is_cancelled() {
                    return;
                }
                let Ok(id) = Uuid::parse_str(&id) else {
                    continue;
                };
                if let Err(err) = syncer.sync(&db, id, clock.now()).await {
                    tracing::info!(connector = %id, error = %err, "scheduled agent sync failed");
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(syncer.settings.interval) => {}
            }
        }
    })
}
