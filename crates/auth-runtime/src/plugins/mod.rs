//! The plugins this runtime serves.
//!
//! `auth.toml` accepts every better-auth plugin, and the schema tools derive their tables; a
//! server, though, must never run with a plugin whose endpoints and checks it lacks (two-factor
//! unenforced would sign its users in with a password alone). [`SERVED`] is the one list that
//! decides: [`Auth::new`](crate::Auth::new) refuses every other plugin, README's table of plugins
//! is checked against it, and a test runs over every plugin id.

use std::sync::Arc;

use auth_core::endpoints::Endpoint;
use auth_core::schema::Plugin;
use futures_util::future::BoxFuture;

use crate::Auth;
use crate::error::ApiError;
use crate::hooks::DatabaseHooks;
use crate::http::{Ctx, Query, Reply};
use crate::router::Handlers;
use crate::store::Row;

mod admin;
mod anonymous;
mod api_key;
mod bearer;
mod email_otp;
mod email_proof;
mod generic_oauth;
mod jwt;
mod last_login_method;
mod listing;
mod magic_link;
mod multi_session;
mod one_time_token;
mod open_api;
mod organization;
mod otp;
mod passkey;
mod phone_number;
mod two_factor;
mod username;

pub use admin::Granted;
pub use api_key::NewApiKey;
pub use open_api::{SCALAR_SHA256, SCALAR_VERSION};
pub(crate) use organization::member_may;

/// The plugins whose runtime is built: [`RUNTIMES`]' plugins, in canonical order (a test holds
/// the two together).
pub const SERVED: &[Plugin] = &[
    Plugin::TwoFactor,
    Plugin::Organization,
    Plugin::Admin,
    Plugin::Username,
    Plugin::Anonymous,
    Plugin::PhoneNumber,
    Plugin::Passkey,
    Plugin::ApiKey,
    Plugin::Jwt,
    Plugin::MultiSession,
    Plugin::MagicLink,
    Plugin::EmailOtp,
    Plugin::LastLoginMethod,
    Plugin::Bearer,
    Plugin::OpenApi,
    Plugin::GenericOauth,
    Plugin::OneTimeToken,
];

/// A check between a password sign-in's credentials and the session it created: `Some(answer)`
/// takes the session back and answers instead (two-factor's challenge). Every password
/// sign-in (email, username, phone number) runs each enabled plugin's guard.
pub(crate) type SignInGuard = for<'a> fn(
    &'a Auth,
    &'a mut Ctx,
    &'a Row,
    &'a str,
) -> BoxFuture<'a, Result<Option<Reply>, ApiError>>;

/// Runs on every request before its session is resolved, after the origin check and the body's
/// parse: as `Runtime::on_request`, rewriting what the request carries (bearer turns
/// `Authorization` into the session cookie), then as `Runtime::before`, around endpoints
/// (username's checks before sign-up), which so see the request as rewritten whatever the plugin
/// order.
pub(crate) type BeforeHook =
    for<'a> fn(&'a Auth, &'a Endpoint, &'a mut Ctx) -> BoxFuture<'a, Result<(), ApiError>>;

/// Runs after every successful handler, in plugin order, on its answer: the answer's cookies
/// and headers are in `ctx` (`set_cookies`, `response_headers`), a session it created in
/// `ctx.new_session`.
pub(crate) type AfterHook = for<'a> fn(
    &'a Auth,
    &'a Endpoint,
    &'a mut Ctx,
    &'a mut Reply,
) -> BoxFuture<'a, Result<(), ApiError>>;

/// Runs before every session is stored, whatever signs the user in (password, social, magic
/// link, a code, anonymous, impersonation…): an error refuses the session and answers the
/// request (admin's bans). Arguments: the user's id.
pub(crate) type SessionGuard = for<'a> fn(&'a Auth, &'a str) -> BoxFuture<'a, Result<(), ApiError>>;

/// Adds a plugin's database hooks to the server's (after the application's, as better-auth
/// runs a plugin's `databaseHooks`): admin's default role on every new user.
pub(crate) type AddDatabaseHooks = fn(&auth_core::Config, DatabaseHooks) -> DatabaseHooks;

