//! An OAuth2 / OpenID Connect *client* for social sign-in (`POST /sign-in/social`,
//! `GET|POST /callback/:id`), with better-auth 1.7's parameter sets per provider: GitHub,
//! Google, Microsoft Entra ID, Discord, Apple and any discovered OIDC issuer (better-auth's
//! generic-oauth plugin with a discovery URL).
//!
//! A [`Provider`] builds the authorization URL (state, PKCE S256), exchanges the code,
//! refreshes tokens, and reads the user: GitHub and Discord through their REST APIs, the others
//! from the id token, which is always *verified* against the provider's JWKS (signature, `iss`,
//! `aud`, `exp`, `nonce`) — better-auth only decodes it there. Discovery metadata and JWKS are
//! fetched on first use and cached; an unknown `kid` refetches the JWKS once (key rotation).

mod error;
mod generic;
mod id_token;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use tokio::sync::{OnceCell, RwLock};
use url::Url;

pub use error::{OAuthError, Operation};
pub use generic::Generic;

/// GitHub's endpoints (better-auth's `github` provider).
pub const GITHUB_AUTHORIZATION_ENDPOINT: &str = "https://github.com/login/oauth/authorize";
/// GitHub's token endpoint.
pub const GITHUB_TOKEN_ENDPOINT: &str = "https://github.com/login/oauth/access_token";
/// GitHub's user endpoint; the e-mail list is `<this>/emails`.
pub const GITHUB_USER_ENDPOINT: &str = "https://api.github.com/user";
/// Google's authorization endpoint.
pub const GOOGLE_AUTHORIZATION_ENDPOINT: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Google's token endpoint.
pub const GOOGLE_TOKEN_ENDPOINT: &str = "https://oauth2.googleapis.com/token";
/// Google's signing keys.
pub const GOOGLE_JWKS_URI: &str = "https://www.googleapis.com/oauth2/v3/certs";
/// Google's userinfo endpoint (used only when the token response has no id token).
pub const GOOGLE_USERINFO_ENDPOINT: &str = "https://openidconnect.googleapis.com/v1/userinfo";
/// Microsoft Entra ID's authority; endpoints are `<authority>/<tenant>/…`.
pub const MICROSOFT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// Discord's authorization endpoint.
pub const DISCORD_AUTHORIZATION_ENDPOINT: &str = "https://discord.com/api/oauth2/authorize";
/// Discord's token endpoint.
pub const DISCORD_TOKEN_ENDPOINT: &str = "https://discord.com/api/oauth2/token";
/// Discord's current-user endpoint.
pub const DISCORD_USER_ENDPOINT: &str = "https://discord.com/api/users/@me";
/// Apple's issuer, also the base of its endpoints.
pub const APPLE_ISSUER: &str = "https://appleid.apple.com";

/// The shortest interval between two JWKS fetches triggered by an unknown key id.
const JWKS_REFETCH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Length of [`generate_state`]'s output.
pub const STATE_LENGTH: usize = 32;
/// Length of [`generate_code_verifier`]'s output.
pub const CODE_VERIFIER_LENGTH: usize = 128;

/// Which provider, with what distinguishes one instance from another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderKind {
    /// GitHub OAuth app.
    Github,
    /// Google (OIDC).
    Google,
    /// Microsoft Entra ID; `tenant` is `common`, `organizations`, `consumers` or a tenant id.
    Microsoft {
        /// The tenant segment of the endpoints.
        tenant: String,
    },
    /// Discord.
    Discord,
    /// Sign in with Apple (`client_secret` is the signed client-secret JWT).
    Apple,
    /// Any OpenID Connect issuer, configured from `<issuer>/.well-known/openid-configuration`.
    Oidc {
        /// The issuer URL, exactly as the provider's `iss` claim spells it.
        issuer: String,
    },
    /// A generic-oauth provider: any OAuth 2.0 or OpenID Connect provider declared in
    /// auth.toml ([`ProviderConfig::generic`]).
    Generic(Box<Generic>),
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body (better-auth's default).
    SecretPost,
    /// HTTP Basic with the form-urlencoded id and secret (RFC 6749 §2.3.1).
    SecretBasic,
    /// `client_id` and an RFC 7523 `client_assertion` signed with
    /// [`ProviderConfig::client_assertion`]'s key; no secret.
    PrivateKeyJwt,
}

/// The key and settings of `private_key_jwt` client authentication.
#[derive(Clone)]
pub struct ClientAssertion {
    /// The signing algorithm.
    pub algorithm: crate::wire::jws::Algorithm,
    /// The private JWK.
    pub private_jwk: Map<String, Value>,
    /// The `kid` header, if any.
    pub kid: Option<String>,
    /// Seconds an assertion is valid.
    pub expires_in: i64,
}

