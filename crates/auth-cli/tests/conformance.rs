//! better-auth's official client (`tests/conformance/conformance.mjs`, better-auth 1.7.25) against
//! `auth-cli serve` on embedded SQLite, PostgreSQL, MariaDB and with snake_case names and a renamed
//! table; and interop with the real better-auth (`reference-server.mjs`) on one shared SQLite file
//! and secret (`tests/conformance/interop.mjs`).
//!
//! A test whose service (Node, a database, Chromium) is missing fails naming it
//! (`tests/support/service.rs`; `AUTH_TEST_ALLOW_MISSING=1` skips instead, outside CI).

use crate::{common, support};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use auth_core::Dialect;
use common::{Project, Redis, Running, SECRET, tail};

/// The suite's configuration (`reference-server.mjs`'s, as auth.toml); `{dir}` is the project's.
const CONFIG: &str = r#"trusted-origins = ["http://127.0.0.1:5173", "http://localhost:3000", "https://*.example.com"]

[email-and-password]
enabled = true
reset-password = true

[mailer]
kind = "log"
path = "{dir}/outbox.jsonl"

[user.change-email]
enabled = true

[user.delete-user]
enabled = true
send-delete-account-verification = true

[models.user.fields.plan]
type = "string"
default = "free"
input = false

[models.user.fields.nickname]
type = "string"

[rate-limit]
enabled = false
"#;

/// B3: snake_case columns and a renamed user table, through the whole runtime.
const SNAKE: &str = "\n[database]\nnaming = \"snake\"\n\n[models.user]\ntable = \"users\"\n";

/// A plugin suite's four runs, in the plugin's own module: our server on SQLite, PostgreSQL and
/// MariaDB (`official_client_*`), and better-auth 1.7.25 started with `env`, so that the suite
/// describes better-auth (`suite_passes_against_better_auth`). Our server gets `env` too (the
/// client credentials of a provider).
macro_rules! suite_everywhere {
    ($config:expr, $suite:expr, $database:literal, $env:expr) => {
        #[test]
        fn official_client_sqlite() {
            on_sqlite($config, $suite, $env);
        }

        #[tokio::test]
        async fn official_client_postgres() {
            on_database::<sqlx::Postgres>($database, $config, $suite, $env).await;
        }

        #[tokio::test]
        async fn official_client_mysql() {
            on_database::<sqlx::MySql>($database, $config, $suite, $env).await;
        }

        #[test]
        fn suite_passes_against_better_auth() {
            if !node_ready() {
                return;
            }
            let project = suite_project($config);
            let reference =
                better_auth_on(&project, &project.path().join("reference.sqlite"), $env);
            ($suite)(&project, &reference);
        }
    };
}

#[path = "conformance/admin.rs"]
mod admin;
#[path = "conformance/api_key.rs"]
mod api_key;
#[path = "conformance/browser.rs"]
mod browser;
#[path = "conformance/generic_oauth.rs"]
mod generic_oauth;
#[path = "conformance/jwt.rs"]
mod jwt;
#[path = "conformance/organization.rs"]
mod organization;
#[path = "conformance/organization_roles.rs"]
mod organization_roles;
#[path = "conformance/passkey.rs"]
mod passkey;
#[path = "conformance/phone_number.rs"]
mod phone_number;
#[path = "conformance/plugins.rs"]
mod plugins;

const SUITE_TIMEOUT: Duration = Duration::from_secs(600);
/// The full suite has 110 checks.
const MIN_CHECKS: u64 = 110;

fn harness() -> PathBuf {
    // `support::root()` is the package's parent folder: `crates/` here.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance")
}

/// Node and `tests/conformance/node_modules` (installed once, under a lock): true when ready.
fn node_ready() -> bool {
    node_project_ready(&harness())
}

