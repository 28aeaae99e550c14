//! email-otp at run time, as better-auth 1.7.25's `emailOTP` plugin: codes of `otp-length`
//! digits mailed for sign-in (and up), email verification, password reset and email change, kept
//! in `verification` as `<type>-otp-<email>` → `<code>:<wrong answers so far>` (the code plain,
//! hashed or encrypted as better-auth keeps it, so either server checks the other's). A check
//! takes the row (of concurrent checks one gets it), puts it back with one more wrong answer
//! when the code is wrong, and leaves it gone after `allowed-attempts` wrong answers.

use auth_core::endpoints::Endpoint;
use auth_core::errors::base;
use auth_core::plugins::email_otp::{
    self as declared, OTP_TYPES, Options, ResendStrategy, StoreOtp,
};
use auth_core::schema::Plugin;
use auth_core::schema::names::{user, verification};
use http::StatusCode;
use serde_json::json;

use super::Runtime;
use super::otp::{self, OnSuccess, Rules, split_value};
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::mail::{MailKind, Message};
use crate::routes::{is_valid_email, model_input, signed_in};
use crate::session::SessionCtx;
use crate::store::{Row, Value, Where, text};
use crate::verification::live;
use crate::wire::symmetric;

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::EmailOtp,
    handlers: &[
        ("sendVerificationOTP", |auth, ctx, _| {
            Box::pin(send_verification_otp(auth, ctx))
        }),
        ("checkVerificationOTP", |auth, ctx, _| {
            Box::pin(check_verification_otp(auth, ctx))
        }),
        ("verifyEmailOTP", |auth, ctx, session| {
            Box::pin(verify_email(auth, ctx, session))
        }),
        ("signInEmailOTP", |auth, ctx, _| {
            Box::pin(sign_in(auth, ctx))
        }),
        ("requestPasswordResetEmailOTP", |auth, ctx, _| {
            Box::pin(request_password_reset(auth, ctx))
        }),
        ("forgetPasswordEmailOTP", |auth, ctx, _| {
            Box::pin(request_password_reset(auth, ctx))
        }),
        ("resetPasswordEmailOTP", |auth, ctx, _| {
            Box::pin(reset_password(auth, ctx))
        }),
        ("requestEmailChangeEmailOTP", |auth, ctx, session| {
            Box::pin(async move { request_email_change(auth, ctx, signed_in(session)?).await })
        }),
        ("changeEmailEmailOTP", |auth, ctx, session| {
            Box::pin(async move { change_email(auth, ctx, signed_in(session)?).await })
        }),
    ],
    sign_in_guard: None,
    on_request: None,
    before: None,
    after: Some(|auth, endpoint, ctx, reply| Box::pin(after_sign_up(auth, endpoint, ctx, reply))),
    session_guard: None,
    database_hooks: None,
};

fn options(auth: &Auth) -> &Options {
    auth.inner.config.plugins.email_otp_options()
}

/// better-auth's OTP types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OtpType {
    EmailVerification,
    SignIn,
    ForgetPassword,
    ChangeEmail,
}

impl OtpType {
    const ALL: [Self; 4] = [
        Self::EmailVerification,
        Self::SignIn,
        Self::ForgetPassword,
        Self::ChangeEmail,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::EmailVerification => OTP_TYPES[0],
            Self::SignIn => OTP_TYPES[1],
            Self::ForgetPassword => OTP_TYPES[2],
            Self::ChangeEmail => OTP_TYPES[3],
        }
    }

    fn mail_kind(self) -> MailKind {
        match self {
            Self::EmailVerification => MailKind::EmailOtpEmailVerification,
            Self::SignIn => MailKind::EmailOtpSignIn,
            Self::ForgetPassword => MailKind::EmailOtpForgetPassword,
            Self::ChangeEmail => MailKind::EmailOtpChangeEmail,
        }
    }

    /// The body's `type`, as zod's `z.enum(types)` checks it.
    fn of_body(ctx: &Ctx) -> Result<Self, ApiError> {
        let given = ctx.body.str("type")?;
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == given)
            .ok_or_else(|| {
                let all: Vec<String> = OTP_TYPES.iter().map(|t| format!("\"{t}\"")).collect();
                ApiError::validation(format!(
                    "[body.type] Invalid option: expected one of {}",
                    all.join("|")
                ))
            })
    }

    /// The `verification` identifier of a code of this type for `key` (an address, or
    /// `<userId>:<new address>` for an email change).
    fn identifier(self, key: &str) -> String {
        format!("{}-otp-{key}", self.as_str())
    }
}

