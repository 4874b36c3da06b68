//! Several accounts and one network: when every account's stream goes, the agent is told
//! once that Herald is offline (the banner and one OS notification), and once that it is
//! back when every account is back, with what they caught up between them; an account
//! signed out of while down ends its part of the outage. Against two real servers, each
//! behind a fault-injecting proxy.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use herald_core::account::AccountConfig;
use herald_core::accounts::store::MemoryAccounts;
use herald_core::accounts::{Accounts, AccountsPorts};
use herald_core::client::{ClientConfig, DeviceContext};
use herald_core::ports::{ConnState, Notice, UiEvent};
use herald_core::secret::MemoryStore;
use herald_core::sensitive::Sensitive;
use herald_testkit::wait_until;
use support::*;

fn notices(recorder: &Recorder) -> Vec<(Notice, String)> {
    recorder
        .shown
        .lock()
        .unwrap()
        .iter()
        .filter_map(|n| n.notice.map(|notice| (notice, n.body.clone())))
        .collect()
}

fn banner(recorder: &Recorder) -> Vec<bool> {
    recorder
        .events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            UiEvent::Offline { offline } => Some(*offline),
            _ => None,
        })
        .collect()
}

/// Two servers behind proxies, and an app signed in to both, live.
struct Two {
    servers: [TestServer; 2],
    proxies: [FaultProxy; 2],
    accounts: Accounts,
    recorder: Arc<Recorder>,
}

async fn two_accounts() -> Two {
    let (one, two) = (TestServer::start().await, TestServer::start().await);
    let proxies = [
        FaultProxy::start(one.addr()).await,
        FaultProxy::start(two.addr()).await,
    ];
    let recorder = Arc::new(Recorder::default());
    let accounts = Accounts::new(
        AccountConfig {
            device_name: "test device".into(),
            client: ClientConfig {
                backoff_base: Duration::from_millis(30),
                backoff_cap: Duration::from_millis(150),
                heartbeat_timeout: Duration::from_millis(800),
                connect_timeout: Duration::from_secs(2),
                offline_after: Duration::from_millis(300),
                ..ClientConfig::default()
            },
            ..AccountConfig::default()
        },
        AccountsPorts {
            secrets: Arc::new(MemoryStore::default()),
            store: Arc::new(MemoryAccounts::default()),
            notifier: recorder.clone(),
            sink: recorder.clone(),
            runtime: tokio::runtime::Handle::current(),
        },
        DeviceContext::default(),
    );
    accounts.restore().await;
    for proxy in &proxies {
        let url = format!("http://{}", proxy.addr);
        let password = Sensitive::new(PASSWORD.into());
        accounts
            .sign_in(&url, "ana@acme.test", password)
            .await
            .unwrap();
    }
    wait_until("both accounts live", || {
        let view = accounts.view();
        view.accounts.len() == 2
            && view
                .accounts
                .iter()
                .all(|a| a.connection == ConnState::Live)
    })
    .await;
    Two {
        servers: [one, two],
        proxies,
        accounts,
        recorder,
    }
}

/// Every reconnect of both accounts fails from now on.
async fn network_goes(two: &Two) {
    for proxy in &two.proxies {
        proxy.retarget(dead_address().await);
        proxy.cut();
    }
}

#[tokio::test]
async fn one_outage_of_every_account_is_one_offline_notice_and_one_back_online_in_all() {
    let two = two_accounts().await;
    let Two {
        servers: [one, other],
        proxies,
        accounts,
        recorder,
    } = &two;
    // The network goes; items keep coming on both servers.
    network_goes(&two).await;
    for n in 0..2 {
        one.ingest(&format!("away-one-{n}")).await;
    }
    for n in 0..3 {
        other.ingest(&format!("away-two-{n}")).await;
    }
    wait_until("both accounts said offline", || {
        accounts.view().accounts.iter().all(|a| a.offline)
    })
    .await;
    assert_eq!(
        notices(recorder)
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>(),
        [Notice::Offline],
        "one notice for the app, not one per account"
    );
    assert_eq!(banner(recorder), [true]);

    // Back: the first account back says nothing yet; the last says it for both.
    proxies[0].retarget(one.addr());
    wait_until("the first account is back", || {
        !accounts.view().accounts[0].offline
    })
    .await;
    assert_eq!(
        notices(recorder).len(),
        1,
        "still offline for the other account"
    );
    proxies[1].retarget(other.addr());
    wait_until("the back-online notice", || notices(recorder).len() == 2).await;
    let (back, body) = notices(recorder)[1].clone();
    assert_eq!(back, Notice::Online { caught_up: 5 });
    assert_eq!(body, "5 notifications caught up.");
    assert_eq!(banner(recorder), [true, false]);
    assert!(accounts.view().accounts.iter().all(|a| !a.offline));
    accounts.shutdown();
}

#[tokio::test]
async fn the_last_account_down_signed_out_of_ends_the_outage_with_what_the_others_caught_up() {
    let two = two_accounts().await;
    let Two {
        servers: [one, _],
        proxies,
        accounts,
        recorder,
    } = &two;
    network_goes(&two).await;
    one.ingest("away-one").await;
    wait_until("both accounts said offline", || {
        accounts.view().accounts.iter().all(|a| a.offline)
    })
    .await;
    proxies[0].retarget(one.addr());
    wait_until("the first account is back", || {
        !accounts.view().accounts[0].offline
    })
    .await;
    // The second never comes back: the agent signs out of it.
    let second = accounts.view().accounts[1].id.clone();
    accounts.sign_out_of(&second).await.unwrap();
    let told: Vec<Notice> = notices(recorder).iter().map(|(n, _)| *n).collect();
    assert_eq!(told, [Notice::Offline, Notice::Online { caught_up: 1 }]);
    assert_eq!(banner(recorder), [true, false]);
    accounts.shutdown();
}
