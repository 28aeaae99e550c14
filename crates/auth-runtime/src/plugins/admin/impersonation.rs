//! Impersonation: an admin signs in as another user for `impersonation-session-duration`
//! (a session with `impersonatedBy`, not remembered), keeping their own session in the signed
//! `admin_session` cookie (`<token>:<dont_remember value or empty>`), which
//! `stop-impersonating` restores.

use auth_core::errors::base;
use auth_core::plugins::admin::{
    YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS, YOU_CANNOT_IMPERSONATE_ADMINS,
};
use auth_core::schema::names::{session, user};
use http::StatusCode;
use serde_json::json;

use super::{Admin, coerced, no_session, role_of};
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::store::{Row, Timestamp, Value, Where, text};
use crate::wire::cookie::{CookieAttributes, SetCookie};

/// The cookie holding the admin's own session while they impersonate someone.
const ADMIN_SESSION: &str = "admin_session";

/// better-auth's `sessionToken` cookie attributes: `Max-Age` of a session.
fn remembered(auth: &Auth) -> CookieAttributes {
    CookieAttributes {
        max_age: Some(u64::from(*auth.inner.config.session.expires_in.get_ref())),
        ..auth.inner.cookies.attributes()
    }
}

pub(super) async fn start(auth: &Auth, ctx: &mut Ctx, admin: &Admin) -> Result<Reply, ApiError> {
    let user_id = coerced(&ctx.body, "userId");
    admin.require(
        "user",
        "impersonate",
        YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS,
    )?;
    let target = auth
        .inner
        .store
        .find_one(user::MODEL, &[Where::eq(user::ID, user_id.as_str())])
        .await?
        .ok_or_else(|| ApiError::base(StatusCode::NOT_FOUND, base::USER_NOT_FOUND))?;
    let options = &admin.options;
    if options.is_admin(&user_id, role_of(&target))
        && !options.allow_impersonating_admins
        && !admin.may("user", "impersonate-admins")
    {
        return Err(ApiError::forbidden(YOU_CANNOT_IMPERSONATE_ADMINS));
    }
    let inner = &auth.inner;
    let dont_remember = ctx
        .cookies
        .get_signed(&inner.dont_remember_cookie, &inner.secret)
        .unwrap_or_default();
    let mut fields = Row::new();
    fields.insert(
        session::IMPERSONATED_BY.into(),
        Value::String(admin.id().to_owned()),
    );
    let lifetime = i64::try_from(options.impersonation_session_duration).unwrap_or(i64::MAX / 1000);
    // The session is made before the cookies change, so that a refusal (a banned target)
    // leaves the admin signed in; its cookies then go after the admin's are put aside.
    let kept = ctx.set_cookies.len();
    auth.start_session_with(ctx, &user_id, false, lifetime, fields)
        .await?;
    let new_cookies = ctx.set_cookies.split_off(kept);
    auth.expire_session_cookies(ctx);
    ctx.set_cookies.push(SetCookie::signed(
        inner.cookies.name(ADMIN_SESSION),
        &format!("{}:{dont_remember}", admin.session.token()),
        &inner.secret,
        remembered(auth),
    ));
    ctx.set_cookies.extend(new_cookies);
    let session = ctx.new_session.clone().unwrap_or_default();
    Ok(Reply::json(json!({
        "session": auth.output(session::MODEL, &session),
        "user": auth.output(user::MODEL, &target),
    })))
}

pub(super) async fn stop(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let Some(current) = auth.session(ctx).await? else {
        return Ok(no_session());
    };
    let impersonator = current
        .session
        .get(session::IMPERSONATED_BY)
        .and_then(Value::as_str)
        .filter(|by| !by.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::message_only(StatusCode::BAD_REQUEST, "You are not impersonating anyone")
        })?;
    // better-auth answers these 500; a missing or stale cookie is the request's fault here.
    let lost = || ApiError::message_only(StatusCode::BAD_REQUEST, "Failed to find admin session");
    let inner = &auth.inner;
    let cookie = inner.cookies.name(ADMIN_SESSION);
    let value = ctx
        .cookies
        .get_signed(&cookie, &inner.secret)
        .ok_or_else(lost)?;
    let (token, dont_remember) = value.split_once(':').unwrap_or((value.as_str(), ""));
    let (admin_session, admin_user) = auth.sessions().find(token).await?.ok_or_else(lost)?;
    let live = admin_session
        .get(session::EXPIRES_AT)
        .and_then(Value::as_date)
        .is_some_and(|at| at.millis() > Timestamp::now().millis());
    if !live || text(&admin_session, session::USER_ID) != impersonator {
        return Err(lost());
    }
    auth.sessions().delete(current.token()).await?;
    auth.set_session(ctx, &admin_session, &admin_user, !dont_remember.is_empty());
    ctx.set_cookies
        .push(SetCookie::expired(cookie, inner.cookies.attributes()));
    Ok(Reply::json(json!({
        "session": auth.output(session::MODEL, &admin_session),
        "user": auth.output(user::MODEL, &admin_user),
    })))
}
