//! Side by side: `auth-cli serve` (release build) and better-auth 1.7.25 on Node, each in its own
//! process on a fresh SQLite file with rate limiting off, loaded by the same in-process load
//! generator (HTTP/1.1 keep-alive, one connection per client). Measures get-session (without and
//! with the cookie cache), sign-in and sign-up (unique emails) at 2 and 16 connections with each
//! server's peak RSS, get-session while sign-ins saturate hashing, raw scrypt in this process,
//! get-session on PostgreSQL with 1,000 and 1,000,000 users, get-session and two-factor
//! verify-totp with the seven sign-in plugins on, get-session authenticated by an API key
//! (`x-api-key`), admin's list-users and organization's list-members on PostgreSQL with
//! 1,000,000 users and 100,000 members, the machine's ceiling for get-session (a bare
//! axum server answering the same bytes), and `generate` for the full plugin set. Prints the tables and writes `docs/benchmarks.md` and `docs/benchmarks.svg`.
//!
//! cargo bench -p auth-cli --bench side_by_side
//!
//! Environment (durations in seconds):
//! - `AUTH_BENCH_QUICK=1`: a smoke run of a few seconds per server (10,000 PostgreSQL users),
//!   written to `target/side-by-side/` instead of `docs/`
//! - `AUTH_BENCH_GET_SECS` (default 5): each get-session run
//! - `AUTH_BENCH_HASH_SECS` (default 10): each sign-in, sign-up and mixed run
//! - `AUTH_BENCH_WARM_SECS` (default 1): the warm-up before each run
//! - `AUTH_BENCH_CONNECTIONS` (default `2,16`)
//! - `AUTH_BENCH_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`): a database whose
//!   server the benchmark may create a database on; `AUTH_BENCH_PG_USERS` (default 1000000)
//! - `AUTH_BENCH_SCALE_USERS` (default 1000000) and `AUTH_BENCH_SCALE_MEMBERS` (default 100000):
//!   the users and the one organization's members of the list rows (quick: 10,000 and 1,000)
//! - `AUTH_BENCH_ROWS`: only these parts, `;`-separated, each exactly as the report names it:
//!   the HTTP scenarios (`get-session` (with the ceiling), `get-session, cookie cache`,
//!   `get-session, x-api-key`, `get-session, sign-in plugins`, `two-factor verify-totp`,
//!   `sign-in`, `sign-up`) and `mixed`, `scrypt`, `generate`, `postgres`, `lists`; a filtered run
//!   is written to `target/side-by-side/` unless `AUTH_BENCH_OUT` says otherwise (default: all)
//! - `AUTH_BENCH_OUT`: the folder for benchmarks.md and benchmarks.svg

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark prints its tables"
)]

mod ceiling;
mod load;
mod report;
mod scale;
mod server;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use auth_core::sql::render_schema;
use auth_core::{Config, Dialect, Schema};
use auth_runtime::wire::password;
use load::{MakeRequest, Outcome};
use report::{Cell, Figures, Mixed, Report, Row};
use server::Server;
use sqlx::AssertSqlSafe;

/// The user every session-bound request acts as.
const EMAIL: &str = "bench@side-by-side.test";
const PASSWORD: &str = "correct horse battery staple";

/// Our configuration, matching reference-server.mjs: email and password, rate limit off, the
/// same two additional user fields.
const CONFIG: &str = r#"[email-and-password]
enabled = true

[rate-limit]
enabled = false

[models.user.fields.plan]
type = "string"
required = false
default = "free"
input = false

[models.user.fields.nickname]
type = "string"
required = false
"#;

/// Appended to [`CONFIG`] for the plugin rows: reference-server.mjs's `PLUGINS=1`, as the
/// conformance suite configures it.
const PLUGINS: &str = include_str!("../../tests/conformance/plugins.toml");

/// Appended to [`CONFIG`] for the API-key row: reference-server.mjs's `API_KEY=1` with
/// `API_KEY_RATE_LIMIT=0` (a key's own limit, 10 a day by default, would end the run at once).
const API_KEY: &str = "\n[plugins.api-key]\nenable-session-for-api-keys = true\n\n\
    [plugins.api-key.rate-limit]\nenabled = false\n";

