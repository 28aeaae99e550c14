//! Bad input never breaks the server: malformed and non-object JSON, wrong types for every field
//! of sign-up, sign-in, update-user and change-password, missing and unknown fields, oversized
//! bodies, invalid emails, 10 KB passwords, forged and garbage session cookies, non-UTF-8 bytes,
//! unsupported content types, wrong methods and paths. Every answer is a 4xx with a JSON
//! `{code, message}` body where an error is expected (or better-auth's 200 where it answers one)
//! — never a 5xx — and a proptest throws arbitrary bytes and JSON at every POST endpoint.

use crate::server;

use auth_runtime::Auth;
use http::{Method, StatusCode};
use proptest::prelude::*;
use serde_json::{Value, json};
use server::{Answer, Call, get, post, sign_up, sqlite};

const CONFIG: &str = r#"
[email-and-password]
enabled = true

[user.delete-user]
enabled = true

[user.change-email]
enabled = true
update-email-without-verification = true

[models.user.fields.nickname]
type = "string"

[models.user.fields.age]
type = "number"

[models.user.fields.vip]
type = "boolean"

[models.user.fields.born]
type = "date"

[models.user.fields.tags]
type = "string[]"
"#;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// An error answer: the status, and a JSON body with a string `code` and `message`.
#[track_caller]
fn assert_error(answer: &Answer, status: StatusCode, code: &str, case: &str) {
    assert_eq!(answer.status, status, "{case}: {:?}", answer.json());
    let body = answer.json();
    assert!(body["message"].is_string(), "{case}: no message: {body}");
    assert_eq!(body["code"], code, "{case}: {body}");
    assert_eq!(
        answer.header("content-type").as_deref(),
        Some("application/json"),
        "{case}"
    );
}

/// A 4xx with `{code, message}`.
#[track_caller]
fn assert_client_error(answer: &Answer, case: &str) {
    assert!(
        answer.status.is_client_error(),
        "{case}: {} {:?}",
        answer.status,
        answer.json()
    );
    let body = answer.json();
    assert!(body["message"].is_string(), "{case}: no message: {body}");
    assert!(body["code"].is_string(), "{case}: no code: {body}");
}

/// The wrong-typed values thrown at every field.
fn wrong_values() -> Vec<Value> {
    vec![
        json!(42),
        json!(-1.5),
        json!(true),
        json!([]),
        json!(["a", "b"]),
        json!({}),
        json!({"nested": {"deeper": [1, 2, {"x": null}]}}),
    ]
}

