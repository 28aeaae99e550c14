//! The generic-oauth plugin's providers ([`ProviderKind::Generic`]): endpoints from auth.toml
//! and an optional discovery document, and the user read as better-auth 1.7.25's
//! `genericOAuth` reads it — from the id token when it names the subject and the e-mail,
//! otherwise from the userinfo endpoint — through the project's field mapping.

use auth_core::plugins::generic_oauth::{Authentication, ProfileMapping, Provider as Declared};
use serde_json::{Map, Value};

use super::{
    ClientAuth, Endpoints, OAuthError, Operation, Provider, ProviderConfig, ProviderKind,
    ProviderUser, Tokens, bad, bool_claim, id_token, id_value, send, string_claim,
};

/// What a generic provider adds to a [`ProviderConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generic {
    /// The OpenID Connect discovery document's URL, if any.
    pub discovery_url: Option<String>,
    /// PKCE with S256.
    pub pkce: bool,
    /// Which profile fields make the user.
    pub mapping: ProfileMapping,
    /// More parameters of the authorization URL.
    pub authorization_params: Vec<(String, String)>,
}

impl ProviderConfig {
    /// The configuration of generic-oauth's provider `id` as auth.toml declares it, with its
    /// client credentials and its redirect URI.
    #[must_use]
    pub fn generic(
        id: &str,
        declared: &Declared,
        (client_id, client_secret): (String, String),
        redirect_uri: String,
    ) -> Self {
        let url = |u: Option<&String>| u.cloned();
        let kind = ProviderKind::Generic(Box::new(Generic {
            discovery_url: url(declared.discovery_url.as_ref().map(|u| u.get_ref())),
            pkce: declared.pkce,
            mapping: declared.map_profile_to_user.clone(),
            authorization_params: declared
                .authorization_url_params
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }));
        let mut config = Self::new(id, kind, client_id, client_secret, redirect_uri);
        config.scopes.clone_from(&declared.scopes);
        config.authorization_endpoint =
            url(declared.authorization_url.as_ref().map(|u| u.get_ref()));
        config.token_endpoint = url(declared.token_url.as_ref().map(|u| u.get_ref()));
        config.userinfo_endpoint = url(declared.user_info_url.as_ref().map(|u| u.get_ref()));
        config.client_auth = Some(match declared.authentication {
            Authentication::Post => ClientAuth::SecretPost,
            Authentication::Basic => ClientAuth::SecretBasic,
        });
        config.prompt.clone_from(&declared.prompt);
        config.access_type.clone_from(&declared.access_type);
        config
    }
}

/// The parts of a discovery document a generic provider reads; all optional, since the
/// configuration may give the URLs itself.
#[derive(Debug, Default, serde::Deserialize)]
struct Discovered {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
    jwks_uri: Option<String>,
    #[serde(default)]
    id_token_signing_alg_values_supported: Vec<String>,
}

impl Provider {
    /// The endpoints of a generic provider: the configuration's, completed by discovery. It is
    /// OpenID Connect when discovery names signing algorithms; its id tokens are verified when
    /// discovery names an issuer and a JWKS.
    pub(super) async fn generic_endpoints(
        &self,
        generic: &Generic,
        operation: Operation,
    ) -> Result<Endpoints, OAuthError> {
        let c = &self.inner.config;
        let discovered = match &generic.discovery_url {
            Some(url) => {
                let request = self
                    .inner
                    .http
                    .get(url)
                    .header(reqwest::header::ACCEPT, "application/json");
                let body = send(request, url, operation).await?;
                serde_json::from_value::<Discovered>(body.json(url, operation)?)
                    .map_err(|e| bad(operation, url, format!("discovery document: {e}")))?
            }
            None => Discovered::default(),
        };
        let missing = |what: &str| {
            OAuthError::Config(format!(
                "provider `{}` has no {what} URL (neither in auth.toml nor in its discovery document)",
                c.id
            ))
        };
        let authorization = c
            .authorization_endpoint
            .clone()
            .or(discovered.authorization_endpoint)
            .ok_or_else(|| missing("authorization"))?;
        let token = c
            .token_endpoint
            .clone()
            .or(discovered.token_endpoint)
            .ok_or_else(|| missing("token"))?;
        for endpoint in [&authorization, &token] {
            url::Url::parse(endpoint)
                .map_err(|e| OAuthError::Config(format!("endpoint `{endpoint}`: {e}")))?;
        }
        let (jwks, issuers) = match (discovered.jwks_uri, discovered.issuer) {
            (Some(jwks), Some(issuer)) => (Some(jwks), vec![issuer]),
            _ => (None, Vec::new()),
        };
        Ok(Endpoints {
            authorization,
            token,
            userinfo: c.userinfo_endpoint.clone().or(discovered.userinfo_endpoint),
            jwks,
            issuers,
            client_auth: c.client_auth.unwrap_or(ClientAuth::SecretPost),
            oidc: !discovered.id_token_signing_alg_values_supported.is_empty(),
        })
    }

