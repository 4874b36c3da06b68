//! Every account the app follows: one bell over several servers or workspaces.
//!
//! [`Accounts`] holds one [`Account`] per place the agent signed in to, each with its own
//! keychain entry, state file, stream, preferences and diagnostics, and decides what the
//! shell and the UI see of them together:
//!
//! - the bell merges the items of every account, each labelled with its account
//!   ([`crate::views::BellItem`]); acting on an item goes to the account that holds it;
//! - the counter and the tray show the total, [`AccountsView`] each account's own;
//! - one account is *shown*: its preferences, diagnostics and connection banner; switching
//!   changes only that;
//! - signing out of one, or its session ending on the server, leaves the others running;
//!   an ended one stays listed with the reason until the agent signs in to it again or
//!   removes it, so a workspace is never silently missed.
//!
//! # Layout
//!
//! - this file: the slots and their transitions (restore, sign in, sign out, switch), and
//!   the merged indicators and view.
//! - [`store`]: the list kept between runs (and an app from before several accounts).
//! - `events`: each account's events on their way to the UI (labelled, merged, or kept
//!   back), and its OS notifications labelled.
//! - `answers`: what the UI asks, answered by the shown account or the one holding an item.
//! - `view`: the list as the UI shows it, the labels, the merged indicators.
//! - `phone`: a phone's push token, registered with every account; the pushes the OS hands
//!   the app (a tapped item, notifications to take away).
//! - `notices`: Herald's own notices (offline, back online), once for the app.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use herald_protocol::AgentProfile;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

mod answers;
mod events;
mod notices;
mod phone;
pub mod store;
mod view;

pub use phone::{PhonePushEffect, PushToken};

use crate::account::{Account, AccountConfig, AccountPorts, Indicators};
use crate::client::DeviceContext;
use crate::config::ServerUrl;
use crate::diagnostics::PhoneRegistration;
use crate::error::{CoreError, ErrorKind, Result};
use crate::ports::{EventSink, Notifier, UiEvent};
use crate::secret::SecretStore;
use crate::sensitive::Sensitive;
use crate::views::AccountsView;
use events::{LabelledNotifier, SlotSink};
use store::{AccountList, AccountStore};

/// What the accounts need from their surroundings.
pub struct AccountsPorts {
    /// Where tokens are kept (the OS keychain in the app), one entry per account.
    pub secrets: Arc<dyn SecretStore>,
    /// The list of accounts and each one's state.
    pub store: Arc<dyn AccountStore>,
    /// Shows OS notifications.
    pub notifier: Arc<dyn Notifier>,
    /// Receives every [`UiEvent`].
    pub sink: Arc<dyn EventSink>,
    /// The Tokio runtime background work runs on.
    pub runtime: tokio::runtime::Handle,
}

/// Every account of the app. Cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    inner: Arc<Inner>,
}

struct Inner {
    config: AccountConfig,
    secrets: Arc<dyn SecretStore>,
    store: Arc<dyn AccountStore>,
    notifier: Arc<dyn Notifier>,
    sink: Arc<dyn EventSink>,
    runtime: tokio::runtime::Handle,
    /// In the order they were added. Never held while calling into an account (its events
    /// come back here).
    slots: Mutex<Vec<Arc<Slot>>>,
    /// The shown account's id.
    active: Mutex<Option<String>>,
    /// Serialises restore, sign-in, sign-out and switching.
    transition: tokio::sync::Mutex<()>,
    /// Focus, mute, OS permission: the same for every account.
    device: Mutex<DeviceContext>,
    restoring: AtomicBool,
    /// An item the next window should show.
    focus: Mutex<Option<Uuid>>,
    indicators: watch::Sender<Indicators>,
    /// The view last sent, to send only changes.
    shown: Mutex<Option<AccountsView>>,
    /// The push token the OS gave this app (phones), registered with every account.
    push_token: Mutex<Option<PushToken>>,
    /// Why the OS gave this phone no push token, if it said.
    push_unavailable: Mutex<Option<String>>,
    /// The outage the agent was told of, if any.
    outage: Mutex<notices::Outage>,
}