/// Node and the npm project in `dir` (installed once, under a lock): true when ready.
fn node_project_ready(dir: &Path) -> bool {
    let node = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run node: {e}"))
        .and_then(|o| {
            if o.status.success() {
                Ok(())
            } else {
                Err(format!("node --version: {}", o.status))
            }
        });
    match node.and_then(|()| support::d1::ensure_installed(dir)) {
        Ok(()) => true,
        Err(error) => {
            support::unavailable(&support::service::NODE, &error);
            false
        }
    }
}

impl Running {
    /// `reference-server.mjs` (real better-auth), ready at `{"url":…}`.
    /// `env`: more of its environment (`REDIS_URL`, `STORE_IN_DATABASE`, `BETTER_AUTH_SECRETS`).
    fn better_auth(
        db_file: &Path,
        outbox: &Path,
        migrate: bool,
        scratch: &Path,
        env: &[(&str, &str)],
    ) -> Self {
        let mut command = Command::new("node");
        command
            .env_remove("BETTER_AUTH_SECRETS")
            .envs(env.iter().copied());
        command
            .arg(harness().join("reference-server.mjs"))
            .current_dir(harness())
            .env("PORT", "0")
            .env("DB_FILE", db_file)
            .env("OUTBOX", outbox)
            .env("BETTER_AUTH_SECRET", SECRET)
            .env("MIGRATE", if migrate { "1" } else { "0" })
            .env("QUIET", "1")
            .env("DO_NOT_TRACK", "1");
        Self::start("reference-server.mjs", &mut command, scratch, |line| {
            let value: serde_json::Value = serde_json::from_str(line).ok()?;
            Some(value.get("url")?.as_str()?.to_owned())
        })
    }
}

/// A project with the suite's configuration plus `extra`.
fn suite_project(extra: &str) -> Project {
    Project::new(&format!("{CONFIG}{extra}"))
}

/// better-auth 1.7.25 on the SQLite `file` (it creates the schema), started with `env` (the
/// plugins of `reference-server.mjs`), its mail in the project's outbox.
fn better_auth_on(project: &Project, file: &Path, env: &[(&str, &str)]) -> Running {
    Running::better_auth(file, &outbox(project), true, project.path(), env)
}

/// Where the `log` mailer of the suite's configuration writes.
fn outbox(project: &Project) -> PathBuf {
    project.path().join("outbox.jsonl")
}

/// better-auth (which creates the schema, started with `env`) and our server (the suite's
/// configuration plus `extra`) on one SQLite file and secret: a plugin's interop scenario.
struct Shared {
    project: Project,
    file: PathBuf,
    reference: Running,
    ours: Running,
}

impl Shared {
    fn start(extra: &str, env: &[(&str, &str)]) -> Self {
        let project = suite_project(extra);
        let file = project.path().join("shared.sqlite");
        let reference = better_auth_on(&project, &file, env);
        let ours = project.serve_url(&format!("sqlite:{}", file.display()));
        Self {
            project,
            file,
            reference,
            ours,
        }
    }

    /// Runs `script` between the two: `--a` better-auth, `--b` ours, then `args`.
    fn run(&self, script: &str, args: &[&str], min_checks: u64) {
        let mut all = vec!["--a", &self.reference.origin, "--b", &self.ours.origin];
        all.extend_from_slice(args);
        run_node(
            script,
            &all,
            &[&self.reference, &self.ours],
            min_checks,
            self.project.path(),
        );
    }

    /// The shared file's path, for scripts that read it (`--db`).
    fn db(&self) -> String {
        self.file.display().to_string()
    }

    /// The outbox both servers' mail lands in, for scripts that read codes (`--outbox`).
    fn outbox(&self) -> String {
        outbox(&self.project).display().to_string()
    }
}

