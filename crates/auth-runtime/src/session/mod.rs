//! Sessions below the server: where they are kept ([`Sessions`]: database rows and/or
//! secondary-storage keys) and what a valid one is ([`SessionCtx`]).
//!
//! Layer: sessions, above the store and the secondary storage; nothing here knows `Auth`, a
//! request or a cookie. Reading the session of a request from its cookies, starting one and
//! setting its cookies are the server's: `auth::request_session` and `auth::cookie_cache`.

mod storage;

pub(crate) use storage::{Sessions, ttl_until};

use std::sync::{Arc, OnceLock};

use auth_core::schema::names::{session, user};
use bytes::Bytes;

use crate::store::{Row, Value};

/// A valid session and its user. The rows are shared: a session read from a cookie cache the
/// server verified before is the same rows for every request that sends that cache.
#[derive(Debug, Clone)]
pub(crate) struct SessionCtx {
    pub(crate) session: Arc<Row>,
    pub(crate) user: Arc<Row>,
    /// The request carried a valid `dont_remember` cookie (rememberMe = false).
    pub(crate) dont_remember: bool,
    /// get-session's answer for these very rows, written once by the first request that needs
    /// it, when the rows are shared with others (`None`: written for this request only).
    pub(crate) answer: Option<Arc<OnceLock<Bytes>>>,
}

impl SessionCtx {
    pub(crate) fn user_id(&self) -> &str {
        self.user
            .get(user::ID)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub(crate) fn token(&self) -> &str {
        self.session
            .get(session::TOKEN)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}