/// The body's `email`, lower-cased: 400 `INVALID_EMAIL` unless it is an address.
fn email_of(ctx: &Ctx, key: &str) -> Result<String, ApiError> {
    let email = ctx.body.str(key)?.to_lowercase();
    if is_valid_email(&email) {
        Ok(email)
    } else {
        Err(ApiError::bad_request(base::INVALID_EMAIL))
    }
}

fn success() -> Reply {
    Reply::json(json!({ "success": true }))
}

fn message(text: &str) -> ApiError {
    ApiError::message_only(StatusCode::BAD_REQUEST, text)
}

/// The plugin's rules for its codes.
fn rules(options: &Options) -> Rules {
    Rules {
        length: options.otp_length,
        expires_in: options.expires_in,
        allowed_attempts: options.allowed_attempts,
        store: options.store_otp,
        errors: otp::Errors {
            missing: declared::INVALID_OTP,
            expired: declared::OTP_EXPIRED,
            invalid: declared::INVALID_OTP,
            too_many: declared::TOO_MANY_ATTEMPTS,
        },
    }
}

/// The code to send under `identifier`: with `resend-strategy = "reuse"` the live one (its
/// lifetime renewed) when it can be read back and has attempts left; a new one otherwise.
async fn code_to_send(
    auth: &Auth,
    options: &Options,
    identifier: &str,
) -> Result<String, ApiError> {
    if options.resend_strategy == ResendStrategy::Reuse
        && let Some(row) = auth.verifications().find(identifier).await?.filter(live)
    {
        let value = text(&row, verification::VALUE);
        let (stored, attempts) = split_value(&value);
        let readable = match options.store_otp {
            StoreOtp::Plain => Some(stored.to_owned()),
            StoreOtp::Encrypted => symmetric::decrypt(&auth.inner.secret, stored).ok(),
            StoreOtp::Hashed => None,
        };
        if attempts < options.allowed_attempts
            && let Some(code) = readable
        {
            // Renewed by writing it again: the latest row is the one read.
            auth.verifications()
                .create(identifier, &value, rules(options).expiry())
                .await?;
            return Ok(code);
        }
    }
    rules(options).store_new_code(auth, identifier).await
}

/// better-auth's `atomicVerifyOTP` ([`Rules::check`]).
async fn check_code(
    auth: &Auth,
    options: &Options,
    identifier: &str,
    given: &str,
    on_success: OnSuccess,
) -> Result<(), ApiError> {
    rules(options)
        .check(auth, identifier, given, on_success)
        .await
}

async fn mail_code(auth: &Auth, otp_type: OtpType, to: &str, code: String) -> Result<(), ApiError> {
    auth.submit_mail(Message::code(otp_type.mail_kind(), to, code))
        .await
}

/// better-auth's `sendVerificationOTP` action: the code is stored (so an address without a user
/// costs as much as one with), then mailed — to an unknown address only for a sign-in that may
/// sign up; otherwise the code is removed again and the answer is the same.
async fn send_code(auth: &Auth, email: &str, otp_type: OtpType) -> Result<(), ApiError> {
    let options = options(auth);
    let identifier = otp_type.identifier(email);
    let code = code_to_send(auth, options, &identifier).await?;
    let may_sign_up = otp_type == OtpType::SignIn && !options.disable_sign_up;
    match auth.find_user_by_email(email).await? {
        Some(user) => mail_code(auth, otp_type, &text(&user, user::EMAIL), code).await,
        None if may_sign_up => mail_code(auth, otp_type, email, code).await,
        None => {
            auth.verifications().remove(&identifier).await?;
            Ok(())
        }
    }
}

async fn send_verification_otp(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    ctx.body.str("email")?;
    let otp_type = OtpType::of_body(ctx)?;
    let email = email_of(ctx, "email")?;
    if otp_type == OtpType::ChangeEmail {
        return Err(message("Invalid OTP type"));
    }
    send_code(auth, &email, otp_type).await?;
    Ok(success())
}

async fn check_verification_otp(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    ctx.body.str("email")?;
    let otp_type = OtpType::of_body(ctx)?;
    let otp = ctx.body.str("otp")?.to_owned();
    let email = email_of(ctx, "email")?;
    let options = options(auth);
    check_code(
        auth,
        options,
        &otp_type.identifier(&email),
        &otp,
        OnSuccess::Restore,
    )
    .await?;
    if auth.find_user_by_email(&email).await?.is_none() {
        return Err(ApiError::bad_request(base::USER_NOT_FOUND));
    }
    Ok(success())
}

