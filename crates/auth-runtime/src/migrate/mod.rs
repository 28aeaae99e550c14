//! Applies the migrations folder written by `auth-cli migrate new` to a live database, and tells
//! which of its files a database has applied.
//!
//! Each database records what it applied in [`MIGRATIONS_TABLE`] (version, name, checksum of the
//! whole file, time, statements done, complete). Before applying anything, [`Database::apply`]
//! refuses when an applied file was edited or removed, or when a pending file is numbered below
//! one already applied.
//!
//! - SQLite: every file in one `BEGIN IMMEDIATE` transaction, with foreign keys enforced and
//!   `PRAGMA foreign_key_check` run before `COMMIT`.
//! - PostgreSQL: every file in one transaction with its bookkeeping row, under a session-level
//!   advisory lock held for the whole run.
//! - MySQL/MariaDB: DDL commits by itself, so statements run one by one and the bookkeeping row
//!   counts those done; a failed file resumes where it stopped once the cause is fixed. A
//!   `GET_LOCK` held for the whole run keeps two runs apart.

mod database;
mod mysql;
mod plan;
mod postgres;
mod sqlite;
mod url;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use auth_core::Dialect;
use auth_core::migrate::Statement;
use auth_core::migrate::files::{self, FilesError};

pub use auth_core::drift::MIGRATIONS_TABLE;
pub use database::Database;
/// The `GET_LOCK` name a MySQL run holds while it applies.
pub use mysql::LOCK as MYSQL_LOCK;
pub use plan::{Entry, Problem, State, Step, plan, status};
/// The `pg_advisory_lock` key a PostgreSQL run holds while it applies.
pub use postgres::LOCK_KEY as POSTGRES_LOCK_KEY;
pub use url::DatabaseUrl;

use crate::introspect::IntrospectError;

/// One `.sql` file of a dialect folder, read and split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The number the file name starts with.
    pub version: u32,
    /// The file name without `.sql` (`0002_add_admin`).
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// [`files::checksum`] of the whole text.
    pub checksum: String,
    /// Its statements, split as the database will run them.
    pub statements: Vec<Statement>,
}

/// The migrations of one dialect folder (`<dir>/<dialect>`), in version order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrations {
    /// The dialect the folder is for.
    pub dialect: Dialect,
    /// The dialect folder.
    pub dir: PathBuf,
    /// The files, by version.
    pub files: Vec<Migration>,
}

impl Migrations {
    /// Reads `<dir>/<dialect>/*.sql`; an absent folder holds no migrations.
    pub fn load(dir: &Path, dialect: Dialect) -> Result<Self, MigrateError> {
        let dialect_dir = dir.join(dialect.as_str());
        let mut out = Vec::new();
        for file in files::list(&dialect_dir)? {
            let (text, statements) = files::read_sql(&file.sql_path, dialect)?;
            out.push(Migration {
                version: file.version,
                name: file.name,
                path: file.sql_path,
                checksum: files::checksum(&text),
                statements,
            });
        }
        Ok(Self {
            dialect,
            dir: dialect_dir,
            files: out,
        })
    }
}

/// A row of [`MIGRATIONS_TABLE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The file's version.
    pub version: u32,
    /// The file's name without `.sql`.
    pub name: String,
    /// The checksum of the file as applied.
    pub checksum: String,
    /// UTC, ISO-8601 with milliseconds (`2025-01-31T12:00:00.000Z`): when the file completed, or
    /// when a partial one started.
    pub applied_at: String,
    /// Statements of the file that have run (all of them once `complete`).
    pub statements_done: usize,
    /// Only MySQL leaves a file incomplete (its DDL is not transactional).
    pub complete: bool,
}

/// A file that [`Database::apply`] finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The file's name without `.sql`.
    pub name: String,
    /// Statements run now.
    pub statements: usize,
    /// Set when the file resumed after this many statements done by an earlier run (MySQL).
    pub resumed_after: Option<usize>,
    /// How long it took.
    pub elapsed: Duration,
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.resumed_after {
            None => write!(
                f,
                "applied {} ({}) in {}",
                self.name,
                count(self.statements, "statement"),
                millis(self.elapsed)
            ),
            Some(done) => write!(
                f,
                "resumed {} at statement {} ({}) in {}",
                self.name,
                done + 1,
                count(self.statements, "statement"),
                millis(self.elapsed)
            ),
        }
    }
}

