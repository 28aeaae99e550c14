//! Embedding in an axum app: `Auth::builder()` (the embedded database created, migrated and
//! given a secret on first start and found again on the next; an external database that drifted
//! refused) and the extractors on routes of the app's own (`CurrentUser`, `MaybeUser`,
//! `CurrentSession`: the cookie, bearer's `Authorization` header, api-key's `x-api-key`, 401 as
//! the API answers it).

use std::path::Path;

use auth_runtime::http::api::CallError;
use auth_runtime::{Auth, BuildError, CurrentSession, CurrentUser, MaybeUser, Startup};
use axum::Router;
use axum::routing::get;
use http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::Service as _;

const BASE: &str = "http://127.0.0.1:3000";
const SECRET: &str = "embed-test-secret-0123456789abcdefghijklmn";

const CONFIG: &str = r#"
[email-and-password]
enabled = true

[models.user.fields.plan]
type = "string"
required = false

[plugins.bearer]

[plugins.api-key]
enable-session-for-api-keys = true
"#;

fn config_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("auth.toml");
    std::fs::write(&path, CONFIG).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn secret() -> auth_runtime::Secret {
    auth_runtime::Secret::new(SECRET.to_owned()).unwrap_or_else(|e| panic!("{e}"))
}

/// An answer of the router: status, headers and JSON body (`null` when none).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: http::HeaderMap,
    pub(crate) json: Value,
}

/// `method path` through `app` in process, with `headers` and a JSON `body` (sent with our
/// origin).
pub(crate) async fn call(
    app: &mut Router,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("{BASE}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = match body {
        Some(json) => {
            request = request
                .header("content-type", "application/json")
                .header("origin", BASE);
            axum::body::Body::from(json.to_string())
        }
        None => axum::body::Body::empty(),
    };
    let request = request.body(body).unwrap_or_else(|e| panic!("{e}"));
    let response = app.call(request).await.unwrap_or_else(|e| match e {});
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        json,
    }
}

/// The `name=value` of the session cookie an answer sets.
fn session_cookie(answer: &Answer) -> String {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|c| c.starts_with("better-auth.session_token="))
        .unwrap_or_else(|| panic!("no session cookie: {:?}", answer.headers))
        .to_owned()
}

async fn me(CurrentUser(user): CurrentUser) -> axum::Json<Value> {
    axum::Json(json!({ "id": user.id, "email": user.email, "plan": user.values["plan"] }))
}

async fn maybe(MaybeUser(user): MaybeUser) -> axum::Json<Value> {
    axum::Json(json!({ "email": user.map(|u| u.email) }))
}

/// Two extractors in one handler: one lookup, the same session.
async fn both(CurrentUser(user): CurrentUser, current: CurrentSession) -> axum::Json<Value> {
    axum::Json(json!({
        "same": user == current.user,
        "userId": current.session.user_id,
        "token": current.session.token,
    }))
}

fn app(auth: &Auth) -> Router {
    let own = Router::new()
        .route("/me", get(me))
        .route("/maybe", get(maybe))
        .route("/both", get(both))
        .with_state(auth.clone());
    auth.router().merge(own)
}

async fn sign_up(app: &mut Router, email: &str) -> Answer {
    let answer = call(
        app,
        "POST",
        "/api/auth/sign-up/email",
        &[],
        Some(json!({ "name": "Ada", "email": email, "password": "correct horse battery", "plan": "pro" })),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    answer
}

#[tokio::test]
async fn embedded_database_is_created_then_found_again() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = config_file(dir.path());
    let data = dir.path().join("data");
    let (auth, events) = Auth::builder()
        .config(&config)
        .data_dir(&data)
        .base_url(BASE)
        .build_reporting()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let secret_file = data.join("auth.secret");
    if std::env::var_os("AUTH_SECRET").is_none()
        && std::env::var_os("BETTER_AUTH_SECRET").is_none()
        && std::env::var_os("BETTER_AUTH_SECRETS").is_none()
    {
        assert_eq!(events[0], Startup::SecretGenerated(secret_file.clone()));
        assert!(secret_file.exists());
    }
    assert!(
        matches!(&events[..], [.., Startup::MigrationWritten(path), Startup::MigrationApplied(_)]
            if path.starts_with(data.join("migrations/sqlite"))),
        "{events:?}"
    );
    assert!(data.join("auth.db").exists());
    let mut first = app(&auth);
    let cookie = session_cookie(&sign_up(&mut first, "ada@example.com").await);

    // A second start: nothing to write or apply, the same secret, so the cookie still works.
    let (auth, events) = Auth::builder()
        .config(&config)
        .data_dir(&data)
        .base_url(BASE)
        .build_reporting()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        events.iter().all(|e| matches!(e, Startup::SecretRead(_))),
        "{events:?}"
    );
    let answer = call(&mut app(&auth), "GET", "/me", &[("cookie", &cookie)], None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.json["email"], "ada@example.com");
    assert_eq!(answer.json["plan"], "pro");
}

#[tokio::test]
async fn an_external_database_without_the_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = config_file(dir.path());
    let empty = dir.path().join("empty.db");
    rusqlite::Connection::open(&empty)
        .and_then(|c| c.execute_batch("create table unrelated (id integer)"))
        .unwrap_or_else(|e| panic!("{e}"));
    let error = Auth::builder()
        .config(&config)
        .database(format!("sqlite:{}", empty.display()))
        .secret(secret())
        .base_url(BASE)
        .build()
        .await
        .err()
        .unwrap_or_else(|| panic!("a database without the schema was accepted"));
    let BuildError::Drift { differences, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(differences.iter().any(|d| d.contains("user")), "{error}");
    let text = error.to_string();
    assert!(text.contains("auth-cli migrate apply"), "{text}");
    assert!(text.contains(&config.display().to_string()), "{text}");

    // Nothing to build from.
    let missing = Auth::builder().build().await.err();
    assert!(matches!(missing, Some(BuildError::NoConfig)), "{missing:?}");
}

