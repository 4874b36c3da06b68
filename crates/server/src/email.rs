//! Email: the SMTP relay, the outbox worker and the message templates.
//!
//! Alerts are queued by ingest (inside the same transaction as the inbox row) with a delay;
//! the worker sends them when due, skipping an alert whose item was read meanwhile and
//! folding the pending alerts of one conversation into one email. Temporary SMTP failures
//! are retried with backoff; permanent ones (5xx) and exhausted retries are recorded for
//! diagnostics. Delivery is at least once: the Message-ID is the outbox id, so a duplicate
//! after a crash mid-send is recognisable.
//!
//! Every interpolated value is escaped for HTML; header values lose control characters, and
//! lettre encodes them (RFC 2047), so names and subjects cannot inject headers.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use herald_protocol::{
    escape_markup, EmailFailure, EmailMode, EmailStatus, Language, Notification, Outcome,
    Preferences, TestEmailResult,
};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::response::Response;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::Row;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db::Db;
use crate::error::AppError;

/// Email settings.
#[derive(Clone)]
pub struct EmailConfig {
    /// `smtp://host:25` (plain, local relays), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://user:pass@host:465` (TLS).
    pub smtp_url: String,
    /// The sender, e.g. `Herald <herald@acme.example>`.
    pub from: String,
    /// How long an instant alert waits (skipped if the item is read meanwhile).
    pub alert_delay: Duration,
    /// First retry delay after a temporary failure (doubles each time, at most 1 h).
    pub retry_base: Duration,
    /// Attempts before an email is given up.
    pub max_attempts: u32,
    /// How often the worker looks for due emails.
    pub poll: Duration,
    /// How often the worker checks whose end-of-day summary is due.
    pub summary_poll: Duration,
    /// The clock of the email worker (tests move it; the policy itself never reads one).
    pub clock: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>,
    /// Where agents reach this server (`--public-url`): emails carry a signed one-click
    /// unsubscribe link under it. Without it, emails have no such link.
    pub public_url: Option<String>,
}

impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold the relay's password.
        f.debug_struct("EmailConfig")
            .field("smtp_url", &"<redacted>")
            .field("from", &self.from)
            .field("alert_delay", &self.alert_delay)
            .finish()
    }
}

impl EmailConfig {
    /// Defaults for a relay and a sender.
    pub fn new(smtp_url: impl Into<String>, from: impl Into<String>) -> EmailConfig {
        EmailConfig {
            smtp_url: smtp_url.into(),
            from: from.into(),
            alert_delay: Duration::from_secs(60),
            retry_base: Duration::from_secs(30),
            max_attempts: 8,
            poll: Duration::from_secs(1),
            summary_poll: Duration::from_secs(30),
            clock: Arc::new(Utc::now),
            public_url: None,
        }
    }
}

/// Why the email settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum EmailConfigError {
    /// The SMTP URL.
    #[error("bad SMTP URL (expected smtp://, smtps:// …): {0}")]
    Url(String),
    /// The sender.
    #[error("bad sender address {0:?}: expected like \"Herald <herald@acme.example>\"")]
    From(String),
}

/// Emails in flight at once (each waits for the relay's replies; in parallel, one slow
/// round trip does not hold up the others).
const SEND_CONCURRENCY: usize = 32;

/// The relay and the sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    config: EmailConfig,
    link_key: Option<Arc<Vec<u8>>>,
}

impl Mailer {
    /// Checks the settings; nothing is sent yet.
    pub fn new(config: EmailConfig) -> Result<Mailer, EmailConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .map_err(|e| EmailConfigError::Url(e.to_string()))?
            .timeout(Some(Duration::from_secs(20)))
            .pool_config(PoolConfig::new().max_size(SEND_CONCURRENCY as u32))
            .build();
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|_| EmailConfigError::From(config.from.clone()))?;
        Ok(Mailer {
            transport,
            from,
            config,
            link_key: None,
        })
    }

    /// Signs links with the database's key.
    pub fn with_link_key(mut self, key: Vec<u8>) -> Mailer {
        self.link_key = Some(Arc::new(key));
        self
    }

    /// The agent's one-click unsubscribe link, when a public URL is configured.
    pub fn unsubscribe_url(&self, agent_id: &str) -> Option<String> {
        let base = self.config.public_url.as_deref()?.trim_end_matches('/');
        let key = self.link_key.as_ref()?;
        let agent = Uuid::parse_str(agent_id).ok()?;
        let token = crate::links::sign(key, agent, (self.config.clock)() + crate::links::VALIDITY);
        Some(format!("{base}/api/v1/unsubscribe?token={token}"))
    }

    /// The settings.
    pub fn config(&self) -> &EmailConfig {
        &self.config
    }

    async fn send(&self, message: Message) -> Result<Response, lettre::transport::smtp::Error> {
        self.transport.send(message).await
    }
}

