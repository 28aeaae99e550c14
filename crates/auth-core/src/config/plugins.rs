use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::schema::Plugin;

/// A plugin table that takes no options yet: any key in it is an error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoOptions {}

/// `[plugins.organization]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OrganizationOptions {
    /// `team` and `teamMember` tables, `session.activeTeamId`, `invitation.teamId`.
    #[serde(default)]
    pub teams: bool,
    /// The `organizationRole` table.
    #[serde(default)]
    pub dynamic_access_control: bool,
}

/// `[plugins.stripe]`.
#[derive(Debug, Clone, Default, Deserialize)]
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
#[derive(Debug, Clone, Default, Deserialize)]
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
    organization: Organization => OrganizationOptions,
    admin: Admin => crate::plugins::admin::Options,
    username: Username => crate::plugins::username::Options,
    anonymous: Anonymous => crate::plugins::anonymous::Options,
    phone_number: PhoneNumber => crate::plugins::phone_number::Options,
    passkey: Passkey => NoOptions,
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
    generic_oauth: GenericOauth => NoOptions,
    one_tap: OneTap => NoOptions,
    one_time_token: OneTimeToken => crate::plugins::one_time_token::Options,
    custom_session: CustomSession => NoOptions,
    captcha: Captcha => NoOptions,
    have_i_been_pwned: HaveIBeenPwned => NoOptions,
    oauth_proxy: OauthProxy => NoOptions,
}

impl Plugins {
    /// The organization plugin's options (defaults when it is off).
    pub fn organization_options(&self) -> OrganizationOptions {
        options(self.organization.as_ref())
    }

    pub fn stripe_options(&self) -> StripeOptions {
        options(self.stripe.as_ref())
    }

    pub fn sso_options(&self) -> SsoOptions {
        options(self.sso.as_ref())
    }

    pub fn two_factor_options(&self) -> crate::plugins::two_factor::Options {
        options(self.two_factor.as_ref())
    }

    pub fn admin_options(&self) -> crate::plugins::admin::Options {
        options(self.admin.as_ref())
    }

    pub fn username_options(&self) -> crate::plugins::username::Options {
        options(self.username.as_ref())
    }

    pub fn anonymous_options(&self) -> crate::plugins::anonymous::Options {
        options(self.anonymous.as_ref())
    }

    pub fn multi_session_options(&self) -> crate::plugins::multi_session::Options {
        options(self.multi_session.as_ref())
    }

    pub fn last_login_method_options(&self) -> crate::plugins::last_login_method::Options {
        options(self.last_login_method.as_ref())
    }

    pub fn bearer_options(&self) -> crate::plugins::bearer::Options {
        options(self.bearer.as_ref())
    }

    pub fn magic_link_options(&self) -> crate::plugins::magic_link::Options {
        options(self.magic_link.as_ref())
    }

    pub fn email_otp_options(&self) -> crate::plugins::email_otp::Options {
        options(self.email_otp.as_ref())
    }

    pub fn api_key_options(&self) -> crate::plugins::api_key::Options {
        options(self.api_key.as_ref())
    }

    pub fn jwt_options(&self) -> crate::plugins::jwt::Options {
        options(self.jwt.as_ref())
    }

    pub fn phone_number_options(&self) -> crate::plugins::phone_number::Options {
        options(self.phone_number.as_ref())
    }

    pub fn one_time_token_options(&self) -> crate::plugins::one_time_token::Options {
        options(self.one_time_token.as_ref())
    }

    pub fn open_api_options(&self) -> crate::plugins::open_api::Options {
        options(self.open_api.as_ref())
    }
}

fn options<T: Clone + Default>(table: Option<&Spanned<T>>) -> T {
    table.map(|t| t.get_ref().clone()).unwrap_or_default()
}