impl std::fmt::Debug for ClientAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAssertion")
            .field("algorithm", &self.algorithm)
            .field("private_jwk", &"<redacted>")
            .field("kid", &self.kid)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl ClientAssertion {
    /// better-auth's `signPrivateKeyJwtClientAssertion`: header `{alg, typ: "JWT", kid?}`,
    /// claims `iss` = `sub` = the client id, `aud` = the token endpoint, `iat`, `exp`, `jti`.
    fn sign(&self, client_id: &str, token_endpoint: &str) -> Result<String, OAuthError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut header = Map::new();
        header.insert("alg".into(), self.algorithm.name().into());
        header.insert("typ".into(), "JWT".into());
        if let Some(kid) = &self.kid {
            header.insert("kid".into(), kid.as_str().into());
        }
        let mut claims = Map::new();
        claims.insert("iss".into(), client_id.into());
        claims.insert("sub".into(), client_id.into());
        claims.insert("aud".into(), token_endpoint.into());
        claims.insert("iat".into(), now.into());
        claims.insert("exp".into(), now.saturating_add(self.expires_in).into());
        claims.insert("jti".into(), crate::wire::id::generate().into());
        crate::wire::jws::sign_with_header(self.algorithm, &self.private_jwk, &header, &claims)
            .map_err(|e| OAuthError::Config(format!("private_key_jwt: {e}")))
    }
}

/// RFC 7523's `client_assertion_type` for a JWT.
const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// One configured social provider.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The provider id of the routes (`/callback/<id>`) and of `account.providerId`.
    pub id: String,
    /// Which provider.
    pub kind: ProviderKind,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// Extra scopes of the configuration (better-auth's `scope` option).
    pub scopes: Vec<String>,
    /// The exact redirect URI, `<baseURL>/callback/<id>`.
    pub redirect_uri: String,
    /// better-auth's `disableDefaultScope`.
    pub disable_default_scopes: bool,
    /// Overrides the provider's authorization endpoint (tests, proxies).
    pub authorization_endpoint: Option<String>,
    /// Overrides the provider's token endpoint.
    pub token_endpoint: Option<String>,
    /// Overrides the provider's user endpoint (GitHub `/user`, Discord `/users/@me`, OIDC
    /// userinfo).
    pub userinfo_endpoint: Option<String>,
    /// Overrides the provider's JWKS URL.
    pub jwks_uri: Option<String>,
    /// Overrides the token endpoint client authentication. Default: `client_secret_post`, except
    /// for [`ProviderKind::Oidc`] whose discovery does not list it (then `client_secret_basic`,
    /// the OIDC default).
    pub client_auth: Option<ClientAuth>,
    /// The key of [`ClientAuth::PrivateKeyJwt`].
    pub client_assertion: Option<ClientAssertion>,
    /// better-auth's `prompt` option (Discord defaults to `none`).
    pub prompt: Option<String>,
    /// Google's `accessType` option (`offline` for a refresh token).
    pub access_type: Option<String>,
}

impl ProviderConfig {
    /// A configuration with no extra scopes and no overrides.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        kind: ProviderKind,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            kind,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scopes: Vec::new(),
            redirect_uri: redirect_uri.into(),
            disable_default_scopes: false,
            authorization_endpoint: None,
            token_endpoint: None,
            userinfo_endpoint: None,
            jwks_uri: None,
            client_auth: None,
            client_assertion: None,
            prompt: None,
            access_type: None,
        }
    }
}

/// The per-request part of an authorization URL.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizationRequest<'a> {
    /// The OAuth `state` ([`generate_state`]).
    pub state: &'a str,
    /// The PKCE verifier ([`generate_code_verifier`]); its S256 challenge goes in the URL for
    /// the providers that use PKCE.
    pub code_verifier: &'a str,
    /// Extra scopes from the request body (`scopes`).
    pub scopes: &'a [String],
    /// `loginHint` from the request body.
    pub login_hint: Option<&'a str>,
    /// An OIDC `nonce` to send (better-auth sends none); pass it again to check the id token.
    pub nonce: Option<&'a str>,
    /// `additionalParams` from the request body; set last, overriding earlier parameters.
    pub additional_params: &'a [(String, String)],
}

impl<'a> AuthorizationRequest<'a> {
    /// A request with only state and verifier.
    #[must_use]
    pub fn new(state: &'a str, code_verifier: &'a str) -> Self {
        Self {
            state,
            code_verifier,
            scopes: &[],
            login_hint: None,
            nonce: None,
            additional_params: &[],
        }
    }
}

/// A token endpoint answer (better-auth's `OAuth2Tokens`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    /// The access token.
    pub access_token: String,
    /// `token_type`, usually `Bearer`.
    pub token_type: Option<String>,
    /// The refresh token, if issued.
    pub refresh_token: Option<String>,
    /// The id token, if issued (OIDC).
    pub id_token: Option<String>,
    /// now + `expires_in`.
    pub access_token_expires_at: Option<OffsetDateTime>,
    /// now + `refresh_token_expires_in`.
    pub refresh_token_expires_at: Option<OffsetDateTime>,
    /// The granted scopes (`scope`, space-separated or an array); empty if not echoed.
    pub scopes: Vec<String>,
}

/// The user as the provider describes it (better-auth's `OAuth2UserInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderUser {
    /// The provider's user id (`account.accountId`).
    pub id: String,
    /// The e-mail, if the provider shares one.
    pub email: Option<String>,
    /// Whether the provider vouches for the e-mail.
    pub email_verified: bool,
    /// Display name (`""` when the provider has none, as better-auth does).
    pub name: String,
    /// Avatar URL.
    pub image: Option<String>,
}

/// 32 characters over `[a-zA-Z0-9_-]` from the OS CSPRNG: better-auth's OAuth `state`.
#[must_use]
pub fn generate_state() -> String {
    crate::wire::id::generate_url_safe(STATE_LENGTH)
}

