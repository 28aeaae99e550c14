//! better-auth's `oneTimeToken` plugin: a signed-in browser asks for a short-lived token that
//! hands its session to another client (a native app, another domain).

use schemars::JsonSchema;
use serde::Deserialize;

pub use super::StoreToken;

use super::{Declaration, no_amendment};
use crate::config::Config;
use crate::endpoints::{Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint};
use crate::schema::Plugin;

/// `[plugins.one-time-token]`: better-auth's `oneTimeToken({…})` options, kebab-case.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "OneTimeTokenOptions")]
pub struct Options {
    /// Minutes a token lives.
    #[serde(default = "three")]
    pub expires_in: u64,
    /// `generate` refuses requests from clients (every HTTP request): 400.
    #[serde(default)]
    pub disable_client_request: bool,
    /// `verify` answers the session without setting its cookie.
    #[serde(default)]
    pub disable_set_session_cookie: bool,
    #[serde(default)]
    pub store_token: StoreToken,
    /// Every answer that creates a session also carries a new token in `set-ott`.
    #[serde(default)]
    pub set_ott_header_on_new_session: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            expires_in: three(),
            disable_client_request: false,
            disable_set_session_cookie: false,
            store_token: StoreToken::default(),
            set_ott_header_on_new_session: false,
        }
    }
}

fn three() -> u64 {
    3
}

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::OneTimeToken,
    endpoints,
    amend: no_amendment,
    check: super::no_check,
    errors: &[],
    rate_limits: &[],
};

fn endpoints(_: &Config) -> Vec<Endpoint> {
    let mut all = vec![
        endpoint(
            "generateOneTimeToken",
            "/one-time-token/generate",
            Method::Get,
            Access::Session,
            RequestBody::None,
            Reply::Json(Shape::object(&[("token", Shape::String)])),
        ),
        endpoint(
            "verifyOneTimeToken",
            "/one-time-token/verify",
            Method::Post,
            Access::Public,
            RequestBody::Json(Shape::object(&[("token", Shape::String)])),
            Reply::Json(Shape::object(&[
                ("session", Shape::model("session")),
                ("user", Shape::model("user")),
            ])),
        ),
    ];
    for endpoint in &mut all {
        endpoint.plugin = Some(Plugin::OneTimeToken);
    }
    all
}
