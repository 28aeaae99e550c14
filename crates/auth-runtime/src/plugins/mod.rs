//! The plugins this runtime serves.
//!
//! `auth.toml` accepts every better-auth plugin, and the schema tools derive their tables; a
//! server, though, must never run with a plugin whose endpoints and checks it lacks (two-factor
//! unenforced would sign its users in with a password alone). [`SERVED`] is the one list that
//! decides: [`Auth::new`](crate::Auth::new) refuses every other plugin, README's table of plugins
//! is checked against it, and a test runs over every plugin id.

use auth_core::schema::Plugin;

/// The plugins whose runtime is built. A plugin joins this list with its handlers and hooks.
pub const SERVED: &[Plugin] = &[];

#[cfg(test)]
mod tests;
