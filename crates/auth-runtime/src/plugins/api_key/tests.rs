use std::collections::BTreeMap;

use super::*;
use bytes::Bytes;
use http::{Method, Request, header};

use crate::plugins::tests::ORIGIN;

const SESSIONS: &str = "enable-session-for-api-keys = true\n";

async fn server(dir: &std::path::Path, options: &str) -> Auth {
    crate::plugins::tests::server(
        dir,
        &format!("[email-and-password]\nenabled = true\n[plugins.api-key]\n{options}"),
    )
    .await
}

/// An answer's status and JSON body (`null` when empty).
struct Answer {
    status: StatusCode,
    body: Json,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

async fn call(
    auth: &Auth,
    method: Method,
    path: &str,
    body: Option<Json>,
    headers: &[(&str, &str)],
) -> (Answer, Vec<String>) {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("{ORIGIN}/api/auth{path}"))
        .header(header::ORIGIN, ORIGIN);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let bytes = match body {
        Some(body) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Bytes::from(body.to_string())
        }
        None => Bytes::new(),
    };
    let response = auth
        .handle(request.body(bytes).unwrap_or_else(|e| panic!("{e:?}")))
        .await;
    let cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .collect();
    let body = if response.body().is_empty() {
        Json::Null
    } else {
        serde_json::from_slice(response.body()).unwrap_or_else(|e| panic!("{e:?}"))
    };
    (
        Answer {
            status: response.status(),
            body,
        },
        cookies,
    )
}

async fn post(auth: &Auth, path: &str, body: Json, cookie: &str) -> Answer {
    call(auth, Method::POST, path, Some(body), &[("cookie", cookie)])
        .await
        .0
}

async fn get_with(auth: &Auth, path: &str, headers: &[(&str, &str)]) -> Answer {
    call(auth, Method::GET, path, None, headers).await.0
}