/// 128 characters over RFC 7636's unreserved set `[A-Za-z0-9-._~]`: a PKCE code verifier.
#[must_use]
pub fn generate_code_verifier() -> String {
    crate::wire::id::generate_from(
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~",
        CODE_VERIFIER_LENGTH,
    )
}

/// `base64url_nopad(SHA-256(verifier))`: the PKCE S256 challenge.
#[must_use]
pub fn code_challenge(code_verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes()))
}

/// The part of an OIDC discovery document we use.
#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
    #[serde(default)]
    jwks_uri: Option<String>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// The endpoints of a provider, resolved from constants, discovery and overrides.
#[derive(Debug, Clone)]
struct Endpoints {
    authorization: String,
    token: String,
    userinfo: Option<String>,
    jwks: Option<String>,
    /// Accepted `iss` values of id tokens; empty = unchecked.
    issuers: Vec<String>,
    client_auth: ClientAuth,
    /// An OpenID Connect provider (`openid` always requested; a generic provider's account
    /// is the id token's subject).
    oidc: bool,
}

#[derive(Debug)]
struct Inner {
    config: ProviderConfig,
    http: reqwest::Client,
    endpoints: OnceCell<Endpoints>,
    /// The provider's keys and when they were fetched.
    jwks: RwLock<Option<(JwkSet, time::OffsetDateTime)>>,
}

/// A configured provider; cheap to clone (shared metadata and JWKS caches).
#[derive(Debug, Clone)]
pub struct Provider {
    inner: Arc<Inner>,
}