/// Each field of a body replaced by every wrong type, and by `null`, and dropped: never a 5xx;
/// 400 VALIDATION_ERROR for the string fields.
async fn every_field_wrong(auth: &Auth, path: &str, valid: &Value, cookie: Option<&str>) {
    let Value::Object(fields) = valid else {
        panic!("{valid}")
    };
    for key in fields.keys() {
        for wrong in wrong_values().into_iter().chain([Value::Null]) {
            let mut body = fields.clone();
            body.insert(key.clone(), wrong.clone());
            let mut call = post(path).json(&Value::Object(body));
            if let Some(cookie) = cookie {
                call = call.cookie(cookie);
            }
            let answer = call.send(auth).await;
            let case = format!("{path} {key}={wrong}");
            assert_client_error(&answer, &case);
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{case}");
        }
        let mut body = fields.clone();
        body.remove(key);
        let mut call = post(path).json(&Value::Object(body));
        if let Some(cookie) = cookie {
            call = call.cookie(cookie);
        }
        let answer = call.send(auth).await;
        assert!(
            answer.status.as_u16() < 500,
            "{path} without {key}: {}",
            answer.status
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_and_non_object_json() {
    let (auth, _db) = sqlite(CONFIG).await;
    for (body, code) in [
        ("{", "BAD_REQUEST"),
        ("{\"email\": ", "BAD_REQUEST"),
        ("{'a': 1}", "BAD_REQUEST"),
        ("nul", "BAD_REQUEST"),
        ("{\"a\":1}}", "BAD_REQUEST"),
        ("[1, 2, 3]", "VALIDATION_ERROR"),
        ("\"a string\"", "VALIDATION_ERROR"),
        ("42", "VALIDATION_ERROR"),
        ("true", "VALIDATION_ERROR"),
        ("null", "VALIDATION_ERROR"),
    ] {
        for path in ["/sign-up/email", "/sign-in/email"] {
            let answer = post(path).raw("application/json", body).send(&auth).await;
            assert_error(
                &answer,
                StatusCode::BAD_REQUEST,
                code,
                &format!("{path} {body}"),
            );
        }
    }
    // Deeply nested JSON: serde_json's recursion limit, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let answer = post("/sign-in/email")
        .raw("application/json", deep)
        .send(&auth)
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
        "deep nesting",
    );
    // Non-UTF-8 bytes in a JSON body and in a string.
    let answer = post("/sign-in/email")
        .raw("application/json", &b"\xff\xfe{\"email\":1}"[..])
        .send(&auth)
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
        "non-UTF-8 body",
    );
    let answer = post("/sign-in/email")
        .raw(
            "application/json",
            &b"{\"email\":\"a\xc3\x28@b.co\",\"password\":\"x\"}"[..],
        )
        .send(&auth)
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
        "invalid UTF-8 in a string",
    );
    // Lone surrogates escaped in JSON.
    let answer = post("/sign-in/email")
        .raw(
            "application/json",
            r#"{"email":"\ud800@b.co","password":"x"}"#,
        )
        .send(&auth)
        .await;
    assert!(
        answer.status.is_client_error(),
        "lone surrogate: {}",
        answer.status
    );
    // A form body with non-UTF-8 bytes (sign-in takes forms).
    let answer = post("/sign-in/email")
        .raw(
            "application/x-www-form-urlencoded",
            &b"email=%ff%fe&password=\xff"[..],
        )
        .send(&auth)
        .await;
    assert_client_error(&answer, "non-UTF-8 form");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_types_for_every_field() {
    let (auth, _db) = sqlite(CONFIG).await;
    every_field_wrong(
        &auth,
        "/sign-up/email",
        &json!({"name": "N", "email": "wrong@types.test", "password": "password123"}),
        None,
    )
    .await;
    sign_up(&auth, "signed@types.test").await;
    every_field_wrong(
        &auth,
        "/sign-in/email",
        &json!({"email": "signed@types.test", "password": "password123"}),
        None,
    )
    .await;
    let cookie = post("/sign-in/email")
        .json(&json!({"email": "signed@types.test", "password": "password123"}))
        .send(&auth)
        .await
        .cookie();
    every_field_wrong(
        &auth,
        "/change-password",
        &json!({"currentPassword": "password123", "newPassword": "password456"}),
        Some(&cookie),
    )
    .await;
    // Optional fields of sign-up/sign-in/update-user with wrong types.
    for (path, key) in [
        ("/sign-up/email", "image"),
        ("/sign-up/email", "callbackURL"),
        ("/sign-up/email", "rememberMe"),
        ("/sign-in/email", "callbackURL"),
        ("/sign-in/email", "rememberMe"),
        ("/update-user", "name"),
        ("/update-user", "image"),
        ("/change-password", "revokeOtherSessions"),
    ] {
        for wrong in wrong_values() {
            if (key == "rememberMe" || key == "revokeOtherSessions") && wrong.is_boolean() {
                continue;
            }
            let mut body = match path {
                "/sign-up/email" => {
                    json!({"name": "N", "email": "opt@types.test", "password": "password123"})
                }
                "/sign-in/email" => {
                    json!({"email": "signed@types.test", "password": "password123"})
                }
                "/change-password" => {
                    json!({"currentPassword": "password123", "newPassword": "password456"})
                }
                _ => json!({}),
            };
            body[key] = wrong.clone();
            let answer = post(path).cookie(&cookie).json(&body).send(&auth).await;
            let case = format!("{path} {key}={wrong}");
            assert_client_error(&answer, &case);
        }
    }
    // Additional fields of every type, given the wrong type, on sign-up and update-user.
    for (key, wrongs) in [
        ("nickname", vec![json!(1), json!([]), json!({})]),
        ("age", vec![json!("1"), json!([]), json!({}), json!(true)]),
        ("vip", vec![json!("yes"), json!(1), json!([])]),
        ("born", vec![json!(1), json!("not a date"), json!({})]),
        (
            "tags",
            vec![json!("a"), json!([1, 2]), json!({}), json!([["a"]])],
        ),
    ] {
        for wrong in wrongs {
            let case = format!("{key}={wrong}");
            let answer = post("/update-user")
                .cookie(&cookie)
                .json(&json!({ key: wrong.clone() }))
                .send(&auth)
                .await;
            assert_error(&answer, StatusCode::BAD_REQUEST, "VALIDATION_ERROR", &case);
            let answer = post("/sign-up/email")
                .json(&json!({"name": "N", "email": "extra@types.test", "password": "password123", key: wrong}))
                .send(&auth)
                .await;
            assert_error(&answer, StatusCode::BAD_REQUEST, "VALIDATION_ERROR", &case);
        }
    }
    // update-user: an email is refused, an empty body has nothing to update.
    let answer = post("/update-user")
        .cookie(&cookie)
        .json(&json!({"email": "x@y.co"}))
        .send(&auth)
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "EMAIL_CAN_NOT_BE_UPDATED",
        "update email",
    );
    let answer = post("/update-user")
        .cookie(&cookie)
        .json(&json!({}))
        .send(&auth)
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "NO_FIELDS_TO_UPDATE",
        "empty update",
    );
    assert_eq!(answer.json()["message"], "No fields to update");
    // Nothing above changed the user.
    let session = get("/get-session").cookie(&cookie).send(&auth).await.json();
    assert_eq!(session["user"]["name"], "Test", "{session}");
    assert_eq!(session["user"]["email"], "signed@types.test");
    // The password still works: no wrong-typed change-password took effect.
    let answer = post("/sign-in/email")
        .json(&json!({"email": "signed@types.test", "password": "password123"}))
        .send(&auth)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_and_unknown_fields() {
    let (auth, _db) = sqlite(CONFIG).await;
    for (path, body, message) in [
        (
            "/sign-up/email",
            json!({"email": "a@b.co", "password": "password123"}),
            "[body.name] Invalid input: expected string, received undefined",
        ),
        (
            "/sign-up/email",
            json!({"name": "N", "password": "password123"}),
            "[body.email] Invalid input: expected string, received undefined",
        ),
        (
            "/sign-up/email",
            json!({"name": "N", "email": "a@b.co"}),
            "[body.password] Invalid input: expected string, received undefined",
        ),
        (
            "/sign-in/email",
            json!({"password": "password123"}),
            "[body.email] Invalid input: expected string, received undefined",
        ),
        (
            "/sign-in/email",
            json!({"email": "a@b.co"}),
            "[body.password] Invalid input: expected string, received undefined",
        ),
    ] {
        let answer = post(path).json(&body).send(&auth).await;
        assert_error(
            &answer,
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            &format!("{path} {body}"),
        );
        assert_eq!(answer.json()["message"], message);
    }
    // No body at all where one is required.
    for path in ["/sign-up/email", "/sign-in/email"] {
        let answer = post(path).without("content-type").send(&auth).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "VALIDATION_ERROR", path);
        let answer = post(path).raw("application/json", "").send(&auth).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "VALIDATION_ERROR", path);
    }
    // Unknown fields are ignored (and never written).
    let answer = post("/sign-up/email")
        .json(&json!({
            "name": "N", "email": "unknown@fields.test", "password": "password123",
            "isAdmin": true, "role": "admin", "__proto__": {"x": 1}, "id": "chosen-id",
            "emailVerified": true, "createdAt": "1999-01-01T00:00:00.000Z",
        }))
        .send(&auth)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
    let user = &answer.json()["user"];
    assert_ne!(user["id"], "chosen-id");
    assert_eq!(user["emailVerified"], false);
    assert_ne!(user["createdAt"], "1999-01-01T00:00:00.000Z");
    assert!(
        user.get("isAdmin").is_none() && user.get("role").is_none(),
        "{user}"
    );
    let answer = post("/sign-in/email")
        .json(&json!({"email": "unknown@fields.test", "password": "password123", "extra": [1, 2]}))
        .send(&auth)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn emails_passwords_and_sizes() {
    let (auth, _db) = sqlite(CONFIG).await;
    for email in [
        "",
        "plain",
        "@b.co",
        "a@",
        "a@b",
        "a@b.c",
        "a b@c.co",
        "a@@b.co",
        "a@b..co",
        "a@-b.co",
        "\u{0}@b.co",
        "a@b.co\n",
        "<script>@b.co",
        "a@xn--.co\u{202e}",
    ] {
        let answer = post("/sign-up/email")
            .json(&json!({"name": "N", "email": email, "password": "password123"}))
            .send(&auth)
            .await;
        assert_error(
            &answer,
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            &format!("sign-up {email:?}"),
        );
        let answer = post("/sign-in/email")
            .json(&json!({"email": email, "password": "password123"}))
            .send(&auth)
            .await;
        assert_error(
            &answer,
            StatusCode::BAD_REQUEST,
            "INVALID_EMAIL",
            &format!("sign-in {email:?}"),
        );
    }
    // A 10 KB password: refused before hashing.
    let long = "p".repeat(10 * 1024);
    let answer = post("/sign-up/email")
        .json(&json!({"name": "N", "email": "long@pw.test", "password": long}))
        .send(&auth)
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "PASSWORD_TOO_LONG",
        "sign-up 10 KB",
    );
    let answer = post("/sign-in/email")
        .json(&json!({"email": "long@pw.test", "password": long}))
        .send(&auth)
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "PASSWORD_TOO_LONG",
        "sign-in 10 KB",
    );
    let answer = post("/sign-up/email")
        .json(&json!({"name": "N", "email": "short@pw.test", "password": "short"}))
        .send(&auth)
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "PASSWORD_TOO_SHORT",
        "short",
    );
    let cookie = sign_up(&auth, "sized@pw.test").await.cookie();
    let answer = post("/change-password")
        .cookie(&cookie)
        .json(&json!({"currentPassword": "password123", "newPassword": long}))
        .send(&auth)
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "PASSWORD_TOO_LONG",
        "change-password 10 KB",
    );
    let answer = post("/change-password")
        .cookie(&cookie)
        .json(&json!({"currentPassword": long, "newPassword": "password456"}))
        .send(&auth)
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "PASSWORD_TOO_LONG",
        "change-password current 10 KB",
    );
    // Bodies over 1 MiB: 413, through `handle` and through the tower service.
    let huge = json!({"name": "x".repeat(1024 * 1024 + 1), "email": "big@body.test", "password": "password123"});
    let answer = post("/sign-up/email").json(&huge).send(&auth).await;
    assert_error(
        &answer,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        "2 MiB via handle",
    );
    let answer = post("/update-user")
        .cookie(&cookie)
        .json(&huge)
        .send(&auth)
        .await;
    assert_error(
        &answer,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        "update-user 1 MiB",
    );
    let request = post("/sign-up/email").json(&huge).request();
    let response =
        tower::ServiceExt::oneshot(auth.service(), request.map(http_body_util::Full::new))
            .await
            .unwrap_or_else(|e| match e {});
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Just under the limit is parsed (and the name is accepted: better-auth has no limit).
    let answer = post("/update-user")
        .cookie(&cookie)
        .json(&json!({"name": "n".repeat(1000 * 1000)}))
        .send(&auth)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_session_cookies() {
    let (auth, _db) = sqlite(CONFIG).await;
    let good = sign_up(&auth, "cookie@bad.test").await.cookie();
    let value = good
        .split("; ")
        .find_map(|c| c.strip_prefix("better-auth.session_token="))
        .unwrap_or_else(|| panic!("{good}"))
        .to_owned();
    let (token, signature) = value.split_once('.').unwrap_or_else(|| panic!("{value}"));
    let forged_signature = format!(
        "better-auth.session_token={token}.{}",
        "A".repeat(signature.len())
    );
    let other_token = format!(
        "better-auth.session_token={}.{signature}",
        "x".repeat(token.len())
    );
    let truncated = format!("better-auth.session_token={}", &value[..value.len() - 5]);
    let unsigned = format!("better-auth.session_token={token}");
    let huge_cookie = format!("better-auth.session_token={}", "a".repeat(64 * 1024));
    let many = (0..2000)
        .map(|i| format!("c{i}=v{i}"))
        .collect::<Vec<_>>()
        .join("; ");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("forged signature", forged_signature.into_bytes()),
        ("other token", other_token.into_bytes()),
        ("truncated", truncated.into_bytes()),
        ("unsigned", unsigned.into_bytes()),
        ("empty value", b"better-auth.session_token=".to_vec()),
        ("only dots", b"better-auth.session_token=....".to_vec()),
        (
            "garbage",
            b"better-auth.session_token=%%%%\"\"==;;;".to_vec(),
        ),
        (
            "percent garbage",
            b"better-auth.session_token=%E0%A4%A%ZZ%ff%fe%00".to_vec(),
        ),
        ("no name", b"=value; ; ;=".to_vec()),
        ("huge", huge_cookie.into_bytes()),
        ("many", many.into_bytes()),
        (
            "non-UTF-8",
            b"better-auth.session_token=\xff\xfe\xfd".to_vec(),
        ),
    ];
    for (case, cookie) in &cases {
        let answer = get("/get-session")
            .header("cookie", cookie)
            .send(&auth)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{case}");
        assert_eq!(answer.json(), Value::Null, "{case}");
        let answer = get("/list-sessions")
            .header("cookie", cookie)
            .send(&auth)
            .await;
        assert_error(&answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED", case);
        let answer = post("/update-user")
            .header("cookie", cookie)
            .json(&json!({"name": "Hacked"}))
            .send(&auth)
            .await;
        assert_error(&answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED", case);
    }
    // Duplicate session cookies: the first one counts, as in better-call's parser.
    let duplicate = format!("better-auth.session_token=garbage; {good}");
    let answer = get("/get-session").cookie(&duplicate).send(&auth).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        Value::Null,
        "the first (garbage) cookie wins"
    );
    let duplicate = format!("{good}; better-auth.session_token=garbage");
    let answer = get("/get-session").cookie(&duplicate).send(&auth).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["user"]["email"], "cookie@bad.test");
    // Two Cookie headers are joined.
    let answer = get("/get-session")
        .header("cookie", "theme=dark")
        .header("cookie", good.as_bytes())
        .send(&auth)
        .await;
    assert_eq!(answer.json()["user"]["email"], "cookie@bad.test");
    // A quoted value is unquoted (RFC 6265, as the `cookie` package does): still valid.
    let quoted = format!("better-auth.session_token=\"{value}\"");
    let answer = get("/get-session").cookie(&quoted).send(&auth).await;
    assert_eq!(answer.json()["user"]["email"], "cookie@bad.test");
    // The good cookie still works, and nothing above changed the user.
    let session = get("/get-session").cookie(&good).send(&auth).await.json();
    assert_eq!(session["user"]["name"], "Test");
    // A huge Cookie header through the tower service.
    let request = get("/get-session")
        .header("cookie", format!("x={}", "y".repeat(512 * 1024)))
        .request();
    let response =
        tower::ServiceExt::oneshot(auth.service(), request.map(http_body_util::Full::new))
            .await
            .unwrap_or_else(|e| match e {});
    assert!(response.status().as_u16() < 500);
}

