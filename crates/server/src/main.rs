//! `herald-server`: serve, run the demo, administer.

mod admin_cli;
mod connector_cli;
mod key_cli;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use herald_server::db::{DatabaseUrl, Db};
use herald_server::{demo, ServerConfig};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

/// Herald's notification service.
#[derive(Parser, Debug)]
#[command(name = "herald-server", version, about)]
struct Cli {
    /// Optional TOML file with `bind`, `public_url`, `database` and `log` (flags and
    /// environment win over it).
    #[arg(long, env = "HERALD_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Database: a SQLite file path or sqlite://path (default: herald.db in the platform's
    /// data directory), or postgres://user:password@host:port/database.
    #[arg(long, env = "HERALD_DATABASE_URL", global = true)]
    database: Option<String>,
    /// Log filter, e.g. `info` or `herald_server=debug`.
    #[arg(long, env = "HERALD_LOG", global = true)]
    log: Option<String>,
    /// Log lines as `text` (default) or `json` (one object per line, for log collectors).
    #[arg(long, env = "HERALD_LOG_FORMAT", global = true, default_value = "text")]
    log_format: LogFormat,
    /// Threads for network I/O and request handling (default: one fewer than the cores,
    /// at least one). The database writer runs on a thread of its own beside them; more
    /// I/O threads than spare cores only take turns with it and with each other.
    #[arg(long, env = "HERALD_IO_THREADS", global = true)]
    io_threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    /// For people.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the API.
    Serve(ServeArgs),
    /// Run the embedded demo: its own database, seeded agents, simulated traffic.
    Demo(DemoArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Print the OpenAPI description of the REST API.
    Openapi,
    /// Manage agents.
    #[command(subcommand)]
    Agent(admin_cli::AgentCommand),
    /// Manage the platform's ingest keys.
    #[command(subcommand, name = "ingest-key")]
    IngestKey(key_cli::KeyCommand),
    /// Manage workspace admins' keys (the provisioning API).
    #[command(subcommand, name = "admin-key")]
    AdminKey(key_cli::AdminKeyCommand),
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(admin_cli::WorkspaceCommand),
    /// Connect helpdesks (Chatwoot) whose webhooks notify agents.
    #[command(subcommand)]
    Connector(connector_cli::ConnectorCommand),
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HERALD_BIND")]
    bind: Option<SocketAddr>,
    /// The public URL agents and the platform reach this server at.
    #[arg(long, env = "HERALD_PUBLIC_URL")]
    public_url: Option<String>,
    /// The SMTP relay for email: smtp://host:25, smtp://user:pass@host:587?tls=required
    /// (STARTTLS) or smtps://user:pass@host:465. Without it, email is off.
    #[arg(long, env = "HERALD_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of Herald's emails.
    #[arg(long, env = "HERALD_MAIL_FROM")]
    mail_from: Option<String>,
    /// Who runs this server, told to browsers' push services (VAPID `sub`): mailto:… or
    /// https://…. Default: the public URL when https, else the mail sender's address.
    #[arg(long, env = "HERALD_PUSH_CONTACT")]
    push_contact: Option<String>,
    /// Accept push endpoints over plain http and on private addresses. Tests and local
    /// set-ups only: it lets anyone who can sign in make the server post inside its network.
    #[arg(long, env = "HERALD_PUSH_ALLOW_INSECURE_ENDPOINTS")]
    push_allow_insecure_endpoints: bool,
    /// Apple's push service for phones: the .p8 key file from the Apple developer account
    /// (with --apns-key-id and --apns-team-id). Without it, phones get no push.
    #[arg(long, env = "HERALD_APNS_KEY")]
    apns_key: Option<PathBuf>,
    /// The APNs key's id.
    #[arg(long, env = "HERALD_APNS_KEY_ID")]
    apns_key_id: Option<String>,
    /// The Apple developer team id.
    #[arg(long, env = "HERALD_APNS_TEAM_ID")]
    apns_team_id: Option<String>,
    /// APNs' address: production (default), sandbox (development builds of the app), or a
    /// URL (tests, staging).
    #[arg(long, env = "HERALD_APNS_URL", default_value = "production")]
    apns_url: String,
    /// Firebase Cloud Messaging for Android phones: the service account's JSON key file
    /// from the Firebase console. Without it, Android phones get no push.
    #[arg(long, env = "HERALD_FCM_SERVICE_ACCOUNT")]
    fcm_service_account: Option<PathBuf>,
    /// FCM's address (a URL for tests and staging).
    #[arg(long, env = "HERALD_FCM_URL", default_value = herald_server::push::fcm::PRODUCTION)]
    fcm_url: String,
    /// Let connectors reach helpdesk APIs over plain http and on private addresses (Chatwoot
    /// inside your own network). Workspace admins can then make the server call inside it.
    #[arg(long, env = "HERALD_CONNECTORS_ALLOW_PRIVATE")]
    connectors_allow_private: bool,
    /// Minutes between agent syncs of connectors with an access token.
    #[arg(long, env = "HERALD_AGENT_SYNC_MINUTES", default_value_t = 15)]
    agent_sync_minutes: u64,
    /// The built web app to serve at / (default: ui/dist of the source tree this server
    /// was built from).
    #[arg(long, env = "HERALD_WEB_DIR")]
    web_dir: Option<PathBuf>,
    /// Reverse proxies (nginx) in front of this server, as addresses or networks
    /// (`127.0.0.1,10.0.0.0/8`): their X-Forwarded-For names the caller, for the sign-in
    /// limits per address and /metrics. Without it the header is ignored.
    #[arg(long, env = "HERALD_TRUSTED_PROXIES", value_delimiter = ',',
          value_parser = herald_server::http::parse_trusted)]
    trusted_proxy: Vec<ipnet::IpNet>,
}

