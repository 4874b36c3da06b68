//! The email with an agent's one-time password set-up link.

use herald_protocol::{escape_markup, Language};
use uuid::Uuid;

use crate::error::AppError;

use super::*;

/// Sends the set-up link; true when the relay accepted it.
pub async fn send_setup_link(
    mailer: &Mailer,
    name: &str,
    email: &str,
    workspace: &str,
    language: Language,
    url: &str,
    days: i64,
) -> Result<bool, AppError> {
    let t = Texts(language);
    let [first, second] = t.setup_lines(workspace, days);
    let text = format!(
        "{}\n\n{first}\n{second}\n\n{}: {url}\n",
        t.hello(name),
        t.setup_button()
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>{}</p><p>{}</p><p>{}</p>\
         <p><a href=\"{}\">{}</a></p></body></html>",
        escape_markup(&t.hello(name)),
        escape_markup(&first),
        escape_markup(&second),
        escape_markup(url),
        escape_markup(t.setup_button()),
    );
    let message = build(
        mailer,
        Uuid::now_v7(),
        recipient(name, email)?,
        t.setup_subject(),
        text,
        html,
        None,
    )?;
    match mailer.send(message).await {
        Ok(_) => Ok(true),
        Err(err) => {
            tracing::warn!(error = %err, "the set-up email was not accepted");
            Ok(false)
        }
    }
}
