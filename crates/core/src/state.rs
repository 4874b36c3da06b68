//! What the client keeps between runs, behind a small trait: the stream position, the
//! cached first page and preferences for an offline start. Never a secret: the token lives
//! in the [`crate::secret::SecretStore`] only.

use std::path::PathBuf;
use std::sync::Mutex;

use herald_protocol::{Notification, PrefEdit, UnreadCount, VersionedPreferences};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, ErrorKind, Result};

/// The saved state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    /// The server the agent uses.
    pub server: Option<String>,
    /// The agent's email (the keychain account is server + email).
    pub email: Option<String>,
    /// The epoch `last_seq` belongs to.
    pub epoch: Option<String>,
    /// The highest seq the client holds.
    pub last_seq: u64,
    /// The newest items, for an offline start.
    pub first_page: Vec<Notification>,
    /// The last counter the server sent.
    pub unread: UnreadCount,
    /// The last preferences the server sent.
    pub preferences: Option<VersionedPreferences>,
    /// Preference edits not yet saved on the server (kept across restarts and sign-ins).
    #[serde(default)]
    pub pending_edits: Vec<PrefEdit>,
}

/// A place for [`Saved`]. Several parts write to it (the stream's position and cached
/// page, the unsaved preference edits, the session), so a change goes through
/// [`LocalState::update`]: each part changes its own fields of the latest state, and no
/// writer undoes another's change or races it for the file.
pub trait LocalState: Send + Sync {
    /// Reads it (the default when nothing is saved yet).
    fn load(&self) -> Result<Saved>;
    /// Replaces it whole (a new session).
    fn save(&self, state: &Saved) -> Result<()>;
    /// Changes it in one step: reads the latest, applies `change`, writes it, with no other
    /// save or update in between.
    fn update(&self, change: &mut dyn FnMut(&mut Saved)) -> Result<()>;
}

/// In memory.
#[derive(Debug, Default)]
pub struct MemoryState(Mutex<Saved>);

impl MemoryState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Saved> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl LocalState for MemoryState {
    fn load(&self) -> Result<Saved> {
        Ok(self.lock().clone())
    }
    fn save(&self, state: &Saved) -> Result<()> {
        *self.lock() = state.clone();
        Ok(())
    }
    fn update(&self, change: &mut dyn FnMut(&mut Saved)) -> Result<()> {
        change(&mut self.lock());
        Ok(())
    }
}

/// A JSON file, replaced atomically (write a sibling, sync, rename), so a crash or a full
/// disk leaves the previous state intact.
#[derive(Debug, Clone)]
pub struct FileState {
    path: PathBuf,
    /// Held across a whole write (and an update's read before it): two writers sharing the
    /// temporary file made one rename fail, or renamed a file another was still writing.
    /// Shared by clones: they write the same file.
    writing: std::sync::Arc<Mutex<()>>,
}

impl FileState {
    /// State in `path`.
    pub fn new(path: impl Into<PathBuf>) -> FileState {
        FileState {
            path: path.into(),
            writing: std::sync::Arc::new(Mutex::new(())),
        }
    }

    fn writing(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writing.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> Result<Saved> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).or_else(|e| {
                // A corrupt cache is not worth failing for: it only speeds up the start.
                tracing::warn!(error = %e, "local state unreadable; starting fresh");
                Ok(Saved::default())
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Saved::default()),
            Err(e) => Err(storage("read", e)),
        }
    }

    fn write(&self, state: &Saved) -> Result<()> {
        let json = serde_json::to_vec(state).map_err(|e| storage("encode", e))?;
        write_atomically(&self.path, &json)
    }
}

/// Writes a whole file or nothing: a temporary file beside it, synced, then renamed over it
/// (a crash or a full disk never leaves half a file).
pub(crate) fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| storage("create the folder of", e))?;
    }
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp).map_err(|e| storage("write", e))?;
    file.write_all(bytes).map_err(|e| storage("write", e))?;
    file.sync_all().map_err(|e| storage("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| storage("replace", e))
}

pub(crate) fn storage(action: &str, err: impl std::fmt::Display) -> CoreError {
    CoreError::new(
        ErrorKind::Storage,
        format!("could not {action} Herald's local state: {err}"),
    )
}

impl LocalState for FileState {
    fn load(&self) -> Result<Saved> {
        self.read()
    }

    fn save(&self, state: &Saved) -> Result<()> {
        let _writing = self.writing();
        self.write(state)
    }

    fn update(&self, change: &mut dyn FnMut(&mut Saved)) -> Result<()> {
        let _writing = self.writing();
        let mut state = self.read()?;
        change(&mut state);
        self.write(&state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_state_round_trips_and_survives_garbage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = FileState::new(dir.path().join("sub/state.json"));
        assert_eq!(state.load().expect("empty"), Saved::default());
        let saved = Saved {
            last_seq: 42,
            epoch: Some("e".into()),
            ..Saved::default()
        };
        state.save(&saved).expect("save");
        assert_eq!(state.load().expect("load"), saved);
        std::fs::write(dir.path().join("sub/state.json"), b"{not json").expect("garbage");
        assert_eq!(
            state.load().expect("garbage reads as fresh"),
            Saved::default()
        );
        let text = serde_json::to_string(&saved).expect("json");
        assert!(!text.contains("token"), "no secret field exists");
    }

    /// The stream, the preference sync and the session write from different threads: each
    /// update sees the one before it, and none fails for another's temporary file.
    #[test]
    fn concurrent_updates_are_applied_one_after_another() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = FileState::new(dir.path().join("state.json"));
        std::thread::scope(|scope| {
            for _ in 0..8 {
                let state = state.clone();
                scope.spawn(move || {
                    for _ in 0..25 {
                        state
                            .update(&mut |saved| saved.last_seq += 1)
                            .expect("update");
                        state.load().expect("a whole file is always there");
                    }
                });
            }
        });
        assert_eq!(state.load().expect("load").last_seq, 200);
    }

    #[test]
    fn a_failed_save_reports_storage_and_keeps_the_old_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = FileState::new(dir.path().join("state.json"));
        state
            .save(&Saved {
                last_seq: 1,
                ..Saved::default()
            })
            .expect("first save");
        // A directory where the temporary file should go makes the write fail.
        std::fs::create_dir(dir.path().join("state.tmp")).expect("block the temp file");
        let err = state
            .save(&Saved {
                last_seq: 2,
                ..Saved::default()
            })
            .expect_err("blocked");
        assert_eq!(err.kind, ErrorKind::Storage);
        assert_eq!(state.load().expect("old state").last_seq, 1, "nothing lost");
    }
}
