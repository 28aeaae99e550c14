//! Migrations: the schema snapshot stored with each migration, the difference between two
//! snapshots, and a safe per-dialect plan for it.

//!
//! Reading migration files back (splitting them into statements, linting hand edits, replaying
//! their DDL) needs a SQL tokenizer and parser: that half is the `migration-files` feature, on by
//! default; `#[derive(AuthModel)]` and the generators build without it.

mod diff;
#[cfg(feature = "migration-files")]
pub mod files;
#[cfg(feature = "migration-files")]
pub mod lint;
mod plan;
#[cfg(feature = "migration-files")]
mod replay;
#[cfg(feature = "migration-files")]
pub mod split;

#[cfg(feature = "migration-files")]
pub use files::{MigrationFile, Snapshot, checksum};
#[cfg(feature = "migration-files")]
pub use lint::{Finding, Linter, lint};
pub use plan::{Plan, Step, plan};
#[cfg(feature = "migration-files")]
pub use split::{SplitError, Statement, statements};

/// The comment `migrate new` puts before a statement that loses data.
pub const DESTRUCTIVE_MARK: &str = "auth:destructive";
