//! A database made by an earlier release opens with this one and keeps its meaning:
//! migration 0004 backfills the unread counters and moves events and conversations into
//! tables without a rowid, and what it moved still works (idempotency, the counter).

mod common;

use herald_server::db::{DatabaseUrl, Db};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::Row;

const WS: &str = "00000000-0000-4000-8000-000000000001";
const AGENT: &str = "00000000-0000-4000-8000-000000000002";

#[tokio::test]
async fn an_earlier_database_keeps_its_counters_events_and_conversations() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.db");

    // The schema as the release before 0004 left it, with some data in it.
    let mut migrator = Migrator::new(std::path::Path::new("./migrations/sqlite"))
        .await
        .expect("migrations");
    let before: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version < 4)
        .cloned()
        .collect();
    assert_eq!(before.len(), 3, "0001 to 0003");
    migrator.migrations = before.into();
    let old = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true),
        )
        .await
        .expect("open");
    migrator.run(&old).await.expect("old migrations");
    let t = "2026-11-30T10:00:00Z";
    sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES (?, 'w', ?)")
        .bind(WS)
        .bind(t)
        .execute(&old)
        .await
        .expect("workspace");
    sqlx::query(
        "INSERT INTO agents (id, workspace_id, external_id, email, name, password_hash, last_seq, prefs, created_at) \
         VALUES (?, ?, 'ana', 'ana@x.test', 'Ana', 'x', 4, '{}', ?)",
    )
    .bind(AGENT)
    .bind(WS)
    .bind(t)
    .execute(&old)
    .await
    .expect("agent");
    // Two unread bell items, one read, one off the bell.
    for (seq, on_bell, read_at) in [(1, 1, None), (2, 1, Some(t)), (3, 0, None), (4, 1, None)] {
        sqlx::query(
            "INSERT INTO notifications (id, agent_id, seq, event_id, kind, on_bell, read_at, created_at, data) \
             VALUES (?, ?, ?, ?, 'assignment', ?, ?, ?, '{}')",
        )
        .bind(format!("00000000-0000-4000-8000-00000000010{seq}"))
        .bind(AGENT)
        .bind(seq)
        .bind(format!("e{seq}"))
        .bind(on_bell)
        .bind(read_at)
        .bind(t)
        .execute(&old)
        .await
        .expect("notification");
    }
    sqlx::query(
        "INSERT INTO events (workspace_id, event_id, body_hash, kind, recipients, received_at) \
         VALUES (?, 'e1', 'hash', 'assignment', 1, ?)",
    )
    .bind(WS)
    .bind(t)
    .execute(&old)
    .await
    .expect("event");
    sqlx::query(
        "INSERT INTO conversations (workspace_id, conversation_id, assignee, participants, updated_at) \
         VALUES (?, 'c1', 'ana', '[\"ana\",\"bo\"]', ?)",
    )
    .bind(WS)
    .bind(t)
    .execute(&old)
    .await
    .expect("conversation");
    old.close().await;

    // This release opens it.
    let db = Db::open(&DatabaseUrl::Sqlite(path.clone()))
        .await
        .expect("opens and migrates");
    let unread: i64 = sqlx::query_scalar("SELECT unread FROM agents WHERE id = ?")
        .bind(AGENT)
        .fetch_one(&db.reader)
        .await
        .expect("counter");
    assert_eq!(unread, 2, "backfilled: unread bell items only");
    let event = sqlx::query("SELECT body_hash, recipients FROM events WHERE event_id = 'e1'")
        .fetch_one(&db.reader)
        .await
        .expect("the event moved");
    assert_eq!(event.get::<String, _>("body_hash"), "hash");
    let participants: String =
        sqlx::query_scalar("SELECT participants FROM conversations WHERE conversation_id = 'c1'")
            .fetch_one(&db.reader)
            .await
            .expect("the conversation moved");
    assert_eq!(participants, r#"["ana","bo"]"#);
    let without_rowid: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_schema WHERE name IN ('events', 'conversations') AND sql LIKE '%WITHOUT ROWID%'",
    )
    .fetch_one(&db.reader)
    .await
    .expect("schema");
    assert_eq!(without_rowid, 2);

    // The triggers keep the counter from here on: reading, unreading and deleting items.
    let set_read = |seq: i64, read: Option<&'static str>| {
        sqlx::query("UPDATE notifications SET read_at = ? WHERE agent_id = ? AND seq = ?")
            .bind(read)
            .bind(AGENT)
            .bind(seq)
    };
    set_read(1, Some(t))
        .execute(&db.writer)
        .await
        .expect("read");
    set_read(2, None).execute(&db.writer).await.expect("unread");
    set_read(3, Some(t))
        .execute(&db.writer)
        .await
        .expect("read off the bell");
    sqlx::query("DELETE FROM notifications WHERE seq = 4")
        .execute(&db.writer)
        .await
        .expect("delete");
    let unread: i64 = sqlx::query_scalar("SELECT unread FROM agents WHERE id = ?")
        .bind(AGENT)
        .fetch_one(&db.reader)
        .await
        .expect("counter");
    let counted: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE agent_id = ? AND on_bell = 1 AND read_at IS NULL",
    )
    .bind(AGENT)
    .fetch_one(&db.reader)
    .await
    .expect("count");
    assert_eq!((unread, counted), (1, 1), "item 2 alone is unread");
    db.close().await;
}

