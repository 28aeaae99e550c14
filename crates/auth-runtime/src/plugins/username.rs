//! username at run time, as better-auth 1.7.25's `username` plugin: sign-in by username, the
//! availability check, and a hook before core's sign-up and update-user that validates,
//! de-duplicates and normalizes the `username` and `displayUsername` they write.
//!
//! A validation failure is 422 on the plugin's own endpoints but 400 on sign-up and update-user,
//! as better-auth answers.

use std::borrow::Cow;

use auth_core::endpoints::Endpoint;
use auth_core::errors::ErrorCode;
use auth_core::plugins::username::{self as declared, Options, Order};
use auth_core::schema::Plugin;
use auth_core::schema::names::user;
use http::StatusCode;
use serde_json::{Map, Value as Json, json};

use super::{Runtime, request_user};
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::routes::PasswordSignIn;
use crate::store::{Row, Value, Where, text_of};

const SIGN_UP: &str = "signUpEmail";
const UPDATE_USER: &str = "updateUser";

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::Username,
    handlers: &[
        ("signInUsername", |auth, ctx, _| {
            Box::pin(sign_in(auth, ctx))
        }),
        ("isUsernameAvailable", |auth, ctx, _| {
            Box::pin(is_available(auth, ctx))
        }),
    ],
    sign_in_guard: None,
    on_request: None,
    before: Some(|auth, endpoint, ctx| Box::pin(before(auth, endpoint, ctx))),
    after: None,
    session_guard: None,
    database_hooks: None,
};

fn options(auth: &Auth) -> &Options {
    auth.inner.config.plugins.username_options()
}

/// The stored form of a username (better-auth's `usernameNormalization`): lower-cased unless
/// `username-normalization = false`.
fn normalize<'a>(options: &Options, username: &'a str) -> Cow<'a, str> {
    if options.username_normalization {
        Cow::Owned(username.to_lowercase())
    } else {
        Cow::Borrowed(username)
    }
}

fn normalize_display<'a>(options: &Options, display: &'a str) -> Cow<'a, str> {
    if options.display_username_normalization {
        Cow::Owned(display.to_lowercase())
    } else {
        Cow::Borrowed(display)
    }
}

/// better-auth's `validateUsernameValue`: the length (in UTF-16 units, as JavaScript counts
/// it), then the default validator `^[a-zA-Z0-9_.]+$`, on the name as given unless
/// `validation-order.username = "post-normalization"`.
fn validate(options: &Options, username: &str) -> Result<(), ErrorCode> {
    let checked = match options.validation_order.username {
        Order::PreNormalization => Cow::Borrowed(username),
        Order::PostNormalization => normalize(options, username),
    };
    let length = checked.encode_utf16().count();
    if length < options.min_username_length {
        return Err(declared::USERNAME_TOO_SHORT);
    }
    if length > options.max_username_length {
        return Err(declared::USERNAME_TOO_LONG);
    }
    let valid = !checked.is_empty()
        && checked
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !valid {
        return Err(declared::INVALID_USERNAME);
    }
    Ok(())
}

fn unprocessable(code: ErrorCode) -> ApiError {
    ApiError::base(StatusCode::UNPROCESSABLE_ENTITY, code)
}

async fn find_by_username(auth: &Auth, normalized: &str) -> Result<Option<Row>, ApiError> {
    Ok(auth
        .inner
        .store
        .find_one(user::MODEL, &[Where::eq(user::USERNAME, normalized)])
        .await?)
}

async fn sign_in(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let username = ctx.body.str("username")?.to_owned();
    let attempt = PasswordSignIn::from_body(&ctx.body)?;
    let invalid = declared::INVALID_USERNAME_OR_PASSWORD;
    if username.is_empty() || attempt.password.is_empty() {
        return Err(ApiError::base(StatusCode::UNAUTHORIZED, invalid));
    }
    let options = options(auth);
    validate(options, &username).map_err(unprocessable)?;
    auth.check_password_length(&attempt.password, false)?;
    let user = find_by_username(auth, &normalize(options, &username)).await?;
    auth.sign_in_with_password(ctx, user, attempt, invalid)
        .await
}

async fn is_available(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let username = ctx.body.str("username")?;
    if username.is_empty() {
        return Err(unprocessable(declared::INVALID_USERNAME));
    }
    let options = options(auth);
    validate(options, username).map_err(unprocessable)?;
    let taken = find_by_username(auth, &normalize(options, username))
        .await?
        .is_some();
    Ok(Reply::json(json!({ "available": !taken })))
}

/// JavaScript's falsiness of a JSON value.
fn falsy(value: Option<&Json>) -> bool {
    match value {
        None | Some(Json::Null | Json::Bool(false)) => true,
        Some(Json::String(s)) => s.is_empty(),
        Some(Json::Number(n)) => n.as_f64() == Some(0.0),
        Some(_) => false,
    }
}

