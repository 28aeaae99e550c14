//! phone-number at run time, as better-auth 1.7.25's `phoneNumber` plugin: codes of
//! `otp-length` digits sent by SMS (`[sms]`) to verify a number — signing its user in, signing
//! a new one up, or attaching it to the signed-in user — and to reset a password; sign-in by
//! number and password. Codes are kept as better-auth keeps them, `phone-number-otp-<number>`
//! and `phone-number-reset-<number>` → `<code>:<wrong answers so far>`, so either server checks
//! the other's.
//!
//! A number is set only by verifying it: a sign-up (or any other endpoint) carrying one is 400
//! `PHONE_NUMBER_CANNOT_BE_SET`, update-user 400 `PHONE_NUMBER_CANNOT_BE_UPDATED` (clearing it
//! with `null` is allowed and clears its verification).

use auth_core::endpoints::Endpoint;
use auth_core::errors::base;
use auth_core::plugins::email_otp::StoreOtp;
use auth_core::plugins::phone_number::{self as declared, Options, Validator};
use auth_core::schema::Plugin;
use auth_core::schema::names::{session, user};
use http::StatusCode;
use serde_json::{Value as Json, json};

use super::otp::{self, OnSuccess, Rules};
use super::{Runtime, request_user};
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::mail::{MailKind, Message};
use crate::routes::{PasswordSignIn, model_input};
use crate::session::SessionCtx;
use crate::store::{Row, Value, Where, text};

const UPDATE_USER: &str = "updateUser";

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::PhoneNumber,
    handlers: &[
        ("signInPhoneNumber", |auth, ctx, _| {
            Box::pin(sign_in(auth, ctx))
        }),
        ("sendPhoneNumberOTP", |auth, ctx, _| {
            Box::pin(send_otp(auth, ctx))
        }),
        ("verifyPhoneNumber", |auth, ctx, session| {
            Box::pin(verify(auth, ctx, session))
        }),
        ("requestPasswordResetPhoneNumber", |auth, ctx, _| {
            Box::pin(request_password_reset(auth, ctx))
        }),
        ("resetPasswordPhoneNumber", |auth, ctx, _| {
            Box::pin(reset_password(auth, ctx))
        }),
    ],
    sign_in_guard: None,
    session_guard: None,
    database_hooks: None,
    on_request: None,
    before: Some(|auth, endpoint, ctx| Box::pin(before(auth, endpoint, ctx))),
    after: None,
};

fn options(auth: &Auth) -> &Options {
    auth.inner.config.plugins.phone_number_options()
}

/// The plugin's rules for its codes: kept plain, as better-auth keeps them.
fn rules(options: &Options) -> Rules {
    Rules {
        length: options.otp_length,
        expires_in: options.expires_in,
        allowed_attempts: options.allowed_attempts,
        store: StoreOtp::Plain,
        errors: otp::Errors {
            missing: declared::OTP_NOT_FOUND,
            expired: declared::OTP_EXPIRED,
            invalid: declared::INVALID_OTP,
            too_many: declared::TOO_MANY_ATTEMPTS,
        },
    }
}

fn otp_identifier(phone: &str) -> String {
    format!("phone-number-otp-{phone}")
}

fn reset_identifier(phone: &str) -> String {
    format!("phone-number-reset-{phone}")
}

/// 400 `INVALID_PHONE_NUMBER` unless `phone-number-validator` accepts `phone`.
fn validate(options: &Options, phone: &str) -> Result<(), ApiError> {
    if options.phone_number_validator.accepts(phone) {
        Ok(())
    } else {
        Err(ApiError::bad_request(declared::INVALID_PHONE_NUMBER))
    }
}

fn is_verified(user: &Row) -> bool {
    user.get(user::PHONE_NUMBER_VERIFIED)
        .and_then(Value::as_bool)
        == Some(true)
}

async fn find_by_phone(auth: &Auth, phone: &str) -> Result<Option<Row>, ApiError> {
    Ok(auth
        .inner
        .store
        .find_one(user::MODEL, &[Where::eq(user::PHONE_NUMBER, phone)])
        .await?)
}

async fn find_by_id(auth: &Auth, id: &str) -> Result<Row, ApiError> {
    auth.inner
        .store
        .find_one(user::MODEL, &[Where::eq(user::ID, id)])
        .await?
        .ok_or_else(|| ApiError::bad_request(base::USER_NOT_FOUND))
}

/// Sends `code` to `phone` through `[sms]` (named after the application); without a sender
/// nothing is sent, as better-auth without `sendOTP`/`sendPasswordResetOTP`. 503 when the
/// queue refuses it.
async fn send_sms(auth: &Auth, kind: MailKind, phone: &str, code: String) -> Result<(), ApiError> {
    let Some(queue) = &auth.inner.sms else {
        return Ok(());
    };
    let sms = auth.render_message(&Message::code(kind, phone, code))?;
    queue
        .submit(sms)
        .await
        .map_err(|_| ApiError::unavailable("the SMS gateway"))
}

