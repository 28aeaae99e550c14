//! better-auth's `phoneNumber` plugin: one-time codes by SMS to verify a number (and sign up by
//! it), sign-in by number and password, and password reset by SMS code.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{
    Declaration, RateRule, at_least_one, five_minutes, no_check, otp_length, six_digits,
    three_attempts,
};
use crate::config::Config;
use crate::endpoints::{
    Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint, new_password, password,
};
use crate::errors::{ErrorCode, error_codes};
use crate::schema::Plugin;

/// `[plugins.phone-number]`: better-auth's `phoneNumber({…})` options, kebab-case. `sendOTP` and
/// `sendPasswordResetOTP` are the `[sms]` sender (kinds `sms-otp`, `sms-reset-password`);
/// without one, `send-otp` answers 501 `SEND_OTP_NOT_IMPLEMENTED` as better-auth does.
/// `getTempEmail`/`getTempName` are templates; `phoneNumberValidator` is a choice of rules.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "PhoneNumberOptions")]
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
    /// Password sign-in and reset need a verified number (an unverified one is sent a code).
    #[serde(default)]
    pub require_verification: bool,
    /// Which numbers `send-otp` and `sign-in/phone-number` accept (default: any, as better-auth
    /// without a validator).
    #[serde(default)]
    pub phone_number_validator: Validator,
    /// A verified number without a user signs up (otherwise the verification fails).
    pub sign_up_on_verification: Option<SignUpOnVerification>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            otp_length: six_digits(),
            expires_in: five_minutes(),
            allowed_attempts: three_attempts(),
            require_verification: false,
            phone_number_validator: Validator::default(),
            sign_up_on_verification: None,
        }
    }
}

/// `phone-number-validator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Validator {
    /// Any number (better-auth without `phoneNumberValidator`); an empty one or one with a
    /// control character is refused all the same, since the number addresses the SMS sent.
    #[default]
    Any,
    /// E.164: `+`, then 2 to 15 digits, the first not 0.
    E164,
}

impl Validator {
    /// [`Validator::accepts`] as a JSON Schema `pattern` (ECMA-262), for the API document.
    #[must_use]
    pub fn pattern(self) -> &'static str {
        match self {
            Self::Any => "^[^\\u0000-\\u001F\\u007F-\\u009F]+$",
            Self::E164 => "^\\+[1-9][0-9]{1,14}$",
        }
    }

    /// Does `number` pass (400 `INVALID_PHONE_NUMBER` otherwise)?
    #[must_use]
    pub fn accepts(self, number: &str) -> bool {
        if number.is_empty() || number.chars().any(char::is_control) {
            return false;
        }
        match self {
            Self::Any => true,
            Self::E164 => number.strip_prefix('+').is_some_and(|digits| {
                (2..=15).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && !digits.starts_with('0')
            }),
        }
    }
}

/// `[plugins.phone-number.sign-up-on-verification]`: the user a verified unknown number gets.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SignUpOnVerification {
    /// Its email (better-auth's `getTempEmail`), e.g. `"{digits}@phone.example.com"`.
    pub temp_email: Template,
    /// Its name (`getTempName`; default the number as given).
    pub temp_name: Option<Template>,
}

/// A text with `{digits}` (the number's digits) and `{phone}` (the number as given).
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
pub struct Template(String);

impl Template {
    /// The text for `phone`.
    #[must_use]
    pub fn render(&self, phone: &str) -> String {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        self.0
            .replace("{digits}", &digits)
            .replace("{phone}", phone)
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let rest = text.replace("{digits}", "").replace("{phone}", "");
        if rest.contains(['{', '}']) {
            return Err(serde::de::Error::custom(format!(
                "invalid value `{text}`: the only placeholders are {{digits}} and {{phone}}"
            )));
        }
        if text.trim().is_empty() {
            return Err(serde::de::Error::custom("a template cannot be empty"));
        }
        Ok(Self(text))
    }
}

error_codes!(ERRORS {
    INVALID_PHONE_NUMBER => "Invalid phone number",
    PHONE_NUMBER_EXIST => "Phone number already exists",
    PHONE_NUMBER_NOT_EXIST => "phone number isn't registered",
    INVALID_PHONE_NUMBER_OR_PASSWORD => "Invalid phone number or password",
    UNEXPECTED_ERROR => "Unexpected error",
    OTP_NOT_FOUND => "OTP not found",
    OTP_EXPIRED => "OTP expired",
    INVALID_OTP => "Invalid OTP",
    PHONE_NUMBER_NOT_VERIFIED => "Phone number not verified",
    PHONE_NUMBER_PENDING_VERIFICATION => "Phone number requires account ownership proof",
    PHONE_NUMBER_CANNOT_BE_UPDATED => "Phone number cannot be updated",
    PHONE_NUMBER_CANNOT_BE_SET => "Phone number can only be set by verifying it",
    SEND_OTP_NOT_IMPLEMENTED => "sendOTP not implemented",
    TOO_MANY_ATTEMPTS => "Too many attempts",
});

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::PhoneNumber,
    endpoints,
    amend,
    check: no_check,
    errors: ERRORS,
    rate_limits: &[RateRule {
        prefix: "/phone-number",
        window: 60,
        max: 10,
    }],
};