#[tokio::test(flavor = "multi_thread")]
async fn content_types_methods_paths_queries() {
    let (auth, _db) = sqlite(CONFIG).await;
    let body = json!({"email": "a@b.co", "password": "password123"}).to_string();
    for content_type in [
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "text/json",
    ] {
        let answer = post("/sign-in/email")
            .raw(content_type, body.clone())
            .send(&auth)
            .await;
        assert_error(
            &answer,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            content_type,
        );
    }
    // change-password takes JSON only.
    let answer = post("/change-password")
        .raw(
            "application/x-www-form-urlencoded",
            "currentPassword=a&newPassword=b",
        )
        .send(&auth)
        .await;
    assert!(answer.status.is_client_error());
    // `application/*+json` and parameters are JSON.
    for content_type in [
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/vnd.api+json",
    ] {
        let answer = post("/sign-in/email")
            .raw(content_type, body.clone())
            .send(&auth)
            .await;
        assert_error(
            &answer,
            StatusCode::UNAUTHORIZED,
            "INVALID_EMAIL_OR_PASSWORD",
            content_type,
        );
    }
    // Wrong methods and unknown paths: 404 with an empty body.
    for (method, path) in [
        (Method::GET, "/api/auth/sign-in/email"),
        (Method::PUT, "/api/auth/sign-in/email"),
        (Method::DELETE, "/api/auth/get-session"),
        (Method::PATCH, "/api/auth/update-user"),
        (Method::GET, "/api/auth/nope"),
        (Method::GET, "/api/authx/get-session"),
        (Method::GET, "/other"),
        (Method::GET, "/api/auth/get-session/extra"),
        (Method::GET, "/api/auth/%ff%fe"),
        (Method::GET, "/api/auth/reset-password/"),
    ] {
        let answer = Call::new(method.clone(), path).send(&auth).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert!(answer.body.is_empty(), "{method} {path}");
    }
    // The base path itself: a JSON 404 that names endpoints to try (better-auth's is empty).
    for (method, path) in [(Method::GET, "/api/auth"), (Method::POST, "/api/auth/")] {
        let answer = Call::new(method.clone(), path).send(&auth).await;
        assert_error(&answer, StatusCode::NOT_FOUND, "NOT_FOUND", path);
        assert!(
            answer.json()["message"]
                .as_str()
                .is_some_and(|m| m.contains("GET /api/auth/ok")),
            "{method} {path}"
        );
    }
    // Non-UTF-8 and garbage in query strings and path parameters.
    for uri in [
        "/api/auth/get-session?disableRefresh=%ff%fe",
        "/api/auth/get-session?%ff=%fe&&&==&",
        "/api/auth/verify-email?token=%ff%00%fe",
        "/api/auth/verify-email?token=a.b.c",
        "/api/auth/verify-email?token=",
        "/api/auth/verify-email",
        "/api/auth/reset-password/%ff%fe?callbackURL=%ff",
        "/api/auth/reset-password/x?callbackURL=https%3A%2F%2Fevil.test",
        "/api/auth/error?error=%3Cscript%3E%ff",
        "/api/auth/delete-user/callback?token=%ff",
    ] {
        let answer = get(uri).send(&auth).await;
        assert!(answer.status.as_u16() < 500, "{uri}: {}", answer.status);
        if answer.status.is_client_error() && !answer.body.is_empty() {
            assert!(
                answer.json()["message"].is_string(),
                "{uri}: {:?}",
                answer.json()
            );
        }
    }
    // POST to get-session: better-auth's deferred-refresh error.
    let answer = post("/get-session").send(&auth).await;
    assert_error(
        &answer,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED",
        "POST get-session",
    );
}

