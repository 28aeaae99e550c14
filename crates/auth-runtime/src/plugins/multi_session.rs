//! multi-session at run time, as better-auth 1.7.25's `multiSession` plugin. Each session a
//! browser signs in gets, beside `session_token`, a cookie `<session_token>_multi-<token
//! lower-cased>` holding the same signed value: these cookies (signature-checked) are the only
//! record of which sessions one browser holds. One per user: signing in again as a user the
//! browser holds replaces (and deletes) the older session; sign-out ends them all.

use auth_core::endpoints::Endpoint;
use auth_core::plugins::multi_session as declared;
use auth_core::schema::Plugin;
use auth_core::schema::names::{session, user};
use http::StatusCode;
use serde_json::json;

use super::Runtime;
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply, status_true};
use crate::routes::signed_in;
use crate::session::SessionCtx;
use crate::store::{Row, text};
use crate::verification::live;
use crate::wire::cookie::{CookieAttributes, SECURE_PREFIX, SetCookie, verify_signed};

/// What makes a cookie name a multi-session cookie (better-auth's `isMultiSessionCookie`).
const MULTI: &str = "_multi-";

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::MultiSession,
    handlers: &[
        ("listDeviceSessions", |auth, ctx, _| {
            Box::pin(list_device_sessions(auth, ctx))
        }),
        ("setActiveSession", |auth, ctx, _| {
            Box::pin(set_active(auth, ctx))
        }),
        ("revokeDeviceSession", |auth, ctx, session| {
            Box::pin(async move { revoke(auth, ctx, signed_in(session)?).await })
        }),
    ],
    sign_in_guard: None,
    on_request: None,
    before: None,
    after: Some(|auth, endpoint, ctx, _| Box::pin(after(auth, endpoint, ctx))),
    session_guard: None,
    database_hooks: None,
};

fn invalid_session_token() -> ApiError {
    ApiError::base(StatusCode::UNAUTHORIZED, declared::INVALID_SESSION_TOKEN)
}

/// The multi-session cookie of the session `token`.
fn cookie_name(auth: &Auth, token: &str) -> String {
    format!(
        "{}{MULTI}{}",
        auth.inner.session_cookie,
        token.to_lowercase()
    )
}

/// The session cookie's attributes (with its `Max-Age`), which every multi-session cookie has.
fn attributes(auth: &Auth) -> CookieAttributes {
    CookieAttributes {
        max_age: Some(u64::from(*auth.inner.config.session.expires_in.get_ref())),
        ..auth.inner.cookies.attributes()
    }
}

fn expire(auth: &Auth, ctx: &mut Ctx, name: String) {
    ctx.set_cookies
        .push(SetCookie::expired(name, auth.inner.cookies.attributes()));
}

/// The request's multi-session cookies whose signature verifies: (cookie name, session token).
fn held(auth: &Auth, ctx: &Ctx) -> Vec<(String, String)> {
    ctx.cookies
        .iter()
        .filter(|(name, _)| name.contains(MULTI))
        .filter_map(|(name, value)| {
            verify_signed(value, &auth.inner.secret).map(|token| (name.to_owned(), token))
        })
        .collect()
}

/// The live sessions (with their users) of the tokens, in their order.
async fn live_sessions(
    auth: &Auth,
    tokens: impl IntoIterator<Item = String>,
) -> Result<Vec<(Row, Row)>, ApiError> {
    let mut found = Vec::new();
    let mut seen = Vec::new();
    for token in tokens {
        if seen.contains(&token) {
            continue;
        }
        if let Some((session, user)) = auth.sessions().find(&token).await?
            && live(&session)
        {
            found.push((session, user));
        }
        seen.push(token);
    }
    Ok(found)
}

fn session_and_user(auth: &Auth, session: &Row, user: &Row) -> serde_json::Value {
    json!({ "session": auth.output(session::MODEL, session), "user": auth.output(user::MODEL, user) })
}

// ---------------------------------------------------------------------------------------------
// Hooks