/// The server refuses a number in a body outside the plugin (sign-up, update-user: every body
/// with the user's input fields) unless it is falsy; update-user takes `null` to clear it. The
/// document offers `null` alone.
fn amend(_: &Config, endpoints: &mut [Endpoint]) {
    for endpoint in endpoints
        .iter_mut()
        .filter(|e| e.plugin != Some(Plugin::PhoneNumber))
    {
        if let RequestBody::Json(body) | RequestBody::JsonOrForm(body) = &mut endpoint.body
            && body.takes_input_of("user")
        {
            body.override_property("phoneNumber", Shape::Null);
        }
    }
}

fn endpoints(config: &Config) -> Vec<Endpoint> {
    use Access::{Optional, Public};
    use Method::Post;
    use RequestBody::Json;
    let s = || Shape::String;
    let b = || Shape::Boolean;
    let status = || Reply::Json(Shape::object(&[("status", b())]));
    let checked = || Shape::Text {
        min: 1,
        max: None,
        pattern: Some(
            config
                .plugins
                .phone_number_options()
                .phone_number_validator
                .pattern(),
        ),
    };
    let mut all = vec![
        endpoint(
            "signInPhoneNumber",
            "/sign-in/phone-number",
            Post,
            Public,
            Json(Shape::object(&[
                ("phoneNumber", checked()),
                ("password", password(config)),
                ("rememberMe?", b()),
            ])),
            Reply::Json(Shape::object(&[
                ("token", s()),
                ("user", Shape::model("user")),
            ])),
        ),
        endpoint(
            "sendPhoneNumberOTP",
            "/phone-number/send-otp",
            Post,
            Public,
            Json(Shape::object(&[("phoneNumber", checked())])),
            Reply::Json(Shape::object(&[("message", s())])),
        ),
        endpoint(
            "verifyPhoneNumber",
            "/phone-number/verify",
            Post,
            Optional,
            Json(Shape::Merge(vec![
                Shape::object(&[
                    ("phoneNumber", s()),
                    ("code", s()),
                    ("disableSession?", b()),
                    ("updatePhoneNumber?", b()),
                ]),
                Shape::ModelInput {
                    model: "user".into(),
                    partial: false,
                },
            ])),
            Reply::Json(Shape::object(&[
                ("status", b()),
                ("token", s().nullable()),
                ("user", Shape::model("user")),
            ])),
        ),
        endpoint(
            "requestPasswordResetPhoneNumber",
            "/phone-number/request-password-reset",
            Post,
            Public,
            Json(Shape::object(&[("phoneNumber", s())])),
            status(),
        ),
        endpoint(
            "resetPasswordPhoneNumber",
            "/phone-number/reset-password",
            Post,
            Public,
            Json(Shape::object(&[
                ("otp", s()),
                ("phoneNumber", s()),
                ("newPassword", new_password(config)),
            ])),
            status(),
        ),
    ];
    for endpoint in &mut all {
        endpoint.plugin = Some(Plugin::PhoneNumber);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_takes_a_plus_and_up_to_fifteen_digits() {
        for ok in ["+14155550123", "+33612345678", "+12"] {
            assert!(Validator::E164.accepts(ok), "{ok}");
        }
        for bad in [
            "14155550123",
            "+0123456",
            "+1",
            "+1234567890123456",
            "+1 415 555",
            "+1415\n555",
            "",
        ] {
            assert!(!Validator::E164.accepts(bad), "{bad:?}");
        }
        assert!(Validator::Any.accepts("0612 34 56 78"));
        assert!(!Validator::Any.accepts("+1415\r\nBcc: x"));
        assert!(!Validator::Any.accepts(""));
    }

    #[test]
    fn templates_fill_digits_and_number_and_refuse_other_placeholders() {
        let config = Config::parse(
            "auth.toml",
            "[plugins.phone-number.sign-up-on-verification]\ntemp-email = \"{digits}@phone.example.com\"\ntemp-name = \"User {phone}\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let options = config.plugins.phone_number_options();
        let sign_up = options
            .sign_up_on_verification
            .as_ref()
            .unwrap_or_else(|| panic!("no sign-up-on-verification"));
        assert_eq!(
            sign_up.temp_email.render("+1 (415) 555-0123"),
            "14155550123@phone.example.com"
        );
        assert_eq!(
            sign_up.temp_name.as_ref().map(|t| t.render("+14155550123")),
            Some("User +14155550123".to_owned())
        );
        let error = Config::parse(
            "auth.toml",
            "[plugins.phone-number.sign-up-on-verification]\ntemp-email = \"{number}@x.com\"\n",
        )
        .err()
        .unwrap_or_else(|| panic!("{{number}} accepted"));
        let text = error.to_string();
        assert!(text.starts_with("auth.toml:2:"), "{text}");
        assert!(text.contains("{digits} and {phone}"), "{text}");
    }
}
