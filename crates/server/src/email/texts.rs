//! Herald's words in emails, as one table per language the agent can choose. Placeholders in
//! braces (`{name}`) are filled by [`Texts`]; everything here is plain text, escaped by the
//! caller before it goes into HTML.

use herald_protocol::{Language, Notification, Preferences};

/// The words of one language.
struct Words {
    /// "Hello {name},"
    hello: &'static str,
    /// "{count} new in {title}": a conversation's burst folded into one email.
    burst: &'static str,
    open_conversation: &'static str,
    alert_footer: &'static str,
    summary_footer: &'static str,
    stop_all: &'static str,
    /// "{date}", "{new}", "{unread}".
    summary_subject: &'static str,
    /// "{date}".
    summary_intro: &'static str,
    other: &'static str,
    unread: &'static str,
    still_unread: &'static str,
    test_subject: &'static str,
    /// The test email's two lines; the first has "{email}".
    test_lines: [&'static str; 2],
    setup_subject: &'static str,
    /// The set-up email's lines: "{workspace}", then "{days}".
    setup_lines: [&'static str; 2],
    setup_button: &'static str,
}

const EN: Words = Words {
    hello: "Hello {name},",
    burst: "{count} new in {title}",
    open_conversation: "Open the conversation",
    alert_footer: "You get this email because your Herald preferences send these events by email. \
                   Change that in Herald: Preferences, Email.",
    summary_footer:
        "You get this summary because your Herald preferences send email as an end-of-day summary. \
                     Change that in Herald: Preferences, Email.",
    stop_all: "Stop all Herald emails",
    summary_subject: "Your Herald summary for {date}: {new} new, {unread} unread",
    summary_intro: "Here is what happened on {date}.",
    other: "Other notifications",
    unread: "unread",
    still_unread: "Still unread in Herald",
    test_subject: "Herald test email",
    test_lines: [
        "This is a test email from Herald. If you can read it, Herald's emails reach {email}.",
        "If it landed in spam, mark it as not spam so alerts and summaries arrive in your inbox.",
    ],
    setup_subject: "Set your Herald password",
    setup_lines: [
        "You have a Herald account for {workspace}: Herald notifies you of assignments, mentions and replies.",
        "Choose your password with the link below. It works once, for {days} days; if it expired, ask your admin for a new one.",
    ],
    setup_button: "Set my password",
};

const PT_BR: Words = Words {
    hello: "Olá, {name},",
    burst: "{count} novas em {title}",
    open_conversation: "Abrir a conversa",
    alert_footer: "Você recebe este e-mail porque suas preferências do Herald enviam estes eventos por e-mail. \
                   Mude isso no Herald: Preferências, E-mail.",
    summary_footer: "Você recebe este resumo porque suas preferências do Herald enviam e-mail como resumo do dia. \
                     Mude isso no Herald: Preferências, E-mail.",
    stop_all: "Parar todos os e-mails do Herald",
    summary_subject: "Seu resumo do Herald de {date}: {new} novas, {unread} não lidas",
    summary_intro: "Veja o que aconteceu em {date}.",
    other: "Outras notificações",
    unread: "não lida",
    still_unread: "Ainda não lidas no Herald",
    test_subject: "E-mail de teste do Herald",
    test_lines: [
        "Este é um e-mail de teste do Herald. Se você consegue lê-lo, os e-mails do Herald chegam a {email}.",
        "Se ele caiu no spam, marque como \"não é spam\" para que alertas e resumos cheguem à sua caixa de entrada.",
    ],
    setup_subject: "Defina sua senha do Herald",
    setup_lines: [
        "Você tem uma conta no Herald para {workspace}: o Herald avisa você de atribuições, menções e respostas.",
        "Escolha sua senha pelo link abaixo. Ele funciona uma vez, por {days} dias; se expirou, peça um novo ao seu administrador.",
    ],
    setup_button: "Definir minha senha",
};

/// Fills the `{key}` placeholders of `template`.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (key, value)| {
            text.replace(&format!("{{{key}}}"), value)
        })
}

