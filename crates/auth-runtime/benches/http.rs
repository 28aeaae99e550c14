//! The server over real HTTP: `Auth::router()` served by axum on 127.0.0.1 with an embedded SQLite
//! file, one signed-up user, and a small load generator (reqwest, one keep-alive connection per
//! concurrent client). Prints requests/s, p50 and p99 for GET /get-session (a valid cookie) and
//! POST /sign-in/email at 2 and 16 connections, and the process's peak RSS.
//!
//! cargo bench -p auth-runtime --bench http
//! (`AUTH_BENCH_GET_SECS`, default 5, and `AUTH_BENCH_SIGN_IN_SECS`, default 10, set the
//! duration of each run; `AUTH_BENCH_CONNECTIONS`, default `2,16`, the concurrencies.)

#![allow(clippy::print_stdout, reason = "a benchmark prints its table")]

use std::time::{Duration, Instant};

use auth_core::sql::render_schema;
use auth_core::{Config, Dialect, Schema};
use auth_runtime::wire::Secret;
use auth_runtime::{Auth, AuthOptions};

const CONFIG: &str = "[email-and-password]\nenabled = true\n";
const EMAIL: &str = "bench@http.test";
const PASSWORD: &str = "correct horse battery staple";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn connections() -> Vec<usize> {
    std::env::var("AUTH_BENCH_CONNECTIONS")
        .ok()
        .map(|v| {
            v.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect::<Vec<usize>>()
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| vec![2, 16])
}

/// Peak resident set size of this process (`VmHWM`), as printed by the kernel.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_owned()))
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[derive(Clone, Copy)]
enum Kind {
    GetSession,
    SignIn,
}

struct Outcome {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn drive(
    base: &str,
    cookie: &str,
    kind: Kind,
    clients: usize,
    duration: Duration,
) -> Outcome {
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let base = base.to_owned();
        let cookie = cookie.to_owned();
        tasks.push(tokio::spawn(async move {
            // One client per task, one idle connection kept alive: `clients` connections.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .http1_only()
                .build()
                .unwrap_or_else(|e| panic!("client: {e}"));
            let body = serde_json::json!({ "email": EMAIL, "password": PASSWORD }).to_string();
            let mut latencies = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let request = match kind {
                    Kind::GetSession => client
                        .get(format!("{base}/api/auth/get-session"))
                        .header("cookie", cookie.as_str()),
                    Kind::SignIn => client
                        .post(format!("{base}/api/auth/sign-in/email"))
                        .header("origin", base.as_str())
                        .header("content-type", "application/json")
                        .body(body.clone()),
                };
                let ok = match request.send().await {
                    Ok(response) => {
                        let status = response.status();
                        response.bytes().await.is_ok() && status == reqwest::StatusCode::OK
                    }
                    Err(_) => false,
                };
                latencies.push(sent.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await.unwrap_or_else(|e| panic!("{e}"));
        latencies.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed();
    latencies.sort();
    Outcome {
        requests: latencies.len(),
        errors,
        elapsed,
        latencies,
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("auth.db");
    let config = Config::parse("auth.toml", CONFIG).unwrap_or_else(|e| panic!("{e}"));
    let schema = Schema::build(&config).unwrap_or_else(|e| panic!("{e}"));
    rusqlite::Connection::open(&path)
        .and_then(|c| c.execute_batch(&render_schema(&schema, Dialect::Sqlite)))
        .unwrap_or_else(|e| panic!("{e}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://{address}");
    let auth = Auth::connect(
        config,
        Dialect::Sqlite,
        &format!("sqlite:{}", path.display()),
        Secret::new("a-benchmark-secret-that-is-long-enough-0123")
            .unwrap_or_else(|e| panic!("{e}")),
        AuthOptions {
            base_url: Some(base.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let router = auth.router();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let client = reqwest::Client::new();
    let response = client
        .post(format!("{base}/api/auth/sign-up/email"))
        .header("origin", base.as_str())
        .json(&serde_json::json!({ "name": "Bench", "email": EMAIL, "password": PASSWORD }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("sign-up: {e}"));
    assert_eq!(response.status(), reqwest::StatusCode::OK, "sign-up");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    let check = client
        .get(format!("{base}/api/auth/get-session"))
        .header("cookie", cookie.as_str())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(check.contains(EMAIL), "get-session: {check}");

    let get_secs = env_number("AUTH_BENCH_GET_SECS", 5);
    let sign_in_secs = env_number("AUTH_BENCH_SIGN_IN_SECS", 10);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "auth-runtime over HTTP/1.1 keep-alive, SQLite file, {cores} cores, server and load generator in one process"
    );
    println!();
    println!(
        "| endpoint                  | connections | requests | errors | requests/s |    p50 (ms) |    p99 (ms) |"
    );
    println!(
        "|---------------------------|------------:|---------:|-------:|-----------:|------------:|------------:|"
    );
    for (label, kind, secs) in [
        ("GET /get-session", Kind::GetSession, get_secs),
        ("POST /sign-in/email", Kind::SignIn, sign_in_secs),
    ] {
        for &clients in &connections() {
            let outcome = drive(&base, &cookie, kind, clients, Duration::from_secs(secs)).await;
            let rate = outcome.requests as f64 / outcome.elapsed.as_secs_f64();
            println!(
                "| {label:<25} | {clients:>11} | {:>8} | {:>6} | {rate:>10.1} | {:>11.3} | {:>11.3} |",
                outcome.requests,
                outcome.errors,
                percentile(&outcome.latencies, 0.50).as_secs_f64() * 1000.0,
                percentile(&outcome.latencies, 0.99).as_secs_f64() * 1000.0,
            );
        }
    }
    println!();
    println!("peak RSS (VmHWM): {}", peak_rss());
    println!("better-auth on Node, same machine: ~480 get-session/s, ~13 sign-in/s");
}
