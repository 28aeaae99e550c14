//! magic-link at run time, as better-auth 1.7.25's `magicLink` plugin: `sign-in/magic-link` mails
//! a link holding a token of 32 letters, kept as `magic-link:<token>` (or its hash) with the
//! address and name as JSON; `magic-link/verify` takes it once (of concurrent requests, one wins)
//! and signs the address in, creating its user unless `disable-sign-up`. Failures redirect to
//! the error callback with `?error=…`, as better-auth does.

use auth_core::plugins::magic_link::Options;
use auth_core::schema::Plugin;
use auth_core::schema::names::{session, user, verification};
use serde_json::{Value as Json, json};

use super::Runtime;
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::mail::Message;
use crate::routes::is_valid_email;
use crate::store::{Row, Timestamp, text};
use crate::verification::live;
use crate::wire::id;
use crate::wire::key_hash::stored_token;

/// The token's length (better-auth's `generateRandomString(32, "a-z", "A-Z")`).
const TOKEN_LENGTH: usize = 32;
/// The record's `type` (better-auth refuses any other).
const RECORD_TYPE: &str = "magic-link";

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::MagicLink,
    handlers: &[
        ("signInMagicLink", |auth, ctx, _| {
            Box::pin(sign_in(auth, ctx))
        }),
        ("magicLinkVerify", |auth, ctx, _| {
            Box::pin(verify(auth, ctx))
        }),
    ],
    sign_in_guard: None,
    on_request: None,
    before: None,
    after: None,
    session_guard: None,
    database_hooks: None,
};

fn options(auth: &Auth) -> &Options {
    auth.inner.config.plugins.magic_link_options()
}

/// The `verification` identifier of a token.
fn identifier(options: &Options, token: &str) -> String {
    format!("magic-link:{}", stored_token(options.store_token, token))
}

/// The row's value: better-auth's `{"type":"magic-link","email":…,"name":…}` (no `name` when the
/// request gave none).
fn record(email: &str, name: Option<&str>) -> String {
    let mut record = serde_json::Map::new();
    record.insert("type".into(), RECORD_TYPE.into());
    record.insert("email".into(), email.into());
    if let Some(name) = name {
        record.insert("name".into(), name.into());
    }
    Json::Object(record).to_string()
}

/// The address and name of a record, if it is one better-auth accepts (strict: no other key).
fn parse_record(value: &str) -> Option<(String, Option<String>)> {
    let Ok(Json::Object(record)) = serde_json::from_str::<Json>(value) else {
        return None;
    };
    if record.get("type") != Some(&Json::String(RECORD_TYPE.into()))
        || record
            .keys()
            .any(|k| !matches!(k.as_str(), "type" | "email" | "name"))
    {
        return None;
    }
    let email = record
        .get("email")?
        .as_str()
        .filter(|e| is_valid_email(e))?;
    let name = match record.get("name") {
        None => None,
        Some(Json::String(name)) => Some(name.clone()),
        Some(_) => return None,
    };
    Some((email.to_owned(), name))
}

async fn sign_in(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let options = options(auth);
    let body = &ctx.body;
    let email = body.str("email")?.to_owned();
    if !is_valid_email(&email) {
        return Err(ApiError::validation("[body.email] Invalid email address"));
    }
    let name = body.opt_str("name")?.map(str::to_owned);
    let callback = body.opt_str("callbackURL")?.filter(|c| !c.is_empty());
    let token = id::generate_letters(TOKEN_LENGTH);
    let url = {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("token", &token)
            .append_pair("callbackURL", callback.unwrap_or("/"));
        for key in ["newUserCallbackURL", "errorCallbackURL"] {
            if let Some(url) = body.opt_str(key)?.filter(|u| !u.is_empty()) {
                query.append_pair(key, url);
            }
        }
        format!("{}/magic-link/verify?{}", auth.api_url(), query.finish())
    };
    let seconds = i64::try_from(options.expires_in).unwrap_or(i64::MAX / 1000);
    let expires_at = Timestamp::now().plus_millis(seconds.saturating_mul(1000));
    auth.verifications()
        .create(
            &identifier(options, &token),
            &record(&email, name.as_deref()),
            expires_at,
        )
        .await?;
    auth.submit_mail(Message::magic_link(email, url, token))
        .await?;
    Ok(Reply::json(json!({ "status": true })))
}

