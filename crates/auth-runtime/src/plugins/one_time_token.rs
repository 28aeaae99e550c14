//! one-time-token at run time, as better-auth 1.7.25's `oneTimeToken` plugin: a signed-in client
//! asks for a token of 32 characters that another client exchanges, once and within minutes,
//! for the same session (no new session row) and its cookie.

use auth_core::plugins::one_time_token::Options;
use auth_core::schema::Plugin;
use auth_core::schema::names::{session, user, verification};
use http::StatusCode;
use serde_json::json;

use super::{Runtime, expose_header};
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::routes::signed_in;
use crate::store::{Timestamp, text};
use crate::verification::live;
use crate::wire::id;
use crate::wire::key_hash::stored_token;

const SET_OTT: &str = "set-ott";

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::OneTimeToken,
    handlers: &[
        ("generateOneTimeToken", |auth, _, session| {
            Box::pin(async move {
                let session = signed_in(session)?;
                generate(auth, session.token()).await
            })
        }),
        ("verifyOneTimeToken", |auth, ctx, _| {
            Box::pin(verify(auth, ctx))
        }),
    ],
    sign_in_guard: None,
    on_request: None,
    before: None,
    after: Some(|auth, _, ctx, _| Box::pin(after(auth, ctx))),
    session_guard: None,
    database_hooks: None,
};

fn options(auth: &Auth) -> &Options {
    auth.inner.config.plugins.one_time_token_options()
}

/// better-auth answers these failures with a message and no code.
fn bad_request(message: &str) -> ApiError {
    ApiError::message_only(StatusCode::BAD_REQUEST, message)
}

/// The `verification` identifier of a token.
fn identifier(options: &Options, token: &str) -> String {
    format!(
        "one-time-token:{}",
        stored_token(options.store_token, token)
    )
}

/// A new token for the session `session_token`, kept for `expires-in` minutes.
async fn new_token(auth: &Auth, session_token: &str) -> Result<String, ApiError> {
    let options = options(auth);
    let token = id::generate_url_safe(32);
    let minutes = i64::try_from(options.expires_in).unwrap_or(i64::MAX / 60_000);
    let expires_at = Timestamp::now().plus_millis(minutes.saturating_mul(60_000));
    auth.verifications()
        .create(&identifier(options, &token), session_token, expires_at)
        .await?;
    Ok(token)
}

async fn generate(auth: &Auth, session_token: &str) -> Result<Reply, ApiError> {
    // Every HTTP request is a client request (better-auth serves server calls without one).
    if options(auth).disable_client_request {
        return Err(bad_request("Client requests are disabled"));
    }
    let token = new_token(auth, session_token).await?;
    Ok(Reply::json(json!({ "token": token })))
}

async fn verify(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let options = options(auth);
    let token = ctx.body.str("token")?;
    let consumed = auth
        .verifications()
        .consume(&identifier(options, token))
        .await?
        .filter(live)
        .ok_or_else(|| bad_request("Invalid token"))?;
    let (session, user) = auth
        .sessions()
        .find(&text(&consumed, verification::VALUE))
        .await?
        .ok_or_else(|| bad_request("Session not found"))?;
    // As better-auth: the cookie is set before the expiry check.
    if !options.disable_set_session_cookie {
        auth.adopt_session(ctx, &session, &user);
    }
    if !live(&session) {
        return Err(bad_request("Session expired"));
    }
    Ok(Reply::json(json!({
        "session": auth.output(session::MODEL, &session),
        "user": auth.output(user::MODEL, &user),
    })))
}

/// `set-ott-header-on-new-session`: an answer that created a session carries a token for it.
async fn after(auth: &Auth, ctx: &mut Ctx) -> Result<(), ApiError> {
    if !options(auth).set_ott_header_on_new_session {
        return Ok(());
    }
    let Some(session_token) = ctx.new_session.as_ref().map(|s| text(s, session::TOKEN)) else {
        return Ok(());
    };
    let token = new_token(auth, &session_token).await?;
    expose_header(ctx, SET_OTT, &token);
    Ok(())
}
