//! Everything that sends mail: email verification, change-email, password reset, and deletion
//! confirmed by a link. Links are better-auth's: JWTs for email verification (not stored), rows
//! in `verification` for reset and deletion tokens.

use auth_core::errors::{ErrorCode, base};
use auth_core::schema::names::{account, user, verification};
use http::StatusCode;
use serde_json::{Map, json};

use super::password::CREDENTIAL;
use super::{is_valid_email, text};
use crate::Auth;
use crate::http::{ApiError, Ctx, Reply, status_true};
use crate::mail::{Mail, MailKind, Message};
use crate::session::SessionCtx;
use crate::store::{Row, Timestamp, Value, Where};
use crate::wire::id;
use crate::wire::jwt::{JwtError, sign_hs256, verify_hs256};

/// The identifier prefix of password-reset tokens (`reset-password:<token>` → user id).
const RESET_PASSWORD: &str = "reset-password:";
/// The identifier prefix of deletion tokens (`delete-account-<token>` → user id).
const DELETE_ACCOUNT: &str = "delete-account-";

fn encode(value: &str) -> String {
    crate::wire::cookie::encode_uri_component(value)
}

impl Auth {
    pub(crate) fn has_mailer(&self) -> bool {
        self.inner.mailer.is_some()
    }

    async fn send(
        &self,
        kind: MailKind,
        to: &str,
        url: String,
        token: String,
    ) -> Result<(), ApiError> {
        self.submit_mail(Message::new(kind, to, url, token)).await
    }

    /// `message` in the words of the project's templates, named after the application. A
    /// template that fails on this message's data is logged and answered 503.
    pub(crate) fn render_message(&self, message: &Message) -> Result<Mail, ApiError> {
        let app_name = self.inner.config.app_name.as_deref();
        self.inner
            .templates
            .render(message, app_name)
            .map_err(|error| {
                tracing::error!(kind = message.kind.as_str(), "{error}");
                ApiError::unavailable("the mail templates")
            })
    }

    /// Queues `message` (rendered): 400 `VERIFICATION_EMAIL_NOT_ENABLED` without a mailer, 503
    /// when the queue refuses it.
    pub(crate) async fn submit_mail(&self, message: Message) -> Result<(), ApiError> {
        let Some(mailer) = &self.inner.mailer else {
            return Err(ApiError::bad_request(base::VERIFICATION_EMAIL_NOT_ENABLED));
        };
        let mail = self.render_message(&message)?;
        // Queued, not sent: the answer never waits for the relay. The queue logs refusals.
        mailer
            .submit(mail)
            .await
            .map_err(|_| ApiError::unavailable("the mail relay"))
    }

    /// An email-verification link: a JWT with better-auth 1.7.25's claims in its order, the
    /// lower-cased email, for an email change `updateTo` and `requestType`, then the `userId` the
    /// token is bound to (verify-email refuses it for any other user).
    fn verification_link(
        &self,
        email: &str,
        change: Option<(&str, &str)>,
        user_id: &str,
        callback: Option<&str>,
    ) -> (String, String) {
        let mut claims = Map::new();
        claims.insert("email".into(), email.to_lowercase().into());
        if let Some((update_to, request_type)) = change {
            claims.insert("updateTo".into(), update_to.to_lowercase().into());
            claims.insert("requestType".into(), request_type.into());
        }
        claims.insert("userId".into(), user_id.into());
        let now = Timestamp::now().millis() / 1000;
        let expires_in = i64::from(self.inner.config.email_verification.expires_in);
        let token = sign_hs256(&claims, &self.inner.secret, now, expires_in);
        let url = format!(
            "{}/verify-email?token={token}&callbackURL={}",
            self.inner.api_url,
            encode(callback.unwrap_or("/"))
        );
        (url, token)
    }

    async fn send_verification(&self, user: &Row, callback: Option<&str>) -> Result<(), ApiError> {
        let email = text(user, user::EMAIL);
        if self.email_otp_verifies_addresses() {
            return self.send_email_verification_code(&email).await;
        }
        let (url, token) = self.verification_link(&email, None, &text(user, user::ID), callback);
        self.send(MailKind::VerifyEmail, &email, url, token).await
    }

    /// After a sign-up: the verification mail when configured.
    pub(crate) async fn after_sign_up(
        &self,
        user: &Row,
        callback: Option<&str>,
    ) -> Result<(), ApiError> {
        if self.inner.config.send_verification_on_sign_up() {
            self.send_verification(user, callback).await?;
        }
        Ok(())
    }

