//! One API key used by many requests at once across two `auth-cli serve` instances on one
//! database: exactly `remaining` of them pass (never below zero), then exactly the key's rate
//! limit on another key. The keys are made with the server-only fields by `Auth::create_api_key`
//! in this process, on the same database, as an application's own code would.

use std::path::Path;

use auth_core::Dialect;
use auth_runtime::Auth;
use auth_runtime::Secret;
use auth_runtime::plugins::NewApiKey;

use super::{Client, Jar, Pair, Project, common, support};

/// Rate limiting of the server itself off, so that only the key's own limit counts.
const CONFIG: &str = "[email-and-password]\nenabled = true\n\n[rate-limit]\nenabled = false\n\n\
    [plugins.api-key]\nenable-session-for-api-keys = true\n";
const USES: usize = 60;
const QUOTA: u64 = 20;
const RATE_LIMIT: u64 = 13;

/// An `Auth` of `config` on the database at `url`, beside the two servers.
async fn application(config: &Path, url: &str) -> Auth {
    let secret = Secret::new(common::SECRET).unwrap_or_else(|e| panic!("{e}"));
    Auth::builder()
        .config(config)
        .database(url)
        .secret(secret)
        // Only makes keys: no URL of its own is ever used.
        .base_url("http://localhost")
        .build()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// How many of [`USES`] concurrent get-sessions with `key`, spread over both servers, pass;
/// every other answer must be a refusal of a spent or limited key.
async fn concurrent_uses(pair: &Pair, key: &str) -> usize {
    let origins = pair.origins();
    let http = reqwest::Client::new();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..USES {
        let (http, origin, key) = (http.clone(), origins[i % 2].clone(), key.to_owned());
        tasks.spawn(async move {
            let answer = http
                .get(format!("{origin}/api/auth/get-session"))
                .header("origin", &origin)
                .header("x-api-key", key)
                .send()
                .await
                .map_err(|e| format!("{origin}: {e:?}"))?;
            let status = answer.status().as_u16();
            let text = answer
                .text()
                .await
                .map_err(|e| format!("{origin}: {status}: {e:?}"))?;
            let body: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("{origin}: {status} not JSON ({e}): {text}"))?;
            Ok::<_, String>((status, body))
        });
    }
    let mut passed = 0;
    while let Some(done) = tasks.join_next().await {
        let (status, body) = done
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}\n{}", pair.logs()));
        let code = body["code"].as_str().unwrap_or_default();
        match (status, code) {
            (200, _) => {
                assert!(body["user"]["id"].is_string(), "{body}");
                passed += 1;
            }
            (429, "USAGE_EXCEEDED" | "RATE_LIMITED") | (401, "INVALID_API_KEY") => {}
            _ => panic!("{status} {body}\n{}", pair.logs()),
        }
    }
    passed
}

/// Both races on a pair serving the database at `url`, already migrated.
async fn race(pair: &Pair, project: &Project, url: &str) {
    let client = Client::new();
    let [a, _] = pair.origins();
    let mut jar: Jar = client.sign_up(&a, "key-owner@example.com").await;
    let session = client.ok(&a, "/get-session", &mut jar, None).await;
    let user_id = session["user"]["id"].as_str().unwrap_or_default();
    let auth = application(&project.config(), url).await;
    let create = |key: NewApiKey| {
        let auth = auth.clone();
        async move {
            let created = auth
                .create_api_key(user_id, key)
                .await
                .unwrap_or_else(|e| panic!("{e:?}"));
            created["key"].as_str().unwrap_or_default().to_owned()
        }
    };
    let quota = create(NewApiKey {
        remaining: Some(QUOTA),
        rate_limit_enabled: Some(false),
        ..NewApiKey::default()
    })
    .await;
    assert_eq!(
        concurrent_uses(pair, &quota).await,
        usize::try_from(QUOTA).unwrap_or(usize::MAX),
        "remaining {QUOTA}"
    );
    let limited = create(NewApiKey {
        rate_limit_max: Some(RATE_LIMIT),
        rate_limit_time_window: Some(600_000),
        ..NewApiKey::default()
    })
    .await;
    assert_eq!(
        concurrent_uses(pair, &limited).await,
        usize::try_from(RATE_LIMIT).unwrap_or(usize::MAX),
        "{RATE_LIMIT} per window"
    );
    // Counted once per use, not past the limit: the key's own view agrees.
    let stored = auth.verify_api_key(&limited, None).await;
    assert_eq!(
        stored.map_err(|e| e.code),
        Err(Some("RATE_LIMITED")),
        "the window is full"
    );
}

async fn race_on<DB: support::Engine>(label: &str) {
    let Some(db) = support::Server::<DB>::fresh(label).await else {
        return;
    };
    let pair = Pair::start(CONFIG, &db);
    race(&pair, &pair._project, &db.url()).await;
    drop(pair);
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_keys_quota_and_rate_limit_hold_across_instances_on_postgres() {
    race_on::<sqlx::Postgres>("multi_api_key_pg").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_keys_quota_and_rate_limit_hold_across_instances_on_mysql() {
    race_on::<sqlx::MySql>("multi_api_key_my").await;
}

/// Two processes on one SQLite file (WAL, busy timeout): the same conditional updates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_keys_quota_and_rate_limit_hold_across_instances_on_a_sqlite_file() {
    let project = Project::new(CONFIG);
    let url = format!("sqlite:{}", project.path().join("shared.db").display());
    project.migrate(Dialect::Sqlite, &url);
    let pair = Pair {
        a: project.serve_url(&url),
        b: project.serve_url(&url),
        _project: project,
    };
    race(&pair, &pair._project, &url).await;
}
