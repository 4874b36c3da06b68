//! Several accounts in one app, headless against two real servers: one bell merging both
//! with each item's account, the total counter, actions going to the account that holds the
//! item, OS notifications labelled, the list kept across a restart, signing out of one and
//! one ended on the server while the other keeps running.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use herald_core::account::AccountConfig;
use herald_core::accounts::store::FileAccounts;
use herald_core::client::DeviceContext;
use herald_core::error::ErrorKind;
use herald_core::ports::{ConnState, UiEvent};
use herald_core::secret::{MemoryStore, SecretStore};
use herald_core::sensitive::Sensitive;
use herald_core::views::AccountsView;
use herald_server::admin;
use herald_testkit::wait_until;
use support::device::*;
use support::*;

fn last_accounts(recorder: &Recorder) -> Option<AccountsView> {
    recorder
        .events
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find_map(|e| match e {
            UiEvent::Accounts { accounts } => Some(accounts.clone()),
            _ => None,
        })
}

#[tokio::test]
async fn two_servers_share_one_bell_with_each_items_account_and_survive_a_restart() {
    let (one, two) = (TestServer::start().await, TestServer::start().await);
    let device = Device::new();
    let (accounts, recorder) = device.start().await;
    assert!(
        accounts.view().accounts.is_empty(),
        "a first start follows nothing"
    );
    let first = sign_in(&accounts, &one).await;
    let second = sign_in(&accounts, &two).await;
    assert_ne!(first, second);
    all_live(&accounts).await;
    let again = accounts
        .sign_in(&one.url(), "ANA@acme.test", Sensitive::new(PASSWORD.into()))
        .await
        .unwrap_err();
    assert_eq!(again.kind, ErrorKind::InvalidInput, "{again}");

    one.ingest("from-one").await;
    two.ingest("from-two-a").await;
    two.ingest("from-two-b").await;
    let indicators = accounts.indicators();
    wait_until("the tray counts both servers", || {
        indicators.borrow().unread == 3
    })
    .await;

    let view = accounts.view();
    assert_eq!(
        view.active.as_deref(),
        Some(second.as_str()),
        "the last signed in is shown"
    );
    let unread: Vec<(String, u32)> = view
        .accounts
        .iter()
        .map(|a| (a.id.clone(), a.unread))
        .collect();
    assert_eq!(unread, [(first.clone(), 1), (second.clone(), 2)]);
    let labels: Vec<String> = view.accounts.iter().map(|a| a.label.clone()).collect();
    assert_eq!(
        labels,
        [
            format!("Acme ({})", one.addr()),
            format!("Acme ({})", two.addr())
        ],
        "one workspace name on two servers: told apart by the server"
    );
    assert_eq!(
        last_accounts(&recorder),
        Some(view.clone()),
        "the UI heard the list"
    );

    let bell = accounts.bell_view().unwrap();
    assert_eq!(bell.unread.total, 3);
    let owners: Vec<(String, String)> = bell
        .items
        .iter()
        .map(|i| (i.notification.event_id.clone(), i.account.clone().unwrap()))
        .collect();
    for (event, owner) in [
        ("from-one", &first),
        ("from-two-a", &second),
        ("from-two-b", &second),
    ] {
        assert!(
            owners.contains(&(event.to_owned(), owner.clone())),
            "{owners:?}"
        );
    }
    let items: Vec<(String, Option<String>)> = recorder
        .events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            UiEvent::Item {
                notification,
                account,
                ..
            } => Some((notification.event_id.clone(), account.clone())),
            _ => None,
        })
        .collect();
    assert!(
        items.contains(&("from-one".into(), Some(first.clone()))),
        "{items:?}"
    );
    let titles: Vec<String> = recorder
        .shown
        .lock()
        .unwrap()
        .iter()
        .map(|n| n.title.clone())
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with(&format!("Acme ({}) · ", one.addr()))),
        "OS notifications say whose they are: {titles:?}"
    );

    // Marking an item read goes to its own server.
    let from_one = bell
        .items
        .iter()
        .find(|i| i.notification.event_id == "from-one")
        .unwrap();
    let marked = accounts
        .mark(vec![from_one.notification.id], true)
        .await
        .unwrap();
    assert_eq!((marked.changed, marked.unread.total), (1, 2));
    wait_until("the first account counts 0", || {
        accounts.view().accounts[0].unread == 0 && indicators.borrow().unread == 2
    })
    .await;
    let why = accounts.why(from_one.notification.id).unwrap();
    assert!(
        why.is_some(),
        "the trail is asked of the account holding the item"
    );

    // Preferences are the shown account's; switching shows the other.
    accounts.switch(&first).await.unwrap();
    assert_eq!(accounts.view().active.as_deref(), Some(first.as_str()));
    let unknown = accounts.switch("0000ffff").await.unwrap_err();
    assert_eq!(unknown.kind, ErrorKind::NotFound);

    // A new start of the app follows both again, the same ids, the same one shown.
    accounts.shutdown();
    let (restarted, _) = device.start().await;
    all_live(&restarted).await;
    let view = restarted.view();
    let ids: Vec<&str> = view.accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, [first.as_str(), second.as_str()]);
    assert_eq!(view.active.as_deref(), Some(first.as_str()));
    let session = restarted.session_view();
    assert!(session.signed_in && !session.restoring, "{session:?}");
    assert_eq!(session.accounts.as_ref(), Some(&view));
    restarted.shutdown();
}