    /// The user of a generic provider: the id token's claims when they name `sub` and
    /// `email` (verified when discovery gave a JWKS; otherwise read as received from the token
    /// endpoint over its own connection, as OIDC Core §3.1.3.7 allows), else the userinfo
    /// answer, whose `sub` must then be the id token's.
    pub(super) async fn generic_user(
        &self,
        generic: &Generic,
        tokens: &Tokens,
    ) -> Result<ProviderUser, OAuthError> {
        let op = Operation::UserInfo;
        let endpoints = self.endpoints(op).await?;
        let claims = match tokens.id_token.as_deref() {
            Some(token) if endpoints.jwks.is_some() => {
                Some(self.verify_claims(token, None, op).await?)
            }
            Some(token) => Some(id_token::unverified_claims(
                token,
                std::slice::from_ref(&self.inner.config.client_id),
                op,
            )?),
            None => None,
        };
        let id_field =
            generic
                .mapping
                .id
                .as_deref()
                .unwrap_or(if endpoints.oidc { "sub" } else { "id" });
        if let Some(claims) = &claims
            && claims.get("sub").is_some_and(Value::is_string)
            && claims.get("email").is_some_and(Value::is_string)
        {
            return map_profile(&generic.mapping, id_field, claims, op, "id_token");
        }
        let Some(url) = endpoints.userinfo.as_deref() else {
            return Err(bad(
                op,
                &self.inner.config.id,
                "no id token naming the user and no userinfo URL",
            ));
        };
        let info = self.get_json(url, &tokens.access_token, op).await?;
        let info = info.object(url, op)?;
        if let Some(sub) = claims.as_ref().and_then(|c| c.get("sub"))
            && info.get("sub") != Some(sub)
        {
            return Err(bad(op, url, "userinfo `sub` differs from the id token's"));
        }
        // An OIDC account is the id token's subject, whatever the mapping reads elsewhere.
        let mut user = map_profile(&generic.mapping, id_field, &info, op, url)?;
        if endpoints.oidc
            && generic.mapping.id.is_none()
            && let Some(sub) = claims.as_ref().and_then(|c| string_claim(c, "sub"))
        {
            user.id = sub;
        }
        Ok(user)
    }
}

/// The user from `profile` through `mapping`; the account id is `profile[id_field]` (a string
/// or a number), required.
fn map_profile(
    mapping: &ProfileMapping,
    id_field: &str,
    profile: &Map<String, Value>,
    op: Operation,
    source: &str,
) -> Result<ProviderUser, OAuthError> {
    let id = id_value(profile.get(id_field))
        .ok_or_else(|| bad(op, source, format!("no `{id_field}` (the account id)")))?;
    Ok(ProviderUser {
        id,
        email: string_claim(profile, &mapping.email),
        email_verified: bool_claim(profile.get(&mapping.email_verified)),
        name: string_claim(profile, &mapping.name).unwrap_or_default(),
        image: string_claim(profile, &mapping.image),
    })
}
