//! The auth server's runtime: [`Auth`], better-auth's REST API over the Schema IR, served as a
//! `tower::Service` or an axum `Router` ([`http`]); [`store`], the one place rows are read and
//! written (names and encodings from the IR); database [`hooks`];
//! [`mail`]; [`secondary`] storage (memory, Redis); [`oauth`], the OAuth2/OIDC client of social sign-in; introspection of SQLite (and
//! D1's files), PostgreSQL and MySQL/MariaDB; and applying the migrations folder to a live
//! database.

#![warn(missing_docs)]

mod auth;
pub mod error;
pub mod hooks;
pub mod http;
pub mod introspect;
#[cfg(test)]
mod layers;
pub mod mail;
pub mod migrate;
pub mod oauth;
pub mod plugins;
mod rate_limit;
mod router;
mod routes;
pub mod secondary;
mod session;
pub mod store;
mod verification;
#[doc(hidden)]
pub mod wire;

pub use auth::builder::{self, AuthBuilder, BuildError, Startup};
pub use auth::{Auth, AuthError, AuthOptions, EnvLookup, callback_url};
pub use http::extract::{CurrentSession, CurrentUser, MaybeUser};
pub use http::permission::{Permission, PermissionScope, RequirePermission};
pub use rate_limit::RateLimitError;
pub use router::MissingHandler;
pub use wire::{PasswordHasher, Secret, SecretError};