/// The POST endpoints with their path filled in.
fn post_paths(auth: &Auth) -> Vec<String> {
    auth.endpoints()
        .iter()
        .filter(|e| e.method == auth_core::endpoints::Method::Post)
        .map(|e| e.path.replace(":token", "x").replace(":id", "x"))
        .collect()
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        Just(json!("a@b.co")),
        Just(json!("password123")),
        Just(json!("https://evil.test")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("email".to_owned()),
                    Just("password".to_owned()),
                    Just("name".to_owned()),
                    Just("image".to_owned()),
                    Just("token".to_owned()),
                    Just("newPassword".to_owned()),
                    Just("currentPassword".to_owned()),
                    Just("callbackURL".to_owned()),
                    Just("rememberMe".to_owned()),
                    Just("providerId".to_owned()),
                    Just("newEmail".to_owned()),
                    Just("age".to_owned()),
                    Just("tags".to_owned()),
                    Just("keyId".to_owned()),
                    Just("expiresIn".to_owned()),
                    Just("metadata".to_owned()),
                    Just("prefix".to_owned()),
                    Just("remaining".to_owned()),
                    Just("permissions".to_owned()),
                    Just("enabled".to_owned()),
                    Just("phoneNumber".to_owned()),
                    Just("code".to_owned()),
                    Just("otp".to_owned()),
                    ".{0,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Payload {
    Json(Value),
    Bytes(String, Vec<u8>),
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        3 => json_value().prop_map(Payload::Json),
        1 => (
            prop_oneof![
                Just("application/json".to_owned()),
                Just("application/x-www-form-urlencoded".to_owned()),
                Just("text/plain".to_owned()),
                "[a-z/+;= -]{0,30}",
            ],
            prop::collection::vec(any::<u8>(), 0..256),
        )
            .prop_map(|(t, b)| Payload::Bytes(t, b)),
    ]
}

