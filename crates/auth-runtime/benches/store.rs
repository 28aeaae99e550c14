//! `Store::session_with_user` (get-session's one query) on SQLite and PostgreSQL, with 1 and 16
//! concurrent tasks on a multi-threaded runtime, over 2,000 sessions of the full plugin set.
//!
//! For SQLite it also times the same call behind a thread hop (`spawn_blocking`), the shape of
//! sqlx's SQLite driver, to show what the inline path saves.
//!
//! cargo bench -p auth-runtime --bench store [-- ITERATIONS]
//! (PostgreSQL: `AUTH_BENCH_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`; a
//! scratch database is created next to it and dropped afterwards.)

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_core::sql::render_schema;
use auth_core::{Config, Dialect, Schema};
use auth_runtime::store::{Row, Store, Timestamp, Value};
use sqlx::{AssertSqlSafe, Connection as _};

const SESSIONS: usize = 2_000;

fn schema() -> Schema {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/full/auth.toml");
    let config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    Schema::build(&config).unwrap_or_else(|e| panic!("{e}"))
}

async fn seed(store: &Store) -> Arc<Vec<String>> {
    let mut tokens = Vec::with_capacity(SESSIONS);
    let expires = Value::Date(Timestamp::now().plus_millis(86_400_000));
    for i in 0..SESSIONS {
        let user = store
            .insert(
                "user",
                Row::from([
                    ("name".to_owned(), Value::from(format!("User {i}"))),
                    ("email".to_owned(), Value::from(format!("u{i}@bench.test"))),
                    ("emailVerified".to_owned(), Value::from(true)),
                ]),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let token = format!("token-{i:06}-abcdefghijklmnopqrstuvwxyz");
        store
            .insert(
                "session",
                Row::from([
                    ("token".to_owned(), Value::from(token.as_str())),
                    ("userId".to_owned(), user["id"].clone()),
                    ("expiresAt".to_owned(), expires.clone()),
                    ("ipAddress".to_owned(), Value::from("127.0.0.1")),
                    ("userAgent".to_owned(), Value::from("bench")),
                ]),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tokens.push(token);
    }
    Arc::new(tokens)
}

#[derive(Clone, Copy)]
enum Route {
    Inline,
    SpawnBlocking,
}

/// `iterations` lookups spread over `tasks` tasks; wall time per lookup.
async fn run(
    store: &Store,
    tokens: &Arc<Vec<String>>,
    tasks: usize,
    iterations: usize,
    path: Route,
) -> Duration {
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let store = store.clone();
            let tokens = Arc::clone(tokens);
            tokio::spawn(async move {
                for i in 0..iterations / tasks {
                    let token = tokens[(t * 7919 + i * 31) % tokens.len()].clone();
                    let found = match path {
                        Route::Inline => store.session_with_user(&token).await,
                        Route::SpawnBlocking => {
                            let store = store.clone();
                            let handle = tokio::runtime::Handle::current();
                            tokio::task::spawn_blocking(move || {
                                handle.block_on(store.session_with_user(&token))
                            })
                            .await
                            .unwrap_or_else(|e| panic!("{e}"))
                        }
                    };
                    assert!(matches!(found, Ok(Some(_))), "{found:?}");
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap_or_else(|e| panic!("{e}"));
    }
    started.elapsed() / u32::try_from(iterations).unwrap_or(1)
}

#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
async fn report(name: &str, store: &Store, iterations: usize, paths: &[(Route, &str)]) {
    let tokens = seed(store).await;
    // Warm up every connection's statement cache.
    run(store, &tokens, 16, 2_000, Route::Inline).await;
    for (path, label) in paths {
        for tasks in [1, 16] {
            let mut samples: Vec<Duration> = Vec::new();
            for _ in 0..3 {
                samples.push(run(store, &tokens, tasks, iterations, *path).await);
            }
            samples.sort();
            println!(
                "{name:<10} {label:<34} {tasks:>2} task(s): {:>7.1} µs per session_with_user (median of 3; min {:.1})",
                samples[1].as_secs_f64() * 1e6,
                samples[0].as_secs_f64() * 1e6,
            );
        }
    }
}

fn main() {
    let iterations: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let schema = schema();

        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("bench.db");
        rusqlite::Connection::open(&path)
            .and_then(|c| c.execute_batch(&render_schema(&schema, Dialect::Sqlite)))
            .unwrap_or_else(|e| panic!("{e}"));
        let sqlite = Store::connect(
            &schema,
            Dialect::Sqlite,
            &format!("sqlite:{}", path.display()),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        report(
            "sqlite",
            &sqlite,
            iterations,
            &[
                (Route::Inline, "inline (the store)"),
                (Route::SpawnBlocking, "behind spawn_blocking (thread hop)"),
            ],
        )
        .await;

        let admin = std::env::var("AUTH_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let Some((server, _)) = admin.rsplit_once('/') else {
            panic!("{admin} names no database");
        };
        let name = format!("auth_bench_store_{}", std::process::id());
        let mut connection = match sqlx::PgConnection::connect(&admin).await {
            Ok(connection) => connection,
            Err(error) => {
                report_skip(&error);
                return;
            }
        };
        sqlx::raw_sql(AssertSqlSafe(format!("create database {name}")))
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let url = format!("{server}/{name}");
        let mut scratch = sqlx::PgConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        sqlx::raw_sql(AssertSqlSafe(render_schema(&schema, Dialect::Postgres)))
            .execute(&mut scratch)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        drop(scratch);
        let postgres = Store::connect(&schema, Dialect::Postgres, &url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        report(
            "postgres",
            &postgres,
            iterations,
            &[(Route::Inline, "sqlx pool of 10")],
        )
        .await;
        drop(postgres);
        sqlx::raw_sql(AssertSqlSafe(format!("drop database {name} with (force)")))
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    });
}

#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
fn report_skip(error: &dyn std::fmt::Display) {
    println!("postgres   skipped: {error}");
}