/// What one [`Database::apply`] run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Files applied (or finished) by this run.
    pub applied: Vec<Applied>,
    /// Files that were applied already.
    pub up_to_date: usize,
    /// How long the run took.
    pub elapsed: Duration,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.applied.is_empty() {
            return write!(
                f,
                "nothing to apply: {} already applied",
                count(self.up_to_date, "migration")
            );
        }
        let statements: usize = self.applied.iter().map(|a| a.statements).sum();
        write!(
            f,
            "applied {} ({}) in {}",
            count(self.applied.len(), "migration"),
            count(statements, "statement"),
            millis(self.elapsed)
        )
    }
}

fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn millis(elapsed: Duration) -> String {
    format!("{} ms", elapsed.as_millis())
}

/// What became of a file whose statement failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Aftermath {
    /// Its transaction was rolled back: nothing of it is applied.
    RolledBack,
    /// MySQL: this many statements are applied and recorded; the next run resumes after them.
    /// (With none done, the bookkeeping row is removed again.)
    Partial {
        /// Statements applied and recorded.
        done: usize,
    },
}

/// Why migrations could not be read, checked or applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// The `--database-url` names no database this toolkit knows.
    #[error(
        "cannot tell which database `{0}` is: expected sqlite:PATH (or a path ending in .db, .sqlite or .sqlite3), postgres://…, postgresql://…, mysql://… or mariadb://…"
    )]
    Url(String),
    /// An SQLite database to read does not exist.
    #[error(
        "{}: no such SQLite database (`auth-cli migrate apply` creates it)",
        .0.display()
    )]
    NoSqliteFile(PathBuf),
    /// The migrations folder cannot be read.
    #[error(transparent)]
    Files(#[from] FilesError),
    /// The migrations were loaded for another dialect than the database's.
    #[error("{} holds {found} migrations, but the database is {database}", dir.display())]
    DialectMismatch {
        /// The dialect folder.
        dir: PathBuf,
        /// The dialect its files were written for.
        found: Dialect,
        /// The database's dialect.
        database: Dialect,
    },
    /// The folder and the database disagree; nothing was applied.
    #[error("{}", refused(problems))]
    Refused {
        /// Each disagreement.
        problems: Vec<Problem>,
    },
    /// A statement of a migration failed.
    #[error(
        "{}:{line}: statement {number} of {total} failed: {message}\n{}",
        path.display(),
        aftermath_text(name, aftermath, *number)
    )]
    Statement {
        /// The file's name without `.sql`.
        name: String,
        /// The file.
        path: PathBuf,
        /// The line the statement starts on.
        line: usize,
        /// 1-based.
        number: usize,
        /// The file's statement count.
        total: usize,
        /// The database's message.
        message: String,
        /// What became of the file.
        aftermath: Aftermath,
    },
    /// SQLite: the file left rows whose foreign keys point nowhere.
    #[error(
        "{}: PRAGMA foreign_key_check found {} after the file's statements; its transaction was rolled back, nothing of {name} was applied:\n{}",
        path.display(),
        count(violations.len(), "violation"),
        violations.iter().map(|v| format!("  - {v}")).collect::<Vec<_>>().join("\n")
    )]
    ForeignKeys {
        /// The file's name without `.sql`.
        name: String,
        /// The file.
        path: PathBuf,
        /// Each violation, one line each.
        violations: Vec<String>,
    },
    /// Another run holds the migration lock.
    #[error("{0}")]
    Locked(String),
    /// Another process recorded a file while this run was applying it.
    #[error("{name} was applied by another process meanwhile; run `auth-cli migrate apply` again")]
    Concurrent {
        /// The file's name without `.sql`.
        name: String,
    },
    /// Connecting, locking or bookkeeping failed on PostgreSQL or MySQL.
    #[error("{context}: {}", database_message(source))]
    Database {
        /// What was being done.
        context: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// Opening SQLite or bookkeeping there failed.
    #[error("{context}: {source}")]
    Sqlite {
        /// What was being done.
        context: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// `migrate baseline` on a database that has recorded migrations already.
    #[error(
        "{MIGRATIONS_TABLE} already records {}: `auth-cli migrate baseline` adopts only a database that auth-cli has never migrated (use `auth-cli migrate apply`)",
        applied.join(", ")
    )]
    AlreadyManaged {
        /// The names of the recorded files.
        applied: Vec<String>,
    },
    /// A bookkeeping row holds a value that no run of ours writes.
    #[error("{MIGRATIONS_TABLE} holds an invalid row: {0}")]
    BadRecord(String),
    /// The database's schema could not be read.
    #[error(transparent)]
    Introspect(#[from] IntrospectError),
}