#[derive(Args, Debug)]
struct DemoArgs {
    /// Address to listen on.
    #[arg(long, env = "HERALD_BIND", default_value = "127.0.0.1:7878")]
    bind: SocketAddr,
    /// Simulated events per second.
    #[arg(long, default_value_t = 0.5)]
    rate: f64,
    /// Where the demo keeps its database (default: herald-demo in the data directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// The optional config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<SocketAddr>,
    public_url: Option<String>,
    database: Option<String>,
    log: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    push_contact: Option<String>,
}

/// The VAPID contact: as given, else the https public URL, else the mail sender's address.
fn push_contact(
    given: Option<String>,
    public_url: Option<&str>,
    mail_from: Option<&str>,
) -> anyhow::Result<String> {
    if let Some(contact) = given {
        if !(contact.starts_with("mailto:") || contact.starts_with("https://")) {
            bail!("--push-contact must be mailto:… or https://…, got {contact:?}");
        }
        return Ok(contact);
    }
    if let Some(url) = public_url.filter(|u| u.starts_with("https://")) {
        return Ok(url.to_owned());
    }
    let address = mail_from
        .and_then(|from| from.parse::<lettre::message::Mailbox>().ok())
        .map(|mailbox| format!("mailto:{}", mailbox.email));
    Ok(address.unwrap_or_else(|| {
        eprintln!(
            "push: no --push-contact, https --public-url or --mail-from; push services are told \"mailto:herald@localhost\" (some refuse it)"
        );
        "mailto:herald@localhost".into()
    }))
}

