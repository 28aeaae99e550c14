//! Single-use values stay single-use under concurrency. One password-reset token sent in eight
//! concurrent `reset-password` requests changes the password exactly once: seven answer
//! `400 INVALID_TOKEN` and only the winner's password signs in. better-auth reads the
//! verification row and deletes it in two steps, so concurrent requests can all read it before
//! any deletes it; here the delete decides. On SQLite, PostgreSQL, MariaDB, Redis, and Redis
//! with the values kept in the database too. [`token_binding`]: each token serves only the user
//! it was issued to. [`backup_codes`]: a two-factor backup code is used once. [`api_key_race`]:
//! an API key's quota and rate limit are exact under concurrent use.

#[path = "api_key_race.rs"]
mod api_key_race;
#[path = "backup_codes.rs"]
mod backup_codes;
use crate::server;
use crate::support;
#[path = "token_binding.rs"]
mod token_binding;

use std::path::Path;
use std::sync::Arc;

use auth_runtime::mail::LogMailer;
use auth_runtime::secondary::{RedisStorage, SecondaryStorage};
use auth_runtime::{Auth, AuthOptions};
use http::StatusCode;
use serde_json::{Value, json};
use server::{Backend, post, server_with, sign_up};

const CONFIG: &str =
    "[email-and-password]\nenabled = true\nreset-password = true\n\n[mailer]\nkind = \"log\"\n";

const ATTEMPTS: usize = 8;

/// The token of the last mail of `kind` to `email` in the mailer's file.
fn mail_token(mails: &Path, kind: &str, email: &str) -> String {
    let text = std::fs::read_to_string(mails).unwrap_or_else(|e| panic!("{e}"));
    text.lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|mail| mail["kind"] == kind && mail["to"] == email)
        .find_map(|mail| mail["token"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no {kind} mail to {email} in {text}"))
}

fn reset_token(mails: &Path, email: &str) -> String {
    mail_token(mails, "reset-password", email)
}

/// Requests a reset for a new user, sends its token in [`ATTEMPTS`] concurrent requests with
/// different passwords and checks that exactly one took effect.
async fn race(auth: &Auth, mails: &Path, label: &str) {
    let email = format!("race-{label}@example.com");
    sign_up(auth, &email).await;
    let requested = post("/request-password-reset")
        .json(&json!({ "email": email, "redirectTo": "/reset" }))
        .send(auth)
        .await;
    assert_eq!(requested.status, StatusCode::OK, "{:?}", requested.json());
    let token = reset_token(mails, &email);
    let attempts: Vec<_> = (0..ATTEMPTS)
        .map(|i| {
            let auth = auth.clone();
            let call = post("/reset-password")
                .json(&json!({ "token": token, "newPassword": format!("new-password-{i}") }));
            tokio::spawn(async move { call.send(&auth).await })
        })
        .collect();
    let mut winners = Vec::new();
    for (i, attempt) in attempts.into_iter().enumerate() {
        let answer = attempt.await.unwrap_or_else(|e| panic!("{e}"));
        match answer.status {
            StatusCode::OK => winners.push(i),
            StatusCode::BAD_REQUEST => assert_eq!(answer.code(), "INVALID_TOKEN", "{label}"),
            status => panic!("{label}: {status} {:?}", answer.json()),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "{label}: requests {winners:?} all reset the password"
    );
    for i in 0..ATTEMPTS {
        let signed_in = post("/sign-in/email")
            .json(&json!({ "email": email, "password": format!("new-password-{i}") }))
            .send(auth)
            .await;
        let expected = if winners.contains(&i) {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(signed_in.status, expected, "{label}: password {i}");
    }
}

/// A server on `backend` whose mails go to a file in `dir`.
async fn server(
    backend: Backend,
    toml: &str,
    label: &str,
    dir: &Path,
) -> Option<(Auth, server::Holder)> {
    let mailer = LogMailer::to_file(dir.join("mails.jsonl")).unwrap_or_else(|e| panic!("{e}"));
    let options = AuthOptions {
        mailer: Some(Arc::new(mailer)),
        ..server::options(None)
    };
    server_with(backend, toml, label, options).await
}

/// Three races on a fresh server for `toml` on `backend`.
async fn race_on(backend: Backend, toml: &str, label: &str) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let Some((auth, holder)) = server(backend, toml, label, dir.path()).await else {
        return;
    };
    let mails = dir.path().join("mails.jsonl");
    for round in 0..3 {
        race(&auth, &mails, &format!("{label}-{round}")).await;
    }
    holder.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reset_token_is_used_once_on_sqlite() {
    race_on(Backend::Sqlite, CONFIG, "single_use_sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reset_token_is_used_once_on_postgres() {
    race_on(Backend::Postgres, CONFIG, "single_use_pg").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reset_token_is_used_once_on_mysql() {
    race_on(Backend::Mysql, CONFIG, "single_use_mysql").await;
}

const REDIS: &str = "redis://127.0.0.1:6379";

/// `config` with verification values in Redis, and in the database too when `in_database`.
fn with_redis(config: &str, in_database: bool) -> String {
    format!(
        "{config}\n[secondary-storage]\nkind = \"redis\"\nurl = \"{REDIS}\"\n\n\
         [verification]\nstore-in-database = {in_database}\n"
    )
}

/// Whether the shared Redis answers (a failure under CI when it does not).
async fn redis_up() -> bool {
    let storage = RedisStorage::new(REDIS).unwrap_or_else(|e| panic!("{e}"));
    match storage.get("single-use-probe").await {
        Ok(_) => true,
        Err(error) => {
            support::unavailable(&support::service::REDIS, &error);
            false
        }
    }
}

/// Values only in Redis (taken with `GETDEL`), then in Redis and the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reset_token_is_used_once_on_redis() {
    if !redis_up().await {
        return;
    }
    for in_database in [false, true] {
        let toml = with_redis(CONFIG, in_database);
        race_on(
            Backend::Postgres,
            &toml,
            &format!("single_use_redis_{in_database}"),
        )
        .await;
    }
}
