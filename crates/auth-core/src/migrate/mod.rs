//! Migrations: the schema snapshot stored with each migration, the difference between two
//! snapshots, and a safe per-dialect plan for it.

pub mod files;

pub use files::{MigrationFile, Snapshot, Statement, checksum, statements};
