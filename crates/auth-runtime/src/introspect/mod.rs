//! Reads what a database holds into a [`DbSchema`], normalised to the spellings our DDL uses, so
//! that it compares with [`auth_core::sql::expected`].
//!
//! - [`sqlite()`]: SQLite, and D1's database files (D1's `_cf_*` tables and wrangler's
//!   `d1_migrations` are left out);
//! - [`postgres()`]: the base tables of one PostgreSQL schema;
//! - [`mysql()`]: the base tables of MySQL's or MariaDB's current database.

mod mysql;
mod postgres;
mod sqlite;

use std::collections::BTreeMap;

use auth_core::sql::{DbSchema, DbTable};

pub use mysql::mysql;
pub use postgres::postgres;
pub use sqlite::sqlite;

/// A query made while reading a database's schema failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntrospectError {
    /// SQLite (or a D1 database file) refused a query.
    #[error("introspecting SQLite: {context}: {source}")]
    Sqlite {
        /// What was being read.
        context: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// PostgreSQL or MySQL refused a query, or a row did not decode.
    #[error("introspecting {database}: {context}: {source}")]
    Database {
        /// `PostgreSQL` or `MySQL`.
        database: &'static str,
        /// What was being read.
        context: String,
        /// The driver's error.
        source: sqlx::Error,
    },
}

/// Attaches what was being read to a driver error.
trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, IntrospectError>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, IntrospectError> {
        self.map_err(|source| IntrospectError::Sqlite {
            context: what(),
            source,
        })
    }
}

/// Tables keyed by name, filled in query by query. Rows for a table that the first query did not
/// list (created meanwhile) are ignored.
#[derive(Debug, Default)]
struct Tables(BTreeMap<String, DbTable>);

impl Tables {
    fn new(names: impl IntoIterator<Item = String>) -> Self {
        Self(
            names
                .into_iter()
                .map(|name| (name, DbTable::default()))
                .collect(),
        )
    }

    fn get(&mut self, name: &str) -> Option<&mut DbTable> {
        self.0.get_mut(name)
    }

    fn into_schema(self) -> DbSchema {
        DbSchema { tables: self.0 }
    }
}
