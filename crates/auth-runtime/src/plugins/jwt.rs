//! jwt at run time, as better-auth 1.7.25's `jwt` plugin: `GET /token` answers a JWT of the
//! session's user signed with the newest key of the `jwks` table (one is made on first use),
//! `GET /jwks` publishes the public keys, and every get-session with a session carries the same
//! kind of token in `set-auth-jwt`. Private keys are stored as better-auth stores them (a JSON
//! string of the XChaCha20-Poly1305 envelope of the private JWK), so either server signs with
//! the other's key.

use auth_core::errors::base;
use auth_core::plugins::jwt::{Audience, Options, SubjectPart};
use auth_core::schema::Plugin;
use auth_core::schema::names::{jwks, session, user};
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::{Runtime, expose_header};
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::routes::signed_in;
use crate::session::SessionCtx;
use crate::store::{Row, Timestamp, Value as Stored, text_of};
use crate::wire::jws::{self, Algorithm};
use crate::wire::symmetric;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const SET_AUTH_JWT: &str = "set-auth-jwt";
const GET_SESSION: &str = "getSession";

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::Jwt,
    handlers: &[
        ("getJwks", |auth, _, _| Box::pin(key_set(auth))),
        ("getToken", |auth, _, session| {
            Box::pin(async move {
                let session = signed_in(session)?;
                let token = token(auth, &session).await?;
                Ok(Reply::json(json!({ "token": token })))
            })
        }),
    ],
    sign_in_guard: None,
    session_guard: None,
    database_hooks: None,
    on_request: None,
    before: None,
    after: Some(|auth, endpoint, ctx, _| {
        Box::pin(async move {
            if endpoint.id == GET_SESSION {
                set_jwt_header(auth, ctx).await?;
            }
            Ok(())
        })
    }),
};

fn options(auth: &Auth) -> &Options {
    auth.inner.config.plugins.jwt_options()
}

/// The algorithm of a stored key: its `alg`, else (a row from before the column) the
/// configured one.
fn alg_of<'a>(row: &'a Row, options: &Options) -> &'a str {
    row.get(jwks::ALG)
        .and_then(Stored::as_str)
        .unwrap_or(options.jwks.key_pair_config().alg())
}

fn millis(row: &Row, field: &str) -> Option<i64> {
    row.get(field)
        .and_then(Stored::as_date)
        .map(Timestamp::millis)
}

fn live(row: &Row, now: i64) -> bool {
    millis(row, jwks::EXPIRES_AT).is_none_or(|at| at > now)
}

fn key_unusable(error: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(%error, "jwt: the signing key cannot be used");
    ApiError::unavailable("the JWT signing key")
}

async fn all_keys(auth: &Auth) -> Result<Vec<Row>, ApiError> {
    Ok(auth
        .store()
        .find_many(jwks::MODEL, &[], None, None, None)
        .await?)
}

/// Makes and stores a key pair as better-auth's `createJwk`.
async fn create_key(auth: &Auth, options: &Options) -> Result<Row, ApiError> {
    let pair = jws::generate(options.jwks.key_pair_config()).map_err(|e| key_unusable(&e))?;
    let private = Value::Object(pair.private).to_string();
    let private = if options.jwks.disable_private_key_encryption {
        private
    } else {
        // better-auth stores `JSON.stringify(await symmetricEncrypt(…))`: a JSON string.
        Value::String(symmetric::encrypt(&auth.inner.secret, &private)).to_string()
    };
    let now = Timestamp::now();
    let mut row = Row::new();
    row.insert(
        jwks::ALG.into(),
        Stored::String(options.jwks.key_pair_config().alg().into()),
    );
    if let Some(crv) = pair.public.get("crv").and_then(Value::as_str) {
        row.insert(jwks::CRV.into(), Stored::String(crv.into()));
    }
    row.insert(
        jwks::PUBLIC_KEY.into(),
        Stored::String(Value::Object(pair.public).to_string()),
    );
    row.insert(jwks::PRIVATE_KEY.into(), Stored::String(private));
    row.insert(jwks::CREATED_AT.into(), Stored::Date(now));
    if let Some(seconds) = options.jwks.rotation_interval {
        let seconds = i64::try_from(seconds).unwrap_or(i64::MAX / 1000);
        row.insert(
            jwks::EXPIRES_AT.into(),
            Stored::Date(now.plus_millis(seconds.saturating_mul(1000))),
        );
    }
    Ok(auth.store().insert(jwks::MODEL, row).await?)
}

