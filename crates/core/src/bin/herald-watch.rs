//! `herald-watch`: the headless front. Signs in, follows the stream (surviving disconnects
//! like the app does) and prints one line per notification on stdout, and connection
//! changes on stderr. For servers, scripts and tests.
//!
//! ```text
//! HERALD_PASSWORD=… herald-watch --server https://herald.acme.com --email ana@acme.com
//! ```

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use herald_core::api::Api;
use herald_core::client::{heading, Client, ClientConfig};
use herald_core::config::ServerUrl;
use herald_core::error::Result;
use herald_core::ports::{EventSink, Notifier, OsNotification, UiEvent};
use herald_core::sensitive::Sensitive;
use herald_core::state::{FileState, LocalState, MemoryState};
use tokio_util::sync::CancellationToken;

/// Follow an agent's Herald notifications from a terminal.
#[derive(Parser, Debug)]
#[command(name = "herald-watch", version, about)]
struct Args {
    /// The Herald server (https, or http to this computer).
    #[arg(long, env = "HERALD_SERVER")]
    server: String,
    /// The agent's email.
    #[arg(long, env = "HERALD_EMAIL")]
    email: String,
    /// Allow plain http to another computer (development only).
    #[arg(long)]
    insecure: bool,
    /// Keep the stream position in this file, to resume after a restart without re-printing.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Also print items that raise no notification (bell only).
    #[arg(long)]
    all: bool,
}

/// Prints to stdout / stderr.
struct Terminal {
    all: bool,
}

fn one_line(text: &str) -> String {
    // Control characters from hostile text must not drive the terminal.
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl Notifier for Terminal {
    fn show(&self, n: &OsNotification) -> Result<()> {
        println!("NOTIFY {} | {}", one_line(&n.title), one_line(&n.body));
        Ok(())
    }
}

impl EventSink for Terminal {
    fn emit(&self, event: UiEvent) {
        match event {
            UiEvent::Item {
                notification,
                local,
                ..
            } if self.all && !local.push.delivers() => {
                println!(
                    "BELL   {} | {}",
                    one_line(&heading(&notification, herald_core::protocol::Language::En)),
                    one_line(&notification.body)
                );
            }
            UiEvent::Connection { state } => eprintln!(
                "connection: {}",
                serde_json::to_string(&state).unwrap_or_default()
            ),
            UiEvent::Unread { unread } => eprintln!("unread: {}", unread.total),
            _ => {}
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HERALD_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let password = match std::env::var("HERALD_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprint!("password for {}: ", args.email);
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let url = ServerUrl::parse(&args.server, args.insecure)?;
    let api = Api::new(url)?;
    let (token, agent) = api
        .sign_in(&args.email, &Sensitive::new(password), Some("herald-watch"))
        .await?;
    eprintln!("signed in as {} ({})", agent.name, agent.workspace);
    let local: Arc<dyn LocalState> = match &args.state {
        Some(path) => Arc::new(FileState::new(path)),
        None => Arc::new(MemoryState::default()),
    };
    let terminal = Arc::new(Terminal { all: args.all });
    let client = Client::new(
        api.clone(),
        token.clone(),
        local,
        terminal.clone(),
        terminal,
        ClientConfig::default(),
    )?;
    let stop = CancellationToken::new();
    let mut run = tokio::spawn({
        let (client, stop) = (client.clone(), stop.clone());
        async move { client.run(stop).await }
    });
    let ended = tokio::select! {
        _ = tokio::signal::ctrl_c() => {
            stop.cancel();
            (&mut run).await
        }
        ended = &mut run => ended,
    };
    // The session was only for this run.
    let _ = api.sign_out(&token).await;
    ended.context("the stream task failed")??;
    Ok(())
}