async fn send_otp(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let phone = ctx.body.str("phoneNumber")?.to_owned();
    if auth.inner.sms.is_none() {
        return Err(ApiError::base(
            StatusCode::NOT_IMPLEMENTED,
            declared::SEND_OTP_NOT_IMPLEMENTED,
        ));
    }
    let options = options(auth);
    validate(options, &phone)?;
    let code = rules(options)
        .store_new_code(auth, &otp_identifier(&phone))
        .await?;
    send_sms(auth, MailKind::SmsOtp, &phone, code).await?;
    Ok(Reply::json(json!({ "message": "code sent" })))
}

/// `{status, token, user}`, the answer of a verification.
fn verified(auth: &Auth, token: Option<&str>, user: &Row) -> Reply {
    Reply::json(json!({
        "status": true, "token": token, "user": auth.output(user::MODEL, user),
    }))
}

async fn verify(
    auth: &Auth,
    ctx: &mut Ctx,
    session: Option<SessionCtx>,
) -> Result<Reply, ApiError> {
    let phone = ctx.body.str("phoneNumber")?.to_owned();
    let code = ctx.body.str("code")?.to_owned();
    let disable_session = ctx.body.opt_bool("disableSession")?.unwrap_or(false);
    let update = ctx.body.opt_bool("updatePhoneNumber")?.unwrap_or(false);
    let options = options(auth);
    rules(options)
        .check(auth, &otp_identifier(&phone), &code, OnSuccess::Consume)
        .await?;
    let mut changes = Row::new();
    changes.insert(user::PHONE_NUMBER_VERIFIED.into(), Value::Boolean(true));
    if update {
        let Some(session) = session else {
            return Err(ApiError::base(
                StatusCode::UNAUTHORIZED,
                base::USER_NOT_FOUND,
            ));
        };
        if find_by_phone(auth, &phone).await?.is_some() {
            return Err(ApiError::bad_request(declared::PHONE_NUMBER_EXIST));
        }
        changes.insert(user::PHONE_NUMBER.into(), Value::String(phone));
        auth.update_user(session.user_id(), changes).await?;
        let user = find_by_id(auth, session.user_id()).await?;
        let token = text(&session.session, session::TOKEN);
        return Ok(verified(auth, Some(&token), &user));
    }
    let user = match find_by_phone(auth, &phone).await? {
        Some(found) => {
            let id = text(&found, user::ID);
            auth.update_user(&id, changes).await?;
            find_by_id(auth, &id).await?
        }
        None => sign_up(auth, ctx, options, &phone).await?,
    };
    if disable_session {
        return Ok(verified(auth, None, &user));
    }
    let token = auth
        .start_session(ctx, &text(&user, user::ID), true)
        .await?;
    Ok(verified(auth, Some(&token), &user))
}

/// The user of a verified number that has none, with `sign-up-on-verification`: the body's
/// extra fields, the templates' email and name, the number verified, the email not, no
/// password. Without the option better-auth fails with `FAILED_TO_UPDATE_USER` (a 500 there).
async fn sign_up(auth: &Auth, ctx: &Ctx, options: &Options, phone: &str) -> Result<Row, ApiError> {
    let Some(sign_up) = &options.sign_up_on_verification else {
        return Err(ApiError::bad_request(base::FAILED_TO_UPDATE_USER));
    };
    let mut row = model_input(auth, user::MODEL, &ctx.body, false)?;
    let email = sign_up.temp_email.render(phone).to_lowercase();
    if auth.find_user_by_email(&email).await?.is_some() {
        return Err(ApiError::bad_request(base::FAILED_TO_CREATE_USER));
    }
    let name = sign_up
        .temp_name
        .as_ref()
        .map_or_else(|| phone.to_owned(), |t| t.render(phone));
    row.insert(user::EMAIL.into(), Value::String(email));
    row.insert(user::EMAIL_VERIFIED.into(), Value::Boolean(false));
    row.insert(user::NAME.into(), Value::String(name));
    row.insert(user::PHONE_NUMBER.into(), Value::String(phone.to_owned()));
    row.insert(user::PHONE_NUMBER_VERIFIED.into(), Value::Boolean(true));
    auth.create_user_without_account(ctx, row).await
}