    /// A sign-in refused for an unverified address re-sends the mail when configured.
    pub(crate) async fn on_unverified_sign_in(
        &self,
        user: &Row,
        callback: Option<&str>,
    ) -> Result<(), ApiError> {
        if self.has_mailer() && self.inner.config.email_verification.send_on_sign_in {
            self.send_verification(user, callback).await?;
        }
        Ok(())
    }

    async fn store_token(
        &self,
        identifier: String,
        value: &str,
        lifetime: u32,
    ) -> Result<(), ApiError> {
        let expires_at = Timestamp::now().plus_millis(i64::from(lifetime) * 1000);
        self.verifications()
            .create(&identifier, value, expires_at)
            .await
    }

    /// The value stored under `<prefix><token>` if it is live and not revoked; consumed either
    /// way (tokens are single-use).
    async fn take_token(&self, prefix: &str, token: &str) -> Result<Option<String>, ApiError> {
        let row = self
            .verifications()
            .consume(&format!("{prefix}{token}"))
            .await?;
        self.usable(prefix, row).await
    }

    async fn peek_token(&self, prefix: &str, token: &str) -> Result<bool, ApiError> {
        let row = self
            .verifications()
            .find(&format!("{prefix}{token}"))
            .await?;
        Ok(self.usable(prefix, row).await?.is_some())
    }

    async fn usable(&self, prefix: &str, row: Option<Row>) -> Result<Option<String>, ApiError> {
        match row {
            Some(row)
                if crate::verification::live(&row)
                    && !self.verifications().is_revoked(prefix, &row).await? =>
            {
                Ok(Some(text(&row, verification::VALUE)))
            }
            _ => Ok(None),
        }
    }

    /// After a password change or reset: every reset link mailed to the user before is dead.
    pub(crate) async fn revoke_reset_tokens(&self, user_id: &str) -> Result<(), ApiError> {
        let lifetime = self
            .inner
            .config
            .email_and_password
            .reset_password_token_expires_in;
        self.verifications()
            .revoke(RESET_PASSWORD, user_id, lifetime)
            .await
    }

    pub(crate) async fn send_delete_verification(
        &self,
        user: &Row,
        callback: Option<&str>,
    ) -> Result<(), ApiError> {
        let token = id::generate_lowercase(32);
        let lifetime = self.inner.config.user.delete_user.delete_token_expires_in;
        self.store_token(
            format!("{DELETE_ACCOUNT}{token}"),
            &text(user, user::ID),
            lifetime,
        )
        .await?;
        let url = format!(
            "{}/delete-user/callback?token={token}&callbackURL={}",
            self.inner.api_url,
            encode(callback.unwrap_or("/"))
        );
        self.send(
            MailKind::DeleteAccount,
            &text(user, user::EMAIL),
            url,
            token,
        )
        .await
    }

    /// Consumes a deletion token of `user_id`: 404 `INVALID_TOKEN` otherwise.
    pub(crate) async fn consume_delete_token(
        &self,
        token: &str,
        user_id: &str,
    ) -> Result<(), ApiError> {
        match self.take_token(DELETE_ACCOUNT, token).await? {
            Some(owner) if owner == user_id => Ok(()),
            _ => Err(ApiError::base(StatusCode::NOT_FOUND, base::INVALID_TOKEN)),
        }
    }

    /// `url` with `?key=value` appended (relative URLs resolved against the base URL's origin).
    pub(crate) fn with_query(&self, url: &str, key: &str, value: &str) -> String {
        let absolute = if url.starts_with('/') {
            format!("{}{url}", self.inner.base_origin)
        } else {
            url.to_owned()
        };
        let separator = if absolute.contains('?') { '&' } else { '?' };
        format!("{absolute}{separator}{key}={}", encode(value))
    }
}