/// A query parameter, unless absent or empty (better-auth's `query.x || …`).
fn given<'a>(ctx: &'a Ctx, key: &str) -> Option<&'a str> {
    ctx.query.get(key).filter(|v| !v.is_empty())
}

/// Where `verify` sends the browser: the callback URLs resolved against the API's URL, as
/// better-auth's `new URL(value, baseURL)`.
struct Targets {
    success: String,
    new_user: String,
    error: url::Url,
}

impl Targets {
    fn of(auth: &Auth, ctx: &Ctx) -> Result<Self, ApiError> {
        let base =
            url::Url::parse(auth.api_url()).map_err(|_| ApiError::unavailable("the base URL"))?;
        let resolve = |value: &str, key: &str| {
            base.join(value)
                .map_err(|_| ApiError::validation(format!("[query.{key}] Invalid URL: {value}")))
        };
        let success = resolve(given(ctx, "callbackURL").unwrap_or("/"), "callbackURL")?;
        let error = match given(ctx, "errorCallbackURL") {
            Some(value) => resolve(value, "errorCallbackURL")?,
            None => success.clone(),
        };
        let new_user = match given(ctx, "newUserCallbackURL") {
            Some(value) => resolve(value, "newUserCallbackURL")?.to_string(),
            None => success.to_string(),
        };
        Ok(Self {
            success: success.to_string(),
            new_user,
            error,
        })
    }

    /// The error callback with `error` set (better-auth's `searchParams.set`).
    fn failure(&self, error: &str) -> Reply {
        let mut url = self.error.clone();
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "error")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair("error", error);
        Reply::redirect(url.to_string())
    }
}