fn data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("herald")
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let io_threads = cli.io_threads.unwrap_or(cores.saturating_sub(1)).max(1);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(io_threads)
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = match &cli.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading config file {}", path.display()))?;
            toml::from_str::<FileConfig>(&text)
                .with_context(|| format!("config file {}", path.display()))?
        }
        None => FileConfig::default(),
    };
    let log = cli
        .log
        .clone()
        .or(file.log.clone())
        .unwrap_or_else(|| "info".into());
    let filter = tracing_subscriber::EnvFilter::try_new(&log).context("bad --log filter")?;
    match cli.log_format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
    }
    let database = cli
        .database
        .clone()
        .or(file.database.clone())
        .unwrap_or_else(|| data_dir().join("herald.db").display().to_string());

    match cli.command {
        Command::Serve(args) => {
            let bind = args
                .bind
                .or(file.bind)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 7878)));
            let public_url = args.public_url.or(file.public_url);
            if let Some(url) = &public_url {
                tracing::info!(public_url = %url, "public URL");
            }
            let mut config = ServerConfig::new(bind, DatabaseUrl::parse(&database)?);
            let mail_from = args.mail_from.or(file.mail_from);
            config.push.contact = push_contact(
                args.push_contact.or(file.push_contact),
                public_url.as_deref(),
                mail_from.as_deref(),
            )?;
            config.push.allow_insecure_endpoints = args.push_allow_insecure_endpoints;
            config.push.apns = match (args.apns_key, args.apns_key_id, args.apns_team_id) {
                (Some(key_file), Some(key_id), Some(team_id)) => {
                    Some(herald_server::push::apns::ApnsConfig {
                        key_file,
                        key_id,
                        team_id,
                        base_url: match args.apns_url.as_str() {
                            "production" => herald_server::push::apns::PRODUCTION.into(),
                            "sandbox" => herald_server::push::apns::SANDBOX.into(),
                            url => url.into(),
                        },
                    })
                }
                (None, None, None) => None,
                _ => bail!("APNs needs all of --apns-key, --apns-key-id and --apns-team-id"),
            };
            config.push.fcm = args.fcm_service_account.map(|service_account| {
                herald_server::push::fcm::FcmConfig {
                    service_account,
                    base_url: args.fcm_url,
                }
            });
            config.connectors.allow_private = args.connectors_allow_private;
            config.connectors.interval =
                std::time::Duration::from_secs(args.agent_sync_minutes.max(1) * 60);
            config.public_url.clone_from(&public_url);
            config.web_dir = args.web_dir;
            config.trusted_proxies = args.trusted_proxy;
            match (args.smtp_url.or(file.smtp_url), mail_from) {
                (Some(url), Some(from)) => {
                    let mut email = herald_server::email::EmailConfig::new(url, from);
                    email.public_url = public_url;
                    config.email = Some(email);
                }
                (Some(_), None) => {
                    bail!("--smtp-url needs --mail-from (e.g. \"Herald <herald@acme.example>\")")
                }
                _ => eprintln!(
                    "email is off: no --smtp-url (email preferences are kept, nothing is sent)"
                ),
            }
            let server = herald_server::start(config).await?;
            eprintln!("herald-server listening on {}", server.url());
            until_signal(server.shutdown_token()).await;
            server.shutdown().await;
        }
        Command::Demo(args) => run_demo(args).await?,
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&herald_server::openapi::document())?
            );
        }
        Command::Migrate => {
            let url = DatabaseUrl::parse(&database)?;
            let db = Db::open(&url).await?;
            db.close().await;
            eprintln!("database {url} is up to date");
        }
        Command::Agent(cmd) => {
            let db = Db::open(&DatabaseUrl::parse(&database)?).await?;
            let result = admin_cli::agent(&db, cmd).await;
            db.close().await;
            result?;
        }
        Command::Workspace(cmd) => {
            let db = Db::open(&DatabaseUrl::parse(&database)?).await?;
            let result = admin_cli::workspace(&db, cmd).await;
            db.close().await;
            result?;
        }
        Command::IngestKey(cmd) => {
            let db = Db::open(&DatabaseUrl::parse(&database)?).await?;
            let result = key_cli::run(&db, cmd).await;
            db.close().await;
            result?;
        }
        Command::AdminKey(cmd) => {
            let db = Db::open(&DatabaseUrl::parse(&database)?).await?;
            let result = key_cli::run_admin(&db, cmd).await;
            db.close().await;
            result?;
        }
        Command::Connector(cmd) => {
            let db = Db::open(&DatabaseUrl::parse(&database)?).await?;
            let result = connector_cli::run(&db, cmd).await;
            db.close().await;
            result?;
        }
    }
    Ok(())
}

async fn run_demo(args: DemoArgs) -> anyhow::Result<()> {
    if args.rate.is_nan() || args.rate <= 0.0 {
        bail!("--rate must be more than 0 events per second");
    }
    let dir = args
        .data_dir
        .unwrap_or_else(|| data_dir().join("herald-demo"));
    let db_path: &Path = &dir.join("demo.db");
    let server = herald_server::start(ServerConfig::new(
        args.bind,
        DatabaseUrl::Sqlite(db_path.to_path_buf()),
    ))
    .await?;
    let key = demo::seed(&server.db).await?;
    println!("Herald demo server: {}", server.url());
    println!("  database: {}", db_path.display());
    println!("  workspace: {}", demo::WORKSPACE);
    for (_, name, email, group) in demo::AGENTS {
        println!(
            "  agent: {email:<26} password: {}   ({name}, {group})",
            demo::PASSWORD
        );
    }
    println!(
        "  simulated traffic: {} events/s through POST /api/v1/events",
        args.rate
    );
    println!("Press Ctrl+C to stop.");
    let stop = server.shutdown_token();
    let simulator = tokio::spawn(demo::simulate(
        server.url(),
        key,
        args.rate,
        stop.child_token(),
    ));
    until_signal(stop.clone()).await;
    stop.cancel();
    let _ = simulator.await;
    server.shutdown().await;
    Ok(())
}

/// Waits for Ctrl+C or SIGTERM (or for the token to be cancelled elsewhere).
async fn until_signal(token: CancellationToken) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
        () = token.cancelled() => {}
    }
    tracing::info!("shutting down");
}
