//! `herald-server ingest-key …` and `admin-key …`: the platform's ingest keys and the
//! workspace admins' keys for the provisioning API (the binary's commands).

use clap::Subcommand;
use herald_server::admin;
use herald_server::db::Db;
use uuid::Uuid;

/// The commands.
#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create an ingest key (shown once).
    Create {
        /// Workspace name (created if missing).
        #[arg(long)]
        workspace: String,
        /// A label to recognise it by.
        #[arg(long)]
        label: Option<String>,
        /// Also make a signing secret, for a platform that signs each event
        /// (`POST /api/v1/events/signed`) instead of sending the key.
        #[arg(long)]
        signed: bool,
    },
    /// List ingest keys (ids, not the keys).
    List,
    /// Revoke an ingest key.
    Revoke {
        /// The key's id.
        id: Uuid,
    },
}

/// Runs one command.
pub async fn run(db: &Db, cmd: KeyCommand) -> anyhow::Result<()> {
    match cmd {
        KeyCommand::Create {
            workspace,
            label,
            signed: false,
        } => {
            let (id, key) = admin::create_ingest_key(db, &workspace, label.as_deref()).await?;
            println!("ingest key {id} for {workspace}:\n{key}\n(shown once; store it in the platform's settings)");
        }
        KeyCommand::Create {
            workspace,
            label,
            signed: true,
        } => {
            let (id, key, secret) =
                admin::create_signed_ingest_key(db, &workspace, label.as_deref()).await?;
            println!(
                "ingest key {id} for {workspace}:\n{key}\nsigning secret (X-Herald-Key: {id}):\n{secret}\n\
                 (shown once; store them in the platform's settings)"
            );
        }
        KeyCommand::List => {
            for (id, workspace, label, revoked) in admin::list_ingest_keys(db).await? {
                let state = if revoked { "revoked" } else { "active" };
                println!("{id}\t{workspace}\t{}\t{state}", label.unwrap_or_default());
            }
        }
        KeyCommand::Revoke { id } => {
            admin::revoke_ingest_key(db, id).await?;
            println!("revoked ingest key {id}");
        }
    }
    Ok(())
}

/// The admin-key commands.
#[derive(Subcommand, Debug)]
pub enum AdminKeyCommand {
    /// Create an admin key for a workspace's provisioning API (`/api/v1/admin/…`; shown once).
    Create {
        /// Workspace name (created if missing).
        #[arg(long)]
        workspace: String,
        /// A label to recognise it by.
        #[arg(long)]
        label: Option<String>,
    },
    /// Revoke an admin key.
    Revoke {
        /// The key's id.
        id: Uuid,
    },
}

/// Runs one admin-key command.
pub async fn run_admin(db: &Db, cmd: AdminKeyCommand) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    match cmd {
        AdminKeyCommand::Create { workspace, label } => {
            let ws = admin::ensure_workspace(db, &workspace).await?;
            let (id, key) =
                herald_server::provisioning::create_admin_key(db, ws, label.as_deref(), now)
                    .await?;
            println!("admin key {id} for {workspace}:\n{key}\n(shown once; it administers this workspace only)");
        }
        AdminKeyCommand::Revoke { id } => {
            herald_server::provisioning::revoke_admin_key(db, id, now).await?;
            println!("revoked admin key {id}");
        }
    }
    Ok(())
}