async fn verify(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let options = options(auth);
    let token = ctx.query.required("token")?.to_owned();
    let targets = Targets::of(auth, ctx)?;
    let identifier = identifier(options, &token);
    let verifications = auth.verifications();
    // A row that is no magic-link record is left alone, as better-auth leaves it.
    let pending = verifications.find(&identifier).await?;
    if pending.is_none_or(|row| parse_record(&text(&row, verification::VALUE)).is_none()) {
        return Ok(targets.failure("INVALID_TOKEN"));
    }
    let Some((email, name)) = verifications
        .consume(&identifier)
        .await?
        .filter(live)
        .and_then(|row| parse_record(&text(&row, verification::VALUE)))
    else {
        return Ok(targets.failure("INVALID_TOKEN"));
    };
    let (user, is_new) = match auth.find_user_by_email(&email).await? {
        Some(user) => (user, false),
        None if options.disable_sign_up => {
            return Ok(targets.failure("new_user_signup_disabled"));
        }
        None => {
            let name = name.as_deref().unwrap_or_default();
            match auth.create_proven_user(ctx, &email, name, Row::new()).await {
                Ok(user) => (user, true),
                Err(error) => {
                    tracing::warn!(message = %error.message, "magic-link: user not created");
                    return Ok(targets.failure("failed_to_create_user"));
                }
            }
        }
    };
    let Some(user) = auth.revoke_unproven_account_access(user).await? else {
        return Ok(targets.failure("user_not_found"));
    };
    let token = auth
        .start_session(ctx, &text(&user, user::ID), true)
        .await?;
    if given(ctx, "callbackURL").is_none() {
        let session = ctx.new_session.clone().unwrap_or_default();
        return Ok(Reply::json(json!({
            "token": token,
            "user": auth.output(user::MODEL, &user),
            "session": auth.output(session::MODEL, &session),
        })));
    }
    Ok(Reply::redirect(if is_new {
        targets.new_user
    } else {
        targets.success
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Where;
    use bytes::Bytes;
    use http::{Request, Response, StatusCode, header};

    use crate::plugins::tests::ORIGIN;

    async fn server(dir: &std::path::Path, options: &str) -> Auth {
        crate::plugins::tests::server(dir, &format!("[plugins.magic-link]\n{options}")).await
    }

    async fn request(auth: &Auth, method: &str, path: &str, body: &str) -> Response<Bytes> {
        let request = Request::builder()
            .method(method)
            .uri(format!("{ORIGIN}/api/auth{path}"))
            .header(header::ORIGIN, ORIGIN)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Bytes::from(body.to_owned()))
            .unwrap_or_else(|e| panic!("{e}"));
        auth.handle(request).await
    }

    /// The token of the `n`-th magic-link line of the log mailer's file (it is written in the
    /// background).
    async fn mailed_token(dir: &std::path::Path, n: usize) -> String {
        for _ in 0..100 {
            let text = std::fs::read_to_string(dir.join("outbox.jsonl")).unwrap_or_default();
            if let Some(line) = text.lines().filter(|l| l.contains("\"magic-link\"")).nth(n) {
                let mail: Json = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
                return mail["token"].as_str().unwrap_or_default().to_owned();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no magic-link line {n}")
    }

    /// With `disable-sign-up` a link for an address without a user redirects with
    /// `error=new_user_signup_disabled` and creates nobody; without it, the user is created.
    #[tokio::test]
    async fn sign_up_by_link_unless_disabled() {
        for (options, created) in [("disable-sign-up = true\n", false), ("", true)] {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let auth = server(dir.path(), options).await;
            let body = r#"{"email":"New@Example.com","callbackURL":"/in"}"#;
            let sent = request(&auth, "POST", "/sign-in/magic-link", body).await;
            assert_eq!(sent.status(), StatusCode::OK, "{options}");
            let token = mailed_token(dir.path(), 0).await;
            let path = format!("/magic-link/verify?token={token}&callbackURL=%2Fin");
            let verified = request(&auth, "GET", &path, "").await;
            assert_eq!(verified.status(), StatusCode::FOUND, "{options}");
            let location = verified.headers().get(header::LOCATION).cloned();
            let expected = if created {
                format!("{ORIGIN}/in")
            } else {
                format!("{ORIGIN}/in?error=new_user_signup_disabled")
            };
            assert_eq!(
                location,
                Some(expected.parse().unwrap_or_else(|e| panic!("{e}")))
            );
            let user = auth
                .inner
                .store
                .find_one("user", &[Where::eq("email", "new@example.com")])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(user.is_some(), created, "{options}");
        }
    }

    /// A plugin that sends mail does not start without a mailer.
    #[tokio::test]
    async fn a_server_without_a_mailer_is_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let text = "base-url = \"http://127.0.0.1:3000\"\n[plugins.magic-link]\n";
        let config = auth_core::Config::parse("auth.toml", text).unwrap_or_else(|e| panic!("{e}"));
        let schema = auth_core::Schema::build(&config).unwrap_or_else(|e| panic!("{e}"));
        let store = crate::store::Store::create_sqlite(&schema, &dir.path().join("auth.db"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let secret =
            crate::wire::Secret::new("a-test-secret-that-is-long-enough-0123456789".to_owned())
                .unwrap_or_else(|e| panic!("{e}"));
        match Auth::new(config, store, secret, crate::AuthOptions::default()) {
            Err(crate::AuthError::Config(error)) => assert_eq!(
                error.to_string(),
                "auth.toml:2:1: magic-link sends its links by mail, but there is no [mailer]"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn records_are_better_auths_and_strict() {
        let written = record("A@example.com", Some("Ann"));
        assert_eq!(
            parse_record(&written),
            Some(("A@example.com".to_owned(), Some("Ann".to_owned())))
        );
        assert_eq!(
            parse_record(r#"{"type":"magic-link","email":"a@example.com"}"#),
            Some(("a@example.com".to_owned(), None))
        );
        for refused in [
            r#"{"type":"magic-link","email":"a@example.com","userId":"x"}"#,
            r#"{"type":"other","email":"a@example.com"}"#,
            r#"{"type":"magic-link","email":"not-an-address"}"#,
            r#"{"type":"magic-link","email":"a@example.com","name":1}"#,
            r#"["magic-link"]"#,
            "not json",
        ] {
            assert_eq!(parse_record(refused), None, "{refused}");
        }
    }

    #[test]
    fn hashed_identifiers_are_sha256_base64url() {
        let options = Options {
            store_token: auth_core::plugins::StoreToken::Hashed,
            ..Options::default()
        };
        // SHA-256("abc"), base64url without padding.
        assert_eq!(
            identifier(&options, "abc"),
            "magic-link:ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
        assert_eq!(identifier(&Options::default(), "abc"), "magic-link:abc");
    }
}