/// Appended to [`CONFIG`] for the cookie-cache rows.
const COOKIE_CACHE: &str = "\n[session.cookie-cache]\nenabled = true\nmax-age = 300\n";

const GET_SESSION: &str = "/api/auth/get-session";

/// The settings read from the environment.
#[derive(Debug)]
struct Settings {
    quick: bool,
    get: Duration,
    hash: Duration,
    warm: Duration,
    connections: Vec<usize>,
    pg_url: String,
    pg_users: u64,
    scale_users: u64,
    scale_members: u64,
    /// `AUTH_BENCH_ROWS`: the parts to run, or every part.
    rows: Option<Vec<String>>,
    out: PathBuf,
}

impl Settings {
    /// Whether any of `parts` is to run.
    fn wants(&self, parts: &[&str]) -> bool {
        self.rows
            .as_ref()
            .is_none_or(|rows| parts.iter().any(|part| rows.iter().any(|r| r == part)))
    }
}

fn seconds(name: &str, default: f64) -> Duration {
    let secs = std::env::var(name)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(default);
    Duration::from_secs_f64(secs)
}

impl Settings {
    fn from_env() -> Self {
        let quick = std::env::var("AUTH_BENCH_QUICK").is_ok_and(|v| v == "1" || v == "true");
        let (get, hash, warm, users, members) = if quick {
            (1.0, 2.0, 0.3, 10_000, 1_000)
        } else {
            (5.0, 10.0, 1.0, 1_000_000, 100_000)
        };
        let count = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
                .max(1_000)
        };
        let rows = std::env::var("AUTH_BENCH_ROWS").ok().map(|v| {
            v.split(';')
                .map(|part| part.trim().to_owned())
                .filter(|part| !part.is_empty())
                .collect::<Vec<String>>()
        });
        let root = server::repo_root();
        let default_out = if quick || rows.is_some() {
            root.join("target/side-by-side")
        } else {
            root.join("docs")
        };
        Self {
            quick,
            get: seconds("AUTH_BENCH_GET_SECS", get),
            hash: seconds("AUTH_BENCH_HASH_SECS", hash),
            warm: seconds("AUTH_BENCH_WARM_SECS", warm),
            connections: std::env::var("AUTH_BENCH_CONNECTIONS")
                .ok()
                .map(|v| {
                    v.split(',')
                        .filter_map(|n| n.trim().parse().ok())
                        .filter(|n| *n > 0)
                        .collect::<Vec<usize>>()
                })
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| vec![2, 16]),
            pg_url: std::env::var("AUTH_BENCH_PG_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned()),
            pg_users: count("AUTH_BENCH_PG_USERS", users),
            scale_users: count("AUTH_BENCH_SCALE_USERS", users),
            scale_members: count("AUTH_BENCH_SCALE_MEMBERS", members),
            rows,
            out: std::env::var_os("AUTH_BENCH_OUT").map_or(default_out, PathBuf::from),
        }
    }
}

fn main() {
    if ceiling::serve_if_asked() {
        return;
    }
    let settings = Settings::from_env();
    if let Some(unknown) = settings
        .rows
        .iter()
        .flatten()
        .find(|row| !PARTS.contains(&row.as_str()))
    {
        eprintln!(
            "AUTH_BENCH_ROWS names `{unknown}`, which is none of: {}",
            PARTS.join("; ")
        );
        std::process::exit(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start a tokio runtime: {e}");
            std::process::exit(1);
        }
    };
    let report = runtime.block_on(run(&settings));
    let text = report.markdown(&settings_line(&settings));
    println!("{text}");
    if let Err(e) = report.write(&settings.out, &text) {
        eprintln!("cannot write the report to {}: {e}", settings.out.display());
        std::process::exit(1);
    }
    println!("wrote {}", settings.out.display());
}

fn settings_line(settings: &Settings) -> String {
    format!(
        "get-session runs {:.0} s, sign-in/sign-up/mixed runs {:.0} s, warm-up {:.1} s before each{}",
        settings.get.as_secs_f64(),
        settings.hash.as_secs_f64(),
        settings.warm.as_secs_f64(),
        if settings.quick { " (quick mode)" } else { "" }
    )
}