/// [`CONFIG`] with every plugin the server serves (with the options that add endpoints).
fn with_every_served_plugin() -> String {
    let mut text = CONFIG.to_owned();
    for plugin in auth_runtime::plugins::SERVED {
        text.push_str(&format!("\n[plugins.{plugin}]\n"));
        if *plugin == auth_core::schema::Plugin::TwoFactor {
            text.push_str("[plugins.two-factor.otp]\n");
        }
        if *plugin == auth_core::schema::Plugin::Organization {
            text.push_str("teams = true\ndynamic-access-control = true\n");
        }
    }
    text.push_str("\n[mailer]\nkind = \"log\"\n\n[sms]\nkind = \"log\"\n");
    text
}

/// Any string as a phone number (control characters, spaces, letters, long) into every
/// phone-number endpoint, with and without a session: never a 5xx, and no SMS leaves for a number
/// that could break its line (CR/LF or any control character).
#[test]
fn arbitrary_phone_numbers() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("sms.jsonl");
    let toml = format!(
        "{CONFIG}\n[plugins.phone-number]\n[plugins.phone-number.sign-up-on-verification]\ntemp-email = \"{{digits}}@phone.example.com\"\n[sms]\nkind = \"log\"\npath = \"{}\"\n",
        log.display()
    );
    let (auth, _db, cookie) = rt.block_on(async {
        let (auth, db) = sqlite(&toml).await;
        let cookie = sign_up(&auth, "phone@prop.test").await.cookie();
        (auth, db, cookie)
    });
    let paths = [
        "/phone-number/send-otp",
        "/phone-number/verify",
        "/sign-in/phone-number",
        "/phone-number/request-password-reset",
        "/phone-number/reset-password",
    ];
    let number = prop_oneof![
        "\\PC{0,20}",
        ".{0,40}",
        "[+0-9 ()\r\n-]{0,24}",
        Just("+14155550123".to_owned()),
    ];
    let config = ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(index in 0..paths.len(), phone in number, code in "[0-9]{0,8}", update in any::<bool>(), with_cookie in any::<bool>())| {
        let path = paths[index];
        let body = json!({
            "phoneNumber": phone,
            "code": code,
            "otp": code,
            "password": "password123",
            "newPassword": "password1234",
            "updatePhoneNumber": update,
        });
        let mut call = post(path).json(&body);
        if with_cookie {
            call = call.cookie(&cookie);
        }
        let answer = rt.block_on(call.send(&auth));
        prop_assert!(answer.status.as_u16() < 500, "{path} {phone:?}: {} {:?}", answer.status, answer.json());
        if answer.status.is_client_error() {
            prop_assert!(answer.json()["code"].is_string(), "{path}: {:?}", answer.json());
        }
    });
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!text.is_empty(), "some codes were sent");
    for line in text.lines() {
        let sms: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let to = sms["to"].as_str().unwrap_or_default();
        assert!(
            !to.is_empty() && !to.chars().any(char::is_control),
            "{line}"
        );
    }
}

/// Makes the user of `cookie` the owner of a new, active organization.
async fn own_an_organization(auth: &Auth, cookie: &str) {
    let created = post("/organization/create")
        .cookie(cookie)
        .json(&json!({ "name": "Fuzz", "slug": "fuzz" }))
        .send(auth)
        .await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.json());
}

