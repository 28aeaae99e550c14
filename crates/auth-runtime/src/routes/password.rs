//! Email and password: sign-up, sign-in, change-password, verify-password.

use auth_core::errors::{ErrorCode, base};
use auth_core::schema::names::{account, user};
use http::StatusCode;
use serde_json::json;

use super::{is_valid_email, model_input, text};
use crate::Auth;
use crate::http::{ApiError, Body, Ctx, Reply};
use crate::session::SessionCtx;
use crate::store::{Row, StoreError, Timestamp, Value, Where};
use crate::wire::password::{PasswordLengthError, check_length};

/// The provider id of password accounts.
pub(crate) const CREDENTIAL: &str = "credential";

impl Auth {
    /// Checks a password against `min..=max` of `auth.toml` (`min` 0: only the maximum).
    pub(crate) fn check_password_length(
        &self,
        password: &str,
        with_min: bool,
    ) -> Result<(), ApiError> {
        let options = &self.inner.config.email_and_password;
        let min = if with_min {
            *options.min_password_length.get_ref() as usize
        } else {
            0
        };
        let max = *options.max_password_length.get_ref() as usize;
        check_length(password, min, max).map_err(|e| {
            ApiError::bad_request(match e {
                PasswordLengthError::TooShort => base::PASSWORD_TOO_SHORT,
                PasswordLengthError::TooLong => base::PASSWORD_TOO_LONG,
            })
        })
    }

    pub(crate) async fn hash_password(&self, password: &str) -> Result<String, ApiError> {
        self.inner
            .hasher
            .hash(password.to_owned())
            .await
            .map_err(|error| {
                tracing::error!(%error, "password hash");
                ApiError::unavailable("password hashing")
            })
    }

    /// Does `password` match the stored hash? A hash that is not better-auth's format (a custom
    /// hasher in an adopted database) never matches.
    pub(crate) async fn password_matches(
        &self,
        stored: &str,
        password: &str,
    ) -> Result<bool, ApiError> {
        match self
            .inner
            .hasher
            .verify(stored.to_owned(), password.to_owned())
            .await
        {
            Ok(matches) => Ok(matches),
            Err(crate::wire::password::PasswordError::Task(error)) => {
                tracing::error!(%error, "password verify");
                Err(ApiError::unavailable("password hashing"))
            }
            Err(error) => {
                tracing::warn!(%error, "stored password hash is not scrypt salt:hash");
                Ok(false)
            }
        }
    }

    /// The user's credential account, if it has a password.
    pub(crate) async fn credential_account(&self, user_id: &str) -> Result<Option<Row>, ApiError> {
        let account = self
            .inner
            .store
            .find_one(
                account::MODEL,
                &[
                    Where::eq(account::USER_ID, user_id),
                    Where::eq(account::PROVIDER_ID, CREDENTIAL),
                ],
            )
            .await?;
        Ok(account.filter(|a| a.get(account::PASSWORD).and_then(Value::as_str).is_some()))
    }

    /// Verifies the signed-in user's password: 400 `CREDENTIAL_ACCOUNT_NOT_FOUND` without one,
    /// 400 `INVALID_PASSWORD` when wrong.
    pub(crate) async fn check_user_password(
        &self,
        user_id: &str,
        password: &str,
    ) -> Result<Row, ApiError> {
        let account = self
            .credential_account(user_id)
            .await?
            .ok_or_else(|| ApiError::bad_request(base::CREDENTIAL_ACCOUNT_NOT_FOUND))?;
        let stored = account
            .get(account::PASSWORD)
            .and_then(Value::as_str)
            .unwrap_or_default();
        if self.password_matches(stored, password).await? {
            Ok(account)
        } else {
            Err(ApiError::bad_request(base::INVALID_PASSWORD))
        }
    }

    pub(crate) async fn find_user_by_email(&self, email: &str) -> Result<Option<Row>, ApiError> {
        Ok(self
            .inner
            .store
            .find_one(user::MODEL, &[Where::eq(user::EMAIL, email.to_lowercase())])
            .await?)
    }
}