/// The 1-minute load average.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// The parts `AUTH_BENCH_ROWS` may name, in the order a run measures them.
const PARTS: [&str; 12] = [
    "get-session",
    "get-session, cookie cache",
    report::API_KEY_SESSION,
    "get-session, sign-in plugins",
    "two-factor verify-totp",
    "sign-in",
    "sign-up",
    "mixed",
    "scrypt",
    "generate",
    "postgres",
    "lists",
];

/// Why a part was not measured.
const NOT_SELECTED: &str = "not in AUTH_BENCH_ROWS";

async fn run(settings: &Settings) -> Report {
    let mut report = Report::new(load_average());
    eprintln!("side by side: {}", settings_line(settings));

    // Each kind of server once without and once with the cookie cache.
    let cached_config = format!("{CONFIG}{COOKIE_CACHE}");
    let (ours, theirs) = if settings.wants(&["get-session", "sign-in", "sign-up", "mixed"]) {
        (
            seeded(Server::ours(CONFIG, None)).await,
            seeded(Server::better_auth(&[])).await,
        )
    } else {
        (Err(NOT_SELECTED.to_owned()), Err(NOT_SELECTED.to_owned()))
    };
    if settings.wants(&["get-session"]) {
        let ceiling = seeded_ceiling(&ours).await;
        for &clients in &settings.connections {
            row(&mut report, "get-session", clients, &ours, &theirs, |s| {
                get_session(s, settings, clients)
            })
            .await;
            // Right after ours, so that both see the same machine.
            let cell = match &ceiling {
                Ok(seeded) => get_session(seeded, settings, clients).await,
                Err(why) => Cell::Missing(why.clone()),
            };
            report.ceiling.push((clients, cell));
        }
    }
    if settings.wants(&["get-session, cookie cache"]) {
        let ours_cached = seeded(
            Server::ours(&cached_config, None)
                .map_err(|e| format!("this build rejects [session.cookie-cache]: {e}")),
        )
        .await;
        // better-auth's default strategy, as ours: compact.
        let theirs_cached = seeded(Server::better_auth(&[("COOKIE_CACHE", "compact")])).await;
        for &clients in &settings.connections {
            row(
                &mut report,
                "get-session, cookie cache",
                clients,
                &ours_cached,
                &theirs_cached,
                |s| get_session(s, settings, clients),
            )
            .await;
        }
    }
    if settings.wants(&[report::API_KEY_SESSION]) {
        // The same get-session, authenticated by an API key instead of the cookie.
        let ours_keys =
            api_key_on(seeded(Server::ours(&format!("{CONFIG}{API_KEY}"), None)).await).await;
        let theirs_keys = api_key_on(
            seeded(Server::better_auth(&[
                ("API_KEY", "1"),
                ("API_KEY_RATE_LIMIT", "0"),
            ]))
            .await,
        )
        .await;
        for &clients in &settings.connections {
            row(
                &mut report,
                report::API_KEY_SESSION,
                clients,
                &ours_keys,
                &theirs_keys,
                |s| api_key_session(s, settings, clients),
            )
            .await;
        }
    }
    if settings.wants(&["get-session, sign-in plugins", "two-factor verify-totp"]) {
        // Bearer and multi-session act on every request and answer; two-factor's verify-totp
        // decrypts the secret and checks a code.
        let ours_plugins =
            two_factor_on(seeded(Server::ours(&format!("{CONFIG}{PLUGINS}"), None)).await).await;
        let theirs_plugins =
            two_factor_on(seeded(Server::better_auth(&[("PLUGINS", "1")])).await).await;
        if settings.wants(&["get-session, sign-in plugins"]) {
            for &clients in &settings.connections {
                row(
                    &mut report,
                    "get-session, sign-in plugins",
                    clients,
                    &ours_plugins,
                    &theirs_plugins,
                    |s| get_session(s, settings, clients),
                )
                .await;
            }
        }
        if settings.wants(&["two-factor verify-totp"]) {
            for &clients in &settings.connections {
                row(
                    &mut report,
                    "two-factor verify-totp",
                    clients,
                    &ours_plugins,
                    &theirs_plugins,
                    |s| verify_totp(s, settings, clients),
                )
                .await;
            }
        }
    }
    for &clients in settings
        .connections
        .iter()
        .filter(|_| settings.wants(&["sign-in"]))
    {
        row(&mut report, "sign-in", clients, &ours, &theirs, |s| {
            let body = serde_json::json!({ "email": EMAIL, "password": PASSWORD }).to_string();
            let origin = s.0.origin.clone();
            let make: MakeRequest =
                Arc::new(move || load::post_json("/api/auth/sign-in/email", &origin, body.clone()));
            measure(&s.0, make, clients, settings.hash, settings.warm)
        })
        .await;
    }
    for &clients in settings
        .connections
        .iter()
        .filter(|_| settings.wants(&["sign-up"]))
    {
        row(&mut report, "sign-up", clients, &ours, &theirs, |s| {
            let origin = s.0.origin.clone();
            let counter = Arc::new(AtomicU64::new(0));
            let make: MakeRequest = Arc::new(move || {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let body = serde_json::json!({
                    "name": "Sign Up",
                    "email": format!("sign-up-{n}@side-by-side.test"),
                    "password": PASSWORD,
                });
                load::post_json("/api/auth/sign-up/email", &origin, body.to_string())
            });
            measure(&s.0, make, clients, settings.hash, settings.warm)
        })
        .await;
    }
    if settings.wants(&["mixed"]) {
        eprintln!("mixed load");
        report.mixed = vec![
            ("ours", mixed(&ours, settings).await),
            ("better-auth", mixed(&theirs, settings).await),
        ];
    }
    drop(ours);
    drop(theirs);

    if settings.wants(&["scrypt"]) {
        eprintln!("raw scrypt");
        report.scrypt = Some(raw_scrypt(settings.hash));
    }
    if settings.wants(&["generate"]) {
        eprintln!("generate");
        report.generate = generate(if settings.quick { 1 } else { 5 });
    }
    if settings.wants(&["postgres"]) {
        eprintln!("PostgreSQL");
        report.postgres = postgres(settings).await;
    }
    if settings.wants(&["lists"]) {
        eprintln!("PostgreSQL lists");
        report.scale = scale::lists(settings).await;
    }
    report.load_after = load_average();
    report
}

