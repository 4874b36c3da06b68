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
//!
//! # Layout
//!
//! - this file: the settings and the relay ([`Mailer`]).
//! - `texts`: Herald's words in each language, as tables.
//! - `compose`: alert and summary messages (subject, text, escaped HTML) and building them.
//! - `outbox`: the worker that sends due emails, folds bursts, retries and records outcomes.
//! - `summary`: the end-of-day summaries, queued once a day at each agent's local time.
//! - `status`: the test email and the agent's email status (diagnostics).
//! - `setup`: the email with an agent's one-time password set-up link.

use std::sync::Arc;
use std::time::Duration;

use herald_protocol::Clock;
use lettre::message::Mailbox;
use lettre::transport::smtp::response::Response;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

mod compose;
mod outbox;
mod setup;
mod status;
mod summary;
mod texts;

pub use compose::{compose_alert, compose_summary};
pub use outbox::{send_due, start_worker};
pub use setup::send_setup_link;
pub use status::{send_test, status, test_outcome};
pub use summary::schedule_summaries;
pub use texts::Texts;

// Shared by the submodules (each reads its parent with `use super::*`).
use compose::{build, recipient, reply_text};
use outbox::{deliver, record};
use summary::send_summaries;
pub use texts::language_of;

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
    /// The server's clock (alert and summary times, link expiry).
    clock: Clock,
    /// Wakes the worker (a test notification's email is due now).
    wake: Arc<tokio::sync::Notify>,
    /// The items whose alert emails were just answered (sent, refused, retried).
    answers: tokio::sync::broadcast::Sender<Uuid>,
}

impl Mailer {
    /// Checks the settings; nothing is sent yet. `clock` is the server's.
    pub fn new(config: EmailConfig, clock: Clock) -> Result<Mailer, EmailConfigError> {
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
            clock,
            wake: Arc::new(tokio::sync::Notify::new()),
            answers: tokio::sync::broadcast::channel(256).0,
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
        let token = crate::links::sign(key, agent, self.clock.now() + crate::links::VALIDITY);
        Some(format!("{base}/api/v1/unsubscribe?token={token}"))
    }

    /// Wakes the worker now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The items whose alert emails are answered from now on.
    pub fn answers(&self) -> tokio::sync::broadcast::Receiver<Uuid> {
        self.answers.subscribe()
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

#[cfg(test)]
mod tests {
    use herald_protocol::escape_markup;

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
