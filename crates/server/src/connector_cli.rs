//! `herald-server connector …`: connect a helpdesk (the binary's commands; the library's
//! `connectors` module does the work).

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use herald_server::connectors;
use herald_server::db::Db;

/// The commands.
#[derive(Subcommand, Debug)]
pub enum ConnectorCommand {
    /// Connect a Chatwoot account: its webhooks then notify this workspace's agents.
    AddChatwoot {
        /// Workspace name (created if missing).
        #[arg(long)]
        workspace: String,
        /// The Chatwoot account id (the number in its dashboard's URLs: /app/accounts/N/…).
        #[arg(long)]
        account_id: String,
        /// The Chatwoot address, e.g. https://chat.acme.example (links to conversations go
        /// there; it becomes one of the workspace's link origins).
        #[arg(long)]
        url: String,
        /// A file holding the webhook's secret as Chatwoot shows it, or `-` to read it from
        /// standard input (never as an argument: other users can see those).
        #[arg(long)]
        secret_file: PathBuf,
        /// This server's public address, to print the webhook URL to paste into Chatwoot.
        #[arg(long, env = "HERALD_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// List connectors (never their secrets).
    List,
}

/// Runs one command.
pub async fn run(db: &Db, cmd: ConnectorCommand) -> anyhow::Result<()> {
    match cmd {
        ConnectorCommand::AddChatwoot {
            workspace,
            account_id,
            url,
            secret_file,
            public_url,
        } => {
            let secret = if secret_file.as_os_str() == "-" {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("reading the secret from standard input")?;
                s
            } else {
                std::fs::read_to_string(&secret_file)
                    .with_context(|| format!("reading {}", secret_file.display()))?
            };
            let id = connectors::add_chatwoot(
                db,
                &workspace,
                &account_id,
                &url,
                &secret,
                chrono::Utc::now(),
            )
            .await?;
            let path = format!("/api/v1/connectors/{id}/webhook");
            let base = public_url.as_deref().map(|u| u.trim_end_matches('/'));
            println!("connected Chatwoot account {account_id} to {workspace} ({id})");
            match base {
                Some(base) => println!("webhook URL for Chatwoot: {base}{path}"),
                None => println!("webhook URL for Chatwoot: https://<this server>{path}"),
            }
            println!(
                "in Chatwoot: Settings → Integrations → Webhooks → Add new webhook, with the events \
                 conversation created, conversation updated, conversation status changed and message created"
            );
        }
        ConnectorCommand::List => {
            for c in connectors::list(db).await? {
                println!(
                    "{}\t{}\t{}\taccount {}\t{}\t{} deliveries",
                    c.id, c.workspace, c.kind, c.account_id, c.base_url, c.deliveries
                );
            }
        }
    }
    Ok(())
}