/// Signs a new user up; their session cookie.
async fn sign_up(auth: &Auth, email: &str) -> String {
    let (answer, cookies) = call(
        auth,
        Method::POST,
        "/sign-up/email",
        Some(json!({ "email": email, "password": "password1234", "name": "keys" })),
        &[],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    cookies.join("; ")
}

async fn create(auth: &Auth, cookie: &str, body: Json) -> Json {
    let answer = post(auth, "/api-key/create", body, cookie).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body
}

async fn row(auth: &Auth, id: &str) -> Option<Row> {
    auth.inner
        .store
        .find_one(apikey::MODEL, &[Where::eq(apikey::ID, id)])
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
}

/// Sets fields of a key directly, as better-auth's server API (`auth.api.updateApiKey`) may.
async fn set(auth: &Auth, id: &str, fields: &[(&str, Value)]) {
    let changes: Row = fields
        .iter()
        .map(|(f, v)| ((*f).to_owned(), v.clone()))
        .collect();
    let updated = auth
        .inner
        .store
        .update(apikey::MODEL, &[Where::eq(apikey::ID, id)], changes)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(updated, 1);
}

fn id_of(key: &Json) -> String {
    key["id"].as_str().unwrap_or_default().to_owned()
}

fn plaintext(key: &Json) -> String {
    key["key"].as_str().unwrap_or_default().to_owned()
}

async fn session_of(auth: &Auth, key: &str) -> Answer {
    get_with(auth, "/get-session", &[("x-api-key", key)]).await
}

/// create → get → list → update → delete, with better-auth's shapes and stored forms: the key
/// shown once (64 letters), kept as its SHA-256, `start` its first six characters.
#[tokio::test]
async fn a_key_is_created_read_listed_updated_and_deleted() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let auth = server(dir.path(), "").await;
    let cookie = sign_up(&auth, "keys@example.com").await;
    let created = create(&auth, &cookie, json!({ "name": "ci" })).await;
    let key = plaintext(&created);
    assert_eq!(key.len(), 64);
    assert!(key.bytes().all(|b| b.is_ascii_alphabetic()), "{key}");
    assert_eq!(created["start"], json!(&key[..6]));
    for (field, expected) in [
        ("configId", json!("default")),
        ("name", json!("ci")),
        ("prefix", Json::Null),
        ("enabled", json!(true)),
        ("rateLimitEnabled", json!(true)),
        ("rateLimitTimeWindow", json!(86_400_000)),
        ("rateLimitMax", json!(10)),
        ("requestCount", json!(0)),
        ("remaining", Json::Null),
        ("permissions", Json::Null),
        ("metadata", Json::Null),
        ("expiresAt", Json::Null),
    ] {
        assert_eq!(created[field], expected, "{field}");
    }
    let id = id_of(&created);
    let stored = row(&auth, &id).await.unwrap_or_else(|| panic!("no row"));
    assert_eq!(text(&stored, apikey::KEY), key_hash(&key));
    assert_eq!(text(&stored, apikey::METADATA), "null");

    let got = get_with(
        &auth,
        &format!("/api-key/get?id={id}"),
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert!(got.body.get("key").is_none(), "{}", got.body);
    assert_eq!(got.body["start"], created["start"]);
    let listed = get_with(&auth, "/api-key/list", &[("cookie", &cookie)]).await;
    assert_eq!(listed.body["total"], json!(1));
    assert!(listed.body.get("limit").is_none());
    assert!(listed.body["apiKeys"][0].get("key").is_none());

    let updated = post(
        &auth,
        "/api-key/update",
        json!({ "keyId": id, "name": "renamed", "expiresIn": 86_400 * 2 }),
        &cookie,
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["name"], json!("renamed"));
    assert!(updated.body["expiresAt"].is_string());
    assert_eq!(updated.body["updatedAt"], created["updatedAt"]);

    let deleted = post(&auth, "/api-key/delete", json!({ "keyId": id }), &cookie).await;
    assert_eq!(deleted.body, json!({ "success": true }));
    let gone = get_with(
        &auth,
        &format!("/api-key/get?id={id}"),
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(
        (gone.status, gone.code()),
        (StatusCode::NOT_FOUND, "KEY_NOT_FOUND")
    );
}

/// What better-auth refuses from a client, with its codes and statuses.
#[tokio::test]
async fn clients_are_refused_what_better_auth_refuses() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let auth = server(dir.path(), "").await;
    let cookie = sign_up(&auth, "owner@example.com").await;
    let other = sign_up(&auth, "other@example.com").await;
    let mine = id_of(&create(&auth, &cookie, json!({})).await);
    for (body, status, code) in [
        (
            json!({ "remaining": 5 }),
            StatusCode::BAD_REQUEST,
            "SERVER_ONLY_PROPERTY",
        ),
        (
            json!({ "permissions": { "files": ["read"] } }),
            StatusCode::BAD_REQUEST,
            "SERVER_ONLY_PROPERTY",
        ),
        (
            json!({ "rateLimitMax": 100 }),
            StatusCode::BAD_REQUEST,
            "SERVER_ONLY_PROPERTY",
        ),
        (
            json!({ "userId": "someone" }),
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED_SESSION",
        ),
        (
            json!({ "metadata": { "team": "a" } }),
            StatusCode::BAD_REQUEST,
            "METADATA_DISABLED",
        ),
        (
            json!({ "expiresIn": 60 }),
            StatusCode::BAD_REQUEST,
            "EXPIRES_IN_IS_TOO_SMALL",
        ),
        (
            json!({ "expiresIn": 86_400 * 400 }),
            StatusCode::BAD_REQUEST,
            "EXPIRES_IN_IS_TOO_LARGE",
        ),
        (
            json!({ "name": "x".repeat(33) }),
            StatusCode::BAD_REQUEST,
            "INVALID_NAME_LENGTH",
        ),
        (
            json!({ "prefix": "p".repeat(33) }),
            StatusCode::BAD_REQUEST,
            "INVALID_PREFIX_LENGTH",
        ),
        (
            json!({ "prefix": "no spaces" }),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            json!({ "expiresIn": "soon" }),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
    ] {
        let answer = post(&auth, "/api-key/create", body.clone(), &cookie).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, code),
            "{body}: {}",
            answer.body
        );
    }
    let anonymous = post(&auth, "/api-key/create", json!({}), "").await;
    assert_eq!(
        (anonymous.status, anonymous.code()),
        (StatusCode::UNAUTHORIZED, "UNAUTHORIZED_SESSION")
    );
    for (path, body) in [
        ("/api-key/delete", json!({ "keyId": mine })),
        (
            "/api-key/update",
            json!({ "keyId": mine, "name": "theirs" }),
        ),
    ] {
        let answer = post(&auth, path, body, &other).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::NOT_FOUND, "KEY_NOT_FOUND"),
            "{path}"
        );
    }
    for (body, code) in [
        (
            json!({ "keyId": mine, "remaining": 3 }),
            "SERVER_ONLY_PROPERTY",
        ),
        (json!({ "keyId": mine }), "NO_VALUES_TO_UPDATE"),
        (json!({ "keyId": mine, "name": "" }), "INVALID_NAME_LENGTH"),
    ] {
        let answer = post(&auth, "/api-key/update", body.clone(), &cookie).await;
        assert_eq!(answer.code(), code, "{body}: {}", answer.body);
    }
    // Server-only in better-auth: no route.
    let verify = post(&auth, "/api-key/verify", json!({ "key": mine }), &cookie).await;
    assert_eq!(
        (verify.status, verify.body),
        (StatusCode::NOT_FOUND, Json::Null)
    );
    assert!(row(&auth, &mine).await.is_some());
}

