//! Two `auth-cli serve` processes on one PostgreSQL or MariaDB database (and one Redis): sessions
//! created on one are seen by the other at once (B4), revocations too (unless a cookie cache is
//! on, then after at most its max-age), a rate limit holds across both, and the servers answer 200 or 503
//! `{code, message}` — never a 500, a hang or a dropped connection — when database connections
//! are killed, the database is unreachable or Redis stops, recovering by themselves.
//!
//! Each test has its own database and, for Redis, its own `redis-server` child on a free port (so
//! stopping it touches nothing shared). A test without PostgreSQL, MariaDB or `redis-server` fails
//! naming it (`AUTH_TEST_ALLOW_MISSING=1` skips instead, outside CI).

use crate::{common, support};

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Project, Redis, Running};
use serde_json::{Value, json};
use sqlx::Connection as _;

/// Every request is answered within this, or the test fails (a hang).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a server may take to recover after a fault ends.
const RECOVERY: Duration = Duration::from_secs(60);
/// While Redis is down, a 503 comes within this (the client gives up on Redis after about 1 s).
const REDIS_DOWN_ANSWER: Duration = Duration::from_secs(5);
const PASSWORD: &str = "correct-horse-battery-staple";
const EMAIL: &str = "multi@example.com";

/// Email and password sign-up; rate limiting off unless a test turns it on.
const BASE: &str = "[email-and-password]\nenabled = true\n";
const NO_RATE_LIMIT: &str = "\n[rate-limit]\nenabled = false\n";

/// The cookies a browser would keep for one origin family, by name.
#[derive(Debug, Clone, Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    /// Applies the `set-cookie` headers of a response (`Max-Age=0` removes).
    fn update(&mut self, headers: &reqwest::header::HeaderMap) {
        for header in headers.get_all(reqwest::header::SET_COOKIE) {
            let Ok(text) = header.to_str() else { continue };
            let mut parts = text.split(';');
            let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
                continue;
            };
            let removed = parts.any(|attribute| {
                let attribute = attribute.trim().to_ascii_lowercase();
                attribute == "max-age=0" || attribute.starts_with("max-age=-")
            });
            if removed || value.is_empty() {
                self.0.remove(name.trim());
            } else {
                self.0.insert(name.trim().to_owned(), value.to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The session token: the signed session cookie's value before its signature.
    fn token(&self) -> String {
        let value = self
            .0
            .get("better-auth.session_token")
            .unwrap_or_else(|| panic!("no session cookie in {self:?}"));
        let (token, _) = value
            .split_once('.')
            .unwrap_or_else(|| panic!("unsigned session cookie {value}"));
        token.to_owned()
    }
}

/// One answer: status, JSON body (`null` when empty) and its headers.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: Value,
    headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// A 503 with better-auth's error shape.
    fn is_unavailable(&self) -> bool {
        self.status == 503
            && self.body.get("code").is_some_and(Value::is_string)
            && self.body.get("message").is_some_and(Value::is_string)
    }
}

/// An HTTP client with a bounded time per request.
#[derive(Debug, Clone)]
struct Client {
    http: reqwest::Client,
}

impl Client {
    fn new() -> Self {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        Self { http }
    }

    /// `GET` (no body) or `POST` (a JSON body) to `origin/api/auth{path}`, as a browser on
    /// `origin` would send it. `Err` on anything but an HTTP answer within the time limit.
    async fn call(
        &self,
        origin: &str,
        path: &str,
        jar: &Jar,
        body: Option<&Value>,
    ) -> Result<Answer, String> {
        let url = format!("{origin}/api/auth{path}");
        let request = match body {
            Some(body) => self
                .http
                .post(&url)
                .header("content-type", "application/json")
                .body(body.to_string()),
            None => self.http.get(&url),
        };
        let response = request
            .header("origin", origin)
            .header("cookie", jar.header())
            .send()
            .await
            .map_err(|e| format!("{path} on {origin}: {e:?}"))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .map_err(|e| format!("{path} on {origin}: body: {e:?}"))?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .map_err(|e| format!("{path} on {origin}: {status} not JSON ({e}): {text}"))?
        };
        Ok(Answer {
            status,
            body,
            headers,
        })
    }

    /// A call that must answer 200; the jar takes its cookies.
    async fn ok(&self, origin: &str, path: &str, jar: &mut Jar, body: Option<&Value>) -> Value {
        let answer = self
            .call(origin, path, jar, body)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer.status, 200, "{path} on {origin}: {}", answer.body);
        jar.update(&answer.headers);
        answer.body
    }

    async fn sign_up(&self, origin: &str, email: &str) -> Jar {
        let mut jar = Jar::default();
        let body = json!({"email": email, "password": PASSWORD, "name": "Multi"});
        self.ok(origin, "/sign-up/email", &mut jar, Some(&body))
            .await;
        jar
    }

    async fn sign_in(&self, origin: &str, email: &str) -> Jar {
        let mut jar = Jar::default();
        let body = json!({"email": email, "password": PASSWORD});
        self.ok(origin, "/sign-in/email", &mut jar, Some(&body))
            .await;
        jar
    }

    /// get-session with `jar` (not updated): the session's email, or `None` for `null`.
    async fn session(&self, origin: &str, jar: &Jar) -> Option<String> {
        let answer = self
            .call(origin, "/get-session", jar, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            answer.status, 200,
            "get-session on {origin}: {}",
            answer.body
        );
        if answer.body.is_null() {
            return None;
        }
        let email = answer.body.pointer("/user/email").and_then(Value::as_str);
        Some(
            email
                .unwrap_or_else(|| panic!("get-session on {origin}: {}", answer.body))
                .to_owned(),
        )
    }
}

