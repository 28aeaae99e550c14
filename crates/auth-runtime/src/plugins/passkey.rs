//! passkey at run time, as `@better-auth/passkey` 1.7.6 (with better-auth 1.7.25): options for
//! both WebAuthn ceremonies, each with a challenge kept in `verification` under a random token
//! that a signed cookie carries (single use, five minutes), the answers checked by
//! [`webauthn`], and the user's passkeys listed, renamed and deleted. Rows are written as
//! better-auth writes them, so a passkey registered with either server signs in with the other.

use auth_core::plugins::passkey::{self as declared, Options};
use auth_core::schema::Plugin;
use auth_core::schema::names::{passkey, session, user, verification};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;
use serde_json::{Map, Value as Json, json};

use super::Runtime;
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::routes::signed_in;
use crate::session::SessionCtx;
use crate::store::{Row, Timestamp, Value, Where, text, text_of};
use crate::verification::live;
use crate::wire::cookie::SetCookie;
use crate::wire::id;
use crate::wire::webauthn::{self, Expected};

/// How long a challenge lives (better-auth's `MAX_AGE_IN_SECONDS`).
const CHALLENGE_SECONDS: u64 = 300;
/// simplewebauthn's default ceremony timeout, in milliseconds.
const TIMEOUT_MS: u64 = 60_000;

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::Passkey,
    handlers: &[
        (
            "generatePasskeyRegistrationOptions",
            |auth, ctx, session| {
                Box::pin(async move { registration_options(auth, ctx, &signed_in(session)?).await })
            },
        ),
        (
            "generatePasskeyAuthenticationOptions",
            |auth, ctx, session| Box::pin(authentication_options(auth, ctx, session)),
        ),
        ("verifyPasskeyRegistration", |auth, ctx, session| {
            Box::pin(async move { verify_registration(auth, ctx, &signed_in(session)?).await })
        }),
        ("verifyPasskeyAuthentication", |auth, ctx, _| {
            Box::pin(verify_authentication(auth, ctx))
        }),
        ("listPasskeys", |auth, _, session| {
            Box::pin(async move { list(auth, &signed_in(session)?).await })
        }),
        ("deletePasskey", |auth, ctx, session| {
            Box::pin(async move { delete(auth, ctx, &signed_in(session)?).await })
        }),
        ("updatePasskey", |auth, ctx, session| {
            Box::pin(async move { update(auth, ctx, &signed_in(session)?).await })
        }),
    ],
    sign_in_guard: None,
    on_request: None,
    before: None,
    after: None,
    session_guard: None,
    database_hooks: None,
};

fn options(auth: &Auth) -> &Options {
    auth.inner.config.plugins.passkey_options()
}

/// `rp-id`, or the base URL's host name.
fn rp_id(auth: &Auth, options: &Options) -> String {
    options.rp_id.clone().unwrap_or_else(|| {
        url::Url::parse(&auth.inner.base_origin)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".to_owned())
    })
}

/// The origins a ceremony may come from: `origin`, or the request's `Origin` header (which the
/// origin check matched against the trusted origins); `None` without either.
fn origins(options: &Options, ctx: &Ctx) -> Option<Vec<String>> {
    if let Some(configured) = &options.origin {
        return Some(configured.all().into_iter().map(str::to_owned).collect());
    }
    ctx.headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| !o.is_empty())
        .map(|o| vec![o.to_owned()])
}

fn challenge_cookie(auth: &Auth, options: &Options) -> String {
    auth.inner
        .cookies
        .name(&options.advanced.web_authn_challenge_cookie)
}

/// A new challenge (32 random bytes, base64url) kept for five minutes with `data` under a
/// random token, which the signed challenge cookie carries.
async fn new_challenge(
    auth: &Auth,
    ctx: &mut Ctx,
    options: &Options,
    mut data: Map<String, Json>,
) -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    id::fill_random(&mut bytes);
    let challenge = URL_SAFE_NO_PAD.encode(bytes);
    data.insert("expectedChallenge".into(), challenge.clone().into());
    let token = id::generate_with_len(32);
    let millis = i64::try_from(CHALLENGE_SECONDS * 1000).unwrap_or(i64::MAX);
    auth.verifications()
        .create(
            &token,
            &Json::Object(data).to_string(),
            Timestamp::now().plus_millis(millis),
        )
        .await?;
    let inner = &auth.inner;
    ctx.set_cookies.push(SetCookie::signed(
        challenge_cookie(auth, options),
        &token,
        &inner.secret,
        crate::wire::cookie::CookieAttributes {
            max_age: Some(CHALLENGE_SECONDS),
            ..inner.cookies.attributes()
        },
    ));
    Ok(challenge)
}

