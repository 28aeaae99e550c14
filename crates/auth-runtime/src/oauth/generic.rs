//! The generic-oauth plugin's providers ([`ProviderKind::Generic`]): endpoints from auth.toml
//! and an optional discovery document, and the user read as better-auth 1.7.25's
//! `genericOAuth` reads it — from the id token when it names the subject and the e-mail,
//! otherwise from the userinfo endpoint — through the project's field mapping.

use auth_core::plugins::generic_oauth::{
    AssertionAlgorithm, Authentication, ProfileMapping, Provider as Declared, TokenEndpointAuth,
};
use serde_json::{Map, Value};

use super::{
    ClientAssertion, ClientAuth, Endpoints, OAuthError, Operation, Provider, ProviderConfig,
    ProviderKind, ProviderUser, Tokens, bad, bool_claim, id_token, id_value, send, string_claim,
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
    /// client credentials (the id, and the secret or, for `private_key_jwt`, the private JWK's
    /// JSON) and its redirect URI.
    ///
    /// # Errors
    /// [`OAuthError::Config`] when `private_key_jwt`'s key is not a private JWK of a served
    /// algorithm, or names another algorithm than the configured one.
    pub fn generic(
        id: &str,
        declared: &Declared,
        (client_id, secret_or_key): (String, String),
        redirect_uri: String,
    ) -> Result<Self, OAuthError> {
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
        let assertion = match &declared.token_endpoint_auth {
            Some(TokenEndpointAuth::PrivateKeyJwt {
                algorithm,
                kid,
                expires_in,
                ..
            }) => Some(client_assertion(
                id,
                &secret_or_key,
                *algorithm,
                kid.clone(),
                *expires_in,
            )?),
            _ => None,
        };
        let client_secret = if assertion.is_some() {
            String::new()
        } else {
            secret_or_key
        };
        let mut config = Self::new(id, kind, client_id, client_secret, redirect_uri);
        config.scopes.clone_from(&declared.scopes);
        config.authorization_endpoint =
            url(declared.authorization_url.as_ref().map(|u| u.get_ref()));
        config.token_endpoint = url(declared.token_url.as_ref().map(|u| u.get_ref()));
        config.userinfo_endpoint = url(declared.user_info_url.as_ref().map(|u| u.get_ref()));
        config.client_auth = Some(
            match (&declared.token_endpoint_auth, declared.authentication) {
                (Some(TokenEndpointAuth::PrivateKeyJwt { .. }), _) => ClientAuth::PrivateKeyJwt,
                (Some(TokenEndpointAuth::ClientSecretBasic {}), _)
                | (None, Authentication::Basic) => ClientAuth::SecretBasic,
                (Some(TokenEndpointAuth::ClientSecretPost {}), _)
                | (None, Authentication::Post) => ClientAuth::SecretPost,
            },
        );
        config.client_assertion = assertion;
        config.prompt.clone_from(&declared.prompt);
        config.access_type.clone_from(&declared.access_type);
        Ok(config)
    }
}