/// Strips control characters (CR, LF, …) from a header value.
pub fn header_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .chars()
        .take(200)
        .collect()
}

/// Herald's words in the agent's language (English, Brazilian Portuguese). Plain text:
/// escape before putting any of it in HTML.
#[derive(Debug, Clone, Copy)]
pub struct Texts(pub Language);

impl Texts {
    fn pt(self) -> bool {
        self.0 == Language::PtBr
    }

    fn hello(self, name: &str) -> String {
        if self.pt() {
            format!("Olá, {name},")
        } else {
            format!("Hello {name},")
        }
    }

    /// The line that says what happened.
    pub fn what(self, n: &Notification) -> String {
        n.headline(self.0)
    }

    fn burst(self, count: usize, title: &str) -> String {
        if self.pt() {
            format!("{count} novas em {title}")
        } else {
            format!("{count} new in {title}")
        }
    }

    fn open_conversation(self) -> &'static str {
        if self.pt() {
            "Abrir a conversa"
        } else {
            "Open the conversation"
        }
    }

    fn alert_footer(self) -> &'static str {
        if self.pt() {
            "Você recebe este e-mail porque suas preferências do Herald enviam estes eventos por e-mail. \
             Mude isso no Herald: Preferências, E-mail."
        } else {
            "You get this email because your Herald preferences send these events by email. \
             Change that in Herald: Preferences, Email."
        }
    }

    fn summary_footer(self) -> &'static str {
        if self.pt() {
            "Você recebe este resumo porque suas preferências do Herald enviam e-mail como resumo do dia. \
             Mude isso no Herald: Preferências, E-mail."
        } else {
            "You get this summary because your Herald preferences send email as an end-of-day summary. \
             Change that in Herald: Preferences, Email."
        }
    }

    fn stop_all(self) -> &'static str {
        if self.pt() {
            "Parar todos os e-mails do Herald"
        } else {
            "Stop all Herald emails"
        }
    }

    fn summary_subject(self, date: &str, new: usize, unread: i64) -> String {
        if self.pt() {
            format!("Seu resumo do Herald de {date}: {new} novas, {unread} não lidas")
        } else {
            format!("Your Herald summary for {date}: {new} new, {unread} unread")
        }
    }

    fn summary_intro(self, date: &str) -> String {
        if self.pt() {
            format!("Veja o que aconteceu em {date}.")
        } else {
            format!("Here is what happened on {date}.")
        }
    }

    fn other(self) -> &'static str {
        if self.pt() {
            "Outras notificações"
        } else {
            "Other notifications"
        }
    }

    fn unread(self) -> &'static str {
        if self.pt() {
            "não lida"
        } else {
            "unread"
        }
    }

    fn still_unread(self) -> &'static str {
        if self.pt() {
            "Ainda não lidas no Herald"
        } else {
            "Still unread in Herald"
        }
    }

    fn test_subject(self) -> &'static str {
        if self.pt() {
            "E-mail de teste do Herald"
        } else {
            "Herald test email"
        }
    }

    fn test_lines(self, email: &str) -> [String; 2] {
        if self.pt() {
            [
                format!("Este é um e-mail de teste do Herald. Se você consegue lê-lo, os e-mails do Herald chegam a {email}."),
                "Se ele caiu no spam, marque como \"não é spam\" para que alertas e resumos cheguem à sua caixa de entrada.".to_owned(),
            ]
        } else {
            [
                format!("This is a test email from Herald. If you can read it, Herald's emails reach {email}."),
                "If it landed in spam, mark it as not spam so alerts and summaries arrive in your inbox.".to_owned(),
            ]
        }
    }
}