pub(super) async fn send_verification_email(
    auth: &Auth,
    ctx: &mut Ctx,
    session: Option<&SessionCtx>,
) -> Result<Reply, ApiError> {
    if !auth.has_mailer() {
        return Err(ApiError::bad_request(base::VERIFICATION_EMAIL_NOT_ENABLED));
    }
    let email = ctx.body.str("email")?.to_lowercase();
    if !is_valid_email(&email) {
        return Err(ApiError::validation("[body.email] Invalid email address"));
    }
    let callback = ctx.body.opt_str("callbackURL")?.map(str::to_owned);
    if let Some(session) = session {
        if text(&session.user, user::EMAIL) != email {
            return Err(ApiError::bad_request(base::EMAIL_MISMATCH));
        }
        if session
            .user
            .get(user::EMAIL_VERIFIED)
            .and_then(Value::as_bool)
            == Some(true)
        {
            return Err(ApiError::bad_request(base::EMAIL_ALREADY_VERIFIED));
        }
        auth.send_verification(&session.user, callback.as_deref())
            .await?;
        return Ok(status_true());
    }
    // Anonymous: the same answer whether or not the user exists; as the mail is only queued,
    // it takes the same time too (tests/mail.rs measures it).
    if let Some(user) = auth.find_user_by_email(&email).await?
        && user.get(user::EMAIL_VERIFIED).and_then(Value::as_bool) != Some(true)
        && let Err(error) = auth.send_verification(&user, callback.as_deref()).await
    {
        tracing::warn!(message = %error.message, "verification mail");
    }
    Ok(status_true())
}

pub(super) async fn verify_email(
    auth: &Auth,
    ctx: &mut Ctx,
    session: Option<&SessionCtx>,
) -> Result<Reply, ApiError> {
    let callback = ctx.query.get("callbackURL").map(str::to_owned);
    let fail = |code: ErrorCode| -> Result<Reply, ApiError> {
        match &callback {
            Some(url) => Ok(Reply::redirect(auth.with_query(url, "error", code.code))),
            None => Err(ApiError::base(StatusCode::UNAUTHORIZED, code)),
        }
    };
    let token = ctx.query.required("token")?.to_owned();
    let now = Timestamp::now().millis() / 1000;
    let claims = match verify_hs256(&token, &auth.inner.secret, now) {
        Ok(claims) => claims,
        Err(JwtError::Expired) => return fail(base::TOKEN_EXPIRED),
        Err(_) => return fail(base::INVALID_TOKEN),
    };
    let claim = |k: &str| claims.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let Some(email) = claim("email") else {
        return fail(base::INVALID_TOKEN);
    };
    // A token applies only to the user it was issued to (better-auth's `userId`); one without
    // it (issued by ours before tokens were bound) fails closed, never reaching a new owner.
    let Some(user_id) = claim("userId") else {
        return fail(base::INVALID_TOKEN);
    };
    let store = &auth.inner.store;
    if let Some(update_to) = claim("updateTo") {
        // better-auth 1.7.25's checks in its order; the session is required here (better-auth
        // lets a link opened signed out change the email).
        let Some(user) = store
            .find_one(user::MODEL, &[Where::eq(user::ID, user_id.as_str())])
            .await?
        else {
            return fail(base::USER_NOT_FOUND);
        };
        if text(&user, user::EMAIL).to_lowercase() != email {
            return fail(base::INVALID_TOKEN);
        }
        let Some(session) = session.filter(|s| s.user_id() == user_id) else {
            return fail(base::INVALID_USER);
        };
        if claim("requestType").as_deref() == Some("change-email-confirmation") {
            let (url, token) = auth.verification_link(
                &email,
                Some((&update_to, "change-email-verification")),
                &user_id,
                callback.as_deref(),
            );
            auth.send(MailKind::VerifyEmail, &update_to, url, token)
                .await?;
            return Ok(match &callback {
                Some(url) => Reply::redirect(url.clone()),
                None => status_true(),
            });
        }
        let mut changes = Row::new();
        changes.insert(user::EMAIL.into(), Value::String(update_to.to_lowercase()));
        changes.insert(user::EMAIL_VERIFIED.into(), Value::Boolean(true));
        if let Err(error) = store
            .update(
                user::MODEL,
                &[Where::eq(user::ID, user_id.as_str())],
                changes,
            )
            .await
        {
            return match error {
                crate::store::StoreError::UniqueViolation { .. } => fail(base::INVALID_TOKEN),
                other => Err(other.into()),
            };
        }
        auth.sessions().refresh_user(&user_id).await?;
        auth.refresh_session_cookies(ctx, session, &session.session)
            .await?;
        let user = store
            .find_one(user::MODEL, &[Where::eq(user::ID, user_id.as_str())])
            .await?
            .unwrap_or(user);
        return Ok(match &callback {
            Some(url) => Reply::redirect(url.clone()),
            None => Reply::json(json!({ "status": true, "user": auth.output(user::MODEL, &user) })),
        });
    }
    let Some(user) = auth.find_user_by_email(&email).await? else {
        return fail(base::USER_NOT_FOUND);
    };
    if text(&user, user::ID) != user_id {
        return fail(base::INVALID_TOKEN);
    }
    if user.get(user::EMAIL_VERIFIED).and_then(Value::as_bool) != Some(true) {
        let mut changes = Row::new();
        changes.insert(user::EMAIL_VERIFIED.into(), Value::Boolean(true));
        auth.update_user(&user_id, changes).await?;
        if auth
            .inner
            .config
            .email_verification
            .auto_sign_in_after_verification
            && session.is_none()
        {
            auth.start_session(ctx, &user_id, true).await?;
        }
    }
    Ok(match &callback {
        Some(url) => Reply::redirect(url.clone()),
        None => Reply::json(json!({ "status": true, "user": null })),
    })
}

