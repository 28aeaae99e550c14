//! Migrations: the schema snapshot stored with each migration, the difference between two
//! snapshots, and a safe per-dialect plan for it.

mod diff;
pub mod files;
mod plan;

pub use files::{MigrationFile, Snapshot, Statement, checksum, statements};
pub use plan::{Plan, Step, plan};
