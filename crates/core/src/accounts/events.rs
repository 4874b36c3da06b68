//! Each account's events on their way to the UI, and its OS notifications on their way to
//! the OS.
//!
//! Items carry their account; the counter is the total of all; what belongs to one shown
//! account (its preferences, their save state, its connection banner) passes only from the
//! shown one; an account whose session ended is listed as such rather than signing the whole
//! app out. Every change of the list reaches the UI as [`UiEvent::Accounts`].

use std::sync::Weak;

use super::{Accounts, Inner};
use crate::error::Result;
use crate::ports::{ConnState, EventSink, Notifier, OsNotification, UiEvent};

/// One account's sink.
pub(super) struct SlotSink {
    id: String,
    accounts: Weak<Inner>,
}

impl SlotSink {
    pub(super) fn new(id: String, accounts: Weak<Inner>) -> SlotSink {
        SlotSink { id, accounts }
    }
}

impl EventSink for SlotSink {
    fn emit(&self, event: UiEvent) {
        let Some(inner) = self.accounts.upgrade() else {
            return;
        };
        let accounts = Accounts { inner };
        let shown = accounts.active_id().as_deref() == Some(self.id.as_str());
        let sink = accounts.inner.sink.clone();
        match event {
            UiEvent::Item {
                notification,
                local,
                ..
            } => sink.emit(UiEvent::Item {
                notification,
                local,
                account: Some(self.id.clone()),
            }),
            UiEvent::ReadChanged | UiEvent::Reset | UiEvent::FocusItem { .. } => sink.emit(event),
            // The total goes out from `publish` when it moves.
            UiEvent::Unread { .. } => accounts.publish(),
            UiEvent::Connection { ref state } => {
                // An ended session signs the app out only when no other account runs.
                let ended = matches!(state, ConnState::SignedOut { .. });
                if shown && !(ended && accounts.others_run(&self.id)) {
                    sink.emit(event);
                }
                accounts.publish();
            }
            UiEvent::Preferences { .. } | UiEvent::Save { .. } => {
                if shown {
                    sink.emit(event);
                }
                accounts.publish();
            }
            // The app's banner follows the app's outage (`notices`), not one account's.
            UiEvent::Offline { .. } => accounts.publish(),
            UiEvent::SignedOut { reason } => accounts.ended(&self.id, reason),
            // One `restored` for all, from `Accounts::restore`; the list only comes from here.
            UiEvent::Restored | UiEvent::Accounts { .. } => {}
        }
    }
}

/// One account's OS notifications: with several accounts, the title says whose it is;
/// Herald's own notices go through the app's outage (`notices`).
pub(super) struct LabelledNotifier {
    id: String,
    accounts: Weak<Inner>,
}

impl LabelledNotifier {
    pub(super) fn new(id: String, accounts: Weak<Inner>) -> LabelledNotifier {
        LabelledNotifier { id, accounts }
    }
}

impl Notifier for LabelledNotifier {
    fn show(&self, notification: &OsNotification) -> Result<()> {
        let Some(inner) = self.accounts.upgrade() else {
            return Ok(());
        };
        let accounts = Accounts { inner };
        if let Some(notice) = notification.notice {
            return accounts.fold_notice(&self.id, notice);
        }
        let slots = accounts.slots();
        let label = match slots.iter().find(|s| s.id == self.id) {
            Some(slot) if slots.len() > 1 => Some(accounts.label_of(slot)),
            _ => None,
        };
        match label {
            Some(label) => accounts.inner.notifier.show(&OsNotification {
                title: format!("{label} · {}", notification.title),
                ..notification.clone()
            }),
            None => accounts.inner.notifier.show(notification),
        }
    }
}
