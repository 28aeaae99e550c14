//! The signed-in user's own account: update-user, delete-user, list-accounts, unlink-account.

use auth_core::errors::base;
use auth_core::schema::names::{account, user};
use http::StatusCode;
use serde_json::json;

use super::model_input;
use crate::Auth;
use crate::http::{ApiError, Ctx, Reply, ReplyBody, status_true};
use crate::session::SessionCtx;
use crate::store::{Row, StoreError, Value, Where};

pub(super) async fn update(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    let body = &ctx.body;
    if body.has("email") {
        return Err(ApiError::bad_request(base::EMAIL_CAN_NOT_BE_UPDATED));
    }
    let mut changes = model_input(auth, user::MODEL, body, true)?;
    if let Some(name) = body.opt_str("name")? {
        changes.insert(user::NAME.into(), Value::String(name.to_owned()));
    }
    match body.get("image") {
        None => {}
        Some(serde_json::Value::Null) => {
            changes.insert(user::IMAGE.into(), Value::Null);
        }
        Some(serde_json::Value::String(s)) => {
            changes.insert(user::IMAGE.into(), Value::String(s.clone()));
        }
        Some(_) => {
            return Err(ApiError::validation(
                "[body.image] Invalid input: expected string",
            ));
        }
    }
    if changes.is_empty() {
        return Err(ApiError::bad_request(base::NO_FIELDS_TO_UPDATE));
    }
    auth.update_user(session.user_id(), changes).await?;
    auth.refresh_session_cookies(ctx, session, &session.session)
        .await?;
    Ok(status_true())
}

fn user_deleted() -> Reply {
    Reply::json(json!({ "success": true, "message": "User deleted" }))
}

pub(super) async fn delete(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    let options = &auth.inner.config.user.delete_user;
    if !options.enabled {
        return Ok(Reply {
            status: StatusCode::NOT_FOUND,
            body: ReplyBody::Empty,
            location: None,
        });
    }
    let password = ctx.body.opt_str("password")?.map(str::to_owned);
    let token = ctx.body.opt_str("token")?.map(str::to_owned);
    if let Some(password) = &password {
        auth.check_password_length(password, false)?;
        auth.check_user_password(session.user_id(), password)
            .await?;
    }
    if let Some(token) = token {
        auth.consume_delete_token(&token, session.user_id()).await?;
        auth.sessions().delete_user(session.user_id()).await?;
        auth.expire_session_cookies(ctx);
        return Ok(user_deleted());
    }
    if *options.send_delete_account_verification.get_ref() {
        let callback = ctx.body.opt_str("callbackURL")?.map(str::to_owned);
        auth.send_delete_verification(&session.user, callback.as_deref())
            .await?;
        return Ok(Reply::json(
            json!({ "success": true, "message": "Verification email sent" }),
        ));
    }
    if password.is_none() && !auth.is_fresh(session) {
        return Err(ApiError::bad_request(base::SESSION_EXPIRED));
    }
    auth.sessions().delete_user(session.user_id()).await?;
    auth.expire_session_cookies(ctx);
    Ok(user_deleted())
}

/// An account as list-accounts shows it: no tokens, no password, `scope` as `scopes`.
fn account_json(auth: &Auth, account: &Row) -> serde_json::Value {
    let mut out = auth.output(account::MODEL, account);
    if let serde_json::Value::Object(map) = &mut out {
        map.remove("scope");
        map.insert("scopes".into(), super::scopes_of(account).into());
    }
    out
}

impl Auth {
    /// Changes a user's row, then the copies of it that their stored sessions hold. A value
    /// another user holds in a unique field is 400 `USER_ALREADY_EXISTS`, not a failure.
    pub(crate) async fn update_user(&self, user_id: &str, changes: Row) -> Result<(), ApiError> {
        let by_id = [Where::eq(user::ID, user_id)];
        match self.inner.store.update(user::MODEL, &by_id, changes).await {
            Err(StoreError::UniqueViolation { .. }) => {
                return Err(ApiError::bad_request(base::USER_ALREADY_EXISTS));
            }
            written => written?,
        };
        self.sessions().refresh_user(user_id).await?;
        Ok(())
    }

    /// Every account of a user.
    pub(crate) async fn accounts_of(&self, user_id: &str) -> Result<Vec<Row>, ApiError> {
        Ok(self
            .inner
            .store
            .find_many(
                account::MODEL,
                &[Where::eq(account::USER_ID, user_id)],
                None,
                None,
                None,
            )
            .await?)
    }
}

pub(super) async fn list_accounts(auth: &Auth, session: &SessionCtx) -> Result<Reply, ApiError> {
    let accounts = auth.accounts_of(session.user_id()).await?;
    Ok(Reply::json(serde_json::Value::Array(
        accounts.iter().map(|a| account_json(auth, a)).collect(),
    )))
}

pub(super) async fn unlink_account(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    let account_id = ctx.body.str("accountId")?.to_owned();
    let store = &auth.inner.store;
    let accounts = auth.accounts_of(session.user_id()).await?;
    if accounts.len() <= 1 && !auth.inner.config.account.allow_unlinking_all {
        return Err(ApiError::bad_request(base::FAILED_TO_UNLINK_LAST_ACCOUNT));
    }
    let owned = accounts
        .iter()
        .any(|a| a.get(account::ID).and_then(Value::as_str) == Some(account_id.as_str()));
    if !owned {
        return Err(ApiError::bad_request(base::ACCOUNT_NOT_FOUND));
    }
    store
        .delete(
            account::MODEL,
            &[
                Where::eq(account::ID, account_id.as_str()),
                Where::eq(account::USER_ID, session.user_id()),
            ],
        )
        .await?;
    Ok(status_true())
}