pub(super) async fn sign_up(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body = &ctx.body;
    let name = body.str("name")?.to_owned();
    let email = body.str("email")?;
    if !is_valid_email(email) {
        return Err(ApiError::validation("[body.email] Invalid email address"));
    }
    let email = email.to_lowercase();
    let password = body.str("password")?.to_owned();
    let image = match body.get("image") {
        None | Some(serde_json::Value::Null) => Value::Null,
        Some(serde_json::Value::String(s)) => Value::String(s.clone()),
        Some(_) => {
            return Err(ApiError::validation(
                "[body.image] Invalid input: expected string",
            ));
        }
    };
    let callback = body.opt_str("callbackURL")?.map(str::to_owned);
    let remember = body.opt_bool("rememberMe")?.unwrap_or(true);
    let extra = model_input(auth, user::MODEL, body, false)?;
    auth.check_password_length(&password, true)?;
    let options = &auth.inner.config.email_and_password;
    let quiet = *options.require_email_verification.get_ref() || !options.auto_sign_in;
    if auth.find_user_by_email(&email).await?.is_some() {
        if quiet {
            // Enumeration protection: the same answer as a new sign-up, after the same work.
            auth.hash_password(&password).await?;
            let now = Timestamp::now().to_iso();
            let user = json!({
                "name": name, "email": email, "emailVerified": false, "image": image.to_json(),
                "createdAt": now, "updatedAt": now, "id": crate::wire::id::generate(),
            });
            return Ok(Reply::json(json!({ "token": null, "user": user })));
        }
        return Err(already_exists());
    }
    let hash = auth.hash_password(&password).await?;
    if !quiet {
        auth.sessions().check_storage().await?;
    }
    let mut row = extra;
    row.insert(user::NAME.into(), Value::String(name));
    row.insert(user::EMAIL.into(), Value::String(email));
    row.insert(user::EMAIL_VERIFIED.into(), Value::Boolean(false));
    row.insert(user::IMAGE.into(), image);
    let user = auth
        .create_user_with_account(ctx, row, credential_account(hash))
        .await?;
    let user_id = text(&user, user::ID);
    auth.after_sign_up(&user, callback.as_deref()).await?;
    let user_json = auth.output(user::MODEL, &user);
    if quiet {
        return Ok(Reply::json(json!({ "token": null, "user": user_json })));
    }
    let token = auth.start_session(ctx, &user_id, remember).await?;
    Ok(Reply::json(json!({ "token": token, "user": user_json })))
}

fn already_exists() -> ApiError {
    ApiError::base(
        StatusCode::UNPROCESSABLE_ENTITY,
        base::USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL,
    )
}

/// The account row of a password (`accountId` and `userId` are filled in on insert).
pub(crate) fn credential_account(hash: String) -> Row {
    let mut account = Row::new();
    account.insert(
        account::PROVIDER_ID.into(),
        Value::String(CREDENTIAL.to_owned()),
    );
    account.insert(account::PASSWORD.into(), Value::String(hash));
    account
}

impl Auth {
    /// Inserts a user (with the fields plugins add for this request, `ctx.new_user_fields`) and
    /// its first account. If the account cannot be written the user is removed again, so a
    /// failed sign-up never leaves a user without a way to sign in; a taken email (however
    /// concurrent) is 422.
    pub(crate) async fn create_user_with_account(
        &self,
        ctx: &Ctx,
        mut user: Row,
        mut account: Row,
    ) -> Result<Row, ApiError> {
        user.extend(ctx.new_user_fields.clone());
        let store = &self.inner.store;
        let user = match store.insert(user::MODEL, user).await {
            Ok(user) => user,
            Err(StoreError::UniqueViolation { .. }) => return Err(already_exists()),
            Err(error) => return Err(error.into()),
        };
        let id = user.get(user::ID).cloned().unwrap_or(Value::Null);
        account.insert(account::USER_ID.into(), id.clone());
        if !account.contains_key(account::ACCOUNT_ID) {
            account.insert(account::ACCOUNT_ID.into(), id.clone());
        }
        if let Err(error) = store.insert(account::MODEL, account).await {
            tracing::error!(%error, "account insert; removing the new user");
            store
                .delete(user::MODEL, &[Where::eq(user::ID, id)])
                .await?;
            return Err(match error {
                StoreError::Rejected(refusal) => refusal,
                error if error.is_unavailable() => error.into(),
                _ => ApiError::base(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    base::FAILED_TO_CREATE_USER,
                ),
            });
        }
        Ok(user)
    }
}

pub(super) async fn sign_in(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body = &ctx.body;
    let email = body.str("email")?.to_owned();
    let attempt = PasswordSignIn::from_body(body)?;
    if !is_valid_email(&email) {
        return Err(ApiError::bad_request(base::INVALID_EMAIL));
    }
    auth.check_password_length(&attempt.password, false)?;
    let user = auth.find_user_by_email(&email).await?;
    auth.sign_in_with_password(ctx, user, attempt, base::INVALID_EMAIL_OR_PASSWORD)
        .await
}

/// What every password sign-in (email, username, phone number) takes besides its identifier.
pub(crate) struct PasswordSignIn {
    pub(crate) password: String,
    pub(crate) callback: Option<String>,
    pub(crate) remember: bool,
}

