//! better-auth's `emailOTP` plugin: one-time codes by mail to sign in (and up), to verify an
//! address, to reset a password and to change the address.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{
    Declaration, RateRule, at_least_one, five_minutes, needs_mailer, no_amendment, otp_length,
    six_digits, three_attempts,
};
use crate::config::{Config, ConfigError};
use crate::endpoints::{
    Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint, new_password,
};
use crate::errors::{ErrorCode, error_codes};
use crate::schema::Plugin;

pub use super::two_factor::StoreOtp;

/// What `send-verification-otp` does when a live code exists (better-auth's `resendStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ResendStrategy {
    /// A new code replaces it.
    #[default]
    Rotate,
    /// The live code is sent again with a renewed lifetime (not when it is stored hashed).
    Reuse,
}

/// `[plugins.email-otp]`: better-auth's `emailOTP({…})` options, kebab-case.
/// `sendVerificationOTP` is the `[mailer]` (kinds `email-otp-<type>`); `generateOTP` has no
/// declarative form (`otp-length` digits).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "EmailOtpOptions")]
pub struct Options {
    /// Digits per code, 1 to 16.
    #[serde(default = "six_digits", deserialize_with = "otp_length")]
    pub otp_length: usize,
    /// Seconds a code lives (at least 1).
    #[serde(default = "five_minutes", deserialize_with = "at_least_one")]
    pub expires_in: u64,
    /// Wrong answers allowed before the code is dead (at least 1).
    #[serde(default = "three_attempts", deserialize_with = "at_least_one")]
    pub allowed_attempts: u64,
    /// Every sign-up also mails an email-verification code.
    #[serde(default)]
    pub send_verification_on_sign_up: bool,
    /// `sign-in/email-otp` never creates a user (an unknown address is `INVALID_OTP`).
    #[serde(default)]
    pub disable_sign_up: bool,
    #[serde(default)]
    pub store_otp: StoreOtp,
    #[serde(default)]
    pub resend_strategy: ResendStrategy,
    /// Core's verification mails become email-verification codes.
    #[serde(default)]
    pub override_default_email_verification: bool,
    #[serde(default)]
    pub change_email: ChangeEmailOptions,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            otp_length: six_digits(),
            expires_in: five_minutes(),
            allowed_attempts: three_attempts(),
            send_verification_on_sign_up: false,
            disable_sign_up: false,
            store_otp: StoreOtp::default(),
            resend_strategy: ResendStrategy::default(),
            override_default_email_verification: false,
            change_email: ChangeEmailOptions::default(),
        }
    }
}

/// `[plugins.email-otp.change-email]`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ChangeEmailOptions {
    /// `request-email-change` and `change-email` answer (otherwise 400).
    #[serde(default)]
    pub enabled: bool,
    /// `request-email-change` also takes an email-verification code of the current address.
    #[serde(default)]
    pub verify_current_email: bool,
}

error_codes!(ERRORS {
    OTP_EXPIRED => "OTP expired",
    INVALID_OTP => "Invalid OTP",
    TOO_MANY_ATTEMPTS => "Too many attempts",
});

/// The OTP types of `send-verification-otp` and `check-verification-otp`.
pub const OTP_TYPES: &[&str] = &[
    "email-verification",
    "sign-in",
    "forget-password",
    "change-email",
];

/// Every path of the plugin: each is limited to 3 requests a minute.
const PATHS: [&str; 9] = [
    "/email-otp/send-verification-otp",
    "/email-otp/check-verification-otp",
    "/email-otp/verify-email",
    "/sign-in/email-otp",
    "/email-otp/request-password-reset",
    "/email-otp/reset-password",
    "/forget-password/email-otp",
    "/email-otp/request-email-change",
    "/email-otp/change-email",
];

const fn three_a_minute(prefix: &'static str) -> RateRule {
    RateRule {
        prefix,
        window: 60,
        max: 3,
    }
}

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::EmailOtp,
    endpoints,
    amend: no_amendment,
    check,
    errors: ERRORS,
    rate_limits: &[
        three_a_minute(PATHS[0]),
        three_a_minute(PATHS[1]),
        three_a_minute(PATHS[2]),
        three_a_minute(PATHS[3]),
        three_a_minute(PATHS[4]),
        three_a_minute(PATHS[5]),
        three_a_minute(PATHS[6]),
        three_a_minute(PATHS[7]),
        three_a_minute(PATHS[8]),
    ],
};

/// better-auth cannot run without `sendVerificationOTP`: here, without a `[mailer]`.
fn check(config: &Config) -> Result<(), ConfigError> {
    needs_mailer(
        config,
        Plugin::EmailOtp,
        "email-otp sends its codes by mail",
    )
}

fn endpoints(config: &Config) -> Vec<Endpoint> {
    use Access::{Optional, Public, Sensitive};
    use Method::Post;
    use RequestBody::Json;
    let s = || Shape::String;
    let success = || Reply::Json(Shape::object(&[("success", Shape::Boolean)]));
    let otp_type = || Shape::Choice(OTP_TYPES.to_vec());
    let mut all = vec![
        endpoint(
            "sendVerificationOTP",
            PATHS[0],
            Post,
            Public,
            Json(Shape::object(&[
                ("email", Shape::Email),
                ("type", otp_type()),
            ])),
            success(),
        ),
        endpoint(
            "checkVerificationOTP",
            PATHS[1],
            Post,
            Public,
            Json(Shape::object(&[
                ("email", Shape::Email),
                ("type", otp_type()),
                ("otp", s()),
            ])),
            success(),
        ),
        endpoint(
            "verifyEmailOTP",
            PATHS[2],
            Post,
            Optional,
            Json(Shape::object(&[("email", Shape::Email), ("otp", s())])),
            Reply::Json(Shape::object(&[
                ("status", Shape::Boolean),
                ("token", s().nullable()),
                ("user", Shape::model("user")),
            ])),
        ),
        endpoint(
            "signInEmailOTP",
            PATHS[3],
            Post,
            Public,
            Json(Shape::Merge(vec![
                Shape::object(&[
                    ("email", Shape::Email),
                    ("otp", s()),
                    ("name?", s()),
                    ("image?", s()),
                ]),
                Shape::ModelInput {
                    model: "user".into(),
                    partial: false,
                },
            ])),
            Reply::Json(Shape::object(&[
                ("token", s()),
                ("user", Shape::model("user")),
            ])),
        ),
        endpoint(
            "requestPasswordResetEmailOTP",
            PATHS[4],
            Post,
            Public,
            Json(Shape::object(&[("email", Shape::Email)])),
            success(),
        ),
        endpoint(
            "forgetPasswordEmailOTP",
            PATHS[6],
            Post,
            Public,
            Json(Shape::object(&[("email", Shape::Email)])),
            success(),
        ),
        endpoint(
            "resetPasswordEmailOTP",
            PATHS[5],
            Post,
            Public,
            Json(Shape::object(&[
                ("email", Shape::Email),
                ("otp", s()),
                ("password", new_password(config)),
            ])),
            success(),
        ),
        endpoint(
            "requestEmailChangeEmailOTP",
            PATHS[7],
            Post,
            Sensitive,
            Json(Shape::object(&[("newEmail", Shape::Email), ("otp?", s())])),
            success(),
        ),
        endpoint(
            "changeEmailEmailOTP",
            PATHS[8],
            Post,
            Sensitive,
            Json(Shape::object(&[("newEmail", Shape::Email), ("otp", s())])),
            success(),
        ),
    ];
    for endpoint in &mut all {
        endpoint.plugin = Some(Plugin::EmailOtp);
    }
    all
}
