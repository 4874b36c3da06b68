//! The PostgreSQL database: a pool of readers and one write connection, migrated with
//! `migrations/postgres`.
//!
//! One writer per node keeps a node's writes in the order SQLite gives them (the ingest
//! writer's seq and counters are read and written in one transaction). Connections are
//! pinged before use: unlike a SQLite file, a server connection can die under the pool
//! (a restart, a failover), and the ping turns that into a fresh connection instead of a
//! failed request.

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::AnyPool;

use super::DbError;

/// The URL with its password replaced, for logs and errors.
pub(super) fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "postgres://…".to_owned(),
    }
}

async fn pool(options: &AnyConnectOptions, max: u32) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .test_before_acquire(true)
        // A request waits this long for the database to come back before it is answered
        // 503 (a restart or failover usually takes a few seconds).
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options.clone())
        .await
}

/// Connects and migrates (sqlx takes an advisory lock, so nodes starting together migrate
/// once): the writer and the readers.
pub(super) async fn open(url: &str) -> Result<(AnyPool, AnyPool), DbError> {
    let options: AnyConnectOptions = url.parse()?;
    let writer = pool(&options, 1).await?;
    sqlx::migrate!("./migrations/postgres").run(&writer).await?;
    let reader = pool(&options, 8).await?;
    Ok((writer, reader))
}
