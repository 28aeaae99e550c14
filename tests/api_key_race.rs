//! An API key's quota and rate limit hold exactly under concurrency, on every engine: 50
//! concurrent requests with one key in `x-api-key`, of which exactly `remaining` (20) pass, then
//! exactly the rate limit's 10 on a fresh key. The store spends both with conditional updates
//! (`remaining > 0`, `requestCount < max`), never by reading and writing back.

use auth_core::schema::names::apikey;
use auth_runtime::Auth;
use auth_runtime::store::{Row, Value, Where};
use http::StatusCode;
use serde_json::json;

use crate::server::{Backend, get, post, server, sign_up};

const CONFIG: &str = "[email-and-password]\nenabled = true\n\n\
    [plugins.api-key]\nenable-session-for-api-keys = true\n";

const USES: usize = 50;

/// A new key of a new user, with `fields` set as better-auth's server API would.
async fn key(auth: &Auth, email: &str, fields: &[(&str, Value)]) -> String {
    let cookie = sign_up(auth, email).await.cookie();
    let created = post("/api-key/create")
        .cookie(&cookie)
        .json(&json!({}))
        .send(auth)
        .await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.json());
    let body = created.json();
    let id = body["id"].as_str().unwrap_or_default();
    let changes: Row = fields
        .iter()
        .map(|(field, value)| ((*field).to_owned(), value.clone()))
        .collect();
    let updated = auth
        .store()
        .update(apikey::MODEL, &[Where::eq(apikey::ID, id)], changes)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(updated, 1);
    body["key"].as_str().unwrap_or_default().to_owned()
}

/// How many of [`USES`] concurrent uses of `key` pass; every other answer is a refusal of a
/// spent or limited key (429), or of a spent key already deleted (401 `INVALID_API_KEY`).
async fn concurrent_uses(auth: &Auth, key: &str, label: &str) -> usize {
    let uses: Vec<_> = (0..USES)
        .map(|_| {
            let (auth, call) = (auth.clone(), get("/get-session").header("x-api-key", key));
            tokio::spawn(async move { call.send(&auth).await })
        })
        .collect();
    let mut passed = 0;
    for use_ in uses {
        let answer = use_.await.unwrap_or_else(|e| panic!("{e}"));
        match (answer.status, answer.code().as_str()) {
            (StatusCode::OK, _) => passed += 1,
            (StatusCode::TOO_MANY_REQUESTS, "USAGE_EXCEEDED" | "RATE_LIMITED")
            | (StatusCode::UNAUTHORIZED, "INVALID_API_KEY") => {}
            (status, _) => panic!("{label}: {status} {:?}", answer.json()),
        }
    }
    passed
}

async fn race_on(backend: Backend, label: &str) {
    let Some((auth, holder)) = server(backend, CONFIG, label).await else {
        return;
    };
    let quota = key(
        &auth,
        &format!("quota-{label}@example.com"),
        &[
            (apikey::REMAINING, Value::Integer(20)),
            (apikey::RATE_LIMIT_ENABLED, Value::Boolean(false)),
        ],
    )
    .await;
    assert_eq!(
        concurrent_uses(&auth, &quota, label).await,
        20,
        "{label}: remaining 20"
    );
    let limited = key(&auth, &format!("limit-{label}@example.com"), &[]).await;
    assert_eq!(
        concurrent_uses(&auth, &limited, label).await,
        10,
        "{label}: 10 a day"
    );
    holder.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_api_keys_quota_and_rate_limit_hold_on_sqlite() {
    race_on(Backend::Sqlite, "api_key_race_sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_api_keys_quota_and_rate_limit_hold_on_postgres() {
    race_on(Backend::Postgres, "api_key_race_pg").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_api_keys_quota_and_rate_limit_hold_on_mysql() {
    race_on(Backend::Mysql, "api_key_race_mysql").await;
}