async fn sign_in(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let phone = ctx.body.str("phoneNumber")?.to_owned();
    let attempt = PasswordSignIn::from_body(&ctx.body)?;
    let options = options(auth);
    validate(options, &phone)?;
    auth.check_password_length(&attempt.password, false)?;
    let user = find_by_phone(auth, &phone).await?;
    if options.require_verification
        && let Some(user) = &user
        && !is_verified(user)
    {
        // better-auth keeps this code without an attempt count; either form reads as 0.
        let rules = rules(options);
        let code = rules.generate();
        auth.verifications()
            .create(&otp_identifier(&phone), &code, rules.expiry())
            .await?;
        send_sms(auth, MailKind::SmsOtp, &phone, code).await?;
        return Err(ApiError::base(
            StatusCode::UNAUTHORIZED,
            declared::PHONE_NUMBER_NOT_VERIFIED,
        ));
    }
    let user = auth
        .check_sign_in_password(
            user,
            &attempt.password,
            declared::INVALID_PHONE_NUMBER_OR_PASSWORD,
        )
        .await?;
    let token = auth
        .start_session(ctx, &text(&user, user::ID), attempt.remember)
        .await?;
    if let Some(answer) = auth.guard_password_sign_in(ctx, &user, &token).await? {
        return Ok(answer);
    }
    Ok(Reply::json(
        json!({ "token": token, "user": auth.output(user::MODEL, &user) }),
    ))
}

/// A code is kept whether or not the number has a user (the answer is the same), and sent only
/// to a user's number (a verified one with `require-verification`).
async fn request_password_reset(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let phone = ctx.body.str("phoneNumber")?.to_owned();
    let options = options(auth);
    let user = find_by_phone(auth, &phone).await?;
    let code = rules(options)
        .store_new_code(auth, &reset_identifier(&phone))
        .await?;
    let sendable = user
        .as_ref()
        .is_some_and(|user| !options.require_verification || is_verified(user))
        && Validator::Any.accepts(&phone);
    // A refusal by a full queue is logged there; the answer must not say the number has a user.
    if sendable
        && send_sms(auth, MailKind::SmsResetPassword, &phone, code)
            .await
            .is_err()
    {
        tracing::warn!("password reset code not sent");
    }
    Ok(crate::http::status_true())
}

async fn reset_password(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let otp = ctx.body.str("otp")?.to_owned();
    let phone = ctx.body.str("phoneNumber")?.to_owned();
    let password = ctx.body.str("newPassword")?.to_owned();
    auth.check_password_length(&password, true)?;
    let options = options(auth);
    let rules = rules(options);
    let identifier = reset_identifier(&phone);
    rules
        .check(auth, &identifier, &otp, OnSuccess::Restore)
        .await?;
    let Some(user) = find_by_phone(auth, &phone).await? else {
        return Err(ApiError::bad_request(declared::UNEXPECTED_ERROR));
    };
    if options.require_verification && !is_verified(&user) {
        return Err(ApiError::bad_request(
            declared::PHONE_NUMBER_PENDING_VERIFICATION,
        ));
    }
    let hash = auth.hash_password(&password).await?;
    // The code is used for good only now, as better-auth's second check inside the reset.
    rules
        .check(auth, &identifier, &otp, OnSuccess::Consume)
        .await?;
    auth.set_credential_password(&text(&user, user::ID), hash)
        .await?;
    Ok(crate::http::status_true())
}

/// JavaScript's truthiness of a JSON value.
fn truthy(value: &Json) -> bool {
    match value {
        Json::Null | Json::Bool(false) => false,
        Json::String(s) => !s.is_empty(),
        Json::Number(n) => n.as_f64().is_some_and(|n| n != 0.0 && !n.is_nan()),
        Json::Bool(true) | Json::Array(_) | Json::Object(_) => true,
    }
}

/// better-auth's hooks: update-user with a number is 400 `PHONE_NUMBER_CANNOT_BE_UPDATED`, with
/// `null` it clears the number's verification too; any other endpoint outside the plugin
/// carrying a number (a sign-up) is 400 `PHONE_NUMBER_CANNOT_BE_SET`, and a falsy one is
/// dropped.
async fn before(auth: &Auth, endpoint: &Endpoint, ctx: &mut Ctx) -> Result<(), ApiError> {
    if endpoint.plugin == Some(Plugin::PhoneNumber) {
        return Ok(());
    }
    let Some(given) = ctx.body.get(user::PHONE_NUMBER).cloned() else {
        return Ok(());
    };
    if endpoint.id == UPDATE_USER {
        if !given.is_null() {
            return Err(ApiError::bad_request(
                declared::PHONE_NUMBER_CANNOT_BE_UPDATED,
            ));
        }
        if let Some(current) = request_user(auth, ctx).await? {
            let mut changes = Row::new();
            changes.insert(user::PHONE_NUMBER_VERIFIED.into(), Value::Boolean(false));
            auth.update_user(&text(&current, user::ID), changes).await?;
        }
        return Ok(());
    }
    if truthy(&given) {
        return Err(ApiError::bad_request(declared::PHONE_NUMBER_CANNOT_BE_SET));
    }
    ctx.body.0.remove(user::PHONE_NUMBER);
    Ok(())
}

#[cfg(test)]
mod tests;
