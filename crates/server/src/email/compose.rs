//! Alert and summary messages: subject, plain text and HTML with every interpolated value
//! escaped, and the lettre message built from them.

use chrono::NaiveDate;
use herald_protocol::{escape_markup, Notification};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::response::Response;
use lettre::Message;
use uuid::Uuid;

use crate::error::AppError;

use super::*;

/// Only https links go into an email; anything else is dropped.
pub(super) fn safe_link(n: &Notification) -> Option<String> {
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
pub(super) fn finish(
    t: Texts,
    text: &mut String,
    html: &mut String,
    footer: &str,
    unsubscribe: Option<&str>,
) {
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

pub(super) fn build(
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

pub(super) fn recipient(name: &str, email: &str) -> Result<Mailbox, AppError> {
    let address = email.parse().map_err(|_| {
        AppError::invalid(format!(
            "the profile email {email:?} is not a valid address"
        ))
    })?;
    Ok(Mailbox::new(Some(header_safe(name)), address))
}

pub(super) fn reply_text(response: &Response) -> String {
    response.message().collect::<Vec<&str>>().join(" ")
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