/// Every field of the organization's team endpoints replaced by every wrong type, `null`, and
/// dropped, by the owner of an organization with teams: 400, never a 5xx.
#[tokio::test(flavor = "multi_thread")]
async fn every_team_field_wrong() {
    let toml =
        format!("{CONFIG}\n[plugins.organization]\nteams = true\n\n[mailer]\nkind = \"log\"\n");
    let (auth, _db) = sqlite(&toml).await;
    let signed = sign_up(&auth, "teams@prop.test").await;
    let cookie = signed.cookie();
    own_an_organization(&auth, &cookie).await;
    let session = get("/get-session").cookie(&cookie).send(&auth).await.json();
    let team = session["session"]["activeTeamId"].clone();
    let user = session["user"]["id"].clone();
    assert!(team.is_string() && user.is_string(), "{session}");
    for (path, valid) in [
        (
            "/organization/create-team",
            json!({ "name": "Ops", "organizationId": "x" }),
        ),
        (
            "/organization/remove-team",
            json!({ "teamId": team, "organizationId": "x" }),
        ),
        (
            "/organization/add-team-member",
            json!({ "teamId": team, "userId": user, "organizationId": "x" }),
        ),
        (
            "/organization/remove-team-member",
            json!({ "teamId": team, "userId": user, "organizationId": "x" }),
        ),
        ("/organization/update-team", json!({ "teamId": team })),
    ] {
        every_field_wrong(&auth, path, &valid, Some(&cookie)).await;
    }
    for data in [
        json!({ "name": 42 }),
        json!({ "name": "" }),
        json!({ "organizationId": [] }),
    ] {
        let answer = post("/organization/update-team")
            .cookie(&cookie)
            .json(&json!({ "teamId": team, "data": data }))
            .send(&auth)
            .await;
        assert_error(
            &answer,
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            &format!("data {data}"),
        );
    }
    for team_id in [json!(42), json!({}), json!([1])] {
        let answer = post("/organization/set-active-team")
            .cookie(&cookie)
            .json(&json!({ "teamId": team_id }))
            .send(&auth)
            .await;
        assert_error(
            &answer,
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            &format!("teamId {team_id}"),
        );
    }
}

/// Arbitrary role names and permission records (any resources and actions, any JSON in their
/// place) into create-role, update-role, delete-role and has-permission, as the owner of the
/// active organization: never a 5xx, every refusal `{code, message}`, and a role is stored
/// only when every resource it grants is declared.
#[test]
fn arbitrary_roles_and_permissions() {
    let rt = runtime();
    let (auth, _db, cookie) = rt.block_on(async {
        let (auth, db) = sqlite(&with_every_served_plugin()).await;
        let cookie = sign_up(&auth, "roles@prop.test").await.cookie();
        own_an_organization(&auth, &cookie).await;
        (auth, db, cookie)
    });
    let declared = ["organization", "member", "invitation", "team", "ac"];
    let name = prop_oneof![
        "\\PC{0,12}",
        Just("owner".to_owned()),
        Just("Editor".to_owned())
    ];
    let word = prop_oneof![
        "[a-z]{1,8}",
        Just("member".to_owned()),
        Just("create".to_owned()),
        Just("read".to_owned())
    ];
    let record = prop::collection::btree_map(word.clone(), prop::collection::vec(word, 0..4), 0..4)
        .prop_map(|m| json!(m));
    let permission = prop_oneof![3 => record, 1 => json_value()];
    let config = ProptestConfig {
        cases: 192,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let paths = [
        "/organization/create-role",
        "/organization/update-role",
        "/organization/delete-role",
        "/organization/has-permission",
    ];
    proptest!(config, |(index in 0..paths.len(), role in name, permission in permission, by_id in any::<bool>())| {
        let path = paths[index];
        let body = json!({
            "role": role,
            "permission": permission,
            "permissions": permission,
            "roleName": if by_id { Value::Null } else { json!(role) },
            "roleId": if by_id { json!(role) } else { Value::Null },
            "data": { "permission": permission, "roleName": role },
        });
        let body = match body {
            Value::Object(map) => Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect()),
            other => other,
        };
        let answer = rt.block_on(post(path).cookie(&cookie).json(&body).send(&auth));
        prop_assert!(answer.status.as_u16() < 500, "{path} {body}: {} {:?}", answer.status, answer.json());
        if answer.status.is_client_error() {
            prop_assert!(answer.json()["code"].is_string() && answer.json()["message"].is_string(), "{path}: {:?}", answer.json());
        }
        if answer.status == StatusCode::OK && path != "/organization/has-permission" && path != "/organization/delete-role" {
            let granted = &answer.json()["roleData"]["permission"];
            let resources: Vec<String> = granted.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
            prop_assert!(resources.iter().all(|r| declared.contains(&r.as_str())), "{path} stored {granted}");
        }
    });
    let listed = rt.block_on(
        get("/api/auth/organization/list-roles")
            .cookie(&cookie)
            .send(&auth),
    );
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.json());
}

/// Random bodies to every POST endpoint of core and every served plugin.
#[test]
fn arbitrary_input_to_every_post_endpoint() {
    let rt = runtime();
    let (auth, _db, cookie) = rt.block_on(async {
        let (auth, db) = sqlite(&with_every_served_plugin()).await;
        let cookie = sign_up(&auth, "fuzz@prop.test").await.cookie();
        // An admin, so that the admin endpoints get past their permission checks, and the
        // owner of an active organization, so that the organization endpoints read their input.
        auth.grant_role("fuzz@prop.test", "admin")
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        own_an_organization(&auth, &cookie).await;
        (auth, db, cookie)
    });
    let paths = post_paths(&auth);
    assert!(paths.len() >= 10, "{paths:?}");
    for team_path in ["/organization/create-team", "/organization/add-team-member"] {
        assert!(paths.iter().any(|p| p == team_path), "{paths:?}");
    }
    // Every served plugin that declares endpoints (bearer and last-login-method only hook into
    // others') has them in the fuzzed set.
    let config = auth_core::Config::parse("auth.toml", with_every_served_plugin())
        .unwrap_or_else(|e| panic!("{e}"));
    for declaration in auth_core::plugins::enabled(&config) {
        if !(declaration.endpoints)(&config).is_empty() {
            let plugin = declaration.plugin;
            assert!(
                auth.endpoints().iter().any(|e| e.plugin == Some(plugin)),
                "{plugin}'s endpoints are fuzzed"
            );
        }
    }
    let config = ProptestConfig {
        cases: 384,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(index in 0..paths.len(), payload in payload(), with_cookie in any::<bool>())| {
        let path = &paths[index];
        let mut call = post(path);
        call = match &payload {
            Payload::Json(value) => call.json(value),
            Payload::Bytes(content_type, bytes) => match http::HeaderValue::from_str(content_type) {
                Ok(_) => call.raw(content_type, bytes.clone()),
                Err(_) => call.raw("application/json", bytes.clone()),
            },
        };
        if with_cookie {
            call = call.cookie(&cookie);
        }
        let answer = rt.block_on(call.send(&auth));
        prop_assert!(answer.status.as_u16() < 500, "{path} {payload:?}: {} {:?}", answer.status, answer.json());
        if answer.status.is_client_error() && !answer.body.is_empty() {
            prop_assert!(answer.json()["message"].is_string(), "{path}: {:?}", answer.json());
        }
    });
    // The signed-in session survived unless the fuzz deleted the user or revoked sessions;
    // either way get-session answers 200.
    let answer = rt.block_on(get("/get-session").cookie(&cookie).send(&auth));
    assert_eq!(answer.status, StatusCode::OK);
}

