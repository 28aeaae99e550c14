//! SQLite through rusqlite, on the calling task's thread.
//!
//! sqlx's SQLite driver hands every query to a worker thread and back; on a small VM those two
//! wake-ups cost ~100 µs while SQLite answers a point lookup in ~20 µs
//! (`research/perf-baselines.md`). Here a query runs inline on the async worker that asked for it,
//! on a connection taken from a small set guarded by async mutexes:
//!
//! - one writer connection: writes queue on its mutex without blocking a thread, and since no
//!   two of our writers ever race for SQLite's write lock, `SQLITE_BUSY` only comes from other
//!   processes (and then `busy_timeout` waits);
//! - a few reader connections (WAL: readers never wait for the writer);
//! - each with its prepared-statement cache, so a hot query is parsed once per connection.
//!
//! A query holds its thread for as long as SQLite works on it, which for the point lookups and
//! single-row writes of an auth server is tens of microseconds.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags, ffi};
use tokio::sync::Mutex;

use super::StoreError;
use super::codec::{Param, Raw};
use super::plan::Statement;

/// How long a write waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections beyond this many readers bring nothing: queries run on the runtime's workers.
const MAX_READERS: usize = 8;

/// Statements cached per connection (every model's few shapes of query).
const STATEMENT_CACHE: usize = 256;

#[derive(Debug)]
pub(crate) struct Sqlite {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

/// What a write did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Written {
    pub(crate) affected: u64,
    pub(crate) last_id: i64,
}

impl Sqlite {
    /// Opens (creating) the database file; `:memory:` is a single private connection.
    pub(crate) fn open(path: &Path, readers: Option<usize>) -> Result<Self, StoreError> {
        let memory = path.as_os_str() == ":memory:";
        let writer = open(path, true)?;
        let count = if memory {
            0
        } else {
            readers
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, Into::into))
                .clamp(1, MAX_READERS)
        };
        let readers = (0..count)
            .map(|_| open(path, false).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            writer: Mutex::new(writer),
            readers,
            next: AtomicUsize::new(0),
        })
    }

    /// Runs a read on a free reader (or the writer for an in-memory database).
    pub(crate) async fn read(
        &self,
        statement: &Statement,
    ) -> Result<Vec<Vec<Raw>>, rusqlite::Error> {
        if self.readers.is_empty() {
            return query(&*self.writer.lock().await, statement);
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.readers.len();
        for i in 0..n {
            if let Ok(connection) = self.readers[(start + i) % n].try_lock() {
                return query(&connection, statement);
            }
        }
        let connection = self.readers[start % n].lock().await;
        query(&connection, statement)
    }

    /// Runs a write that returns rows (`update … returning`), on the writer.
    pub(crate) async fn write_returning(
        &self,
        statement: &Statement,
    ) -> Result<Vec<Vec<Raw>>, rusqlite::Error> {
        query(&*self.writer.lock().await, statement)
    }

    /// Runs a write.
    pub(crate) async fn write(&self, statement: &Statement) -> Result<Written, rusqlite::Error> {
        let connection = self.writer.lock().await;
        let mut prepared = connection.prepare_cached(&statement.sql)?;
        bind(&mut prepared, &statement.params)?;
        let affected = prepared.raw_execute()?;
        Ok(Written {
            affected: u64::try_from(affected).unwrap_or(u64::MAX),
            last_id: connection.last_insert_rowid(),
        })
    }
}

fn open(path: &Path, writer: bool) -> Result<Connection, StoreError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if writer {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let connection = Connection::open_with_flags(path, flags)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // The query planner stability guarantee: a cached statement keeps its plan. Without it,
    // SQLite (3.54) marks a statement whose plan may depend on a bound value for re-preparation
    // at the next bind, so get-session's join was parsed and planned again on every request
    // (a third of its CPU). Our statements are point lookups on keys: one plan fits all values.
    connection.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    if writer {
        // Reports the mode it ended in (`memory` for an in-memory database).
        let _mode: String = connection.query_row("pragma journal_mode = wal", [], |r| r.get(0))?;
    }
    connection.execute_batch("pragma foreign_keys = on; pragma synchronous = normal;")?;
    if !writer {
        connection.execute_batch("pragma query_only = on;")?;
    }
    Ok(connection)
}

fn bind(prepared: &mut rusqlite::CachedStatement<'_>, params: &[Param]) -> rusqlite::Result<()> {
    for (i, param) in params.iter().enumerate() {
        prepared.raw_bind_parameter(i + 1, SqliteParam(param))?;
    }
    Ok(())
}

fn query(connection: &Connection, statement: &Statement) -> Result<Vec<Vec<Raw>>, rusqlite::Error> {
    let mut prepared = connection.prepare_cached(&statement.sql)?;
    bind(&mut prepared, &statement.params)?;
    let width = prepared.column_count();
    let mut rows = prepared.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut cells = Vec::with_capacity(width);
        for i in 0..width {
            cells.push(match row.get_ref(i)? {
                ValueRef::Null => Raw::Null,
                ValueRef::Integer(n) => Raw::Int(n),
                ValueRef::Real(f) => Raw::Float(f),
                ValueRef::Text(t) => Raw::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Raw::Bytes(b.to_vec()),
            });
        }
        out.push(cells);
    }
    Ok(out)
}

struct SqliteParam<'a>(&'a Param);

impl rusqlite::ToSql for SqliteParam<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Param::Null(_) => ToSqlOutput::Owned(SqlValue::Null),
            Param::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::Int(n) => ToSqlOutput::Owned(SqlValue::Integer(*n)),
            Param::Float(f) => ToSqlOutput::Owned(SqlValue::Real(*f)),
            Param::Bool(b) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*b))),
            Param::Timestamp(t) => ToSqlOutput::Owned(SqlValue::Text(t.to_iso())),
            Param::Json(json) => ToSqlOutput::Owned(SqlValue::Text(json.to_string())),
        })
    }
}

#[cfg(test)]
impl Sqlite {
    /// How many times the readers re-prepared the cached statement `sql`.
    pub(crate) fn reprepared(&self, sql: &str) -> i32 {
        self.readers
            .iter()
            .filter_map(|reader| reader.try_lock().ok())
            .filter_map(|reader| {
                reader
                    .prepare_cached(sql)
                    .ok()
                    .map(|s| s.get_status(rusqlite::StatementStatus::RePrepare))
            })
            .sum()
    }
}

/// A constraint failure SQLite reports for a unique index or primary key.
pub(crate) fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

pub(crate) fn is_foreign_key_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _) if e.extended_code == ffi::SQLITE_CONSTRAINT_FOREIGNKEY
    )
}
