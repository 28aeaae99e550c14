//! better-auth 1.7's byte-exact wire primitives: ids and tokens, password hashes, cookie names,
//! signed cookie values and `Set-Cookie` lines, ISO-8601 timestamps and the signing secret.
//!
//! Each function reproduces one piece of better-auth 1.7.25 (and better-call 1.4.5, its router)
//! so that a database and cookies written by better-auth are read here unchanged, and the other
//! way round. The ground truth is `research/better-auth-wire.md` and the transcripts under
//! `research/captures/`; the tests carry the values recorded there. Nothing here depends on an
//! HTTP library: the endpoints translate to and from these strings.
//!
//! Not public API: the module is public only for this workspace's cross-implementation tests
//! (against `jose`, Node's `crypto.scrypt`) and may change in any release. An embedder uses
//! [`Secret`] and [`PasswordHasher`], re-exported at the crate root.

pub mod cookie;
pub mod cookie_cache;
pub mod id;
pub mod jws;
pub mod jwt;
pub mod key_hash;
pub mod password;
pub mod secret;
pub mod symmetric;
pub mod time;
pub(crate) mod webauthn;

pub(crate) mod glob;
mod hasher;
mod js;

pub use hasher::PasswordHasher;
pub use secret::{Secret, SecretError};
