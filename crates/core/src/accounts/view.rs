//! What the list of accounts looks like: each account's label and summary, the merged
//! indicators (tray, badge), and telling the UI when any of it changes.

use tokio::sync::watch;

use super::{lock, Accounts, Identity, Slot};
use crate::account::{Account, Indicators};
use crate::ports::{ConnState, UiEvent};
use crate::views::{AccountSummary, AccountsView};

impl Accounts {
    /// The label of `slot`'s items: its workspace, else its server's host; where two
    /// accounts would read the same, with the server's address, then the email.
    pub(super) fn label_of(&self, slot: &Slot) -> String {
        let others: Vec<Identity> = self
            .slots()
            .iter()
            .filter(|other| other.id != slot.id)
            .map(|other| other.identity())
            .collect();
        let mine = slot.identity();
        let forms: [fn(&Identity) -> String; 3] = [
            |i| {
                i.workspace
                    .clone()
                    .unwrap_or_else(|| authority(&i.server, false))
            },
            |i| match &i.workspace {
                Some(workspace) => format!("{workspace} ({})", authority(&i.server, true)),
                None => authority(&i.server, true),
            },
            |i| format!("{} ({})", authority(&i.server, true), i.email),
        ];
        for form in &forms {
            let label = form(&mine);
            if !others.iter().any(|other| form(other) == label) {
                return label;
            }
        }
        forms[2](&mine)
    }

    /// Every account as the UI lists it.
    pub fn view(&self) -> AccountsView {
        let accounts = self
            .slots()
            .iter()
            .map(|slot| {
                let indicators = slot.account.indicators().borrow().clone();
                let identity = slot.identity();
                let signed_in = slot.signed_in();
                AccountSummary {
                    id: slot.id.clone(),
                    label: self.label_of(slot),
                    server: identity.server,
                    email: identity.email,
                    signed_in,
                    connection: indicators.connection,
                    unread: if signed_in { indicators.unread } else { 0 },
                    offline: self.is_down(&slot.id),
                    ended: lock(&slot.ended).clone(),
                }
            })
            .collect();
        AccountsView {
            active: self.active_id(),
            accounts,
        }
    }

    /// Recomputes the view and the indicators, and tells whoever follows them of a change.
    pub(super) fn publish(&self) {
        let view = self.view();
        let changed = {
            let mut shown = lock(&self.inner.shown);
            let changed = shown.as_ref() != Some(&view);
            *shown = Some(view.clone());
            changed
        };
        let indicators = merged_indicators(&view, self.active().map(|s| s.account.clone()));
        let total = indicators.unread;
        let mut counted = false;
        self.inner.indicators.send_if_modified(|now| {
            counted = now.unread != total;
            let changed = *now != indicators;
            *now = indicators;
            changed
        });
        if changed {
            self.inner.sink.emit(UiEvent::Accounts { accounts: view });
        }
        if counted {
            self.inner.sink.emit(UiEvent::Unread {
                unread: herald_protocol::UnreadCount { total },
            });
        }
    }

    /// The merged indicators, to follow (the tray, the badge).
    pub fn indicators(&self) -> watch::Receiver<Indicators> {
        self.inner.indicators.subscribe()
    }
}

/// A server's host, and its port when asked and there is one.
fn authority(server: &str, port: bool) -> String {
    match url::Url::parse(server) {
        Ok(url) => {
            let host = url.host_str().unwrap_or_default();
            match url.port().filter(|_| port) {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            }
        }
        Err(_) => server.to_owned(),
    }
}

/// The tray's and the badge's view of every account: the total counter, the worst
/// connection of those running, the shown account's language and badge choice.
fn merged_indicators(view: &AccountsView, shown: Option<Account>) -> Indicators {
    let running: Vec<&AccountSummary> = view.accounts.iter().filter(|a| a.signed_in).collect();
    let connection = if running.is_empty() {
        ConnState::Stopped
    } else {
        running
            .iter()
            .map(|a| a.connection.clone())
            .find(|c| *c != ConnState::Live)
            .unwrap_or(ConnState::Live)
    };
    let own = shown
        .map(|a| a.indicators().borrow().clone())
        .unwrap_or_default();
    Indicators {
        connection,
        unread: running.iter().map(|a| a.unread).sum(),
        language: own.language,
        unread_badge: own.unread_badge,
    }
}
