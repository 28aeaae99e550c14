//! The runtime (`auth_runtime::Auth`) end to end on SQLite, PostgreSQL and MariaDB, each test
//! named after the documented bug it proves impossible:
//!
//! - 100 concurrent sign-ups with one email: one user, 99 clean 422s, on every backend;
//! - B3: `naming = "snake"` and a renamed session table: sign-up, sign-in, get-session (never
//!   null), list-sessions and update-user on every backend;
//! - B5: one trusted-origin list feeds the origin check and CORS (preflight and answers);
//! - B7: a configuration that needs mail without a `[mailer]` is refused with its line;
//! - B8: freshness counts from `createdAt`; sliding expiry, remember-me and expiry by time travel;
//! - B14: `input` governs writes, `returned` reads, for all 8 combinations with `required`.

use crate::server;

use auth_runtime::Auth;
use auth_runtime::store::{Row, Timestamp, Value, Where};
use http::{Method, StatusCode};
use serde_json::json;
use server::{Backend, Call, Holder, ORIGIN, get, post, server, sign_up, sqlite};

const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

async fn on(backend: Backend, toml: &str, label: &str) -> Option<(Auth, Holder)> {
    server(backend, toml, label).await
}

// ---------------------------------------------------------------------------------------------
// 100 concurrent sign-ups with one email

const PLAIN: &str = "[email-and-password]\nenabled = true\n";