/// Runs a Node program of `tests/conformance` and asserts that its summary (last stdout line)
/// reports every check passed; failures show the failed checks and the servers' stderr.
fn run_node(program: &str, args: &[&str], servers: &[&Running], min_checks: u64, scratch: &Path) {
    let mut command = Command::new("node");
    command
        .arg(harness().join(program))
        .args(args)
        .current_dir(harness())
        .env("DO_NOT_TRACK", "1")
        .env("NO_COLOR", "1");
    let finished = support::d1::run(command, scratch, SUITE_TIMEOUT)
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let logs = || {
        servers
            .iter()
            .map(|s| s.log())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let summary = finished.text.lines().rev().find_map(|line| {
        let value: serde_json::Value = serde_json::from_str(line).ok()?;
        (value.get("summary")? == true).then_some(value)
    });
    let failures: Vec<&str> = finished
        .text
        .lines()
        .filter(|line| line.contains("\"ok\":false"))
        .collect();
    let Some(summary) = summary else {
        panic!(
            "{program} printed no summary\n{}\n{}",
            finished.text,
            logs()
        );
    };
    let count = |key: &str| summary.get(key).and_then(serde_json::Value::as_u64);
    let (checks, passed, failed) = (count("checks"), count("passed"), count("failed"));
    assert!(
        finished.success
            && failed == Some(0)
            && passed == checks
            && checks.is_some_and(|c| c >= min_checks),
        "{program} against {:?}: {summary}\nfailed checks:\n{}\n\n{}\n{}",
        servers.iter().map(|s| &s.origin).collect::<Vec<_>>(),
        failures.join("\n"),
        tail(&finished.text, 40),
        logs()
    );
}

/// conformance.mjs against `server`, all checks, signed cookies verified with the secret.
fn conformance(project: &Project, server: &Running) {
    conformance_with(project, server, &[]);
}

/// conformance.mjs against `server` with more arguments (`--cookie-cache`).
fn conformance_with(project: &Project, server: &Running, extra: &[&str]) {
    run_suite("conformance.mjs", MIN_CHECKS, project, server, extra);
}

/// A suite of the official client (`conformance.mjs`, `plugins.mjs`) against `server`: all its
/// checks, at least `min_checks`, signed cookies verified with the secret.
fn run_suite(program: &str, min_checks: u64, project: &Project, server: &Running, extra: &[&str]) {
    let outbox = outbox(project).display().to_string();
    let mut args = vec![
        "--base-url",
        &server.origin,
        "--outbox",
        &outbox,
        "--secret",
        SECRET,
    ];
    args.extend_from_slice(extra);
    run_node(program, &args, &[server], min_checks, project.path());
}

/// `suite` against our server on embedded SQLite, with [`suite_project`]`(extra)` and `env` in
/// its environment.
fn on_sqlite(extra: &str, suite: fn(&Project, &Running), env: &[(&str, &str)]) {
    if !node_ready() {
        return;
    }
    let project = suite_project(extra);
    let server = project.serve_embedded_with(env);
    suite(&project, &server);
}

#[test]
fn official_client_sqlite() {
    on_sqlite("", conformance, &[]);
}

/// `suite` against our server on a fresh database of engine `DB` (`label`) that `migrate
/// apply` gave the schema of [`suite_project`]`(extra)`.
async fn on_database<DB: support::Engine>(
    label: &str,
    extra: &str,
    suite: fn(&Project, &Running),
    env: &[(&str, &str)],
) {
    let Some(db) = support::Server::<DB>::fresh(label).await else {
        return;
    };
    if node_ready() {
        let project = suite_project(extra);
        project.migrate(DB::DIALECT, &db.url());
        let server = project.serve_url_with(&db.url(), env);
        suite(&project, &server);
    }
    db.drop().await;
}

#[tokio::test]
async fn official_client_postgres() {
    on_database::<sqlx::Postgres>("conformance", "", conformance, &[]).await;
}

#[tokio::test]
async fn official_client_mysql() {
    on_database::<sqlx::MySql>("conformance", "", conformance, &[]).await;
}

#[tokio::test]
async fn official_client_snake_naming() {
    if !node_ready() {
        return;
    }
    // Embedded SQLite: the runtime migrates it itself.
    let project = suite_project(SNAKE);
    let server = project.serve_embedded();
    conformance(&project, &server);
    drop(server);
    let tables = sqlite_tables(&project.path().join("data/auth.db"));
    assert!(
        tables.iter().any(|t| t == "users") && !tables.iter().any(|t| t == "user"),
        "{tables:?}"
    );

    // PostgreSQL, schema from `migrate new` + `migrate apply`.
    let Some(db) = support::Postgres::fresh("conformance_snake").await else {
        return;
    };
    let project = suite_project(SNAKE);
    project.migrate(Dialect::Postgres, &db.url());
    let server = project.serve_url(&db.url());
    conformance(&project, &server);
    drop(server);
    let columns = db
        .texts(
            "select column_name::text from information_schema.columns \
             where table_schema = 'public' and table_name = 'users' order by column_name",
        )
        .await;
    assert!(
        columns.iter().any(|c| c == "email_verified") && columns.iter().any(|c| c == "created_at"),
        "{columns:?}"
    );
    db.drop().await;
}

/// One SQLite file and one secret shared by better-auth (which creates its own schema) and our
/// server, which serves that database as it is (better-auth's shapes are tolerated; no
/// `migrate baseline` needed to serve); users, passwords and session cookies cross.
#[test]
fn interop_with_better_auth() {
    if !node_ready() {
        return;
    }
    let project = suite_project("");
    let file = project.path().join("shared.sqlite");
    let outbox = outbox(&project);
    // better-auth creates the schema, then serves.
    let reference = Running::better_auth(&file, &outbox, true, project.path(), &[]);
    interop(&project, &file, &reference);
}

/// interop.mjs between `reference` and our server on the same SQLite `file`: sign-up and
/// sign-in on either, sessions, sign-out and password-reset tokens crossing both ways.
fn interop(project: &Project, file: &Path, reference: &Running) {
    interop_with(project, file, reference, &[]);
}

/// [`interop`] with `env` added to our server's environment.
fn interop_with(project: &Project, file: &Path, reference: &Running, env: &[(&str, &str)]) {
    let url = format!("sqlite:{}", file.display());
    let ours = project.serve_url_with(&url, env);
    let outbox = outbox(project).display().to_string();
    run_node(
        "interop.mjs",
        &[
            "--better-auth",
            &reference.origin,
            "--ours",
            &ours.origin,
            "--outbox",
            &outbox,
        ],
        &[reference, &ours],
        14,
        project.path(),
    );
}

/// After a secret rotation (`BETTER_AUTH_SECRETS=2:<new>,1:<old>` beside the old
/// `BETTER_AUTH_SECRET`/`AUTH_SECRET`), better-auth and our server both sign with the newest
/// entry, so everything crosses; a server still signing with the legacy variable would share no
/// session with the other.
#[test]
fn interop_with_better_auth_after_a_secret_rotation() {
    if !node_ready() {
        return;
    }
    let project = suite_project("");
    let file = project.path().join("shared.sqlite");
    let rotated = format!("2:rotated-secret-0123456789abcdefghijklmnopqrstuvwxyz,1:{SECRET}");
    let env = [("BETTER_AUTH_SECRETS", rotated.as_str())];
    let reference = Running::better_auth(&file, &outbox(&project), true, project.path(), &env);
    interop_with(&project, &file, &reference, &env);
}

/// better-auth and our server sharing one SQLite file, one secret and one Redis, sessions and
/// verification values in Redis only, then in Redis and the database: everything crosses, as on
/// the database alone. better-auth's storage is a `secondaryStorage` on the `redis` npm client
/// (plain keys), then its official `@better-auth/redis-storage` with its default `keyPrefix`
/// `"better-auth:"`, matched by `key-prefix` in auth.toml.
#[test]
fn interop_with_better_auth_on_redis() {
    if !node_ready() {
        return;
    }
    let Some(redis) = Redis::start() else {
        return;
    };
    for (in_database, prefix) in [(false, ""), (true, ""), (false, "better-auth:")] {
        let mut config = redis_config(&redis, in_database);
        let mut env = vec![
            ("REDIS_URL", redis.url()),
            ("STORE_IN_DATABASE", u8::from(in_database).to_string()),
        ];
        if !prefix.is_empty() {
            config = config.replacen(
                "[secondary-storage]\n",
                &format!("[secondary-storage]\nkey-prefix = \"{prefix}\"\n"),
                1,
            );
            env.push(("REDIS_KEY_PREFIX", prefix.to_owned()));
        }
        let project = suite_project(&config);
        let file = project.path().join("shared.sqlite");
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let before: std::collections::HashSet<String> = redis.keys("*").into_iter().collect();
        let reference = Running::better_auth(&file, &outbox(&project), true, project.path(), &env);
        interop(&project, &file, &reference);
        let tables = sqlite_tables(&file);
        assert_eq!(
            tables.iter().any(|t| t == "session"),
            in_database,
            "{tables:?}"
        );
        if !prefix.is_empty() {
            // Every key this round wrote (both servers) is under the prefix.
            let new: Vec<String> = redis
                .keys("*")
                .into_iter()
                .filter(|key| !before.contains(key))
                .collect();
            assert!(!redis.keys(&format!("{prefix}active-sessions-*")).is_empty());
            assert!(new.iter().all(|key| key.starts_with(prefix)), "{new:?}");
        }
    }
}

fn redis_config(redis: &Redis, in_database: bool) -> String {
    let mut extra = redis.config();
    if in_database {
        extra.push_str(
            "\n[session]\nstore-in-database = true\n\n[verification]\nstore-in-database = true\n",
        );
    }
    extra
}

/// The tables of an embedded SQLite database.
fn sqlite_tables(file: &Path) -> Vec<String> {
    let connection =
        rusqlite::Connection::open(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut statement = connection
        .prepare("select name from sqlite_master where type = 'table' order by name")
        .unwrap_or_else(|e| panic!("{e}"));
    statement
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap_or_else(|e| panic!("{e}"))
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Sessions and verification values in Redis only: the whole suite passes, the database has no
/// `session` or `verification` table, and Redis holds better-auth's keys.
#[test]
fn official_client_redis_sessions() {
    if !node_ready() {
        return;
    }
    let Some(redis) = Redis::start() else {
        return;
    };
    let project = suite_project(&redis_config(&redis, false));
    let server = project.serve_embedded();
    conformance(&project, &server);
    drop(server);
    let tables = sqlite_tables(&project.path().join("data/auth.db"));
    assert!(
        tables.iter().any(|t| t == "user")
            && !tables.iter().any(|t| t == "session" || t == "verification"),
        "{tables:?}"
    );
    // Without the tables, the suite's reset, deletion and change-email tokens went through
    // Redis too (all consumed by now).
    assert!(!redis.keys("active-sessions-*").is_empty());
}

/// Redis and the database both (`store-in-database = true`): the suite passes and both hold
/// the sessions.
#[test]
fn official_client_redis_and_database() {
    if !node_ready() {
        return;
    }
    let Some(redis) = Redis::start() else {
        return;
    };
    let project = suite_project(&redis_config(&redis, true));
    let server = project.serve_embedded();
    conformance(&project, &server);
    drop(server);
    let file = project.path().join("data/auth.db");
    let connection =
        rusqlite::Connection::open(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let sessions: i64 = connection
        .query_row("select count(*) from session", [], |row| row.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(sessions > 0);
    assert!(!redis.keys("active-sessions-*").is_empty());
}

/// The in-process storage (`kind = "memory"`) serves the whole suite.
#[test]
fn official_client_memory_sessions() {
    if !node_ready() {
        return;
    }
    let project = suite_project("\n[secondary-storage]\nkind = \"memory\"\n");
    let server = project.serve_embedded();
    conformance(&project, &server);
}

/// An HTTP/1.1 answer: status, lower-cased header lines, body.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{e}: status {} body {:?}", self.status, self.body))
    }

    /// `name=value` of the session cookie this answer sets.
    fn session_cookie(&self) -> Option<String> {
        self.headers
            .iter()
            .filter(|(name, _)| name == "set-cookie")
            .find_map(|(_, value)| {
                let pair = value.split(';').next()?.trim();
                (pair.starts_with("better-auth.session_token=") && pair.len() > 30)
                    .then(|| pair.to_owned())
            })
    }
}

/// One request on a fresh connection (`Connection: close`). A server that does not answer
/// within `HANG` fails the test: it hung.
fn request(origin: &str, method: &str, path: &str, cookie: Option<&str>, body: &str) -> Answer {
    use std::io::{Read as _, Write as _};
    const HANG: Duration = Duration::from_secs(20);
    let address = origin.strip_prefix("http://").unwrap_or(origin);
    let mut stream =
        std::net::TcpStream::connect(address).unwrap_or_else(|e| panic!("connect {address}: {e}"));
    stream
        .set_read_timeout(Some(HANG))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut head = format!(
        "{method} /api/auth{path} HTTP/1.1\r\nHost: {address}\r\nOrigin: {origin}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(cookie) = cookie {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all((head + body).as_bytes())
        .unwrap_or_else(|e| panic!("write: {e}"));
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{method} {path}: no complete answer (hung?): {e}"));
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, mut body) = raw
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_owned(), b.to_owned()))
        .unwrap_or_else(|| panic!("no HTTP answer: {raw:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        let mut decoded = String::new();
        let mut rest = body.as_str();
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if size == 0 || tail.len() < size {
                break;
            }
            decoded.push_str(&tail[..size]);
            rest = tail[size..].trim_start_matches("\r\n");
        }
        body = decoded;
    }
    Answer {
        status,
        headers,
        body,
    }
}

/// Redis stopped under a running server: get-session and sign-in answer 503 `{code, message}`
/// (no hang, no 500); once Redis is back on the same port, the same server process signs in
/// again without a restart.
#[test]
fn redis_down_is_a_503_and_recovers() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let project = suite_project(&redis_config(&redis, false));
    let server = project.serve_embedded();
    let origin = server.origin.clone();
    let credentials = r#"{"email":"down@example.com","password":"password-1234","name":"Down"}"#;
    let signed_up = request(&origin, "POST", "/sign-up/email", None, credentials);
    assert_eq!(signed_up.status, 200, "{}", signed_up.body);
    let cookie = signed_up
        .session_cookie()
        .unwrap_or_else(|| panic!("{signed_up:?}"));
    let session = request(&origin, "GET", "/get-session", Some(&cookie), "");
    assert_eq!(session.json()["user"]["email"], "down@example.com");

    redis.stop();
    let sign_in = r#"{"email":"down@example.com","password":"password-1234"}"#;
    for (method, path, cookie, body) in [
        ("GET", "/get-session", Some(cookie.as_str()), ""),
        ("POST", "/sign-in/email", None, sign_in),
    ] {
        let answer = request(&origin, method, path, cookie, body);
        assert_eq!(
            answer.status,
            503,
            "{path}: {}\n{}",
            answer.body,
            server.log()
        );
        let json = answer.json();
        assert_eq!(json["code"], "SERVICE_UNAVAILABLE", "{json}");
        assert!(
            json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{json}"
        );
    }
    // A sign-up that cannot have its session creates no user either: once Redis is back, the
    // same sign-up succeeds instead of finding the email taken.
    let newcomer = r#"{"email":"later@example.com","password":"password-1234","name":"Later"}"#;
    let refused = request(&origin, "POST", "/sign-up/email", None, newcomer);
    assert_eq!(refused.status, 503, "{}", refused.body);

    redis.restart();
    // The new Redis is empty: the old session is gone, a new sign-in works.
    let session = request(&origin, "GET", "/get-session", Some(&cookie), "");
    assert_eq!((session.status, session.body.as_str()), (200, "null"));
    let signed_in = request(&origin, "POST", "/sign-in/email", None, sign_in);
    assert_eq!(
        signed_in.status,
        200,
        "{}\n{}",
        signed_in.body,
        server.log()
    );
    let cookie = signed_in
        .session_cookie()
        .unwrap_or_else(|| panic!("{signed_in:?}"));
    let session = request(&origin, "GET", "/get-session", Some(&cookie), "");
    assert_eq!(session.json()["user"]["email"], "down@example.com");
    assert_eq!(redis.keys("active-sessions-*").len(), 1);
    let accepted = request(&origin, "POST", "/sign-up/email", None, newcomer);
    assert_eq!(accepted.status, 200, "{}", accepted.body);
}

