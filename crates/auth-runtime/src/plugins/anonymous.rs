//! anonymous at run time, as better-auth 1.7.25's `anonymous` plugin: `POST /sign-in/anonymous`
//! creates a user without credentials (`isAnonymous`, a placeholder email, no account row),
//! `POST /delete-anonymous-user` removes it, and an after hook links: when a browser that holds
//! an anonymous session signs in or up as another user, the anonymous user is deleted with its
//! sessions.

use auth_core::endpoints::Endpoint;
use auth_core::plugins::anonymous::{self as declared, Options};
use auth_core::schema::Plugin;
use auth_core::schema::names::{session, user};
use serde_json::json;

use super::Runtime;
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Query, Reply};
use crate::routes::signed_in;
use crate::session::SessionCtx;
use crate::store::{Row, Value, Where, text_of};
use crate::wire::id;

/// `createPlaceholderEmail`'s domain for the `anonymous` namespace.
const PLACEHOLDER_DOMAIN: &str = "anonymous.placeholder.invalid";

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::Anonymous,
    handlers: &[
        ("signInAnonymous", |auth, ctx, _| {
            Box::pin(sign_in(auth, ctx))
        }),
        ("deleteAnonymousUser", |auth, ctx, session| {
            Box::pin(async move { delete(auth, ctx, &signed_in(session)?).await })
        }),
    ],
    sign_in_guard: None,
    on_request: None,
    before: None,
    after: Some(|auth, endpoint, ctx, _| Box::pin(link(auth, endpoint, ctx))),
    session_guard: None,
    database_hooks: None,
};

fn options(auth: &Auth) -> &Options {
    auth.inner.config.plugins.anonymous_options()
}

fn is_anonymous(user: &Row) -> bool {
    user.get(user::IS_ANONYMOUS).and_then(Value::as_bool) == Some(true)
}

/// A new anonymous user's email (lower-cased, as better-auth's `createUser` stores every email):
/// `<id>@anonymous.placeholder.invalid`, or `temp-<id>@<email-domain-name>`.
fn anonymous_email(options: &Options, id: &str) -> String {
    match options
        .email_domain_name
        .as_deref()
        .filter(|d| !d.is_empty())
    {
        Some(domain) => format!("temp-{id}@{domain}"),
        None => format!("{id}@{PLACEHOLDER_DOMAIN}"),
    }
    .to_lowercase()
}

/// The request's session as better-auth's `getSessionFromCtx(ctx, { disableRefresh: true })`
/// reads it: never extended, and a failed read is no session. The cookies the read sets (the
/// expiry of a cookie whose session is gone) go on the answer, after those already there.
async fn request_session(auth: &Auth, ctx: &mut Ctx) -> Option<SessionCtx> {
    let mut read = Ctx::new(
        ctx.method.clone(),
        ctx.path.clone(),
        Query::parse(Some("disableRefresh=true")),
        ctx.headers.clone(),
        ctx.cookies.clone(),
        ctx.client_ip.clone(),
    );
    let found = auth.session(&mut read).await;
    ctx.set_cookies.append(&mut read.set_cookies);
    found.unwrap_or_else(|error| {
        tracing::warn!(error = %error.message, "anonymous: the request's session cannot be read");
        None
    })
}

async fn sign_in(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    if request_session(auth, ctx)
        .await
        .is_some_and(|s| is_anonymous(&s.user))
    {
        return Err(ApiError::bad_request(
            declared::ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY,
        ));
    }
    let email = anonymous_email(options(auth), &id::generate());
    let mut row = Row::new();
    row.insert(user::NAME.into(), Value::String("Anonymous".into()));
    row.insert(user::EMAIL.into(), Value::String(email));
    row.insert(user::EMAIL_VERIFIED.into(), Value::Boolean(false));
    row.insert(user::IS_ANONYMOUS.into(), Value::Boolean(true));
    let user = auth.inner.store.insert(user::MODEL, row).await?;
    let token = auth
        .start_session(ctx, text_of(&user, user::ID), true)
        .await?;
    Ok(Reply::json(
        json!({ "token": token, "user": auth.output(user::MODEL, &user) }),
    ))
}

