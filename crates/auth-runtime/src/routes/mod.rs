//! The endpoints. [`dispatch`] maps each endpoint of the registry (`auth_core::endpoints`) to its
//! handler: the registry says what is routed; this module says what each route does.

mod email;
mod input;
mod misc;
mod password;
mod sessions;
mod social;
mod user;

use auth_core::endpoints::{Endpoint, Method};
use http::StatusCode;

use crate::Auth;
use crate::http::{ApiError, Ctx, Reply};
use crate::session::SessionCtx;
use crate::store::text;

pub(crate) use input::{is_valid_email, model_input};
use social::scopes_of;

/// Each route a handler serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    SignUpEmail,
    SignInEmail,
    SignOut,
    GetSession,
    ListSessions,
    RevokeSession,
    RevokeSessions,
    RevokeOtherSessions,
    UpdateUser,
    UpdateSession,
    ChangePassword,
    VerifyPassword,
    DeleteUser,
    ListAccounts,
    ChangeEmail,
    SendVerificationEmail,
    VerifyEmail,
    RequestPasswordReset,
    ResetPasswordLink,
    ResetPassword,
    DeleteUserCallback,
    UnlinkAccount,
    SignInSocial,
    Callback,
    CallbackPost,
    LinkSocial,
    GetAccessToken,
    RefreshToken,
    AccountInfo,
    Ok,
    Error,
}

/// The handler of a registry endpoint.
pub(crate) fn route(method: Method, path: &str) -> Option<Route> {
    use Method::{Get, Post};
    Some(match (method, path) {
        (Post, "/sign-up/email") => Route::SignUpEmail,
        (Post, "/sign-in/email") => Route::SignInEmail,
        (Post, "/sign-out") => Route::SignOut,
        (Get, "/get-session") => Route::GetSession,
        (Get, "/list-sessions") => Route::ListSessions,
        (Post, "/revoke-session") => Route::RevokeSession,
        (Post, "/revoke-sessions") => Route::RevokeSessions,
        (Post, "/revoke-other-sessions") => Route::RevokeOtherSessions,
        (Post, "/update-user") => Route::UpdateUser,
        (Post, "/update-session") => Route::UpdateSession,
        (Post, "/change-password") => Route::ChangePassword,
        (Post, "/verify-password") => Route::VerifyPassword,
        (Post, "/delete-user") => Route::DeleteUser,
        (Get, "/list-accounts") => Route::ListAccounts,
        (Post, "/change-email") => Route::ChangeEmail,
        (Post, "/send-verification-email") => Route::SendVerificationEmail,
        (Get, "/verify-email") => Route::VerifyEmail,
        (Post, "/request-password-reset") => Route::RequestPasswordReset,
        (Get, "/reset-password/:token") => Route::ResetPasswordLink,
        (Post, "/reset-password") => Route::ResetPassword,
        (Get, "/delete-user/callback") => Route::DeleteUserCallback,
        (Post, "/unlink-account") => Route::UnlinkAccount,
        (Post, "/sign-in/social") => Route::SignInSocial,
        (Get, "/callback/:id") => Route::Callback,
        (Post, "/callback/:id") => Route::CallbackPost,
        (Post, "/link-social") => Route::LinkSocial,
        (Post, "/get-access-token") => Route::GetAccessToken,
        (Post, "/refresh-token") => Route::RefreshToken,
        (Get, "/account-info") => Route::AccountInfo,
        (Get, "/ok") => Route::Ok,
        (Get, "/error") => Route::Error,
        _ => return None,
    })
}

/// Runs the handler of `endpoint`. `session` is the caller's session as the endpoint's access
/// rule resolved it (always present for session-requiring endpoints).
pub(crate) async fn dispatch(
    auth: &Auth,
    endpoint: &Endpoint,
    ctx: &mut Ctx,
    session: Option<SessionCtx>,
) -> Result<Reply, ApiError> {
    let Some(route) = route(endpoint.method, endpoint.path) else {
        // Every registry endpoint has a handler (`every_registry_endpoint_has_a_handler`).
        return Ok(Reply {
            status: StatusCode::NOT_FOUND,
            body: crate::http::ReplyBody::Empty,
            location: None,
        });
    };
    let signed_in = || session.clone().ok_or_else(ApiError::unauthorized);
    match route {
        Route::SignUpEmail => password::sign_up(auth, ctx).await,
        Route::SignInEmail => password::sign_in(auth, ctx).await,
        Route::SignOut => sessions::sign_out(auth, ctx).await,
        Route::GetSession => Ok(sessions::get_session(auth, session.as_ref())),
        Route::ListSessions => sessions::list(auth, &signed_in()?).await,
        Route::RevokeSession => sessions::revoke(auth, ctx, &signed_in()?).await,
        Route::RevokeSessions => sessions::revoke_all(auth, ctx, &signed_in()?).await,
        Route::RevokeOtherSessions => sessions::revoke_others(auth, &signed_in()?).await,
        Route::UpdateSession => sessions::update(auth, ctx, &signed_in()?).await,
        Route::UpdateUser => user::update(auth, ctx, &signed_in()?).await,
        Route::ChangePassword => password::change(auth, ctx, &signed_in()?).await,
        Route::VerifyPassword => password::verify(auth, ctx, &signed_in()?).await,
        Route::DeleteUser => user::delete(auth, ctx, &signed_in()?).await,
        Route::ListAccounts => user::list_accounts(auth, &signed_in()?).await,
        Route::ChangeEmail => email::change_email(auth, ctx, &signed_in()?).await,
        Route::SendVerificationEmail => {
            email::send_verification_email(auth, ctx, session.as_ref()).await
        }
        Route::VerifyEmail => email::verify_email(auth, ctx, session.as_ref()).await,
        Route::RequestPasswordReset => email::request_password_reset(auth, ctx).await,
        Route::ResetPasswordLink => email::reset_password_link(auth, ctx).await,
        Route::ResetPassword => email::reset_password(auth, ctx).await,
        Route::DeleteUserCallback => email::delete_user_callback(auth, ctx, &signed_in()?).await,
        Route::UnlinkAccount => user::unlink_account(auth, ctx, &signed_in()?).await,
        Route::SignInSocial => social::sign_in_social(auth, ctx).await,
        Route::Callback => social::callback(auth, ctx).await,
        Route::CallbackPost => Ok(social::callback_post(auth, ctx)),
        Route::LinkSocial => social::link_social(auth, ctx, &signed_in()?).await,
        Route::GetAccessToken => social::get_access_token(auth, ctx, session.as_ref()).await,
        Route::RefreshToken => social::refresh_token(auth, ctx, session.as_ref()).await,
        Route::AccountInfo => social::account_info(auth, ctx, &signed_in()?).await,
        Route::Ok => Ok(Reply::json(serde_json::json!({ "ok": true }))),
        Route::Error => Ok(misc::error_page(auth, ctx)),
    }
}

#[cfg(test)]
mod tests {
    use super::route;

    /// The server routes exactly the registry: every endpoint the registry lists for a
    /// configuration with every option on has a handler (so OpenAPI and the router agree).
    #[test]
    fn every_registry_endpoint_has_a_handler() {
        let config = auth_core::Config::parse(
            "auth.toml",
            "[email-and-password]\nenabled = true\n[social-providers.github]\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let endpoints = auth_core::endpoints::endpoints(&config);
        assert!(endpoints.len() > 30);
        for endpoint in endpoints {
            assert!(
                route(endpoint.method, endpoint.path).is_some(),
                "{} {} has no handler",
                endpoint.method.as_str(),
                endpoint.path
            );
        }
    }
}