/// Two servers on one database, built from one `auth.toml`.
#[derive(Debug)]
struct Pair {
    a: Running,
    b: Running,
    /// Holds the configuration, migrations and server logs until the servers are gone.
    _project: Project,
}

impl Pair {
    /// Migrates `db` (PostgreSQL or MariaDB) to `config` and serves it twice.
    fn start<DB: support::Engine>(config: &str, db: &support::Server<DB>) -> Self {
        let project = Project::new(config);
        project.migrate(DB::DIALECT, &db.url());
        let a = project.serve_url(&db.url());
        let b = project.serve_url(&db.url());
        Self {
            a,
            b,
            _project: project,
        }
    }

    /// The two origins, `A` first.
    fn origins(&self) -> [String; 2] {
        [self.a.origin.clone(), self.b.origin.clone()]
    }

    fn logs(&self) -> String {
        format!("{}\n{}", self.a.log(), self.b.log())
    }
}

/// `[session] store-in-database = …`.
fn sessions_in_database(store: bool) -> String {
    format!("\n[session]\nstore-in-database = {store}\n")
}

/// B4: sign-in on A then get-session on B, `rounds` times over a few concurrent clients: never
/// null. Then a session signed out through A, and one revoked through A, are rejected by B at
/// once, while another session of the same user stays valid.
async fn shares_sessions(pair: &Pair, rounds: usize) {
    let client = Client::new();
    let [a, b] = pair.origins();
    client.sign_up(&a, EMAIL).await;
    const WORKERS: usize = 4;
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..WORKERS {
        let (client, a, b) = (client.clone(), a.clone(), b.clone());
        tasks.spawn(async move {
            for round in (worker..rounds).step_by(WORKERS) {
                let jar = client.sign_in(&a, EMAIL).await;
                let seen = client.session(&b, &jar).await;
                assert_eq!(
                    seen.as_deref(),
                    Some(EMAIL),
                    "round {round}: B saw {seen:?}"
                );
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        if let Err(error) = done {
            panic!("{error}\n{}", pair.logs());
        }
    }

    let mut signed_out = client.sign_in(&a, EMAIL).await;
    let kept = signed_out.clone();
    assert!(client.session(&b, &kept).await.is_some());
    client
        .ok(&a, "/sign-out", &mut signed_out, Some(&json!({})))
        .await;
    assert_eq!(
        client.session(&b, &kept).await,
        None,
        "signed out through A"
    );

    let mut revoker = client.sign_in(&a, EMAIL).await;
    let revoked = client.sign_in(&a, EMAIL).await;
    assert!(client.session(&b, &revoked).await.is_some());
    let body = json!({"token": revoked.token()});
    client
        .ok(&a, "/revoke-session", &mut revoker, Some(&body))
        .await;
    assert_eq!(
        client.session(&b, &revoked).await,
        None,
        "revoked through A"
    );
    assert_eq!(client.session(&b, &revoker).await.as_deref(), Some(EMAIL));
}

/// [`shares_sessions`] on a fresh database of `DB`, sessions only in the database.
async fn shares_sessions_on<DB: support::Engine>(label: &str, rounds: usize) {
    let Some(db) = support::Server::<DB>::fresh(label).await else {
        return;
    };
    let pair = Pair::start(&format!("{BASE}{NO_RATE_LIMIT}"), &db);
    shares_sessions(&pair, rounds).await;
    drop(pair);
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_instances_share_sessions() {
    shares_sessions_on::<sqlx::Postgres>("multi_share", 1000).await;
}

/// Sessions only in Redis: nothing in the database's `session` table (not even created).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_two_instances_share_sessions() {
    let Some(redis) = Redis::start() else { return };
    let Some(db) = support::Postgres::fresh("multi_share_redis").await else {
        return;
    };
    let config = format!(
        "{BASE}{NO_RATE_LIMIT}{}{}",
        redis.config(),
        sessions_in_database(false)
    );
    let pair = Pair::start(&config, &db);
    shares_sessions(&pair, 1000).await;
    let tables = db
        .count("select count(*) from information_schema.tables where table_name = 'session'")
        .await;
    assert_eq!(
        tables, 0,
        "store-in-database = false creates no session table"
    );
    drop(pair);
    db.drop().await;
}

/// Sessions in Redis and in the database: both hold them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_and_database_two_instances_share_sessions() {
    let Some(redis) = Redis::start() else { return };
    let Some(db) = support::Postgres::fresh("multi_share_both").await else {
        return;
    };
    let config = format!(
        "{BASE}{NO_RATE_LIMIT}{}{}",
        redis.config(),
        sessions_in_database(true)
    );
    let pair = Pair::start(&config, &db);
    shares_sessions(&pair, 1000).await;
    let rows = db.count("select count(*) from session").await;
    assert!(rows >= 1000, "{rows} session rows");
    drop(pair);
    db.drop().await;
}

/// With a cookie cache of `max-age` seconds, B answers a session revoked through A from the
/// cookie alone until the cache expires, then rejects it: the documented revocation delay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_cache_accepts_a_revoked_session_until_max_age() {
    const MAX_AGE: Duration = Duration::from_secs(4);
    let Some(db) = support::Postgres::fresh("multi_cookie_cache").await else {
        return;
    };
    let config = format!(
        "{BASE}{NO_RATE_LIMIT}\n[session.cookie-cache]\nenabled = true\nmax-age = {}\n",
        MAX_AGE.as_secs()
    );
    let pair = Pair::start(&config, &db);
    let client = Client::new();
    let [a, b] = pair.origins();
    client.sign_up(&a, EMAIL).await;
    // The cache is valid until (sign-in answered) + max-age at the latest and until (sign-in
    // sent) + max-age at the earliest. A machine too slow to revoke and ask within that window
    // gets another attempt; only "accepted before, rejected after" is asserted.
    for attempt in 1..=5 {
        let sent = Instant::now();
        let mut jar = client.sign_in(&a, EMAIL).await;
        let answered = Instant::now();
        assert!(
            jar.0.contains_key("better-auth.session_data"),
            "no cookie cache set: {jar:?}"
        );
        let kept = jar.clone();
        client.ok(&a, "/sign-out", &mut jar, Some(&json!({}))).await;
        let cached = client.session(&b, &kept).await;
        if sent.elapsed() + Duration::from_millis(250) < MAX_AGE {
            assert_eq!(
                cached.as_deref(),
                Some(EMAIL),
                "attempt {attempt}: B must answer a revoked session from its cookie cache within max-age"
            );
            tokio::time::sleep_until((answered + MAX_AGE + Duration::from_secs(1)).into()).await;
            assert_eq!(
                client.session(&b, &kept).await,
                None,
                "B must reject the revoked session once the cookie cache expired"
            );
            assert_eq!(client.session(&a, &kept).await, None);
            drop(pair);
            db.drop().await;
            return;
        }
    }
    panic!("five attempts could not revoke and ask B within {MAX_AGE:?}");
}

/// `max` allowed, the rest 429, of `3 * max` concurrent requests spread over A and B.
async fn rate_limit_holds(pair: &Pair, max: usize) {
    let client = Client::new();
    let origins = pair.origins();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..3 * max {
        let client = client.clone();
        let origin = origins[i % 2].clone();
        tasks.spawn(async move {
            client
                .call(&origin, "/get-session", &Jar::default(), None)
                .await
        });
    }
    let (mut allowed, mut limited) = (0, 0);
    while let Some(done) = tasks.join_next().await {
        let answer = done
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}\n{}", pair.logs()));
        match answer.status {
            200 => allowed += 1,
            429 => {
                assert!(
                    answer.body.get("message").is_some_and(Value::is_string),
                    "{}",
                    answer.body
                );
                limited += 1;
            }
            other => panic!("{other}: {}\n{}", answer.body, pair.logs()),
        }
    }
    assert_eq!((allowed, limited), (max, 2 * max), "allowed, limited");
}

