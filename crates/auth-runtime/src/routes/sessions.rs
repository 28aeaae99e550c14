//! Sessions: sign-out, get-session, list, revoke, update.

use serde_json::json;

use super::model_input;
use crate::Auth;
use crate::http::{ApiError, Ctx, Reply, status_true};
use crate::session::SessionCtx;
use crate::store::{Timestamp, Value, Where};

pub(super) async fn sign_out(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let inner = &auth.inner;
    if auth.sessions_stored()
        && let Some(token) = ctx.cookies.get_signed(&inner.session_cookie, &inner.secret)
    {
        inner
            .store
            .delete("session", &[Where::eq("token", token)])
            .await?;
    }
    auth.expire_session_cookies(ctx);
    Ok(Reply::json(json!({ "success": true })))
}

pub(super) fn get_session(auth: &Auth, session: Option<&SessionCtx>) -> Reply {
    Reply::json(session.map_or(serde_json::Value::Null, |s| {
        json!({
            "session": auth.output("session", &s.session),
            "user": auth.output("user", &s.user),
        })
    }))
}

pub(super) async fn list(auth: &Auth, session: &SessionCtx) -> Result<Reply, ApiError> {
    if !auth.sessions_stored() {
        // Stateless: no other session is known to the server.
        return Ok(Reply::json(json!([
            auth.output("session", &session.session)
        ])));
    }
    let rows = auth
        .inner
        .store
        .find_many(
            "session",
            &[
                Where::eq("userId", session.user_id()),
                Where::gt("expiresAt", Value::Date(Timestamp::now())),
            ],
            None,
            None,
            None,
        )
        .await?;
    Ok(Reply::json(serde_json::Value::Array(
        rows.iter().map(|r| auth.output("session", r)).collect(),
    )))
}

pub(super) async fn revoke(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    let token = ctx.body.str("token")?.to_owned();
    if !auth.sessions_stored() {
        if token == session.token() {
            auth.expire_session_cookies(ctx);
        }
        return Ok(status_true());
    }
    auth.inner
        .store
        .delete(
            "session",
            &[
                Where::eq("token", token.as_str()),
                Where::eq("userId", session.user_id()),
            ],
        )
        .await?;
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
    if auth.sessions_stored() {
        auth.inner
            .store
            .delete("session", &[Where::eq("userId", session.user_id())])
            .await?;
    }
    auth.expire_session_cookies(ctx);
    Ok(status_true())
}

pub(super) async fn revoke_others(auth: &Auth, session: &SessionCtx) -> Result<Reply, ApiError> {
    if !auth.sessions_stored() {
        return Ok(status_true());
    }
    auth.inner
        .store
        .delete(
            "session",
            &[
                Where::eq("userId", session.user_id()),
                Where::ne("token", session.token()),
            ],
        )
        .await?;
    Ok(status_true())
}

pub(super) async fn update(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    let changes = model_input(auth, "session", &ctx.body, true)?;
    if changes.is_empty() {
        return Err(ApiError::message_only(
            http::StatusCode::BAD_REQUEST,
            "No fields to update",
        ));
    }
    let mut row = session.session.clone();
    row.extend(changes.clone());
    if auth.sessions_stored() {
        auth.inner
            .store
            .update("session", &[Where::eq("token", session.token())], changes)
            .await?;
    }
    auth.refresh_session_cookies(ctx, session, &row).await?;
    Ok(Reply::json(
        json!({ "session": auth.output("session", &row) }),
    ))
}