async fn concurrent_sign_ups(backend: Backend) {
    let Some((auth, holder)) = on(backend, PLAIN, "concurrent").await else {
        return;
    };
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let auth = auth.clone();
            tokio::spawn(async move {
                post("/sign-up/email")
                    .json(&json!({"name": format!("Racer {i}"), "email": "race@one.test", "password": "password123"}))
                    .send(&auth)
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    let mut taken = 0;
    for task in tasks {
        let answer = task.await.unwrap_or_else(|e| panic!("{e}"));
        match answer.status {
            StatusCode::OK => ok += 1,
            StatusCode::UNPROCESSABLE_ENTITY => {
                assert_eq!(answer.code(), "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
                assert_eq!(
                    answer.json()["message"],
                    "User already exists. Use another email."
                );
                assert!(answer.set_cookies().is_empty());
                taken += 1;
            }
            other => panic!("{backend:?}: {other} {:?}", answer.json()),
        }
    }
    assert_eq!((ok, taken), (1, 99), "{backend:?}");
    let store = auth.store();
    let users = store
        .count("user", &[Where::eq("email", "race@one.test")])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(users, 1, "{backend:?}");
    assert_eq!(
        store
            .count("account", &[])
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        1
    );
    assert_eq!(
        store
            .count("session", &[])
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        1
    );
    drop(auth);
    holder.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_sign_ups_sqlite() {
    concurrent_sign_ups(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_sign_ups_postgres() {
    concurrent_sign_ups(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_sign_ups_mysql() {
    concurrent_sign_ups(Backend::Mysql).await;
}

// ---------------------------------------------------------------------------------------------
// B3: snake_case names and a renamed session table

const SNAKE: &str = r#"
[database]
naming = "snake"

[email-and-password]
enabled = true

[models.session]
table = "user_sessions"

[models.user.fields.displayName]
type = "string"
"#;

async fn b3_on(backend: Backend) {
    let Some((auth, holder)) = on(backend, SNAKE, "b3").await else {
        return;
    };
    let sql = auth_core::sql::render_schema(auth.schema(), auth.store().dialect());
    assert!(
        sql.contains("user_sessions") && sql.contains("email_verified"),
        "{sql}"
    );
    let up = post("/sign-up/email")
        .json(&json!({"name": "Snake", "email": "snake@case.test", "password": "password123", "displayName": "Sn"}))
        .send(&auth)
        .await;
    assert_eq!(up.status, StatusCode::OK, "{backend:?} {:?}", up.json());
    let session = get("/get-session")
        .cookie(&up.cookie())
        .send(&auth)
        .await
        .json();
    assert_eq!(
        session["user"]["email"], "snake@case.test",
        "{backend:?}: {session}"
    );
    assert_eq!(session["user"]["displayName"], "Sn");
    assert_eq!(session["session"]["userId"], session["user"]["id"]);
    let signed_in = post("/sign-in/email")
        .json(&json!({"email": "snake@case.test", "password": "password123"}))
        .send(&auth)
        .await;
    assert_eq!(
        signed_in.status,
        StatusCode::OK,
        "{backend:?} {:?}",
        signed_in.json()
    );
    let cookie = signed_in.cookie();
    for _ in 0..20 {
        let session = get("/get-session").cookie(&cookie).send(&auth).await.json();
        assert_eq!(
            session["session"]["token"],
            signed_in.json()["token"],
            "{backend:?}: {session}"
        );
    }
    let sessions = get("/list-sessions").cookie(&cookie).send(&auth).await;
    assert_eq!(
        sessions.status,
        StatusCode::OK,
        "{backend:?} {:?}",
        sessions.json()
    );
    assert_eq!(
        sessions.json().as_array().map(Vec::len),
        Some(2),
        "{:?}",
        sessions.json()
    );
    let updated = post("/update-user")
        .cookie(&cookie)
        .json(&json!({"name": "Renamed", "displayName": "Rn"}))
        .send(&auth)
        .await;
    assert_eq!(
        updated.status,
        StatusCode::OK,
        "{backend:?} {:?}",
        updated.json()
    );
    let session = get("/get-session").cookie(&cookie).send(&auth).await.json();
    assert_eq!(session["user"]["name"], "Renamed", "{backend:?}: {session}");
    assert_eq!(session["user"]["displayName"], "Rn");
    let out = post("/sign-out").cookie(&cookie).send(&auth).await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(
        get("/get-session").cookie(&cookie).send(&auth).await.json(),
        json!(null)
    );
    drop(auth);
    holder.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn b3_snake_naming_runtime_sqlite() {
    b3_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn b3_snake_naming_runtime_postgres() {
    b3_on(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn b3_snake_naming_runtime_mysql() {
    b3_on(Backend::Mysql).await;
}

// ---------------------------------------------------------------------------------------------
// B5: one origin list for the origin check and CORS

const ORIGINS: &str = r#"
trusted-origins = ["http://localhost:5173", "https://*.example.com"]

[email-and-password]
enabled = true
"#;

fn preflight(origin: &str) -> Call {
    Call::new(Method::OPTIONS, "/sign-in/email")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, x-custom")
}

#[tokio::test(flavor = "multi_thread")]
async fn b5_cors_origins() {
    let (auth, _db) = sqlite(ORIGINS).await;
    let cookie = sign_up(&auth, "cors@origins.test").await.cookie();
    let allowed = [
        ORIGIN,
        "http://localhost:5173",
        "https://app.example.com",
        "https://a.b.example.com",
    ];
    let foreign = [
        "https://evil.test",
        "http://app.example.com",
        "https://example.com.evil.test",
        "https://evilexample.com",
        "http://localhost:5174",
        "null",
    ];
    for origin in allowed {
        let answer = preflight(origin).send(&auth).await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{origin}");
        assert!(answer.body.is_empty());
        assert_eq!(
            answer.header("access-control-allow-origin").as_deref(),
            Some(origin)
        );
        assert_eq!(
            answer.header("access-control-allow-credentials").as_deref(),
            Some("true")
        );
        assert_eq!(
            answer.header("access-control-allow-methods").as_deref(),
            Some("GET, POST")
        );
        assert_eq!(
            answer.header("access-control-allow-headers").as_deref(),
            Some("content-type, x-custom")
        );
        let vary: Vec<_> = answer
            .headers
            .get_all("vary")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(vary.contains(&"Origin"), "{vary:?}");
        // A cookie-bearing POST from the origin passes the origin check, and the answer is
        // readable by it.
        let answer = post("/update-user")
            .header("origin", origin)
            .cookie(&cookie)
            .json(&json!({"name": "From CORS"}))
            .send(&auth)
            .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{origin}: {:?}",
            answer.json()
        );
        assert_eq!(
            answer.header("access-control-allow-origin").as_deref(),
            Some(origin)
        );
        assert_eq!(
            answer.header("access-control-allow-credentials").as_deref(),
            Some("true")
        );
        let answer = get("/get-session")
            .header("origin", origin)
            .cookie(&cookie)
            .send(&auth)
            .await;
        assert_eq!(
            answer.header("access-control-allow-origin").as_deref(),
            Some(origin)
        );
        // A Referer from the origin counts when there is no Origin header.
        let answer = post("/update-user")
            .without("origin")
            .header("referer", format!("{origin}/settings"))
            .cookie(&cookie)
            .json(&json!({"name": "From CORS"}))
            .send(&auth)
            .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "referer {origin}: {:?}",
            answer.json()
        );
    }
    for origin in foreign {
        let answer = preflight(origin).send(&auth).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{origin}");
        assert!(answer.body.is_empty());
        assert_eq!(
            answer.header("access-control-allow-origin"),
            None,
            "{origin}"
        );
        for path in [
            "/update-user",
            "/sign-out",
            "/sign-in/email",
            "/change-password",
        ] {
            let answer = post(path)
                .header("origin", origin)
                .cookie(&cookie)
                .json(&json!({"name": "Hacked", "email": "cors@origins.test", "password": "password123"}))
                .send(&auth)
                .await;
            let code = if origin == "null" {
                "MISSING_OR_NULL_ORIGIN"
            } else {
                "INVALID_ORIGIN"
            };
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{origin} {path}");
            assert_eq!(answer.code(), code, "{origin} {path}");
            assert_eq!(answer.header("access-control-allow-origin"), None);
        }
        let answer = get("/get-session")
            .header("origin", origin)
            .cookie(&cookie)
            .send(&auth)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "GET is not origin-checked");
        assert_eq!(
            answer.header("access-control-allow-origin"),
            None,
            "{origin}"
        );
    }
    // A cookie-bearing POST with neither Origin nor Referer.
    let answer = post("/update-user")
        .without("origin")
        .cookie(&cookie)
        .json(&json!({"name": "Hacked"}))
        .send(&auth)
        .await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::FORBIDDEN, "MISSING_OR_NULL_ORIGIN")
    );
    // Sign-in from a foreign origin without cookies is refused too (form CSRF), and callback
    // URLs follow the same list.
    let answer = post("/sign-in/email")
        .header("origin", "https://evil.test")
        .json(&json!({"email": "cors@origins.test", "password": "password123"}))
        .send(&auth)
        .await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::FORBIDDEN, "INVALID_ORIGIN")
    );
    for (callback, ok) in [
        ("https://app.example.com/welcome", true),
        ("/dashboard", true),
        ("https://evil.test/steal", false),
        ("//evil.test", false),
    ] {
        let answer = post("/sign-in/email")
            .json(&json!({"email": "cors@origins.test", "password": "password123", "callbackURL": callback}))
            .send(&auth)
            .await;
        if ok {
            assert_eq!(
                answer.status,
                StatusCode::OK,
                "{callback}: {:?}",
                answer.json()
            );
        } else {
            assert_eq!(
                (answer.status, answer.code().as_str()),
                (StatusCode::FORBIDDEN, "INVALID_CALLBACK_URL"),
                "{callback}"
            );
        }
    }
    // The name was never changed by a foreign origin.
    let session = get("/get-session").cookie(&cookie).send(&auth).await.json();
    assert_eq!(session["user"]["name"], "From CORS");
    // The list the server reports is the one it enforces.
    assert!(
        auth.trusted_origins()
            .cors("https://x.example.com")
            .is_some()
    );
    assert!(auth.trusted_origins().cors("https://evil.test").is_none());
}

// ---------------------------------------------------------------------------------------------
// B7: flows that send mail need a mailer

#[test]
fn b7_mail_required() {
    let cases = [
        "[email-and-password]\nenabled = true\nrequire-email-verification = true\n",
        "[email-and-password]\nenabled = true\nreset-password = true\n",
        "[email-and-password]\nenabled = true\n\n[user.delete-user]\nenabled = true\nsend-delete-account-verification = true\n",
        "[email-and-password]\nenabled = true\n\n[user.change-email]\nenabled = true\n",
        "[email-and-password]\nenabled = true\n\n[email-verification]\nsend-on-sign-up = true\n",
    ];
    let keys = [
        "require-email-verification",
        "reset-password",
        "send-delete-account-verification",
        "enabled = true\n",
        "send-on-sign-up",
    ];
    let mut messages = Vec::new();
    for (toml, key) in cases.iter().zip(keys) {
        let error = match auth_core::Config::parse("auth.toml", *toml) {
            Ok(_) => panic!("accepted without a mailer:\n{toml}"),
            Err(error) => error,
        };
        let text = error.to_string();
        // The location points at the key (change-email: its `enabled` in [user.change-email]).
        let offset = if key == "enabled = true\n" {
            toml.rfind(key)
        } else {
            toml.find(key)
        }
        .unwrap_or_else(|| panic!("{key}"));
        // `line:column` of the key's value (`true`), on the key's own line.
        let line = toml[..offset].matches('\n').count() + 1;
        let line_start = toml[..offset].rfind('\n').map_or(0, |i| i + 1);
        let value = offset
            + toml[offset..]
                .find("true")
                .unwrap_or_else(|| panic!("{key}"));
        let column = value - line_start + 1;
        assert!(
            text.starts_with(&format!("auth.toml:{line}:{column}: ")),
            "{text}\n(key at {line}:{column})"
        );
        assert!(text.contains("[mailer]"), "{text}");
        messages.push(format!(
            "{text}\n  help: {}",
            error.help().unwrap_or_default()
        ));
        // With a mailer the same file is accepted.
        let with_mailer = format!("{toml}\n[mailer]\nkind = \"log\"\n");
        auth_core::Config::parse("auth.toml", with_mailer).unwrap_or_else(|e| panic!("{e}"));
    }
    // change-email without verification needs no mail.
    auth_core::Config::parse(
        "auth.toml",
        "[user.change-email]\nenabled = true\nupdate-email-without-verification = true\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!(messages.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------
// B8: freshness from createdAt; sliding expiry; remember-me; expiry

async fn session_row(auth: &Auth, token: &str) -> Option<Row> {
    auth.store()
        .find_one("session", &[Where::eq("token", token)])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn set_times(auth: &Auth, token: &str, fields: &[(&str, i64)]) {
    let now = Timestamp::now();
    let changes: Row = fields
        .iter()
        .map(|(field, offset)| ((*field).to_owned(), Value::Date(now.plus_millis(*offset))))
        .collect();
    let mut changes = changes;
    if !changes.contains_key("updatedAt") {
        // The store sets updatedAt when not given; keep it where it was.
        let row = session_row(auth, token)
            .await
            .unwrap_or_else(|| panic!("no session {token}"));
        changes.insert("updatedAt".into(), row["updatedAt"].clone());
    }
    let updated = auth
        .store()
        .update("session", &[Where::eq("token", token)], changes)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(updated, 1);
}

fn millis(row: &Row, field: &str) -> i64 {
    row.get(field)
        .and_then(Value::as_date)
        .unwrap_or_else(|| panic!("{field}: {row:?}"))
        .millis()
}

#[tokio::test(flavor = "multi_thread")]
async fn b8_fresh_from_created_at() {
    let (auth, _db) = sqlite(PLAIN).await;
    let up = sign_up(&auth, "fresh@b8.test").await;
    let cookie = up.cookie();
    let token = up.json()["token"].as_str().unwrap_or_default().to_owned();
    // Created 1 minute ago: fresh.
    set_times(
        &auth,
        &token,
        &[("createdAt", -MINUTE), ("updatedAt", -MINUTE)],
    )
    .await;
    let answer = get("/list-sessions").cookie(&cookie).send(&auth).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
    // Created 2 days ago, updated (extended) 1 minute ago: NOT fresh — better-auth before the
    // fix called it fresh because it looked at updatedAt (#7472).
    set_times(
        &auth,
        &token,
        &[("createdAt", -2 * DAY), ("updatedAt", -MINUTE)],
    )
    .await;
    let answer = get("/list-sessions").cookie(&cookie).send(&auth).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{:?}", answer.json());
    assert_eq!(answer.code(), "SESSION_NOT_FRESH");
    assert_eq!(answer.json()["message"], "Session is not fresh");
    // Created 2 days ago and just now used (get-session extends it): still not fresh.
    set_times(
        &auth,
        &token,
        &[
            ("createdAt", -2 * DAY),
            ("updatedAt", -2 * DAY),
            ("expiresAt", 5 * DAY),
        ],
    )
    .await;
    let refreshed = get("/get-session").cookie(&cookie).send(&auth).await;
    assert_eq!(refreshed.json()["session"]["token"], token.as_str());
    let answer = get("/list-sessions").cookie(&cookie).send(&auth).await;
    assert_eq!(answer.code(), "SESSION_NOT_FRESH");
    // Created a day minus a minute ago: fresh; a day plus a minute: not.
    set_times(&auth, &token, &[("createdAt", -DAY + MINUTE)]).await;
    assert_eq!(
        get("/list-sessions")
            .cookie(&cookie)
            .send(&auth)
            .await
            .status,
        StatusCode::OK
    );
    set_times(&auth, &token, &[("createdAt", -DAY - MINUTE)]).await;
    assert_eq!(
        get("/list-sessions")
            .cookie(&cookie)
            .send(&auth)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn b8_sliding_expiry_and_remember_me() {
    let (auth, _db) = sqlite(PLAIN).await;
    let up = sign_up(&auth, "slide@b8.test").await;
    let cookie = up.cookie();
    let token = up.json()["token"].as_str().unwrap_or_default().to_owned();
    // Extended less than update-age (1 day) ago: not extended, no cookie.
    set_times(&auth, &token, &[("expiresAt", 7 * DAY - 2 * MINUTE)]).await;
    let before = session_row(&auth, &token)
        .await
        .unwrap_or_else(|| panic!("row"));
    let answer = get("/get-session").cookie(&cookie).send(&auth).await;
    assert_eq!(answer.json()["session"]["token"], token.as_str());
    assert!(
        answer.set_cookies().is_empty(),
        "{:?}",
        answer.set_cookies()
    );
    let after = session_row(&auth, &token)
        .await
        .unwrap_or_else(|| panic!("row"));
    assert_eq!(millis(&before, "expiresAt"), millis(&after, "expiresAt"));
    // Within update-age of… i.e. last extended more than a day ago: extended to now + 7 days,
    // updatedAt now, and the cookie re-issued with a fresh Max-Age.
    set_times(
        &auth,
        &token,
        &[
            ("expiresAt", 6 * DAY - MINUTE),
            ("updatedAt", -DAY - MINUTE),
        ],
    )
    .await;
    let start = Timestamp::now().millis();
    let answer = get("/get-session").cookie(&cookie).send(&auth).await;
    assert_eq!(answer.status, StatusCode::OK);
    let lines = answer.set_cookie_lines();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("better-auth.session_token=") && l.contains("Max-Age=604800")),
        "{lines:?}"
    );
    let row = session_row(&auth, &token)
        .await
        .unwrap_or_else(|| panic!("row"));
    let expires = millis(&row, "expiresAt");
    assert!(
        expires >= start + 7 * DAY - 1000 && expires <= Timestamp::now().millis() + 7 * DAY,
        "{expires}"
    );
    assert!(millis(&row, "updatedAt") >= start - 1000);
    let body_expires = answer.json()["session"]["expiresAt"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        Timestamp::parse_iso(&body_expires).map(Timestamp::millis),
        Some(expires)
    );
    // ?disableRefresh: never extended.
    set_times(&auth, &token, &[("expiresAt", 6 * DAY - MINUTE)]).await;
    let answer = get("/get-session?disableRefresh=true")
        .cookie(&cookie)
        .send(&auth)
        .await;
    assert!(answer.set_cookies().is_empty());
    // rememberMe = false: one day, a session cookie without Max-Age, never extended.
    let answer = post("/sign-in/email")
        .json(&json!({"email": "slide@b8.test", "password": "password123", "rememberMe": false}))
        .send(&auth)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let short_cookie = answer.cookie();
    assert!(
        short_cookie.contains("better-auth.dont_remember="),
        "{short_cookie}"
    );
    let short = answer.json()["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let row = session_row(&auth, &short)
        .await
        .unwrap_or_else(|| panic!("row"));
    let lifetime = millis(&row, "expiresAt") - millis(&row, "createdAt");
    assert!((DAY - 5000..=DAY + 5000).contains(&lifetime), "{lifetime}");
    set_times(
        &auth,
        &short,
        &[("expiresAt", MINUTE), ("updatedAt", -2 * DAY)],
    )
    .await;
    let before = session_row(&auth, &short)
        .await
        .unwrap_or_else(|| panic!("row"));
    let answer = get("/get-session").cookie(&short_cookie).send(&auth).await;
    assert_eq!(answer.json()["session"]["token"], short.as_str());
    assert!(
        answer.set_cookies().is_empty(),
        "{:?}",
        answer.set_cookies()
    );
    let after = session_row(&auth, &short)
        .await
        .unwrap_or_else(|| panic!("row"));
    assert_eq!(millis(&before, "expiresAt"), millis(&after, "expiresAt"));
    // Expired: null, the session cookies expired, the row deleted.
    set_times(&auth, &token, &[("expiresAt", -1000)]).await;
    let answer = get("/get-session").cookie(&cookie).send(&auth).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json(), json!(null));
    let lines = answer.set_cookie_lines();
    for name in [
        "better-auth.session_token=",
        "better-auth.session_data=",
        "better-auth.dont_remember=",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(name) && l.contains("Max-Age=0")),
            "{name}: {lines:?}"
        );
    }
    assert!(
        session_row(&auth, &token).await.is_none(),
        "the expired row is deleted"
    );
    let answer = get("/list-sessions").cookie(&cookie).send(&auth).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    // The other (short) session is untouched.
    assert!(session_row(&auth, &short).await.is_some());
}

// ---------------------------------------------------------------------------------------------
// B14: input × returned × required

/// Field `fIRQ`: I = input, R = returned, Q = required (1/0). Required fields that take no input
/// have a default (nothing could ever set them otherwise); `f001` and `f010` have none.
const B14: &str = r#"
[email-and-password]
enabled = true

[models.user.fields.f111]
type = "string"
required = true

[models.user.fields.f110]
type = "string"

[models.user.fields.f101]
type = "string"
required = true
returned = false

[models.user.fields.f100]
type = "string"
returned = false

[models.user.fields.f011]
type = "string"
required = true
input = false
default = "d011"

[models.user.fields.f010]
type = "string"
input = false

[models.user.fields.f001]
type = "string"
required = true
input = false
returned = false
default = "d001"

[models.user.fields.f000]
type = "string"
input = false
returned = false
"#;

#[tokio::test(flavor = "multi_thread")]
async fn b14_input_returned() {
    let (auth, _db) = sqlite(B14).await;
    let base = json!({"name": "B", "password": "password123", "f111": "v111", "f101": "v101"});
    let with = |email: &str, extra: &[(&str, &str)]| {
        let mut body = base.clone();
        body["email"] = json!(email);
        for (k, v) in extra {
            body[*k] = json!(v);
        }
        post("/sign-up/email").json(&body)
    };
    // Every input field given: accepted; input = false fields with a default are silently
    // dropped (the default is stored).
    let answer = with(
        "all@b14.test",
        &[
            ("f110", "v110"),
            ("f100", "v100"),
            ("f011", "forged"),
            ("f001", "forged"),
        ],
    )
    .send(&auth)
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
    let cookie = answer.cookie();
    let user = answer.json()["user"].clone();
    let returned = ["f111", "f110", "f011", "f010"];
    let hidden = ["f101", "f100", "f001", "f000"];
    for key in returned {
        assert!(user.get(key).is_some(), "{key} returned: {user}");
    }
    for key in hidden {
        assert!(user.get(key).is_none(), "{key} not returned: {user}");
    }
    assert_eq!(user["f111"], "v111");
    assert_eq!(user["f110"], "v110");
    assert_eq!(user["f011"], "d011");
    assert_eq!(user["f010"], json!(null));
    // get-session returns exactly the returned fields.
    let session = get("/get-session").cookie(&cookie).send(&auth).await.json();
    let mut keys: Vec<_> = session["user"]
        .as_object()
        .unwrap_or_else(|| panic!("{session}"))
        .keys()
        .filter(|k| k.starts_with('f') && k.len() == 4)
        .cloned()
        .collect();
    keys.sort();
    assert_eq!(keys, ["f010", "f011", "f110", "f111"]);
    // returned = false fields were written and are stored.
    let id = user["id"].as_str().unwrap_or_default().to_owned();
    let row = auth
        .store()
        .find_one("user", &[Where::eq("id", id.as_str())])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no user"));
    assert_eq!(row["f101"], Value::from("v101"));
    assert_eq!(row["f100"], Value::from("v100"));
    assert_eq!(row["f001"], Value::from("d001"));
    assert_eq!(row["f011"], Value::from("d011"));
    assert!(row["f000"].is_null() && row["f010"].is_null());
    // input = false without a default: 400 FIELD_NOT_ALLOWED.
    for key in ["f010", "f000"] {
        let answer = with(&format!("{key}@b14.test"), &[(key, "forged")])
            .send(&auth)
            .await;
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (StatusCode::BAD_REQUEST, "FIELD_NOT_ALLOWED"),
            "{key}"
        );
    }
    // Required input fields must be given, returned or not.
    for key in ["f111", "f101"] {
        let mut body = base.clone();
        body["email"] = json!(format!("{key}-missing@b14.test"));
        if let Some(map) = body.as_object_mut() {
            map.remove(key);
        }
        let answer = post("/sign-up/email").json(&body).send(&auth).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{key}: {:?}",
            answer.json()
        );
        assert!(!answer.code().is_empty());
    }
    let users = auth
        .store()
        .count("user", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(users, 1, "no refused sign-up wrote a user");
    // update-user: returned = false input fields are written, and still not returned.
    let answer = post("/update-user")
        .cookie(&cookie)
        .json(&json!({"f100": "changed", "f101": "changed too", "f110": "seen"}))
        .send(&auth)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
    let row = auth
        .store()
        .find_one("user", &[Where::eq("id", id.as_str())])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no user"));
    assert_eq!(row["f100"], Value::from("changed"));
    assert_eq!(row["f101"], Value::from("changed too"));
    let session = get("/get-session").cookie(&cookie).send(&auth).await.json();
    assert_eq!(session["user"]["f110"], "seen");
    assert!(session["user"].get("f100").is_none());
    // update-user of input = false fields: refused, default or not.
    for key in ["f011", "f010", "f001", "f000"] {
        let answer = post("/update-user")
            .cookie(&cookie)
            .json(&json!({ key: "forged" }))
            .send(&auth)
            .await;
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (StatusCode::BAD_REQUEST, "FIELD_NOT_ALLOWED"),
            "{key}"
        );
    }
    let row = auth
        .store()
        .find_one("user", &[Where::eq("id", id.as_str())])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no user"));
    assert_eq!(row["f011"], Value::from("d011"));
    assert_eq!(row["f001"], Value::from("d001"));
}

/// Sessions in a secondary storage only are kept in better-auth 1.7's layout (what a
/// better-auth server on the same Redis reads): `<token>` → `{"session", "user"}`,
/// `active-sessions-<userId>` → `[{"token", "expiresAt"}]`; update-user reaches the stored user,
/// revoke-sessions deletes the keys and records `revoked-sessions-before-<userId>`.
#[tokio::test]
async fn secondary_storage_keeps_better_auths_layout() {
    use auth_runtime::secondary::{MemoryStorage, SecondaryStorage};
    let storage = std::sync::Arc::new(MemoryStorage::new());
    let toml = "[email-and-password]\nenabled = true\n[secondary-storage]\nkind = \"memory\"\n";
    let options = auth_runtime::AuthOptions {
        secondary_storage: Some(storage.clone()),
        ..Default::default()
    };
    let (auth, _holder) = server::server_with(Backend::Sqlite, toml, "secondary", options)
        .await
        .unwrap_or_else(|| panic!("sqlite is always available"));
    assert!(auth.schema().model("session").is_none());
    let signed_up = sign_up(&auth, "layout@example.com").await;
    let body = signed_up.json();
    let (token, user_id) = (
        body["token"].as_str().unwrap_or_default(),
        body["user"]["id"].as_str().unwrap_or_default(),
    );
    let stored = |key: String| {
        let storage = storage.clone();
        async move {
            let text = storage.get(&key).await.unwrap_or_else(|e| panic!("{e}"));
            text.map(|t| {
                serde_json::from_str::<serde_json::Value>(&t).unwrap_or_else(|e| panic!("{e}"))
            })
        }
    };
    let session = stored(token.to_owned())
        .await
        .unwrap_or_else(|| panic!("no {token} key"));
    assert_eq!(session["session"]["token"], token);
    assert_eq!(session["session"]["userId"], user_id);
    assert_eq!(session["session"]["id"].as_str().map(str::len), Some(32));
    assert_eq!(session["user"]["email"], "layout@example.com");
    let expires = session["session"]["expiresAt"]
        .as_str()
        .and_then(Timestamp::parse_iso);
    let list = stored(format!("active-sessions-{user_id}")).await;
    assert_eq!(
        list,
        Some(json!([{ "token": token, "expiresAt": expires.map(Timestamp::millis) }]))
    );

    let cookie = signed_up.cookie();
    let answer = post("/update-user")
        .cookie(&cookie)
        .json(&json!({ "name": "Renamed" }))
        .send(&auth)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
    let session = stored(token.to_owned())
        .await
        .unwrap_or_else(|| panic!("no {token} key"));
    assert_eq!(session["user"]["name"], "Renamed");
    let answer = get("/get-session").cookie(&cookie).send(&auth).await;
    assert_eq!(answer.json()["user"]["name"], "Renamed");

    let answer = post("/revoke-sessions")
        .cookie(&cookie)
        .json(&json!({}))
        .send(&auth)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
    assert_eq!(stored(token.to_owned()).await, None);
    assert_eq!(stored(format!("active-sessions-{user_id}")).await, None);
    assert!(
        stored(format!("revoked-sessions-before-{user_id}"))
            .await
            .is_some()
    );
    let answer = get("/get-session").cookie(&cookie).send(&auth).await;
    assert_eq!(answer.json(), serde_json::Value::Null);
}

/// Plugins that rewrite the request (bearer: `Authorization` → the session cookie) run before
/// the hooks around endpoints, whatever the plugin order: username's check on update-user sees
/// the bearer client's session, so renaming oneself to one's own name in another case is allowed
/// (in better-auth's default order bearer comes after username, and that same request is refused
/// as a taken name).
#[tokio::test]
async fn a_bearer_client_is_signed_in_for_other_plugins_hooks() {
    let (auth, _db) =
        sqlite("[email-and-password]\nenabled = true\n[plugins.username]\n[plugins.bearer]\n")
            .await;
    let signed_up = post("/sign-up/email")
        .json(&json!({
            "name": "Bearer", "email": "bearer-hooks@example.com", "password": "password123",
            "username": "Bearer_1",
        }))
        .send(&auth)
        .await;
    assert_eq!(signed_up.status, StatusCode::OK, "{:?}", signed_up.json());
    let token = signed_up
        .header("set-auth-token")
        .unwrap_or_else(|| panic!("no set-auth-token"));
    let renamed = post("/update-user")
        .json(&json!({ "username": "BEARER_1" }))
        .header("authorization", format!("Bearer {token}"))
        .send(&auth)
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.json());
    let session = get("/get-session")
        .header("authorization", format!("Bearer {token}"))
        .send(&auth)
        .await;
    assert_eq!(session.json()["user"]["displayUsername"], json!("Bearer_1"));
    assert_eq!(session.json()["user"]["username"], json!("bearer_1"));
}