/// The language in stored preferences (English when unreadable).
fn language_of(prefs_json: &str) -> Language {
    serde_json::from_str::<Preferences>(prefs_json).map_or(Language::En, |p| p.language)
}

/// Only https links go into an email; anything else is dropped.
fn safe_link(n: &Notification) -> Option<String> {
    n.conversation
        .as_ref()
        .and_then(|c| c.url.clone())
        .filter(|u| u.starts_with("https://") && !u.chars().any(char::is_whitespace))
}

/// Subject, plain text and HTML of an alert for one or more items of one conversation.
pub fn compose_alert(
    t: Texts,
    agent_name: &str,
    items: &[Notification],
    unsubscribe: Option<&str>,
) -> (String, String, String) {
    let first = &items[0];
    let subject = if items.len() == 1 {
        header_safe(&t.what(first))
    } else {
        header_safe(&t.burst(items.len(), &first.title))
    };
    let name = agent_name.replace(['\r', '\n'], " ");
    let mut text = format!("{}\n\n", t.hello(&name));
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>{}</p><ul>",
        escape_markup(&t.hello(&name))
    );
    for n in items {
        text.push_str(&format!("- {}\n", t.what(n)));
        html.push_str(&format!(
            "<li><strong>{}</strong>",
            escape_markup(&t.what(n))
        ));
        if !n.body.is_empty() {
            text.push_str(&format!("  {}\n", n.body));
            html.push_str(&format!("<br>{}", escape_markup(&n.body)));
        }
        html.push_str("</li>");
    }
    html.push_str("</ul>");
    if let Some(link) = safe_link(first) {
        text.push_str(&format!("\n{}: {link}\n", t.open_conversation()));
        html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape_markup(&link),
            escape_markup(t.open_conversation())
        ));
    }
    finish(t, &mut text, &mut html, t.alert_footer(), unsubscribe);
    (subject, text, html)
}

/// The footer, with the unsubscribe link when there is one.
fn finish(t: Texts, text: &mut String, html: &mut String, footer: &str, unsubscribe: Option<&str>) {
    text.push_str(&format!("\n--\n{footer}\n"));
    html.push_str(&format!(
        "<hr><p style=\"color:#666;font-size:12px\">{}",
        escape_markup(footer)
    ));
    if let Some(url) = unsubscribe {
        text.push_str(&format!("{}: {url}\n", t.stop_all()));
        html.push_str(&format!(
            " <a href=\"{}\">{}</a>",
            escape_markup(url),
            escape_markup(t.stop_all())
        ));
    }
    html.push_str("</p></body></html>");
}

fn build(
    mailer: &Mailer,
    id: Uuid,
    to: Mailbox,
    subject: &str,
    text: String,
    html: String,
    unsubscribe: Option<&str>,
) -> Result<Message, AppError> {
    let mut builder = Message::builder();
    if let Some(url) = unsubscribe {
        use lettre::message::header::{HeaderName, HeaderValue};
        // RFC 2369 and RFC 8058: mail clients show an "unsubscribe" button that POSTs here.
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    builder
        .from(mailer.from.clone())
        .to(to)
        .subject(header_safe(subject))
        .message_id(Some(format!("<{id}@herald>")))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )
        .map_err(|e| AppError::Internal(anyhow::anyhow!("building an email: {e}")))
}

fn recipient(name: &str, email: &str) -> Result<Mailbox, AppError> {
    let address = email.parse().map_err(|_| {
        AppError::invalid(format!(
            "the profile email {email:?} is not a valid address"
        ))
    })?;
    Ok(Mailbox::new(Some(header_safe(name)), address))
}

fn reply_text(response: &Response) -> String {
    response.message().collect::<Vec<&str>>().join(" ")
}

