//! better-auth's `genericOAuth` plugin: any OAuth 2.0 or OpenID Connect provider, declared in
//! auth.toml, becomes a social provider like the built-in ones. As in better-auth 1.7.25 it has
//! no endpoints of its own: the client signs in with `signIn.social({ provider: "<id>" })`, the
//! provider redirects to `/callback/<id>`, and `linkSocial` links it.

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{Declaration, no_amendment, no_endpoints};
use crate::config::{BUILT_IN_PROVIDERS, Config, ConfigError, OrderedMap, check_origin_url};
use crate::errors::{ErrorCode, error_codes};
use crate::schema::Plugin;

/// `[plugins.generic-oauth]`: better-auth's `genericOAuth({ config: [...] })`, one table per
/// provider under `providers`, keyed by its `providerId`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    #[serde(default)]
    #[schemars(with = "OrderedMap<String, Provider>")]
    pub providers: OrderedMap<Spanned<String>, Spanned<Provider>>,
}

/// `[plugins.generic-oauth.providers.<id>]`: better-auth's `GenericOAuthConfig`, kebab-case;
/// `clientId`/`clientSecret` come from the environment as a social provider's do, and
/// `mapProfileToUser` is a table naming the profile's fields.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Provider {
    /// The variable holding the client id (default `<ID>_CLIENT_ID`).
    pub client_id_env: Option<String>,
    /// The variable holding the client secret (default `<ID>_CLIENT_SECRET`).
    pub client_secret_env: Option<String>,
    /// The OpenID Connect discovery document (`…/.well-known/openid-configuration`); it fills
    /// the URLs not given and, when it names signing algorithms, makes the provider OIDC (id
    /// tokens verified against its `jwks_uri`, `openid` always requested).
    #[schemars(with = "Option<String>")]
    pub discovery_url: Option<Spanned<String>>,
    /// Where the browser is sent to sign in.
    #[schemars(with = "Option<String>")]
    pub authorization_url: Option<Spanned<String>>,
    /// Where the code is exchanged for tokens.
    #[schemars(with = "Option<String>")]
    pub token_url: Option<Spanned<String>>,
    /// Where the profile is read with the access token (when there is no id token naming the
    /// e-mail).
    #[schemars(with = "Option<String>")]
    pub user_info_url: Option<Spanned<String>>,
    /// Scopes requested (better-auth requests no default ones).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// PKCE with S256 (default on).
    #[serde(default = "yes")]
    pub pkce: bool,
    /// How the client authenticates at the token endpoint (default `post`).
    #[serde(default)]
    pub authentication: Authentication,
    /// better-auth's `tokenEndpointAuth`, which wins over `authentication`: `{ method =
    /// "client_secret_basic" }`, `"client_secret_post"`, or `"private_key_jwt"` (an RFC 7523
    /// assertion signed with the client's private key instead of a secret).
    pub token_endpoint_auth: Option<TokenEndpointAuth>,
    /// `prompt` in the authorization URL.
    pub prompt: Option<String>,
    /// `access_type` in the authorization URL.
    pub access_type: Option<String>,
    /// More parameters of the authorization URL.
    #[serde(default)]
    pub authorization_url_params: OrderedMap<String, String>,
    /// Which profile fields make the user (better-auth's `mapProfileToUser`).
    #[serde(default)]
    pub map_profile_to_user: ProfileMapping,
}

fn yes() -> bool {
    true
}

/// `authentication`: the client's credentials in the form body or in HTTP Basic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Authentication {
    #[default]
    Post,
    Basic,
}

/// `token-endpoint-auth`: the client authentication of better-auth's `tokenEndpointAuth`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(tag = "method", deny_unknown_fields)]
pub enum TokenEndpointAuth {
    /// The id and secret in HTTP Basic.
    #[serde(rename = "client_secret_basic")]
    ClientSecretBasic {},
    /// The id and secret in the form body.
    #[serde(rename = "client_secret_post")]
    ClientSecretPost {},
    /// `client_assertion`: a JWT (`iss` = `sub` = the client id, `aud` = the token URL, `jti`,
    /// `iat`, `exp`) signed with the private key, as better-auth's
    /// `createPrivateKeyJwtClientAssertionGetter`; no client secret.
    #[serde(rename = "private_key_jwt", rename_all = "kebab-case")]
    PrivateKeyJwt {
        /// The variable holding the private key as a JWK in JSON (default
        /// `<ID>_PRIVATE_KEY_JWK`).
        private_key_jwk_env: Option<String>,
        /// The signing algorithm (default: the JWK's `alg`, else `RS256`).
        algorithm: Option<AssertionAlgorithm>,
        /// The `kid` header (default: the JWK's `kid`).
        kid: Option<String>,
        /// Seconds the assertion is valid (default 120).
        #[serde(default = "two_minutes", deserialize_with = "super::at_least_one")]
        expires_in: u64,
    },
}

