//! PostgreSQL and MySQL/MariaDB through sqlx pools.
//!
//! Cells are read by trying the Rust types their column may hold, starting with the one the
//! field's type implies, so that what an adopted database stored (`timestamp` instead of
//! `timestamptz`, a `text[]` written by Drizzle, `json` text on MariaDB) still reads.

use sqlx::mysql::{MySql, MySqlPool, MySqlRow};
use sqlx::postgres::{PgPool, PgRow, Postgres};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row as _};
use time::{OffsetDateTime, PrimitiveDateTime};

use super::codec::{Kind, Param, Raw, Storage};
use super::plan::Statement;
use super::value::Timestamp;

type PgQuery = sqlx::query::Query<'static, Postgres, sqlx::postgres::PgArguments>;
type MyQuery = sqlx::query::Query<'static, MySql, sqlx::mysql::MySqlArguments>;

fn pg_query(statement: &Statement) -> PgQuery {
    let mut query = sqlx::query(AssertSqlSafe(statement.sql.clone()));
    for param in &statement.params {
        query = match param {
            Param::Null(kind) => match kind {
                Kind::Text => query.bind(None::<String>),
                Kind::Int => query.bind(None::<i64>),
                Kind::Bool => query.bind(None::<bool>),
                Kind::Timestamp => query.bind(None::<OffsetDateTime>),
                Kind::Json => query.bind(None::<serde_json::Value>),
            },
            Param::Text(s) => query.bind(s.clone()),
            Param::Int(n) => query.bind(*n),
            Param::Float(f) => query.bind(*f),
            Param::Bool(b) => query.bind(*b),
            Param::Timestamp(t) => query.bind(t.to_offset_date_time()),
            Param::Json(json) => query.bind(Json(json.clone())),
        };
    }
    query
}

fn my_query(statement: &Statement) -> MyQuery {
    let mut query = sqlx::query(AssertSqlSafe(statement.sql.clone()));
    for param in &statement.params {
        query = match param {
            Param::Null(kind) => match kind {
                Kind::Text | Kind::Json => query.bind(None::<String>),
                Kind::Int => query.bind(None::<i64>),
                Kind::Bool => query.bind(None::<bool>),
                Kind::Timestamp => query.bind(None::<PrimitiveDateTime>),
            },
            Param::Text(s) => query.bind(s.clone()),
            Param::Int(n) => query.bind(*n),
            Param::Float(f) => query.bind(*f),
            Param::Bool(b) => query.bind(*b),
            // `datetime(3)` holds UTC; the connection's time zone is UTC too (sqlx's default).
            Param::Timestamp(t) => query.bind(t.to_primitive_utc()),
            Param::Json(json) => query.bind(json.to_string()),
        };
    }
    query
}

pub(crate) async fn pg_fetch(
    pool: &PgPool,
    statement: &Statement,
    storages: &[Storage],
) -> Result<Vec<Vec<Raw>>, sqlx::Error> {
    let rows = pg_query(statement).fetch_all(pool).await?;
    rows.iter().map(|row| pg_row(row, storages)).collect()
}

pub(crate) async fn pg_execute(pool: &PgPool, statement: &Statement) -> Result<u64, sqlx::Error> {
    Ok(pg_query(statement).execute(pool).await?.rows_affected())
}

pub(crate) async fn my_fetch(
    pool: &MySqlPool,
    statement: &Statement,
    storages: &[Storage],
) -> Result<Vec<Vec<Raw>>, sqlx::Error> {
    let rows = my_query(statement).fetch_all(pool).await?;
    rows.iter().map(|row| my_row(row, storages)).collect()
}

/// Rows affected and the `AUTO_INCREMENT` value of an insert.
pub(crate) async fn my_execute(
    pool: &MySqlPool,
    statement: &Statement,
) -> Result<(u64, u64), sqlx::Error> {
    let done = my_query(statement).execute(pool).await?;
    Ok((done.rows_affected(), done.last_insert_id()))
}

/// `update`, then `select` of the row it changed, in one transaction: the update's row lock keeps
/// any other writer (a delete) off the row until it is read. `None` when the update matched no
/// row.
pub(crate) async fn my_update_returning(
    pool: &MySqlPool,
    update: &Statement,
    select: &Statement,
    storages: &[Storage],
) -> Result<Option<Vec<Raw>>, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    if my_query(update)
        .execute(&mut *transaction)
        .await?
        .rows_affected()
        == 0
    {
        transaction.rollback().await?;
        return Ok(None);
    }
    let row = my_query(select).fetch_optional(&mut *transaction).await?;
    transaction.commit().await?;
    row.map(|row| my_row(&row, storages)).transpose()
}