async fn verify_email(
    auth: &Auth,
    ctx: &mut Ctx,
    session: Option<SessionCtx>,
) -> Result<Reply, ApiError> {
    let otp = ctx.body.str("otp")?.to_owned();
    let email = email_of(ctx, "email")?;
    let options = options(auth);
    let identifier = OtpType::EmailVerification.identifier(&email);
    check_code(auth, options, &identifier, &otp, OnSuccess::Consume).await?;
    let Some(user) = auth.find_user_by_email(&email).await? else {
        return Err(ApiError::bad_request(base::USER_NOT_FOUND));
    };
    let user_id = text(&user, user::ID);
    let mut changes = Row::new();
    changes.insert(user::EMAIL.into(), Value::String(email));
    changes.insert(user::EMAIL_VERIFIED.into(), Value::Boolean(true));
    let by_id = [Where::eq(user::ID, user_id.as_str())];
    auth.inner
        .store
        .update(user::MODEL, &by_id, changes)
        .await?;
    auth.sessions().refresh_user(&user_id).await?;
    let user = auth
        .inner
        .store
        .find_one(user::MODEL, &by_id)
        .await?
        .unwrap_or(user);
    if auth
        .inner
        .config
        .email_verification
        .auto_sign_in_after_verification
    {
        let token = auth.start_session(ctx, &user_id, true).await?;
        return Ok(Reply::json(json!({
            "status": true, "token": token, "user": auth.output(user::MODEL, &user),
        })));
    }
    // A signed-in browser of that user gets its cookie cache refreshed (not its session cookie).
    if let Some(current) = session.filter(|s| s.user_id() == user_id)
        && auth.inner.config.cookie_cache_enabled()
    {
        auth.set_cookie_cache(ctx, &current.session, &user, current.dont_remember);
    }
    Ok(Reply::json(json!({
        "status": true, "token": null, "user": auth.output(user::MODEL, &user),
    })))
}

async fn sign_in(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body = &ctx.body;
    let email = body.str("email")?.to_lowercase();
    let otp = body.str("otp")?.to_owned();
    let name = body.opt_str("name")?.unwrap_or_default().to_owned();
    let image = body.opt_str("image")?.map(str::to_owned);
    let extra = model_input(auth, "user", body, false)?;
    let options = options(auth);
    let identifier = OtpType::SignIn.identifier(&email);
    check_code(auth, options, &identifier, &otp, OnSuccess::Consume).await?;
    let user = match auth.find_user_by_email(&email).await? {
        Some(user) => auth
            .revoke_unproven_account_access(user)
            .await?
            .ok_or_else(|| ApiError::bad_request(declared::INVALID_OTP))?,
        None if options.disable_sign_up => {
            return Err(ApiError::bad_request(declared::INVALID_OTP));
        }
        None => {
            let mut extra = extra;
            extra.insert("image".into(), image.map_or(Value::Null, Value::String));
            auth.create_proven_user(ctx, &email, &name, extra).await?
        }
    };
    let token = auth
        .start_session(ctx, &text(&user, user::ID), true)
        .await?;
    Ok(Reply::json(
        json!({ "token": token, "user": auth.output(user::MODEL, &user) }),
    ))
}

async fn request_password_reset(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let email = email_of(ctx, "email")?;
    send_code(auth, &email, OtpType::ForgetPassword).await?;
    Ok(success())
}

async fn reset_password(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    ctx.body.str("email")?;
    let otp = ctx.body.str("otp")?.to_owned();
    let password = ctx.body.str("password")?.to_owned();
    let email = email_of(ctx, "email")?;
    auth.check_password_length(&password, true)?;
    let options = options(auth);
    let identifier = OtpType::ForgetPassword.identifier(&email);
    check_code(auth, options, &identifier, &otp, OnSuccess::Restore).await?;
    let Some(user) = auth.find_user_by_email(&email).await? else {
        return Err(ApiError::bad_request(base::USER_NOT_FOUND));
    };
    let hash = auth.hash_password(&password).await?;
    // The code is used for good only now, as better-auth's second check inside the reset.
    check_code(auth, options, &identifier, &otp, OnSuccess::Consume).await?;
    let user_id = text(&user, user::ID);
    auth.set_credential_password(&user_id, hash).await?;
    if user.get(user::EMAIL_VERIFIED).and_then(Value::as_bool) != Some(true) {
        let mut changes = Row::new();
        changes.insert(user::EMAIL_VERIFIED.into(), Value::Boolean(true));
        auth.inner
            .store
            .update(
                user::MODEL,
                &[Where::eq(user::ID, user_id.as_str())],
                changes,
            )
            .await?;
    }
    Ok(success())
}