#[tokio::test]
async fn signing_out_of_one_or_losing_one_on_its_server_keeps_the_other_running() {
    let (one, two) = (TestServer::start().await, TestServer::start().await);
    let device = Device::new();
    let (accounts, recorder) = device.start().await;
    let first = sign_in(&accounts, &one).await;
    sign_in(&accounts, &two).await;
    all_live(&accounts).await;

    // Signing out of the shown one: the other is shown and keeps its stream.
    accounts.sign_out().await.unwrap();
    let view = accounts.view();
    let ids: Vec<&str> = view.accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, [first.as_str()]);
    assert_eq!(view.active.as_deref(), Some(first.as_str()));
    assert!(
        device.store.list().unwrap().ids == vec![first.clone()],
        "the list kept drops it"
    );
    delivers(&accounts, &one, "still-here").await;

    // Add it back, then the first one's agent is disabled on its server.
    let second = sign_in(&accounts, &two).await;
    accounts.switch(&first).await.unwrap();
    all_live(&accounts).await;
    admin::disable_agent(&one.running.as_ref().unwrap().db, "ana@acme.test")
        .await
        .unwrap();
    wait_until("the ended account is listed with its reason", || {
        accounts.view().accounts[0].ended.is_some()
    })
    .await;
    let view = accounts.view();
    assert!(!view.accounts[0].signed_in);
    assert!(
        view.accounts[0]
            .ended
            .as_deref()
            .unwrap()
            .contains("disabled"),
        "{view:?}"
    );
    assert_eq!(
        view.active.as_deref(),
        Some(second.as_str()),
        "a running one is shown"
    );
    assert!(
        !recorder
            .events
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, UiEvent::SignedOut { .. })
                || matches!(
                    e,
                    UiEvent::Connection {
                        state: ConnState::SignedOut { .. }
                    }
                )),
        "the app is not signed out while another account runs"
    );
    delivers(&accounts, &two, "other-still-live").await;
    // The count comes in its own message, after the item.
    wait_until("the tray to count the running one", || {
        accounts.indicators().borrow().unread == 1
    })
    .await;

    // Removing the ended one; then signing out of the last: the app is signed out.
    accounts.sign_out_of(&first).await.unwrap();
    accounts.sign_out().await.unwrap();
    let session = accounts.session_view();
    assert!(!session.signed_in, "{session:?}");
    assert_eq!(session.accounts.unwrap().accounts.len(), 0);
    assert_eq!(accounts.bell_view().unwrap_err().kind, ErrorKind::SignedOut);
    assert_eq!(
        accounts.indicators().borrow().connection,
        ConnState::Stopped
    );
}