/// A started server with the benchmark user signed up and signed in.
type Seeded = Result<(Server, Seed), String>;

/// The benchmark user's session cookies, its TOTP key once two-factor is on, and its API key
/// once one was created.
struct Seed {
    cookie: String,
    totp: Option<Vec<u8>>,
    api_key: Option<String>,
}

async fn seeded(server: Result<Server, String>) -> Seeded {
    let server = server?;
    let cookie = seed(&server).await?;
    Ok((
        server,
        Seed {
            cookie,
            totp: None,
            api_key: None,
        },
    ))
}

/// The ceiling server answering with the bytes of our get-session answer to the benchmark user.
async fn seeded_ceiling(ours: &Seeded) -> Seeded {
    let (server, seed) = ours.as_ref().map_err(Clone::clone)?;
    let answer = load::once(server.address, load::get(GET_SESSION, &seed.cookie)).await?;
    let ceiling = Server::ceiling(&answer.body)?;
    Ok((
        ceiling,
        Seed {
            cookie: seed.cookie.clone(),
            totp: None,
            api_key: None,
        },
    ))
}

/// Signs the benchmark user up and in; returns the sign-in's cookies after checking that
/// get-session answers with them.
async fn seed(server: &Server) -> Result<String, String> {
    let body = serde_json::json!({ "name": "Bench", "email": EMAIL, "password": PASSWORD });
    let up = load::once(
        server.address,
        load::post_json("/api/auth/sign-up/email", &server.origin, body.to_string()),
    )
    .await?;
    if up.status != http::StatusCode::OK {
        return Err(format!("sign-up answered {}", up.status));
    }
    let body = serde_json::json!({ "email": EMAIL, "password": PASSWORD });
    let signed_in = load::once(
        server.address,
        load::post_json("/api/auth/sign-in/email", &server.origin, body.to_string()),
    )
    .await?;
    if signed_in.status != http::StatusCode::OK {
        return Err(format!("sign-in answered {}", signed_in.status));
    }
    let cookie = signed_in.cookies();
    let check = load::once(server.address, load::get(GET_SESSION, &cookie)).await?;
    if !String::from_utf8_lossy(&check.body).contains(EMAIL) {
        return Err(format!(
            "get-session answered {} without the user",
            check.status
        ));
    }
    Ok(cookie)
}