impl Provider {
    /// Checks the configuration; for [`ProviderKind::Oidc`] the discovery happens on first use
    /// (or in [`Provider::discover`]).
    pub fn new(config: ProviderConfig, http: reqwest::Client) -> Result<Self, OAuthError> {
        if config.client_id.is_empty() {
            return Err(OAuthError::Config(format!(
                "provider `{}` has no client id",
                config.id
            )));
        }
        let private_key_jwt = config.client_auth == Some(ClientAuth::PrivateKeyJwt);
        if private_key_jwt && config.client_assertion.is_none() {
            return Err(OAuthError::Config(format!(
                "provider `{}` authenticates with private_key_jwt but has no private key",
                config.id
            )));
        }
        let needs_secret =
            !matches!(config.kind, ProviderKind::Microsoft { .. }) && !private_key_jwt;
        if needs_secret && config.client_secret.is_empty() {
            return Err(OAuthError::Config(format!(
                "provider `{}` has no client secret",
                config.id
            )));
        }
        Url::parse(&config.redirect_uri).map_err(|e| {
            OAuthError::Config(format!("redirect URI `{}`: {e}", config.redirect_uri))
        })?;
        let overrides = [
            &config.authorization_endpoint,
            &config.token_endpoint,
            &config.userinfo_endpoint,
            &config.jwks_uri,
        ];
        for url in overrides.into_iter().flatten() {
            Url::parse(url).map_err(|e| OAuthError::Config(format!("endpoint `{url}`: {e}")))?;
        }
        match &config.kind {
            ProviderKind::Oidc { issuer } => {
                Url::parse(issuer)
                    .map_err(|e| OAuthError::Config(format!("issuer `{issuer}`: {e}")))?;
            }
            ProviderKind::Microsoft { tenant } if tenant.is_empty() || tenant.contains('/') => {
                return Err(OAuthError::Config(format!("Microsoft tenant `{tenant}`")));
            }
            _ => {}
        }
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                http,
                endpoints: OnceCell::new(),
                jwks: RwLock::new(None),
            }),
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ProviderConfig {
        &self.inner.config
    }

    /// The provider id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.inner.config.id
    }

    /// Fetches (once) and caches the discovery document of an OIDC provider; a no-op for the
    /// others. A failed discovery is retried on the next call.
    pub async fn discover(&self) -> Result<(), OAuthError> {
        self.endpoints(Operation::Authorization).await.map(|_| ())
    }

    async fn endpoints(&self, operation: Operation) -> Result<&Endpoints, OAuthError> {
        self.inner
            .endpoints
            .get_or_try_init(|| self.resolve_endpoints(operation))
            .await
    }

    async fn resolve_endpoints(&self, operation: Operation) -> Result<Endpoints, OAuthError> {
        let c = &self.inner.config;
        let oidc = !matches!(c.kind, ProviderKind::Github | ProviderKind::Discord);
        let (authorization, token, userinfo, jwks, issuers, default_auth) = match &c.kind {
            ProviderKind::Github => (
                GITHUB_AUTHORIZATION_ENDPOINT.to_owned(),
                GITHUB_TOKEN_ENDPOINT.to_owned(),
                Some(GITHUB_USER_ENDPOINT.to_owned()),
                None,
                Vec::new(),
                ClientAuth::SecretPost,
            ),
            ProviderKind::Google => (
                GOOGLE_AUTHORIZATION_ENDPOINT.to_owned(),
                GOOGLE_TOKEN_ENDPOINT.to_owned(),
                Some(GOOGLE_USERINFO_ENDPOINT.to_owned()),
                Some(GOOGLE_JWKS_URI.to_owned()),
                vec![
                    "https://accounts.google.com".to_owned(),
                    "accounts.google.com".to_owned(),
                ],
                ClientAuth::SecretPost,
            ),
            ProviderKind::Microsoft { tenant } => {
                let base = format!("{MICROSOFT_AUTHORITY}/{tenant}");
                // Multi-tenant endpoints issue tokens with the user's tenant as issuer.
                let issuers = if matches!(tenant.as_str(), "common" | "organizations" | "consumers")
                {
                    Vec::new()
                } else {
                    vec![format!("{base}/v2.0")]
                };
                (
                    format!("{base}/oauth2/v2.0/authorize"),
                    format!("{base}/oauth2/v2.0/token"),
                    None,
                    Some(format!("{base}/discovery/v2.0/keys")),
                    issuers,
                    ClientAuth::SecretPost,
                )
            }
            ProviderKind::Discord => (
                DISCORD_AUTHORIZATION_ENDPOINT.to_owned(),
                DISCORD_TOKEN_ENDPOINT.to_owned(),
                Some(DISCORD_USER_ENDPOINT.to_owned()),
                None,
                Vec::new(),
                ClientAuth::SecretPost,
            ),
            ProviderKind::Apple => (
                format!("{APPLE_ISSUER}/auth/authorize"),
                format!("{APPLE_ISSUER}/auth/token"),
                None,
                Some(format!("{APPLE_ISSUER}/auth/keys")),
                vec![APPLE_ISSUER.to_owned()],
                ClientAuth::SecretPost,
            ),
            ProviderKind::Generic(generic) => {
                return self.generic_endpoints(generic, operation).await;
            }
            ProviderKind::Oidc { issuer } => {
                let d = self.fetch_discovery(issuer, operation).await?;
                let methods = d.token_endpoint_auth_methods_supported.unwrap_or_default();
                let auth = if methods.iter().any(|m| m == "client_secret_post")
                    && !methods.iter().any(|m| m == "client_secret_basic")
                {
                    ClientAuth::SecretPost
                } else {
                    ClientAuth::SecretBasic
                };
                (
                    d.authorization_endpoint,
                    d.token_endpoint,
                    d.userinfo_endpoint,
                    d.jwks_uri,
                    vec![d.issuer],
                    auth,
                )
            }
        };
        Ok(Endpoints {
            authorization: c.authorization_endpoint.clone().unwrap_or(authorization),
            token: c.token_endpoint.clone().unwrap_or(token),
            userinfo: c.userinfo_endpoint.clone().or(userinfo),
            jwks: c.jwks_uri.clone().or(jwks),
            issuers,
            client_auth: c.client_auth.unwrap_or(default_auth),
            oidc,
        })
    }

    async fn fetch_discovery(
        &self,
        issuer: &str,
        operation: Operation,
    ) -> Result<Discovery, OAuthError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let request = self
            .inner
            .http
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json");
        let body = send(request, &url, operation).await?;
        let discovery: Discovery = serde_json::from_value(body.json(&url, operation)?)
            .map_err(|e| bad(operation, &url, format!("discovery document: {e}")))?;
        // OIDC Discovery §4.3: the document's issuer must be the one we asked.
        if discovery.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
            return Err(bad(
                operation,
                &url,
                format!("discovery issuer `{}` is not `{issuer}`", discovery.issuer),
            ));
        }
        for endpoint in [&discovery.authorization_endpoint, &discovery.token_endpoint] {
            Url::parse(endpoint)
                .map_err(|e| bad(operation, &url, format!("endpoint `{endpoint}`: {e}")))?;
        }
        Ok(discovery)
    }

    /// The scopes an authorization URL asks for: defaults (unless disabled), then the
    /// configuration's, then the request's (Discord: request before configuration, as
    /// better-auth). OIDC always includes `openid`.
    #[must_use]
    pub fn requested_scopes(&self, extra: &[String]) -> Vec<String> {
        let c = &self.inner.config;
        let defaults: &[&str] = match c.kind {
            ProviderKind::Github => &["read:user", "user:email"],
            ProviderKind::Google => &["email", "profile", "openid"],
            ProviderKind::Microsoft { .. } => {
                &["openid", "profile", "email", "User.Read", "offline_access"]
            }
            ProviderKind::Discord => &["identify", "email"],
            ProviderKind::Apple => &["email", "name"],
            ProviderKind::Oidc { .. } => &["openid", "email", "profile"],
            ProviderKind::Generic(_) => &[],
        };
        let mut scopes: Vec<String> = if c.disable_default_scopes {
            Vec::new()
        } else {
            defaults.iter().map(|s| (*s).to_owned()).collect()
        };
        if matches!(c.kind, ProviderKind::Discord | ProviderKind::Generic(_)) {
            scopes.extend(extra.iter().cloned());
            scopes.extend(c.scopes.iter().cloned());
        } else {
            scopes.extend(c.scopes.iter().cloned());
            scopes.extend(extra.iter().cloned());
        }
        if matches!(c.kind, ProviderKind::Oidc { .. }) && !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".to_owned());
        }
        scopes
    }

    /// Whether the authorization request carries a PKCE challenge (and the code exchange the
    /// verifier): all but Discord and Apple, and a generic provider unless `pkce = false`, as
    /// better-auth.
    #[must_use]
    pub fn uses_pkce(&self) -> bool {
        match &self.inner.config.kind {
            ProviderKind::Discord | ProviderKind::Apple => false,
            ProviderKind::Generic(generic) => generic.pkce,
            _ => true,
        }
    }

    /// The URL to send the browser to, with better-auth's parameters in better-auth's order:
    /// `response_type, client_id, state, scope, redirect_uri, login_hint, prompt, access_type,
    /// response_mode, code_challenge_method, code_challenge`, then provider extras and the
    /// request's `additional_params`.
    pub async fn authorization_url(
        &self,
        request: AuthorizationRequest<'_>,
    ) -> Result<Url, OAuthError> {
        let c = &self.inner.config;
        let endpoints = self.endpoints(Operation::Authorization).await?;
        let mut url = Url::parse(&endpoints.authorization).map_err(|e| {
            OAuthError::Config(format!("endpoint `{}`: {e}", endpoints.authorization))
        })?;
        let mut scopes = self.requested_scopes(request.scopes);
        if endpoints.oidc
            && matches!(c.kind, ProviderKind::Generic(_))
            && !scopes.iter().any(|s| s == "openid")
        {
            scopes.insert(0, "openid".to_owned());
        }
        let mut params: Vec<(&str, String)> = Vec::new();
        let response_type = match c.kind {
            ProviderKind::Apple => "code id_token",
            _ => "code",
        };
        params.push(("response_type", response_type.to_owned()));
        params.push(("client_id", c.client_id.clone()));
        params.push(("state", request.state.to_owned()));
        params.push(("scope", scopes.join(" ")));
        params.push(("redirect_uri", c.redirect_uri.clone()));
        let login_hint = match c.kind {
            // better-auth's Discord and Apple ignore the login hint.
            ProviderKind::Discord | ProviderKind::Apple => None,
            _ => request.login_hint,
        };
        if let Some(hint) = login_hint.filter(|h| !h.is_empty()) {
            params.push(("login_hint", hint.to_owned()));
        }
        let prompt = match c.kind {
            ProviderKind::Discord => Some(c.prompt.clone().unwrap_or_else(|| "none".to_owned())),
            ProviderKind::Apple => None,
            _ => c.prompt.clone(),
        };
        if let Some(prompt) = prompt.filter(|p| !p.is_empty()) {
            params.push(("prompt", prompt));
        }
        if let (ProviderKind::Google, Some(access_type)) = (&c.kind, &c.access_type) {
            params.push(("access_type", access_type.clone()));
        }
        if matches!(c.kind, ProviderKind::Apple) {
            params.push(("response_mode", "form_post".to_owned()));
        }
        if self.uses_pkce() {
            params.push(("code_challenge_method", "S256".to_owned()));
            params.push(("code_challenge", code_challenge(request.code_verifier)));
        }
        if let Some(nonce) = request.nonce {
            params.push(("nonce", nonce.to_owned()));
        }
        if matches!(c.kind, ProviderKind::Google) {
            params.push(("include_granted_scopes", "true".to_owned()));
        }
        // URLSearchParams.set semantics: a later value replaces an earlier one in place.
        let mut merged: Vec<(String, String)> =
            params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let configured = match &c.kind {
            ProviderKind::Generic(generic) => generic.authorization_params.as_slice(),
            _ => &[],
        };
        for (key, value) in configured.iter().chain(request.additional_params) {
            if let Some(slot) = merged.iter_mut().find(|(k, _)| k == key) {
                slot.1.clone_from(value);
            } else {
                merged.push((key.clone(), value.clone()));
            }
        }
        let existing: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !merged.iter().any(|(m, _)| m == k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(existing)
            .extend_pairs(merged);
        Ok(url)
    }

    /// Exchanges the authorization code (`grant_type=authorization_code`). Errors carry
    /// [`Operation::CodeExchange`] (redirect code `invalid_code`).
    pub async fn exchange_code(
        &self,
        code: &str,
        code_verifier: &str,
    ) -> Result<Tokens, OAuthError> {
        let op = Operation::CodeExchange;
        let c = &self.inner.config;
        let mut form: Vec<(&str, &str)> =
            vec![("grant_type", "authorization_code"), ("code", code)];
        // Apple gets the verifier although its URL has no challenge, as in better-auth.
        let sends_verifier = match &c.kind {
            ProviderKind::Discord => false,
            ProviderKind::Generic(generic) => generic.pkce,
            _ => true,
        };
        if sends_verifier && !code_verifier.is_empty() {
            form.push(("code_verifier", code_verifier));
        }
        form.push(("redirect_uri", &c.redirect_uri));
        self.token_request(form, op).await
    }

    /// Refreshes the access token (`grant_type=refresh_token`; Microsoft also re-sends its
    /// scopes). Errors carry [`Operation::Refresh`].
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, OAuthError> {
        let op = Operation::Refresh;
        let mut form: Vec<(&str, &str)> = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        let scope;
        if matches!(self.inner.config.kind, ProviderKind::Microsoft { .. }) {
            scope = self.requested_scopes(&[]).join(" ");
            form.push(("scope", &scope));
        }
        self.token_request(form, op).await
    }

    async fn token_request(
        &self,
        mut form: Vec<(&str, &str)>,
        op: Operation,
    ) -> Result<Tokens, OAuthError> {
        let c = &self.inner.config;
        let endpoints = self.endpoints(op).await?;
        let url = endpoints.token.as_str();
        let mut request = self
            .inner
            .http
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json");
        let assertion;
        match endpoints.client_auth {
            ClientAuth::PrivateKeyJwt => {
                let key = c.client_assertion.as_ref().ok_or_else(|| {
                    OAuthError::Config(format!("provider `{}` has no private key", c.id))
                })?;
                assertion = key.sign(&c.client_id, url)?;
                form.push(("client_id", &c.client_id));
                form.push(("client_assertion_type", CLIENT_ASSERTION_TYPE));
                form.push(("client_assertion", &assertion));
            }
            ClientAuth::SecretPost => {
                form.push(("client_id", &c.client_id));
                if !c.client_secret.is_empty() {
                    form.push(("client_secret", &c.client_secret));
                }
            }
            ClientAuth::SecretBasic => {
                let encode = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                let credentials = format!("{}:{}", encode(&c.client_id), encode(&c.client_secret));
                request = request.header(
                    reqwest::header::AUTHORIZATION,
                    format!("Basic {}", STANDARD.encode(credentials)),
                );
            }
        }
        let request = request.form(&form);
        let body = send(request, url, op).await?;
        parse_tokens(&body.object(url, op)?, url, op)
    }

    /// Reads the user the tokens belong to. GitHub: `/user` and `/user/emails` (primary
    /// e-mail); Discord: `/users/@me` with better-auth's avatar URL; Google, Microsoft, Apple:
    /// the verified id token (Google falls back to userinfo without one); OIDC: the verified id
    /// token if it names the e-mail, else the userinfo endpoint. The id token's `nonce` is not
    /// checked here (better-auth sends none); use [`Provider::verify_id_token`] for that.
    pub async fn user_info(&self, tokens: &Tokens) -> Result<ProviderUser, OAuthError> {
        let op = Operation::UserInfo;
        match &self.inner.config.kind {
            ProviderKind::Github => self.github_user(&tokens.access_token).await,
            ProviderKind::Discord => self.discord_user(&tokens.access_token).await,
            ProviderKind::Generic(generic) => self.generic_user(generic, tokens).await,
            ProviderKind::Apple | ProviderKind::Microsoft { .. } => {
                let id_token = tokens
                    .id_token
                    .as_deref()
                    .ok_or(OAuthError::MissingIdToken)?;
                let claims = self.verify_claims(id_token, None, op).await?;
                Ok(self.user_from_claims(&claims, op, "id_token")?)
            }
            ProviderKind::Google | ProviderKind::Oidc { .. } => {
                let from_token = match tokens.id_token.as_deref() {
                    Some(id_token) => Some(self.verify_claims(id_token, None, op).await?),
                    None => None,
                };
                if let Some(claims) = &from_token
                    && (claims.get("email").is_some_and(Value::is_string)
                        || matches!(self.inner.config.kind, ProviderKind::Google))
                {
                    return self.user_from_claims(claims, op, "id_token");
                }
                let endpoints = self.endpoints(op).await?;
                let Some(url) = endpoints.userinfo.as_deref() else {
                    return match from_token {
                        Some(claims) => self.user_from_claims(&claims, op, "id_token"),
                        None => Err(OAuthError::MissingIdToken),
                    };
                };
                let info = self.get_json(url, &tokens.access_token, op).await?;
                let info = info.object(url, op)?;
                if let (Some(claims), Some(sub)) = (&from_token, info.get("sub"))
                    && claims.get("sub") != Some(sub)
                {
                    return Err(bad(op, url, "userinfo `sub` differs from the id token's"));
                }
                self.user_from_claims(&info, op, url)
            }
        }
    }

    /// Verifies an id token given to `sign-in/social` (Google, Apple, Microsoft, OIDC):
    /// signature against the JWKS, `iss`, `aud` = client id, `exp`, the token's age (1 h for
    /// Google, Apple, Microsoft, as better-auth) and `nonce` when given (Apple: or its SHA-256
    /// hex). GitHub and Discord: [`OAuthError::IdTokenNotSupported`].
    pub async fn verify_id_token(
        &self,
        id_token: &str,
        nonce: Option<&str>,
    ) -> Result<ProviderUser, OAuthError> {
        let op = Operation::IdToken;
        // better-auth's generic providers have no `verifyIdToken` either.
        if matches!(
            self.inner.config.kind,
            ProviderKind::Github | ProviderKind::Discord | ProviderKind::Generic(_)
        ) {
            return Err(OAuthError::IdTokenNotSupported);
        }
        let claims = self.verify_claims(id_token, nonce, op).await?;
        self.user_from_claims(&claims, op, "id_token")
    }

    async fn verify_claims(
        &self,
        token: &str,
        nonce: Option<&str>,
        op: Operation,
    ) -> Result<Map<String, Value>, OAuthError> {
        let (kid, alg) = id_token::header(token, op)?;
        let endpoints = self.endpoints(op).await?;
        let Some(jwks_uri) = endpoints.jwks.as_deref() else {
            return Err(OAuthError::InvalidIdToken {
                operation: op,
                reason: "the provider publishes no JWKS".to_owned(),
            });
        };
        let audiences = [self.inner.config.client_id.clone()];
        let kind = &self.inner.config.kind;
        let expect = id_token::Expectations {
            issuers: &endpoints.issuers,
            audiences: &audiences,
            nonce,
            nonce_may_be_hashed: matches!(kind, ProviderKind::Apple),
            max_age_secs: (!matches!(kind, ProviderKind::Oidc { .. } | ProviderKind::Generic(_)))
                .then_some(3600),
        };
        // Cached keys first; a missing kid means rotation: refetch, at most once a minute so
        // that tokens with made-up key ids cannot make us hammer the provider.
        {
            let cached = self.inner.jwks.read().await;
            if let Some((set, fetched)) = cached.as_ref() {
                let keys = id_token::candidates(set, kid.as_deref(), alg);
                if !keys.is_empty()
                    || time::OffsetDateTime::now_utc() - *fetched < JWKS_REFETCH_INTERVAL
                {
                    return id_token::verify(token, alg, &keys, &expect, op);
                }
            }
        }
        let request = self
            .inner
            .http
            .get(jwks_uri)
            .header(reqwest::header::ACCEPT, "application/json");
        let body = send(request, jwks_uri, op).await?;
        let set: JwkSet = serde_json::from_value(body.json(jwks_uri, op)?)
            .map_err(|e| bad(op, jwks_uri, format!("JWKS: {e}")))?;
        let result = {
            let keys = id_token::candidates(&set, kid.as_deref(), alg);
            id_token::verify(token, alg, &keys, &expect, op)
        };
        *self.inner.jwks.write().await = Some((set, time::OffsetDateTime::now_utc()));
        result
    }

    /// Maps OIDC claims (id token or userinfo) to a [`ProviderUser`] the way better-auth's
    /// provider does.
    fn user_from_claims(
        &self,
        claims: &Map<String, Value>,
        op: Operation,
        source: &str,
    ) -> Result<ProviderUser, OAuthError> {
        let id = string_claim(claims, "sub")
            .or_else(|| string_claim(claims, "id"))
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad(op, source, "no `sub`"))?;
        let email = string_claim(claims, "email");
        let mut email_verified = bool_claim(claims.get("email_verified"));
        if matches!(self.inner.config.kind, ProviderKind::Microsoft { .. })
            && claims.get("email_verified").is_none()
            && let Some(email) = &email
        {
            // Entra ID sends `email_verified` only as a configured optional claim.
            let listed = |name: &str| {
                claims
                    .get(name)
                    .and_then(Value::as_array)
                    .is_some_and(|list| list.iter().any(|v| v.as_str() == Some(email)))
            };
            email_verified = listed("verified_primary_email") || listed("verified_secondary_email");
        }
        Ok(ProviderUser {
            id,
            email,
            email_verified,
            name: string_claim(claims, "name").unwrap_or_default(),
            image: string_claim(claims, "picture"),
        })
    }

    async fn get_json(
        &self,
        url: &str,
        access_token: &str,
        op: Operation,
    ) -> Result<Body, OAuthError> {
        let request = self
            .inner
            .http
            .get(url)
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::USER_AGENT, "better-auth");
        send(request, url, op).await
    }

    async fn github_user(&self, access_token: &str) -> Result<ProviderUser, OAuthError> {
        let op = Operation::UserInfo;
        let endpoints = self.endpoints(op).await?;
        let user_url = endpoints
            .userinfo
            .as_deref()
            .unwrap_or(GITHUB_USER_ENDPOINT);
        let profile = self
            .get_json(user_url, access_token, op)
            .await?
            .object(user_url, op)?;
        let id = id_value(profile.get("id")).ok_or_else(|| bad(op, user_url, "no `id`"))?;
        // better-auth ignores a failed e-mail list.
        let emails_url = format!("{}/emails", user_url.trim_end_matches('/'));
        let emails: Vec<Map<String, Value>> =
            match self.get_json(&emails_url, access_token, op).await {
                Ok(body) => body
                    .json(&emails_url, op)
                    .ok()
                    .and_then(|v| match v {
                        Value::Array(items) => Some(
                            items
                                .into_iter()
                                .filter_map(|i| match i {
                                    Value::Object(o) => Some(o),
                                    _ => None,
                                })
                                .collect(),
                        ),
                        _ => None,
                    })
                    .unwrap_or_default(),
                Err(_) => Vec::new(),
            };
        let email = string_claim(&profile, "email")
            .filter(|e| !e.is_empty())
            .or_else(|| {
                emails
                    .iter()
                    .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
                    .or_else(|| emails.first())
                    .and_then(|e| string_claim(e, "email"))
            });
        let email_verified = email.as_ref().is_some_and(|email| {
            emails
                .iter()
                .find(|e| e.get("email").and_then(Value::as_str) == Some(email))
                .and_then(|e| e.get("verified"))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        });
        let name = string_claim(&profile, "name")
            .filter(|n| !n.is_empty())
            .or_else(|| string_claim(&profile, "login"))
            .unwrap_or_default();
        Ok(ProviderUser {
            id,
            email,
            email_verified,
            name,
            image: string_claim(&profile, "avatar_url"),
        })
    }

    async fn discord_user(&self, access_token: &str) -> Result<ProviderUser, OAuthError> {
        let op = Operation::UserInfo;
        let endpoints = self.endpoints(op).await?;
        let url = endpoints
            .userinfo
            .as_deref()
            .unwrap_or(DISCORD_USER_ENDPOINT);
        let profile = self
            .get_json(url, access_token, op)
            .await?
            .object(url, op)?;
        let id = id_value(profile.get("id")).ok_or_else(|| bad(op, url, "no `id`"))?;
        let name = string_claim(&profile, "global_name")
            .filter(|n| !n.is_empty())
            .or_else(|| string_claim(&profile, "username"))
            .unwrap_or_default();
        Ok(ProviderUser {
            image: Some(discord_avatar(
                &id,
                string_claim(&profile, "avatar").as_deref(),
                string_claim(&profile, "discriminator").as_deref(),
            )),
            id,
            email: string_claim(&profile, "email"),
            email_verified: bool_claim(profile.get("verified")),
            name,
        })
    }
}

