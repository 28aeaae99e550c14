//! two-factor at run time, as better-auth 1.7.25's `twoFactor` plugin: its eight endpoints, the
//! challenge that replaces the session of every password sign-in of a user with a second factor
//! (unless the browser is a trusted device), attempt counting per challenge and the account
//! lockout across challenges. The TOTP secret and the backup codes are stored encrypted as
//! better-auth stores them ([`symmetric`]), so either server verifies what the other wrote.

use auth_core::errors::base;
use auth_core::plugins::two_factor::{self as declared, Options, StoreBackupCodes, StoreOtp};
use auth_core::schema::Plugin;
use auth_core::schema::names::{account, session, two_factor, user, verification};
use base64::Engine;
use hmac::{KeyInit, Mac};
use http::StatusCode;
use serde_json::json;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Builder, Totp};

use super::Runtime;
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::mail::{MailKind, Message};
use crate::routes::signed_in;
use crate::session::SessionCtx;
use crate::store::{Row, Timestamp, Value, Where, text_of as text};
use crate::wire::cookie::{CookieAttributes, SESSION_DATA, SESSION_TOKEN, SetCookie};
use crate::wire::id;
use crate::wire::key_hash::key_hash;
use crate::wire::symmetric;

const TWO_FACTOR_COOKIE: &str = "two_factor";
const TRUST_DEVICE_COOKIE: &str = "trust_device";
/// Failed verifications allowed per sign-in challenge (better-auth's `beginAttempt(5)`).
const ATTEMPTS_PER_CHALLENGE: u32 = 5;

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::TwoFactor,
    handlers: &[
        ("enableTwoFactor", |auth, ctx, session| {
            Box::pin(async move { enable(auth, ctx, signed_in(session)?).await })
        }),
        ("disableTwoFactor", |auth, ctx, session| {
            Box::pin(async move { disable(auth, ctx, signed_in(session)?).await })
        }),
        ("getTOTPURI", |auth, ctx, session| {
            Box::pin(async move { get_totp_uri(auth, ctx, signed_in(session)?).await })
        }),
        ("verifyTOTP", |auth, ctx, _| {
            Box::pin(verify_totp(auth, ctx))
        }),
        ("sendTwoFactorOTP", |auth, ctx, _| {
            Box::pin(send_otp(auth, ctx))
        }),
        ("verifyTwoFactorOTP", |auth, ctx, _| {
            Box::pin(verify_otp(auth, ctx))
        }),
        ("verifyBackupCode", |auth, ctx, _| {
            Box::pin(verify_backup_code(auth, ctx))
        }),
        ("generateBackupCodes", |auth, ctx, session| {
            Box::pin(async move { generate_backup_codes(auth, ctx, signed_in(session)?).await })
        }),
    ],
    sign_in_guard: Some(|auth, ctx, user, token| Box::pin(challenge(auth, ctx, user, token))),
    on_request: None,
    before: None,
    after: None,
    session_guard: None,
    database_hooks: None,
};

fn options(auth: &Auth) -> &Options {
    auth.inner.config.plugins.two_factor_options()
}

fn bad_request(code: auth_core::errors::ErrorCode) -> ApiError {
    ApiError::bad_request(code)
}

fn unauthorized(code: auth_core::errors::ErrorCode) -> ApiError {
    ApiError::base(StatusCode::UNAUTHORIZED, code)
}

