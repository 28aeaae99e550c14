//! The `auth-runtime` tests, one test binary: `cargo test -p auth-runtime --test it [module::]`.

mod cookie_cache;
mod embed;
mod mail;
mod oauth_oidc;
mod permission;
