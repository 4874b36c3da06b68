//! Times in the database: RFC 3339 text in UTC, written the way sqlx's SQLite driver writes a
//! `DateTime<Utc>` (`2026-12-02T01:02:03.5+00:00`), on both stores.
//!
//! Whole seconds carry no fraction and the offset is `+00:00`, so byte order is time order
//! ('+' sorts before '.', and a shorter fraction before a longer one that extends it): the
//! outbox's `not_before <= $1`, the summaries' `created_at` ranges and `ORDER BY` compare
//! these texts directly (PostgreSQL's columns use the "C" collation for that).

use chrono::{DateTime, Utc};
use sqlx::any::{Any, AnyRow, AnyTypeInfo};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Row as _, Type};

/// A time as the database stores it, text that sorts in time order.
pub fn sql_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// A `DateTime<Utc>` bound and read as [`sql_time`] text: `.bind(SqlTime(now))`,
/// `row.try_get::<Option<SqlTime>, _>("read_at")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SqlTime(pub DateTime<Utc>);

impl From<SqlTime> for DateTime<Utc> {
    fn from(t: SqlTime) -> Self {
        t.0
    }
}

impl Type<Any> for SqlTime {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Any> for SqlTime {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Any>>::encode(sql_time(&self.0), buf)
    }
}

impl<'r> Decode<'r, Any> for SqlTime {
    fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <String as Decode<'r, Any>>::decode(value)?;
        Ok(SqlTime(parse(&text)?))
    }
}

/// Reads a stored time: RFC 3339 (what Herald writes) or SQLite's `YYYY-MM-DD HH:MM:SS[.f]`
/// (taken as UTC), which hand-written rows may carry.
pub fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => Ok(t.with_timezone(&Utc)),
        Err(err) => chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .map(|t| t.and_utc())
            .map_err(|_| err),
    }
}

/// A time column's Rust type: `DateTime<Utc>` or, for a nullable column, its `Option`.
pub trait TimeColumn: Sized {
    /// Reads `column` of `row`.
    fn read(row: &AnyRow, column: &str) -> Result<Self, sqlx::Error>;
}

impl TimeColumn for DateTime<Utc> {
    fn read(row: &AnyRow, column: &str) -> Result<Self, sqlx::Error> {
        Ok(row.try_get::<SqlTime, _>(column)?.0)
    }
}

impl TimeColumn for Option<DateTime<Utc>> {
    fn read(row: &AnyRow, column: &str) -> Result<Self, sqlx::Error> {
        Ok(row.try_get::<Option<SqlTime>, _>(column)?.map(|t| t.0))
    }
}

/// `row.time("read_at")` and `row.flag("disabled")`, as `row.try_get` reads other columns.
pub trait RowExt {
    /// Reads a time column as `T` (a `DateTime<Utc>` or an `Option` of one).
    fn time<T: TimeColumn>(&self, column: &str) -> Result<T, sqlx::Error>;

    /// Reads a yes/no: PostgreSQL answers `x IS NULL` with a boolean, SQLite with 0 or 1,
    /// and flag columns are integers on both.
    fn flag(&self, column: &str) -> Result<bool, sqlx::Error>;
}

impl RowExt for AnyRow {
    fn time<T: TimeColumn>(&self, column: &str) -> Result<T, sqlx::Error> {
        T::read(self, column)
    }

    fn flag(&self, column: &str) -> Result<bool, sqlx::Error> {
        match self.try_get::<bool, _>(column) {
            Ok(b) => Ok(b),
            Err(_) => Ok(self.try_get::<i64, _>(column)? != 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_order_is_time_order() {
        let times = [
            "2026-12-02T01:02:03Z",
            "2026-12-02T01:02:03.000001Z",
            "2026-12-02T01:02:03.1Z",
            "2026-12-02T01:02:03.123456789Z",
            "2026-12-02T01:02:03.5Z",
            "2026-12-02T01:02:04Z",
            "2026-12-03T00:00:00Z",
        ];
        let texts: Vec<String> = times
            .iter()
            .map(|t| sql_time(&t.parse().expect("a time")))
            .collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(texts, sorted);
        for text in &texts {
            assert_eq!(sql_time(&parse(text).expect("reads back")), *text);
        }
    }

    /// Rows an earlier release wrote by binding a `DateTime<Utc>` to sqlx's SQLite driver
    /// compare and sort with rows written now, so the text must be the very same.
    #[tokio::test]
    async fn times_are_written_as_sqlx_sqlite_binds_them() {
        use sqlx::Connection as _;
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite");
        for t in [
            "2026-12-02T01:02:03Z",
            "2026-12-02T01:02:03.5Z",
            "2026-12-02T01:02:03.123456789Z",
        ] {
            let t: DateTime<Utc> = t.parse().expect("a time");
            let bound: String = sqlx::query_scalar("SELECT ?1")
                .bind(t)
                .fetch_one(&mut conn)
                .await
                .expect("select");
            assert_eq!(bound, sql_time(&t));
        }
    }

    #[test]
    fn sqlite_text_is_read_as_utc() {
        assert_eq!(
            parse("2026-12-02 01:02:03").expect("reads"),
            "2026-12-02T01:02:03Z"
                .parse::<DateTime<Utc>>()
                .expect("a time")
        );
        assert!(parse("yesterday").is_err());
    }
}
