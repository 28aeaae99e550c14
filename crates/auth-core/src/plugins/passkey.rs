//! better-auth's `passkey` plugin (`@better-auth/passkey`): WebAuthn registration and
//! authentication ceremonies, credentials in the `passkey` table, and their management.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Declaration, no_amendment, no_check};
use crate::config::Config;
use crate::endpoints::{Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint, query};
use crate::errors::{ErrorCode, error_codes};
use crate::schema::Plugin;

/// `[plugins.passkey]`: better-auth's `passkey({…})` options, kebab-case.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// The relying party's id, a registrable domain (default: the base URL's host name).
    pub rp_id: Option<String>,
    /// The relying party's name shown by authenticators (default: `app-name`).
    pub rp_name: Option<String>,
    /// The origin(s) a ceremony must come from (default: the request's `Origin` header, which
    /// the origin check has already matched against the trusted origins).
    pub origin: Option<Origins>,
    /// Merged over better-auth's `{ residentKey: "preferred", userVerification: "preferred" }`.
    #[serde(default)]
    pub authenticator_selection: AuthenticatorSelection,
    #[serde(default)]
    pub advanced: Advanced,
}

/// One origin or several.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Origins {
    One(String),
    Many(Vec<String>),
}

impl Origins {
    /// Every origin, in order.
    pub fn all(&self) -> Vec<&str> {
        match self {
            Self::One(one) => vec![one.as_str()],
            Self::Many(many) => many.iter().map(String::as_str).collect(),
        }
    }
}

/// `[plugins.passkey.authenticator-selection]`: WebAuthn's `AuthenticatorSelectionCriteria`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuthenticatorSelection {
    pub authenticator_attachment: Option<Attachment>,
    pub resident_key: Option<Requirement>,
    pub require_resident_key: Option<bool>,
    pub user_verification: Option<Requirement>,
}

/// `platform` or `cross-platform`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Attachment {
    Platform,
    CrossPlatform,
}

impl Attachment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::CrossPlatform => "cross-platform",
        }
    }
}

/// `discouraged`, `preferred` or `required`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    Discouraged,
    Preferred,
    Required,
}

impl Requirement {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Discouraged => "discouraged",
            Self::Preferred => "preferred",
            Self::Required => "required",
        }
    }
}

/// `[plugins.passkey.advanced]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Advanced {
    /// The challenge cookie's name, after the cookie prefix.
    #[serde(default = "challenge_cookie")]
    pub web_authn_challenge_cookie: String,
}

impl Default for Advanced {
    fn default() -> Self {
        Self {
            web_authn_challenge_cookie: challenge_cookie(),
        }
    }
}

fn challenge_cookie() -> String {
    "better-auth-passkey".to_owned()
}

error_codes!(ERRORS {
    CHALLENGE_NOT_FOUND => "Challenge not found",
    YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY => "You are not allowed to register this passkey",
    FAILED_TO_VERIFY_REGISTRATION => "Failed to verify registration",
    PASSKEY_NOT_FOUND => "Passkey not found",
    AUTHENTICATION_FAILED => "Authentication failed",
    UNABLE_TO_CREATE_SESSION => "Unable to create session",
    USER_NOT_FOUND => "User not found",
    FAILED_TO_UPDATE_PASSKEY => "Failed to update passkey",
    PREVIOUSLY_REGISTERED => "Previously registered",
    REGISTRATION_CANCELLED => "Registration cancelled",
    AUTH_CANCELLED => "Auth cancelled",
    UNKNOWN_ERROR => "Unknown error",
    SESSION_REQUIRED => "Passkey registration requires an authenticated session",
    RESOLVE_USER_REQUIRED => "Passkey registration requires either an authenticated session or a resolveUser callback when requireSession is false",
    RESOLVED_USER_INVALID => "Resolved user is invalid",
});

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::Passkey,
    endpoints,
    amend: no_amendment,
    check: no_check,
    errors: ERRORS,
    rate_limits: &[],
};