pub(super) async fn change_email(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    let options = &auth.inner.config.user.change_email;
    if !*options.enabled.get_ref() {
        return Err(ApiError::bad_request(base::CHANGE_EMAIL_DISABLED));
    }
    let new_email = ctx.body.str("newEmail")?.to_owned();
    if !is_valid_email(&new_email) {
        return Err(ApiError::validation(
            "[body.newEmail] Invalid email address",
        ));
    }
    let new_email = new_email.to_lowercase();
    let callback = ctx.body.opt_str("callbackURL")?.map(str::to_owned);
    let current = text(&session.user, user::EMAIL);
    if new_email == current {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "Email is the same",
        ));
    }
    if auth.find_user_by_email(&new_email).await?.is_some() {
        return Ok(status_true());
    }
    let verified = session
        .user
        .get(user::EMAIL_VERIFIED)
        .and_then(Value::as_bool)
        == Some(true);
    if !verified && options.update_email_without_verification {
        let mut changes = Row::new();
        changes.insert(user::EMAIL.into(), Value::String(new_email.clone()));
        match auth
            .inner
            .store
            .update(
                user::MODEL,
                &[Where::eq(user::ID, session.user_id())],
                changes,
            )
            .await
        {
            Ok(_) => {}
            Err(crate::store::StoreError::UniqueViolation { .. }) => return Ok(status_true()),
            Err(error) => return Err(error.into()),
        }
        auth.sessions().refresh_user(session.user_id()).await?;
        auth.refresh_session_cookies(ctx, session, &session.session)
            .await?;
        if auth.has_mailer() {
            let mut user = Row::clone(&session.user);
            user.insert(user::EMAIL.into(), Value::String(new_email));
            auth.send_verification(&user, callback.as_deref()).await?;
        }
        return Ok(status_true());
    }
    if !auth.has_mailer() {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "Verification email isn't enabled",
        ));
    }
    if verified && options.send_change_email_confirmation {
        let (url, token) = auth.verification_link(
            &current,
            Some((&new_email, "change-email-confirmation")),
            session.user_id(),
            callback.as_deref(),
        );
        auth.send(MailKind::ChangeEmailConfirmation, &current, url, token)
            .await?;
    } else {
        let (url, token) = auth.verification_link(
            &current,
            Some((&new_email, "change-email-verification")),
            session.user_id(),
            callback.as_deref(),
        );
        auth.send(MailKind::VerifyEmail, &new_email, url, token)
            .await?;
    }
    Ok(status_true())
}

pub(super) async fn request_password_reset(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    if !*auth
        .inner
        .config
        .email_and_password
        .reset_password
        .get_ref()
    {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            base::RESET_PASSWORD_DISABLED,
            "Reset password isn't enabled",
        ));
    }
    let email = ctx.body.str("email")?.to_owned();
    if !is_valid_email(&email) {
        return Err(ApiError::validation("[body.email] Invalid email address"));
    }
    let redirect = ctx.body.opt_str("redirectTo")?.map(str::to_owned);
    if let Some(user) = auth.find_user_by_email(&email).await? {
        let token = id::generate_with_len(24);
        let lifetime = auth
            .inner
            .config
            .email_and_password
            .reset_password_token_expires_in;
        auth.store_token(
            format!("{RESET_PASSWORD}{token}"),
            &text(&user, user::ID),
            lifetime,
        )
        .await?;
        let url = format!(
            "{}/reset-password/{token}?callbackURL={}",
            auth.inner.api_url,
            encode(redirect.as_deref().unwrap_or_default())
        );
        if let Err(error) = auth
            .send(
                MailKind::ResetPassword,
                &text(&user, user::EMAIL),
                url,
                token,
            )
            .await
        {
            tracing::warn!(message = %error.message, "reset mail");
        }
    } else {
        // The same work as for a known address: one lookup.
        auth.peek_token(RESET_PASSWORD, "dummy").await?;
    }
    Ok(Reply::json(json!({
        "status": true,
        "message": "If this email exists in our system, check your email for the reset link",
    })))
}