#[tokio::test]
async fn extractors_read_the_session_as_the_api_does() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = Auth::builder()
        .config(config_file(dir.path()))
        .data_dir(dir.path().join("data"))
        .secret(secret())
        .base_url(BASE)
        .build()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut app = app(&auth);
    let signed_up = sign_up(&mut app, "grace@example.com").await;
    let cookie = session_cookie(&signed_up);
    let id = signed_up.json["user"]["id"].clone();

    let answer = call(&mut app, "GET", "/me", &[("cookie", &cookie)], None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(
        answer.json,
        json!({ "id": id, "email": "grace@example.com", "plan": "pro" })
    );

    // Without a session, or with a forged one: the API's own 401.
    let unauthorized = json!({ "code": "UNAUTHORIZED", "message": "Unauthorized" });
    for headers in [
        vec![],
        vec![("cookie", "better-auth.session_token=forged.signature")],
        vec![("authorization", "Bearer not-a-token")],
    ] {
        let answer = call(&mut app, "GET", "/me", &headers, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{headers:?}");
        assert_eq!(answer.json, unauthorized, "{headers:?}");
        assert_eq!(
            answer
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        let answer = call(&mut app, "GET", "/maybe", &headers, None).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.json, json!({ "email": null }), "{headers:?}");
    }

    // bearer's header stands for the cookie, as on the API.
    let token = signed_up
        .headers
        .get("set-auth-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no set-auth-token"))
        .to_owned();
    let bearer = format!("Bearer {token}");
    let answer = call(&mut app, "GET", "/me", &[("authorization", &bearer)], None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.json["id"], id);

    let answer = call(&mut app, "GET", "/both", &[("cookie", &cookie)], None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.json["same"], true);
    assert_eq!(answer.json["userId"], id);
    // set-auth-token is the signed cookie value: `<token>.<signature>`.
    assert_eq!(
        answer.json["token"].as_str(),
        token.split('.').next(),
        "{token}"
    );

    // An API key stands for its owner's session, as on the API; a wrong one is refused with
    // api-key's own answer.
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::COOKIE,
        cookie.parse().unwrap_or_else(|e| panic!("{e}")),
    );
    let created = auth
        .api()
        .call::<_, Value>("createApiKey", &json!({ "name": "ci" }), &headers)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let key = created.body["key"].as_str().unwrap_or_default().to_owned();
    let answer = call(&mut app, "GET", "/me", &[("x-api-key", &key)], None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.json["id"], id);
    let wrong = "x".repeat(key.len());
    let answer = call(&mut app, "GET", "/me", &[("x-api-key", &wrong)], None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.json);
    assert_eq!(answer.json["code"], "INVALID_API_KEY");

    // Signed out: the cookie no longer stands for a session.
    let answer = call(
        &mut app,
        "POST",
        "/api/auth/sign-out",
        &[("cookie", &cookie)],
        Some(json!({})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    let answer = call(&mut app, "GET", "/me", &[("cookie", &cookie)], None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

/// `auth.api()` runs the HTTP pipeline: a sign-up through it gives cookies that work over HTTP and
/// the reverse; refusals carry the HTTP status and code; a disabled plugin's endpoint is unknown.
#[tokio::test]
async fn the_server_side_api_is_the_http_pipeline() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = Auth::builder()
        .config(config_file(dir.path()))
        .data_dir(dir.path().join("data"))
        .secret(secret())
        .base_url(BASE)
        .build()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let body = json!({ "name": "Lin", "email": "lin@example.com", "password": "correct horse battery", "plan": "team" });
    let signed_up = auth
        .api()
        .call::<_, Value>("signUpEmail", &body, &http::HeaderMap::new())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(signed_up.body["user"]["plan"], "team");
    let cookie = signed_up.cookie_header();
    assert!(cookie.starts_with("better-auth.session_token="), "{cookie}");
    let answer = call(&mut app(&auth), "GET", "/me", &[("cookie", &cookie)], None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.json["email"], "lin@example.com");

    // Over HTTP, then through the API with the browser's cookie.
    let cookie = session_cookie(&sign_up(&mut app(&auth), "mo@example.com").await);
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::COOKIE,
        cookie.parse().unwrap_or_else(|e| panic!("{e}")),
    );
    let session = auth
        .api()
        .call::<_, Value>("getSession", &(), &headers)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.body["user"]["email"], "mo@example.com");
    let none = auth
        .api()
        .call::<_, Value>("getSession", &(), &http::HeaderMap::new())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(none.body, Value::Null);

    let wrong = json!({ "email": "mo@example.com", "password": "not the password" });
    match auth
        .api()
        .call::<_, Value>("signInEmail", &wrong, &http::HeaderMap::new())
        .await
    {
        Err(CallError::Api { status, code, .. }) => {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert_eq!(code.as_deref(), Some("INVALID_EMAIL_OR_PASSWORD"));
        }
        other => panic!("{other:?}"),
    }
    let disabled = auth
        .api()
        .call::<_, Value>("signInUsername", &json!({}), &http::HeaderMap::new())
        .await;
    assert!(
        matches!(disabled, Err(CallError::UnknownEndpoint(_))),
        "{disabled:?}"
    );
}