impl PasswordSignIn {
    /// `password`, `callbackURL?` and `rememberMe?` (default true) of the body.
    pub(crate) fn from_body(body: &Body) -> Result<Self, ApiError> {
        Ok(Self {
            password: body.str("password")?.to_owned(),
            callback: body.opt_str("callbackURL")?.map(str::to_owned),
            remember: body.opt_bool("rememberMe")?.unwrap_or(true),
        })
    }
}

impl Auth {
    /// The user of a password sign-in whose identifier found `user` (or none): 401 `invalid`
    /// for no user, no password or a wrong one (the password hashed either way, so timing does
    /// not tell them apart).
    pub(crate) async fn check_sign_in_password(
        &self,
        user: Option<Row>,
        password: &str,
        invalid: ErrorCode,
    ) -> Result<Row, ApiError> {
        let invalid = || ApiError::base(StatusCode::UNAUTHORIZED, invalid);
        let Some(user) = user else {
            self.hash_password(password).await?;
            return Err(invalid());
        };
        let Some(account) = self.credential_account(&text(&user, user::ID)).await? else {
            self.hash_password(password).await?;
            return Err(invalid());
        };
        let stored = account
            .get(account::PASSWORD)
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !self.password_matches(stored, password).await? {
            return Err(invalid());
        }
        Ok(user)
    }

    /// A password sign-in once its identifier found `user` (or none): 401 `invalid` for no
    /// user, no password or a wrong one (the password hashed either way, so timing does not
    /// tell them apart); 403 `EMAIL_NOT_VERIFIED` while verification is required; then the
    /// session, the plugins' sign-in guards (two-factor's challenge), and the answer
    /// `{redirect, token, url?, user}` with `Location` when a `callbackURL` was given.
    pub(crate) async fn sign_in_with_password(
        &self,
        ctx: &mut Ctx,
        user: Option<Row>,
        attempt: PasswordSignIn,
        invalid: ErrorCode,
    ) -> Result<Reply, ApiError> {
        let PasswordSignIn {
            password,
            callback,
            remember,
        } = attempt;
        let user = self
            .check_sign_in_password(user, &password, invalid)
            .await?;
        let user_id = text(&user, user::ID);
        let verified = user
            .get(user::EMAIL_VERIFIED)
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if *self
            .inner
            .config
            .email_and_password
            .require_email_verification
            .get_ref()
            && !verified
        {
            self.on_unverified_sign_in(&user, callback.as_deref())
                .await?;
            return Err(ApiError::forbidden(base::EMAIL_NOT_VERIFIED));
        }
        let token = self.start_session(ctx, &user_id, remember).await?;
        if let Some(answer) = self.guard_password_sign_in(ctx, &user, &token).await? {
            return Ok(answer);
        }
        let mut answer = serde_json::Map::new();
        answer.insert("redirect".into(), callback.is_some().into());
        answer.insert("token".into(), token.into());
        if let Some(url) = &callback {
            answer.insert("url".into(), url.clone().into());
        }
        answer.insert(user::MODEL.into(), self.output(user::MODEL, &user));
        let reply = Reply::json(serde_json::Value::Object(answer));
        Ok(match callback {
            Some(url) => reply.with_location(url),
            None => reply,
        })
    }
}

pub(super) async fn change(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    let current = ctx.body.str("currentPassword")?.to_owned();
    let new = ctx.body.str("newPassword")?.to_owned();
    let revoke = ctx.body.opt_bool("revokeOtherSessions")?.unwrap_or(false);
    auth.check_password_length(&new, true)?;
    auth.check_password_length(&current, false)?;
    let account = auth
        .check_user_password(session.user_id(), &current)
        .await?;
    let hash = auth.hash_password(&new).await?;
    let mut changes = Row::new();
    changes.insert(account::PASSWORD.into(), Value::String(hash));
    let account_id = account.get(account::ID).cloned().unwrap_or(Value::Null);
    auth.inner
        .store
        .update(
            account::MODEL,
            &[Where::eq(account::ID, account_id)],
            changes,
        )
        .await?;
    auth.revoke_reset_tokens(session.user_id()).await?;
    let token = if revoke {
        auth.sessions().delete_of_user(session.user_id()).await?;
        let token = auth
            .start_session(ctx, session.user_id(), !session.dont_remember)
            .await?;
        serde_json::Value::String(token)
    } else {
        serde_json::Value::Null
    };
    Ok(Reply::json(
        json!({ "token": token, "user": auth.output(user::MODEL, &session.user) }),
    ))
}

pub(super) async fn verify(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    let password = ctx.body.str("password")?.to_owned();
    auth.check_password_length(&password, false)?;
    auth.check_user_password(session.user_id(), &password)
        .await?;
    Ok(crate::http::status_true())
}