/// The benchmark user's TOTP key, as the URI of `/two-factor/enable` carries it.
fn totp_key(uri: &str) -> Result<Vec<u8>, String> {
    let secret = uri
        .split_once("secret=")
        .and_then(|(_, rest)| rest.split('&').next())
        .ok_or_else(|| format!("no secret in {uri}"))?;
    base32::decode(base32::Alphabet::Rfc4648 { padding: false }, secret)
        .ok_or_else(|| format!("secret {secret} is not base32"))
}

/// The current code of a TOTP key (SHA-1, 6 digits, 30 s).
fn totp_code(key: &[u8]) -> String {
    totp_rs::Builder::new()
        .with_secret(key.to_vec())
        .build_noncompliant()
        .generate_current()
        .to_string()
}

/// Turns two-factor on for the seeded user (enable, then a first verify-totp, which rotates the
/// session): the new session cookie and the TOTP key.
async fn two_factor_on(seeded: Seeded) -> Seeded {
    let (server, Seed { cookie, .. }) = seeded?;
    let body = serde_json::json!({ "password": PASSWORD }).to_string();
    let enabled = load::once(
        server.address,
        load::post_json_with_cookie("/api/auth/two-factor/enable", &server.origin, &cookie, body),
    )
    .await?;
    let answer: serde_json::Value =
        serde_json::from_slice(&enabled.body).map_err(|e| format!("enable: {e}"))?;
    let uri = answer["totpURI"]
        .as_str()
        .ok_or_else(|| format!("enable answered {answer}"))?;
    let key = totp_key(uri)?;
    let body = serde_json::json!({ "code": totp_code(&key) }).to_string();
    let verified = load::once(
        server.address,
        load::post_json_with_cookie(
            "/api/auth/two-factor/verify-totp",
            &server.origin,
            &cookie,
            body,
        ),
    )
    .await?;
    if verified.status != http::StatusCode::OK {
        return Err(format!("verify-totp answered {}", verified.status));
    }
    // The rotated session's cookie (the enabling verification answers the old token).
    let cookie = verified
        .cookies()
        .split("; ")
        .find(|c| c.starts_with("better-auth.session_token="))
        .map(str::to_owned)
        .ok_or("verify-totp set no session cookie")?;
    Ok((
        server,
        Seed {
            cookie,
            totp: Some(key),
            api_key: None,
        },
    ))
}

/// Creates an API key for the seeded user (`/api-key/create` with the session cookie) and
/// checks that get-session answers the user with it in `x-api-key`.
async fn api_key_on(seeded: Seeded) -> Seeded {
    let (server, Seed { cookie, totp, .. }) = seeded?;
    let body = serde_json::json!({ "name": "bench" }).to_string();
    let created = load::once(
        server.address,
        load::post_json_with_cookie("/api/auth/api-key/create", &server.origin, &cookie, body),
    )
    .await?;
    let answer: serde_json::Value =
        serde_json::from_slice(&created.body).map_err(|e| format!("api-key/create: {e}"))?;
    let key = answer["key"]
        .as_str()
        .ok_or_else(|| format!("api-key/create answered {} {answer}", created.status))?
        .to_owned();
    let check = load::once(server.address, load::get_with_api_key(GET_SESSION, &key)).await?;
    if !String::from_utf8_lossy(&check.body).contains(EMAIL) {
        return Err(format!(
            "get-session with x-api-key answered {} without the user",
            check.status
        ));
    }
    Ok((
        server,
        Seed {
            cookie,
            totp,
            api_key: Some(key),
        },
    ))
}

/// get-session authenticated by the seeded API key in `x-api-key`: the key looked up by its
/// hash, its use counted on its row, its owner read.
fn api_key_session(
    seeded: &(Server, Seed),
    settings: &Settings,
    clients: usize,
) -> impl Future<Output = Cell> {
    let key = seeded.1.api_key.clone().unwrap_or_default();
    let make: MakeRequest = Arc::new(move || load::get_with_api_key(GET_SESSION, &key));
    measure(&seeded.0, make, clients, settings.get, settings.warm)
}

