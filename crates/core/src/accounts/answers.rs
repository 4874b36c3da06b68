//! What the UI asks of all the accounts: the bell merged from every account, an item's
//! actions routed to the account that holds it, and everything else (preferences, pause,
//! test, diagnostics) answered by the shown account.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use herald_protocol::{
    MarkResult, PrefEdit, Preferences, SnoozeResult, SnoozeTarget, SnoozeUntil,
    TestNotificationResult, UnreadCount,
};
use uuid::Uuid;

use super::{lock, no_account, Accounts, Slot};
use crate::agent::SignedIn;
use crate::client::{NotificationAction, Trail};
use crate::diagnostics::{Diagnostics, OsCheck};
use crate::error::Result;
use crate::ports::ConnState;
use crate::views::{BellItem, BellView, PausePreset, PrefsView, SessionView};

impl Accounts {
    /// What the UI shows before anything else: the shown account's session, and the list.
    pub fn session_view(&self) -> SessionView {
        let mut view = match self.active() {
            Some(slot) => slot.account.session_view(),
            None => SessionView {
                signed_in: false,
                agent: None,
                server: self.inner.config.prefill_server.clone(),
                email: self.inner.config.prefill_email.clone(),
                connection: ConnState::Stopped,
                device_muted: false,
                restoring: false,
                focus_item: None,
                accounts: None,
            },
        };
        view.device_muted = self.device().device_muted;
        view.restoring = self.inner.restoring.load(Ordering::Acquire);
        view.focus_item = lock(&self.inner.focus).take().or(view.focus_item);
        view.accounts = Some(self.view());
        view
    }

    pub(super) fn running(&self) -> Vec<Arc<Slot>> {
        self.slots().into_iter().filter(|s| s.signed_in()).collect()
    }

    /// The bell of every running account in one list, newest first, each item labelled
    /// with its account; the counter is the total.
    pub fn bell_view(&self) -> Result<BellView> {
        let running = self.running();
        if running.is_empty() {
            return Err(no_account());
        }
        let mut lists = Vec::new();
        let mut total = 0;
        let mut last_event_at = None;
        for slot in &running {
            let bell = slot.account.bell_view()?;
            total += bell.unread.total;
            last_event_at = last_event_at.max(bell.last_event_at);
            lists.push(
                bell.items
                    .into_iter()
                    .map(|item| BellItem::of(Some(&slot.id), item.notification))
                    .collect(),
            );
        }
        let items = merged(lists);
        let connection = self
            .active()
            .map(|s| s.account.indicators().borrow().connection.clone())
            .unwrap_or(ConnState::Stopped);
        Ok(BellView {
            items,
            unread: UnreadCount { total },
            connection,
            last_event_at,
        })
    }

    /// Loads the next older page of every running account and returns them merged.
    pub async fn load_older(&self, limit: u32) -> Result<Vec<BellItem>> {
        let running = self.running();
        let pages = futures_util::future::join_all(
            running.iter().map(|slot| slot.account.load_older(limit)),
        )
        .await;
        let mut lists = Vec::new();
        for (slot, page) in running.iter().zip(pages) {
            lists.push(
                page?
                    .into_iter()
                    .map(|n| BellItem::of(Some(&slot.id), n))
                    .collect(),
            );
        }
        Ok(merged(lists))
    }

    /// The running accounts with their sessions.
    fn sessions(&self) -> Vec<(Arc<Slot>, SignedIn)> {
        self.slots()
            .into_iter()
            .filter_map(|slot| slot.account.signed_in().ok().map(|session| (slot, session)))
            .collect()
    }

    /// The running account whose bell holds `id` (an OS notification or a bell row); the
    /// shown one when none does (an item older than any page loaded).
    fn holder(&self, id: Uuid) -> Result<Arc<Slot>> {
        self.holder_among(&self.sessions(), id)
    }

