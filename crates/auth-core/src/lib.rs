#![doc = include_str!("../README.md")]

pub mod adopt;
pub mod config;
#[cfg(feature = "derive")]
pub mod derive;
pub mod drift;
pub mod emit;
pub mod endpoints;
pub mod errors;
pub mod migrate;
pub mod model;
pub mod plugins;
pub mod schema;
pub mod serving;
pub mod sql;

pub use config::{Config, ConfigError};
pub use schema::Schema;
pub use sql::Dialect;

/// The version written into the header of every generated artifact.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
