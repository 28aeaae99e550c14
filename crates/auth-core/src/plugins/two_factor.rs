//! better-auth's `twoFactor` plugin: TOTP (authenticator apps), one-time codes by mail, backup
//! codes and trusted devices, and the challenge every password sign-in answers while a second
//! factor is pending.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Declaration, RateRule};
use crate::config::Config;
use crate::endpoints::{Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint, status};
use crate::errors::{ErrorCode, error_codes};
use crate::schema::Plugin;

/// `[plugins.two-factor]`: better-auth's `twoFactor({…})` options, kebab-case.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "TwoFactorOptions")]
pub struct Options {
    /// The TOTP URI's issuer (default: `app-name`, else "Better Auth").
    #[serde(default)]
    pub issuer: Option<String>,
    /// `enable` marks the secret verified at once, without a first TOTP.
    #[serde(default)]
    pub skip_verification_on_enable: bool,
    /// `enable`, `disable`, `get-totp-uri` and `generate-backup-codes` without a password.
    #[serde(default)]
    pub allow_passwordless: bool,
    /// Seconds a trusted device skips the challenge (and is renewed on each sign-in).
    #[serde(default = "default_trust_device_max_age")]
    pub trust_device_max_age: u64,
    /// Seconds a sign-in challenge (the `two_factor` cookie) lives.
    #[serde(default = "default_cookie_max_age")]
    pub two_factor_cookie_max_age: u64,
    #[serde(default)]
    pub totp: TotpOptions,
    /// Codes by mail (better-auth's `otpOptions.sendOTP`): offered when this table is present.
    #[serde(default)]
    pub otp: Option<OtpOptions>,
    #[serde(default)]
    pub backup_codes: BackupCodeOptions,
    #[serde(default)]
    pub account_lockout: LockoutOptions,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            issuer: None,
            skip_verification_on_enable: false,
            allow_passwordless: false,
            trust_device_max_age: default_trust_device_max_age(),
            two_factor_cookie_max_age: default_cookie_max_age(),
            totp: TotpOptions::default(),
            otp: None,
            backup_codes: BackupCodeOptions::default(),
            account_lockout: LockoutOptions::default(),
        }
    }
}

fn default_trust_device_max_age() -> u64 {
    30 * 24 * 60 * 60
}

fn default_cookie_max_age() -> u64 {
    600
}

/// `[plugins.two-factor.totp]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TotpOptions {
    /// 1 to 8 (RFC 4226's codes).
    #[serde(default = "six", deserialize_with = "totp_digits")]
    pub digits: u32,
    /// Seconds per step.
    #[serde(default = "thirty")]
    pub period: u64,
    /// No TOTP at all (codes by mail and backup codes only).
    #[serde(default)]
    pub disable: bool,
}

impl Default for TotpOptions {
    fn default() -> Self {
        Self {
            digits: six(),
            period: thirty(),
            disable: false,
        }
    }
}

fn six() -> u32 {
    6
}

/// better-auth's check: "Digits must be between 1 and 8".
fn totp_digits<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    digits_up_to(deserializer, 8)
}

/// A mailed code of 1 to 16 digits.
fn otp_digits<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    digits_up_to(deserializer, 16)
}

fn digits_up_to<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    max: u32,
) -> Result<u32, D::Error> {
    let digits = u32::deserialize(deserializer)?;
    if (1..=max).contains(&digits) {
        Ok(digits)
    } else {
        Err(serde::de::Error::custom(format!(
            "digits must be between 1 and {max}, not {digits}"
        )))
    }
}

fn thirty() -> u64 {
    30
}

/// How a mailed code is kept in `verification` (better-auth's `storeOTP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StoreOtp {
    #[default]
    Plain,
    /// SHA-256, base64url without padding.
    Hashed,
    /// Encrypted with the secret, as the TOTP secret is.
    Encrypted,
}

/// `[plugins.two-factor.otp]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OtpOptions {
    /// Minutes a mailed code lives.
    #[serde(default = "three")]
    pub period: u64,
    /// 1 to 16.
    #[serde(default = "six", deserialize_with = "otp_digits")]
    pub digits: u32,
    /// Wrong codes allowed before the code is dead.
    #[serde(default = "five")]
    pub allowed_attempts: u32,
    #[serde(default)]
    pub store_otp: StoreOtp,
}

fn three() -> u64 {
    3
}

fn five() -> u32 {
    5
}

/// How backup codes are kept in `twoFactor.backupCodes` (better-auth's `storeBackupCodes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StoreBackupCodes {
    #[default]
    Encrypted,
    Plain,
}

/// `[plugins.two-factor.backup-codes]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BackupCodeOptions {
    #[serde(default = "ten")]
    pub amount: usize,
    /// Characters per code (split in two halves by `-`).
    #[serde(default = "ten")]
    pub length: usize,
    #[serde(default)]
    pub store: StoreBackupCodes,
}

impl Default for BackupCodeOptions {
    fn default() -> Self {
        Self {
            amount: ten(),
            length: ten(),
            store: StoreBackupCodes::default(),
        }
    }
}

fn ten() -> usize {
    10
}