/// What a plugin brings to the runtime: the handlers of the endpoints it declares in
/// `auth_core::plugins`, and its hooks around other endpoints.
#[derive(Debug)]
pub(crate) struct Runtime {
    pub(crate) plugin: Plugin,
    pub(crate) handlers: Handlers,
    pub(crate) sign_in_guard: Option<SignInGuard>,
    pub(crate) on_request: Option<BeforeHook>,
    pub(crate) before: Option<BeforeHook>,
    pub(crate) after: Option<AfterHook>,
    pub(crate) session_guard: Option<SessionGuard>,
    pub(crate) database_hooks: Option<AddDatabaseHooks>,
}

/// Every plugin runtime, in canonical order.
pub(crate) const RUNTIMES: &[Runtime] = &[
    two_factor::RUNTIME,
    organization::RUNTIME,
    admin::RUNTIME,
    username::RUNTIME,
    anonymous::RUNTIME,
    phone_number::RUNTIME,
    passkey::RUNTIME,
    api_key::RUNTIME,
    jwt::RUNTIME,
    multi_session::RUNTIME,
    magic_link::RUNTIME,
    email_otp::RUNTIME,
    last_login_method::RUNTIME,
    bearer::RUNTIME,
    open_api::RUNTIME,
    generic_oauth::RUNTIME,
    one_time_token::RUNTIME,
];

/// The runtimes of the plugins `plugins` enables.
pub(crate) fn enabled(plugins: &[Plugin]) -> impl Iterator<Item = &'static Runtime> {
    RUNTIMES.iter().filter(move |r| plugins.contains(&r.plugin))
}

/// Sets the answer header `name` to `value` and adds `name` to `Access-Control-Expose-Headers`
/// (merged with the names already there, comma-space separated), so a browser's script may read
/// it (bearer's `set-auth-token`, one-time-token's `set-ott`, jwt's `set-auth-jwt`).
fn expose_header(ctx: &mut Ctx, name: &'static str, value: &str) {
    let Ok(value) = http::HeaderValue::from_str(value) else {
        tracing::error!(name, "answer header not set: not a header value");
        return;
    };
    ctx.response_headers.insert(name, value);
    let expose = http::header::ACCESS_CONTROL_EXPOSE_HEADERS;
    let mut names: Vec<String> = ctx
        .response_headers
        .get(&expose)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    if !names.iter().any(|n| n == name) {
        names.push(name.to_owned());
    }
    if let Ok(joined) = http::HeaderValue::from_str(&names.join(", ")) {
        ctx.response_headers.insert(expose, joined);
    }
}

/// The signed-in user of an update-user request, read without touching its answer (the
/// endpoint's own session lookup refreshes and re-issues cookies afterwards).
pub(super) async fn request_user(auth: &Auth, ctx: &Ctx) -> Result<Option<Row>, ApiError> {
    let mut probe = Ctx::new(
        ctx.method.clone(),
        ctx.path.clone(),
        Query::parse(Some("disableRefresh=true")),
        ctx.headers.clone(),
        ctx.cookies.clone(),
        ctx.client_ip.clone(),
    );
    Ok(auth
        .session(&mut probe)
        .await?
        .map(|found| Arc::unwrap_or_clone(found.user)))
}

/// The request's path relative to the base path (`/callback/github`).
fn relative_path<'a>(auth: &Auth, ctx: &'a Ctx) -> &'a str {
    ctx.path.strip_prefix(auth.base_path()).unwrap_or(&ctx.path)
}

impl Auth {
    /// Runs the sign-in guards of the enabled plugins after a password sign-in created the
    /// session `token` for `user`; the first that answers replaces the sign-in's answer.
    pub(crate) async fn guard_password_sign_in(
        &self,
        ctx: &mut Ctx,
        user: &Row,
        token: &str,
    ) -> Result<Option<Reply>, ApiError> {
        for guard in self.inner.plugins.iter().filter_map(|r| r.sign_in_guard) {
            if let Some(answer) = guard(self, ctx, user, token).await? {
                return Ok(Some(answer));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests;