/// `GET /jwks`: every key not past its grace period, `{alg, crv, …public JWK, kid}`; 404 when
/// the keys are published at `remote-url` instead.
async fn key_set(auth: &Auth) -> Result<Reply, ApiError> {
    let options = options(auth);
    if options.jwks.remote_url.is_some() {
        return Err(ApiError::base(StatusCode::NOT_FOUND, base::NOT_FOUND));
    }
    let mut rows = all_keys(auth).await?;
    if rows.is_empty() {
        rows.push(create_key(auth, options).await?);
    }
    let now = Timestamp::now().millis();
    let grace = i64::try_from(options.jwks.grace_period)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000);
    let keys: Vec<Value> = rows
        .iter()
        .filter(|row| millis(row, jwks::EXPIRES_AT).is_none_or(|at| at.saturating_add(grace) > now))
        .map(|row| {
            let mut key = Map::new();
            key.insert("alg".into(), alg_of(row, options).into());
            if let Some(crv) = row.get(jwks::CRV).and_then(Stored::as_str) {
                key.insert("crv".into(), crv.into());
            }
            if let Ok(Value::Object(public)) = serde_json::from_str(text_of(row, jwks::PUBLIC_KEY))
            {
                key.extend(public);
            }
            key.insert("kid".into(), text_of(row, jwks::ID).into());
            Value::Object(key)
        })
        .collect();
    Ok(Reply::json(json!({ "keys": keys })))
}

/// The key that signs: the newest live key of the configured algorithm, else the newest live
/// key, else a new one (better-auth's `resolveSigningKey` without overrides).
async fn signing_key(auth: &Auth, options: &Options) -> Result<Row, ApiError> {
    let now = Timestamp::now().millis();
    let mut rows: Vec<Row> = all_keys(auth)
        .await?
        .into_iter()
        .filter(|row| live(row, now))
        .collect();
    rows.sort_by_key(|row| std::cmp::Reverse(millis(row, jwks::CREATED_AT)));
    let primary = options.jwks.key_pair_config().alg();
    let position = rows
        .iter()
        .position(|row| alg_of(row, options) == primary)
        .or((!rows.is_empty()).then_some(0));
    match position {
        Some(i) => Ok(rows.swap_remove(i)),
        None => create_key(auth, options).await,
    }
}

/// Signs `claims` as better-auth's `signJWT`: `exp` (`iat` + `expiration-time`), `iss` and
/// `aud` (the base URL's origin by default) unless the claims have them.
async fn sign(
    auth: &Auth,
    options: &Options,
    mut claims: Map<String, Value>,
) -> Result<String, ApiError> {
    let key = signing_key(auth, options).await?;
    let alg = alg_of(&key, options);
    let algorithm = Algorithm::from_name(alg).ok_or_else(|| key_unusable(&format!("alg {alg}")))?;
    let stored = text_of(&key, jwks::PRIVATE_KEY);
    let private = if options.jwks.disable_private_key_encryption {
        stored.to_owned()
    } else {
        let sealed: String = serde_json::from_str(stored).map_err(|e| key_unusable(&e))?;
        symmetric::decrypt(&auth.inner.secret, &sealed).map_err(|e| key_unusable(&e))?
    };
    let Ok(Value::Object(private)) = serde_json::from_str(&private) else {
        return Err(key_unusable(&"the private key is not a JWK"));
    };
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .unwrap_or_else(|| Timestamp::now().millis() / 1000);
    claims
        .entry("exp")
        .or_insert_with(|| iat.saturating_add(options.jwt.expiration_time).into());
    claims
        .entry("iss")
        .or_insert_with(|| default_issuer(auth, options).into());
    claims
        .entry("aud")
        .or_insert_with(|| match &options.jwt.audience {
            Some(Audience::One(one)) => one.as_str().into(),
            Some(Audience::Many(many)) => many.clone().into(),
            None => auth.inner.base_origin.as_str().into(),
        });
    jws::sign(algorithm, &private, text_of(&key, jwks::ID), &claims).map_err(|e| key_unusable(&e))
}

/// `iss` unless the claims name one: `jwt.issuer`, else the base URL's origin (better-auth's
/// `ctx.context.options.baseURL`, which its context sets to the origin).
fn default_issuer<'a>(auth: &'a Auth, options: &'a Options) -> &'a str {
    options
        .jwt
        .issuer
        .as_deref()
        .unwrap_or(auth.inner.base_origin.as_str())
}