/// Arbitrary values (any bytes) in `x-api-key` on get-session and on an endpoint that needs a
/// session, with api keys acting as sessions: a 4xx `{code, message}` (403 for a short key, 401
/// for an unknown one) or, for the real key, 200 — never a 5xx.
#[test]
fn arbitrary_api_keys_in_x_api_key() {
    let rt = runtime();
    let toml = format!("{CONFIG}\n[plugins.api-key]\nenable-session-for-api-keys = true\n");
    let (auth, _db, key) = rt.block_on(async {
        let (auth, db) = sqlite(&toml).await;
        let cookie = sign_up(&auth, "keys@prop.test").await.cookie();
        let created = post("/api-key/create")
            .cookie(&cookie)
            .json(&json!({}))
            .send(&auth)
            .await;
        let key = created.json()["key"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (auth, db, key)
    });
    assert_eq!(key.len(), 64);
    let config = ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let value = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..80),
        "[A-Za-z]{60,70}".prop_map(String::into_bytes),
        Just(key.clone().into_bytes()),
    ];
    proptest!(config, |(bytes in value, path in prop_oneof![Just("/get-session"), Just("/api-key/list"), Just("/list-sessions")])| {
        let Ok(header) = http::HeaderValue::from_bytes(&bytes) else {
            return Ok(());
        };
        let answer = rt.block_on(get(path).header("x-api-key", header.as_bytes()).send(&auth));
        prop_assert!(answer.status.as_u16() < 500, "{path} {bytes:?}: {}", answer.status);
        if answer.status.is_client_error() {
            prop_assert!(answer.json()["message"].is_string() && answer.json()["code"].is_string(), "{path}: {:?}", answer.json());
        }
        if bytes.len() < 64 && !bytes.is_empty() {
            prop_assert_eq!(answer.status, StatusCode::FORBIDDEN);
        }
    });
}

/// Random query strings (any bytes, percent-encoded; the endpoint's own keys and others) to every
/// GET endpoint that takes a query, core's and every served plugin's (magic-link/verify, admin's
/// list-users and get-user), as a signed-in admin.
#[test]
fn arbitrary_queries_to_every_get_endpoint_with_a_query() {
    let rt = runtime();
    let (auth, _db, cookie) = rt.block_on(async {
        let (auth, db) = sqlite(&with_every_served_plugin()).await;
        let cookie = sign_up(&auth, "fuzz@prop.test").await.cookie();
        // An admin, so that list-users and get-user read their queries, and the owner of an
        // active organization, so that list-members and its kin read theirs.
        auth.grant_role("fuzz@prop.test", "admin")
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        own_an_organization(&auth, &cookie).await;
        (auth, db, cookie)
    });
    let endpoints: Vec<(String, Vec<String>)> = auth
        .endpoints()
        .iter()
        .filter(|e| e.method == auth_core::endpoints::Method::Get)
        .filter_map(|e| {
            let Some(auth_core::endpoints::Shape::Object(keys)) = &e.query else {
                return None;
            };
            let mut names: Vec<String> = keys.iter().map(|p| p.name.clone()).collect();
            names.push("x".to_owned());
            Some((e.path.replace(":token", "x").replace(":id", "x"), names))
        })
        .collect();
    for path in [
        "/magic-link/verify",
        "/admin/list-users",
        "/passkey/generate-register-options",
        "/organization/list-members",
        "/organization/list-teams",
        "/organization/list-user-teams",
        "/organization/list-team-members",
    ] {
        assert!(endpoints.iter().any(|(p, _)| p == path), "{endpoints:?}");
    }
    let config = ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let pair = (0usize..8, prop::collection::vec(any::<u8>(), 0..40));
    proptest!(config, |(index in 0..endpoints.len(), pairs in prop::collection::vec(pair, 0..5))| {
        let (path, names) = &endpoints[index];
        let query: Vec<String> = pairs
            .iter()
            .map(|(key, value)| {
                let value: String = value.iter().map(|b| format!("%{b:02x}")).collect();
                format!("{}={value}", names[key % names.len()])
            })
            .collect();
        let uri = format!("/api/auth{path}?{}", query.join("&"));
        let answer = rt.block_on(get(&uri).cookie(&cookie).send(&auth));
        prop_assert!(answer.status.as_u16() < 500, "{uri}: {}", answer.status);
        if answer.status.is_client_error() && !answer.body.is_empty() {
            prop_assert!(answer.json()["message"].is_string(), "{uri}: {:?}", answer.json());
        }
    });
}

