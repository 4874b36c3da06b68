//! Storage: a SQLite file in WAL mode, one write connection and a pool of readers.
//!
//! All writes go through [`Db::writer`], a pool of exactly one connection, so writers queue
//! in the process instead of failing with `SQLITE_BUSY`; readers never block them (WAL).
//! `synchronous = FULL`: a committed transaction survives a crash or a power cut. Ingest
//! batches many events into one transaction (see `ingest`), so syncs do not limit throughput.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;

/// A time as sqlx's SQLite encoding writes a `DateTime<Utc>`, so rows written through JSON
/// compare and sort with rows bound directly.
pub(crate) fn sql_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names a database this build does not support.
    #[error("unsupported database URL {0:?}: {1}")]
    Unsupported(String, &'static str),
    /// SQLite or the file system refused.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// Parses `sqlite://path`, `sqlite:path` or a plain path. `postgres://` is recognised and
    /// refused with a clear message: the PostgreSQL backend is not built yet.
    pub fn parse(url: &str) -> Result<DatabaseUrl, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Err(DbError::Unsupported(
                "postgres://…".into(),
                "the PostgreSQL backend is not built yet; use a SQLite file",
            ));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() || path.contains("://") {
            return Err(DbError::Unsupported(
                url.chars().take(80).collect(),
                "expected a SQLite file path or sqlite://path",
            ));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }
}

/// The database handles.
#[derive(Clone, Debug)]
pub struct Db {
    /// Readers (WAL: they never block the writer).
    pub reader: SqlitePool,
    /// The single write connection.
    pub writer: SqlitePool,
    /// The checkpointer's own connection.
    checkpoints: SqlitePool,
    /// The WAL file, to watch its size.
    wal: PathBuf,
}

/// WAL size past which the checkpointer blocks briefly to reset it.
pub const WAL_LIMIT: u64 = 256 * 1024 * 1024;

fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

impl Db {
    /// Opens (creating if needed) and migrates the database.
    pub async fn open(url: &DatabaseUrl) -> Result<Db, DbError> {
        let DatabaseUrl::Sqlite(path) = url;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DbError::Sql(sqlx::Error::Io(e)))?;
        }
        let options = options(path)?;
        // WAL upkeep: the checkpointer task copies frames into the database beside the
        // writer (see `checkpointer`), so the writer's own auto-checkpoint, which runs right
        // after a commit and is the one that lets the WAL restart from its beginning, finds
        // little left to copy. journal_size_limit shrinks the file after a restart.
        // No ping before each acquire: a SQLite connection is a file handle in this process,
        // not a socket that can go stale, and the ping is a round trip to sqlx's worker
        // thread (two thread wake-ups) before every write transaction and read.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(
                // 8 MiB of page cache: the writer mostly appends, and reads come through
                // mmap. SQLite scans the whole cache's hash table at the end of every write
                // transaction (pcache1TruncateUnsafe), so a larger cache costs CPU on every
                // commit: 64 MiB made that scan about 6% of the server's CPU under load.
                options
                    .clone()
                    .pragma("cache_size", "-8192")
                    .pragma("wal_autocheckpoint", "4096")
                    .pragma("journal_size_limit", "67108864"),
            )
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(
                options
                    .clone()
                    .read_only(true)
                    .pragma("cache_size", "-16384"),
            )
            .await?;
        let checkpoints = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        let db = Db {
            reader,
            writer,
            checkpoints,
            wal: wal_path(path),
        };
        db.ensure_epoch().await?;
        Ok(db)
    }

    /// A write transaction. `BEGIN IMMEDIATE` takes the write lock up front (waiting for it
    /// under the busy timeout) instead of upgrading a read snapshot later, which SQLite
    /// refuses without waiting when the snapshot went stale.
    pub async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }

    /// Passive checkpoints beside the writer every `period` until `stop`: they never block
    /// the writer or readers, so commits stay fast.
    pub fn checkpointer(
        &self,
        period: Duration,
        stop: tokio_util::sync::CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let db = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    _ = ticks.tick() => {}
                }
                if db.wal_size() == 0 {
                    continue;
                }
                if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&db.checkpoints)
                    .await
                {
                    tracing::warn!(error = %err, "passive checkpoint failed; will retry");
                }
            }
        })
    }

    /// Truncates the WAL when it still grew past [`WAL_LIMIT`] (long readers kept it from
    /// restarting). Runs on the write connection, between writes, so it never conflicts
    /// with one; it waits for readers up to the busy timeout.
    pub async fn checkpoint_if_large(&self) {
        if self.wal_size() <= WAL_LIMIT {
            return;
        }
        match sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await
        {
            Ok(_) => tracing::info!("WAL reset after growing past its limit"),
            Err(err) => tracing::warn!(error = %err, "WAL reset failed; will retry"),
        }
    }

    fn wal_size(&self) -> u64 {
        std::fs::metadata(&self.wal).map(|m| m.len()).unwrap_or(0)
    }

    /// This database's epoch: random, made once. A client whose saved seq belongs to
    /// another epoch (a new or restored database) must refetch instead of resuming.
    pub async fn epoch(&self) -> Result<String, sqlx::Error> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = 'epoch'")
            .fetch_one(&self.reader)
            .await?;
        row.try_get("value")
    }

    async fn ensure_epoch(&self) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('epoch', $1) ON CONFLICT (key) DO NOTHING",
        )
        .bind(uuid::Uuid::new_v4().simple().to_string())
        .execute(&self.writer)
        .await?;
        // The key that signs links in emails (random, made once, never leaves the database).
        let (key, _) = crate::token::new_token("");
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('link_key', $1) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The key that signs links in emails.
    pub async fn link_key(&self) -> Result<Vec<u8>, sqlx::Error> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = 'link_key'")
            .fetch_one(&self.reader)
            .await?;
        Ok(row.try_get::<String, _>("value")?.into_bytes())
    }

    /// Checkpoints the WAL and closes every connection.
    pub async fn close(&self) {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await;
        self.reader.close().await;
        self.writer.close().await;
        self.checkpoints.close().await;
    }
}

fn options(path: &Path) -> Result<SqliteConnectOptions, DbError> {
    let url = format!("sqlite://{}", path.display());
    Ok(SqliteConnectOptions::from_str(&url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("mmap_size", "268435456"))
}

#[cfg(test)]
mod tests {
    use sqlx::Connection as _;

    /// Rows written through JSON carry their times in the very text sqlx binds, so the
    /// outbox's `not_before <= ?` and the summaries' `created_at` ranges compare them right.
    #[tokio::test]
    async fn times_are_written_as_sqlx_binds_them() {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite");
        for t in [
            "2026-12-02T01:02:03Z",
            "2026-12-02T01:02:03.5Z",
            "2026-12-02T01:02:03.123456789Z",
        ] {
            let t: chrono::DateTime<chrono::Utc> = t.parse().expect("a time");
            let bound: String = sqlx::query_scalar("SELECT ?1")
                .bind(t)
                .fetch_one(&mut conn)
                .await
                .expect("select");
            assert_eq!(bound, sql_time(&t));
        }
    }

    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/h.db").ok(),
            Some(DatabaseUrl::Sqlite("/tmp/h.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("data/h.db").ok(),
            Some(DatabaseUrl::Sqlite("data/h.db".into()))
        );
        let err = DatabaseUrl::parse("postgres://u@h/db").expect_err("not built");
        assert!(err.to_string().contains("not built yet"), "{err}");
        assert!(DatabaseUrl::parse("mysql://x").is_err());
    }
}
