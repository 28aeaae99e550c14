//! better-auth's `lastLoginMethod` plugin: a readable cookie (and optionally `user.lastLoginMethod`)
//! remembers how the user last signed in, so a sign-in page can suggest it.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Declaration, no_amendment, no_endpoints};
use crate::schema::Plugin;

/// `[plugins.last-login-method]`: better-auth's `lastLoginMethod({…})` options, kebab-case.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "LastLoginMethodOptions")]
pub struct Options {
    /// The cookie's full name (no prefix is added).
    #[serde(default = "default_cookie_name")]
    pub cookie_name: String,
    /// Seconds the cookie lives.
    #[serde(default = "thirty_days")]
    pub max_age: u64,
    /// `user.lastLoginMethod` (otherwise the method lives in a cookie only).
    #[serde(default)]
    pub store_in_database: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            cookie_name: default_cookie_name(),
            max_age: thirty_days(),
            store_in_database: false,
        }
    }
}

fn default_cookie_name() -> String {
    "better-auth.last_used_login_method".to_owned()
}

fn thirty_days() -> u64 {
    30 * 24 * 60 * 60
}

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::LastLoginMethod,
    endpoints: no_endpoints,
    amend: no_amendment,
    check: super::no_check,
    errors: &[],
    rate_limits: &[],
};

/// The login method a request to `path` (relative to the base path) is, as better-auth's
/// `defaultResolveMethod`: `None` for every path that is no login method (username, phone
/// number, anonymous, second factors, one-time tokens, switching sessions, …).
pub fn method_for(path: &str) -> Option<&str> {
    if let Some(provider) = path.strip_prefix("/callback/") {
        return Some(provider.rsplit('/').next().unwrap_or(provider));
    }
    match path {
        "/one-tap/callback" => Some("google"),
        "/sign-in/email" | "/sign-up/email" => Some("email"),
        "/sign-in/email-otp" => Some("email-otp"),
        _ if path.contains("siwe") => Some("siwe"),
        _ if path.contains("/passkey/verify-authentication") => Some("passkey"),
        _ if path.starts_with("/magic-link/verify") => Some("magic-link"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_better_auths() {
        for (path, method) in [
            ("/sign-in/email", Some("email")),
            ("/sign-up/email", Some("email")),
            ("/callback/github", Some("github")),
            ("/callback/my-oidc", Some("my-oidc")),
            ("/one-tap/callback", Some("google")),
            ("/magic-link/verify", Some("magic-link")),
            ("/sign-in/email-otp", Some("email-otp")),
            ("/siwe/verify", Some("siwe")),
            ("/passkey/verify-authentication", Some("passkey")),
            ("/sign-in/username", None),
            ("/sign-in/anonymous", None),
            ("/sign-in/phone-number", None),
            ("/phone-number/verify", None),
            ("/sign-in/social", None),
            ("/two-factor/verify-totp", None),
            ("/one-time-token/verify", None),
            ("/multi-session/set-active", None),
            ("/get-session", None),
            ("/sign-out", None),
            ("/email-otp/verify-email", None),
        ] {
            assert_eq!(method_for(path), method, "{path}");
        }
    }
}