fn two_minutes() -> u64 {
    120
}

/// The `private_key_jwt` algorithms served (better-auth's list less RS384/RS512/PS384/PS512/
/// ES384, which the signer here does not make).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum AssertionAlgorithm {
    RS256,
    PS256,
    ES256,
    ES512,
    EdDSA,
}

impl AssertionAlgorithm {
    /// The JWS `alg`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::PS256 => "PS256",
            Self::ES256 => "ES256",
            Self::ES512 => "ES512",
            Self::EdDSA => "EdDSA",
        }
    }

    /// The algorithm named `name`, if served.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::RS256,
            Self::PS256,
            Self::ES256,
            Self::ES512,
            Self::EdDSA,
        ]
        .into_iter()
        .find(|a| a.name() == name)
    }
}

impl Provider {
    /// The variable holding `private_key_jwt`'s private JWK, when the provider uses it.
    #[must_use]
    pub fn private_key_jwk_env(&self, id: &str) -> Option<String> {
        match &self.token_endpoint_auth {
            Some(TokenEndpointAuth::PrivateKeyJwt {
                private_key_jwk_env,
                ..
            }) => Some(private_key_jwk_env.clone().unwrap_or_else(|| {
                format!(
                    "{}_PRIVATE_KEY_JWK",
                    id.to_ascii_uppercase().replace('-', "_")
                )
            })),
            _ => None,
        }
    }
}

/// `map-profile-to-user`: the name of the profile field (id token claims or userinfo answer)
/// each user field is read from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProfileMapping {
    /// The account id (`account.accountId`): default `sub` for an OIDC provider, `id` for a
    /// plain OAuth 2.0 one (as better-auth).
    pub id: Option<String>,
    #[serde(default = "email")]
    pub email: String,
    #[serde(default = "email_verified")]
    pub email_verified: String,
    #[serde(default = "name")]
    pub name: String,
    #[serde(default = "picture")]
    pub image: String,
}

impl Default for ProfileMapping {
    fn default() -> Self {
        Self {
            id: None,
            email: email(),
            email_verified: email_verified(),
            name: name(),
            image: picture(),
        }
    }
}

fn email() -> String {
    "email".to_owned()
}

fn email_verified() -> String {
    "email_verified".to_owned()
}

fn name() -> String {
    "name".to_owned()
}

fn picture() -> String {
    "picture".to_owned()
}

error_codes!(ERRORS {
    INVALID_OAUTH_CONFIGURATION => "Invalid OAuth configuration",
    TOKEN_URL_NOT_FOUND => "Invalid OAuth configuration. Token URL not found.",
});

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::GenericOauth,
    endpoints: no_endpoints,
    amend: no_amendment,
    check,
    errors: ERRORS,
    rate_limits: &[],
};

/// Each provider: an id fit for a URL and unlike a social provider's, http(s) URLs, and either
/// a discovery URL or both the authorization and the token URL.
fn check(config: &Config) -> Result<(), ConfigError> {
    let options = config.plugins.generic_oauth_options();
    for (id, provider) in options.providers.iter() {
        let name = id.get_ref();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(config.error_at(
                id.span(),
                format!("provider id `{name}` must be letters, digits, `-` or `_`"),
                "it becomes part of the callback URL /callback/<id>",
            ));
        }
        let social = config
            .social_providers
            .iter()
            .any(|(other, _)| other.get_ref() == name);
        if social || BUILT_IN_PROVIDERS.contains(&name.as_str()) {
            return Err(config.error_at(
                id.span(),
                format!("provider id `{name}` is a social provider's"),
                "give the generic provider an id of its own",
            ));
        }
        let p = provider.get_ref();
        let urls = [
            (&p.discovery_url, "discovery-url"),
            (&p.authorization_url, "authorization-url"),
            (&p.token_url, "token-url"),
            (&p.user_info_url, "user-info-url"),
        ];
        for (url, key) in urls {
            if let Some(url) = url {
                check_origin_url(config, url, key)?;
            }
        }
        if p.discovery_url.is_none() && (p.authorization_url.is_none() || p.token_url.is_none()) {
            return Err(config.error_at(
                provider.span(),
                format!("provider `{name}` has neither discovery-url nor authorization-url and token-url"),
                "set discovery-url = \"https://…/.well-known/openid-configuration\", or authorization-url and token-url (and user-info-url)",
            ));
        }
    }
    Ok(())
}
