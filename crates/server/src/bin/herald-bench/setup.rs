//! The servers under test: one node or several on one fresh database, seeded with agents
//! that share one password, and an ingest key.

use chrono::Utc;
use herald_protocol::{ActorRef, ConversationRef, EventKind, PlatformEvent};
use herald_server::admin::{self, NewAgent};
use herald_server::db::DatabaseUrl;
use herald_server::ServerConfig;

/// Every bench agent's password.
pub const PASSWORD: &str = "bench password";

/// An assignment of conversation `c-<agent>` to agent `a<agent>`.
pub fn event(id: String, agent: usize) -> PlatformEvent {
    PlatformEvent {
        id,
        kind: EventKind::Assignment,
        occurred_at: Utc::now(),
        conversation: Some(ConversationRef {
            id: format!("c-{agent}"),
            inbox_id: None,
            team_id: None,
            subject: Some("Order #4821 did not arrive".into()),
            customer_name: Some("Marina Costa".into()),
            url: None,
        }),
        actor: Some(ActorRef {
            agent_id: None,
            name: "Router".into(),
        }),
        assignee: Some(format!("a{agent}")),
        mentioned: vec![],
        participants: vec![],
        text: Some("Olá, alguma novidade sobre o meu pedido?".into()),
        module: None,
        recipients: vec![],
        teams: vec![],
    }
}

/// Running nodes on one database.
pub struct Setup {
    pub nodes: Vec<herald_server::Running>,
    pub key: String,
    _dir: tempfile::TempDir,
}

impl Setup {
    /// Each node's `http://` URL.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(herald_server::Running::url).collect()
    }

    /// Live streams over all nodes.
    pub fn connections(&self) -> usize {
        self.nodes.iter().map(|n| n.hub.connections()).sum()
    }

    pub async fn shutdown(self) {
        for node in self.nodes {
            node.shutdown().await;
        }
    }
}

/// Adds `agents` agents sharing one password hash (hashing is not what is measured).
pub async fn seed_agents(db: &herald_server::db::Db, agents: usize) -> anyhow::Result<()> {
    let hash = herald_server::passwords::hash_password(PASSWORD)?;
    for i in 0..agents {
        let new = NewAgent {
            workspace: "Bench".into(),
            external_id: format!("a{i}"),
            email: format!("a{i}@bench.test"),
            name: format!("Agent {i}"),
            password: String::new(),
            groups: vec![],
        };
        admin::add_agent_with_hash(db, &new, &hash).await?;
    }
    Ok(())
}

/// A new database: a SQLite file in `dir`, or a new database in the PostgreSQL cluster.
async fn database(dir: &std::path::Path, postgres: Option<&str>) -> anyhow::Result<DatabaseUrl> {
    use sqlx::{Connection as _, Executor as _};
    let Some(cluster) = postgres else {
        return Ok(DatabaseUrl::Sqlite(dir.join("bench.db")));
    };
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(cluster).await?;
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    admin.close().await?;
    let mut url = url::Url::parse(cluster)?;
    url.set_path(&name);
    Ok(DatabaseUrl::Postgres(url.to_string()))
}

/// `nodes` servers (more than one only on PostgreSQL) on a new database with `agents`
/// agents, each node's writer committing up to `batch` events at once.
pub async fn setup(
    agents: usize,
    batch: usize,
    postgres: Option<&str>,
    nodes: usize,
) -> anyhow::Result<Setup> {
    let dir = tempfile::tempdir()?;
    let database = database(dir.path(), postgres).await?;
    let mut running = Vec::new();
    for _ in 0..nodes.max(1) {
        let mut config = ServerConfig::new("127.0.0.1:0".parse()?, database.clone());
        config.ingest_batch = batch;
        config.sign_in_limits = (usize::MAX, usize::MAX);
        running.push(herald_server::start(config).await?);
    }
    seed_agents(&running[0].db, agents).await?;
    let (_, key) = admin::create_ingest_key(&running[0].db, "Bench", None).await?;
    Ok(Setup {
        nodes: running,
        key,
        _dir: dir,
    })
}