fn endpoints(_: &Config) -> Vec<Endpoint> {
    use Access::{Fresh, Optional, Public, Session};
    use Method::{Get, Post};
    use RequestBody::{Json, None as NoBody};
    let s = || Shape::String;
    let b = || Shape::Boolean;
    let n = || Shape::Number;
    let credentials =
        || Shape::object(&[("id", s()), ("type", s()), ("transports?", s().array())]).array();
    let relying_party = || Shape::object(&[("name?", s()), ("id?", s())]);
    let mut all = vec![
        query(
            endpoint(
                "generatePasskeyRegistrationOptions",
                "/passkey/generate-register-options",
                Get,
                Fresh,
                NoBody,
                Reply::Json(Shape::object(&[
                    ("challenge", s()),
                    ("rp", relying_party()),
                    (
                        "user",
                        Shape::object(&[("id", s()), ("name", s()), ("displayName", s())]),
                    ),
                    (
                        "pubKeyCredParams",
                        Shape::object(&[("type", s()), ("alg", n())]).array(),
                    ),
                    ("timeout?", n()),
                    ("excludeCredentials?", credentials()),
                    ("authenticatorSelection?", Shape::Json),
                    ("attestation?", s()),
                    ("extensions?", Shape::Json),
                    ("hints?", s().array()),
                ])),
            ),
            &[
                ("authenticatorAttachment?", s()),
                ("name?", s()),
                ("context?", s()),
            ],
        ),
        endpoint(
            "generatePasskeyAuthenticationOptions",
            "/passkey/generate-authenticate-options",
            Get,
            Optional,
            NoBody,
            Reply::Json(Shape::object(&[
                ("challenge", s()),
                ("rpId?", s()),
                ("timeout?", n()),
                ("allowCredentials?", credentials()),
                ("userVerification?", s()),
                ("extensions?", Shape::Json),
                ("hints?", s().array()),
            ])),
        ),
        endpoint(
            "verifyPasskeyRegistration",
            "/passkey/verify-registration",
            Post,
            Fresh,
            Json(Shape::object(&[
                ("response", Shape::Json),
                ("name?", s()),
                ("createSession?", b()),
            ])),
            Reply::Json(Shape::model("passkey")),
        ),
        endpoint(
            "verifyPasskeyAuthentication",
            "/passkey/verify-authentication",
            Post,
            Public,
            Json(Shape::object(&[("response", Shape::Json)])),
            Reply::Json(Shape::object(&[
                ("session", Shape::model("session")),
                ("user", Shape::model("user")),
            ])),
        ),
        endpoint(
            "listPasskeys",
            "/passkey/list-user-passkeys",
            Get,
            Session,
            NoBody,
            Reply::Json(Shape::model("passkey").array()),
        ),
        endpoint(
            "deletePasskey",
            "/passkey/delete-passkey",
            Post,
            Session,
            Json(Shape::object(&[("id", s())])),
            Reply::Json(Shape::object(&[("status", b())])),
        ),
        endpoint(
            "updatePasskey",
            "/passkey/update-passkey",
            Post,
            Session,
            Json(Shape::object(&[("id", s()), ("name", s())])),
            Reply::Json(Shape::object(&[("passkey", Shape::model("passkey"))])),
        ),
    ];
    for endpoint in &mut all {
        endpoint.plugin = Some(Plugin::Passkey);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(text: &str) -> Result<Options, String> {
        Config::parse("auth.toml", format!("[plugins.passkey]\n{text}"))
            .map(|c| c.plugins.passkey_options().clone())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn options_parse_with_better_auths_defaults() {
        let defaults = options("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(defaults.rp_id, None);
        assert_eq!(defaults.origin, None);
        assert_eq!(
            defaults.advanced.web_authn_challenge_cookie,
            "better-auth-passkey"
        );
        let set = options(
            "rp-id = \"example.com\"\nrp-name = \"Example\"\norigin = [\"https://a.example.com\", \"https://b.example.com\"]\n\
             [plugins.passkey.authenticator-selection]\nauthenticator-attachment = \"platform\"\nuser-verification = \"required\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(set.rp_id.as_deref(), Some("example.com"));
        assert_eq!(
            set.origin.as_ref().map(Origins::all),
            Some(vec!["https://a.example.com", "https://b.example.com"])
        );
        assert_eq!(
            set.authenticator_selection.user_verification,
            Some(Requirement::Required)
        );
        for (bad, says) in [
            ("rp = \"x\"\n", "unknown key"),
            (
                "[plugins.passkey.authenticator-selection]\nuser-verification = \"always\"\n",
                "always",
            ),
        ] {
            let error = options(bad)
                .err()
                .unwrap_or_else(|| panic!("accepted {bad}"));
            assert!(error.contains(says), "{bad}: {error}");
            assert!(error.starts_with("auth.toml:"), "{error}");
        }
    }
}