fn enabled_on(user: &Row) -> bool {
    user.get(user::TWO_FACTOR_ENABLED)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

async fn find_row(auth: &Auth, user_id: &str) -> Result<Option<Row>, ApiError> {
    Ok(auth
        .inner
        .store
        .find_one(
            two_factor::MODEL,
            &[Where::eq(two_factor::USER_ID, user_id)],
        )
        .await?)
}

fn by_id(row: &Row) -> [Where; 1] {
    [Where::eq(two_factor::ID, text(row, two_factor::ID))]
}

/// better-auth's `shouldRequirePassword` then `validatePassword`: a password is required unless
/// `allow-passwordless` (and then still for a user who has one); missing or wrong is 400
/// `INVALID_PASSWORD`.
async fn check_password(
    auth: &Auth,
    ctx: &Ctx,
    user_id: &str,
    options: &Options,
) -> Result<(), ApiError> {
    let account = auth.credential_account(user_id).await?;
    if options.allow_passwordless && account.is_none() {
        return Ok(());
    }
    // Without `allow-passwordless` the body requires it (a validation error, as zod's).
    let password = if options.allow_passwordless {
        ctx.body.opt_str("password")?
    } else {
        Some(ctx.body.str("password")?)
    };
    let Some(password) = password else {
        return Err(bad_request(base::INVALID_PASSWORD));
    };
    let stored = account
        .as_ref()
        .and_then(|a| a.get(account::PASSWORD))
        .and_then(Value::as_str)
        .unwrap_or_default();
    if account.is_some() && auth.password_matches(stored, password).await? {
        Ok(())
    } else {
        Err(bad_request(base::INVALID_PASSWORD))
    }
}

/// Replaces the caller's session by a new one for the same user (after a change of
/// `twoFactorEnabled`): its cookie is set and the old session deleted. Returns the new token.
async fn rotate_session(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<String, ApiError> {
    let token = auth
        .start_session(ctx, session.user_id(), !session.dont_remember)
        .await?;
    auth.sessions().delete(session.token()).await?;
    Ok(token)
}

async fn set_enabled(auth: &Auth, user_id: &str, on: bool) -> Result<(), ApiError> {
    let mut changes = Row::new();
    changes.insert(user::TWO_FACTOR_ENABLED.into(), Value::Boolean(on));
    auth.inner
        .store
        .update(user::MODEL, &[Where::eq(user::ID, user_id)], changes)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Secrets, codes and the TOTP URI

/// The TOTP key: the decrypted secret's bytes (a `base32:` secret is decoded first).
fn totp_key(auth: &Auth, stored: &str) -> Result<Vec<u8>, ApiError> {
    let secret = symmetric::decrypt(&auth.inner.secret, stored).map_err(|error| {
        tracing::error!(%error, "two-factor secret cannot be decrypted");
        ApiError::unavailable("the two-factor secret")
    })?;
    match secret.strip_prefix("base32:") {
        Some(encoded) => base32::decode(
            base32::Alphabet::Rfc4648 { padding: false },
            &encoded.to_uppercase(),
        )
        .ok_or_else(|| ApiError::unavailable("the two-factor secret")),
        None => Ok(secret.into_bytes()),
    }
}

fn totp(options: &Options, key: Vec<u8>) -> Totp {
    // One step either side, as better-auth's `verifyTOTP` window.
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(u8::try_from(options.totp.digits).unwrap_or(6))
        .with_skew(1)
        .with_step_duration(options.totp.period.max(1))
        .with_secret(key)
        .build_noncompliant()
}

/// `otpauth://totp/<issuer>:<account>?secret=…&issuer=…&digits=…&period=…`, as better-auth's
/// `createOTP(secret).url(issuer, email)`.
fn totp_uri(options: &Options, issuer: &str, account: &str, key: &[u8]) -> String {
    let secret = base32::encode(base32::Alphabet::Rfc4648 { padding: false }, key);
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("secret", &secret)
        .append_pair("issuer", issuer)
        .append_pair("digits", &options.totp.digits.to_string())
        .append_pair("period", &options.totp.period.to_string())
        .finish();
    format!(
        "otpauth://totp/{}:{}?{query}",
        crate::wire::cookie::encode_uri_component(issuer),
        crate::wire::cookie::encode_uri_component(account)
    )
}

fn issuer(auth: &Auth, options: &Options, given: Option<&str>) -> String {
    given
        .map(str::to_owned)
        .or_else(|| options.issuer.clone())
        .or_else(|| auth.inner.config.app_name.clone())
        .unwrap_or_else(|| "Better Auth".to_owned())
}

/// `amount` codes of `length` characters over `[a-zA-Z0-9]`, split after the fifth by `-`.
fn new_backup_codes(options: &Options) -> Vec<String> {
    (0..options.backup_codes.amount)
        .map(|_| {
            let code = id::generate_with_len(options.backup_codes.length);
            let (head, tail) = code.split_at(code.len().min(5));
            format!("{head}-{tail}")
        })
        .collect()
}

fn encode_backup_codes(auth: &Auth, options: &Options, codes: &[String]) -> String {
    let json = serde_json::to_string(codes).unwrap_or_default();
    match options.backup_codes.store {
        StoreBackupCodes::Encrypted => symmetric::encrypt(&auth.inner.secret, &json),
        StoreBackupCodes::Plain => json,
    }
}

fn decode_backup_codes(auth: &Auth, options: &Options, stored: &str) -> Option<Vec<String>> {
    let json = match options.backup_codes.store {
        StoreBackupCodes::Encrypted => symmetric::decrypt(&auth.inner.secret, stored).ok()?,
        StoreBackupCodes::Plain => stored.to_owned(),
    };
    serde_json::from_str(&json).ok()
}

/// HMAC-SHA256 of `message` under the secret, base64url without padding (the trusted device's
/// token).
fn trust_token(auth: &Auth, message: &str) -> String {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(auth.inner.secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

// ---------------------------------------------------------------------------------------------
// Cookies

fn cookie_attributes(auth: &Auth, max_age: Option<u64>) -> CookieAttributes {
    CookieAttributes {
        max_age,
        ..auth.inner.cookies.attributes()
    }
}

fn set_signed_cookie(auth: &Auth, ctx: &mut Ctx, cookie: &str, value: &str, max_age: u64) {
    let inner = &auth.inner;
    ctx.set_cookies.push(SetCookie::signed(
        inner.cookies.name(cookie),
        value,
        &inner.secret,
        cookie_attributes(auth, Some(max_age)),
    ));
}

fn expire_cookie(auth: &Auth, ctx: &mut Ctx, cookie: &str, max_age: Option<u64>) {
    let attributes = cookie_attributes(auth, max_age);
    ctx.set_cookies.push(SetCookie::expired(
        auth.inner.cookies.name(cookie),
        attributes,
    ));
}

fn signed_cookie(auth: &Auth, ctx: &Ctx, cookie: &str) -> Option<String> {
    ctx.cookies
        .get_signed(&auth.inner.cookies.name(cookie), &auth.inner.secret)
}

/// A new trusted device for `user_id`: its value in `verification` and its cookie; expires
/// `dont_remember` (a trusted device is remembered).
async fn trust_device(auth: &Auth, ctx: &mut Ctx, user_id: &str) -> Result<(), ApiError> {
    let max_age = options(auth).trust_device_max_age;
    let identifier = format!("trust-device-{}", id::generate_url_safe(32));
    let token = trust_token(auth, &format!("{user_id}!{identifier}"));
    let expires_at = Timestamp::now().plus_millis(seconds_to_millis(max_age));
    auth.verifications()
        .create(&identifier, user_id, expires_at)
        .await?;
    set_signed_cookie(
        auth,
        ctx,
        TRUST_DEVICE_COOKIE,
        &format!("{token}!{identifier}"),
        max_age,
    );
    ctx.set_cookies.push(SetCookie::expired(
        auth.inner.dont_remember_cookie.clone(),
        auth.inner.cookies.attributes(),
    ));
    Ok(())
}

fn seconds_to_millis(seconds: u64) -> i64 {
    i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// The trusted-device identifier of the request's cookie, when its HMAC is the secret's for
/// `user_id`.
fn trusted_identifier(auth: &Auth, ctx: &Ctx, user_id: &str) -> Option<(bool, String)> {
    let value = signed_cookie(auth, ctx, TRUST_DEVICE_COOKIE)?;
    let (token, identifier) = value.split_once('!')?;
    let genuine = !token.is_empty()
        && !identifier.is_empty()
        && bool::from(
            token
                .as_bytes()
                .ct_eq(trust_token(auth, &format!("{user_id}!{identifier}")).as_bytes()),
        );
    Some((genuine, identifier.to_owned()))
}

// ---------------------------------------------------------------------------------------------
// The sign-in challenge

/// After a password sign-in created session `token` for `user`: nothing for a user without a
/// second factor or on a trusted device (whose cookie is renewed); otherwise the session is taken
/// back and the answer is the challenge `{twoFactorRedirect, twoFactorMethods}` with the
/// `two_factor` cookie.
async fn challenge(
    auth: &Auth,
    ctx: &mut Ctx,
    user: &Row,
    token: &str,
) -> Result<Option<Reply>, ApiError> {
    if !enabled_on(user) {
        return Ok(None);
    }
    let options = options(auth);
    let user_id = text(user, user::ID);
    let trusted = trusted_identifier(auth, ctx, user_id);
    if let Some((true, identifier)) = &trusted
        && let Some(row) = auth.verifications().find(identifier).await?
        && crate::verification::live(&row)
        && text(&row, verification::VALUE) == user_id
    {
        auth.verifications().remove(identifier).await?;
        trust_device(auth, ctx, user_id).await?;
        // A trusted sign-in keeps `dont_remember` as the sign-in set it.
        ctx.set_cookies.pop();
        return Ok(None);
    }
    if trusted.is_some() {
        expire_cookie(
            auth,
            ctx,
            TRUST_DEVICE_COOKIE,
            Some(options.trust_device_max_age),
        );
    }
    // better-auth's `deleteSessionCookie(ctx, true)`: the session's cookies go, `dont_remember`
    // stays for the session the verification creates.
    let gone = [
        auth.inner.session_cookie.as_str(),
        auth.inner.session_data_cookie.as_str(),
    ];
    ctx.set_cookies.retain(|c| !gone.contains(&c.name.as_str()));
    for cookie in [SESSION_TOKEN, SESSION_DATA] {
        ctx.set_cookies.push(SetCookie::expired(
            auth.inner.cookies.name(cookie),
            auth.inner.cookies.attributes(),
        ));
    }
    auth.sessions().delete(token).await?;
    ctx.new_session = None;
    let max_age = options.two_factor_cookie_max_age;
    let identifier = format!("2fa-{}", id::generate_url_safe(20));
    let expires_at = Timestamp::now().plus_millis(seconds_to_millis(max_age));
    auth.verifications()
        .create(&identifier, user_id, expires_at)
        .await?;
    auth.verifications()
        .create(&format!("2fa-attempts-{identifier}"), "0", expires_at)
        .await?;
    set_signed_cookie(auth, ctx, TWO_FACTOR_COOKIE, &identifier, max_age);
    let mut methods = Vec::new();
    if !options.totp.disable
        && find_row(auth, user_id).await?.is_some_and(|row| {
            row.get(two_factor::VERIFIED).and_then(Value::as_bool) != Some(false)
        })
    {
        methods.push("totp");
    }
    if options.otp.is_some() {
        methods.push("otp");
    }
    Ok(Some(Reply::json(
        json!({ "twoFactorRedirect": true, "twoFactorMethods": methods }),
    )))
}

/// Who is verifying a second factor: a signed-in user (setting it up), or a sign-in
/// challenge (`two_factor` cookie).
enum Caller {
    SignedIn(SessionCtx),
    Challenge {
        identifier: String,
        user: Row,
        expires_at: Timestamp,
    },
}

impl Caller {
    fn user(&self) -> &Row {
        match self {
            Self::SignedIn(session) => &session.user,
            Self::Challenge { user, .. } => user,
        }
    }

    fn is_sign_in(&self) -> bool {
        matches!(self, Self::Challenge { .. })
    }

    /// The key of a mailed code: the challenge, or `<userId>!<sessionId>`.
    fn otp_key(&self) -> String {
        match self {
            Self::SignedIn(session) => {
                format!(
                    "{}!{}",
                    session.user_id(),
                    text(&session.session, session::ID)
                )
            }
            Self::Challenge { identifier, .. } => identifier.clone(),
        }
    }
}

/// better-auth's `verifyTwoFactor`: the request's session, else its challenge; 401
/// `INVALID_TWO_FACTOR_COOKIE` without either.
async fn caller(auth: &Auth, ctx: &mut Ctx) -> Result<Caller, ApiError> {
    if let Some(session) = auth.authoritative_session(ctx).await? {
        return Ok(Caller::SignedIn(session));
    }
    let invalid = || unauthorized(declared::INVALID_TWO_FACTOR_COOKIE);
    let identifier = signed_cookie(auth, ctx, TWO_FACTOR_COOKIE).ok_or_else(invalid)?;
    let row = auth
        .verifications()
        .find(&identifier)
        .await?
        .filter(crate::verification::live)
        .ok_or_else(invalid)?;
    let user = auth
        .inner
        .store
        .find_one(
            user::MODEL,
            &[Where::eq(user::ID, text(&row, verification::VALUE))],
        )
        .await?
        .ok_or_else(invalid)?;
    let expires_at = row
        .get(verification::EXPIRES_AT)
        .and_then(Value::as_date)
        .unwrap_or_else(Timestamp::now);
    Ok(Caller::Challenge {
        identifier,
        user,
        expires_at,
    })
}

/// One attempt of a challenge: at most [`ATTEMPTS_PER_CHALLENGE`] failures, then the challenge
/// is dead (400 `TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE`, its cookie expired).
struct Attempt {
    identifier: String,
    failures: u32,
    expires_at: Timestamp,
}

impl Attempt {
    async fn begin(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Option<Self>, ApiError> {
        let Caller::Challenge {
            identifier,
            expires_at,
            ..
        } = caller
        else {
            return Ok(None);
        };
        let key = format!("2fa-attempts-{identifier}");
        let consumed = auth
            .verifications()
            .consume(&key)
            .await?
            .ok_or_else(|| unauthorized(declared::INVALID_TWO_FACTOR_COOKIE))?;
        let failures = text(&consumed, verification::VALUE)
            .parse::<u32>()
            .unwrap_or(ATTEMPTS_PER_CHALLENGE);
        if failures >= ATTEMPTS_PER_CHALLENGE {
            auth.verifications().consume(identifier).await?;
            expire_cookie(auth, ctx, TWO_FACTOR_COOKIE, None);
            return Err(bad_request(declared::TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE));
        }
        Ok(Some(Self {
            identifier: key,
            failures,
            expires_at: *expires_at,
        }))
    }

    async fn rearm(&self, auth: &Auth, failures: u32) -> Result<(), ApiError> {
        auth.verifications()
            .create(&self.identifier, &failures.to_string(), self.expires_at)
            .await
    }

    async fn failed(&self, auth: &Auth) -> Result<(), ApiError> {
        self.rearm(auth, self.failures + 1).await
    }

    async fn restore(&self, auth: &Auth) -> Result<(), ApiError> {
        self.rearm(auth, self.failures).await
    }
}

/// 429 `ACCOUNT_TEMPORARILY_LOCKED` while the row is locked; a lock that has run out is lifted.
async fn check_lock(auth: &Auth, row: &Row) -> Result<(), ApiError> {
    if !options(auth).account_lockout.enabled {
        return Ok(());
    }
    let Some(until) = row.get(two_factor::LOCKED_UNTIL).and_then(Value::as_date) else {
        return Ok(());
    };
    if until.millis() > Timestamp::now().millis() {
        return Err(ApiError::base(
            StatusCode::TOO_MANY_REQUESTS,
            declared::ACCOUNT_TEMPORARILY_LOCKED,
        ));
    }
    reset_failures(auth, row).await
}

/// Counts a failed verification on the row; at the maximum the row locks.
async fn record_failure(auth: &Auth, row: &Row) -> Result<(), ApiError> {
    let lockout = &options(auth).account_lockout;
    if !lockout.enabled {
        return Ok(());
    }
    let store = &auth.inner.store;
    store
        .increment(
            two_factor::MODEL,
            &by_id(row),
            two_factor::FAILED_VERIFICATION_COUNT,
            Row::new(),
        )
        .await?;
    let mut lock = Row::new();
    lock.insert(
        two_factor::LOCKED_UNTIL.into(),
        Value::Date(Timestamp::now().plus_millis(seconds_to_millis(lockout.duration_seconds))),
    );
    store
        .update(
            two_factor::MODEL,
            &[
                Where::eq(two_factor::ID, text(row, two_factor::ID)),
                Where::gte(
                    two_factor::FAILED_VERIFICATION_COUNT,
                    i64::from(lockout.max_failed_attempts),
                ),
            ],
            lock,
        )
        .await?;
    Ok(())
}

async fn reset_failures(auth: &Auth, row: &Row) -> Result<(), ApiError> {
    if !options(auth).account_lockout.enabled {
        return Ok(());
    }
    let mut reset = Row::new();
    reset.insert(
        two_factor::FAILED_VERIFICATION_COUNT.into(),
        Value::Integer(0),
    );
    reset.insert(two_factor::LOCKED_UNTIL.into(), Value::Null);
    auth.inner
        .store
        .update(two_factor::MODEL, &by_id(row), reset)
        .await?;
    Ok(())
}

/// A verification succeeded: a challenge becomes a session (remembered unless the sign-in said
/// otherwise; the device trusted when asked); a signed-in caller keeps its session.
async fn finish(auth: &Auth, ctx: &mut Ctx, caller: Caller) -> Result<Reply, ApiError> {
    let (identifier, user) = match caller {
        Caller::SignedIn(session) => {
            return Ok(Reply::json(json!({
                "token": session.token(),
                "user": auth.output(user::MODEL, &session.user),
            })));
        }
        Caller::Challenge {
            identifier, user, ..
        } => (identifier, user),
    };
    let user_id = text(&user, user::ID);
    let consumed = auth.verifications().consume(&identifier).await?;
    if consumed.is_none_or(|row| text(&row, verification::VALUE) != user_id) {
        expire_cookie(auth, ctx, TWO_FACTOR_COOKIE, None);
        return Err(unauthorized(declared::INVALID_TWO_FACTOR_COOKIE));
    }
    let remember = ctx
        .cookies
        .get_signed(&auth.inner.dont_remember_cookie, &auth.inner.secret)
        .is_none();
    let token = auth.start_session(ctx, user_id, remember).await?;
    expire_cookie(auth, ctx, TWO_FACTOR_COOKIE, None);
    if ctx.body.opt_bool("trustDevice")?.unwrap_or(false) {
        trust_device(auth, ctx, user_id).await?;
    }
    Ok(Reply::json(
        json!({ "token": token, "user": auth.output(user::MODEL, &user) }),
    ))
}

// ---------------------------------------------------------------------------------------------
// Handlers

async fn enable(auth: &Auth, ctx: &mut Ctx, session: SessionCtx) -> Result<Reply, ApiError> {
    let options = options(auth);
    let user_id = session.user_id().to_owned();
    check_password(auth, ctx, &user_id, options).await?;
    let method = ctx.body.opt_str("method")?.unwrap_or("totp").to_owned();
    let issuer_given = ctx.body.opt_str("issuer")?.map(str::to_owned);
    match method.as_str() {
        "otp" => {
            if options.otp.is_none() {
                return Err(otp_not_configured());
            }
            set_enabled(auth, &user_id, true).await?;
            rotate_session(auth, ctx, &session).await?;
            return Ok(Reply::json(json!({ "method": "otp" })));
        }
        "totp" if options.totp.disable => {
            return Err(bad_request(declared::TOTP_NOT_CONFIGURED));
        }
        "totp" => {}
        _ => {
            return Err(ApiError::validation(
                "[body.method] Invalid option: expected one of \"otp\"|\"totp\"",
            ));
        }
    }
    let existing = find_row(auth, &user_id).await?;
    if existing
        .as_ref()
        .is_some_and(|row| row.get(two_factor::VERIFIED).and_then(Value::as_bool) != Some(false))
    {
        return Err(bad_request(declared::TOTP_ALREADY_ENABLED));
    }
    let codes = new_backup_codes(options);
    let secret = id::generate_url_safe(32);
    if options.skip_verification_on_enable {
        set_enabled(auth, &user_id, true).await?;
        rotate_session(auth, ctx, &session).await?;
    }
    let mut row = Row::new();
    row.insert(
        two_factor::SECRET.into(),
        Value::String(symmetric::encrypt(&auth.inner.secret, &secret)),
    );
    row.insert(
        two_factor::BACKUP_CODES.into(),
        Value::String(encode_backup_codes(auth, options, &codes)),
    );
    row.insert(
        two_factor::VERIFIED.into(),
        Value::Boolean(options.skip_verification_on_enable),
    );
    let store = &auth.inner.store;
    match &existing {
        Some(existing) => {
            store
                .update(two_factor::MODEL, &by_id(existing), row)
                .await?;
        }
        None => {
            row.insert(two_factor::USER_ID.into(), Value::String(user_id.clone()));
            store.insert(two_factor::MODEL, row).await?;
        }
    }
    let issuer = issuer(auth, options, issuer_given.as_deref());
    let uri = totp_uri(
        options,
        &issuer,
        text(&session.user, user::EMAIL),
        secret.as_bytes(),
    );
    Ok(Reply::json(
        json!({ "method": "totp", "totpURI": uri, "backupCodes": codes }),
    ))
}

fn otp_not_configured() -> ApiError {
    ApiError::coded(
        StatusCode::BAD_REQUEST,
        declared::OTP_NOT_CONFIGURED,
        "otp isn't configured",
    )
}

fn totp_not_configured() -> ApiError {
    ApiError::coded(
        StatusCode::BAD_REQUEST,
        declared::TOTP_NOT_CONFIGURED,
        "totp isn't configured",
    )
}

async fn disable(auth: &Auth, ctx: &mut Ctx, session: SessionCtx) -> Result<Reply, ApiError> {
    let options = options(auth);
    let user_id = session.user_id().to_owned();
    check_password(auth, ctx, &user_id, options).await?;
    set_enabled(auth, &user_id, false).await?;
    auth.inner
        .store
        .delete(
            two_factor::MODEL,
            &[Where::eq(two_factor::USER_ID, user_id.as_str())],
        )
        .await?;
    rotate_session(auth, ctx, &session).await?;
    if let Some(value) = signed_cookie(auth, ctx, TRUST_DEVICE_COOKIE) {
        if let Some((_, identifier)) = value.split_once('!') {
            auth.verifications().remove(identifier).await?;
        }
        expire_cookie(
            auth,
            ctx,
            TRUST_DEVICE_COOKIE,
            Some(options.trust_device_max_age),
        );
    }
    Ok(crate::http::status_true())
}

async fn totp_uri_of(auth: &Auth, ctx: &Ctx, session: &SessionCtx) -> Result<String, ApiError> {
    let options = options(auth);
    if options.totp.disable {
        return Err(totp_not_configured());
    }
    let row = find_row(auth, session.user_id())
        .await?
        .ok_or_else(|| bad_request(declared::TOTP_NOT_ENABLED))?;
    let key = totp_key(auth, text(&row, two_factor::SECRET))?;
    check_password(auth, ctx, session.user_id(), options).await?;
    let issuer = issuer(auth, options, None);
    Ok(totp_uri(
        options,
        &issuer,
        text(&session.user, user::EMAIL),
        &key,
    ))
}

async fn get_totp_uri(auth: &Auth, ctx: &mut Ctx, session: SessionCtx) -> Result<Reply, ApiError> {
    let uri = totp_uri_of(auth, ctx, &session).await?;
    Ok(Reply::json(json!({ "totpURI": uri })))
}

async fn verify_totp(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let options = options(auth);
    if options.totp.disable {
        return Err(totp_not_configured());
    }
    let code = ctx.body.str("code")?.to_owned();
    let caller = caller(auth, ctx).await?;
    let user_id = text(caller.user(), user::ID).to_owned();
    let row = find_row(auth, &user_id)
        .await?
        .ok_or_else(|| bad_request(declared::TOTP_NOT_ENABLED))?;
    let verified = row.get(two_factor::VERIFIED).and_then(Value::as_bool) != Some(false);
    if caller.is_sign_in() && !verified {
        return Err(bad_request(declared::TOTP_NOT_ENABLED));
    }
    if caller.is_sign_in() {
        check_lock(auth, &row).await?;
    }
    let attempt = Attempt::begin(auth, ctx, &caller).await?;
    let key = match totp_key(auth, text(&row, two_factor::SECRET)) {
        Ok(key) => key,
        Err(error) => {
            if let Some(attempt) = &attempt {
                attempt.restore(auth).await?;
            }
            return Err(error);
        }
    };
    let valid = totp(options, key).check_current(&code).is_some();
    if !valid {
        if let Some(attempt) = &attempt {
            attempt.failed(auth).await?;
        }
        if caller.is_sign_in() {
            record_failure(auth, &row).await?;
        }
        return Err(unauthorized(declared::INVALID_CODE));
    }
    if caller.is_sign_in() {
        reset_failures(auth, &row).await?;
    }
    if !verified {
        if let Caller::SignedIn(session) = &caller
            && !enabled_on(&session.user)
        {
            set_enabled(auth, &user_id, true).await?;
            rotate_session(auth, ctx, session).await?;
        }
        let mut changes = Row::new();
        changes.insert(two_factor::VERIFIED.into(), Value::Boolean(true));
        auth.inner
            .store
            .update(two_factor::MODEL, &by_id(&row), changes)
            .await?;
    }
    finish(auth, ctx, caller).await
}

async fn send_otp(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let Some(otp) = &options(auth).otp else {
        return Err(otp_not_configured());
    };
    let caller = caller(auth, ctx).await?;
    let code = id::generate_digits(otp.digits as usize);
    let stored = match otp.store_otp {
        StoreOtp::Plain => code.clone(),
        StoreOtp::Hashed => key_hash(&code),
        StoreOtp::Encrypted => symmetric::encrypt(&auth.inner.secret, &code),
    };
    let expires_at = Timestamp::now().plus_millis(seconds_to_millis(otp.period.saturating_mul(60)));
    auth.verifications()
        .create(
            &format!("2fa-otp-{}", caller.otp_key()),
            &format!("{stored}:0"),
            expires_at,
        )
        .await?;
    let to = text(caller.user(), user::EMAIL).to_owned();
    auth.submit_mail(Message::code(MailKind::TwoFactorOtp, to, code))
        .await?;
    Ok(crate::http::status_true())
}

async fn verify_otp(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let options = options(auth);
    let code = ctx.body.str("code")?.to_owned();
    let caller = caller(auth, ctx).await?;
    let user_id = text(caller.user(), user::ID).to_owned();
    let row = if caller.is_sign_in() {
        find_row(auth, &user_id).await?
    } else {
        None
    };
    if let Some(row) = &row {
        check_lock(auth, row).await?;
    }
    let identifier = format!("2fa-otp-{}", caller.otp_key());
    let consumed = auth
        .verifications()
        .consume(&identifier)
        .await?
        .ok_or_else(|| bad_request(declared::OTP_HAS_EXPIRED))?;
    let value = text(&consumed, verification::VALUE);
    let (stored, counter) = value.rsplit_once(':').unwrap_or((value, "0"));
    let attempts = counter.parse::<u32>().unwrap_or(0);
    let allowed = options.otp.as_ref().map_or(5, |o| o.allowed_attempts);
    if attempts >= allowed {
        return Err(bad_request(declared::TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE));
    }
    let store = options
        .otp
        .as_ref()
        .map_or(StoreOtp::Plain, |o| o.store_otp);
    let (expected, given) = match store {
        StoreOtp::Plain => (stored.to_owned(), code.clone()),
        StoreOtp::Hashed => (stored.to_owned(), key_hash(&code)),
        StoreOtp::Encrypted => (
            symmetric::decrypt(&auth.inner.secret, stored).unwrap_or_default(),
            code.clone(),
        ),
    };
    if !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        if let Some(row) = &row {
            reset_failures(auth, row).await?;
        }
        if !enabled_on(caller.user()) {
            let Caller::SignedIn(session) = &caller else {
                return Err(bad_request(base::FAILED_TO_CREATE_SESSION));
            };
            set_enabled(auth, &user_id, true).await?;
            let token = rotate_session(auth, ctx, session).await?;
            let user = auth
                .inner
                .store
                .find_one(user::MODEL, &[Where::eq(user::ID, user_id.as_str())])
                .await?
                .unwrap_or_else(|| Row::clone(&session.user));
            return Ok(Reply::json(
                json!({ "token": token, "user": auth.output(user::MODEL, &user) }),
            ));
        }
        return finish(auth, ctx, caller).await;
    }
    let expires_at = consumed
        .get(verification::EXPIRES_AT)
        .and_then(Value::as_date)
        .unwrap_or_else(Timestamp::now);
    auth.verifications()
        .create(
            &identifier,
            &format!("{stored}:{}", attempts + 1),
            expires_at,
        )
        .await?;
    if let Some(row) = &row {
        record_failure(auth, row).await?;
    }
    Err(unauthorized(declared::INVALID_CODE))
}

async fn verify_backup_code(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let options = options(auth);
    let code = ctx.body.str("code")?.to_owned();
    let disable_session = ctx.body.opt_bool("disableSession")?.unwrap_or(false);
    let caller = caller(auth, ctx).await?;
    let user_id = text(caller.user(), user::ID).to_owned();
    let row = find_row(auth, &user_id)
        .await?
        .ok_or_else(|| bad_request(declared::BACKUP_CODES_NOT_ENABLED))?;
    if caller.is_sign_in() {
        check_lock(auth, &row).await?;
    }
    let attempt = Attempt::begin(auth, ctx, &caller).await?;
    let stored = text(&row, two_factor::BACKUP_CODES).to_owned();
    let codes = decode_backup_codes(auth, options, &stored);
    let Some(codes) = codes.filter(|codes| codes.contains(&code)) else {
        if let Some(attempt) = &attempt {
            attempt.failed(auth).await?;
        }
        if caller.is_sign_in() {
            record_failure(auth, &row).await?;
        }
        return Err(unauthorized(declared::INVALID_BACKUP_CODE));
    };
    let left: Vec<String> = codes.into_iter().filter(|c| *c != code).collect();
    let mut changes = Row::new();
    changes.insert(
        two_factor::BACKUP_CODES.into(),
        Value::String(encode_backup_codes(auth, options, &left)),
    );
    // Compare-and-set on the column: of concurrent uses of one code, one wins.
    let updated = auth
        .inner
        .store
        .update(
            two_factor::MODEL,
            &[
                Where::eq(two_factor::ID, text(&row, two_factor::ID)),
                Where::eq(two_factor::BACKUP_CODES, stored.as_str()),
            ],
            changes,
        )
        .await?;
    if updated == 0 {
        if let Some(attempt) = &attempt {
            attempt.restore(auth).await?;
        }
        return Err(ApiError::message_only(
            StatusCode::CONFLICT,
            "Failed to verify backup code. Please try again.",
        ));
    }
    if caller.is_sign_in() {
        reset_failures(auth, &row).await?;
    }
    if disable_session && let Caller::SignedIn(session) = &caller {
        return Ok(Reply::json(json!({
            "token": session.token(),
            "user": auth.output(user::MODEL, &session.user),
        })));
    }
    finish(auth, ctx, caller).await
}

async fn generate_backup_codes(
    auth: &Auth,
    ctx: &mut Ctx,
    session: SessionCtx,
) -> Result<Reply, ApiError> {
    let options = options(auth);
    if !enabled_on(&session.user) {
        return Err(bad_request(declared::TWO_FACTOR_NOT_ENABLED));
    }
    check_password(auth, ctx, session.user_id(), options).await?;
    let row = find_row(auth, session.user_id())
        .await?
        .ok_or_else(|| bad_request(declared::TWO_FACTOR_NOT_ENABLED))?;
    let codes = new_backup_codes(options);
    let mut changes = Row::new();
    changes.insert(
        two_factor::BACKUP_CODES.into(),
        Value::String(encode_backup_codes(auth, options, &codes)),
    );
    auth.inner
        .store
        .update(two_factor::MODEL, &by_id(&row), changes)
        .await?;
    Ok(Reply::json(json!({ "status": true, "backupCodes": codes })))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's SHA-1 vector (key "12345678901234567890", 8 digits, T = 59 s).
    #[test]
    fn totp_is_rfc_6238() {
        let mut options = Options::default();
        options.totp.digits = 8;
        let totp = totp(&options, b"12345678901234567890".to_vec());
        assert_eq!(totp.generate(59).to_string(), "94287082");
        assert!(
            totp.check("94287082", 59 + 30).is_some(),
            "one step later still passes"
        );
        assert!(
            totp.check("94287082", 59 + 61).is_none(),
            "two steps later fails"
        );
    }

    /// better-auth's URI for a secret (`createOTP(secret).url("My App", "a@example.com")`).
    #[test]
    fn uri_is_better_auths() {
        let uri = totp_uri(&Options::default(), "My App", "a@example.com", b"secret");
        assert_eq!(
            uri,
            "otpauth://totp/My%20App:a%40example.com?secret=ONSWG4TFOQ&issuer=My+App&digits=6&period=30"
        );
    }

    #[test]
    fn backup_codes_are_ten_by_five_dash_five() {
        let codes = new_backup_codes(&Options::default());
        assert_eq!(codes.len(), 10);
        for code in codes {
            let (head, tail) = code.split_once('-').unwrap_or_else(|| panic!("{code}"));
            assert_eq!((head.len(), tail.len()), (5, 5), "{code}");
            assert!(
                code.replace('-', "")
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric())
            );
        }
    }
}
