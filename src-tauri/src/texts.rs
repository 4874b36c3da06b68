//! The few words the shell itself shows (the tray, the notification buttons), in the agent's
//! language; the UI has its own dictionaries, the core words the notifications.

use herald_protocol::Language;

/// The shell's words in one language.
pub struct Texts {
    /// Tray menu: open the window.
    pub open_window: &'static str,
    /// Tray menu: pause for an hour.
    pub pause_hour: &'static str,
    /// Tray menu: quit.
    pub quit: &'static str,
    /// Connection states.
    pub live: &'static str,
    /// Connecting for the first time.
    pub connecting: &'static str,
    /// Waiting to reconnect.
    pub reconnecting: &'static str,
    /// No session.
    pub signed_out: &'static str,
    /// "{n} unread", the number goes first (more than one).
    pub unread: &'static str,
    /// "1 unread".
    pub unread_one: &'static str,
    /// Notification button: open the conversation.
    pub action_open: &'static str,
    /// Notification button: mark read.
    pub action_mark_read: &'static str,
    /// Notification button: snooze for an hour.
    pub action_snooze: &'static str,
}

const EN: Texts = Texts {
    open_window: "Open Herald",
    pause_hour: "Pause notifications for an hour",
    quit: "Quit Herald",
    live: "live",
    connecting: "connecting",
    reconnecting: "reconnecting",
    signed_out: "signed out",
    unread: "unread",
    unread_one: "unread",
    action_open: "Open",
    action_mark_read: "Mark read",
    action_snooze: "Snooze 1 hour",
};

const PT_BR: Texts = Texts {
    open_window: "Abrir o Herald",
    pause_hour: "Pausar notificações por uma hora",
    quit: "Sair do Herald",
    live: "ao vivo",
    connecting: "conectando",
    reconnecting: "reconectando",
    signed_out: "desconectado",
    unread: "não lidas",
    unread_one: "não lida",
    action_open: "Abrir",
    action_mark_read: "Marcar como lida",
    action_snooze: "Adiar 1 hora",
};

/// The words for `language`.
pub fn texts(language: Language) -> &'static Texts {
    match language {
        Language::En => &EN,
        Language::PtBr => &PT_BR,
    }
}
