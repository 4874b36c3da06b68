//! The SQLite file: WAL mode, one write connection and a pool of readers.
//!
//! All writes go through one connection, so writers queue in the process instead of failing
//! with `SQLITE_BUSY`; readers never block them (WAL). `synchronous = FULL`: a committed
//! transaction survives a crash or a power cut. Ingest batches many events into one
//! transaction (see `ingest`), so syncs do not limit throughput.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::AnyPool;
use sqlx::Executor as _;

use super::DbError;

/// WAL size past which the writer blocks briefly to reset it.
pub const WAL_LIMIT: u64 = 256 * 1024 * 1024;

/// Every connection: a committed transaction is on disk; foreign keys hold; a writer waits
/// up to 10 s for another process's lock (the admin CLI) instead of failing; reads come
/// through 256 MiB of mmap.
const COMMON: &str = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
    PRAGMA busy_timeout = 10000; PRAGMA mmap_size = 268435456;";

/// The writer. WAL upkeep: the checkpointer task copies frames into the database beside the
/// writer (see [`Wal::checkpointer`]), so the writer's own auto-checkpoint, which runs right
/// after a commit and is the one that lets the WAL restart from its beginning, finds little
/// left to copy; journal_size_limit shrinks the file after a restart. 8 MiB of page cache:
/// the writer mostly appends, and reads come through mmap. SQLite scans the whole cache's
/// hash table at the end of every write transaction (pcache1TruncateUnsafe), so a larger
/// cache costs CPU on every commit: 64 MiB made that scan about 6% of the server's CPU
/// under load.
const WRITER: &str = "PRAGMA journal_mode = WAL; PRAGMA cache_size = -8192; \
    PRAGMA wal_autocheckpoint = 4096; PRAGMA journal_size_limit = 67108864;";

const READER: &str = "PRAGMA cache_size = -16384;";

/// The file's WAL and the checkpointer's own connection.
#[derive(Clone, Debug)]
pub(super) struct Wal {
    path: PathBuf,
    checkpoints: AnyPool,
}

fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// `sqlite://<path>?mode=…`, the path percent-encoded so `?`, `#` and `%` in it survive.
fn url(path: &Path, mode: &str) -> Result<AnyConnectOptions, DbError> {
    let text = path.to_str().ok_or_else(|| {
        DbError::Unsupported(
            path.display().to_string(),
            "the SQLite file's path must be UTF-8",
        )
    })?;
    let mut encoded = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => encoded.push_str("%25"),
            '?' => encoded.push_str("%3F"),
            '#' => encoded.push_str("%23"),
            c => encoded.push(c),
        }
    }
    Ok(format!("sqlite://{encoded}?mode={mode}").parse()?)
}

/// A pool whose connections run `pragmas` when they open. No ping before each acquire: a
/// SQLite connection is a file handle in this process, not a socket that can go stale, and
/// the ping is a round trip to sqlx's worker thread (two thread wake-ups) before every
/// write transaction and read.
async fn pool(
    options: AnyConnectOptions,
    max: u32,
    pragmas: &'static str,
) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                conn.execute(COMMON).await?;
                conn.execute(pragmas).await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
}

/// Opens (creating if needed) and migrates the file: the writer, the readers, the WAL.
pub(super) async fn open(path: &Path) -> Result<(AnyPool, AnyPool, Wal), DbError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| DbError::Sql(sqlx::Error::Io(e)))?;
    }
    let writer = pool(url(path, "rwc")?, 1, WRITER).await?;
    sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
    let reader = pool(url(path, "ro")?, 8, READER).await?;
    let checkpoints = pool(url(path, "rw")?, 1, "").await?;
    let wal = Wal {
        path: wal_path(path),
        checkpoints,
    };
    Ok((writer, reader, wal))
}

impl Wal {
    /// Passive checkpoints beside the writer every `period` until `stop`: they never block
    /// the writer or readers, so commits stay fast.
    pub(super) fn checkpointer(
        &self,
        period: Duration,
        stop: tokio_util::sync::CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let wal = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    _ = ticks.tick() => {}
                }
                if wal.size() == 0 {
                    continue;
                }
                if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&wal.checkpoints)
                    .await
                {
                    tracing::warn!(error = %err, "passive checkpoint failed; will retry");
                }
            }
        })
    }

    /// Truncates the WAL when it still grew past [`WAL_LIMIT`]; on the write connection,
    /// so it never conflicts with a write; it waits for readers up to the busy timeout.
    pub(super) async fn truncate_if_large(&self, writer: &AnyPool) {
        if self.size() <= WAL_LIMIT {
            return;
        }
        match sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(writer)
            .await
        {
            Ok(_) => tracing::info!("WAL reset after growing past its limit"),
            Err(err) => tracing::warn!(error = %err, "WAL reset failed; will retry"),
        }
    }

    /// Checkpoints the whole WAL into the file (at shutdown).
    pub(super) async fn close(&self, writer: &AnyPool) {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(writer)
            .await;
        self.checkpoints.close().await;
    }

    fn size(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A path with the characters a URL would take for its own reaches the same file.
    #[tokio::test]
    async fn odd_paths_open_the_named_file() {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a?b#c%20d.db");
        let (writer, reader, wal) = open(&path).await.expect("opens");
        assert!(path.exists(), "{} made", path.display());
        sqlx::query("INSERT INTO meta (key, value) VALUES ('k', 'v')")
            .execute(&writer)
            .await
            .expect("write");
        let value: String = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'k'")
            .fetch_one(&reader)
            .await
            .expect("read");
        assert_eq!(value, "v");
        wal.close(&writer).await;
    }
}