/// One account and what the list shows of it.
struct Slot {
    id: String,
    account: Account,
    /// Server and email (known from its state or its sign-in), and the workspace's name once
    /// the server said it.
    identity: Mutex<Identity>,
    /// Why the server ended its session, until signed in again.
    ended: Mutex<Option<String>>,
    /// This phone's registration for push with the account's server (diagnostics).
    phone: Mutex<PhoneRegistration>,
}

#[derive(Debug, Clone, Default)]
struct Identity {
    server: String,
    email: String,
    workspace: Option<String>,
}

impl Slot {
    fn identity(&self) -> Identity {
        lock(&self.identity).clone()
    }

    fn signed_in(&self) -> bool {
        self.account.signed_in().is_ok()
    }

    fn learn(&self, server: &str, agent: Option<&AgentProfile>) {
        let mut identity = lock(&self.identity);
        identity.server = server.to_owned();
        if let Some(agent) = agent {
            identity.email = agent.email.clone();
            identity.workspace = Some(agent.workspace.clone());
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn no_account() -> CoreError {
    CoreError::new(ErrorKind::SignedOut, "nobody is signed in")
}

impl Accounts {
    /// The accounts, none loaded yet (call [`Accounts::restore`] at start).
    pub fn new(config: AccountConfig, ports: AccountsPorts, device: DeviceContext) -> Accounts {
        Accounts {
            inner: Arc::new(Inner {
                config,
                secrets: ports.secrets,
                store: ports.store,
                notifier: ports.notifier,
                sink: ports.sink,
                runtime: ports.runtime,
                slots: Mutex::new(Vec::new()),
                active: Mutex::new(None),
                transition: tokio::sync::Mutex::new(()),
                device: Mutex::new(device),
                restoring: AtomicBool::new(true),
                focus: Mutex::new(None),
                indicators: watch::channel(Indicators::default()).0,
                shown: Mutex::new(None),
                push_token: Mutex::new(None),
                push_unavailable: Mutex::new(None),
                outage: Mutex::new(notices::Outage::default()),
            }),
        }
    }

    fn slots(&self) -> Vec<Arc<Slot>> {
        lock(&self.inner.slots).clone()
    }

    fn slot(&self, id: &str) -> Option<Arc<Slot>> {
        self.slots().into_iter().find(|s| s.id == id)
    }

    fn active_id(&self) -> Option<String> {
        lock(&self.inner.active).clone()
    }

    /// The shown account's slot.
    fn active(&self) -> Option<Arc<Slot>> {
        self.active_id().and_then(|id| self.slot(&id))
    }

    /// The shown account, or a `signed_out` error when there is none.
    pub fn shown(&self) -> Result<Account> {
        self.active()
            .map(|s| s.account.clone())
            .ok_or_else(no_account)
    }

    /// A slot for `id`, wired to the shell through its own sink and notifier.
    fn make_slot(&self, id: String) -> Arc<Slot> {
        let weak = Arc::downgrade(&self.inner);
        let account = Account::new(
            self.inner.config.clone(),
            AccountPorts {
                secrets: self.inner.secrets.clone(),
                local: self.inner.store.state(&id),
                notifier: Arc::new(LabelledNotifier::new(id.clone(), weak.clone())),
                sink: Arc::new(SlotSink::new(id.clone(), weak)),
                runtime: self.inner.runtime.clone(),
            },
            self.device(),
        );
        Arc::new(Slot {
            id,
            account,
            identity: Mutex::new(Identity::default()),
            ended: Mutex::new(None),
            phone: Mutex::new(PhoneRegistration::default()),
        })
    }

    fn save_list(&self) {
        let list = AccountList {
            active: self.active_id(),
            ids: self.slots().iter().map(|s| s.id.clone()).collect(),
        };
        if let Err(err) = self.inner.store.save_list(&list) {
            tracing::warn!(kind = ?err.kind, error = %err, "the account list was not saved");
        }
    }

    /// At start: resumes every account kept here, then tells the UI the restore is over.
    pub async fn restore(&self) {
        let _one = self.inner.transition.lock().await;
        let list = self.inner.store.list().unwrap_or_else(|err| {
            tracing::warn!(kind = ?err.kind, error = %err, "could not read the account list");
            AccountList::default()
        });
        let slots: Vec<Arc<Slot>> = list
            .ids
            .iter()
            .map(|id| self.make_slot(id.clone()))
            .collect();
        for slot in &slots {
            let saved = self.inner.store.state(&slot.id).load().unwrap_or_default();
            *lock(&slot.identity) = Identity {
                server: saved.server.unwrap_or_default(),
                email: saved.email.unwrap_or_default(),
                workspace: None,
            };
        }
        *lock(&self.inner.slots) = slots.clone();
        *lock(&self.inner.active) = list.active;
        futures_util::future::join_all(slots.iter().map(|s| s.account.restore())).await;
        for slot in &slots {
            if let Ok(session) = slot.account.signed_in() {
                let server = session.session().api.url().as_str().to_owned();
                slot.learn(&server, session.session().agent.as_ref());
                // In the background: a server that is slow to answer must not hold the
                // start-up.
                let (accounts, slot) = (self.clone(), Arc::clone(slot));
                self.inner
                    .runtime
                    .spawn(async move { accounts.register_push_logged(&slot).await });
            }
        }
        // A place never signed in to (the first start) is not an account.
        lock(&self.inner.slots).retain(|s| s.signed_in() || !s.identity().server.is_empty());
        self.choose_active();
        self.save_list();
        self.inner.restoring.store(false, Ordering::Release);
        self.inner.sink.emit(UiEvent::Restored);
        self.publish();
    }

    /// Keeps the shown account if it runs, else shows the first that does, else the first.
    fn choose_active(&self) {
        let slots = self.slots();
        let current = self
            .active_id()
            .and_then(|id| slots.iter().find(|s| s.id == id).cloned());
        let next = match current {
            Some(slot) if slot.signed_in() => Some(slot.id.clone()),
            _ => slots
                .iter()
                .find(|s| s.signed_in())
                .or(slots.first())
                .map(|s| s.id.clone()),
        };
        *lock(&self.inner.active) = next;
    }

    /// Signs in to a server (another account, or again to one whose session ended) and
    /// shows it; the others keep running. The token goes to the keychain and nowhere else.
    pub async fn sign_in(
        &self,
        server: &str,
        email: &str,
        password: Sensitive<String>,
    ) -> Result<AgentProfile> {
        let _one = self.inner.transition.lock().await;
        let url = ServerUrl::parse(server.trim(), self.inner.config.allow_insecure)?;
        let wanted = email.trim().to_lowercase();
        let known = self.slots().into_iter().find(|s| {
            let identity = s.identity();
            identity.server == url.as_str() && identity.email.to_lowercase() == wanted
        });
        if let Some(slot) = known.as_ref().filter(|s| s.signed_in()) {
            let label = self.label_of(slot);
            return Err(CoreError::new(
                ErrorKind::InvalidInput,
                format!("Herald already follows {wanted} on {label}: pick it in the account list"),
            ));
        }
        let (slot, added) = match known {
            Some(slot) => (slot, false),
            None => (self.make_slot(store::new_id()), true),
        };
        let agent = match slot.account.sign_in(url.as_str(), email, password).await {
            Ok(agent) => agent,
            Err(err) => {
                if added {
                    // Nothing of it is kept: no list entry, no state file.
                    let _ = self.inner.store.forget(&slot.id);
                }
                return Err(err);
            }
        };
        slot.learn(url.as_str(), Some(&agent));
        *lock(&slot.ended) = None;
        self.register_push_logged(&slot).await;
        if added {
            lock(&self.inner.slots).push(slot.clone());
        }
        *lock(&self.inner.active) = Some(slot.id.clone());
        self.save_list();
        self.publish();
        Ok(agent)
    }

    /// Registers the phone's push token with a slot just signed in or restored; a failure
    /// is logged (the stream and the bell work without it; the next start tries again).
    async fn register_push_logged(&self, slot: &Slot) {
        if let Err(err) = self.register_push(slot).await {
            tracing::warn!(kind = ?err.kind, error = %err, "the phone's push token was not registered");
        }
    }

    /// Signs out of the shown account (see [`Accounts::sign_out_of`]).
    pub async fn sign_out(&self) -> Result<()> {
        let id = self.active_id().ok_or_else(no_account)?;
        self.sign_out_of(&id).await
    }

    /// Signs out of one account: its stream stops, its session is revoked, its token and
    /// state forgotten, and it leaves the list; the others keep running, and the first one
    /// running is shown if it was.
    pub async fn sign_out_of(&self, id: &str) -> Result<()> {
        let _one = self.inner.transition.lock().await;
        let slot = self.slot(id).ok_or_else(|| {
            CoreError::new(ErrorKind::NotFound, "Herald does not follow that account")
        })?;
        let result = slot.account.sign_out().await;
        lock(&self.inner.slots).retain(|s| s.id != id);
        self.leave_outage(id);
        if let Err(err) = self.inner.store.forget(id) {
            tracing::warn!(kind = ?err.kind, error = %err, "an account's state was not deleted");
        }
        self.choose_active();
        self.save_list();
        self.publish();
        result
    }

    /// Shows another account (its preferences, diagnostics, connection).
    pub async fn switch(&self, id: &str) -> Result<AccountsView> {
        let _one = self.inner.transition.lock().await;
        if self.slot(id).is_none() {
            return Err(CoreError::new(
                ErrorKind::NotFound,
                "Herald does not follow that account",
            ));
        }
        *lock(&self.inner.active) = Some(id.to_owned());
        self.save_list();
        self.publish();
        Ok(self.view())
    }

    /// The server ended one account's session (its token is already forgotten): it stays
    /// listed with the reason; if it was shown, a running one is shown instead. Only when
    /// none runs any more does the UI hear "signed out".
    fn ended(&self, id: &str, reason: String) {
        let Some(slot) = self.slot(id) else {
            return;
        };
        *lock(&slot.ended) = Some(reason.clone());
        self.leave_outage(id);
        let was_shown = self.active_id().as_deref() == Some(id);
        if was_shown {
            self.choose_active();
            self.save_list();
        }
        if !self.slots().iter().any(|s| s.signed_in()) {
            self.inner.sink.emit(UiEvent::SignedOut { reason });
        }
        self.publish();
    }

    /// Whether another account than `id` runs.
    fn others_run(&self, id: &str) -> bool {
        self.slots().iter().any(|s| s.id != id && s.signed_in())
    }

    /// The device's side of the policy.
    pub fn device(&self) -> DeviceContext {
        *lock(&self.inner.device)
    }

    /// Changes the device's side of the policy for every account.
    pub fn update_device(&self, change: impl FnOnce(&mut DeviceContext)) {
        let device = {
            let mut device = lock(&self.inner.device);
            change(&mut device);
            *device
        };
        for slot in self.slots() {
            // Whether the phone gets pushes is each account's own (its registration).
            slot.account.update_device(|d| {
                *d = DeviceContext {
                    pushed_to_this_phone: d.pushed_to_this_phone,
                    ..device
                }
            });
        }
    }

    /// The computer woke up or the network is back: every stream reconnects now.
    pub fn wake(&self) {
        for slot in self.slots() {
            slot.account.wake();
        }
    }

    /// Watches for sleeps by the clocks until `stop`, and wakes every stream after one.
    pub async fn watch_sleep(&self, stop: CancellationToken) {
        crate::account::watch_sleep(stop, || self.wake()).await;
    }

    /// Shows `item` in the window: now if the UI listens, else when it next asks.
    pub fn focus_item(&self, item: Uuid) {
        *lock(&self.inner.focus) = Some(item);
        self.inner.sink.emit(UiEvent::FocusItem { id: item });
    }

    /// At exit: stops every stream.
    pub fn shutdown(&self) {
        for slot in self.slots() {
            slot.account.shutdown();
        }
    }
}