/// `[plugins.two-factor.account-lockout]`: failed verifications across challenges lock the
/// second factor for a while.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LockoutOptions {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "ten_u32")]
    pub max_failed_attempts: u32,
    #[serde(default = "fifteen_minutes")]
    pub duration_seconds: u64,
}

impl Default for LockoutOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            max_failed_attempts: ten_u32(),
            duration_seconds: fifteen_minutes(),
        }
    }
}

fn yes() -> bool {
    true
}

fn ten_u32() -> u32 {
    10
}

fn fifteen_minutes() -> u64 {
    900
}

error_codes!(ERRORS {
    OTP_NOT_ENABLED => "OTP not enabled",
    OTP_NOT_CONFIGURED => "OTP is not available",
    OTP_HAS_EXPIRED => "OTP has expired",
    TOTP_NOT_ENABLED => "TOTP not enabled",
    TOTP_ALREADY_ENABLED => "TOTP is already enabled",
    TOTP_NOT_CONFIGURED => "TOTP is not available",
    TWO_FACTOR_NOT_ENABLED => "Two factor isn't enabled",
    BACKUP_CODES_NOT_ENABLED => "Backup codes aren't enabled",
    INVALID_BACKUP_CODE => "Invalid backup code",
    INVALID_CODE => "Invalid code",
    TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE => "Too many attempts. Please request a new code.",
    ACCOUNT_TEMPORARILY_LOCKED => "Too many failed verification attempts. Your account is temporarily locked. Please try again later.",
    INVALID_TWO_FACTOR_COOKIE => "Invalid two factor cookie",
});

/// The password sign-ins two-factor interrupts (better-auth's `signInPaths`).
pub const SIGN_IN_PATHS: &[&str] = &[
    "/sign-in/email",
    "/sign-in/username",
    "/sign-in/phone-number",
];

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::TwoFactor,
    endpoints,
    amend,
    check: super::no_check,
    errors: ERRORS,
    rate_limits: &[RateRule {
        prefix: "/two-factor/",
        window: 10,
        max: 3,
    }],
};

fn endpoints(config: &Config) -> Vec<Endpoint> {
    use Access::{Public, Sensitive, Session};
    use Method::Post;
    use RequestBody::Json;
    let s = || Shape::String;
    let b = || Shape::Boolean;
    let options = config.plugins.two_factor_options();
    let password_key = if options.allow_passwordless {
        "password?"
    } else {
        "password"
    };
    let password = || Json(Shape::object(&[(password_key, s())]));
    let signed_in = || {
        Reply::Json(Shape::object(&[
            ("token", s()),
            ("user", Shape::model("user")),
        ]))
    };
    let verify = |extra: &[(&str, Shape)]| {
        let mut properties = vec![("code", s()), ("trustDevice?", b())];
        properties.extend_from_slice(extra);
        Json(Shape::object(&properties))
    };
    let mut all = vec![
        endpoint(
            "getTOTPURI",
            "/two-factor/get-totp-uri",
            Post,
            Session,
            password(),
            Reply::Json(Shape::object(&[("totpURI", s())])),
        ),
        endpoint(
            "verifyTOTP",
            "/two-factor/verify-totp",
            Post,
            Public,
            verify(&[]),
            signed_in(),
        ),
        endpoint(
            "sendTwoFactorOTP",
            "/two-factor/send-otp",
            Post,
            Public,
            Json(Shape::object(&[("trustDevice?", b())])),
            status(),
        ),
        endpoint(
            "verifyTwoFactorOTP",
            "/two-factor/verify-otp",
            Post,
            Public,
            verify(&[]),
            signed_in(),
        ),
        endpoint(
            "verifyBackupCode",
            "/two-factor/verify-backup-code",
            Post,
            Public,
            verify(&[("disableSession?", b())]),
            signed_in(),
        ),
        endpoint(
            "generateBackupCodes",
            "/two-factor/generate-backup-codes",
            Post,
            Session,
            password(),
            Reply::Json(Shape::object(&[
                ("status", b()),
                ("backupCodes", s().array()),
            ])),
        ),
        endpoint(
            "enableTwoFactor",
            "/two-factor/enable",
            Post,
            Session,
            Json(Shape::object(&[
                (password_key, s()),
                ("method?", s()),
                ("issuer?", s()),
            ])),
            Reply::Json(Shape::object(&[
                ("method", s()),
                ("totpURI?", s()),
                ("backupCodes?", s().array()),
            ])),
        ),
        endpoint(
            "disableTwoFactor",
            "/two-factor/disable",
            Post,
            Sensitive,
            password(),
            status(),
        ),
    ];
    for endpoint in &mut all {
        endpoint.plugin = Some(Plugin::TwoFactor);
    }
    all
}

/// A password sign-in may answer the challenge instead of a session.
fn amend(_: &Config, endpoints: &mut [Endpoint]) {
    let challenge = Shape::object(&[
        ("twoFactorRedirect", Shape::Boolean),
        ("twoFactorMethods", Shape::String.array()),
    ]);
    for endpoint in endpoints
        .iter_mut()
        .filter(|e| SIGN_IN_PATHS.contains(&e.path))
    {
        if let Reply::Json(shape) = &mut endpoint.reply {
            *shape = Shape::OneOf(vec![shape.clone(), challenge.clone()]);
        }
    }
}