/// Sends a test email now and says what the relay answered.
pub async fn send_test(
    db: &Db,
    mailer: &Mailer,
    agent_id: Uuid,
) -> Result<TestEmailResult, AppError> {
    let row = sqlx::query("SELECT name, email, prefs FROM agents WHERE id = $1")
        .bind(agent_id.to_string())
        .fetch_one(&db.reader)
        .await?;
    let (name, email): (String, String) = (row.try_get("name")?, row.try_get("email")?);
    let t = Texts(language_of(&row.try_get::<String, _>("prefs")?));
    let id = Uuid::now_v7();
    let [reach, spam] = t.test_lines(&email);
    let text = format!("{}\n\n{reach}\n{spam}\n", t.hello(&name));
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>{}</p><p>{}</p><p>{}</p></body></html>",
        escape_markup(&t.hello(&name)),
        escape_markup(&reach),
        escape_markup(&spam)
    );
    let message = build(
        mailer,
        id,
        recipient(&name, &email)?,
        t.test_subject(),
        text,
        html,
        None,
    )?;
    let (status, result, error) = match mailer.send(message).await {
        Ok(response) => {
            let result = TestEmailResult {
                accepted: true,
                code: u16::from(response.code()),
                message: reply_text(&response),
            };
            ("sent", result, None)
        }
        Err(err) => {
            let code = err.status().map_or(0, u16::from);
            let result = TestEmailResult {
                accepted: false,
                code,
                message: err.to_string(),
            };
            ("failed", result, Some(err.to_string()))
        }
    };
    let now = Utc::now();
    sqlx::query(
        "INSERT INTO outbox (id, agent_id, kind, dedupe_key, status, attempts, not_before, last_error, created_at, sent_at) \
         VALUES ($1, $2, 'test', $3, $4, 1, $5, $6, $5, $7)",
    )
    .bind(id.to_string())
    .bind(agent_id.to_string())
    .bind(format!("test:{id}"))
    .bind(status)
    .bind(now)
    .bind(error)
    .bind((status == "sent").then_some(now))
    .execute(&db.writer)
    .await?;
    Ok(result)
}

/// The agent's email status for diagnostics.
pub async fn status(db: &Db, configured: bool, agent_id: Uuid) -> Result<EmailStatus, AppError> {
    let agent = agent_id.to_string();
    let to: String = sqlx::query("SELECT email FROM agents WHERE id = $1")
        .bind(&agent)
        .fetch_one(&db.reader)
        .await?
        .try_get("email")?;
    let pending: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE agent_id = $1 AND status = 'pending'")
            .bind(&agent)
            .fetch_one(&db.reader)
            .await?
            .try_get("n")?;
    let failure = sqlx::query(
        "SELECT last_error, COALESCE(sent_at, created_at) AS at FROM outbox \
         WHERE agent_id = $1 AND status = 'failed' ORDER BY created_at DESC LIMIT 1",
    )
    .bind(&agent)
    .fetch_optional(&db.reader)
    .await?;
    let last_failure = match failure {
        Some(row) => Some(EmailFailure {
            at: row.try_get::<DateTime<Utc>, _>("at")?,
            error: row
                .try_get::<Option<String>, _>("last_error")?
                .unwrap_or_default(),
        }),
        None => None,
    };
    Ok(EmailStatus {
        configured,
        to,
        pending: u32::try_from(pending).unwrap_or(0),
        last_failure,
    })
}

/// Sends due emails until `stop`.
pub fn start_worker(
    db: Db,
    mailer: Mailer,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(mailer.config.poll);
        let mut last_schedule: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = ticks.tick() => {}
            }
            if last_schedule.is_none_or(|t| t.elapsed() >= mailer.config.summary_poll) {
                last_schedule = Some(tokio::time::Instant::now());
                if let Err(err) = schedule_summaries(&db, (mailer.config.clock)()).await {
                    tracing::warn!(error = %err, "summary scheduling failed; will retry");
                }
            }
            if let Err(err) = send_due(&db, &mailer).await {
                tracing::warn!(error = %err, "email worker round failed; will retry");
            }
        }
    })
}

/// One round: every due alert, grouped per agent and conversation.
pub async fn send_due(db: &Db, mailer: &Mailer) -> Result<usize, AppError> {
    let now = (mailer.config.clock)();
    let mut sent = send_summaries(db, mailer, now).await?;
    let due = sqlx::query(
        "SELECT DISTINCT agent_id, conversation_id FROM outbox \
         WHERE status = 'pending' AND kind = 'alert' AND not_before <= $1 LIMIT 100",
    )
    .bind(now)
    .fetch_all(&db.reader)
    .await?;
    for group in due {
        let agent_id: String = group.try_get("agent_id")?;
        let conversation: Option<String> = group.try_get("conversation_id")?;
        sent += send_group(db, mailer, &agent_id, conversation.as_deref(), now).await?;
    }
    Ok(sent)
}

