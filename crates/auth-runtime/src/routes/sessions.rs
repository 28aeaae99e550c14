//! Sessions: sign-out, get-session, list, revoke, update.

use serde_json::json;

use auth_core::errors::base;
use auth_core::schema::names::{session, user};

use super::model_input;
use crate::Auth;
use crate::http::{ApiError, Ctx, Reply, json_text, status_true};
use crate::session::SessionCtx;
use crate::store::Output;
use crate::store::{Row, Timestamp, Value};

pub(super) async fn sign_out(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let inner = &auth.inner;
    if let Some(token) = ctx.cookies.get_signed(&inner.session_cookie, &inner.secret) {
        auth.sessions().delete(&token).await?;
    }
    auth.expire_session_cookies(ctx);
    Ok(Reply::json(json!({ "success": true })))
}

/// `{"session", "user"}` as the API returns them.
#[derive(serde::Serialize)]
struct SessionAndUser<'a> {
    session: Output<'a>,
    user: Output<'a>,
}

/// `{"session", "user"}`, or `null` when signed out. The answer for a session from a cookie
/// cache seen before is written once and shared with every request sending that cache.
pub(super) fn get_session(auth: &Auth, session: Option<&SessionCtx>) -> Reply {
    let Some(found) = session else {
        return Reply::json(serde_json::Value::Null);
    };
    let write = || {
        json_text(&SessionAndUser {
            session: auth.output_of(session::MODEL, &found.session),
            user: auth.output_of(user::MODEL, &found.user),
        })
    };
    Reply::json_text(match &found.answer {
        Some(memo) => memo.get_or_init(write).clone(),
        None => write(),
    })
}

pub(super) async fn list(auth: &Auth, session: &SessionCtx) -> Result<Reply, ApiError> {
    if auth.stateless() {
        // Stateless: the server knows no session but the request's.
        return Ok(Reply::json(json!([
            auth.output(session::MODEL, &session.session)
        ])));
    }
    let now = Timestamp::now().millis();
    let rows: Vec<_> = auth
        .sessions()
        .list(session.user_id())
        .await?
        .into_iter()
        .filter(|r| {
            r.get(session::EXPIRES_AT)
                .and_then(Value::as_date)
                .is_some_and(|at| at.millis() > now)
        })
        .collect();
    Ok(Reply::json(serde_json::Value::Array(
        rows.iter()
            .map(|r| auth.output(session::MODEL, r))
            .collect(),
    )))
}

pub(super) async fn revoke(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    let token = ctx.body.str("token")?.to_owned();
    let owner = auth.sessions().find(&token).await?;
    if owner.is_some_and(|(found, _)| {
        found.get(session::USER_ID).and_then(Value::as_str) == Some(session.user_id())
    }) {
        auth.sessions().delete(&token).await?;
    }
    if token == session.token() {
        auth.expire_session_cookies(ctx);
    }
    Ok(status_true())
}

pub(super) async fn revoke_all(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    auth.sessions().delete_of_user(session.user_id()).await?;
    auth.expire_session_cookies(ctx);
    Ok(status_true())
}

pub(super) async fn revoke_others(auth: &Auth, session: &SessionCtx) -> Result<Reply, ApiError> {
    for other in auth.sessions().list(session.user_id()).await? {
        let token = other
            .get(session::TOKEN)
            .and_then(Value::as_str)
            .unwrap_or_default();
        if token != session.token() {
            auth.sessions().delete(token).await?;
        }
    }
    Ok(status_true())
}

pub(super) async fn update(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    let changes = model_input(auth, session::MODEL, &ctx.body, true)?;
    if changes.is_empty() {
        return Err(ApiError::bad_request(base::NO_FIELDS_TO_UPDATE));
    }
    let mut row = Row::clone(&session.session);
    row.extend(changes.clone());
    auth.sessions().update(session.token(), changes).await?;
    auth.refresh_session_cookies(ctx, session, &row).await?;
    Ok(Reply::json(
        json!({ "session": auth.output(session::MODEL, &row) }),
    ))
}
