//! Sign in, restore, sign out against a real server; a failing keychain fails closed.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use herald_core::config::ServerUrl;
use herald_core::error::{CoreError, ErrorKind, Result};
use herald_core::secret::{MemoryStore, SecretStore};
use herald_core::sensitive::Sensitive;
use herald_core::session;
use herald_core::state::{FileState, LocalState, Saved};
use herald_protocol::SessionInfo;
use support::*;

/// A keychain that refuses everything (no Secret Service, locked, …).
struct BrokenKeychain;

impl SecretStore for BrokenKeychain {
    fn save(&self, _: &str, _: &Sensitive<String>) -> Result<()> {
        Err(CoreError::new(
            ErrorKind::Keychain,
            "the keychain is locked",
        ))
    }
    fn load(&self, _: &str) -> Result<Option<Sensitive<String>>> {
        Err(CoreError::new(
            ErrorKind::Keychain,
            "the keychain is locked",
        ))
    }
    fn delete(&self, _: &str) -> Result<()> {
        Ok(())
    }
}

fn password() -> Sensitive<String> {
    Sensitive::new(PASSWORD.into())
}

#[tokio::test]
async fn sign_in_restore_sign_out() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let local: Arc<dyn LocalState> = Arc::new(FileState::new(dir.path().join("state.json")));
    let url = ServerUrl::parse(&server.url(), false).unwrap();

    let signed = session::sign_in(
        url.clone(),
        "Ana@Acme.test",
        &password(),
        Some("laptop"),
        &secrets,
        &local,
    )
    .await
    .unwrap();
    assert_eq!(signed.agent.as_ref().unwrap().email, "ana@acme.test");
    let on_disk = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
    assert!(
        !on_disk.contains(signed.token.expose()),
        "the token is not in the state file"
    );
    assert!(
        !format!("{signed:?}").contains(signed.token.expose()),
        "nor in Debug output"
    );

    let restored = session::restore(&secrets, &local, false)
        .await
        .unwrap()
        .expect("restored");
    assert_eq!(restored.token, signed.token);
    assert_eq!(restored.agent.as_ref().unwrap().external_id, "ana");

    session::sign_out(restored, &secrets, &local).await.unwrap();
    assert!(session::restore(&secrets, &local, false)
        .await
        .unwrap()
        .is_none());
    let old = signed
        .api
        .me(&signed.token)
        .await
        .expect_err("revoked on the server");
    assert_eq!(old.kind, ErrorKind::SignedOut);
}

#[tokio::test]
async fn a_failing_keychain_fails_closed_and_leaves_no_session() {
    let server = TestServer::start().await;
    let secrets: Arc<dyn SecretStore> = Arc::new(BrokenKeychain);
    let local: Arc<dyn LocalState> = Arc::new(herald_core::state::MemoryState::default());
    let url = ServerUrl::parse(&server.url(), false).unwrap();
    let err = session::sign_in(
        url.clone(),
        "ana@acme.test",
        &password(),
        None,
        &secrets,
        &local,
    )
    .await
    .expect_err("fails closed");
    assert_eq!(err.kind, ErrorKind::Keychain);
    assert_eq!(
        local.load().unwrap(),
        Saved::default(),
        "nothing remembered"
    );

    // The session the server created for that attempt was revoked: only the new one is live.
    let api = herald_core::api::Api::new(url).unwrap();
    let (token, _) = api
        .sign_in("ana@acme.test", &password(), None)
        .await
        .unwrap();
    let sessions: Vec<SessionInfo> = reqwest::Client::new()
        .get(format!("{}/api/v1/sessions", server.url()))
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
}

