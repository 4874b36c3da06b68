//! Never silently offline: when the stream has not been live for
//! [`ClientConfig::offline_after`](super::ClientConfig::offline_after), one OS notification
//! says Herald is offline and notifications may be late, and the UI is told
//! ([`UiEvent::Offline`], its banner); when the stream is live again, one notification says
//! so with how many items were caught up. One of each per outage, however many
//! reconnect attempts it takes; nothing while signed out or stopped.

use herald_protocol::Language;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::Client;
use crate::ports::{ConnState, Notice, OsNotification, UiEvent};

impl Client {
    /// Follows the connection until `stop`, raising the offline and back-online notices.
    pub(super) async fn watch_offline(&self, stop: CancellationToken) {
        let mut conn = self.connection();
        let after = self.inner.config.offline_after;
        let mut offline_since: Option<Instant> = None;
        let mut announced = false;
        loop {
            let state = conn.borrow_and_update().clone();
            match state {
                ConnState::Live => {
                    if announced {
                        let caught_up = self.model().caught_up;
                        self.inner.sink.emit(UiEvent::Offline { offline: false });
                        let notice = Notice::Online { caught_up };
                        self.notice(back_online(caught_up, self.language()), notice);
                    }
                    announced = false;
                    offline_since = None;
                }
                ConnState::Connecting { .. } | ConnState::Reconnecting { .. } => {
                    offline_since.get_or_insert_with(Instant::now);
                }
                ConnState::SignedOut { .. } | ConnState::Stopped => {
                    if announced {
                        self.inner.sink.emit(UiEvent::Offline { offline: false });
                    }
                    offline_since = None;
                    announced = false;
                }
            }
            let due = offline_since
                .filter(|_| !announced)
                .map(|since| since + after);
            tokio::select! {
                () = stop.cancelled() => return,
                changed = conn.changed() => if changed.is_err() { return },
                () = async {
                    match due {
                        Some(due) => tokio::time::sleep_until(due).await,
                        None => std::future::pending().await,
                    }
                } => {
                    announced = true;
                    self.inner.sink.emit(UiEvent::Offline { offline: true });
                    self.notice(offline(self.language()), Notice::Offline);
                }
            }
        }
    }

    /// Shows a notice of Herald itself (no item: its id is nil).
    fn notice(&self, (title, body): (String, String), notice: Notice) {
        let notice = OsNotification {
            id: Uuid::nil(),
            title,
            body,
            sound: None,
            notice: Some(notice),
        };
        if let Err(err) = self.inner.notifier.show(&notice) {
            tracing::warn!(error = %err, "the offline notice could not be shown");
        }
    }
}

/// The offline notice's heading and text.
pub(crate) fn offline(language: Language) -> (String, String) {
    match language {
        Language::PtBr => (
            "O Herald está offline".into(),
            "Sem conexão com o servidor: as notificações podem atrasar. O Herald continua tentando.".into(),
        ),
        Language::En => (
            "Herald is offline".into(),
            "No connection to the server: notifications may be late. Herald keeps trying.".into(),
        ),
    }
}

/// The back-online notice's heading and text.
pub(crate) fn back_online(caught_up: usize, language: Language) -> (String, String) {
    match (language, caught_up) {
        (Language::PtBr, 0) => ("O Herald voltou".into(), "Nada foi perdido.".into()),
        (Language::PtBr, 1) => ("O Herald voltou".into(), "1 notificação recuperada.".into()),
        (Language::PtBr, n) => (
            "O Herald voltou".into(),
            format!("{n} notificações recuperadas."),
        ),
        (Language::En, 0) => ("Herald is back online".into(), "Nothing was missed.".into()),
        (Language::En, 1) => (
            "Herald is back online".into(),
            "1 notification caught up.".into(),
        ),
        (Language::En, n) => (
            "Herald is back online".into(),
            format!("{n} notifications caught up."),
        ),
    }
}
