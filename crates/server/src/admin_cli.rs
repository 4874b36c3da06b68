//! `herald-server agent …` and `workspace …`: agents and workspaces from a shell (the
//! binary's commands; the library's `admin` and `provisioning` modules do the work).

use clap::Subcommand;
use herald_server::admin;
use herald_server::db::Db;

#[derive(Subcommand, Debug)]
pub enum WorkspaceCommand {
    /// Set the origins the platform's conversation links may point to (replacing the
    /// earlier list). Ingested links elsewhere, or not https, are dropped from the item and
    /// reported in the ingest answer.
    Links {
        /// Workspace name (created if missing).
        #[arg(long)]
        workspace: String,
        /// An origin, `https://host[:port]`; repeat for several; none keeps no links.
        #[arg(long = "origin")]
        origins: Vec<String>,
    },
    /// List workspaces and their link origins.
    List,
}

#[derive(Subcommand, Debug)]
pub enum AgentCommand {
    /// Add an agent (prints a generated password unless --password is given).
    Add {
        /// Workspace name (created if missing).
        #[arg(long)]
        workspace: String,
        /// The platform's id of the agent.
        #[arg(long)]
        external_id: String,
        /// Sign-in and profile email.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Password (8 characters or more); read from HERALD_AGENT_PASSWORD if set.
        #[arg(long, env = "HERALD_AGENT_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Inbox or team memberships, e.g. inbox:support or team:billing (repeatable).
        #[arg(long = "group")]
        groups: Vec<String>,
    },
    /// List agents.
    List {
        /// Only this workspace.
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Disable an agent: revokes its sessions and closes its live streams.
    Disable {
        /// The agent's email.
        email: String,
    },
}

pub async fn agent(db: &Db, cmd: AgentCommand) -> anyhow::Result<()> {
    match cmd {
        AgentCommand::Add {
            workspace,
            external_id,
            email,
            name,
            password,
            groups,
        } => {
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (generated_password(), true),
            };
            let id = admin::add_agent(
                db,
                &admin::NewAgent {
                    workspace,
                    external_id,
                    email: email.clone(),
                    name,
                    password: password.clone(),
                    groups,
                },
            )
            .await?;
            println!("added agent {email} ({id})");
            if generated {
                println!("password: {password}");
            }
        }
        AgentCommand::List { workspace } => {
            for a in admin::list_agents(db, workspace.as_deref()).await? {
                let state = if a.disabled { "disabled" } else { "active" };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{state}",
                    a.id, a.workspace, a.external_id, a.email, a.name
                );
            }
        }
        AgentCommand::Disable { email } => {
            admin::disable_agent(db, &email).await?;
            println!("disabled {email}; its sessions are revoked");
        }
    }
    Ok(())
}

pub async fn workspace(db: &Db, cmd: WorkspaceCommand) -> anyhow::Result<()> {
    match cmd {
        WorkspaceCommand::Links { workspace, origins } => {
            let kept = admin::set_link_origins(db, &workspace, &origins).await?;
            if kept.is_empty() {
                println!("{workspace}: no link origins; conversation links will be dropped");
            } else {
                println!("{workspace}: links kept to {}", kept.join(", "));
            }
        }
        WorkspaceCommand::List => {
            for w in admin::list_workspaces(db).await? {
                let origins = if w.link_origins.is_empty() {
                    "(no link origins)".to_owned()
                } else {
                    w.link_origins.join(", ")
                };
                println!("{}\t{origins}", w.name);
            }
        }
    }
    Ok(())
}

fn generated_password() -> String {
    let (token, _) = herald_server::token::new_token("");
    token[..20].to_owned()
}
