//! SQL dialects: column types, DDL, and the physical schema each dialect must end up with.

pub(crate) mod ddl;
mod physical;
mod types;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use ddl::{header, render_schema};
pub use physical::{DbColumn, DbForeignKey, DbIndex, DbSchema, DbTable, Difference, expected};
pub use types::column_type;

/// A SQL dialect the toolkit generates for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// SQLite 3.35+ (in-process, the embedded default).
    Sqlite,
    /// Cloudflare D1: SQLite 3.47 inside workerd, applied by `wrangler d1 migrations apply`. Same
    /// types as SQLite; migrations never use transactions or `PRAGMA foreign_keys`.
    D1,
    /// PostgreSQL 13+.
    Postgres,
    /// MySQL 8.0.13+ and MariaDB 10.5+.
    Mysql,
}

impl Dialect {
    pub const ALL: [Dialect; 4] = [Self::Sqlite, Self::D1, Self::Postgres, Self::Mysql];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::D1 => "d1",
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
        }
    }

    /// SQLite and D1 share one engine and one type system.
    pub fn is_sqlite_family(self) -> bool {
        matches!(self, Self::Sqlite | Self::D1)
    }

    /// Quotes an identifier.
    pub fn quote(self, identifier: &str) -> String {
        match self {
            Self::Mysql => format!("`{}`", identifier.replace('`', "``")),
            _ => format!("\"{}\"", identifier.replace('"', "\"\"")),
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A dialect name that is not one of `sqlite`, `d1`, `postgres`, `mysql`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown dialect `{0}`: expected one of sqlite, d1, postgres, mysql")]
pub struct UnknownDialect(pub String);

impl FromStr for Dialect {
    type Err = UnknownDialect;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sqlite" => Ok(Self::Sqlite),
            "d1" => Ok(Self::D1),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            "mysql" | "mariadb" => Ok(Self::Mysql),
            other => Err(UnknownDialect(other.to_owned())),
        }
    }
}

/// Renders a SQL string literal.
pub(crate) fn string_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