/// better-auth's `getJwtToken`: `iat`, the payload (the user, or `AuthOptions::jwt_payload`'s
/// claims), `sub` = `get-subject`'s text, else the user's id.
async fn token(auth: &Auth, session: &SessionCtx) -> Result<String, ApiError> {
    let options = options(auth);
    let user = auth.output(user::MODEL, &session.user);
    let session_out = auth.output(session::MODEL, &session.session);
    let subject = options
        .jwt
        .get_subject
        .as_ref()
        .and_then(|subject| {
            subject.render(|part| {
                let value = match part {
                    SubjectPart::User(field) => user.get(field),
                    SubjectPart::Session(field) => session_out.get(field),
                    SubjectPart::Text(text) => return Some(text.clone()),
                };
                match value? {
                    Value::String(text) => Some(text.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                }
            })
        })
        .unwrap_or_else(|| session.user_id().to_owned());
    let payload = match &auth.inner.jwt_payload {
        Some(define) => define.call(session_out, user).await?,
        None => match user {
            Value::Object(user) => user,
            _ => Map::new(),
        },
    };
    let mut claims = Map::new();
    claims.insert("iat".into(), (Timestamp::now().millis() / 1000).into());
    claims.extend(payload);
    claims.insert("sub".into(), subject.into());
    sign(auth, options, claims).await
}

impl Auth {
    /// Signs `payload` with the jwt plugin's key, as better-auth's server-only
    /// `auth.api.signJWT({ body: { payload } })`: `exp`, `iss` and `aud` are added unless the
    /// payload has them (`expiration-time`, `issuer`/`audience`, else the base URL's origin).
    /// 404 `NOT_FOUND` when the jwt plugin is not enabled.
    pub async fn sign_jwt(&self, payload: Map<String, Value>) -> Result<String, ApiError> {
        let options = self.jwt_options()?;
        sign(self, options, payload).await
    }

    /// The claims of `token` when it is a JWT one of the stored keys (its `kid`) signed with
    /// the key's algorithm, unexpired, not before its `nbf`, of the expected issuer (`issuer`,
    /// else `jwt.issuer`, else the base URL's origin) and audience, with `sub` and `aud` —
    /// better-auth's server-only `auth.api.verifyJWT({ body: { token, issuer } })`; `None`
    /// otherwise. 404 `NOT_FOUND` when the jwt plugin is not enabled.
    pub async fn verify_jwt(
        &self,
        token: &str,
        issuer: Option<&str>,
    ) -> Result<Option<Map<String, Value>>, ApiError> {
        let options = self.jwt_options()?;
        let Some(kid) = token
            .split('.')
            .next()
            .and_then(|header| URL_SAFE_NO_PAD.decode(header).ok())
            .and_then(|header| serde_json::from_slice::<Map<String, Value>>(&header).ok())
            .and_then(|header| header.get("kid")?.as_str().map(str::to_owned))
        else {
            return Ok(None);
        };
        let keys = all_keys(self).await?;
        let Some(key) = keys.iter().find(|row| text_of(row, jwks::ID) == kid) else {
            return Ok(None);
        };
        let (Some(algorithm), Ok(Value::Object(public))) = (
            Algorithm::from_name(alg_of(key, options)),
            serde_json::from_str(text_of(key, jwks::PUBLIC_KEY)),
        ) else {
            return Ok(None);
        };
        let Some(claims) = jws::verify(algorithm, &public, token) else {
            return Ok(None);
        };
        let issuer = issuer.unwrap_or_else(|| default_issuer(self, options));
        let audiences: Vec<&str> = match &options.jwt.audience {
            Some(Audience::One(one)) => vec![one],
            Some(Audience::Many(many)) => many.iter().map(String::as_str).collect(),
            None => vec![self.inner.base_origin.as_str()],
        };
        Ok(claims_hold(
            &claims,
            issuer,
            &audiences,
            Timestamp::now().millis() / 1000,
        )
        .then_some(claims))
    }

    fn jwt_options(&self) -> Result<&Options, ApiError> {
        if self.inner.config.plugins.jwt.is_none() {
            return Err(ApiError::coded(
                StatusCode::NOT_FOUND,
                base::NOT_FOUND,
                "the jwt plugin is not enabled: add [plugins.jwt] to auth.toml",
            ));
        }
        Ok(options(self))
    }
}

/// `jose`'s `jwtVerify` checks with `issuer` and `audience` and no clock tolerance, then
/// better-auth's own: `sub` and `aud` present.
fn claims_hold(claims: &Map<String, Value>, issuer: &str, audiences: &[&str], now: i64) -> bool {
    let number = |name: &str| claims.get(name).map(Value::as_f64);
    let expired = match number("exp") {
        None => false,
        Some(Some(exp)) => exp <= now as f64,
        Some(None) => true,
    };
    let early = match number("nbf") {
        None => false,
        Some(Some(nbf)) => nbf > now as f64,
        Some(None) => true,
    };
    let audience = match claims.get("aud") {
        Some(Value::String(aud)) => audiences.contains(&aud.as_str()),
        Some(Value::Array(auds)) => auds
            .iter()
            .any(|aud| aud.as_str().is_some_and(|aud| audiences.contains(&aud))),
        _ => false,
    };
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .is_some_and(|sub| !sub.is_empty());
    !expired
        && !early
        && audience
        && subject
        && claims.get("iss").and_then(Value::as_str) == Some(issuer)
}

/// After get-session with a session: the token in `set-auth-jwt`, exposed to scripts.
async fn set_jwt_header(auth: &Auth, ctx: &mut Ctx) -> Result<(), ApiError> {
    if options(auth).disable_setting_jwt_header {
        return Ok(());
    }
    let Some(session) = ctx.session.as_ref() else {
        return Ok(());
    };
    let token = token(auth, session).await?;
    expose_header(ctx, SET_AUTH_JWT, &token);
    Ok(())
}

#[cfg(test)]
mod tests;
