//! Herald's own notices (offline, back online), once for the app: with several accounts a
//! network that goes takes every stream with it, and the agent is told once that Herald is
//! offline, and once that it is back when every account that went is back, with what they
//! caught up between them; the banner ([`UiEvent::Offline`]) follows the same outage.
//! Which accounts are down is in the accounts bar meanwhile.

use std::collections::HashSet;

use super::{lock, Accounts};
use crate::client::offline::{back_online, offline};
use crate::error::Result;
use crate::ports::{Notice, OsNotification, UiEvent};

/// An outage the agent was told of.
#[derive(Debug, Default)]
pub(super) struct Outage {
    /// The accounts that said they are offline and are not back.
    offline: HashSet<String>,
    /// What the accounts back already caught up.
    caught_up: usize,
    /// Some account is back already (its return was folded into the last one's).
    returned: bool,
}

impl Accounts {
    /// One account's notice of Herald itself: shown if it is the first of an outage or the
    /// last account back; otherwise folded into the one shown.
    pub(super) fn fold_notice(&self, id: &str, notice: Notice) -> Result<()> {
        let show = {
            let mut outage = lock(&self.inner.outage);
            match notice {
                Notice::Offline => {
                    let first = outage.offline.is_empty();
                    outage.offline.insert(id.to_owned());
                    first.then_some(Notice::Offline)
                }
                Notice::Online { caught_up } => {
                    if !outage.offline.remove(id) {
                        return Ok(()); // its outage was closed without it (signed out)
                    }
                    outage.caught_up += caught_up;
                    outage.returned = true;
                    if outage.offline.is_empty() {
                        let caught_up = std::mem::take(&mut outage.caught_up);
                        *outage = Outage::default();
                        Some(Notice::Online { caught_up })
                    } else {
                        None
                    }
                }
            }
        };
        self.publish();
        match show {
            Some(notice) => self.tell(notice),
            None => Ok(()),
        }
    }

    /// The banner and the one OS notice of the app's outage.
    fn tell(&self, notice: Notice) -> Result<()> {
        let down = matches!(notice, Notice::Offline);
        self.inner.sink.emit(UiEvent::Offline { offline: down });
        let language = self.indicators().borrow().language;
        let (title, body) = match notice {
            Notice::Offline => offline(language),
            Notice::Online { caught_up } => back_online(caught_up, language),
        };
        self.inner.notifier.show(&OsNotification {
            id: uuid::Uuid::nil(),
            title,
            body,
            sound: None,
            notice: Some(notice),
        })
    }

    /// An account left the list during an outage: it will not say it is back. If it was the
    /// last one down, the outage ends: "back online" if others came back meanwhile (with
    /// what they caught up), else the banner just goes (nobody else was ever down).
    pub(super) fn leave_outage(&self, id: &str) {
        let ended = {
            let mut outage = lock(&self.inner.outage);
            if outage.offline.remove(id) && outage.offline.is_empty() {
                let ended = std::mem::take(&mut *outage);
                Some(ended.returned.then_some(ended.caught_up))
            } else {
                None
            }
        };
        match ended {
            Some(Some(caught_up)) => {
                if let Err(err) = self.tell(Notice::Online { caught_up }) {
                    tracing::warn!(kind = ?err.kind, error = %err, "the back-online notice could not be shown");
                }
            }
            Some(None) => self.inner.sink.emit(UiEvent::Offline { offline: false }),
            None => {}
        }
    }

    /// Whether account `id` said it is offline and is not back.
    pub(super) fn is_down(&self, id: &str) -> bool {
        lock(&self.inner.outage).offline.contains(id)
    }
}
