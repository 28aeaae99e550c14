//! last-login-method at run time, as better-auth 1.7.25's `lastLoginMethod` plugin: an answer
//! on a login path (`method_for`) that sets or clears the session cookie also sets a cookie
//! scripts can read, naming the method; with `store-in-database`, the method is written to
//! `user.lastLoginMethod` when such a request creates a user or a session.

use auth_core::endpoints::Endpoint;
use auth_core::plugins::last_login_method::method_for;
use auth_core::schema::Plugin;
use auth_core::schema::names::{session, user};
use futures_util::future::BoxFuture;

use super::{Runtime, relative_path};
use crate::Auth;
use crate::error::ApiError;
use crate::http::Ctx;
use crate::store::{Row, Value, text};
use crate::wire::cookie::{CookieAttributes, SetCookie};

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::LastLoginMethod,
    handlers: &[],
    sign_in_guard: None,
    on_request: None,
    before: Some(before),
    after: Some(|auth, _, ctx, _| Box::pin(after(auth, ctx))),
    session_guard: None,
    database_hooks: None,
};

/// better-auth's `user.create.before` database hook: a user created on a login path gets the
/// method.
fn before<'a>(
    auth: &'a Auth,
    _: &'a Endpoint,
    ctx: &'a mut Ctx,
) -> BoxFuture<'a, Result<(), ApiError>> {
    if auth
        .inner
        .config
        .plugins
        .last_login_method_options()
        .store_in_database
        && let Some(method) = method_for(relative_path(auth, ctx))
    {
        let method = Value::String(method.to_owned());
        ctx.new_user_fields
            .insert(user::LAST_LOGIN_METHOD.into(), method);
    }
    Box::pin(std::future::ready(Ok(())))
}

async fn after(auth: &Auth, ctx: &mut Ctx) -> Result<(), ApiError> {
    let Some(method) = method_for(relative_path(auth, ctx)).map(str::to_owned) else {
        return Ok(());
    };
    let options = auth.inner.config.plugins.last_login_method_options();
    // better-auth's `session.create.after` database hook.
    if options.store_in_database
        && let Some(user_id) = ctx.new_session.as_ref().map(|s| text(s, session::USER_ID))
    {
        let mut changes = Row::new();
        changes.insert(
            user::LAST_LOGIN_METHOD.into(),
            Value::String(method.clone()),
        );
        auth.update_user(&user_id, changes).await?;
    }
    let session_cookie = auth.inner.session_cookie.as_str();
    if ctx
        .set_cookies
        .iter()
        .any(|c| c.name.contains(session_cookie))
    {
        let attributes = CookieAttributes {
            max_age: Some(options.max_age),
            http_only: false,
            ..auth.inner.cookies.attributes()
        };
        ctx.set_cookies.push(SetCookie::plain(
            options.cookie_name.clone(),
            &method,
            attributes,
        ));
    }
    Ok(())
}