/// The cookie cache in `strategy` between better-auth and our server on one SQLite file and one
/// secret (`tests/conformance/cookie-cache.mjs`): each one's `session_data` answers the other's
/// get-session after the session row is deleted; tampered, foreign-secret, expired and
/// other-version caches are ignored by both.
fn cookie_cache_interop(strategy: &str) {
    if !node_ready() {
        return;
    }
    let project = suite_project(&format!(
        "\n[session.cookie-cache]\nenabled = true\nstrategy = \"{strategy}\"\n"
    ));
    let file = project.path().join("shared.sqlite");
    let reference = Running::better_auth(
        &file,
        &outbox(&project),
        true,
        project.path(),
        &[("COOKIE_CACHE", strategy)],
    );
    let ours = project.serve_url(&format!("sqlite:{}", file.display()));
    let db = file.display().to_string();
    run_node(
        "cookie-cache.mjs",
        &[
            "--better-auth",
            &reference.origin,
            "--ours",
            &ours.origin,
            "--db",
            &db,
            "--strategy",
            strategy,
            "--secret",
            SECRET,
        ],
        &[&reference, &ours],
        4,
        project.path(),
    );
}

#[test]
fn cookie_cache_interop_compact() {
    cookie_cache_interop("compact");
}

#[test]
fn cookie_cache_interop_jwt() {
    cookie_cache_interop("jwt");
}

