use serde::{Deserialize, Serialize};

macro_rules! plugins {
    ($($variant:ident => $id:literal),+ $(,)?) => {
        /// A better-auth plugin, named by better-auth's own plugin id. The declaration order is the
        /// canonical order: plugin columns and tables appear in it, whatever order `auth.toml` uses.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Plugin {
            $(#[serde(rename = $id)] $variant,)+
        }

        impl Plugin {
            /// Every supported plugin, in canonical order.
            pub const ALL: &[Plugin] = &[$(Plugin::$variant),+];

            /// better-auth's plugin id (`two-factor`), the key of `[plugins.<id>]`.
            pub fn id(self) -> &'static str {
                match self {
                    $(Plugin::$variant => $id,)+
                }
            }
        }
    };
}

plugins! {
    TwoFactor => "two-factor",
    Organization => "organization",
    Admin => "admin",
    Username => "username",
    Anonymous => "anonymous",
    PhoneNumber => "phone-number",
    Passkey => "passkey",
    ApiKey => "api-key",
    Jwt => "jwt",
    MultiSession => "multi-session",
    MagicLink => "magic-link",
    EmailOtp => "email-otp",
    OauthProvider => "oauth-provider",
    Sso => "sso",
    Stripe => "stripe",
    DeviceAuthorization => "device-authorization",
    Siwe => "siwe",
    LastLoginMethod => "last-login-method",
    Bearer => "bearer",
    OpenApi => "open-api",
    GenericOauth => "generic-oauth",
    OneTap => "one-tap",
    OneTimeToken => "one-time-token",
    CustomSession => "custom-session",
    Captcha => "captcha",
    HaveIBeenPwned => "have-i-been-pwned",
    OauthProxy => "oauth-proxy",
}

impl Plugin {
    /// Does better-auth refuse some password sign-ins because of this plugin's data (two-factor's
    /// challenge, admin's bans)? A server must never serve a database holding such data without
    /// enforcing it, or a user it guards signs in with a password alone.
    pub fn guards_sign_in(self) -> bool {
        matches!(self, Self::TwoFactor | Self::Admin)
    }
}

impl std::fmt::Display for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