/// verify-totp with a session (the code checked, no session created), the code of the moment.
fn verify_totp(
    seeded: &(Server, Seed),
    settings: &Settings,
    clients: usize,
) -> impl Future<Output = Cell> {
    let key = seeded.1.totp.clone().unwrap_or_default();
    let (cookie, origin) = (seeded.1.cookie.clone(), seeded.0.origin.clone());
    let make: MakeRequest = Arc::new(move || {
        let body = serde_json::json!({ "code": totp_code(&key) }).to_string();
        load::post_json_with_cookie("/api/auth/two-factor/verify-totp", &origin, &cookie, body)
    });
    measure(&seeded.0, make, clients, settings.hash, settings.warm)
}

/// Measures one scenario on both servers (ours first) and adds its row.
async fn row<'a, F, Fut>(
    report: &mut Report,
    scenario: &'static str,
    clients: usize,
    ours: &'a Seeded,
    theirs: &'a Seeded,
    scenario_fn: F,
) where
    F: Fn(&'a (Server, Seed)) -> Fut,
    Fut: Future<Output = Cell>,
{
    eprintln!("{scenario}, {clients} connections");
    let load = load_average();
    let mut cells = Vec::new();
    for side in [ours, theirs] {
        cells.push(match side {
            Ok(seeded) => scenario_fn(seeded).await,
            Err(why) => Cell::Missing(why.clone()),
        });
    }
    let theirs = cells.pop().unwrap_or(Cell::Missing(String::new()));
    let ours = cells.pop().unwrap_or(Cell::Missing(String::new()));
    report.rows.push(Row {
        scenario,
        clients,
        load,
        ours,
        theirs,
    });
}

fn get_session(
    seeded: &(Server, Seed),
    settings: &Settings,
    clients: usize,
) -> impl Future<Output = Cell> {
    let cookie = seeded.1.cookie.clone();
    let make: MakeRequest = Arc::new(move || load::get(GET_SESSION, &cookie));
    measure(&seeded.0, make, clients, settings.get, settings.warm)
}

/// A warm-up, then a measured run with the server's peak RSS reset before it; missing if the
/// server died.
async fn measure(
    server: &Server,
    make: MakeRequest,
    clients: usize,
    duration: Duration,
    warm: Duration,
) -> Cell {
    if !warm.is_zero() {
        load::drive(server.address, &make, clients, warm).await;
    }
    server.reset_peak_rss();
    let outcome = load::drive(server.address, &make, clients, duration).await;
    match server.failure() {
        Some(why) => Cell::Missing(why),
        None => Cell::Measured(Figures::new(&outcome, server.peak_rss_mib())),
    }
}

/// get-session on 2 connections while 16 connections sign in: the get-session figures and the
/// sign-ins per second.
async fn mixed(seeded: &Seeded, settings: &Settings) -> Mixed {
    let (server, seed) = seeded.as_ref().map_err(Clone::clone)?;
    let cookie = seed.cookie.clone();
    let get: MakeRequest = Arc::new(move || load::get(GET_SESSION, &cookie));
    let body = serde_json::json!({ "email": EMAIL, "password": PASSWORD }).to_string();
    let origin = server.origin.clone();
    let sign_in: MakeRequest =
        Arc::new(move || load::post_json("/api/auth/sign-in/email", &origin, body.clone()));
    server.reset_peak_rss();
    let (gets, sign_ins): (Outcome, Outcome) = tokio::join!(
        load::drive(server.address, &get, 2, settings.hash),
        load::drive(server.address, &sign_in, 16, settings.hash)
    );
    if let Some(why) = server.failure() {
        return Err(why);
    }
    Ok((Figures::new(&gets, server.peak_rss_mib()), sign_ins.rate()))
}

/// scrypt verifications per second in this process, one thread per core, each in one buffer, as
/// sign-in runs them under load.
fn raw_scrypt(duration: Duration) -> f64 {
    let stored = password::hash(PASSWORD);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let start = Instant::now();
    let deadline = start + duration.max(Duration::from_secs(1));
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let stored = stored.clone();
            std::thread::spawn(move || {
                let mut done = 0u64;
                let mut blocks = password::Blocks::new();
                while Instant::now() < deadline {
                    if password::verify_with(&mut blocks, &stored, PASSWORD).unwrap_or(false) {
                        done += 1;
                    }
                }
                done
            })
        })
        .collect();
    let total: u64 = threads.into_iter().filter_map(|t| t.join().ok()).sum();
    total as f64 / start.elapsed().as_secs_f64()
}