async fn send_group(
    db: &Db,
    mailer: &Mailer,
    agent_id: &str,
    conversation: Option<&str>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    // Every pending alert of this conversation goes in one email once the first is due
    // (alerts without a conversation go one by one).
    let rows = sqlx::query(
        "SELECT o.id, o.attempts, n.data, n.read_at FROM outbox o JOIN notifications n ON n.id = o.notification_id \
         WHERE o.agent_id = $1 AND o.status = 'pending' AND o.kind = 'alert' \
         AND (($2 IS NULL AND o.conversation_id IS NULL AND o.not_before <= $3) OR o.conversation_id = $2) \
         ORDER BY n.seq LIMIT 20",
    )
    .bind(agent_id)
    .bind(conversation)
    .bind(now)
    .fetch_all(&db.reader)
    .await?;
    let mut unread = Vec::new();
    let mut ids = Vec::new();
    let mut attempts = 0i64;
    for row in &rows {
        let id: String = row.try_get("id")?;
        let read: Option<DateTime<Utc>> = row.try_get("read_at")?;
        if read.is_some() {
            // Read before the email went out: the agent already knows.
            sqlx::query("UPDATE outbox SET status = 'skipped', sent_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&id)
                .execute(&db.writer)
                .await?;
            continue;
        }
        let data: String = row.try_get("data")?;
        unread.push(serde_json::from_str::<Notification>(&data)?);
        attempts = attempts.max(row.try_get::<i64, _>("attempts")?);
        ids.push(id);
    }
    if ids.is_empty() {
        return Ok(0);
    }
    let agent = sqlx::query("SELECT name, email, prefs FROM agents WHERE id = $1")
        .bind(agent_id)
        .fetch_one(&db.reader)
        .await?;
    let (name, email): (String, String) = (agent.try_get("name")?, agent.try_get("email")?);
    let t = Texts(language_of(&agent.try_get::<String, _>("prefs")?));
    let unsubscribe = mailer.unsubscribe_url(agent_id);
    let (subject, text, html) = compose_alert(t, &name, &unread, unsubscribe.as_deref());
    let message_id = Uuid::parse_str(&ids[0]).unwrap_or_else(|_| Uuid::now_v7());
    let outcome = deliver(
        mailer,
        message_id,
        (&name, &email),
        &subject,
        (text, html),
        unsubscribe.as_deref(),
    )
    .await;
    record(db, mailer, &ids, attempts, &outcome, now).await?;
    match outcome {
        Ok(_) => {
            tracing::info!(count = ids.len(), "alert email sent");
            Ok(1)
        }
        Err((permanent, error)) => {
            tracing::warn!(permanent, error, "alert email not delivered");
            Ok(0)
        }
    }
}

/// What the relay said: accepted, or (permanent?, the error).
type SendOutcome = Result<Response, (bool, String)>;

/// Addresses, builds and sends one email. An address or message that cannot be built is a
/// permanent failure: retrying would not change it.
async fn deliver(
    mailer: &Mailer,
    id: Uuid,
    (name, email): (&str, &str),
    subject: &str,
    (text, html): (String, String),
    unsubscribe: Option<&str>,
) -> SendOutcome {
    let to = recipient(name, email).map_err(|e| (true, e.to_string()))?;
    let message = build(mailer, id, to, subject, text, html, unsubscribe)
        .map_err(|e| (true, e.to_string()))?;
    mailer
        .send(message)
        .await
        .map_err(|e| (e.is_permanent(), e.to_string()))
}

/// Records what happened to the outbox rows of one email: sent; failed for good (a
/// permanent refusal, or the last attempt); or due again after a backoff.
async fn record(
    db: &Db,
    mailer: &Mailer,
    ids: &[String],
    attempts: i64,
    outcome: &SendOutcome,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = db.write_tx().await?;
    let attempts = attempts + 1;
    for id in ids {
        let query = match outcome {
            Ok(_) => sqlx::query("UPDATE outbox SET status = 'sent', attempts = $1, sent_at = $2, last_error = NULL WHERE id = $3")
                .bind(attempts)
                .bind(now)
                .bind(id),
            Err((permanent, error)) if *permanent || attempts >= i64::from(mailer.config.max_attempts) => {
                sqlx::query("UPDATE outbox SET status = 'failed', attempts = $1, sent_at = $2, last_error = $3 WHERE id = $4")
                    .bind(attempts)
                    .bind(now)
                    .bind(error.clone())
                    .bind(id)
            }
            Err((_, error)) => {
                let backoff = mailer.config.retry_base.saturating_mul(1u32 << attempts.clamp(0, 7)).min(Duration::from_secs(3600));
                let next = now + chrono::Duration::from_std(backoff).unwrap_or_else(|_| chrono::Duration::hours(1));
                sqlx::query("UPDATE outbox SET attempts = $1, not_before = $2, last_error = $3 WHERE id = $4")
                    .bind(attempts)
                    .bind(next)
                    .bind(error.clone())
                    .bind(id)
            }
        };
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Queues the end-of-day summary of every agent whose summary time has passed, once per
/// local day: the outbox's unique key makes this exactly once, across restarts too, and a
/// server that was down at that time catches up on its next round.
pub async fn schedule_summaries(db: &Db, now: DateTime<Utc>) -> Result<usize, AppError> {
    let agents = sqlx::query("SELECT id, prefs FROM agents WHERE disabled_at IS NULL")
        .fetch_all(&db.reader)
        .await?;
    let mut due = Vec::new();
    for row in agents {
        let prefs: String = row.try_get("prefs")?;
        let Ok(prefs) = serde_json::from_str::<Preferences>(&prefs) else {
            continue;
        };
        if prefs.email.mode != EmailMode::Summary {
            continue;
        }
        let (day, end, start) = prefs.last_summary_due(now);
        due.push((row.try_get::<String, _>("id")?, day, start, end));
    }
    let mut queued = 0;
    let mut tx = db.write_tx().await?;
    for (agent_id, day, start, end) in &due {
        let done = sqlx::query(
            "INSERT INTO outbox (id, agent_id, kind, dedupe_key, status, not_before, created_at, period_start, period_end) \
             VALUES ($1, $2, 'summary', $3, 'pending', $4, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(agent_id)
        .bind(format!("summary:{agent_id}:{day}"))
        .bind(now)
        .bind(start)
        .bind(end)
        .execute(&mut *tx)
        .await?;
        queued += done.rows_affected() as usize;
    }
    tx.commit().await?;
    Ok(queued)
}

async fn send_summaries(db: &Db, mailer: &Mailer, now: DateTime<Utc>) -> Result<usize, AppError> {
    let rows = sqlx::query(
        "SELECT o.id, o.agent_id, o.attempts, o.period_start, o.period_end, o.dedupe_key, a.name, a.email, a.prefs FROM outbox o \
         JOIN agents a ON a.id = o.agent_id \
         WHERE o.status = 'pending' AND o.kind = 'summary' AND o.not_before <= $1 LIMIT 200",
    )
    .bind(now)
    .fetch_all(&db.reader)
    .await?;
    let results: Vec<Result<bool, AppError>> = futures_util::stream::iter(rows)
        .map(|row| send_summary(db, mailer, row, now))
        .buffer_unordered(SEND_CONCURRENCY)
        .collect()
        .await;
    let mut sent = 0;
    for result in results {
        if result? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Sends one summary; `Ok(true)` when the relay accepted it.
async fn send_summary(
    db: &Db,
    mailer: &Mailer,
    row: sqlx::sqlite::SqliteRow,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let id: String = row.try_get("id")?;
    let agent_id: String = row.try_get("agent_id")?;
    let (start, end): (DateTime<Utc>, DateTime<Utc>) =
        (row.try_get("period_start")?, row.try_get("period_end")?);
    let (name, email): (String, String) = (row.try_get("name")?, row.try_get("email")?);
    let key: String = row.try_get("dedupe_key")?;
    let day = key
        .rsplit(':')
        .next()
        .and_then(|d| d.parse::<NaiveDate>().ok());
    let items: Vec<Notification> = sqlx::query(
        "SELECT data, read_at FROM notifications WHERE agent_id = $1 AND created_at > $2 AND created_at <= $3 ORDER BY seq",
    )
    .bind(&agent_id)
    .bind(start)
    .bind(end)
    .fetch_all(&db.reader)
    .await?
    .iter()
    .filter_map(|r| {
        let mut n: Notification = serde_json::from_str(&r.try_get::<String, _>("data").ok()?).ok()?;
        n.read_at = r.try_get("read_at").ok()?;
        Some(n)
    })
    .filter(|n| n.decision.email.outcome == Outcome::Summary)
    .collect();
    if items.is_empty() {
        // Nothing happened that day: no email, but the day counts as done.
        sqlx::query("UPDATE outbox SET status = 'skipped', sent_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&id)
            .execute(&db.writer)
            .await?;
        return Ok(false);
    }
    let unread: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE agent_id = $1 AND on_bell = 1 AND read_at IS NULL")
        .bind(&agent_id)
        .fetch_one(&db.reader)
        .await?;
    let unsubscribe = mailer.unsubscribe_url(&agent_id);
    let (subject, text, html) = compose_summary(
        Texts(language_of(&row.try_get::<String, _>("prefs")?)),
        &name,
        day,
        &items,
        unread,
        unsubscribe.as_deref(),
    );
    let message_id = Uuid::parse_str(&id).unwrap_or_else(|_| Uuid::now_v7());
    let outcome = deliver(
        mailer,
        message_id,
        (&name, &email),
        &subject,
        (text, html),
        unsubscribe.as_deref(),
    )
    .await;
    record(
        db,
        mailer,
        std::slice::from_ref(&id),
        row.try_get("attempts")?,
        &outcome,
        now,
    )
    .await?;
    Ok(outcome.is_ok())
}

/// Subject, text and HTML of an end-of-day summary: what happened, grouped by conversation,
/// and what is still unread.
pub fn compose_summary(
    t: Texts,
    agent_name: &str,
    day: Option<NaiveDate>,
    items: &[Notification],
    unread: i64,
    unsubscribe: Option<&str>,
) -> (String, String, String) {
    let date = day.map(|d| d.to_string()).unwrap_or_default();
    let subject = header_safe(&t.summary_subject(&date, items.len(), unread));
    let mut groups: Vec<(String, Vec<&Notification>)> = Vec::new();
    for n in items {
        let key = n.conversation.as_ref().map_or_else(
            || t.other().to_owned(),
            |c| c.subject.clone().unwrap_or_else(|| c.id.clone()),
        );
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(n),
            None => groups.push((key, vec![n])),
        }
    }
    let name = agent_name.replace(['\r', '\n'], " ");
    let mut text = format!("{}\n\n{}\n", t.hello(&name), t.summary_intro(&date));
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>{}</p><p>{}</p>",
        escape_markup(&t.hello(&name)),
        escape_markup(&t.summary_intro(&date))
    );
    for (title, list) in &groups {
        text.push_str(&format!("\n{title} ({})\n", list.len()));
        html.push_str(&format!(
            "<h3>{} ({})</h3><ul>",
            escape_markup(title),
            list.len()
        ));
        for n in list {
            let unread_item = n.read_at.is_none();
            let mark = if unread_item {
                format!(" [{}]", t.unread())
            } else {
                String::new()
            };
            text.push_str(&format!("- {}{mark}\n", t.what(n)));
            html.push_str(&format!(
                "<li>{}{}</li>",
                escape_markup(&t.what(n)),
                if unread_item {
                    format!(" <strong>({})</strong>", t.unread())
                } else {
                    String::new()
                }
            ));
        }
        html.push_str("</ul>");
    }
    text.push_str(&format!("\n{}: {unread}.\n", t.still_unread()));
    html.push_str(&format!(
        "<p>{}: <strong>{unread}</strong>.</p>",
        escape_markup(t.still_unread())
    ));
    finish(t, &mut text, &mut html, t.summary_footer(), unsubscribe);
    (subject, text, html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape_markup("<img src=x onerror='a'>&\""),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;"
        );
        assert_eq!(
            header_safe("Hi\r\nBcc: evil@x.example"),
            "Hi  Bcc: evil@x.example"
        );
    }
}