/// A key in `x-api-key` is a session without a cookie: better-auth's synthetic session on
/// `/get-session`, the owner's on other endpoints; and its failures.
#[tokio::test]
async fn a_key_in_x_api_key_is_its_owners_session() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let auth = server(dir.path(), SESSIONS).await;
    let cookie = sign_up(&auth, "session@example.com").await;
    let created = create(&auth, &cookie, json!({ "name": "bot" })).await;
    let key = plaintext(&created);
    let (answer, cookies) = call(
        &auth,
        Method::GET,
        "/get-session",
        None,
        &[("x-api-key", &key), ("user-agent", "node")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(cookies.is_empty(), "{cookies:?}");
    let keys: Vec<&String> = answer
        .body
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["user", "session"]);
    let session = &answer.body["session"];
    assert_eq!(session["id"], created["id"]);
    assert_eq!(session["token"], json!(key));
    assert_eq!(session["userAgent"], json!("node"));
    assert_eq!(answer.body["user"]["email"], json!("session@example.com"));
    assert_eq!(session.as_object().map(Map::len), Some(8));
    // Other endpoints see the owner's session.
    let listed = get_with(&auth, "/api-key/list", &[("x-api-key", &key)]).await;
    assert_eq!(listed.body["total"], json!(1), "{}", listed.body);
    assert_eq!(listed.body["apiKeys"][0]["requestCount"], json!(2));

    let short = session_of(&auth, "short-key").await;
    assert_eq!(
        (short.status, short.code()),
        (StatusCode::FORBIDDEN, "INVALID_API_KEY")
    );
    let unknown = session_of(&auth, &"Q".repeat(64)).await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::UNAUTHORIZED, "INVALID_API_KEY")
    );

    let id = id_of(&created);
    set(&auth, &id, &[(apikey::ENABLED, false.into())]).await;
    let disabled = session_of(&auth, &key).await;
    assert_eq!(
        (disabled.status, disabled.code()),
        (StatusCode::UNAUTHORIZED, "KEY_DISABLED")
    );
    set(
        &auth,
        &id,
        &[
            (apikey::ENABLED, true.into()),
            (
                apikey::EXPIRES_AT,
                Timestamp::now().plus_millis(-1000).into(),
            ),
        ],
    )
    .await;
    let expired = session_of(&auth, &key).await;
    assert_eq!(
        (expired.status, expired.code()),
        (StatusCode::UNAUTHORIZED, "KEY_EXPIRED")
    );
    assert!(
        row(&auth, &id).await.is_none(),
        "an expired key is deleted on use"
    );
}