/// better-auth's hooks before `/sign-up/email` and `/update-user`, then its schema's input
/// transforms: a sign-up with only a valid `displayUsername` takes it as its username; a
/// `username` string is validated (400) and must not belong to another user (400
/// `USERNAME_IS_ALREADY_TAKEN`); a sign-up's `displayUsername` defaults to the username as
/// typed; both are stored normalized.
async fn before(auth: &Auth, endpoint: &Endpoint, ctx: &mut Ctx) -> Result<(), ApiError> {
    let update = match endpoint.id {
        SIGN_UP => false,
        UPDATE_USER => true,
        _ => return Ok(()),
    };
    let options = options(auth);
    if !update
        && !ctx.body.has("username")
        && let Some(Json::String(display)) = ctx.body.get("displayUsername")
        && validate(options, display).is_ok()
    {
        let display = display.clone();
        ctx.body.0.insert("username".into(), Json::String(display));
    }
    if let Some(Json::String(username)) = ctx.body.get("username") {
        validate(options, username).map_err(ApiError::bad_request)?;
        let normalized = normalize(options, username).into_owned();
        let current = if update {
            request_user(auth, ctx).await?
        } else {
            None
        };
        if update
            && options.immutable_username
            && let Some(current) = &current
            && let Some(Value::String(name)) = current.get(user::USERNAME)
            && !name.is_empty()
            && *name != normalized
        {
            return Err(ApiError::bad_request(declared::USERNAME_IS_IMMUTABLE));
        }
        if let Some(existing) = find_by_username(auth, &normalized).await? {
            let own = current
                .as_ref()
                .is_some_and(|user| text_of(user, user::ID) == text_of(&existing, user::ID));
            if !update || !own {
                return Err(ApiError::bad_request(declared::USERNAME_IS_ALREADY_TAKEN));
            }
        }
    }
    let body = &mut ctx.body.0;
    if !update && !falsy(body.get("username")) && falsy(body.get("displayUsername")) {
        let username = body.get("username").cloned().unwrap_or(Json::Null);
        body.insert("displayUsername".into(), username);
    }
    transform_input(options, body);
    Ok(())
}

/// better-auth's schema transforms: string values are stored normalized.
fn transform_input(options: &Options, body: &mut Map<String, Json>) {
    if let Some(Json::String(username)) = body.get_mut("username") {
        *username = normalize(options, username).into_owned();
    }
    if let Some(Json::String(display)) = body.get_mut("displayUsername") {
        *display = normalize_display(options, display).into_owned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Options {
        let config = auth_core::Config::parse("auth.toml", format!("[plugins.username]\n{text}"))
            .unwrap_or_else(|e| panic!("{e}"));
        config.plugins.username_options().clone()
    }

    #[test]
    fn default_validation_is_three_to_thirty_of_letters_digits_underscore_dot() {
        let options = Options::default();
        for ok in ["abc", "A_b.C", "a".repeat(30).as_str(), "...", "___", "007"] {
            assert_eq!(validate(&options, ok), Ok(()), "{ok}");
        }
        let cases = [
            ("", declared::USERNAME_TOO_SHORT),
            ("ab", declared::USERNAME_TOO_SHORT),
            (&"a".repeat(31), declared::USERNAME_TOO_LONG),
            ("bad-name", declared::INVALID_USERNAME),
            ("bad name", declared::INVALID_USERNAME),
            ("naïve", declared::INVALID_USERNAME),
            ("abc\n", declared::INVALID_USERNAME),
            // Lengths count UTF-16 units: one emoji is two, so two of them pass the length.
            ("😀", declared::USERNAME_TOO_SHORT),
            ("😀😀", declared::INVALID_USERNAME),
        ];
        for (name, code) in cases {
            assert_eq!(validate(&options, name), Err(code), "{name:?}");
        }
    }

    #[test]
    fn lengths_and_normalization_follow_the_options() {
        let options = parsed("min-username-length = 5\nmax-username-length = 6\n");
        assert_eq!(
            validate(&options, "abcd"),
            Err(declared::USERNAME_TOO_SHORT)
        );
        assert_eq!(validate(&options, "abcde"), Ok(()));
        assert_eq!(
            validate(&options, "abcdefg"),
            Err(declared::USERNAME_TOO_LONG)
        );
        assert_eq!(normalize(&options, "MiXeD.Name"), "mixed.name");
        assert_eq!(normalize_display(&options, "MiXeD"), "MiXeD");
        let options =
            parsed("username-normalization = false\ndisplay-username-normalization = true\n");
        assert_eq!(normalize(&options, "MiXeD"), "MiXeD");
        assert_eq!(normalize_display(&options, "MiXeD"), "mixed");
        assert!(
            auth_core::Config::parse(
                "auth.toml",
                "[plugins.username]\nusername-validator = \"x\"\n"
            )
            .is_err(),
            "unknown options are refused"
        );
    }

    #[test]
    fn validation_order_decides_which_form_is_checked() {
        // 'İ' lower-cases to 'i' + U+0307: two UTF-16 units become four.
        let name = "İİ";
        assert_eq!(
            validate(&Options::default(), name),
            Err(declared::USERNAME_TOO_SHORT)
        );
        let post =
            parsed("[plugins.username.validation-order]\nusername = \"post-normalization\"\n");
        assert_eq!(validate(&post, name), Err(declared::INVALID_USERNAME));
        let post = parsed(
            "max-username-length = 3\n[plugins.username.validation-order]\nusername = \"post-normalization\"\n",
        );
        assert_eq!(validate(&post, "ABC"), Ok(()));
    }

    #[test]
    fn falsy_is_javascripts() {
        for value in [json!(null), json!(false), json!(""), json!(0), json!(0.0)] {
            assert!(falsy(Some(&value)), "{value}");
        }
        assert!(falsy(None));
        for value in [json!("a"), json!(true), json!(1), json!([]), json!({})] {
            assert!(!falsy(Some(&value)), "{value}");
        }
    }

    #[test]
    fn stored_forms_are_normalized_strings_only() {
        let options = Options::default();
        let mut body = Map::new();
        body.insert("username".into(), json!("Alice_1"));
        body.insert("displayUsername".into(), json!("Alice_1"));
        transform_input(&options, &mut body);
        assert_eq!(body.get("username"), Some(&json!("alice_1")));
        assert_eq!(body.get("displayUsername"), Some(&json!("Alice_1")));
        let mut body = Map::new();
        body.insert("username".into(), json!(null));
        transform_input(&options, &mut body);
        assert_eq!(body.get("username"), Some(&json!(null)));
    }
}