/// Herald's words in the agent's language (English, Brazilian Portuguese).
#[derive(Debug, Clone, Copy)]
pub struct Texts(pub Language);

impl Texts {
    fn words(self) -> &'static Words {
        match self.0 {
            Language::En => &EN,
            Language::PtBr => &PT_BR,
        }
    }

    pub(super) fn setup_subject(self) -> &'static str {
        self.words().setup_subject
    }

    pub(super) fn setup_lines(self, workspace: &str, days: i64) -> [String; 2] {
        let days = days.to_string();
        let [a, b] = self.words().setup_lines;
        [
            fill(a, &[("workspace", workspace)]),
            fill(b, &[("days", &days)]),
        ]
    }

    pub(super) fn setup_button(self) -> &'static str {
        self.words().setup_button
    }

    pub(super) fn hello(self, name: &str) -> String {
        fill(self.words().hello, &[("name", name)])
    }

    /// The line that says what happened.
    pub fn what(self, n: &Notification) -> String {
        n.headline(self.0)
    }

    pub(super) fn burst(self, count: usize, title: &str) -> String {
        let count = count.to_string();
        fill(self.words().burst, &[("count", &count), ("title", title)])
    }

    pub(super) fn open_conversation(self) -> &'static str {
        self.words().open_conversation
    }

    pub(super) fn alert_footer(self) -> &'static str {
        self.words().alert_footer
    }

    pub(super) fn summary_footer(self) -> &'static str {
        self.words().summary_footer
    }

    pub(super) fn stop_all(self) -> &'static str {
        self.words().stop_all
    }

    pub(super) fn summary_subject(self, date: &str, new: usize, unread: i64) -> String {
        let (new, unread) = (new.to_string(), unread.to_string());
        fill(
            self.words().summary_subject,
            &[("date", date), ("new", &new), ("unread", &unread)],
        )
    }

    pub(super) fn summary_intro(self, date: &str) -> String {
        fill(self.words().summary_intro, &[("date", date)])
    }

    pub(super) fn other(self) -> &'static str {
        self.words().other
    }

    pub(super) fn unread(self) -> &'static str {
        self.words().unread
    }

    pub(super) fn still_unread(self) -> &'static str {
        self.words().still_unread
    }

    pub(super) fn test_subject(self) -> &'static str {
        self.words().test_subject
    }

    pub(super) fn test_lines(self, email: &str) -> [String; 2] {
        let [first, second] = self.words().test_lines;
        [fill(first, &[("email", email)]), second.to_owned()]
    }
}

/// The language in stored preferences (English when unreadable).
pub fn language_of(prefs_json: &str) -> Language {
    serde_json::from_str::<Preferences>(prefs_json).map_or(Language::En, |p| p.language)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_in_both_languages() {
        for t in [Texts(Language::En), Texts(Language::PtBr)] {
            for text in [
                t.hello("Ana"),
                t.burst(3, "Order"),
                t.summary_subject("2026-12-01", 4, 2),
                t.summary_intro("2026-12-01"),
                t.test_lines("ana@acme.test")[0].clone(),
            ] {
                assert!(!text.contains('{'), "a placeholder is left in {text:?}");
            }
        }
        assert_eq!(Texts(Language::En).hello("Ana"), "Hello Ana,");
        assert_eq!(
            Texts(Language::PtBr).summary_subject("01/12", 4, 2),
            "Seu resumo do Herald de 01/12: 4 novas, 2 não lidas"
        );
    }

    #[test]
    fn a_value_with_braces_is_not_filled_again() {
        assert_eq!(
            Texts(Language::En).burst(2, "{count} trick"),
            "2 new in {count} trick",
            "the title is filled after the count, so its braces stay text"
        );
    }
}
