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
}

impl Db {
    /// Opens (creating if needed) and migrates the database.
    pub async fn open(url: &DatabaseUrl) -> Result<Db, DbError> {
        let DatabaseUrl::Sqlite(path) = url;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DbError::Sql(sqlx::Error::Io(e)))?;
        }
        let options = options(path)?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await?;
        let db = Db { reader, writer };
        db.ensure_epoch().await?;
        Ok(db)
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
        Ok(())
    }

    /// Checkpoints the WAL and closes every connection.
    pub async fn close(&self) {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await;
        self.reader.close().await;
        self.writer.close().await;
    }
}

fn options(path: &Path) -> Result<SqliteConnectOptions, DbError> {
    let url = format!("sqlite://{}", path.display());
    Ok(SqliteConnectOptions::from_str(&url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10)))
}

#[cfg(test)]
mod tests {
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
