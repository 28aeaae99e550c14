//! better-auth's `anonymous` plugin: a sign-in that creates a user without credentials
//! (`user.isAnonymous`), its deletion, and the link that deletes the anonymous user once the same
//! browser signs in or up as someone else.

use schemars::JsonSchema;
use serde::Deserialize;

use super::Declaration;
use crate::config::Config;
use crate::endpoints::{Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint};
use crate::errors::{ErrorCode, error_codes};
use crate::schema::Plugin;

/// `[plugins.anonymous]`: better-auth's `anonymous({…})` options, kebab-case.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "AnonymousOptions")]
pub struct Options {
    /// Anonymous users get `temp-<id>@<this domain>` instead of
    /// `<id>@anonymous.placeholder.invalid`.
    #[serde(default)]
    pub email_domain_name: Option<String>,
    /// Keeps the anonymous user when its browser signs in as someone else, and refuses
    /// `POST /delete-anonymous-user`.
    #[serde(default)]
    pub disable_delete_anonymous_user: bool,
}

error_codes!(ERRORS {
    INVALID_EMAIL_FORMAT => "Email was not generated in a valid format",
    FAILED_TO_CREATE_USER => "Failed to create user",
    COULD_NOT_CREATE_SESSION => "Could not create session",
    ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY => "Anonymous users cannot sign in again anonymously",
    FAILED_TO_DELETE_ANONYMOUS_USER => "Failed to delete anonymous user",
    FAILED_TO_DELETE_ANONYMOUS_USER_SESSIONS => "Failed to delete anonymous user sessions",
    USER_IS_NOT_ANONYMOUS => "User is not anonymous",
    DELETE_ANONYMOUS_USER_DISABLED => "Deleting anonymous users is disabled",
});

/// The paths after which an anonymous browser that got a session for another user is linked
/// (better-auth's after-hook matcher: prefixes of the endpoint's path).
pub const LINK_PATH_PREFIXES: &[&str] = &[
    "/sign-in",
    "/sign-up",
    "/callback",
    "/magic-link/verify",
    "/email-otp/verify-email",
    "/one-tap/callback",
    "/passkey/verify-authentication",
    "/phone-number/verify",
    "/verify-email",
];

/// Does a request to `path` link an anonymous browser to the user it signs in?
pub fn links(path: &str) -> bool {
    LINK_PATH_PREFIXES.iter().any(|p| path.starts_with(p))
}

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::Anonymous,
    endpoints,
    amend: |_, _| {},
    check: super::no_check,
    errors: ERRORS,
    rate_limits: &[],
};

fn endpoints(_: &Config) -> Vec<Endpoint> {
    let mut all = vec![
        endpoint(
            "signInAnonymous",
            "/sign-in/anonymous",
            Method::Post,
            Access::Public,
            RequestBody::None,
            Reply::Json(Shape::object(&[
                ("token", Shape::String),
                ("user", Shape::model("user")),
            ])),
        ),
        endpoint(
            "deleteAnonymousUser",
            "/delete-anonymous-user",
            Method::Post,
            Access::Sensitive,
            RequestBody::None,
            Reply::Json(Shape::object(&[("success", Shape::Boolean)])),
        ),
    ];
    for endpoint in &mut all {
        endpoint.plugin = Some(Plugin::Anonymous);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_the_paths_better_auth_matches() {
        for path in [
            "/sign-in/email",
            "/sign-in/anonymous",
            "/sign-up/email",
            "/callback/:id",
            "/magic-link/verify",
            "/email-otp/verify-email",
            "/one-tap/callback",
            "/passkey/verify-authentication",
            "/phone-number/verify",
            "/verify-email",
        ] {
            assert!(links(path), "{path}");
        }
        for path in [
            "/get-session",
            "/update-user",
            "/two-factor/verify-totp",
            "/email-otp/send-verification-otp",
            "/change-email",
            "/oauth2/callback/:providerId",
        ] {
            assert!(!links(path), "{path}");
        }
    }

    #[test]
    fn options_use_better_auths_names() {
        let config = Config::parse(
            "auth.toml",
            "[plugins.anonymous]\nemail-domain-name = \"example.com\"\ndisable-delete-anonymous-user = true\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let options = config.plugins.anonymous_options();
        assert_eq!(options.email_domain_name.as_deref(), Some("example.com"));
        assert!(options.disable_delete_anonymous_user);
        let unknown = Config::parse("auth.toml", "[plugins.anonymous]\ngenerate-name = \"x\"\n");
        assert!(unknown.is_err());
    }
}
