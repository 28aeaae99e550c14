//! better-auth's `multiSession` plugin: one browser holds several sessions (one per user), each
//! in its own signed cookie, and switches between them.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Declaration, no_amendment};
use crate::config::Config;
use crate::endpoints::{Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint, status};
use crate::errors::{ErrorCode, error_codes};
use crate::schema::Plugin;

/// `[plugins.multi-session]`: better-auth's `multiSession({…})` options, kebab-case.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "MultiSessionOptions")]
pub struct Options {
    /// Sessions one browser may hold; a sign-in beyond it gets no multi-session cookie.
    #[serde(default = "five")]
    pub maximum_sessions: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            maximum_sessions: five(),
        }
    }
}

fn five() -> usize {
    5
}

error_codes!(ERRORS {
    INVALID_SESSION_TOKEN => "Invalid session token",
});

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::MultiSession,
    endpoints,
    amend: no_amendment,
    check: super::no_check,
    errors: ERRORS,
    rate_limits: &[],
};

fn endpoints(_: &Config) -> Vec<Endpoint> {
    use Access::{Public, Session};
    use Method::{Get, Post};
    use RequestBody::{Json, None as NoBody};
    let session_and_user = || {
        Shape::object(&[
            ("session", Shape::model("session")),
            ("user", Shape::model("user")),
        ])
    };
    let token = || Json(Shape::object(&[("sessionToken", Shape::String)]));
    let mut all = vec![
        endpoint(
            "listDeviceSessions",
            "/multi-session/list-device-sessions",
            Get,
            Public,
            NoBody,
            Reply::Json(session_and_user().array()),
        ),
        endpoint(
            "setActiveSession",
            "/multi-session/set-active",
            Post,
            Public,
            token(),
            Reply::Json(session_and_user()),
        ),
        endpoint(
            "revokeDeviceSession",
            "/multi-session/revoke",
            Post,
            Session,
            token(),
            status(),
        ),
    ];
    for endpoint in &mut all {
        endpoint.plugin = Some(Plugin::MultiSession);
    }
    all
}
