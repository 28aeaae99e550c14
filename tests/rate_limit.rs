//! Rate limiting as better-auth 1.7.25 does it (research/better-auth-wire.md §6.2), end to end
//! through `Auth::handle`:
//!
//! - the built-in rules (sign-in 3 per 10 s, password reset 3 per 60 s) and the default (100 per
//!   10 s), per client address, with 429 `X-Retry-After` and `{code, message}`;
//! - `[rate-limit.rules]`: exact paths, globs, `false`, a window that resets; unknown paths count;
//! - the client address: right-most entry of the trusted header, never an unconfigured header,
//!   else the TCP peer, else the shared `no-trusted-ip` bucket; the session row's `ipAddress` is
//!   the same address;
//! - exact counting under 200 concurrent requests: in memory, in the `rateLimit` table of SQLite,
//!   PostgreSQL and MariaDB shared by two servers, and in a secondary storage shared by two;
//! - a broken counter storage is a 503 `{code, message}`, never a 500.

use crate::server;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use auth_runtime::Auth;
use auth_runtime::secondary::{MemoryStorage, SecondaryStorage};
use auth_runtime::store::{Value, Where};
use axum::extract::ConnectInfo;
use http::StatusCode;
use serde_json::json;
use server::{Answer, Backend, Call, Holder, another, get, options, post, server, server_with};

const ON: &str = "[email-and-password]\nenabled = true\nreset-password = true\n\n[mailer]\nkind = \"log\"\n\n[rate-limit]\nenabled = true\n";

fn sign_in() -> Call {
    post("/sign-in/email").json(&json!({"email": "nobody@rate.test", "password": "password123"}))
}

fn from(call: Call, ip: &str) -> Call {
    call.header("x-forwarded-for", ip)
}

/// Asserts better-auth's 429 with our code, and returns its `X-Retry-After`.
fn refused(answer: &Answer) -> u64 {
    assert_eq!(
        answer.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        answer.json()
    );
    assert_eq!(
        answer.json(),
        json!({"message": "Too many requests. Please try again later.", "code": "TOO_MANY_REQUESTS"})
    );
    assert_eq!(
        answer.header("content-type").as_deref(),
        Some("application/json")
    );
    answer
        .header("x-retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no X-Retry-After: {:?}", answer.headers))
}

async fn sqlite(toml: &str) -> (Auth, Holder) {
    server(Backend::Sqlite, toml, "rate")
        .await
        .unwrap_or_else(|| panic!("sqlite is always available"))
}

#[tokio::test]
async fn built_in_rules_per_client_address() {
    let (auth, _holder) = sqlite(ON).await;
    // The 4th sign-in from one address within 10 s is refused; another address is not.
    for _ in 0..3 {
        let answer = from(sign_in(), "192.0.2.1").send(&auth).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{:?}",
            answer.json()
        );
    }
    assert_eq!(refused(&from(sign_in(), "192.0.2.1").send(&auth).await), 10);
    assert_eq!(
        from(sign_in(), "192.0.2.2").send(&auth).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The limit is per path: sign-up from the refused address still counts on its own.
    let sign_up = from(post("/sign-up/email"), "192.0.2.1")
        .json(&json!({"name": "R", "email": "r@rate.test", "password": "password123"}));
    assert_eq!(sign_up.send(&auth).await.status, StatusCode::OK);

    // The default rule: 100 get-session per 10 s.
    for i in 0..100 {
        let answer = from(get("/get-session"), "192.0.2.3").send(&auth).await;
        assert_eq!(answer.status, StatusCode::OK, "request {i}");
    }
    assert!(refused(&from(get("/get-session"), "192.0.2.3").send(&auth).await) <= 10);

    // Password reset requests: 3 per 60 s.
    let reset = || {
        from(post("/request-password-reset"), "192.0.2.4")
            .json(&json!({"email": "r@rate.test", "redirectTo": "/reset"}))
    };
    for _ in 0..3 {
        let answer = reset().send(&auth).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
    }
    assert_eq!(refused(&reset().send(&auth).await), 60);
}