/// The median wall time of `auth-cli generate --dialect sqlite` on examples/full/auth.toml and
/// of better-auth's generation (tests/conformance/generate-schema.mjs), as processes.
fn generate(runs: usize) -> [Result<Duration, String>; 2] {
    let root = server::repo_root();
    let mut ours = Command::new(env!("CARGO_BIN_EXE_auth-cli"));
    ours.args(["generate", "--dialect", "sqlite", "--config"])
        .arg(root.join("examples/full/auth.toml"));
    let conformance = root.join("tests/conformance");
    let mut theirs = Command::new("node");
    theirs
        .arg(conformance.join("generate-schema.mjs"))
        .current_dir(&conformance);
    [&mut ours, &mut theirs].map(|command| {
        let (time, sql) = server::median_wall(command, runs)?;
        if String::from_utf8_lossy(&sql).contains("create table") {
            Ok(time)
        } else {
            Err("no create table in the output".to_owned())
        }
    })
}

/// get-session (16 connections) on PostgreSQL with 1,000 users and sessions, then with
/// `pg_users`, in a database of its own that is dropped afterwards.
async fn postgres(settings: &Settings) -> Result<Vec<(u64, Figures)>, String> {
    in_scratch_database(settings, "bench_side_by_side", async |url| {
        postgres_in(url, settings).await
    })
    .await
}

/// Runs `body` on the URL of a database of its own on `settings.pg_url`'s server, dropped
/// afterwards whatever `body` answered.
pub(crate) async fn in_scratch_database<T>(
    settings: &Settings,
    prefix: &str,
    body: impl AsyncFnOnce(&str) -> Result<T, String>,
) -> Result<T, String> {
    use sqlx::Connection;
    let name = format!("{prefix}_{}", std::process::id());
    let (base, _) = settings
        .pg_url
        .rsplit_once('/')
        .ok_or("AUTH_BENCH_PG_URL has no database name")?;
    let url = format!("{base}/{name}");
    let mut admin = sqlx::PgConnection::connect(&settings.pg_url)
        .await
        .map_err(|e| format!("PostgreSQL not reachable at {}: {e}", settings.pg_url))?;
    sqlx::raw_sql(AssertSqlSafe(format!("create database {name}")))
        .execute(&mut admin)
        .await
        .map_err(|e| e.to_string())?;
    let result = body(&url).await;
    let _ = sqlx::raw_sql(AssertSqlSafe(format!(
        "drop database if exists {name} with (force)"
    )))
    .execute(&mut admin)
    .await;
    result
}

async fn postgres_in(url: &str, settings: &Settings) -> Result<Vec<(u64, Figures)>, String> {
    use sqlx::Connection;
    let config = Config::parse("auth.toml", CONFIG).map_err(|e| e.to_string())?;
    let schema = Schema::build(&config).map_err(|e| e.to_string())?;
    let mut db = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::raw_sql(AssertSqlSafe(render_schema(&schema, Dialect::Postgres)))
        .execute(&mut db)
        .await
        .map_err(|e| e.to_string())?;
    let server = Server::ours(CONFIG, Some(url))?;
    let cookie = seed(&server).await?;
    let mut figures = Vec::new();
    let mut filled = 1;
    for users in [1_000, settings.pg_users] {
        eprintln!("PostgreSQL: {users} users and sessions");
        let fill = format!(
            r#"insert into "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt")
select 'filler-' || g, 'Filler ' || g, 'filler-' || g || '@side-by-side.test', false, now(), now()
from generate_series({filled}, {last}) g;
insert into "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "userId")
select 'filler-' || g, now() + interval '7 days', 'filler-token-' || g, now(), now(), 'filler-' || g
from generate_series({filled}, {last}) g;
analyze;"#,
            last = users - 1
        );
        sqlx::raw_sql(AssertSqlSafe(fill))
            .execute(&mut db)
            .await
            .map_err(|e| format!("seeding: {e}"))?;
        filled = users;
        let make_cookie = cookie.clone();
        let make: MakeRequest = Arc::new(move || load::get(GET_SESSION, &make_cookie));
        match measure(&server, make, 16, settings.get, settings.warm).await {
            Cell::Measured(measured) => figures.push((users, measured)),
            Cell::Missing(why) => return Err(why),
        }
    }
    drop(server);
    let _ = db.close().await;
    Ok(figures)
}