#[tokio::test]
async fn restore_forgets_a_revoked_token_and_survives_offline() {
    let mut server = TestServer::start().await;
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let local: Arc<dyn LocalState> = Arc::new(herald_core::state::MemoryState::default());
    let url = ServerUrl::parse(&server.url(), false).unwrap();
    let signed = session::sign_in(
        url.clone(),
        "ana@acme.test",
        &password(),
        None,
        &secrets,
        &local,
    )
    .await
    .unwrap();

    // Offline: the session comes back unverified, so the cached bell can show.
    let addr = server.addr();
    server.running.take().unwrap().shutdown().await;
    let offline = session::restore(&secrets, &local, false)
        .await
        .unwrap()
        .expect("offline restore");
    assert!(offline.agent.is_none());

    // Back online on the same address, but the session was revoked meanwhile.
    let mut config = server_config(&server.dir.path().join("h.db"));
    config.bind = addr;
    server.running = Some(herald_server::start(config).await.unwrap());
    signed.api.sign_out(&signed.token).await.unwrap();
    assert!(session::restore(&secrets, &local, false)
        .await
        .unwrap()
        .is_none());
    let account = format!("{}|ana@acme.test", url.as_str());
    assert!(
        secrets.load(&account).unwrap().is_none(),
        "the dead token is deleted"
    );
}

#[tokio::test]
async fn another_account_does_not_inherit_the_cached_bell() {
    let server = TestServer::start().await;
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let local: Arc<dyn LocalState> = Arc::new(herald_core::state::MemoryState::default());
    local
        .save(&Saved {
            server: Some("https://other.example/".into()),
            email: Some("bob@other.example".into()),
            last_seq: 77,
            epoch: Some("x".into()),
            ..Saved::default()
        })
        .unwrap();
    let url = ServerUrl::parse(&server.url(), false).unwrap();
    session::sign_in(url, "ana@acme.test", &password(), None, &secrets, &local)
        .await
        .unwrap();
    let saved = local.load().unwrap();
    assert_eq!((saved.last_seq, saved.epoch), (0, None));
    assert_eq!(saved.email.as_deref(), Some("ana@acme.test"));
}

/// The headless front, as a person runs it: sign in, print a notification, leave on a
/// revoked session with a clear error.
#[tokio::test]
async fn herald_watch_prints_notifications_and_stops_when_signed_out() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let server = TestServer::start().await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald-watch"))
        .args(["--server", &server.url(), "--email", "ana@acme.test"])
        .env("HERALD_PASSWORD", PASSWORD)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    // Wait until live, then ingest a hostile reply.
    loop {
        let line = tokio::time::timeout(std::time::Duration::from_secs(10), stderr.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if line.contains("\"live\"") {
            break;
        }
    }
    let mut event = reply("w1");
    event.text = Some("line one\u{1b}[31m\nline two".into());
    server.ingest_event(&event).await;
    let line = tokio::time::timeout(std::time::Duration::from_secs(10), stdout.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        line, "NOTIFY Marina replied: Pedido #4821 | line one [31m line two",
        "control characters are neutralised"
    );

    // Revoke every session of ana: the watcher ends with an error, not a retry loop.
    let db = &server.running.as_ref().unwrap().db;
    sqlx_revoke(db).await;
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        !status.success(),
        "a signed-out watcher exits with an error"
    );
}

async fn sqlx_revoke(db: &herald_server::db::Db) {
    // As `herald-server agent disable` does.
    herald_server::admin::disable_agent(db, "ana@acme.test")
        .await
        .unwrap();
}

#[tokio::test]
async fn an_ended_session_forgets_its_token_and_keeps_the_local_state() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let local: Arc<dyn LocalState> = Arc::new(FileState::new(dir.path().join("state.json")));
    let url = ServerUrl::parse(&server.url(), false).unwrap();
    let signed = session::sign_in(url, "ana@acme.test", &password(), None, &secrets, &local)
        .await
        .unwrap();
    let before = local.load().unwrap();

    session::forget_token(&signed, &secrets, &local).unwrap();

    assert!(
        session::restore(&secrets, &local, false)
            .await
            .unwrap()
            .is_none(),
        "no token left to restore"
    );
    assert_eq!(
        local.load().unwrap(),
        before,
        "server, email and unsaved edits stay for the next sign-in"
    );
}
