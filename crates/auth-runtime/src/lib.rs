//! The auth server's runtime side. For now: introspection of SQLite (and D1's SQLite files),
//! PostgreSQL and MySQL/MariaDB into [`auth_core::sql::DbSchema`], the physical schema that the
//! Schema IR predicts for each dialect; applying the migrations folder to a live database; and
//! [`store`], the one place the runtime reads and writes rows (names and encodings from the IR);
//! [`oauth`], the OAuth2/OIDC client of social sign-in.

pub mod introspect;
pub mod migrate;
pub mod oauth;
pub mod store;
pub mod wire;
