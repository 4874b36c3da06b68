//! Which accounts this device follows, kept between runs: their ids in the order they were
//! added and the one shown. Each account's own state (position, cached page, unsaved edits)
//! is a [`LocalState`] of its own; its token is in the keychain under "server|email".
//!
//! On disk ([`FileAccounts`]) the list is `accounts.json` beside one `state-<id>.json` per
//! account. An app from before several accounts has only `state.json`: it reads as one
//! account, `main`, whose state stays in that file, so an update signs nobody out.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::state::{storage, write_atomically, FileState, LocalState, MemoryState};

/// The id of the account of an app from before several accounts (its state is `state.json`).
pub const FIRST: &str = "main";

/// The accounts, in the order they were added, and the one shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountList {
    /// The one shown, if any.
    pub active: Option<String>,
    /// Every account's id.
    pub ids: Vec<String>,
}

impl Default for AccountList {
    /// Before anything was saved: the one account an app from before several accounts has.
    fn default() -> Self {
        AccountList {
            active: Some(FIRST.to_owned()),
            ids: vec![FIRST.to_owned()],
        }
    }
}

impl AccountList {
    /// Drops ids that are not ours (a hand-edited file must not name a path) and repeats.
    fn checked(mut self) -> AccountList {
        let mut seen = std::collections::HashSet::new();
        self.ids
            .retain(|id| valid_id(id) && seen.insert(id.clone()));
        if !self.active.as_ref().is_some_and(|a| self.ids.contains(a)) {
            self.active = self.ids.first().cloned();
        }
        self
    }
}

/// Ids are made here: `main`, or 8 lowercase hex digits.
pub fn valid_id(id: &str) -> bool {
    id == FIRST
        || (id.len() == 8
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// A fresh id for a new account.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
}

/// Where the list and each account's state are kept.
pub trait AccountStore: Send + Sync {
    /// The list (the default one when nothing was saved).
    fn list(&self) -> Result<AccountList>;
    /// Replaces the list.
    fn save_list(&self, list: &AccountList) -> Result<()>;
    /// The state of one account.
    fn state(&self, id: &str) -> Arc<dyn LocalState>;
    /// Deletes the state of an account that was signed out of.
    fn forget(&self, id: &str) -> Result<()>;
}

/// In files in one folder.
#[derive(Debug, Clone)]
pub struct FileAccounts {
    dir: PathBuf,
}

impl FileAccounts {
    /// The list and the states in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> FileAccounts {
        FileAccounts { dir: dir.into() }
    }

    fn state_path(&self, id: &str) -> PathBuf {
        if id == FIRST {
            self.dir.join("state.json")
        } else {
            self.dir.join(format!("state-{id}.json"))
        }
    }
}

impl AccountStore for FileAccounts {
    fn list(&self) -> Result<AccountList> {
        match std::fs::read(self.dir.join("accounts.json")) {
            Ok(bytes) => Ok(serde_json::from_slice::<AccountList>(&bytes)
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "the account list is unreadable; reading the first account only");
                    AccountList::default()
                })
                .checked()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AccountList::default()),
            Err(e) => Err(storage("read the account list of", e)),
        }
    }

    fn save_list(&self, list: &AccountList) -> Result<()> {
        let json = serde_json::to_vec(list).map_err(|e| storage("encode", e))?;
        write_atomically(&self.dir.join("accounts.json"), &json)
    }

    fn state(&self, id: &str) -> Arc<dyn LocalState> {
        Arc::new(FileState::new(self.state_path(id)))
    }

    fn forget(&self, id: &str) -> Result<()> {
        match std::fs::remove_file(self.state_path(id)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(storage("delete an account's", e)),
        }
    }
}

/// In memory (tests, a headless run).
#[derive(Default)]
pub struct MemoryAccounts {
    list: Mutex<Option<AccountList>>,
    states: Mutex<HashMap<String, Arc<MemoryState>>>,
}

impl AccountStore for MemoryAccounts {
    fn list(&self) -> Result<AccountList> {
        let list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        Ok(list.clone().unwrap_or_default())
    }

    fn save_list(&self, list: &AccountList) -> Result<()> {
        *self.list.lock().unwrap_or_else(|p| p.into_inner()) = Some(list.clone());
        Ok(())
    }

    fn state(&self, id: &str) -> Arc<dyn LocalState> {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        states.entry(id.to_owned()).or_default().clone()
    }

    fn forget(&self, id: &str) -> Result<()> {
        self.states
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Saved;

    #[test]
    fn an_app_from_before_several_accounts_reads_as_one_account_in_state_json() {
        let dir = tempfile::tempdir().expect("tempdir");
        let saved = Saved {
            server: Some("https://h.example/".into()),
            last_seq: 9,
            ..Saved::default()
        };
        FileState::new(dir.path().join("state.json"))
            .save(&saved)
            .expect("old app's state");
        let store = FileAccounts::new(dir.path());
        assert_eq!(store.list().expect("list"), AccountList::default());
        assert_eq!(store.state(FIRST).load().expect("state"), saved);
    }

    #[test]
    fn the_list_round_trips_and_a_tampered_one_names_no_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileAccounts::new(dir.path());
        let id = new_id();
        assert!(valid_id(&id), "{id}");
        let list = AccountList {
            active: Some(id.clone()),
            ids: vec![FIRST.into(), id.clone()],
        };
        store.save_list(&list).expect("save");
        assert_eq!(store.list().expect("list"), list);
        store.state(&id).save(&Saved::default()).expect("state");
        assert!(dir.path().join(format!("state-{id}.json")).exists());
        store.forget(&id).expect("forget");
        assert!(!dir.path().join(format!("state-{id}.json")).exists());
        store.forget(&id).expect("forgetting twice is fine");

        std::fs::write(
            dir.path().join("accounts.json"),
            br#"{"active":"../../etc","ids":["../../etc","main","main","ABCDEF12","0123abcd"]}"#,
        )
        .expect("tamper");
        assert_eq!(
            store.list().expect("list"),
            AccountList {
                active: Some(FIRST.into()),
                ids: vec![FIRST.into(), "0123abcd".into()],
            }
        );
        std::fs::write(dir.path().join("accounts.json"), b"{not json").expect("garbage");
        assert_eq!(store.list().expect("list"), AccountList::default());
    }
}
