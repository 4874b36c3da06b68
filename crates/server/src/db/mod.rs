//! Storage: SQLite (the embedded default) or PostgreSQL, chosen by the database URL, behind
//! sqlx's `Any` driver so one set of statements serves both.
//!
//! - `mod.rs`: the URL, [`Db`] (a writer pool and a reader pool), migrations, the epoch and
//!   the link key;
//! - `sqlite`: the file's connections (WAL, `synchronous = FULL`, one writer) and the
//!   checkpointer;
//! - `postgres`: the cluster's pools;
//! - `time`: times as text that sorts in time order, on both stores ([`SqlTime`]).
//!
//! Statements are written once where the two dialects agree (`$1` placeholders, `ON
//! CONFLICT`, `RETURNING`, text times, integer flags); where they do not (`json_each` vs
//! `json_array_elements`, multi-statement texts), the caller asks [`Db::backend`].
//!
//! All writes go through [`Db::writer`], a pool of exactly one connection on both stores, so
//! writes of one node are serialised as SQLite serialises them; readers never block them.

mod postgres;
mod sqlite;
mod time;

use std::path::PathBuf;

use sqlx::AnyPool;
use sqlx::Row;

pub use time::{sql_time, RowExt, SqlTime, TimeColumn};

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names a database this build does not support.
    #[error("unsupported database URL {0:?}: {1}")]
    Unsupported(String, &'static str),
    /// The database or the file system refused.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Where the data lives.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database: `postgres://user:password@host:port/db?…` (the password, if
    /// any, is never printed: see the `Debug` impl).
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            DatabaseUrl::Postgres(url) => f
                .debug_tuple("Postgres")
                .field(&postgres::redacted(url))
                .finish(),
        }
    }
}

/// The file's path, or the URL with its password replaced: safe for logs.
impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&postgres::redacted(url)),
        }
    }
}

impl DatabaseUrl {
    /// Parses `postgres://…` / `postgresql://…`, or `sqlite://path`, `sqlite:path` or a plain
    /// path.
    pub fn parse(url: &str) -> Result<DatabaseUrl, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return match url::Url::parse(url) {
                Ok(parsed) if parsed.host_str().is_some_and(|h| !h.is_empty()) => {
                    Ok(DatabaseUrl::Postgres(url.to_owned()))
                }
                _ => Err(DbError::Unsupported(
                    postgres::redacted(url),
                    "expected postgres://user:password@host:port/database",
                )),
            };
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() || path.contains("://") {
            return Err(DbError::Unsupported(
                url.chars().take(80).collect(),
                "expected a SQLite file path, sqlite://path or postgres://…",
            ));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }
}

/// Which store a [`Db`] is on, for the few statements the two write differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

impl Backend {
    /// The store behind a connection (for code that holds a connection, not the [`Db`]).
    pub fn of(conn: &sqlx::AnyConnection) -> Backend {
        if conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// The database handles.
#[derive(Clone, Debug)]
pub struct Db {
    /// Readers (they never block the writer: WAL on SQLite, MVCC on PostgreSQL).
    pub reader: AnyPool,
    /// The single write connection.
    pub writer: AnyPool,
    backend: Backend,
    /// SQLite's WAL upkeep; none on PostgreSQL.
    wal: Option<sqlite::Wal>,
}

impl Db {
    /// Opens (creating if needed) and migrates the database.
    pub async fn open(url: &DatabaseUrl) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let db = match url {
            DatabaseUrl::Sqlite(path) => {
                let (writer, reader, wal) = sqlite::open(path).await?;
                Db {
                    reader,
                    writer,
                    backend: Backend::Sqlite,
                    wal: Some(wal),
                }
            }
            DatabaseUrl::Postgres(url) => {
                let (writer, reader) = postgres::open(url).await?;
                Db {
                    reader,
                    writer,
                    backend: Backend::Postgres,
                    wal: None,
                }
            }
        };
        db.ensure_epoch().await?;
        Ok(db)
    }

    /// Which store this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A write transaction. On SQLite `BEGIN IMMEDIATE` takes the write lock up front
    /// (waiting for it under the busy timeout) instead of upgrading a read snapshot later,
    /// which SQLite refuses without waiting when the snapshot went stale.
    pub async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writer.begin().await,
        }
    }

    /// Passive checkpoints beside the writer every `period` until `stop` (SQLite; nothing to
    /// do on PostgreSQL).
    pub fn checkpointer(
        &self,
        period: std::time::Duration,
        stop: tokio_util::sync::CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        match &self.wal {
            Some(wal) => wal.checkpointer(period, stop),
            None => tokio::spawn(async {}),
        }
    }

    /// Truncates SQLite's WAL when it still grew past [`sqlite::WAL_LIMIT`] (long readers
    /// kept it from restarting). Runs on the write connection, between writes.
    pub async fn checkpoint_if_large(&self) {
        if let Some(wal) = &self.wal {
            wal.truncate_if_large(&self.writer).await;
        }
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

    /// Checkpoints SQLite's WAL and closes every connection.
    pub async fn close(&self) {
        if let Some(wal) = &self.wal {
            wal.close(&self.writer).await;
        }
        self.reader.close().await;
        self.writer.close().await;
    }
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
        assert_eq!(
            DatabaseUrl::parse("postgres://herald:secret@db.internal:5432/herald").ok(),
            Some(DatabaseUrl::Postgres(
                "postgres://herald:secret@db.internal:5432/herald".into()
            ))
        );
        let err = DatabaseUrl::parse("postgres:///nohost").expect_err("no host");
        assert!(err.to_string().contains("expected postgres://"), "{err}");
        assert!(DatabaseUrl::parse("mysql://x").is_err());
    }

    #[test]
    fn a_password_is_never_printed() {
        let url = DatabaseUrl::parse("postgres://herald:s3cr3t@db:5432/herald").expect("url");
        assert!(!format!("{url:?}").contains("s3cr3t"), "{url:?}");
        assert_eq!(url.to_string(), "postgres://herald:***@db:5432/herald");
        let err = DatabaseUrl::parse("postgresql://herald:s3cr3t@/x").expect_err("no host");
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
    }
}
