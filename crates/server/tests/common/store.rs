//! The store the tests run against: a SQLite file in the test's folder, or, with
//! `HERALD_TEST_STORE=postgres`, a fresh database for each server in the PostgreSQL cluster
//! that `HERALD_TEST_POSTGRES` names (`postgres://user@host:port/db`; `scripts/test.sh`
//! starts one). The README's test command runs the server's suite once on each.

use std::path::Path;

use herald_server::db::DatabaseUrl;
use sqlx::{Connection as _, Executor as _};

/// The cluster the tests may use, if one was started.
pub fn postgres_cluster() -> Option<String> {
    std::env::var("HERALD_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Whether the suite runs on PostgreSQL (`HERALD_TEST_STORE=postgres`; it then needs the
/// cluster).
pub fn on_postgres() -> bool {
    std::env::var("HERALD_TEST_STORE").is_ok_and(|s| s == "postgres")
}

/// A new, empty PostgreSQL database in the cluster.
pub async fn fresh_postgres(cluster: &str) -> DatabaseUrl {
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(cluster)
        .await
        .unwrap_or_else(|e| panic!("HERALD_TEST_POSTGRES={cluster} does not answer: {e}"));
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut url = url::Url::parse(cluster).unwrap();
    url.set_path(&name);
    DatabaseUrl::Postgres(url.to_string())
}

/// A new, empty database: `herald.db` in `dir`, or a new database in the cluster.
pub async fn fresh(dir: &Path) -> DatabaseUrl {
    if !on_postgres() {
        return DatabaseUrl::Sqlite(dir.join("herald.db"));
    }
    let cluster = postgres_cluster().expect(
        "HERALD_TEST_STORE=postgres needs HERALD_TEST_POSTGRES (scripts/test.sh starts a cluster)",
    );
    fresh_postgres(&cluster).await
}

/// The `--database` argument that names `db` to the binary.
pub fn arg(db: &DatabaseUrl) -> String {
    match db {
        DatabaseUrl::Sqlite(path) => path.display().to_string(),
        DatabaseUrl::Postgres(url) => url.clone(),
    }
}

/// A fresh database in the cluster for a test that needs PostgreSQL whichever the pass,
/// or `None` when there is no cluster and `HERALD_SKIP_POSTGRES` asks to skip (loudly; the
/// test fails otherwise).
pub async fn postgres_or_skip() -> Option<DatabaseUrl> {
    let cluster = postgres_cluster();
    if !herald_testkit::runs_with(
        cluster.is_some(),
        "HERALD_SKIP_POSTGRES",
        "HERALD_TEST_POSTGRES (a PostgreSQL cluster) is unset: scripts/test.sh starts one",
    ) {
        return None;
    }
    Some(fresh_postgres(&cluster?).await)
}
