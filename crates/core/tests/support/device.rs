//! A device running the app's accounts headless: its keychain and account store kept
//! across starts, and the steps the accounts tests share.

use std::sync::Arc;
use std::time::Duration;

use herald_core::account::AccountConfig;
use herald_core::accounts::store::{AccountStore, MemoryAccounts};
use herald_core::accounts::{Accounts, AccountsPorts};
use herald_core::client::DeviceContext;
use herald_core::ports::ConnState;
use herald_core::secret::{MemoryStore, SecretStore};
use herald_core::sensitive::Sensitive;
use herald_testkit::wait_until;

use super::{Recorder, TestServer, PASSWORD};

/// A device: its keychain and its account store, kept across starts of the app.
pub struct Device {
    pub secrets: Arc<dyn SecretStore>,
    pub store: Arc<dyn AccountStore>,
}

impl Device {
    pub fn new() -> Device {
        Device {
            secrets: Arc::new(MemoryStore::default()),
            store: Arc::new(MemoryAccounts::default()),
        }
    }

    /// A start of the app, restored.
    pub async fn start(&self) -> (Accounts, Arc<Recorder>) {
        let (accounts, recorder) = self.app();
        accounts.restore().await;
        (accounts, recorder)
    }

    /// A start of the app, not restored yet.
    pub fn app(&self) -> (Accounts, Arc<Recorder>) {
        let recorder = Arc::new(Recorder::default());
        let accounts = Accounts::new(
            AccountConfig {
                device_name: "test device".into(),
                save_debounce: Duration::from_millis(50),
                ..AccountConfig::default()
            },
            AccountsPorts {
                secrets: self.secrets.clone(),
                store: self.store.clone(),
                notifier: recorder.clone(),
                sink: recorder.clone(),
                runtime: tokio::runtime::Handle::current(),
            },
            DeviceContext::default(),
        );
        (accounts, recorder)
    }
}

pub async fn sign_in(accounts: &Accounts, server: &TestServer) -> String {
    accounts
        .sign_in(
            &server.url(),
            "ana@acme.test",
            Sensitive::new(PASSWORD.into()),
        )
        .await
        .unwrap();
    accounts.view().active.unwrap()
}

pub async fn all_live(accounts: &Accounts) {
    wait_until("every account is live", || {
        let view = accounts.view();
        view.accounts
            .iter()
            .all(|a| a.connection == ConnState::Live)
    })
    .await;
}

/// `server` takes an event and the merged bell shows it.
pub async fn delivers(accounts: &Accounts, server: &TestServer, event: &str) {
    server.ingest(event).await;
    let what = format!("{event} in the merged bell");
    wait_until(&what, || {
        accounts
            .bell_view()
            .is_ok_and(|b| b.items.iter().any(|i| i.notification.event_id == event))
    })
    .await;
}
