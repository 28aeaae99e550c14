//! What magic-link and email-otp share once a mailbox has proven it owns an address: a new user
//! for an address without one (passwordless, verified), and better-auth 1.7.25's
//! `revokeUnprovenAccountAccess` for an existing user whose address was never verified.

use crate::Auth;
use crate::error::ApiError;
use crate::http::Ctx;
use crate::store::{Row, Value, Where, text};
use auth_core::schema::names::{account, user};

impl Auth {
    /// Creates the user of a proven address: `emailVerified` true, no account (as better-auth's
    /// `createUser` from magic-link and email-otp), with `extra` fields and those plugins add for
    /// this request.
    pub(crate) async fn create_proven_user(
        &self,
        ctx: &Ctx,
        email: &str,
        name: &str,
        mut extra: Row,
    ) -> Result<Row, ApiError> {
        extra.insert(user::EMAIL.into(), Value::String(email.to_lowercase()));
        extra.insert(user::EMAIL_VERIFIED.into(), Value::Boolean(true));
        extra.insert(user::NAME.into(), Value::String(name.to_owned()));
        self.create_user_without_account(ctx, extra).await
    }

    /// Inserts `user` with the fields plugins add for this request (`ctx.new_user_fields`) and
    /// no account (passwordless: a proven address or phone number).
    pub(crate) async fn create_user_without_account(
        &self,
        ctx: &Ctx,
        mut user: Row,
    ) -> Result<Row, ApiError> {
        user.extend(ctx.new_user_fields.clone());
        Ok(self.inner.store.insert(user::MODEL, user).await?)
    }

    /// An existing user whose address was not verified, now proven by its mailbox: whoever
    /// made the account may not be that mailbox's owner, so every account (password, OAuth
    /// links) and every session of the user go before the address is marked verified. Returns
    /// the user as stored now; a user already verified is returned untouched.
    pub(crate) async fn revoke_unproven_account_access(
        &self,
        user: Row,
    ) -> Result<Option<Row>, ApiError> {
        if user.get(user::EMAIL_VERIFIED).and_then(Value::as_bool) == Some(true) {
            return Ok(Some(user));
        }
        let id = text(&user, user::ID);
        let by_user = [Where::eq(account::USER_ID, id.as_str())];
        self.inner.store.delete(account::MODEL, &by_user).await?;
        self.sessions().delete_of_user(&id).await?;
        let mut changes = Row::new();
        changes.insert(user::EMAIL_VERIFIED.into(), Value::Boolean(true));
        let by_id = [Where::eq(user::ID, id.as_str())];
        self.inner
            .store
            .update(user::MODEL, &by_id, changes)
            .await?;
        Ok(self.inner.store.find_one(user::MODEL, &by_id).await?)
    }
}