async fn delete(auth: &Auth, ctx: &mut Ctx, session: &SessionCtx) -> Result<Reply, ApiError> {
    if options(auth).disable_delete_anonymous_user {
        return Err(ApiError::bad_request(
            declared::DELETE_ANONYMOUS_USER_DISABLED,
        ));
    }
    if !is_anonymous(&session.user) {
        return Err(ApiError::forbidden(declared::USER_IS_NOT_ANONYMOUS));
    }
    auth.sessions().delete_user(session.user_id()).await?;
    auth.expire_session_cookies(ctx);
    Ok(Reply::json(json!({ "success": true })))
}

/// The answer sets a session cookie with a token (better-auth reads the last `Set-Cookie` of
/// that name: an expiry is no sign-in).
fn sets_session(auth: &Auth, ctx: &Ctx) -> bool {
    ctx.set_cookies
        .iter()
        .rev()
        .find(|c| c.name == auth.inner.session_cookie)
        .is_some_and(|c| c.value.split('.').next().is_some_and(|t| !t.is_empty()))
}

/// better-auth's after hook: a sign-in or sign-up (or a verification that signs in) from a
/// browser holding an anonymous session, that created a session for another, non-anonymous
/// user, deletes the anonymous user with its sessions and accounts. The request's session is
/// read before anything else is checked, as better-auth does: a session the handler deleted
/// expires the session cookie in the answer.
async fn link(auth: &Auth, endpoint: &Endpoint, ctx: &mut Ctx) -> Result<(), ApiError> {
    if !declared::links(endpoint.path) || !sets_session(auth, ctx) {
        return Ok(());
    }
    let Some(anonymous) = request_session(auth, ctx)
        .await
        .filter(|s| is_anonymous(&s.user))
    else {
        return Ok(());
    };
    let Some(new_user_id) = ctx
        .new_session
        .as_ref()
        .map(|s| text_of(s, session::USER_ID).to_owned())
    else {
        return Ok(());
    };
    if options(auth).disable_delete_anonymous_user || new_user_id == anonymous.user_id() {
        return Ok(());
    }
    let new_user = auth
        .inner
        .store
        .find_one(user::MODEL, &[Where::eq(user::ID, new_user_id.as_str())])
        .await?;
    if new_user.as_ref().is_some_and(is_anonymous) {
        return Ok(());
    }
    // better-auth logs a failed clean-up and still answers the sign-in.
    if let Err(error) = auth.sessions().delete_user(anonymous.user_id()).await {
        tracing::error!(error = %error.message, anonymous_user_id = anonymous.user_id(), "anonymous: the linked anonymous user cannot be deleted");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{Request, Response, header};

    use crate::plugins::tests::ORIGIN;

    async fn server(dir: &std::path::Path, options: &str) -> Auth {
        crate::plugins::tests::server(
            dir,
            &format!("[email-and-password]\nenabled = true\n[plugins.anonymous]\n{options}"),
        )
        .await
    }

    async fn post(auth: &Auth, path: &str, cookie: &str, body: &str) -> Response<Bytes> {
        let request = Request::post(format!("{ORIGIN}/api/auth{path}"))
            .header(header::ORIGIN, ORIGIN)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, cookie)
            .body(Bytes::from(body.to_owned()))
            .unwrap_or_else(|e| panic!("{e}"));
        auth.handle(request).await
    }

    /// `name=value` of the last session cookie the answer sets.
    fn session_cookie(auth: &Auth, response: &Response<Bytes>) -> String {
        response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .rev()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|pair| pair.starts_with(&format!("{}=", auth.inner.session_cookie)))
            .unwrap_or_else(|| panic!("no session cookie in {response:?}"))
            .to_owned()
    }

    async fn user_exists(auth: &Auth, id: &str) -> bool {
        auth.inner
            .store
            .find_one("user", &[Where::eq("id", id)])
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_some()
    }

    fn user_id(response: &Response<Bytes>) -> String {
        let body: serde_json::Value =
            serde_json::from_slice(response.body()).unwrap_or_else(|e| panic!("{e}"));
        body["user"]["id"].as_str().unwrap_or_default().to_owned()
    }

    #[tokio::test]
    async fn a_sign_up_from_an_anonymous_browser_deletes_the_anonymous_user_unless_disabled() {
        for (options, deleted) in [
            ("", true),
            ("disable-delete-anonymous-user = true\n", false),
        ] {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let auth = server(dir.path(), options).await;
            let anonymous = post(&auth, "/sign-in/anonymous", "", "{}").await;
            assert_eq!(anonymous.status(), 200);
            let cookie = session_cookie(&auth, &anonymous);
            let anonymous_id = user_id(&anonymous);
            let again = post(&auth, "/sign-in/anonymous", &cookie, "{}").await;
            assert_eq!(again.status(), 400);
            let body = r#"{"name":"N","email":"n@example.com","password":"correct-horse-battery"}"#;
            let up = post(&auth, "/sign-up/email", &cookie, body).await;
            assert_eq!(up.status(), 200);
            assert_ne!(user_id(&up), anonymous_id);
            assert_eq!(
                user_exists(&auth, &anonymous_id).await,
                !deleted,
                "{options}"
            );
            assert!(user_exists(&auth, &user_id(&up)).await);
        }
    }

    /// Research §1.4: when the handler already deleted the anonymous session, the hook's read
    /// of the request's session expires the session cookie after the fresh one, and deletes
    /// nothing.
    #[tokio::test]
    async fn a_gone_anonymous_session_expires_the_fresh_cookie() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
        let auth = server(dir.path(), "").await;
        let anonymous = post(&auth, "/sign-in/anonymous", "", "{}").await;
        let cookie = session_cookie(&auth, &anonymous);
        let anonymous_id = user_id(&anonymous);
        auth.sessions()
            .delete_of_user(&anonymous_id)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let mut ctx = Ctx::new(
            http::Method::POST,
            "/api/auth/sign-in/email".into(),
            Query::default(),
            http::HeaderMap::new(),
            crate::wire::cookie::RequestCookies::parse(&cookie),
            None,
        );
        let other = post(
            &auth,
            "/sign-up/email",
            "",
            r#"{"name":"N","email":"m@example.com","password":"correct-horse-battery"}"#,
        )
        .await;
        let token = auth
            .start_session(&mut ctx, &user_id(&other), true)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let endpoint = auth
            .inner
            .router
            .find(auth_core::endpoints::Method::Post, "/sign-in/email")
            .map(|(e, _)| e.clone())
            .unwrap_or_else(|| panic!("no /sign-in/email"));
        link(&auth, &endpoint, &mut ctx)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let sessions: Vec<&str> = ctx
            .set_cookies
            .iter()
            .filter(|c| c.name == auth.inner.session_cookie)
            .map(|c| c.value.as_str())
            .collect();
        assert_eq!(sessions.len(), 2, "{sessions:?}");
        assert!(sessions[0].starts_with(&token));
        assert_eq!(sessions[1], "", "the expiry comes last");
        assert!(user_exists(&auth, &anonymous_id).await);
    }

    #[test]
    fn emails_are_placeholders_or_on_the_configured_domain() {
        let default = Options::default();
        assert_eq!(
            anonymous_email(&default, "AbC123"),
            "abc123@anonymous.placeholder.invalid"
        );
        let domain = Options {
            email_domain_name: Some("Example.com".into()),
            ..Options::default()
        };
        assert_eq!(
            anonymous_email(&domain, "AbC123"),
            "temp-abc123@example.com"
        );
        let empty = Options {
            email_domain_name: Some(String::new()),
            ..Options::default()
        };
        assert_eq!(
            anonymous_email(&empty, "x"),
            "x@anonymous.placeholder.invalid"
        );
    }

    #[test]
    fn only_a_true_is_anonymous_is_anonymous() {
        let mut user = Row::new();
        assert!(!is_anonymous(&user));
        user.insert("isAnonymous".into(), Value::Null);
        assert!(!is_anonymous(&user));
        user.insert("isAnonymous".into(), Value::Boolean(false));
        assert!(!is_anonymous(&user));
        user.insert("isAnonymous".into(), Value::Boolean(true));
        assert!(is_anonymous(&user));
    }
}
