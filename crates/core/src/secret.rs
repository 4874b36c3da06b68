//! Where the session token is kept: the OS keychain, behind a narrow trait.
//!
//! [`KeyringStore`] uses the real store of each OS (Linux kernel keyutils, macOS / iOS
//! Keychain, Windows Credential Manager, on Android a key in the Android Keystore through
//! android-keyring; only Linux is built and run here). When it fails, the error says so and nothing is
//! written anywhere else: no plain-file fallback, ever. [`MemoryStore`] is for tests and for
//! a headless run that must not persist the token.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{CoreError, ErrorKind, Result};
use crate::sensitive::Sensitive;

/// A place for one secret per account (the account is the server URL + email).
pub trait SecretStore: Send + Sync {
    /// Stores the secret.
    fn save(&self, account: &str, secret: &Sensitive<String>) -> Result<()>;
    /// Reads it; `Ok(None)` when there is none.
    fn load(&self, account: &str) -> Result<Option<Sensitive<String>>>;
    /// Deletes it (no error when there is none).
    fn delete(&self, account: &str) -> Result<()>;
}

/// In memory only.
#[derive(Debug, Default)]
pub struct MemoryStore {
    secrets: Mutex<HashMap<String, String>>,
}

impl SecretStore for MemoryStore {
    fn save(&self, account: &str, secret: &Sensitive<String>) -> Result<()> {
        let mut map = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(account.to_owned(), secret.expose().clone());
        Ok(())
    }
    fn load(&self, account: &str) -> Result<Option<Sensitive<String>>> {
        let map = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
        Ok(map.get(account).cloned().map(Sensitive::new))
    }
    fn delete(&self, account: &str) -> Result<()> {
        let mut map = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(account);
        Ok(())
    }
}

/// The OS keychain.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    /// Secrets under the given service name (e.g. "dev.herald.app").
    pub fn new(service: impl Into<String>) -> KeyringStore {
        KeyringStore {
            service: service.into(),
        }
    }
}

fn keychain_error(action: &str, detail: impl std::fmt::Display) -> CoreError {
    CoreError::new(
        ErrorKind::Keychain,
        format!(
            "the system keychain could not {action} ({detail}); Herald keeps your session only there, \
             so you will have to sign in again until the keychain works"
        ),
    )
}

/// Android: keyring's store there is android-keyring's (secrets encrypted with a key in the
/// Android Keystore), installed once, from the app's context, before the first use.
#[cfg(target_os = "android")]
fn android_store() -> Result<()> {
    static READY: std::sync::OnceLock<std::result::Result<(), String>> = std::sync::OnceLock::new();
    READY
        .get_or_init(|| {
            android_keyring::set_android_keyring_credential_builder().map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| keychain_error("be opened", e))
}

/// The keychain entry of `account`.
#[cfg(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "ios",
    target_os = "android",
    windows
))]
fn entry(service: &str, account: &str) -> Result<keyring::Entry> {
    #[cfg(target_os = "android")]
    android_store()?;
    keyring::Entry::new(service, account).map_err(|e| keychain_error("be opened", e))
}

#[cfg(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "ios",
    target_os = "android",
    windows
))]
impl SecretStore for KeyringStore {
    fn save(&self, account: &str, secret: &Sensitive<String>) -> Result<()> {
        entry(&self.service, account)?
            .set_password(secret.expose())
            .map_err(|e| keychain_error("store the session", e))
    }
    fn load(&self, account: &str) -> Result<Option<Sensitive<String>>> {
        let entry = entry(&self.service, account)?;
        match entry.get_password() {
            Ok(secret) => Ok(Some(Sensitive::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error("read the session", e)),
        }
    }
    fn delete(&self, account: &str) -> Result<()> {
        let entry = entry(&self.service, account)?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error("delete the session", e)),
        }
    }
}

/// Platforms without a keychain backend: every call fails closed.
#[cfg(not(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "ios",
    target_os = "android",
    windows
)))]
impl SecretStore for KeyringStore {
    fn save(&self, _: &str, _: &Sensitive<String>) -> Result<()> {
        Err(keychain_error(
            "be used",
            "no keychain backend on this platform yet",
        ))
    }
    fn load(&self, _: &str) -> Result<Option<Sensitive<String>>> {
        Err(keychain_error(
            "be used",
            "no keychain backend on this platform yet",
        ))
    }
    fn delete(&self, _: &str) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trips() {
        let store = MemoryStore::default();
        assert!(store.load("a").expect("load").is_none());
        store.save("a", &Sensitive::new("t".into())).expect("save");
        assert_eq!(
            store.load("a").expect("load"),
            Some(Sensitive::new("t".into()))
        );
        store.delete("a").expect("delete");
        store.delete("a").expect("deleting nothing is fine");
        assert!(store.load("a").expect("load").is_none());
    }

    /// The real keychain of this machine: either it works, or it fails with the keychain
    /// kind (fail closed). Both are real outcomes; what may never happen is a silent success
    /// that does not read back.
    #[test]
    fn the_os_keychain_works_or_fails_closed() {
        let store = KeyringStore::new("dev.herald.test");
        let account = format!("test-{}", uuid::Uuid::new_v4());
        match store.save(&account, &Sensitive::new("hrld_s_probe".into())) {
            Ok(()) => {
                assert_eq!(
                    store.load(&account).expect("read back"),
                    Some(Sensitive::new("hrld_s_probe".into()))
                );
                store.delete(&account).expect("delete");
                assert!(store.load(&account).expect("load").is_none());
                eprintln!("OS keychain: works");
            }
            Err(err) => {
                // scripts/test.sh runs the tests inside a kernel session keyring; elsewhere
                // the failure must be asked for, and is then still checked to fail closed.
                assert!(
                    std::env::var_os("HERALD_SKIP_KEYCHAIN").is_some(),
                    "no usable OS keychain here ({err}); scripts/test.sh runs the tests inside \
                     `keyctl session`; set HERALD_SKIP_KEYCHAIN=1 to check only that it fails closed"
                );
                eprintln!("SKIPPED the working-keychain half (HERALD_SKIP_KEYCHAIN is set)");
                assert_eq!(err.kind, ErrorKind::Keychain);
                assert!(
                    !err.message.contains("hrld_s_probe"),
                    "the secret is not in the error"
                );
                eprintln!("OS keychain: unavailable here, failing closed: {err}");
            }
        }
    }
}