    /// [`Accounts::holder`] among sessions already gathered (many ids at once).
    fn holder_among(&self, sessions: &[(Arc<Slot>, SignedIn)], id: Uuid) -> Result<Arc<Slot>> {
        sessions
            .iter()
            .find(|(_, session)| session.client().holds(id))
            .map(|(slot, _)| Arc::clone(slot))
            .or_else(|| self.active())
            .ok_or_else(no_account)
    }

    /// Why an item did or did not reach the agent on each channel.
    pub fn why(&self, id: Uuid) -> Result<Option<Trail>> {
        self.holder(id)?.account.why(id)
    }

    /// Acts on an item (from the bell or its OS notification), in its account.
    pub async fn act(&self, id: Uuid, action: NotificationAction) -> Result<Option<String>> {
        self.holder(id)?.account.act(id, action).await
    }

    /// Marks items read or unread, each in its account; answers with the total counter.
    pub async fn mark(&self, ids: Vec<Uuid>, read: bool) -> Result<MarkResult> {
        let mut answers = Vec::new();
        for (slot, ids) in self.by_holder(ids)? {
            let result = slot.account.signed_in()?.client().mark(ids, read).await?;
            answers.push((slot.id.clone(), result));
        }
        Ok(self.counted(answers))
    }

    /// Marks everything read in every running account.
    pub async fn mark_all(&self) -> Result<MarkResult> {
        let running = self.running();
        if running.is_empty() {
            return Err(no_account());
        }
        let mut answers = Vec::new();
        for slot in running {
            let result = slot.account.signed_in()?.client().mark_all().await?;
            answers.push((slot.id.clone(), result));
        }
        Ok(self.counted(answers))
    }

    /// The changes of the accounts marked, and the total counter: theirs as their servers
    /// answered, the others' as held.
    fn counted(&self, answers: Vec<(String, MarkResult)>) -> MarkResult {
        let changed = answers.iter().map(|(_, a)| a.changed).sum();
        let total = self
            .running()
            .iter()
            .map(|slot| match answers.iter().find(|(id, _)| *id == slot.id) {
                Some((_, answer)) => answer.unread.total,
                None => slot
                    .account
                    .signed_in()
                    .map_or(0, |s| s.client().unread().total),
            })
            .sum();
        MarkResult {
            changed,
            unread: UnreadCount { total },
        }
    }

    /// `ids` grouped by the account holding each.
    fn by_holder(&self, ids: Vec<Uuid>) -> Result<Vec<(Arc<Slot>, Vec<Uuid>)>> {
        let sessions = self.sessions();
        let mut groups: Vec<(Arc<Slot>, Vec<Uuid>)> = Vec::new();
        for id in ids {
            let slot = self.holder_among(&sessions, id)?;
            match groups.iter_mut().find(|(s, _)| s.id == slot.id) {
                Some((_, group)) => group.push(id),
                None => groups.push((slot, vec![id])),
            }
        }
        Ok(groups)
    }

    /// Snoozes items (each in its account) or a conversation (in `account`, else the shown
    /// one: conversation ids are only unique within a workspace), or brings them back.
    pub async fn snooze(
        &self,
        target: SnoozeTarget,
        until: Option<SnoozeUntil>,
        account: Option<&str>,
    ) -> Result<SnoozeResult> {
        match target {
            SnoozeTarget::Items { ids } => {
                let mut answer = None;
                for (slot, ids) in self.by_holder(ids)? {
                    let target = SnoozeTarget::Items { ids };
                    answer = Some(slot.account.snooze(target, until).await?);
                }
                answer.ok_or_else(|| {
                    crate::error::CoreError::new(
                        crate::error::ErrorKind::InvalidInput,
                        "no item to snooze",
                    )
                })
            }
            target @ SnoozeTarget::Conversation { .. } => {
                let slot = match account {
                    Some(id) => self.slot(id).ok_or_else(no_account)?,
                    None => self.active().ok_or_else(no_account)?,
                };
                slot.account.snooze(target, until).await
            }
        }
    }