#[test]
fn cookie_cache_interop_jwe() {
    cookie_cache_interop("jwe");
}

/// The whole official-client suite with the cookie cache on (compact, better-auth's default).
#[test]
fn official_client_sqlite_cookie_cache() {
    if !node_ready() {
        return;
    }
    let project = suite_project("\n[session.cookie-cache]\nenabled = true\n");
    let server = project.serve_embedded();
    conformance_with(&project, &server, &["--cookie-cache"]);
}

/// Issue 11: a database that better-auth 1.7.25's own migrator made with two-factor and admin,
/// holding a user better-auth challenges for a second factor and has banned, is never served by
/// a configuration that leaves those plugins out (that user would sign in with a password alone):
/// `serve` and `Auth::connect` refuse it and name both plugins, on SQLite, PostgreSQL and MariaDB.
#[tokio::test]
async fn a_better_auth_database_with_sign_in_guards_is_not_served_without_them() {
    if !node_ready() {
        return;
    }
    let project = Project::new("[email-and-password]\nenabled = true\n");
    let file = project.path().join("guarded.sqlite");
    let stderr = refuses_guarded(
        &project,
        &format!("sqlite:{}", file.display()),
        Dialect::Sqlite,
    )
    .await;
    insta::assert_snapshot!(stderr);
    let Some(db) = support::Postgres::fresh("guards").await else {
        return;
    };
    refuses_guarded(&project, &db.url(), Dialect::Postgres).await;
    db.drop().await;
    let Some(db) = support::Mysql::fresh("guards").await else {
        return;
    };
    refuses_guarded(&project, &db.url(), Dialect::Mysql).await;
    db.drop().await;
}