fn rate_limit(storage: &str, max: usize) -> String {
    format!("\n[rate-limit]\nenabled = true\nstorage = \"{storage}\"\nwindow = 600\nmax = {max}\n")
}

/// [`rate_limit_holds`] with the counters in the `rateLimit` table of a fresh database of `DB`.
async fn rate_limit_in_database_on<DB: support::Engine>(label: &str) {
    let Some(db) = support::Server::<DB>::fresh(label).await else {
        return;
    };
    let pair = Pair::start(&format!("{BASE}{}", rate_limit("database", 17)), &db);
    rate_limit_holds(&pair, 17).await;
    drop(pair);
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_in_database_holds_across_instances() {
    rate_limit_in_database_on::<sqlx::Postgres>("multi_rate_db").await;
}

/// B4 and revocation across instances on MariaDB (fewer rounds: the same code path as on
/// PostgreSQL, another driver and dialect).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_two_instances_share_sessions() {
    shares_sessions_on::<sqlx::MySql>("multi_share_my", 300).await;
}

/// The `rateLimit` table's counter on MariaDB is exact under concurrent requests to both servers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_rate_limit_in_database_holds_across_instances() {
    rate_limit_in_database_on::<sqlx::MySql>("multi_rate_my").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_in_redis_holds_across_instances() {
    let Some(redis) = Redis::start() else { return };
    let Some(db) = support::Postgres::fresh("multi_rate_redis").await else {
        return;
    };
    let config = format!(
        "{BASE}{}{}",
        redis.config(),
        rate_limit("secondary-storage", 17)
    );
    let pair = Pair::start(&config, &db);
    rate_limit_holds(&pair, 17).await;
    drop(pair);
    db.drop().await;
}