    /// The shown account's preferences with unsaved edits, and the save state.
    pub fn prefs_view(&self) -> Result<PrefsView> {
        self.shown()?.prefs_view()
    }

    /// Which channels would fire under the shown account's preferences.
    pub fn preview_rules(&self) -> Result<herald_protocol::RulesPreview> {
        self.shown()?.preview_rules()
    }

    /// One edit of the shown account's preferences.
    pub fn edit(&self, edit: PrefEdit) -> Result<Preferences> {
        let view = self.shown()?.edit(edit)?;
        self.publish();
        Ok(view)
    }

    /// Pauses the shown account's notifications (Preferences).
    pub fn pause(&self, preset: PausePreset) -> Result<Preferences> {
        self.shown()?.pause(preset)
    }

    /// Pauses every running account (the tray: the agent steps away from all of them).
    pub fn pause_all(&self, preset: PausePreset) -> Result<()> {
        let running = self.running();
        if running.is_empty() {
            return Err(no_account());
        }
        for slot in running {
            slot.account.pause(preset)?;
        }
        Ok(())
    }

    /// Saves the shown account's pending edits now.
    pub async fn save_now(&self) -> Result<()> {
        self.shown()?.save_now().await
    }

    /// A test notification through the shown account's server.
    pub async fn send_test(&self, mention: bool) -> Result<TestNotificationResult> {
        self.shown()?.send_test(mention).await
    }

    /// The shown account's troubleshooting facts and verdicts.
    pub async fn diagnostics(&self, os: OsCheck) -> Result<Diagnostics> {
        let slot = self.active().ok_or_else(super::no_account)?;
        let phone = self.phone_registration(&slot);
        Ok(slot.account.diagnostics(os, phone).await)
    }
}

/// Several accounts' lists (each newest first, by its own order: an item back from a snooze
/// heads its list though it was made earlier) in one, keeping each list's order and taking
/// the newest head each time.
fn merged(lists: Vec<Vec<BellItem>>) -> Vec<BellItem> {
    let mut lists: Vec<std::iter::Peekable<std::vec::IntoIter<BellItem>>> = lists
        .into_iter()
        .map(|list| list.into_iter().peekable())
        .collect();
    let mut out = Vec::new();
    loop {
        let next = lists
            .iter_mut()
            .enumerate()
            .filter_map(|(at, list)| list.peek().map(|item| (at, item.notification.created_at)))
            .max_by_key(|&(at, created)| (created, std::cmp::Reverse(at)))
            .map(|(at, _)| at);
        match next.and_then(|at| lists[at].next()) {
            Some(item) => out.push(item),
            None => return out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(account: &str, minute: u32) -> BellItem {
        let golden = include_str!("../../../protocol/tests/golden/notification.json");
        let mut notification: herald_protocol::Notification =
            serde_json::from_str(golden).expect("the protocol's golden notification");
        notification.id = Uuid::new_v4();
        notification.created_at = format!("2026-12-01T10:{minute:02}:00Z")
            .parse()
            .expect("a time");
        BellItem::of(Some(account), notification)
    }

    #[test]
    fn merging_keeps_each_accounts_order_and_takes_the_newest_head() {
        // Account a's first item came back from a snooze: made at :01, yet newest there.
        let a = vec![item("a", 1), item("a", 9), item("a", 5)];
        let b = vec![item("b", 8), item("b", 2)];
        let order: Vec<(String, u32)> = merged(vec![a, b])
            .iter()
            .map(|i| {
                let minute = i.notification.created_at.format("%M").to_string();
                (
                    i.account.clone().unwrap_or_default(),
                    minute.parse().unwrap_or(0),
                )
            })
            .collect();
        let expect = [("b", 8), ("b", 2), ("a", 1), ("a", 9), ("a", 5)];
        let expect: Vec<(String, u32)> = expect.iter().map(|(a, m)| (a.to_string(), *m)).collect();
        assert_eq!(order, expect);
    }
}