/// The checks both email-change endpoints start with: the option, a valid new address that is
/// not the current one. Returns the current and the new address.
fn email_change(
    auth: &Auth,
    ctx: &Ctx,
    session: &SessionCtx,
) -> Result<(String, String), ApiError> {
    if !options(auth).change_email.enabled {
        return Err(message("Change email with OTP is disabled"));
    }
    let current = text(&session.user, user::EMAIL).to_lowercase();
    let new_email = email_of(ctx, "newEmail")?;
    if new_email == current {
        return Err(message("Email is the same"));
    }
    Ok((current, new_email))
}

fn change_key(session: &SessionCtx, new_email: &str) -> String {
    OtpType::ChangeEmail.identifier(&format!("{}:{new_email}", session.user_id()))
}

async fn request_email_change(
    auth: &Auth,
    ctx: &mut Ctx,
    session: SessionCtx,
) -> Result<Reply, ApiError> {
    let otp = ctx.body.opt_str("otp")?.map(str::to_owned);
    let (current, new_email) = email_change(auth, ctx, &session)?;
    let options = options(auth);
    if options.change_email.verify_current_email {
        let Some(otp) = otp else {
            return Err(message("OTP is required to verify current email"));
        };
        let identifier = OtpType::EmailVerification.identifier(&current);
        check_code(auth, options, &identifier, &otp, OnSuccess::Consume).await?;
    }
    let identifier = change_key(&session, &new_email);
    let code = rules(options).store_new_code(auth, &identifier).await?;
    // An address in use gets nothing, and the answer is the same.
    if auth.find_user_by_email(&new_email).await?.is_some() {
        auth.verifications().remove(&identifier).await?;
        return Ok(success());
    }
    mail_code(auth, OtpType::ChangeEmail, &new_email, code).await?;
    Ok(success())
}

async fn change_email(auth: &Auth, ctx: &mut Ctx, session: SessionCtx) -> Result<Reply, ApiError> {
    let otp = ctx.body.str("otp")?.to_owned();
    let (current, new_email) = email_change(auth, ctx, &session)?;
    let options = options(auth);
    let identifier = change_key(&session, &new_email);
    check_code(auth, options, &identifier, &otp, OnSuccess::Consume).await?;
    let Some(user) = auth.find_user_by_email(&current).await? else {
        return Err(ApiError::bad_request(base::USER_NOT_FOUND));
    };
    if auth.find_user_by_email(&new_email).await?.is_some() {
        return Err(message("Email already in use"));
    }
    let user_id = text(&user, user::ID);
    let mut changes = Row::new();
    changes.insert(user::EMAIL.into(), Value::String(new_email));
    changes.insert(user::EMAIL_VERIFIED.into(), Value::Boolean(true));
    auth.update_user(&user_id, changes).await?;
    let row = session.session.clone();
    auth.refresh_session_cookies(ctx, &session, &row).await?;
    Ok(success())
}

impl Auth {
    /// With `override-default-email-verification`, core's verification mails are
    /// email-verification codes instead of links.
    pub(crate) fn email_otp_verifies_addresses(&self) -> bool {
        self.inner
            .plugins
            .iter()
            .any(|r| r.plugin == Plugin::EmailOtp)
            && options(self).override_default_email_verification
    }

    /// Mails an email-verification code to `email` (core's verification mail, overridden).
    pub(crate) async fn send_email_verification_code(&self, email: &str) -> Result<(), ApiError> {
        send_code(self, &email.to_lowercase(), OtpType::EmailVerification).await
    }
}

/// `send-verification-on-sign-up` (unless core's mails are codes already): every sign-up that
/// answers its user mails that address an email-verification code.
async fn after_sign_up(
    auth: &Auth,
    endpoint: &Endpoint,
    _: &mut Ctx,
    reply: &mut Reply,
) -> Result<(), ApiError> {
    let options = options(auth);
    if !endpoint.path.starts_with("/sign-up")
        || !options.send_verification_on_sign_up
        || options.override_default_email_verification
    {
        return Ok(());
    }
    let crate::http::ReplyBody::Json(body) = &reply.body else {
        return Ok(());
    };
    let Some(email) = body["user"]["email"].as_str().map(str::to_owned) else {
        return Ok(());
    };
    let identifier = OtpType::EmailVerification.identifier(&email);
    let code = rules(options).store_new_code(auth, &identifier).await?;
    mail_code(auth, OtpType::EmailVerification, &email, code).await
}

#[cfg(test)]
mod tests;