/// The challenge of the cookie's token, consumed (single use), if it is of `ceremony` and alive:
/// its stored data. `CHALLENGE_NOT_FOUND` otherwise.
async fn take_challenge(
    auth: &Auth,
    ctx: &Ctx,
    options: &Options,
    ceremony: &str,
) -> Result<Json, ApiError> {
    let not_found = || ApiError::bad_request(declared::CHALLENGE_NOT_FOUND);
    let token = ctx
        .cookies
        .get_signed(&challenge_cookie(auth, options), &auth.inner.secret)
        .ok_or_else(not_found)?;
    let row = auth
        .verifications()
        .consume(&token)
        .await?
        .filter(live)
        .ok_or_else(not_found)?;
    let data: Json = serde_json::from_str(text_of(&row, verification::VALUE)).unwrap_or_default();
    if data.get("type").and_then(Json::as_str) != Some(ceremony) {
        return Err(not_found());
    }
    Ok(data)
}

/// The user's passkeys as `{id, transports}` credential descriptors (simplewebauthn's key
/// order; `transports` split on `,`, absent when the row has none).
async fn descriptors(auth: &Auth, user_id: &str) -> Result<Vec<Json>, ApiError> {
    let rows = auth
        .inner
        .store
        .find_many(
            passkey::MODEL,
            &[Where::eq(passkey::USER_ID, user_id)],
            None,
            None,
            None,
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let mut descriptor = Map::new();
            descriptor.insert("id".into(), text(row, passkey::CREDENTIAL_ID).into());
            if let Some(transports) = row.get(passkey::TRANSPORTS).and_then(Value::as_str) {
                let list: Vec<Json> = transports.split(',').map(Json::from).collect();
                descriptor.insert("transports".into(), list.into());
            }
            descriptor.insert("type".into(), "public-key".into());
            Json::Object(descriptor)
        })
        .collect())
}

async fn registration_options(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    let options = options(auth);
    let attachment = match ctx.query.get("authenticatorAttachment") {
        None => None,
        Some(a @ ("platform" | "cross-platform")) => Some(a.to_owned()),
        Some(_) => {
            return Err(ApiError::validation(
                "[query.authenticatorAttachment] Invalid option: expected one of \"platform\"|\"cross-platform\"",
            ));
        }
    };
    let user_id = session.user_id().to_owned();
    let email = text(&session.user, user::EMAIL);
    let name = if email.is_empty() {
        user_id.clone()
    } else {
        email
    };
    let user_name = ctx
        .query
        .get("name")
        .filter(|n| !n.is_empty())
        .map_or_else(|| name.clone(), str::to_owned);
    let exclude = descriptors(auth, &user_id).await?;
    let handle = id::generate_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 32);
    let selection = authenticator_selection(options, attachment.as_deref());
    let rp_name = options
        .rp_name
        .clone()
        .or_else(|| auth.inner.config.app_name.clone())
        .unwrap_or_else(|| "Better Auth".to_owned());
    let mut data = Map::new();
    data.insert("type".into(), "registration".into());
    data.insert(
        "userData".into(),
        json!({ "id": user_id, "name": name, "displayName": name }),
    );
    data.insert(
        "context".into(),
        ctx.query.get("context").map_or(Json::Null, Json::from),
    );
    let challenge = new_challenge(auth, ctx, options, data).await?;
    let algorithms: Vec<Json> = webauthn::ALGORITHMS
        .iter()
        .map(|alg| json!({ "alg": alg, "type": "public-key" }))
        .collect();
    Ok(Reply::json(json!({
        "challenge": challenge,
        "rp": { "name": rp_name, "id": rp_id(auth, options) },
        "user": {
            "id": URL_SAFE_NO_PAD.encode(handle.as_bytes()),
            "name": user_name,
            "displayName": name,
        },
        "pubKeyCredParams": algorithms,
        "timeout": TIMEOUT_MS,
        "attestation": "none",
        "excludeCredentials": exclude,
        "authenticatorSelection": selection,
        "extensions": { "credProps": true },
        "hints": [],
    })))
}

