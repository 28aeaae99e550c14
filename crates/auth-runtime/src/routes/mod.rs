//! Core's endpoints: [`HANDLERS`] names the handler of each endpoint of the registry
//! (`auth_core::endpoints`) by its id; the registry says what is routed, this module what each
//! route does. Plugins declare theirs in `crate::plugins`.

mod email;
mod input;
mod misc;
mod password;
mod sessions;
mod social;
mod user;

use crate::http::{ApiError, Reply};
use crate::router::Handlers;
use crate::session::SessionCtx;
use crate::store::text;

pub(crate) use input::{is_valid_email, model_data, model_input};
pub(crate) use misc::escape_html;
pub(crate) use password::{PasswordSignIn, credential_account};
use social::scopes_of;

/// The caller's session, for endpoints whose access rule requires one.
pub(crate) fn signed_in(session: Option<SessionCtx>) -> Result<SessionCtx, ApiError> {
    session.ok_or_else(ApiError::unauthorized)
}

/// Core's handlers, by better-auth's endpoint id (`auth_core::endpoints`).
pub(crate) const HANDLERS: Handlers = &[
    ("signUpEmail", |auth, ctx, _| {
        Box::pin(password::sign_up(auth, ctx))
    }),
    ("signInEmail", |auth, ctx, _| {
        Box::pin(password::sign_in(auth, ctx))
    }),
    ("signOut", |auth, ctx, _| {
        Box::pin(sessions::sign_out(auth, ctx))
    }),
    ("getSession", |auth, ctx, session| {
        Box::pin(async move {
            let reply = sessions::get_session(auth, session.as_ref());
            ctx.session = session;
            Ok(reply)
        })
    }),
    ("listSessions", |auth, _, session| {
        Box::pin(async move { sessions::list(auth, &signed_in(session)?).await })
    }),
    ("revokeSession", |auth, ctx, session| {
        Box::pin(async move { sessions::revoke(auth, ctx, &signed_in(session)?).await })
    }),
    ("revokeSessions", |auth, ctx, session| {
        Box::pin(async move { sessions::revoke_all(auth, ctx, &signed_in(session)?).await })
    }),
    ("revokeOtherSessions", |auth, _, session| {
        Box::pin(async move { sessions::revoke_others(auth, &signed_in(session)?).await })
    }),
    ("updateSession", |auth, ctx, session| {
        Box::pin(async move { sessions::update(auth, ctx, &signed_in(session)?).await })
    }),
    ("updateUser", |auth, ctx, session| {
        Box::pin(async move { user::update(auth, ctx, &signed_in(session)?).await })
    }),
    ("changePassword", |auth, ctx, session| {
        Box::pin(async move { password::change(auth, ctx, &signed_in(session)?).await })
    }),
    ("verifyPassword", |auth, ctx, session| {
        Box::pin(async move { password::verify(auth, ctx, &signed_in(session)?).await })
    }),
    ("deleteUser", |auth, ctx, session| {
        Box::pin(async move { user::delete(auth, ctx, &signed_in(session)?).await })
    }),
    ("listUserAccounts", |auth, _, session| {
        Box::pin(async move { user::list_accounts(auth, &signed_in(session)?).await })
    }),
    ("changeEmail", |auth, ctx, session| {
        Box::pin(async move { email::change_email(auth, ctx, &signed_in(session)?).await })
    }),
    ("sendVerificationEmail", |auth, ctx, session| {
        Box::pin(async move { email::send_verification_email(auth, ctx, session.as_ref()).await })
    }),
    ("verifyEmail", |auth, ctx, session| {
        Box::pin(async move { email::verify_email(auth, ctx, session.as_ref()).await })
    }),
    ("requestPasswordReset", |auth, ctx, _| {
        Box::pin(email::request_password_reset(auth, ctx))
    }),
    ("requestPasswordResetCallback", |auth, ctx, _| {
        Box::pin(email::reset_password_link(auth, ctx))
    }),
    ("resetPassword", |auth, ctx, _| {
        Box::pin(email::reset_password(auth, ctx))
    }),
    ("deleteUserCallback", |auth, ctx, session| {
        Box::pin(async move { email::delete_user_callback(auth, ctx, &signed_in(session)?).await })
    }),
    ("unlinkAccount", |auth, ctx, session| {
        Box::pin(async move { user::unlink_account(auth, ctx, &signed_in(session)?).await })
    }),
    ("signInSocial", |auth, ctx, _| {
        Box::pin(social::sign_in_social(auth, ctx))
    }),
    // One id, two methods: GET from the provider's redirect, POST from `form_post`.
    ("callbackOAuth", |auth, ctx, _| {
        Box::pin(async move {
            if ctx.method == http::Method::POST {
                Ok(social::callback_post(auth, ctx))
            } else {
                social::callback(auth, ctx).await
            }
        })
    }),
    ("linkSocial", |auth, ctx, session| {
        Box::pin(async move { social::link_social(auth, ctx, &signed_in(session)?).await })
    }),
    ("getAccessToken", |auth, ctx, session| {
        Box::pin(async move { social::get_access_token(auth, ctx, session.as_ref()).await })
    }),
    ("refreshToken", |auth, ctx, session| {
        Box::pin(async move { social::refresh_token(auth, ctx, session.as_ref()).await })
    }),
    ("accountInfo", |auth, ctx, session| {
        Box::pin(async move { social::account_info(auth, ctx, &signed_in(session)?).await })
    }),
    ("ok", |_, _, _| {
        Box::pin(async { Ok(Reply::json(serde_json::json!({ "ok": true }))) })
    }),
    ("error", |auth, ctx, _| {
        Box::pin(async move { Ok(misc::error_page(auth, ctx)) })
    }),
];

#[cfg(test)]
mod tests {
    use super::HANDLERS;

    /// Core's registry with every option on is served: each endpoint has a handler (so
    /// OpenAPI, the clients and the router agree), and no handler is left without an endpoint.
    #[test]
    fn every_core_endpoint_has_a_handler_and_every_handler_an_endpoint() {
        let config = auth_core::Config::parse(
            "auth.toml",
            "[email-and-password]\nenabled = true\n[social-providers.github]\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let endpoints = auth_core::endpoints::endpoints(&config);
        assert!(endpoints.len() > 30);
        if let Err(missing) = crate::router::Router::new(endpoints.clone(), &[HANDLERS]) {
            panic!("{missing}");
        }
        for (id, _) in HANDLERS {
            assert!(endpoints.iter().any(|e| e.id == *id), "{id} serves nothing");
        }
    }
}
