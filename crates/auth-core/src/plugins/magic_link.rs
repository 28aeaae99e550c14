//! better-auth's `magicLink` plugin: a sign-in link by mail, single use, that signs the address
//! up when it has no user yet.

use schemars::JsonSchema;
use serde::Deserialize;

pub use super::StoreToken;

use super::{Declaration, RateRule, at_least_one, five_minutes, needs_mailer, no_amendment};
use crate::config::{Config, ConfigError};
use crate::endpoints::{Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint, query};
use crate::schema::Plugin;

/// `[plugins.magic-link]`: better-auth's `magicLink({…})` options, kebab-case. `sendMagicLink` is
/// the `[mailer]` (kind `magic-link`); `generateToken` has no declarative form (32 letters).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "MagicLinkOptions")]
pub struct Options {
    /// Seconds a link lives (at least 1).
    #[serde(default = "five_minutes", deserialize_with = "at_least_one")]
    pub expires_in: u64,
    /// A link for an address without a user fails with `error=new_user_signup_disabled`.
    #[serde(default)]
    pub disable_sign_up: bool,
    #[serde(default)]
    pub store_token: StoreToken,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            expires_in: five_minutes(),
            disable_sign_up: false,
            store_token: StoreToken::default(),
        }
    }
}

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::MagicLink,
    endpoints,
    amend: no_amendment,
    check,
    errors: &[],
    rate_limits: &[
        RateRule {
            prefix: "/sign-in/magic-link",
            window: 60,
            max: 5,
        },
        RateRule {
            prefix: "/magic-link/verify",
            window: 60,
            max: 5,
        },
    ],
};

/// better-auth cannot run without `sendMagicLink`: here, without a `[mailer]`.
fn check(config: &Config) -> Result<(), ConfigError> {
    needs_mailer(
        config,
        Plugin::MagicLink,
        "magic-link sends its links by mail",
    )
}

fn endpoints(_: &Config) -> Vec<Endpoint> {
    let s = || Shape::String;
    let mut all = vec![
        endpoint(
            "signInMagicLink",
            "/sign-in/magic-link",
            Method::Post,
            Access::Public,
            RequestBody::Json(Shape::object(&[
                ("email", Shape::Email),
                ("name?", s()),
                ("callbackURL?", s()),
                ("newUserCallbackURL?", s()),
                ("errorCallbackURL?", s()),
                ("metadata?", Shape::Json),
            ])),
            Reply::Json(Shape::object(&[("status", Shape::Boolean)])),
        ),
        query(
            endpoint(
                "magicLinkVerify",
                "/magic-link/verify",
                Method::Get,
                Access::Public,
                RequestBody::None,
                Reply::JsonOrRedirect(Shape::object(&[
                    ("token", s()),
                    ("user", Shape::model("user")),
                    ("session", Shape::model("session")),
                ])),
            ),
            &[
                ("token", s()),
                ("callbackURL?", s()),
                ("errorCallbackURL?", s()),
                ("newUserCallbackURL?", s()),
            ],
        ),
    ];
    for endpoint in &mut all {
        endpoint.plugin = Some(Plugin::MagicLink);
    }
    all
}
