//! The `auth-cli` tests, one test binary: `cargo test -p auth-cli --test it [module::]`.

mod common;
#[path = "../../../tests/support/mod.rs"]
mod support;

mod cli;
mod conformance;
mod migrate_apply;
mod multi_instance;