/// Column kinds as both stores name them: text, or an integer of any width.
fn kind(declared: &str) -> &'static str {
    let declared = declared.to_ascii_lowercase();
    if declared.contains("int") {
        "integer"
    } else if declared.contains("text") || declared.contains("char") {
        "text"
    } else {
        "other"
    }
}

/// Every table and column of the SQLite schema, with its kind and whether it may be NULL
/// (a primary key may not: SQLite allows NULL in a text key only by an old quirk).
type Columns = std::collections::BTreeSet<(String, String, &'static str, bool)>;

/// Tables only PostgreSQL has: they serve several nodes on one database, and SQLite has one.
const POSTGRES_ONLY: &[&str] = &["stream_notices"];

/// The PostgreSQL schema (migrations/postgres) has exactly the SQLite one's tables and
/// columns (migrations/sqlite), of the same kinds and nullability, so a statement written
/// once finds the same shape on both (but for [`POSTGRES_ONLY`]); a migration added to one
/// folder and not the other fails here.
#[tokio::test]
async fn postgres_has_the_same_tables_and_columns_as_sqlite() {
    let cluster = common::store::postgres_cluster();
    if !herald_testkit::runs_with(
        cluster.is_some(),
        "HERALD_SKIP_POSTGRES",
        "HERALD_TEST_POSTGRES (a PostgreSQL cluster) is unset: scripts/test.sh starts one",
    ) {
        return;
    }
    let Some(cluster) = cluster else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = Db::open(&DatabaseUrl::Sqlite(dir.path().join("h.db")))
        .await
        .expect("SQLite");
    let mut ours = Columns::new();
    for row in sqlx::query(
        "SELECT m.name AS t, p.name AS c, p.type AS ty, p.\"notnull\" AS nn, p.pk AS pk \
         FROM sqlite_schema AS m JOIN pragma_table_info(m.name) AS p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&sqlite.reader)
    .await
    .expect("SQLite's columns")
    {
        let ty: String = row.get("ty");
        let not_null = row.get::<i64, _>("nn") != 0 || row.get::<i64, _>("pk") != 0;
        ours.insert((row.get("t"), row.get("c"), kind(&ty), !not_null));
    }
    sqlite.close().await;

    let pg = Db::open(&common::store::fresh_postgres(&cluster).await)
        .await
        .expect("PostgreSQL");
    let mut theirs = Columns::new();
    for row in sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, \
                is_nullable::text AS nullable \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&pg.reader)
    .await
    .expect("PostgreSQL's columns")
    {
        let ty: String = row.get("ty");
        let nullable = row.get::<String, _>("nullable") == "YES";
        if POSTGRES_ONLY.contains(&row.get::<String, _>("t").as_str()) {
            continue;
        }
        theirs.insert((row.get("t"), row.get("c"), kind(&ty), nullable));
    }
    pg.close().await;
    assert!(ours.len() > 100, "read the SQLite schema: {ours:?}");
    let only_sqlite: Vec<_> = ours.difference(&theirs).collect();
    let only_postgres: Vec<_> = theirs.difference(&ours).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the schemas differ:\n  only on SQLite: {only_sqlite:?}\n  only on PostgreSQL: {only_postgres:?}"
    );
}