/// `private_key_jwt`'s key, checked as better-auth's `resolveValidPrivateKeyJwtOptions`: a
/// private JWK; the algorithm configured, else the JWK's `alg`, else RS256; the two agree when
/// both are given; `kid` configured, else the JWK's.
fn client_assertion(
    id: &str,
    jwk: &str,
    algorithm: Option<AssertionAlgorithm>,
    kid: Option<String>,
    expires_in: u64,
) -> Result<ClientAssertion, OAuthError> {
    let refuse =
        |why: String| OAuthError::Config(format!("provider `{id}`: private_key_jwt: {why}"));
    let Ok(Value::Object(private_jwk)) = serde_json::from_str::<Value>(jwk) else {
        return Err(refuse(
            "the private key is not a JWK (a JSON object)".to_owned(),
        ));
    };
    if !private_jwk.contains_key("d") {
        return Err(refuse("the JWK has no private part (`d`)".to_owned()));
    }
    let jwk_alg = match private_jwk.get("alg").and_then(Value::as_str) {
        Some(name) => Some(AssertionAlgorithm::from_name(name).ok_or_else(|| {
            refuse(format!(
                "the JWK's alg `{name}` is not one of RS256, PS256, ES256, ES512, EdDSA"
            ))
        })?),
        None => None,
    };
    if let (Some(configured), Some(of_key)) = (algorithm, jwk_alg)
        && configured != of_key
    {
        return Err(refuse(format!(
            "the JWK's alg `{}` is not the configured algorithm `{}`",
            of_key.name(),
            configured.name()
        )));
    }
    let name = algorithm
        .or(jwk_alg)
        .unwrap_or(AssertionAlgorithm::RS256)
        .name();
    let algorithm = crate::wire::jws::Algorithm::from_name(name)
        .ok_or_else(|| refuse(format!("`{name}` cannot sign here")))?;
    let kid = kid.or_else(|| {
        private_jwk
            .get("kid")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    Ok(ClientAssertion {
        algorithm,
        private_jwk,
        kid,
        expires_in: i64::try_from(expires_in).unwrap_or(i64::MAX),
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::plugins::jwt::KeyPairConfig;

    fn declared(auth: &str) -> Declared {
        let text = format!(
            "[plugins.generic-oauth.providers.corp]\n\
             authorization-url = \"https://id.example.com/auth\"\n\
             token-url = \"https://id.example.com/token\"\n\
             [plugins.generic-oauth.providers.corp.token-endpoint-auth]\n{auth}"
        );
        let config = auth_core::Config::parse("auth.toml", text).unwrap_or_else(|e| panic!("{e}"));
        let options = config.plugins.generic_oauth_options();
        let (_, provider) = options
            .providers
            .iter()
            .next()
            .unwrap_or_else(|| panic!("no provider"));
        provider.get_ref().clone()
    }

    fn configure(auth: &str, key: &Value) -> Result<ProviderConfig, String> {
        ProviderConfig::generic(
            "corp",
            &declared(auth),
            ("client".to_owned(), key.to_string()),
            "https://app.example.com/api/auth/callback/corp".to_owned(),
        )
        .map_err(|e| e.to_string())
    }

    /// The key's algorithm and `kid` as better-auth resolves them; keys it would refuse are
    /// refused when the server is built; the secret methods keep the secret.
    #[test]
    fn private_key_jwt_keys_are_resolved_and_checked() {
        let pair =
            crate::wire::jws::generate(KeyPairConfig::ES256 {}).unwrap_or_else(|e| panic!("{e}"));
        let mut private = pair.private.clone();
        private.insert("kid".into(), "k1".into());
        private.insert("alg".into(), "ES256".into());
        let key = Value::Object(private.clone());
        let method = "method = \"private_key_jwt\"\n";
        let config = configure(method, &key).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.client_auth, Some(ClientAuth::PrivateKeyJwt));
        assert!(config.client_secret.is_empty());
        let assertion = config
            .client_assertion
            .clone()
            .unwrap_or_else(|| panic!("no assertion key"));
        assert_eq!(
            (
                assertion.algorithm.name(),
                assertion.kid.as_deref(),
                assertion.expires_in
            ),
            ("ES256", Some("k1"), 120)
        );
        let signed = assertion
            .sign("client", "https://id.example.com/token")
            .unwrap_or_else(|e| panic!("{e}"));
        let claims = crate::wire::jws::verify(assertion.algorithm, &pair.public, &signed)
            .unwrap_or_else(|| panic!("the assertion does not verify"));
        assert_eq!(
            (&claims["iss"], &claims["sub"], &claims["aud"]),
            (
                &"client".into(),
                &"client".into(),
                &"https://id.example.com/token".into()
            )
        );
        let lifetime = claims["exp"]
            .as_i64()
            .zip(claims["iat"].as_i64())
            .map(|(e, i)| e - i);
        assert_eq!(lifetime, Some(120));
        assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
        let header = signed.split('.').next().unwrap_or_default();
        let header: Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header)
                .unwrap_or_default(),
        )
        .unwrap_or_default();
        assert_eq!(
            header,
            serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": "k1"})
        );
        for (auth, key, says) in [
            (
                method.to_owned(),
                Value::String("not a jwk".into()),
                "not a JWK",
            ),
            (
                method.to_owned(),
                Value::Object(pair.public.clone()),
                "no private part",
            ),
            (
                format!("{method}algorithm = \"RS256\"\n"),
                key.clone(),
                "not the configured",
            ),
            (
                method.to_owned(),
                {
                    let mut odd = private.clone();
                    odd.insert("alg".into(), "HS256".into());
                    Value::Object(odd)
                },
                "HS256",
            ),
        ] {
            let error = configure(&auth, &key)
                .err()
                .unwrap_or_else(|| panic!("accepted {auth}"));
            assert!(error.contains(says), "{auth}: {error}");
        }
        let basic = configure(
            "method = \"client_secret_basic\"\n",
            &Value::String("s".into()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (basic.client_auth, basic.client_secret.as_str()),
            (Some(ClientAuth::SecretBasic), "\"s\"")
        );
    }
}