#[tokio::test]
async fn an_app_from_before_several_accounts_restores_its_one_account_signed_in() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    // The app as it was: one account, its state in state.json.
    let old = herald_core::account::Account::new(
        AccountConfig::default(),
        herald_core::account::AccountPorts {
            secrets: secrets.clone(),
            local: Arc::new(herald_core::state::FileState::new(
                dir.path().join("state.json"),
            )),
            notifier: Arc::new(Recorder::default()),
            sink: Arc::new(Recorder::default()),
            runtime: tokio::runtime::Handle::current(),
        },
        DeviceContext::default(),
    );
    old.restore().await;
    old.sign_in(
        &server.url(),
        "ana@acme.test",
        Sensitive::new(PASSWORD.into()),
    )
    .await
    .unwrap();
    server.ingest("before-the-update").await;
    wait_until("the old app holds the item", || {
        old.bell_view().is_ok_and(|b| b.items.len() == 1)
    })
    .await;
    old.shutdown();

    // The updated app on the same files and keychain: the same account, nobody signed out.
    let device = Device {
        secrets,
        store: Arc::new(FileAccounts::new(dir.path())),
    };
    let (accounts, _) = device.start().await;
    all_live(&accounts).await;
    let view = accounts.view();
    assert_eq!(view.accounts.len(), 1, "{view:?}");
    assert_eq!(view.accounts[0].id, "main");
    assert_eq!(view.accounts[0].label, "Acme");
    let bell = accounts.bell_view().unwrap();
    assert_eq!(bell.items[0].notification.event_id, "before-the-update");
    assert!(
        dir.path().join("accounts.json").exists(),
        "the list is kept from now on"
    );
    accounts.shutdown();
}

/// The agent's phones on one server, as its API lists them (through herald-core's client).
async fn phones_on(server: &TestServer) -> Vec<herald_protocol::PushDevice> {
    let url = herald_core::config::ServerUrl::parse(&server.url(), false).unwrap();
    let api = herald_core::api::Api::new(url).unwrap();
    let (token, _) = api
        .sign_in("ana@acme.test", &Sensitive::new(PASSWORD.into()), None)
        .await
        .unwrap();
    let devices = api.push_devices(&token).await.unwrap();
    devices
        .into_iter()
        .filter(|d| d.platform == herald_protocol::PushPlatform::Apns)
        .collect()
}

#[tokio::test]
async fn a_phones_push_token_reaches_every_account_and_a_new_one_replaces_it() {
    use herald_core::accounts::PushToken;
    use herald_protocol::PushPlatform;
    let (one, two) = (TestServer::start().await, TestServer::start().await);
    let device = Device::new();
    let (accounts, _) = device.start().await;
    let token = |hex: char| PushToken {
        platform: PushPlatform::Apns,
        token: std::iter::repeat_n(hex, 64).collect(),
        app_id: "dev.herald.app".into(),
    };
    // Given before any sign-in: each account registers it when it signs in.
    accounts.set_push_token(Some(token('a'))).await.unwrap();
    sign_in(&accounts, &one).await;
    sign_in(&accounts, &two).await;
    let first = (phones_on(&one).await, phones_on(&two).await);
    assert_eq!((first.0.len(), first.1.len()), (1, 1), "{first:?}");
    assert_eq!(first.0[0].name, "test device");

    // The OS rotates it: the old one is gone from both, the new one there.
    accounts.set_push_token(Some(token('b'))).await.unwrap();
    for (server, before) in [(&one, &first.0[0]), (&two, &first.1[0])] {
        let now = phones_on(server).await;
        assert_eq!(now.len(), 1, "{now:?}");
        assert_ne!(now[0].id, before.id, "the new token is another device row");
    }

    // A junk token (the OS would never give one; a bug might): refused, said, kept out.
    let junk = PushToken {
        token: "not hex".into(),
        ..token('c')
    };
    let refused = accounts.set_push_token(Some(junk)).await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::InvalidInput, "{refused}");
    assert_eq!(
        phones_on(&one).await.len(),
        0,
        "the replaced one was removed first"
    );
    accounts.shutdown();

    // The next start: the OS hands the token over before the accounts are restored; each
    // registers it once it runs (in the background: a slow server must not hold the start).
    let (restarted, _) = device.app();
    restarted.set_push_token(Some(token('d'))).await.unwrap();
    restarted.restore().await;
    for server in [&one, &two] {
        let what = format!("the token registered with {} after the start", server.url());
        herald_testkit::wait_for(&what, || async {
            (phones_on(server).await.len() == 1).then_some(())
        })
        .await;
    }
    restarted.shutdown();
}