fn refused(problems: &[Problem]) -> String {
    let mut out = format!(
        "refusing to apply anything: the migrations folder and the database disagree ({}):",
        count(problems.len(), "problem")
    );
    for problem in problems {
        out.push_str("\n  - ");
        out.push_str(&problem.to_string());
    }
    out
}

fn aftermath_text(name: &str, aftermath: &Aftermath, number: usize) -> String {
    match aftermath {
        Aftermath::RolledBack => {
            format!("the file's transaction was rolled back: nothing of {name} was applied")
        }
        Aftermath::Partial { done: 0 } => format!(
            "nothing of {name} was applied; fix the cause and run `auth-cli migrate apply` again"
        ),
        Aftermath::Partial { done } => format!(
            "statements 1-{done} of {name} are applied (MySQL cannot roll back DDL) and recorded in \
             {MIGRATIONS_TABLE}; fix the cause in the database, without editing the file, and run \
             `auth-cli migrate apply` again to resume at statement {number} (if the file itself is \
             wrong: undo statements 1-{done} by hand, delete its row from {MIGRATIONS_TABLE}, then \
             correct it)"
        ),
    }
}

/// The database's own message when there is one (not sqlx's wrapping of it).
pub(crate) fn database_message(error: &sqlx::Error) -> String {
    match error.as_database_error() {
        Some(db) => match db.code() {
            Some(code) => format!("{} ({code})", db.message()),
            None => db.message().to_owned(),
        },
        None => error.to_string(),
    }
}

/// Attaches what was being done to a driver error.
pub(crate) trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, MigrateError>;
}

impl<T> Context<T> for Result<T, sqlx::Error> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, MigrateError> {
        self.map_err(|source| MigrateError::Database {
            context: what(),
            source,
        })
    }
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, MigrateError> {
        self.map_err(|source| MigrateError::Sqlite {
            context: what(),
            source,
        })
    }
}

/// Converts a bookkeeping row's integers, which no run of ours writes negative.
pub(crate) fn record(
    version: i64,
    name: String,
    checksum: String,
    applied_at: String,
    statements_done: i64,
    complete: bool,
) -> Result<Record, MigrateError> {
    let version = u32::try_from(version)
        .map_err(|_| MigrateError::BadRecord(format!("version {version} of {name}")))?;
    let statements_done = usize::try_from(statements_done).map_err(|_| {
        MigrateError::BadRecord(format!("statements_done {statements_done} of {name}"))
    })?;
    Ok(Record {
        version,
        name,
        checksum,
        applied_at,
        statements_done,
        complete,
    })
}

/// The statement error for `index` (0-based) of `step`'s file.
pub(crate) fn statement_error(
    migration: &Migration,
    index: usize,
    message: String,
    aftermath: Aftermath,
) -> MigrateError {
    MigrateError::Statement {
        name: migration.name.clone(),
        path: migration.path.clone(),
        line: migration.statements.get(index).map_or(0, |s| s.line),
        number: index + 1,
        total: migration.statements.len(),
        message,
        aftermath,
    }
}