/// Ten uses a day by default, then 429 `RATE_LIMITED` with `details.tryAgainIn`; `remaining`
/// runs out with 429 `USAGE_EXCEEDED` and the key deleted; a due refill restores it.
#[tokio::test]
async fn the_rate_limit_and_the_quota_hold() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let auth = server(dir.path(), SESSIONS).await;
    let cookie = sign_up(&auth, "quota@example.com").await;
    let key = plaintext(&create(&auth, &cookie, json!({})).await);
    for use_ in 1..=10 {
        assert_eq!(
            session_of(&auth, &key).await.status,
            StatusCode::OK,
            "use {use_}"
        );
    }
    let limited = session_of(&auth, &key).await;
    assert_eq!(
        (limited.status, limited.code()),
        (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED")
    );
    assert_eq!(limited.body["message"], json!("Rate limit exceeded."));
    let try_again_in = limited.body["details"]["tryAgainIn"]
        .as_i64()
        .unwrap_or_default();
    assert!(
        (86_300_000..=86_400_000).contains(&try_again_in),
        "{}",
        limited.body
    );

    let quota = create(&auth, &cookie, json!({})).await;
    let (id, key) = (id_of(&quota), plaintext(&quota));
    set(
        &auth,
        &id,
        &[
            (apikey::REMAINING, 2i64.into()),
            (apikey::RATE_LIMIT_ENABLED, false.into()),
        ],
    )
    .await;
    for left in [1, 0] {
        assert_eq!(session_of(&auth, &key).await.status, StatusCode::OK);
        let stored = row(&auth, &id).await.unwrap_or_else(|| panic!("no row"));
        assert_eq!(number(&stored, apikey::REMAINING), Some(left));
    }
    let exhausted = session_of(&auth, &key).await;
    assert_eq!(
        (exhausted.status, exhausted.code()),
        (StatusCode::TOO_MANY_REQUESTS, "USAGE_EXCEEDED")
    );
    assert!(
        row(&auth, &id).await.is_none(),
        "an exhausted key is deleted"
    );

    let refilled = create(&auth, &cookie, json!({})).await;
    let (id, key) = (id_of(&refilled), plaintext(&refilled));
    let long_ago = Timestamp::now().plus_millis(-5000);
    set(
        &auth,
        &id,
        &[
            (apikey::REMAINING, 0i64.into()),
            (apikey::REFILL_AMOUNT, 5i64.into()),
            (apikey::REFILL_INTERVAL, 1000i64.into()),
            (apikey::LAST_REFILL_AT, long_ago.into()),
        ],
    )
    .await;
    assert_eq!(session_of(&auth, &key).await.status, StatusCode::OK);
    let stored = row(&auth, &id).await.unwrap_or_else(|| panic!("no row"));
    assert_eq!(number(&stored, apikey::REMAINING), Some(4));
    assert!(
        date(&stored, apikey::LAST_REFILL_AT).is_some_and(|at| at.millis() > long_ago.millis())
    );
}

/// 50 concurrent uses of one key: exactly `remaining` (20) of them pass, then exactly the rate
/// limit's 10 on another key; never below zero, never past the limit. (On PostgreSQL and
/// MariaDB: `tests/single_use.rs`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uses_are_counted_exactly() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let auth = server(dir.path(), SESSIONS).await;
    let cookie = sign_up(&auth, "race@example.com").await;
    for (fields, allowed) in [
        (
            vec![
                (apikey::REMAINING, Value::from(20i64)),
                (apikey::RATE_LIMIT_ENABLED, false.into()),
            ],
            20,
        ),
        (vec![], 10),
    ] {
        let created = create(&auth, &cookie, json!({})).await;
        let (id, key) = (id_of(&created), plaintext(&created));
        set(&auth, &id, &fields).await;
        let uses: Vec<_> = (0..50)
            .map(|_| {
                let (auth, key) = (auth.clone(), key.clone());
                tokio::spawn(async move {
                    let answer = session_of(&auth, &key).await;
                    (answer.status, answer.code().to_owned())
                })
            })
            .collect();
        let mut passed = 0;
        for use_ in uses {
            match use_.await.unwrap_or_else(|e| panic!("{e:?}")) {
                (StatusCode::OK, _) => passed += 1,
                (StatusCode::TOO_MANY_REQUESTS, _) => {}
                // A spent key is deleted by the request that finds it spent: later ones find
                // none.
                (StatusCode::UNAUTHORIZED, code) if code == "INVALID_API_KEY" => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(passed, allowed, "{fields:?}");
        if let Some(stored) = row(&auth, &id).await {
            assert!(number(&stored, apikey::REMAINING).is_none_or(|n| n >= 0));
            assert!(number(&stored, apikey::REQUEST_COUNT).is_some_and(|n| n <= 10));
        }
    }
}

/// With neither quota nor rate limit, a use moves `lastRequest` and `updatedAt` only when they
/// are a second old or more: a second use at once writes nothing, while a key with a quota is
/// written (spent) by every use.
#[tokio::test]
async fn uses_without_quota_or_rate_limit_write_timestamps_once_a_second() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let options = format!("{SESSIONS}[plugins.api-key.rate-limit]\nenabled = false\n");
    let auth = server(dir.path(), &options).await;
    let cookie = sign_up(&auth, "precision@example.com").await;
    let created = create(&auth, &cookie, json!({})).await;
    let (id, key) = (id_of(&created), plaintext(&created));
    let old =
        Value::Date(Timestamp::parse_iso("2020-01-01T00:00:00.000Z").unwrap_or_else(|| panic!()));
    set(
        &auth,
        &id,
        &[
            (apikey::LAST_REQUEST, old.clone()),
            (apikey::UPDATED_AT, old.clone()),
        ],
    )
    .await;
    assert_eq!(session_of(&auth, &key).await.status, StatusCode::OK);
    let first = row(&auth, &id).await.unwrap_or_else(|| panic!("no key"));
    for field in [apikey::LAST_REQUEST, apikey::UPDATED_AT] {
        assert!(
            date(&first, field).is_some_and(|at| at.millis() > Timestamp::now().millis() - 60_000),
            "{field} moved: {first:?}"
        );
    }
    assert_eq!(session_of(&auth, &key).await.status, StatusCode::OK);
    assert_eq!(
        row(&auth, &id).await.as_ref(),
        Some(&first),
        "nothing written"
    );
    set(&auth, &id, &[(apikey::REMAINING, Value::from(5i64))]).await;
    for left in [4, 3] {
        assert_eq!(session_of(&auth, &key).await.status, StatusCode::OK);
        let stored = row(&auth, &id).await.unwrap_or_else(|| panic!("no key"));
        assert_eq!(number(&stored, apikey::REMAINING), Some(left));
    }
}