/// better-auth's `{ residentKey: "preferred", userVerification: "preferred" }` under the
/// configured selection and the request's attachment, then simplewebauthn's
/// `requireResidentKey` (true exactly when the resident key is required).
fn authenticator_selection(options: &Options, attachment: Option<&str>) -> Json {
    let configured = &options.authenticator_selection;
    let mut selection = Map::new();
    let resident_key = configured.resident_key.map_or("preferred", |r| r.as_str());
    selection.insert("residentKey".into(), resident_key.into());
    let verification = configured
        .user_verification
        .map_or("preferred", |r| r.as_str());
    selection.insert("userVerification".into(), verification.into());
    let attachment = attachment.or(configured.authenticator_attachment.map(|a| a.as_str()));
    if let Some(attachment) = attachment {
        selection.insert("authenticatorAttachment".into(), attachment.into());
    }
    selection.insert(
        "requireResidentKey".into(),
        (resident_key == "required").into(),
    );
    Json::Object(selection)
}

async fn authentication_options(
    auth: &Auth,
    ctx: &mut Ctx,
    session: Option<SessionCtx>,
) -> Result<Reply, ApiError> {
    let options = options(auth);
    let user_id = session.map(|s| s.user_id().to_owned());
    let allow = match &user_id {
        Some(user_id) => descriptors(auth, user_id).await?,
        None => Vec::new(),
    };
    let mut data = Map::new();
    data.insert("type".into(), "authentication".into());
    data.insert(
        "userData".into(),
        json!({ "id": user_id.unwrap_or_default() }),
    );
    let challenge = new_challenge(auth, ctx, options, data).await?;
    let mut answer = Map::new();
    answer.insert("rpId".into(), rp_id(auth, options).into());
    answer.insert("challenge".into(), challenge.into());
    if !allow.is_empty() {
        answer.insert("allowCredentials".into(), allow.into());
    }
    answer.insert("timeout".into(), TIMEOUT_MS.into());
    answer.insert("userVerification".into(), "preferred".into());
    Ok(Reply::json(Json::Object(answer)))
}

/// What an answer must match: the stored challenge, the origins, the RP ID.
struct Ceremony {
    challenge: String,
    origins: Vec<String>,
    rp_id: String,
}

impl Ceremony {
    fn new(auth: &Auth, options: &Options, data: &Json, origins: Vec<String>) -> Self {
        let challenge = data.get("expectedChallenge").and_then(Json::as_str);
        Self {
            challenge: challenge.unwrap_or_default().to_owned(),
            origins,
            rp_id: rp_id(auth, options),
        }
    }