/// better-auth's migrator with two-factor and admin on `url`, a guarded user in it; then `serve`
/// and `Auth::connect` under `project`'s auth.toml (without them), both refused. Returns serve's
/// stderr.
async fn refuses_guarded(project: &Project, url: &str, dialect: Dialect) -> String {
    let migrated = Command::new("node")
        .arg(harness().join("migrate-plugins.mjs"))
        .current_dir(harness())
        .env("DATABASE", url)
        .env("PLUGINS", "two-factor,admin")
        .env("SEED", "guarded@interop.test")
        .env("DO_NOT_TRACK", "1")
        .output()
        .unwrap_or_else(|e| panic!("node: {e}"));
    assert!(
        migrated.status.success(),
        "migrate-plugins.mjs on {url}: {}",
        String::from_utf8_lossy(&migrated.stderr)
    );

    let mut serve = Command::new(env!("CARGO_BIN_EXE_auth-cli"))
        .args(["serve", "--port", "0", "--config", &project.config_arg()])
        .args(["--database-url", url])
        .env("AUTH_SECRET", SECRET)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("auth-cli: {e}"));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = serve.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = serve.kill();
            panic!("serve started on {url}, a database whose 2FA and bans it does not enforce");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = serve.stderr.take() {
        std::io::Read::read_to_string(&mut pipe, &mut stderr).unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(!status.success(), "{stderr}");
    for plugin in ["two-factor", "admin"] {
        assert!(
            stderr.contains(&format!("add [plugins.{plugin}]")),
            "{url}: {stderr}"
        );
    }

    let config = auth_core::Config::load(project.config()).unwrap_or_else(|e| panic!("{e}"));
    let secret = auth_runtime::Secret::new(SECRET.to_owned()).unwrap_or_else(|e| panic!("{e}"));
    let options = auth_runtime::AuthOptions {
        base_url: Some("http://127.0.0.1:3000".to_owned()),
        ..auth_runtime::AuthOptions::default()
    };
    match auth_runtime::Auth::connect(config, dialect, url, secret, options).await {
        Err(auth_runtime::AuthError::Unenforced(found)) => assert_eq!(
            found.iter().map(|u| u.plugin).collect::<Vec<_>>(),
            [
                auth_core::schema::Plugin::TwoFactor,
                auth_core::schema::Plugin::Admin
            ],
            "{url}"
        ),
        Err(other) => panic!("{url}: refused for another reason: {other}"),
        Ok(_) => panic!("Auth::connect accepted {url}"),
    }
    stderr
}