/// A JSON body without a JSON content type (curl's `-d` sends a form type; some clients send
/// none) is answered with what to fix, not with the fields the form parse could not find.
#[tokio::test(flavor = "multi_thread")]
async fn a_json_body_without_a_json_content_type_says_so() {
    let (auth, _db) = sqlite(CONFIG).await;
    let body = r#"{"email":"a@b.co","password":"password123"}"#;
    for (call, expected) in [
        (
            post("/sign-in/email").raw("application/x-www-form-urlencoded", body),
            "[body] the body is JSON but its Content-Type is application/x-www-form-urlencoded: send it with Content-Type: application/json",
        ),
        (
            post("/sign-in/email")
                .raw("x", body)
                .without("content-type"),
            "[body] the request has a body but no Content-Type: send JSON with Content-Type: application/json",
        ),
    ] {
        let answer = call.send(&auth).await;
        assert_error(
            &answer,
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            expected,
        );
        assert_eq!(answer.json()["message"], expected);
    }
    // A real form still signs in (or fails on its values), as better-auth's.
    let answer = post("/sign-in/email")
        .raw(
            "application/x-www-form-urlencoded",
            "email=a%40b.co&password=password123",
        )
        .send(&auth)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

/// generic-oauth's provider through the core's routes: arbitrary bodies to `sign-in/social` and
/// `link-social` naming it, and arbitrary `code`/`state`/`error` to its callback (GET query and
/// POST form), with and without a session: never a 5xx, a 4xx with `{code, message}`, a
/// callback's failure a redirect to the error page.
#[test]
fn arbitrary_input_to_a_generic_oauth_provider() {
    let rt = runtime();
    // Explicit URLs, no discovery: nothing is fetched before the provider's token endpoint,
    // which no fuzzed state ever reaches (a port nobody listens on).
    let toml = format!(
        "{CONFIG}\n[plugins.generic-oauth.providers.corp]\n\
         authorization-url = \"http://127.0.0.1:9/authorize\"\ntoken-url = \"http://127.0.0.1:9/token\"\n\
         user-info-url = \"http://127.0.0.1:9/userinfo\"\nscopes = [\"profile\"]\n"
    );
    let options = auth_runtime::AuthOptions {
        env: Some(std::sync::Arc::new(|name: &str| match name {
            "CORP_CLIENT_ID" => Some("client".to_owned()),
            "CORP_CLIENT_SECRET" => Some("secret".to_owned()),
            _ => None,
        })),
        ..server::options(None)
    };
    let (auth, _db, cookie) = rt.block_on(async {
        let (auth, db) =
            server::server_with(server::Backend::Sqlite, &toml, "generic-oauth", options)
                .await
                .unwrap_or_else(|| panic!("sqlite is always available"));
        let cookie = sign_up(&auth, "generic@prop.test").await.cookie();
        (auth, db, cookie)
    });
    // The provider is there: sign-in/social answers its authorization URL.
    let started = rt.block_on(
        post("/sign-in/social")
            .json(&json!({ "provider": "corp", "callbackURL": "/" }))
            .send(&auth),
    );
    assert_eq!(started.status, StatusCode::OK, "{:?}", started.json());
    assert!(
        started.json()["url"]
            .as_str()
            .is_some_and(|url| url.starts_with("http://127.0.0.1:9/authorize?")),
        "{:?}",
        started.json()
    );
    let field = prop_oneof![
        Just(json!("corp")),
        any::<String>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null),
        Just(json!(["corp"])),
        Just(json!({ "provider": "corp" })),
    ];
    let keys = prop_oneof![
        Just("provider"),
        Just("callbackURL"),
        Just("errorCallbackURL"),
        Just("newUserCallbackURL"),
        Just("scopes"),
        Just("idToken"),
        Just("loginHint"),
        Just("additionalData"),
        Just("requestSignUp"),
        Just("disableRedirect"),
    ];
    let config = ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let callback = prop::collection::vec((0usize..3, "\\PC{0,40}"), 0..4);
    proptest!(config, |(
        fields in prop::collection::vec((keys, field), 0..6),
        link in any::<bool>(),
        pairs in callback,
        form in any::<bool>(),
        with_cookie in any::<bool>(),
    )| {
        let mut body = serde_json::Map::new();
        body.insert("provider".into(), json!("corp"));
        for (key, value) in fields {
            body.insert(key.into(), value);
        }
        let path = if link { "/link-social" } else { "/sign-in/social" };
        let mut call = post(path).json(&Value::Object(body.clone()));
        if with_cookie {
            call = call.cookie(&cookie);
        }
        let answer = rt.block_on(call.send(&auth));
        prop_assert!(answer.status.as_u16() < 500, "{path} {body:?}: {} {:?}", answer.status, answer.json());
        if answer.status.is_client_error() {
            prop_assert!(answer.json()["code"].is_string(), "{path}: {:?}", answer.json());
        }

        let query = pairs
            .iter()
            .map(|(key, value)| {
                let value: String = value.bytes().map(|b| format!("%{b:02x}")).collect();
                format!("{}={value}", ["code", "state", "error"][*key])
            })
            .collect::<Vec<_>>()
            .join("&");
        let call = if form {
            post("/callback/corp").raw("application/x-www-form-urlencoded", query.clone())
        } else {
            get(&format!("/api/auth/callback/corp?{query}"))
        };
        let call = if with_cookie { call.cookie(&cookie) } else { call };
        let mut answer = rt.block_on(call.send(&auth));
        prop_assert!(answer.status.as_u16() < 500, "callback {query}: {} {:?}", answer.status, answer.json());
        // A form POST is sent on to the GET callback with its fields, as better-auth does.
        let location = answer.header("location").unwrap_or_default();
        if form && let Some(path) = location.strip_prefix(server::ORIGIN) && path.starts_with("/api/auth/callback/corp") {
            let call = get(path);
            let call = if with_cookie { call.cookie(&cookie) } else { call };
            answer = rt.block_on(call.send(&auth));
            prop_assert!(answer.status.as_u16() < 500, "callback {path}: {} {:?}", answer.status, answer.json());
        }
        if answer.status.is_redirection() {
            let location = answer.header("location").unwrap_or_default();
            prop_assert!(location.contains("error="), "callback {query}: {location}");
        }
    });
}