/// better-auth's Discord image URL: the avatar hash (`a_…` animated → gif), else the default
/// avatar: `(id >> 22) % 6` for new usernames (discriminator `0`), `discriminator % 5` for
/// legacy ones.
fn discord_avatar(id: &str, avatar: Option<&str>, discriminator: Option<&str>) -> String {
    match avatar {
        Some(hash) => {
            let format = if hash.starts_with("a_") { "gif" } else { "png" };
            format!("https://cdn.discordapp.com/avatars/{id}/{hash}.{format}")
        }
        None => {
            let number = match discriminator {
                None | Some("0") => id.parse::<u64>().map(|n| (n >> 22) % 6).unwrap_or(0),
                Some(d) => d.parse::<u64>().map(|n| n % 5).unwrap_or(0),
            };
            format!("https://cdn.discordapp.com/embed/avatars/{number}.png")
        }
    }
}

fn bad(operation: Operation, url: &str, reason: impl Into<String>) -> OAuthError {
    OAuthError::BadResponse {
        operation,
        url: url.to_owned(),
        reason: reason.into(),
    }
}

fn string_claim(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// `true`, or the string `"true"` (Apple).
fn bool_claim(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

/// An id that may be a JSON number (GitHub) or string.
fn id_value(value: Option<&Value>) -> Option<String> {
    match value {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A response body read in full: JSON, or a form-encoded answer (GitHub without
/// `Accept: application/json`) turned into a JSON object.
#[derive(Debug)]
struct Body {
    text: String,
    form: bool,
}

impl Body {
    fn json(&self, url: &str, op: Operation) -> Result<Value, OAuthError> {
        if self.form {
            let map: Map<String, Value> = url::form_urlencoded::parse(self.text.as_bytes())
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect();
            return Ok(Value::Object(map));
        }
        serde_json::from_str(&self.text).map_err(|e| bad(op, url, format!("not JSON: {e}")))
    }

    fn object(&self, url: &str, op: Operation) -> Result<Map<String, Value>, OAuthError> {
        match self.json(url, op)? {
            Value::Object(map) => Ok(map),
            _ => Err(bad(op, url, "not a JSON object")),
        }
    }
}

/// Sends `request`; a non-2xx answer becomes [`OAuthError::Provider`] (with the OAuth `error`
/// if the body has one), a transport failure [`OAuthError::Network`].
async fn send(
    request: reqwest::RequestBuilder,
    url: &str,
    op: Operation,
) -> Result<Body, OAuthError> {
    let network = |source| OAuthError::Network {
        operation: op,
        url: url.to_owned(),
        source,
    };
    let response = request.send().await.map_err(network)?;
    let status = response.status();
    let form = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let text = response.text().await.map_err(network)?;
    let body = Body { text, form };
    if !status.is_success() {
        let fields = body.object(url, op).ok();
        let error = fields
            .as_ref()
            .and_then(|f| string_claim(f, "error"))
            .unwrap_or_else(|| format!("http_{}", status.as_u16()));
        return Err(OAuthError::Provider {
            operation: op,
            status: Some(status.as_u16()),
            error,
            description: fields
                .as_ref()
                .and_then(|f| string_claim(f, "error_description")),
        });
    }
    Ok(body)
}

/// better-auth's `getOAuth2Tokens`, strict about `access_token` and about 2xx answers that
/// carry an OAuth `error` (GitHub answers 200 `{"error":"bad_verification_code"}`).
fn parse_tokens(data: &Map<String, Value>, url: &str, op: Operation) -> Result<Tokens, OAuthError> {
    if let Some(error) = string_claim(data, "error") {
        return Err(OAuthError::Provider {
            operation: op,
            status: None,
            error,
            description: string_claim(data, "error_description"),
        });
    }
    let access_token = string_claim(data, "access_token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad(op, url, "no `access_token`"))?;
    let now = OffsetDateTime::now_utc();
    let expiry = |name: &str| -> Option<OffsetDateTime> {
        let seconds = match data.get(name)? {
            Value::Number(n) => n.as_f64()?,
            Value::String(s) => s.parse::<f64>().ok()?,
            _ => return None,
        };
        if !(seconds.is_finite() && seconds > 0.0 && seconds < 1e10) {
            return None;
        }
        now.checked_add(time::Duration::seconds_f64(seconds))
    };
    let scopes = match data.get("scope") {
        Some(Value::String(s)) => s
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    Ok(Tokens {
        access_token,
        token_type: string_claim(data, "token_type"),
        refresh_token: string_claim(data, "refresh_token").filter(|t| !t.is_empty()),
        id_token: string_claim(data, "id_token").filter(|t| !t.is_empty()),
        access_token_expires_at: expiry("expires_in"),
        refresh_token_expires_at: expiry("refresh_token_expires_in"),
        scopes,
    })
}

#[cfg(test)]
mod tests;