/// Our error codes are better-auth 1.7.25's `BASE_ERROR_CODES`, message for message (what its
/// client shows), less the one we never answer with; the rest of ours come from better-call and
/// the request pipeline, which better-auth does not list.
#[test]
fn error_codes_are_better_auths() {
    if !node_ready() {
        return;
    }
    let output = Command::new("node")
        .args([
            "--input-type=module",
            "-e",
            "const { BASE_ERROR_CODES } = await import('@better-auth/core/error'); \
             console.log(JSON.stringify(Object.fromEntries(Object.entries(BASE_ERROR_CODES).map(([k, v]) => [k, v.message]))));",
        ])
        .current_dir(harness())
        .output()
        .unwrap_or_else(|e| panic!("node: {e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    let ours = auth_core::errors::base::BASE;
    for (code, message) in &theirs {
        match ours.iter().find(|e| e.code == code) {
            Some(error) => assert_eq!(error.message, message, "{code}"),
            // Only a schema validator that is async raises it; ours never is.
            None => assert_eq!(code, "ASYNC_VALIDATION_NOT_SUPPORTED", "{code} is missing"),
        }
    }
    let pipeline: Vec<&str> = ours
        .iter()
        .map(|e| e.code)
        .filter(|code| !theirs.contains_key(*code))
        .collect();
    // 14 with NOT_FOUND, the base path's own answer (better-auth answers it with an empty 404),
    // and NO_FIELDS_TO_UPDATE (better-auth's 400 "No fields to update" has no code).
    assert_eq!(
        pipeline.len(),
        14,
        "codes of ours outside better-auth's list: {pipeline:?}"
    );
}
