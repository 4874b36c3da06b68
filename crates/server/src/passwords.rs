//! Passwords: Argon2id with bounded memory and concurrency.
//!
//! Every hash costs 19 MiB (the crate's defaults: 19 MiB, 2 passes, one lane). Run on the
//! blocking pool, a burst of sign-ins used to run hundreds at once and the allocator kept the
//! freed buffers: one client could take the host's memory. Here hashes run on a fixed set of
//! worker threads, one per core by default, each with **one memory buffer allocated once and
//! reused** (`hash_password_into_with_memory`), behind a bounded queue: a full queue refuses
//! at once ([`Busy`]), so memory is `workers × 19 MiB` whatever the load. The sign-in limiter
//! counts an attempt before it reaches the queue (`auth::RateLimiter::attempt`).

use std::sync::mpsc::{self, SyncSender, TrySendError};

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand_core::OsRng;
use tokio::sync::oneshot;

use crate::error::AppError;

/// Largest Argon2 memory a stored hash may ask for (64 MiB): a hash written by a future,
/// heavier setting still verifies; a corrupt one cannot make a worker allocate without bound.
const MAX_MEMORY_KIB: u32 = 64 * 1024;

/// The queue is full: try again in a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// One verification waiting for a worker.
struct Verification {
    password: String,
    stored: String,
    reply: oneshot::Sender<bool>,
}

/// The hashing workers and their queue. Dropping it ends the workers once the queue drains.
#[derive(Debug, Clone)]
pub struct Passwords {
    queue: SyncSender<Verification>,
}

impl std::fmt::Debug for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.write_str("Verification")
    }
}

impl Passwords {
    /// `workers` threads (at least one) and at most `queue` verifications waiting for one.
    pub fn start(workers: usize, queue: usize) -> std::io::Result<Passwords> {
        let (tx, rx) = mpsc::sync_channel::<Verification>(queue);
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for n in 0..workers.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("herald-argon2-{n}"))
                .spawn(move || {
                    let mut memory: Vec<Block> = Vec::new();
                    loop {
                        let work = {
                            let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
                            rx.recv()
                        };
                        let Ok(Verification {
                            password,
                            stored,
                            reply,
                        }) = work
                        else {
                            return; // every sender is gone: the server stopped
                        };
                        let _ = reply.send(verify_with(&mut memory, &password, &stored));
                    }
                })?;
        }
        Ok(Passwords { queue: tx })
    }

    /// Workers for this machine: one per core.
    pub fn workers_for_this_machine() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }

    /// Checks `password` against `stored`; `Err(Busy)` at once when the queue is full.
    pub async fn verify(&self, password: String, stored: String) -> Result<bool, Busy> {
        let (reply, answer) = oneshot::channel();
        match self.queue.try_send(Verification {
            password,
            stored,
            reply,
        }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => return Err(Busy),
        }
        answer.await.map_err(|_| Busy)
    }
}

/// Verifies with the worker's own memory, grown once to what the hash needs. Only Argon2id
/// hashes verify; anything malformed never matches. The comparison is constant-time.
fn verify_with(memory: &mut Vec<Block>, password: &str, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    if hash.algorithm != argon2::ARGON2ID_IDENT {
        return false;
    }
    let (Some(expected), Some(salt)) = (hash.hash, hash.salt) else {
        return false;
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    if params.m_cost() > MAX_MEMORY_KIB {
        return false;
    }
    let version = match hash.version.map(Version::try_from) {
        Some(Ok(version)) => version,
        None => Version::V0x13,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(Algorithm::Argon2id, version, params);
    if argon
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..blocks])
        .is_err()
    {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// Hashes a password with Argon2id (the crate's defaults: 19 MiB, 2 passes). For the admin
/// paths (the CLI, the demo's seed), which hash one password at a time.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

/// A hash to verify against when the email is unknown, so that unknown and known emails
/// take the same time to refuse.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that matches nothing").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify_only_themselves_with_reused_memory() {
        let passwords = Passwords::start(1, 4).expect("workers");
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"), "Argon2id: {hash}");
        for _ in 0..2 {
            // The same worker, its buffer reused.
            assert!(passwords
                .verify("correct horse".into(), hash.clone())
                .await
                .expect("room"));
        }
        assert!(!passwords
            .verify("correct horse ".into(), hash.clone())
            .await
            .expect("room"));
        assert!(!passwords
            .verify("x".into(), "not a hash".into())
            .await
            .expect("room"));
        assert!(!passwords
            .verify("decoy password".into(), decoy_hash().to_owned())
            .await
            .expect("room"));
        let argon2i = hash.replacen("$argon2id$", "$argon2i$", 1);
        assert!(
            !passwords
                .verify("correct horse".into(), argon2i)
                .await
                .expect("room"),
            "only Argon2id hashes verify"
        );
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        // One worker, no room to wait: of many at once, some are refused, none hang.
        let passwords = Passwords::start(1, 0).expect("workers");
        let hash = hash_password("pw").expect("hash");
        let tries = (0..8).map(|_| passwords.verify("pw".into(), hash.clone()));
        let answers = futures_util::future::join_all(tries).await;
        assert!(answers.contains(&Err(Busy)), "{answers:?}");
        assert!(
            answers.iter().all(|a| matches!(a, Ok(true) | Err(Busy))),
            "{answers:?}"
        );
    }
}