/// What a load run saw.
#[derive(Debug, Default)]
struct Outcomes {
    ok: AtomicU64,
    unavailable: AtomicU64,
    /// The longest a 503 took, in milliseconds.
    slowest_unavailable: AtomicU64,
    /// Anything else: a 500, a timeout, a connection closed without an answer…
    bad: std::sync::Mutex<Vec<String>>,
}

impl Outcomes {
    fn record(&self, result: Result<Answer, String>, took: Duration) {
        match result {
            Ok(answer) if answer.status == 200 => {
                self.ok.fetch_add(1, Ordering::Relaxed);
            }
            Ok(answer) if answer.is_unavailable() => {
                self.unavailable.fetch_add(1, Ordering::Relaxed);
                let millis = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
                self.slowest_unavailable
                    .fetch_max(millis, Ordering::Relaxed);
            }
            Ok(answer) => self.bad(format!("{}: {}", answer.status, answer.body)),
            Err(error) => self.bad(error),
        }
    }

    fn bad(&self, what: String) {
        if let Ok(mut bad) = self.bad.lock() {
            bad.push(what);
        }
    }

    fn counts(&self) -> (u64, u64) {
        (
            self.ok.load(Ordering::Relaxed),
            self.unavailable.load(Ordering::Relaxed),
        )
    }

