//! better-auth's `username` plugin: sign-in by username, an availability check, and usernames
//! on core's sign-up and update-user (validated, lower-cased, unique, with a display form).

use schemars::JsonSchema;
use serde::Deserialize;

use super::Declaration;
use crate::config::Config;
use crate::endpoints::{Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint, password};
use crate::errors::{ErrorCode, error_codes};
use crate::schema::Plugin;

/// `[plugins.username]`: better-auth's `username({…})` options, kebab-case. Its functions
/// (`usernameValidator`, `displayUsernameValidator`) have no declarative form here: the
/// validator is better-auth's default, `[a-zA-Z0-9_.]+`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "UsernameOptions")]
pub struct Options {
    /// Shorter usernames are `USERNAME_TOO_SHORT` (length in UTF-16 units, as JavaScript counts).
    #[serde(default = "three")]
    pub min_username_length: usize,
    /// Longer usernames are `USERNAME_TOO_LONG`.
    #[serde(default = "thirty")]
    pub max_username_length: usize,
    /// Usernames are stored and looked up lower-cased (`false`: as given).
    #[serde(default = "yes")]
    pub username_normalization: bool,
    /// Display usernames are stored lower-cased (default: as given).
    #[serde(default)]
    pub display_username_normalization: bool,
    #[serde(default)]
    pub validation_order: ValidationOrder,
    /// A username once set cannot be changed by update-user (`USERNAME_IS_IMMUTABLE`).
    #[serde(default)]
    pub immutable_username: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            min_username_length: three(),
            max_username_length: thirty(),
            username_normalization: yes(),
            display_username_normalization: false,
            validation_order: ValidationOrder::default(),
            immutable_username: false,
        }
    }
}

fn three() -> usize {
    3
}

fn thirty() -> usize {
    30
}

fn yes() -> bool {
    true
}

/// `[plugins.username.validation-order]`.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ValidationOrder {
    #[serde(default)]
    pub username: Order,
}

/// Whether a username is validated as given or after its normalization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    #[default]
    PreNormalization,
    PostNormalization,
}

error_codes!(ERRORS {
    INVALID_USERNAME_OR_PASSWORD => "Invalid username or password",
    EMAIL_NOT_VERIFIED => "Email not verified",
    UNEXPECTED_ERROR => "Unexpected error",
    USERNAME_IS_ALREADY_TAKEN => "Username is already taken. Please try another.",
    USERNAME_TOO_SHORT => "Username is too short",
    USERNAME_TOO_LONG => "Username is too long",
    INVALID_USERNAME => "Username is invalid",
    INVALID_DISPLAY_USERNAME => "Display username is invalid",
    USERNAME_IS_IMMUTABLE => "Username cannot be updated",
});

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::Username,
    endpoints,
    amend,
    check: super::no_check,
    errors: ERRORS,
    rate_limits: &[],
};

/// The usernames the server takes: the configured length and better-auth's default validator
/// (`^[a-zA-Z0-9_.]+$`, ASCII, so characters and UTF-16 units count alike).
fn username(config: &Config) -> Shape {
    let options = config.plugins.username_options();
    let bound = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Shape::Text {
        min: bound(options.min_username_length),
        max: Some(bound(options.max_username_length)),
        pattern: Some("^[a-zA-Z0-9_.]+$"),
    }
}

/// Sign-up and update-user validate a `username` string as the plugin's endpoints do.
fn amend(config: &Config, endpoints: &mut [Endpoint]) {
    for endpoint in endpoints
        .iter_mut()
        .filter(|e| ["/sign-up/email", "/update-user"].contains(&e.path))
    {
        if let RequestBody::Json(body) | RequestBody::JsonOrForm(body) = &mut endpoint.body {
            body.override_property("username", username(config).nullable());
        }
    }
}

fn endpoints(config: &Config) -> Vec<Endpoint> {
    use Access::Public;
    use Method::Post;
    use RequestBody::Json;
    let s = || Shape::String;
    let b = || Shape::Boolean;
    let mut all = vec![
        endpoint(
            "signInUsername",
            "/sign-in/username",
            Post,
            Public,
            Json(Shape::object(&[
                ("username", username(config)),
                ("password", password(config)),
                ("rememberMe?", b()),
                ("callbackURL?", s()),
            ])),
            Reply::Json(Shape::object(&[
                ("redirect", b()),
                ("token", s()),
                ("url?", s()),
                ("user", Shape::model("user")),
            ])),
        ),
        endpoint(
            "isUsernameAvailable",
            "/is-username-available",
            Post,
            Public,
            Json(Shape::object(&[("username", username(config))])),
            Reply::Json(Shape::object(&[("available", b())])),
        ),
    ];
    for endpoint in &mut all {
        endpoint.plugin = Some(Plugin::Username);
    }
    all
}