async fn after(auth: &Auth, endpoint: &Endpoint, ctx: &mut Ctx) -> Result<(), ApiError> {
    if endpoint.id == "signOut" {
        return sign_out(auth, ctx).await;
    }
    if ctx.set_cookies.is_empty() {
        return Ok(());
    }
    let Some(session) = ctx.new_session.as_ref() else {
        return Ok(());
    };
    let token = text(session, session::TOKEN);
    let user_id = text(session, session::USER_ID);
    let name = cookie_name(auth, &token);
    if ctx.set_cookies.iter().any(|c| c.name == name) || ctx.cookies.get(&name).is_some() {
        return Ok(());
    }
    let multi_cookies = ctx
        .cookies
        .iter()
        .filter(|(name, _)| name.contains(MULTI))
        .count();
    // The same user signed in again: the older session goes, with its cookie.
    let mut replaced = 0;
    for (key, held_token) in held(auth, ctx) {
        if let Some((_, user)) = auth.sessions().find(&held_token).await?
            && text(&user, user::ID) == user_id
        {
            auth.sessions().delete(&held_token).await?;
            expire(auth, ctx, key);
            replaced += 1;
        }
    }
    let session_cookie = &auth.inner.session_cookie;
    let sets_session = ctx
        .set_cookies
        .iter()
        .any(|c| c.name.contains(session_cookie.as_str()));
    let holding = multi_cookies.saturating_sub(replaced) + usize::from(sets_session);
    if holding
        > auth
            .inner
            .config
            .plugins
            .multi_session_options()
            .maximum_sessions
    {
        return Ok(());
    }
    ctx.set_cookies.push(SetCookie::signed(
        name,
        &token,
        &auth.inner.secret,
        attributes(auth),
    ));
    Ok(())
}

/// After sign-out: every session the browser holds ends, and its cookie with it.
async fn sign_out(auth: &Auth, ctx: &mut Ctx) -> Result<(), ApiError> {
    let lower_prefix = SECURE_PREFIX.to_lowercase();
    for (key, token) in held(auth, ctx) {
        // better-auth expires the name lower-cased (keeping the `__Secure-` prefix's case).
        let name = key.to_lowercase().replacen(&lower_prefix, SECURE_PREFIX, 1);
        expire(auth, ctx, name);
        auth.sessions().delete(&token).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// One entry per user among the live sessions the browser holds.
async fn list_device_sessions(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let tokens = held(auth, ctx).into_iter().map(|(_, token)| token);
    let mut users = Vec::new();
    let mut list = Vec::new();
    for (session, user) in live_sessions(auth, tokens).await? {
        let user_id = text(&user, user::ID);
        if !users.contains(&user_id) {
            list.push(session_and_user(auth, &session, &user));
            users.push(user_id);
        }
    }
    Ok(Reply::json(serde_json::Value::Array(list)))
}

async fn set_active(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let name = cookie_name(auth, ctx.body.str("sessionToken")?);
    let token = ctx
        .cookies
        .get_signed(&name, &auth.inner.secret)
        .ok_or_else(invalid_session_token)?;
    let Some((session, user)) = auth
        .sessions()
        .find(&token)
        .await?
        .filter(|(session, _)| live(session))
    else {
        expire(auth, ctx, name);
        return Err(invalid_session_token());
    };
    auth.adopt_session(ctx, &session, &user);
    Ok(Reply::json(session_and_user(auth, &session, &user)))
}

/// Ends one session the browser holds; when it was the active one, the first other live one
/// becomes active (or none is).
async fn revoke(auth: &Auth, ctx: &mut Ctx, current: SessionCtx) -> Result<Reply, ApiError> {
    let name = cookie_name(auth, ctx.body.str("sessionToken")?);
    let token = ctx
        .cookies
        .get_signed(&name, &auth.inner.secret)
        .ok_or_else(invalid_session_token)?;
    auth.sessions().delete(&token).await?;
    expire(auth, ctx, name);
    if current.token() != token {
        return Ok(status_true());
    }
    let tokens = held(auth, ctx).into_iter().map(|(_, token)| token);
    match live_sessions(auth, tokens).await?.first() {
        Some((session, user)) => auth.adopt_session(ctx, session, user),
        None => auth.expire_session_cookies(ctx),
    }
    Ok(status_true())
}