/// Tries `$ty` at column `$i`: `Some(raw)` if the column holds that type.
macro_rules! attempt {
    ($row:expr, $i:expr, $ty:ty, $map:expr) => {
        match $row.try_get::<Option<$ty>, _>($i) {
            Ok(None) => return Ok(Raw::Null),
            Ok(Some(v)) => return Ok(($map)(v)),
            Err(sqlx::Error::ColumnDecode { .. }) => {}
            Err(other) => return Err(other),
        }
    };
}

fn timestamp(t: Option<Timestamp>) -> Raw {
    t.map_or(Raw::Null, Raw::Timestamp)
}

fn pg_row(row: &PgRow, storages: &[Storage]) -> Result<Vec<Raw>, sqlx::Error> {
    (0..row.len())
        .map(|i| pg_cell(row, i, storages.get(i).map(|s| s.ty)))
        .collect()
}

fn pg_cell(
    row: &PgRow,
    i: usize,
    ty: Option<auth_core::schema::FieldType>,
) -> Result<Raw, sqlx::Error> {
    use auth_core::schema::FieldType as F;
    // The expected type first: one successful `try_get` on the hot path.
    match ty {
        Some(F::Date) => attempt!(row, i, OffsetDateTime, |t| timestamp(
            Timestamp::from_offset_date_time(t)
        )),
        Some(F::Boolean) => attempt!(row, i, bool, Raw::Bool),
        Some(F::Json | F::StringArray | F::NumberArray) => {
            attempt!(row, i, Json<serde_json::Value>, |j: Json<
                serde_json::Value,
            >| {
                Raw::Json(j.0)
            });
        }
        _ => {}
    }
    attempt!(row, i, String, Raw::Text);
    attempt!(row, i, i64, Raw::Int);
    attempt!(row, i, i32, |n| Raw::Int(i64::from(n)));
    attempt!(row, i, i16, |n| Raw::Int(i64::from(n)));
    attempt!(row, i, bool, Raw::Bool);
    attempt!(row, i, f64, Raw::Float);
    attempt!(row, i, f32, |f| Raw::Float(f64::from(f)));
    attempt!(row, i, OffsetDateTime, |t| timestamp(
        Timestamp::from_offset_date_time(t)
    ));
    attempt!(row, i, PrimitiveDateTime, |t| timestamp(
        Timestamp::from_primitive_utc(t)
    ));
    attempt!(row, i, Json<serde_json::Value>, |j: Json<
        serde_json::Value,
    >| { Raw::Json(j.0) });
    attempt!(row, i, Vec<String>, |v: Vec<String>| Raw::Json(v.into()));
    attempt!(row, i, Vec<i64>, |v: Vec<i64>| Raw::Json(v.into()));
    attempt!(row, i, Vec<i32>, |v: Vec<i32>| Raw::Json(v.into()));
    attempt!(row, i, Vec<f64>, |v: Vec<f64>| Raw::Json(v.into()));
    attempt!(row, i, Vec<u8>, Raw::Bytes);
    Err(sqlx::Error::ColumnDecode {
        index: i.to_string(),
        source: "a column type the store cannot read".into(),
    })
}

fn my_row(row: &MySqlRow, storages: &[Storage]) -> Result<Vec<Raw>, sqlx::Error> {
    (0..row.len())
        .map(|i| my_cell(row, i, storages.get(i).map(|s| s.ty)))
        .collect()
}

fn my_cell(
    row: &MySqlRow,
    i: usize,
    ty: Option<auth_core::schema::FieldType>,
) -> Result<Raw, sqlx::Error> {
    use auth_core::schema::FieldType as F;
    if ty == Some(F::Date) {
        attempt!(row, i, PrimitiveDateTime, |t| timestamp(
            Timestamp::from_primitive_utc(t)
        ));
    }
    attempt!(row, i, String, Raw::Text);
    attempt!(row, i, i64, Raw::Int);
    attempt!(row, i, u64, |n| i64::try_from(n)
        .map_or(Raw::Float(n as f64), Raw::Int));
    attempt!(row, i, bool, Raw::Bool);
    attempt!(row, i, f64, Raw::Float);
    attempt!(row, i, f32, |f| Raw::Float(f64::from(f)));
    attempt!(row, i, PrimitiveDateTime, |t| timestamp(
        Timestamp::from_primitive_utc(t)
    ));
    attempt!(row, i, Json<serde_json::Value>, |j: Json<
        serde_json::Value,
    >| { Raw::Json(j.0) });
    attempt!(row, i, Vec<u8>, Raw::Bytes);
    Err(sqlx::Error::ColumnDecode {
        index: i.to_string(),
        source: "a column type the store cannot read".into(),
    })
}

/// A unique index or primary key refused the row (PostgreSQL 23505, MySQL 1062).
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

pub(crate) fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_foreign_key_violation())
}