    /// Runs `verify` against these expectations; a refusal is logged and answered `refused`.
    fn check<T>(
        &self,
        ceremony: &str,
        refused: ApiError,
        verify: impl FnOnce(&Expected<'_>) -> Result<T, webauthn::Refusal>,
    ) -> Result<T, ApiError> {
        let origins: Vec<&str> = self.origins.iter().map(String::as_str).collect();
        let expected = Expected {
            challenge: &self.challenge,
            origins: &origins,
            rp_id: &self.rp_id,
        };
        verify(&expected).map_err(|refusal| {
            tracing::info!(%refusal, ceremony, "passkey: answer refused");
            refused
        })
    }
}

async fn verify_registration(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    let options = options(auth);
    let name = ctx.body.opt_str("name")?.map(|n| n.trim().to_owned());
    let create_session = ctx.body.opt_bool("createSession")?.unwrap_or(false);
    let failed = || ApiError::bad_request(declared::FAILED_TO_VERIFY_REGISTRATION);
    let origins = origins(options, ctx).ok_or_else(failed)?;
    let data = take_challenge(auth, ctx, options, "registration").await?;
    let owner = data
        .pointer("/userData/id")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned();
    if owner != session.user_id() {
        return Err(ApiError::base(
            StatusCode::UNAUTHORIZED,
            declared::YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY,
        ));
    }
    let response = ctx.body.get("response").cloned().unwrap_or(Json::Null);
    // better-auth answers a refused registration with a 500; a refusal is the client's: 400.
    let credential = Ceremony::new(auth, options, &data, origins).check(
        "registration",
        failed(),
        |expected| webauthn::verify_registration(&response, expected),
    )?;
    let transports = response
        .pointer("/response/transports")
        .and_then(Json::as_array)
        .map(|list| {
            list.iter()
                .map(|t| t.as_str().map_or_else(|| t.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let mut row = Row::new();
    row.insert(
        passkey::NAME.into(),
        name.filter(|n| !n.is_empty())
            .map_or(Value::Null, Value::from),
    );
    row.insert(passkey::USER_ID.into(), owner.clone().into());
    row.insert(passkey::CREDENTIAL_ID.into(), credential.id.into());
    row.insert(
        passkey::PUBLIC_KEY.into(),
        webauthn::encode_public_key(&credential.public_key).into(),
    );
    row.insert(
        passkey::COUNTER.into(),
        i64::from(credential.counter).into(),
    );
    row.insert(passkey::DEVICE_TYPE.into(), credential.device_type.into());
    row.insert(passkey::TRANSPORTS.into(), transports.into());
    row.insert(passkey::BACKED_UP.into(), credential.backed_up.into());
    row.insert(passkey::CREATED_AT.into(), Timestamp::now().into());
    row.insert(passkey::AAGUID.into(), credential.aaguid.into());
    let row = auth.inner.store.insert(passkey::MODEL, row).await?;
    let mut answer = auth.output(passkey::MODEL, &row);
    if create_session {
        auth.start_session(ctx, &owner, true).await?;
        let created = ctx.new_session.clone().unwrap_or_default();
        if let Json::Object(fields) = &mut answer {
            fields.insert("session".into(), auth.output(session::MODEL, &created));
            fields.insert("user".into(), auth.output(user::MODEL, &session.user));
        }
    }
    Ok(Reply::json(answer))
}

async fn verify_authentication(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let options = options(auth);
    let response = match ctx.body.get("response") {
        Some(object @ Json::Object(_)) => object.clone(),
        other => {
            let got = match other {
                None => "undefined",
                Some(Json::Array(_)) => "array",
                Some(Json::Null) => "null",
                Some(Json::String(_)) => "string",
                Some(Json::Bool(_)) => "boolean",
                Some(_) => "number",
            };
            return Err(ApiError::validation(format!(
                "[body.response] Invalid input: expected record, received {got}"
            )));
        }
    };
    let origins = origins(options, ctx)
        .ok_or_else(|| ApiError::message_only(StatusCode::BAD_REQUEST, "origin missing"))?;
    let data = take_challenge(auth, ctx, options, "authentication").await?;
    let credential_id = response
        .get("id")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let not_found = || ApiError::base(StatusCode::UNAUTHORIZED, declared::PASSKEY_NOT_FOUND);
    if credential_id.is_empty() {
        return Err(not_found());
    }
    let store = &auth.inner.store;
    let row = store
        .find_one(
            passkey::MODEL,
            &[Where::eq(passkey::CREDENTIAL_ID, credential_id)],
        )
        .await?
        .ok_or_else(not_found)?;
    let failed = || ApiError::bad_request(declared::AUTHENTICATION_FAILED);
    let public_key =
        webauthn::decode_public_key(text_of(&row, passkey::PUBLIC_KEY)).ok_or_else(failed)?;
    let stored_counter = counter(&row);
    let new_counter = Ceremony::new(auth, options, &data, origins).check(
        "authentication",
        failed(),
        |expected| {
            webauthn::verify_authentication(&response, expected, &public_key, stored_counter)
        },
    )?;
    let owner = text(&row, passkey::USER_ID);
    // Only the answer that moves the counter from the value it checked signs in: two uses of
    // one assertion at once cannot both pass.
    let moved = store
        .update(
            passkey::MODEL,
            &[
                Where::eq(passkey::ID, text_of(&row, passkey::ID)),
                Where::eq(passkey::COUNTER, stored_counter_value(&row)),
            ],
            Row::from([(passkey::COUNTER.to_owned(), i64::from(new_counter).into())]),
        )
        .await?;
    if moved == 0 && new_counter != 0 {
        return Err(failed());
    }
    let found = store
        .find_one(user::MODEL, &[Where::eq(user::ID, owner.as_str())])
        .await?
        .ok_or_else(|| ApiError::message_only(StatusCode::UNAUTHORIZED, "User not found"))?;
    auth.start_session(ctx, &owner, true).await?;
    let created = ctx.new_session.clone().unwrap_or_default();
    Ok(Reply::json(json!({
        "session": auth.output(session::MODEL, &created),
        "user": auth.output(user::MODEL, &found),
    })))
}

/// The stored counter (a number column: an integer, or a float some drivers return).
fn counter(row: &Row) -> u64 {
    match row.get(passkey::COUNTER) {
        Some(Value::Integer(n)) => u64::try_from(*n).unwrap_or(0),
        Some(Value::Float(f)) if *f >= 0.0 => *f as u64,
        _ => 0,
    }
}

fn stored_counter_value(row: &Row) -> Value {
    row.get(passkey::COUNTER).cloned().unwrap_or(Value::Null)
}

async fn list(auth: &Auth, session: &SessionCtx) -> Result<Reply, ApiError> {
    let rows = auth
        .inner
        .store
        .find_many(
            passkey::MODEL,
            &[Where::eq(passkey::USER_ID, session.user_id())],
            None,
            None,
            None,
        )
        .await?;
    let all: Vec<Json> = rows
        .iter()
        .map(|row| auth.output(passkey::MODEL, row))
        .collect();
    Ok(Reply::json(Json::Array(all)))
}

/// better-auth's `requireResourceOwnership`: the passkey `id` of the body, the session user's.
async fn owned(auth: &Auth, ctx: &Ctx, session: &SessionCtx) -> Result<String, ApiError> {
    let id = ctx.body.str("id")?.to_owned();
    if id.is_empty() {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "Missing required parameter: id",
        ));
    }
    let row = auth
        .inner
        .store
        .find_one(passkey::MODEL, &[Where::eq(passkey::ID, id.as_str())])
        .await?
        .ok_or_else(|| ApiError::base(StatusCode::NOT_FOUND, declared::PASSKEY_NOT_FOUND))?;
    if text_of(&row, passkey::USER_ID) != session.user_id() {
        return Err(ApiError::base(
            StatusCode::UNAUTHORIZED,
            declared::YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY,
        ));
    }
    Ok(id)
}

async fn delete(auth: &Auth, ctx: &Ctx, session: &SessionCtx) -> Result<Reply, ApiError> {
    let id = owned(auth, ctx, session).await?;
    auth.inner
        .store
        .delete(passkey::MODEL, &[Where::eq(passkey::ID, id.as_str())])
        .await?;
    Ok(Reply::json(json!({ "status": true })))
}

async fn update(auth: &Auth, ctx: &Ctx, session: &SessionCtx) -> Result<Reply, ApiError> {
    let name = ctx.body.str("name")?.trim().to_owned();
    if name.is_empty() {
        return Err(ApiError::validation(
            "[body.name] Too small: expected string to have >=1 characters",
        ));
    }
    let id = owned(auth, ctx, session).await?;
    let store = &auth.inner.store;
    let by_id = [Where::eq(passkey::ID, id.as_str())];
    store
        .update(
            passkey::MODEL,
            &by_id,
            Row::from([(passkey::NAME.to_owned(), name.into())]),
        )
        .await?;
    let row = store
        .find_one(passkey::MODEL, &by_id)
        .await?
        .ok_or_else(|| {
            ApiError::base(
                StatusCode::INTERNAL_SERVER_ERROR,
                declared::FAILED_TO_UPDATE_PASSKEY,
            )
        })?;
    Ok(Reply::json(
        json!({ "passkey": auth.output(passkey::MODEL, &row) }),
    ))
}

#[cfg(test)]
mod tests;
