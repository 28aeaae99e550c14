use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use toml::Spanned;

use crate::schema::Plugin;

/// A plugin table that takes no options yet: any key in it is an error.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoOptions {}

/// `[plugins.stripe]`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StripeOptions {
    /// The `subscription` table.
    #[serde(default)]
    pub subscription: bool,
    /// `organization.stripeCustomerId` (needs the organization plugin).
    #[serde(default)]
    pub organization: bool,
}

/// `[plugins.sso]`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SsoOptions {
    /// `ssoProvider.domainVerified`.
    #[serde(default)]
    pub domain_verification: bool,
}

macro_rules! plugin_tables {
    ($($field:ident: $variant:ident => $options:ty),+ $(,)?) => {
        /// `[plugins.<id>]`: one optional table per plugin, keyed by better-auth's plugin id.
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        pub struct Plugins {
            $(pub $field: Option<Spanned<$options>>,)+
        }

        /// `[plugins]` in the JSON Schema: one property per plugin id, its options' schema.
        impl JsonSchema for Plugins {
            fn schema_name() -> Cow<'static, str> {
                "Plugins".into()
            }

            fn json_schema(generator: &mut SchemaGenerator) -> Schema {
                let mut properties = serde_json::Map::new();
                $(properties.insert(
                    Plugin::$variant.id().to_owned(),
                    generator.subschema_for::<$options>().to_value(),
                );)+
                json_schema!({
                    "description": "`[plugins.<id>]`: one table per plugin, keyed by better-auth's plugin id; an empty table enables a plugin with its defaults.",
                    "type": "object",
                    "properties": properties,
                    "additionalProperties": false,
                })
            }
        }

        impl Plugins {
            /// Enabled plugins, in canonical order.
            pub fn enabled(&self) -> Vec<Plugin> {
                let mut enabled = Vec::new();
                $(if self.$field.is_some() {
                    enabled.push(Plugin::$variant);
                })+
                enabled.sort();
                enabled
            }

            /// Enables `plugin` with its default options (where a check asks "what if it were on").
            pub fn enable(&mut self, plugin: Plugin) {
                match plugin {
                    $(Plugin::$variant => {
                        self.$field.get_or_insert_with(|| Spanned::new(0..0, <$options>::default()));
                    })+
                }
            }

            /// Keeps only the enabled plugins for which `keep` holds.
            pub fn retain(&mut self, keep: impl Fn(Plugin) -> bool) {
                $(if !keep(Plugin::$variant) {
                    self.$field = None;
                })+
            }

            /// Where `[plugins.<id>]` is in the file, if the plugin is enabled.
            pub fn span(&self, plugin: Plugin) -> Option<Range<usize>> {
                match plugin {
                    $(Plugin::$variant => self.$field.as_ref().map(Spanned::span),)+
                }
            }
        }
    };
}

plugin_tables! {
    two_factor: TwoFactor => crate::plugins::two_factor::Options,
    organization: Organization => crate::plugins::organization::Options,
    admin: Admin => crate::plugins::admin::Options,
    username: Username => crate::plugins::username::Options,
    anonymous: Anonymous => crate::plugins::anonymous::Options,
    phone_number: PhoneNumber => crate::plugins::phone_number::Options,
    passkey: Passkey => crate::plugins::passkey::Options,
    api_key: ApiKey => crate::plugins::api_key::Options,
    jwt: Jwt => crate::plugins::jwt::Options,
    multi_session: MultiSession => crate::plugins::multi_session::Options,
    magic_link: MagicLink => crate::plugins::magic_link::Options,
    email_otp: EmailOtp => crate::plugins::email_otp::Options,
    oauth_provider: OauthProvider => NoOptions,
    sso: Sso => SsoOptions,
    stripe: Stripe => StripeOptions,
    device_authorization: DeviceAuthorization => NoOptions,
    siwe: Siwe => NoOptions,
    last_login_method: LastLoginMethod => crate::plugins::last_login_method::Options,
    bearer: Bearer => crate::plugins::bearer::Options,
    open_api: OpenApi => crate::plugins::open_api::Options,
    generic_oauth: GenericOauth => crate::plugins::generic_oauth::Options,
    one_tap: OneTap => NoOptions,
    one_time_token: OneTimeToken => crate::plugins::one_time_token::Options,
    custom_session: CustomSession => NoOptions,
    captcha: Captcha => NoOptions,
    have_i_been_pwned: HaveIBeenPwned => NoOptions,
    oauth_proxy: OauthProxy => NoOptions,
}

/// `Plugins::<id>_options()`: a plugin's options, borrowed, or a shared default instance when the
/// plugin is off (so a request path reads its options without cloning them).
macro_rules! option_accessors {
    ($($accessor:ident: $field:ident => $options:ty),+ $(,)?) => {
        impl Plugins {
            $(
                #[doc = concat!("`[plugins.", stringify!($field), "]`'s options (defaults when the plugin is off).")]
                pub fn $accessor(&self) -> &$options {
                    static DEFAULT: LazyLock<$options> = LazyLock::new(<$options>::default);
                    self.$field.as_ref().map_or(&DEFAULT, Spanned::get_ref)
                }
            )+
        }
    };
}

option_accessors! {
    organization_options: organization => crate::plugins::organization::Options,
    stripe_options: stripe => StripeOptions,
    sso_options: sso => SsoOptions,
    two_factor_options: two_factor => crate::plugins::two_factor::Options,
    admin_options: admin => crate::plugins::admin::Options,
    username_options: username => crate::plugins::username::Options,
    anonymous_options: anonymous => crate::plugins::anonymous::Options,
    multi_session_options: multi_session => crate::plugins::multi_session::Options,
    last_login_method_options: last_login_method => crate::plugins::last_login_method::Options,
    bearer_options: bearer => crate::plugins::bearer::Options,
    magic_link_options: magic_link => crate::plugins::magic_link::Options,
    email_otp_options: email_otp => crate::plugins::email_otp::Options,
    api_key_options: api_key => crate::plugins::api_key::Options,
    jwt_options: jwt => crate::plugins::jwt::Options,
    phone_number_options: phone_number => crate::plugins::phone_number::Options,
    one_time_token_options: one_time_token => crate::plugins::one_time_token::Options,
    passkey_options: passkey => crate::plugins::passkey::Options,
    generic_oauth_options: generic_oauth => crate::plugins::generic_oauth::Options,
    open_api_options: open_api => crate::plugins::open_api::Options,
}