pub(super) async fn reset_password_link(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let callback = ctx.query.required("callbackURL")?.to_owned();
    let token = ctx.param.clone().unwrap_or_default();
    let live = !token.is_empty() && auth.peek_token(RESET_PASSWORD, &token).await?;
    Ok(Reply::redirect(if live {
        auth.with_query(&callback, "token", &token)
    } else {
        auth.with_query(&callback, "error", base::INVALID_TOKEN.code)
    }))
}

pub(super) async fn reset_password(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let new_password = ctx.body.str("newPassword")?.to_owned();
    let token = match ctx.body.opt_str("token")? {
        Some(token) => token.to_owned(),
        None => ctx
            .query
            .get("token")
            .map(str::to_owned)
            .ok_or_else(|| ApiError::bad_request(base::INVALID_TOKEN))?,
    };
    auth.check_password_length(&new_password, true)?;
    let Some(user_id) = auth.take_token(RESET_PASSWORD, &token).await? else {
        return Err(ApiError::bad_request(base::INVALID_TOKEN));
    };
    let store = &auth.inner.store;
    if store
        .find_one(user::MODEL, &[Where::eq(user::ID, user_id.as_str())])
        .await?
        .is_none()
    {
        return Err(ApiError::bad_request(base::USER_NOT_FOUND));
    }
    let hash = auth.hash_password(&new_password).await?;
    auth.set_credential_password(&user_id, hash).await?;
    Ok(status_true())
}

impl Auth {
    /// A password reset (by link or by emailed code): the credential account gets `hash` (one
    /// is created for a user without), sessions go when `revoke-sessions-on-password-reset`,
    /// and the reset links mailed before are dead.
    pub(crate) async fn set_credential_password(
        &self,
        user_id: &str,
        hash: String,
    ) -> Result<(), ApiError> {
        self.store_credential_password(user_id, hash).await?;
        if self
            .inner
            .config
            .email_and_password
            .revoke_sessions_on_password_reset
        {
            self.sessions().delete_of_user(user_id).await?;
        }
        self.revoke_reset_tokens(user_id).await
    }

    /// The user's credential account gets `hash`; a user without one gets one.
    pub(crate) async fn store_credential_password(
        &self,
        user_id: &str,
        hash: String,
    ) -> Result<(), ApiError> {
        let store = &self.inner.store;
        let credential = store
            .find_one(
                account::MODEL,
                &[
                    Where::eq(account::USER_ID, user_id),
                    Where::eq(account::PROVIDER_ID, CREDENTIAL),
                ],
            )
            .await?;
        if let Some(account) = credential {
            let mut changes = Row::new();
            changes.insert(account::PASSWORD.into(), Value::String(hash));
            let id = account.get(account::ID).cloned().unwrap_or(Value::Null);
            store
                .update(account::MODEL, &[Where::eq(account::ID, id)], changes)
                .await?;
        } else {
            let mut account = Row::new();
            account.insert(
                account::PROVIDER_ID.into(),
                Value::String(CREDENTIAL.to_owned()),
            );
            account.insert(
                account::ACCOUNT_ID.into(),
                Value::String(user_id.to_owned()),
            );
            account.insert(account::USER_ID.into(), Value::String(user_id.to_owned()));
            account.insert(account::PASSWORD.into(), Value::String(hash));
            store.insert(account::MODEL, account).await?;
        }
        Ok(())
    }
}

pub(super) async fn delete_user_callback(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    if !auth.inner.config.user.delete_user.enabled {
        return Err(ApiError::base(StatusCode::NOT_FOUND, base::INVALID_TOKEN));
    }
    let token = ctx.query.required("token")?.to_owned();
    auth.consume_delete_token(&token, session.user_id()).await?;
    auth.sessions().delete_user(session.user_id()).await?;
    auth.expire_session_cookies(ctx);
    Ok(match ctx.query.get("callbackURL") {
        Some(url) => Reply::redirect(url.to_owned()),
        None => Reply::json(json!({ "success": true, "message": "User deleted" })),
    })
}