/// `Auth::verify_api_key`: better-auth's server-only verification, permissions included.
#[tokio::test]
async fn keys_are_verified_on_the_server_with_permissions() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let auth = server(dir.path(), "").await;
    let cookie = sign_up(&auth, "verify@example.com").await;
    let created = create(&auth, &cookie, json!({})).await;
    let key = plaintext(&created);
    set(
        &auth,
        &id_of(&created),
        &[(apikey::PERMISSIONS, r#"{"files":["read","write"]}"#.into())],
    )
    .await;
    let asked = |resource: &str, action: &str| {
        BTreeMap::from([(resource.to_owned(), vec![action.to_owned()])])
    };
    let verified = auth
        .verify_api_key(&key, Some(&asked("files", "read")))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(verified["id"], created["id"]);
    assert_eq!(
        verified["permissions"],
        json!({ "files": ["read", "write"] })
    );
    assert!(verified.get("key").is_none());
    assert_eq!(verified["requestCount"], json!(1));
    for (resource, action) in [("files", "delete"), ("users", "read")] {
        let refused = auth
            .verify_api_key(&key, Some(&asked(resource, action)))
            .await;
        assert_eq!(refused.map_err(|e| e.code), Err(Some("KEY_NOT_FOUND")));
    }
    let unknown = auth.verify_api_key("nope", None).await;
    assert_eq!(
        unknown.map_err(|e| (e.status, e.code)),
        Err((StatusCode::UNAUTHORIZED, Some("INVALID_API_KEY")))
    );
}

/// `Auth::create_api_key`: the server-only fields HTTP refuses (quota, refill, rate limit,
/// permissions) are stored and enforced; better-auth's refusals hold on the server too.
#[tokio::test]
async fn keys_are_created_on_the_server_with_server_only_fields() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let auth = server(dir.path(), SESSIONS).await;
    let cookie = sign_up(&auth, "server@example.com").await;
    let owner = get_with(&auth, "/get-session", &[("cookie", &cookie)]).await;
    let user_id = owner.body["user"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let permissions = BTreeMap::from([("files".to_owned(), vec!["read".to_owned()])]);
    let created = auth
        .create_api_key(
            &user_id,
            NewApiKey {
                name: Some("server".into()),
                prefix: Some("srv_".into()),
                remaining: Some(3),
                refill_amount: Some(3),
                refill_interval: Some(3_600_000),
                rate_limit_max: Some(2),
                rate_limit_time_window: Some(60_000),
                permissions: Some(permissions.clone()),
                ..NewApiKey::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let key = plaintext(&created);
    assert!(key.starts_with("srv_") && key.len() == 4 + 64, "{key}");
    assert_eq!(created["referenceId"], json!(user_id));
    assert_eq!(created["permissions"], json!({ "files": ["read"] }));
    let (remaining, refill, interval, max, window, limited) = (
        &created["remaining"],
        &created["refillAmount"],
        &created["refillInterval"],
        &created["rateLimitMax"],
        &created["rateLimitTimeWindow"],
        &created["rateLimitEnabled"],
    );
    assert_eq!(
        [remaining, refill, interval, max, window, limited],
        [
            &json!(3),
            &json!(3),
            &json!(3_600_000),
            &json!(2),
            &json!(60_000),
            &json!(true)
        ]
    );
    // The key is the user's session, its permissions verified, its rate limit of 2 enforced.
    assert_eq!(session_of(&auth, &key).await.status, StatusCode::OK);
    let verified = auth.verify_api_key(&key, Some(&permissions)).await;
    assert_eq!(verified.map(|k| k["remaining"].clone()), Ok(json!(1)));
    let limited = session_of(&auth, &key).await;
    assert_eq!(
        (limited.status, limited.code()),
        (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED")
    );

    let refused = |key: NewApiKey| {
        let auth = auth.clone();
        let user_id = user_id.clone();
        async move { auth.create_api_key(&user_id, key).await.map_err(|e| e.code) }
    };
    let cases = [
        (
            NewApiKey {
                refill_amount: Some(5),
                ..NewApiKey::default()
            },
            "REFILL_AMOUNT_AND_INTERVAL_REQUIRED",
        ),
        (
            NewApiKey {
                refill_interval: Some(1000),
                ..NewApiKey::default()
            },
            "REFILL_INTERVAL_AND_AMOUNT_REQUIRED",
        ),
        (
            NewApiKey {
                refill_amount: Some(0),
                refill_interval: Some(1000),
                ..NewApiKey::default()
            },
            "VALIDATION_ERROR",
        ),
        (
            NewApiKey {
                prefix: Some("no spaces".into()),
                ..NewApiKey::default()
            },
            "VALIDATION_ERROR",
        ),
        (
            NewApiKey {
                expires_in: Some(std::time::Duration::from_secs(60)),
                ..NewApiKey::default()
            },
            "EXPIRES_IN_IS_TOO_SMALL",
        ),
        (
            NewApiKey {
                metadata: Some(json!({ "plan": "pro" })),
                ..NewApiKey::default()
            },
            "METADATA_DISABLED",
        ),
    ];
    for (key, code) in cases {
        assert_eq!(refused(key.clone()).await, Err(Some(code)), "{key:?}");
    }
    let nobody = auth
        .create_api_key("no-such-user", NewApiKey::default())
        .await;
    assert_eq!(
        nobody.map_err(|e| (e.status, e.code)),
        Err((StatusCode::NOT_FOUND, Some("USER_NOT_FOUND")))
    );
    // Over HTTP the same fields stay refused.
    let client = post(&auth, "/api-key/create", json!({ "remaining": 3 }), &cookie).await;
    assert_eq!(client.code(), "SERVER_ONLY_PROPERTY");
}

/// Expired keys are deleted by `Auth::delete_expired_api_keys`; others stay.
#[tokio::test]
async fn expired_keys_are_deleted() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let auth = server(dir.path(), "").await;
    let cookie = sign_up(&auth, "expired@example.com").await;
    let expired = id_of(&create(&auth, &cookie, json!({})).await);
    let live = id_of(&create(&auth, &cookie, json!({ "expiresIn": 86_400 * 2 })).await);
    let forever = id_of(&create(&auth, &cookie, json!({})).await);
    set(
        &auth,
        &expired,
        &[(apikey::EXPIRES_AT, Timestamp::now().plus_millis(-1).into())],
    )
    .await;
    assert_eq!(auth.delete_expired_api_keys().await, Ok(1));
    assert!(row(&auth, &expired).await.is_none());
    assert!(row(&auth, &live).await.is_some() && row(&auth, &forever).await.is_some());
}

#[test]
fn options_read_better_auths_names() {
    let config = auth_core::Config::parse(
        "auth.toml",
        "[plugins.api-key]\napi-key-headers = [\"X-Key\", \"x-api-key\"]\ndefault-key-length = 0\n\
         [plugins.api-key.key-expiration]\nmin-expires-in = 0\n\
         [plugins.api-key.rate-limit]\nmax-requests = 3\ntime-window = 1000\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let options = config.plugins.api_key_options();
    assert_eq!(options.api_key_headers, ["x-key", "x-api-key"]);
    assert_eq!(options.key_length(), 64);
    assert!(options.key_expiration.min_expires_in == 0.0);
    assert_eq!(
        (
            options.rate_limit.max_requests,
            options.rate_limit.time_window
        ),
        (3, 1000)
    );
    for bad in [
        "[plugins.api-key]\napi-key-headers = []\n",
        "[plugins.api-key]\napi-key-headers = \"bad header\"\n",
        "[plugins.api-key]\nunknown = 1\n",
    ] {
        assert!(auth_core::Config::parse("auth.toml", bad).is_err(), "{bad}");
    }
}
