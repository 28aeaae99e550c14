//! The cross-crate and end-to-end tests, one test binary (one link of sqlx, reqwest and the
//! shared support instead of one per file): `cargo test -p auth-tests --test it [module::]`.

mod server;
mod support;

/// The fixed part of the generated Rust client, compiled and linted here as itself (the
/// generated methods that call its private helpers are not here).
#[path = "../templates/client-runtime.rs"]
#[allow(dead_code, unreachable_pub)]
mod client_runtime;

mod bad_input;
mod baseline;
mod clients;
mod config;
mod d1_better_auth;
mod d1_drizzle;
mod documented_bugs;
mod emit;
mod endpoints;
mod hooks;
mod jwt;
mod migrations;
mod orm;
mod parity;
mod rate_limit;
mod routes_openapi;
mod runtime;
mod schema;
mod single_use;
mod store;