    /// Panics with what went wrong, if anything did.
    fn assert_clean(&self, pair: &Pair) {
        let bad = self.bad.lock().map(|bad| bad.clone()).unwrap_or_default();
        let (ok, unavailable) = self.counts();
        assert!(
            bad.is_empty(),
            "{} bad answers (ok {ok}, 503 {unavailable}), first ones:\n{}\n{}",
            bad.len(),
            bad.iter().take(10).cloned().collect::<Vec<_>>().join("\n"),
            pair.logs()
        );
    }
}

/// Concurrent clients alternating get-session (on the given sessions) and sign-in over both
/// servers until `stop`, recording every outcome.
fn load(
    pair: &Pair,
    sessions: &[Jar],
    outcomes: &Arc<Outcomes>,
    stop: &Arc<AtomicBool>,
) -> tokio::task::JoinSet<()> {
    let client = Client::new();
    let origins = pair.origins();
    let sessions: Arc<[Jar]> = sessions.into();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..6 {
        let (client, origins, sessions) = (client.clone(), origins.clone(), sessions.clone());
        let (outcomes, stop) = (outcomes.clone(), stop.clone());
        tasks.spawn(async move {
            let mut i = worker;
            while !stop.load(Ordering::Relaxed) {
                let origin = &origins[i % 2];
                let started = Instant::now();
                let result = if i % 5 == 0 {
                    let body = json!({"email": EMAIL, "password": PASSWORD});
                    client
                        .call(origin, "/sign-in/email", &Jar::default(), Some(&body))
                        .await
                } else {
                    let jar = &sessions[i % sessions.len()];
                    client.call(origin, "/get-session", jar, None).await
                };
                outcomes.record(result, started.elapsed());
                i += 1;
            }
        });
    }
    tasks
}

