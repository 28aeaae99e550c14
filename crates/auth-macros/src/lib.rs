//! `#[derive(AuthModel)]` will live here as a thin shim: the derive's parsing and expansion belong
//! to `auth-core`, where they are unit-tested without a compiler in the loop. Until that derive
//! lands (its own issue) this crate exports nothing.
