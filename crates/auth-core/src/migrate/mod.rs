//! Migrations: the schema snapshot stored with each migration, the difference between two
//! snapshots, and a safe per-dialect plan for it.

mod diff;
pub mod files;
pub mod lint;
mod plan;
mod replay;
pub mod split;

pub use files::{MigrationFile, Snapshot, checksum};
pub use lint::{Finding, Linter, lint};
pub use plan::{Plan, Step, plan};
pub use split::{SplitError, Statement, statements};