/// Polls until a fresh sign-in on A is seen by B, within [`RECOVERY`].
async fn recovered(pair: &Pair) {
    let client = Client::new();
    let [a, b] = pair.origins();
    let deadline = Instant::now() + RECOVERY;
    let body = json!({"email": EMAIL, "password": PASSWORD});
    loop {
        let mut jar = Jar::default();
        if let Ok(answer) = client.call(&a, "/sign-in/email", &jar, Some(&body)).await
            && answer.status == 200
        {
            jar.update(&answer.headers);
            if let Ok(seen) = client.call(&b, "/get-session", &jar, None).await
                && seen.status == 200
                && !seen.body.is_null()
            {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "not recovered after {RECOVERY:?}\n{}",
            pair.logs()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Signs up and signs in `count` times, alternating servers.
async fn sessions(pair: &Pair, count: usize) -> Vec<Jar> {
    let client = Client::new();
    let origins = pair.origins();
    client.sign_up(&origins[0], EMAIL).await;
    let mut jars = Vec::new();
    for i in 0..count {
        jars.push(client.sign_in(&origins[i % 2], EMAIL).await);
    }
    jars
}

/// Every session answers (or not) the same on both servers.
async fn assert_sessions(pair: &Pair, jars: &[Jar], valid: bool) {
    let client = Client::new();
    for origin in pair.origins() {
        for (i, jar) in jars.iter().enumerate() {
            let seen = client.session(&origin, jar).await;
            assert_eq!(
                seen.is_some(),
                valid,
                "session {i} on {origin}: {seen:?}\n{}",
                pair.logs()
            );
        }
    }
}

/// An administrative connection that kills the servers' database connections.
enum Killer {
    Postgres(sqlx::PgConnection),
    Mysql(sqlx::MySqlConnection),
}

impl Killer {
    /// Kills every other connection to the test's database; how many.
    async fn kill(&mut self) -> i64 {
        match self {
            Self::Postgres(admin) => sqlx::query_scalar(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity \
                 where datname = current_database() and pid <> pg_backend_pid()",
            )
            .fetch_one(admin)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
            Self::Mysql(admin) => {
                let ids: Vec<i64> = sqlx::query_scalar(
                    "select id from information_schema.processlist \
                     where db = database() and id <> connection_id()",
                )
                .fetch_all(&mut *admin)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
                let mut killed = 0;
                for id in ids {
                    // A connection that closed since the listing is "unknown thread": fine.
                    if sqlx::query(sqlx::AssertSqlSafe(format!("kill connection {id}")))
                        .execute(&mut *admin)
                        .await
                        .is_ok()
                    {
                        killed += 1;
                    }
                }
                killed
            }
        }
    }
}

/// Every database connection of both servers is killed every 300 ms for 12 s under load: every
/// request is answered 200 or 503 within the time limit, the servers recover by themselves, and
/// every session created before is still valid.
async fn connections_killed_under_load(pair: &Pair, mut killer: Killer) {
    let jars = sessions(pair, 12).await;
    let outcomes = Arc::new(Outcomes::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = load(pair, &jars, &outcomes, &stop);
    let mut killed = 0_i64;
    let end = Instant::now() + Duration::from_secs(12);
    while Instant::now() < end {
        killed += killer.kill().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stop.store(true, Ordering::Relaxed);
    while tasks.join_next().await.is_some() {}
    outcomes.assert_clean(pair);
    let (ok, unavailable) = outcomes.counts();
    assert!(killed > 0, "no connection was killed");
    assert!(
        ok > 0,
        "nothing succeeded under faults (503: {unavailable})"
    );
    recovered(pair).await;
    assert_sessions(pair, &jars, true).await;
}

/// [`connections_killed_under_load`] on PostgreSQL (`pg_terminate_backend`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_killed_under_load() {
    let Some(db) = support::Postgres::fresh("multi_fault_pg").await else {
        return;
    };
    let pair = Pair::start(&format!("{BASE}{NO_RATE_LIMIT}"), &db);
    let admin = sqlx::PgConnection::connect(&db.url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    connections_killed_under_load(&pair, Killer::Postgres(admin)).await;
    drop(pair);
    db.drop().await;
}

/// [`connections_killed_under_load`] on MariaDB (`KILL CONNECTION`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_connections_killed_under_load() {
    let Some(db) = support::Mysql::fresh("multi_fault_my").await else {
        return;
    };
    let pair = Pair::start(&format!("{BASE}{NO_RATE_LIMIT}"), &db);
    let admin = sqlx::MySqlConnection::connect(&db.url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    connections_killed_under_load(&pair, Killer::Mysql(admin)).await;
    drop(pair);
    db.drop().await;
}

/// A TCP forwarder to a database that a test takes down (refusing new connections and cutting
/// open ones, as a stopped database does) and brings back on the same port.
#[derive(Debug)]
struct Proxy {
    port: u16,
    upstream: String,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    async fn start(upstream: &str) -> Self {
        let mut proxy = Self {
            port: 0,
            upstream: upstream.to_owned(),
            task: None,
        };
        proxy.up().await;
        proxy
    }

    /// Listens (on the first call, on a free port; later on the same one) and forwards.
    async fn up(&mut self) {
        let socket = tokio::net::TcpSocket::new_v4().unwrap_or_else(|e| panic!("{e}"));
        socket.set_reuseaddr(true).unwrap_or_else(|e| panic!("{e}"));
        socket
            .bind(([127, 0, 0, 1], self.port).into())
            .unwrap_or_else(|e| panic!("bind port {}: {e}", self.port));
        let listener = socket.listen(128).unwrap_or_else(|e| panic!("{e}"));
        self.port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{e}"))
            .port();
        let upstream = self.upstream.clone();
        self.task = Some(tokio::spawn(async move {
            // Dropped with this task: every forwarded connection is cut.
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                connections.spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        }));
    }

    /// The database is gone: connections refused, open ones closed.
    async fn down(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// `url` with its host and port replaced by the proxy's.
    fn url(&self, url: &str) -> String {
        url.replacen(&self.upstream, &format!("127.0.0.1:{}", self.port), 1)
    }
}

/// The `host:port` of a database URL.
fn authority(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    rest.split(['/', '?']).next().unwrap_or(rest).to_owned()
}

/// The database unreachable for 5 s under load (through a proxy the test stops): every request is
/// answered 200 or 503 `{code, message}` within the time limit, some 503, the servers recover by
/// themselves when it is back and every session created before is still valid.
async fn database_down_under_load<DB: support::Engine>(label: &str) {
    let Some(db) = support::Server::<DB>::fresh(label).await else {
        return;
    };
    let mut proxy = Proxy::start(&authority(&db.url())).await;
    let project = Project::new(&format!("{BASE}{NO_RATE_LIMIT}"));
    project.migrate(DB::DIALECT, &db.url());
    let url = proxy.url(&db.url());
    let pair = Pair {
        a: project.serve_url(&url),
        b: project.serve_url(&url),
        _project: project,
    };
    let jars = sessions(&pair, 12).await;

    proxy.down().await;
    let down = Arc::new(Outcomes::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = load(&pair, &jars, &down, &stop);
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.store(true, Ordering::Relaxed);
    while tasks.join_next().await.is_some() {}
    down.assert_clean(&pair);
    assert!(down.counts().1 > 0, "no 503 while the database was down");

    proxy.up().await;
    recovered(&pair).await;
    assert_sessions(&pair, &jars, true).await;
    drop(pair);
    proxy.down().await;
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_under_load() {
    database_down_under_load::<sqlx::Postgres>("multi_pg_down").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_down_under_load() {
    database_down_under_load::<sqlx::MySql>("multi_my_down").await;
}

/// Redis killed for 4 s under load, then restarted empty on the same port: 503 while it is down,
/// full recovery without restarting the servers. Sessions also in the database survive; sessions
/// only in Redis are gone (Redis here keeps nothing on disk), and their cookies read as signed out.
async fn redis_restarted_under_load(store_in_database: bool) {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let Some(db) = support::Postgres::fresh("multi_fault_redis").await else {
        return;
    };
    let config = format!(
        "{BASE}{NO_RATE_LIMIT}{}{}",
        redis.config(),
        sessions_in_database(store_in_database)
    );
    let pair = Pair::start(&config, &db);
    let jars = sessions(&pair, 12).await;
    let before = Arc::new(Outcomes::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = load(&pair, &jars, &before, &stop);
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    while tasks.join_next().await.is_some() {}
    before.assert_clean(&pair);
    assert_eq!(before.counts().1, 0, "503 before Redis stopped");

    redis.stop();
    let down = Arc::new(Outcomes::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = load(&pair, &jars, &down, &stop);
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Relaxed);
    while tasks.join_next().await.is_some() {}
    down.assert_clean(&pair);
    assert!(down.counts().1 > 0, "no 503 while Redis was down");
    let slowest = Duration::from_millis(down.slowest_unavailable.load(Ordering::Relaxed));
    assert!(
        slowest < REDIS_DOWN_ANSWER,
        "a 503 took {slowest:?} while Redis was down"
    );

    redis.restart();
    let after = Arc::new(Outcomes::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = load(&pair, &jars, &after, &stop);
    recovered(&pair).await;
    stop.store(true, Ordering::Relaxed);
    while tasks.join_next().await.is_some() {}
    after.assert_clean(&pair);
    assert_sessions(&pair, &jars, store_in_database).await;
    drop(pair);
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_under_load_sessions_in_database() {
    redis_restarted_under_load(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_under_load_sessions_only_in_redis() {
    redis_restarted_under_load(false).await;
}

mod api_key;
