//! Sessions below the server: where they are kept ([`Sessions`]: database rows and/or
//! secondary-storage keys) and what a valid one is ([`SessionCtx`]).
//!
//! Layer: sessions, above the store and the secondary storage; nothing here knows `Auth`, a
//! request or a cookie. Reading the session of a request from its cookies, starting one and
//! setting its cookies are the server's: `auth::request_session` and `auth::cookie_cache`.

mod storage;

pub(crate) use storage::{Sessions, ttl_until};

use auth_core::schema::names::{session, user};

use crate::store::{Row, Value};

/// A valid session and its user.
#[derive(Debug, Clone)]
pub(crate) struct SessionCtx {
    pub(crate) session: Row,
    pub(crate) user: Row,
    /// The request carried a valid `dont_remember` cookie (rememberMe = false).
    pub(crate) dont_remember: bool,
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
