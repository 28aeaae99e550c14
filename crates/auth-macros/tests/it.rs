//! The `auth-macros` tests, one test binary: `cargo test -p auth-macros --test it [module::]`.

mod b14;
mod ui;