#[tokio::test]
async fn client_address_from_trusted_headers_or_the_peer() {
    let (auth, holder) = sqlite(ON).await;
    // A header that is not configured is ignored: these clients share one bucket.
    for i in 0..3 {
        let call = sign_in().header("x-real-ip", format!("198.51.100.{i}"));
        assert_eq!(call.send(&auth).await.status, StatusCode::UNAUTHORIZED);
    }
    refused(
        &sign_in()
            .header("x-real-ip", "198.51.100.9")
            .send(&auth)
            .await,
    );
    // The client writes the left of X-Forwarded-For, our proxy appends the right-most entry.
    for i in 0..3 {
        let call = from(sign_in(), &format!("203.0.113.{i}, 192.0.2.10"));
        assert_eq!(call.send(&auth).await.status, StatusCode::UNAUTHORIZED);
    }
    refused(&from(sign_in(), "203.0.113.9, 192.0.2.10").send(&auth).await);
    // Without a trusted header, the TCP peer address (axum's ConnectInfo) tells clients apart.
    let with_peer = |peer: &str| {
        let mut request = sign_in().request();
        let peer: SocketAddr = peer.parse().unwrap_or_else(|e| panic!("{e}"));
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    };
    for _ in 0..3 {
        let answer = auth.handle(with_peer("10.0.0.1:40000")).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        auth.handle(with_peer("10.0.0.1:40001")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        auth.handle(with_peer("10.0.0.2:40000")).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // The session row records the same address.
    let sign_up = from(post("/sign-up/email"), "203.0.113.50, 192.0.2.77")
        .json(&json!({"name": "S", "email": "s@rate.test", "password": "password123"}));
    assert_eq!(sign_up.send(&auth).await.status, StatusCode::OK);
    let mut request = post("/sign-up/email")
        .json(&json!({"name": "P", "email": "p@rate.test", "password": "password123"}))
        .request();
    let peer: SocketAddr = "[2001:db8::7]:5000"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    request.extensions_mut().insert(ConnectInfo(peer));
    assert_eq!(auth.handle(request).await.status(), StatusCode::OK);
    let mut addresses = Vec::new();
    for session in auth
        .store()
        .find_many("session", &[], None, None, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
    {
        addresses.push(session.get("ipAddress").cloned());
    }
    addresses.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(
        addresses,
        vec![
            Some(Value::String("192.0.2.77".into())),
            Some(Value::String(
                "2001:0db8:0000:0000:0000:0000:0000:0000".into()
            )),
        ]
    );
    holder.drop().await;
}

const CUSTOM: &str = r#"
[email-and-password]
enabled = true

[rate-limit]
window = 10
max = 100

[rate-limit.rules]
"/get-session" = false
"/sign-in/*" = { window = 1, max = 2 }
"/custom/**" = { window = 60, max = 1 }
"/reset" = { window = 1, max = 1 }
"#;

#[tokio::test]
async fn custom_rules_globs_exemptions_and_window_reset() {
    let (auth, _holder) = sqlite(CUSTOM).await;
    for _ in 0..150 {
        assert_eq!(get("/get-session").send(&auth).await.status, StatusCode::OK);
    }
    for _ in 0..2 {
        assert_eq!(sign_in().send(&auth).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(refused(&sign_in().send(&auth).await), 1);
    // Unknown paths count too, and `**` spans segments.
    assert_eq!(
        get("/custom/a/b").send(&auth).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(refused(&get("/custom/a/b").send(&auth).await), 60);
    // Built-in rules still hold where no custom rule matches.
    let sign_up = || {
        post("/sign-up/email").json(&json!({"name": "C", "email": "c@rate.test", "password": "x"}))
    };
    for _ in 0..3 {
        assert_eq!(sign_up().send(&auth).await.status, StatusCode::BAD_REQUEST);
    }
    refused(&sign_up().send(&auth).await);
    // A window without an accepted request resets the counter.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(sign_in().send(&auth).await.status, StatusCode::UNAUTHORIZED);
}

/// `max = 100` on get-session; `count` requests from one address, spread over `servers`,
/// all at once. Returns (allowed, refused).
async fn burst(servers: &[Auth], count: usize) -> (usize, usize) {
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let auth = servers[i % servers.len()].clone();
            tokio::spawn(async move {
                from(get("/get-session"), "192.0.2.200")
                    .send(&auth)
                    .await
                    .status
            })
        })
        .collect();
    let (mut allowed, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap_or_else(|e| panic!("{e}")) {
            StatusCode::OK => allowed += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("{other}"),
        }
    }
    (allowed, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exact_under_concurrency_in_memory() {
    let (auth, _holder) = sqlite(ON).await;
    assert_eq!(burst(&[auth], 200).await, (100, 100));
}

const DATABASE: &str = r#"
[rate-limit]
storage = "database"

[rate-limit.rules]
"/reset" = { window = 1, max = 1 }
"#;

/// Two servers on one database count together, exactly, and a window resets.
async fn exact_in_the_database(backend: Backend) {
    let Some((first, holder)) = server(backend, DATABASE, "ratelimit").await else {
        return;
    };
    let second = another(&holder, DATABASE, options(None)).await;
    assert_eq!(
        burst(&[first.clone(), second.clone()], 200).await,
        (100, 100),
        "{backend:?}"
    );
    let counter = first
        .store()
        .find_one("rateLimit", &[Where::eq("key", "192.0.2.200|/get-session")])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no counter row"));
    assert_eq!(counter.get("count"), Some(&Value::Integer(100)));

    let reset = || from(get("/reset"), "192.0.2.201");
    assert_eq!(reset().send(&first).await.status, StatusCode::NOT_FOUND);
    assert_eq!(refused(&reset().send(&second).await), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(reset().send(&second).await.status, StatusCode::NOT_FOUND);
    refused(&reset().send(&first).await);
    drop((first, second));
    holder.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exact_in_the_database_sqlite() {
    exact_in_the_database(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exact_in_the_database_postgres() {
    exact_in_the_database(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exact_in_the_database_mysql() {
    exact_in_the_database(Backend::Mysql).await;
}

const SECONDARY: &str = r#"
[secondary-storage]
kind = "memory"

[session]
store-in-database = true

[verification]
store-in-database = true

[rate-limit]
storage = "secondary-storage"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exact_in_a_shared_secondary_storage() {
    let storage: Arc<dyn SecondaryStorage> = Arc::new(MemoryStorage::new());
    let (first, holder) = server_with(
        Backend::Sqlite,
        SECONDARY,
        "secondary",
        options(Some(storage.clone())),
    )
    .await
    .unwrap_or_else(|| panic!("sqlite is always available"));
    let second = another(&holder, SECONDARY, options(Some(storage.clone()))).await;
    assert_eq!(burst(&[first.clone(), second], 200).await, (100, 100));
    // The counter is the storage's, under better-auth's key; X-Retry-After is the window.
    assert_eq!(
        storage
            .get("192.0.2.200|/get-session")
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .as_deref(),
        Some("200")
    );
    assert_eq!(
        refused(&from(get("/get-session"), "192.0.2.200").send(&first).await),
        10
    );
}

#[tokio::test]
async fn a_broken_counter_storage_is_a_503() {
    let (auth, holder) = sqlite(DATABASE).await;
    assert_eq!(get("/get-session").send(&auth).await.status, StatusCode::OK);
    let (_, url) = holder.url();
    let path = url.trim_start_matches("sqlite:");
    rusqlite::Connection::open(path)
        .and_then(|c| c.execute_batch("drop table rateLimit"))
        .unwrap_or_else(|e| panic!("{e}"));
    let answer = get("/get-session").send(&auth).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.code(), "SERVICE_UNAVAILABLE");
    assert!(answer.json()["message"].is_string());
}
