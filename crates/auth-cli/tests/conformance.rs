//! better-auth's official client (`tests/conformance/conformance.mjs`, better-auth 1.7.25) against
//! `auth-cli serve` on embedded SQLite, PostgreSQL, MariaDB and with snake_case names and a renamed
//! table; and interop with the real better-auth (`reference-server.mjs`) on one shared SQLite file
//! and secret (`tests/conformance/interop.mjs`).
//!
//! Node and the npm project are required under `CI=true` (as are the database services); elsewhere
//! a test without them says SKIPPED and passes.

#[path = "../../../tests/support/mod.rs"]
mod support;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use auth_core::Dialect;

/// The suite's configuration (`reference-server.mjs`'s, as auth.toml); `{outbox}` is replaced.
const CONFIG: &str = r#"trusted-origins = ["http://127.0.0.1:5173", "http://localhost:3000", "https://*.example.com"]

[email-and-password]
enabled = true
reset-password = true

[mailer]
kind = "log"
path = "{outbox}"

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
"#;

/// B3: snake_case columns and a renamed user table, through the whole runtime.
const SNAKE: &str = "\n[database]\nnaming = \"snake\"\n\n[models.user]\ntable = \"users\"\n";

const SECRET: &str = "conformance-rust-secret-0123456789abcdef0123456789";
const STARTUP: Duration = Duration::from_secs(60);
const SUITE_TIMEOUT: Duration = Duration::from_secs(600);
/// The full suite has 110 checks.
const MIN_CHECKS: u64 = 110;

fn harness() -> PathBuf {
    // `support::root()` is the package's parent folder: `crates/` here.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance")
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Node and `tests/conformance/node_modules` (installed once, under a lock): true when ready;
/// fails under CI, otherwise says SKIPPED.
#[expect(clippy::print_stderr, reason = "a skipped test says so")]
fn node_ready() -> bool {
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
    match node.and_then(|()| support::d1::ensure_installed(&harness())) {
        Ok(()) => true,
        Err(error) => {
            assert!(
                !ci(),
                "Node.js 20+ and tests/conformance are required under CI=true: {error}"
            );
            eprintln!("SKIPPED: Node.js or tests/conformance unavailable: {error}");
            false
        }
    }
}

/// A server child process, killed on drop; its stderr goes to a file shown in failures.
#[derive(Debug)]
struct Running {
    child: Child,
    name: &'static str,
    stderr: PathBuf,
    /// Where the server answers, without `/api/auth`.
    origin: String,
}

impl Running {
    /// Starts `command` and waits for the stdout line `ready` turns into the origin.
    fn start(
        name: &'static str,
        command: &mut Command,
        scratch: &Path,
        ready: fn(&str) -> Option<String>,
    ) -> Self {
        let stderr = scratch.join(format!("{name}.stderr"));
        let file = std::fs::File::create(&stderr)
            .unwrap_or_else(|e| panic!("create {}: {e}", stderr.display()));
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name} ({command:?}): {e}"));
        let stdout = child
            .stdout
            .take()
            .unwrap_or_else(|| panic!("{name}: no stdout"));
        let (sender, receiver) = mpsc::channel();
        // Reads every line (so the pipe never fills), reporting the ready one.
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && let Some(origin) = ready(&line) {
                    let _ = sender.send(origin);
                    sent = true;
                }
            }
        });
        let mut running = Self {
            child,
            name,
            stderr,
            origin: String::new(),
        };
        match receiver.recv_timeout(STARTUP) {
            Ok(origin) => running.origin = origin,
            Err(error) => {
                let status = running.child.try_wait();
                panic!(
                    "{name} did not start ({error}; status {status:?})\n{}",
                    running.log()
                );
            }
        }
        running
    }

    /// `auth-cli serve`, ready at `serving http://…/api/auth on …`.
    fn ours(args: &[&str], scratch: &Path) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_auth-cli"));
        command
            .arg("serve")
            .args(args)
            .args(["--port", "0"])
            .env_remove("DATABASE_URL")
            .env_remove("BETTER_AUTH_SECRET")
            .env("AUTH_SECRET", SECRET)
            .env("NO_COLOR", "1");
        Self::start("auth-cli serve", &mut command, scratch, |line| {
            let url = line.strip_prefix("serving ")?.split_whitespace().next()?;
            Some(url.strip_suffix("/api/auth").unwrap_or(url).to_owned())
        })
    }

    /// `reference-server.mjs` (real better-auth), ready at `{"url":…}`; `cookie_cache` turns
    /// `session.cookieCache` on with that strategy.
    fn better_auth(
        db_file: &Path,
        outbox: &Path,
        migrate: bool,
        cookie_cache: Option<&str>,
        scratch: &Path,
    ) -> Self {
        let mut command = Command::new("node");
        if let Some(strategy) = cookie_cache {
            command.env("COOKIE_CACHE", strategy);
        }
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

    fn log(&self) -> String {
        let text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        format!("--- {} stderr ---\n{}", self.name, tail(&text, 200))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A temporary folder with `auth.toml` (the suite's configuration plus `extra`) and an outbox.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(extra: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("auth-conformance-")
            .tempdir()
            .unwrap_or_else(|e| panic!("{e}"));
        let project = Self { dir };
        let outbox = project.outbox();
        let config = CONFIG.replace("{outbox}", &outbox.display().to_string()) + extra;
        let path = project.config();
        std::fs::write(&path, config).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        project
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn config(&self) -> PathBuf {
        self.path().join("auth.toml")
    }

    fn outbox(&self) -> PathBuf {
        self.path().join("outbox.jsonl")
    }

    fn config_arg(&self) -> String {
        self.config().display().to_string()
    }

    /// Runs `auth-cli args…`, panicking with its output when it fails.
    fn cli(&self, args: &[&str]) {
        let output = Command::new(env!("CARGO_BIN_EXE_auth-cli"))
            .args(args)
            .current_dir(self.path())
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .output()
            .unwrap_or_else(|e| panic!("cannot run auth-cli: {e}"));
        assert!(
            output.status.success(),
            "auth-cli {args:?} failed ({})\nstdout:\n{}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// `migrate new init` for `dialect`, then `migrate apply` to `url`.
    fn migrate(&self, dialect: Dialect, url: &str) {
        let dir = self.path().join("migrations").display().to_string();
        let config = self.config_arg();
        let dialect = dialect.to_string();
        self.cli(&[
            "migrate",
            "new",
            "init",
            "--dialect",
            &dialect,
            "--config",
            &config,
            "--dir",
            &dir,
        ]);
        self.cli(&["migrate", "apply", "--database-url", url, "--dir", &dir]);
    }

    /// Serves on embedded SQLite in `<project>/data`.
    fn serve_embedded(&self) -> Running {
        let data = self.path().join("data").display().to_string();
        Running::ours(
            &["--config", &self.config_arg(), "--data-dir", &data],
            self.path(),
        )
    }

    fn serve_url(&self, url: &str) -> Running {
        Running::ours(
            &["--config", &self.config_arg(), "--database-url", url],
            self.path(),
        )
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

fn conformance_with(project: &Project, server: &Running, extra: &[&str]) {
    let outbox = project.outbox().display().to_string();
    let mut args = vec![
        "--base-url",
        &server.origin,
        "--outbox",
        &outbox,
        "--secret",
        SECRET,
    ];
    args.extend_from_slice(extra);
    run_node(
        "conformance.mjs",
        &args,
        &[server],
        MIN_CHECKS,
        project.path(),
    );
}

#[test]
fn official_client_sqlite() {
    if !node_ready() {
        return;
    }
    let project = Project::new("");
    let server = project.serve_embedded();
    conformance(&project, &server);
}

#[tokio::test]
async fn official_client_postgres() {
    let Some(db) = support::Postgres::fresh("conformance").await else {
        return;
    };
    if node_ready() {
        let project = Project::new("");
        project.migrate(Dialect::Postgres, &db.url());
        let server = project.serve_url(&db.url());
        conformance(&project, &server);
    }
    db.drop().await;
}

#[tokio::test]
async fn official_client_mysql() {
    let Some(db) = support::Mysql::fresh("conformance").await else {
        return;
    };
    if node_ready() {
        let project = Project::new("");
        project.migrate(Dialect::Mysql, &db.url());
        let server = project.serve_url(&db.url());
        conformance(&project, &server);
    }
    db.drop().await;
}

#[tokio::test]
async fn official_client_snake_naming() {
    if !node_ready() {
        return;
    }
    // Embedded SQLite: the runtime migrates it itself.
    let project = Project::new(SNAKE);
    let server = project.serve_embedded();
    conformance(&project, &server);
    drop(server);
    let tables = {
        let file = project.path().join("data/auth.db");
        let connection =
            rusqlite::Connection::open(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut statement = connection
            .prepare("select name from sqlite_master where type = 'table' order by name")
            .unwrap_or_else(|e| panic!("{e}"));
        statement
            .query_map([], |row| row.get::<_, String>(0))
            .unwrap_or_else(|e| panic!("{e}"))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert!(
        tables.iter().any(|t| t == "users") && !tables.iter().any(|t| t == "user"),
        "{tables:?}"
    );

    // PostgreSQL, schema from `migrate new` + `migrate apply`.
    let Some(db) = support::Postgres::fresh("conformance_snake").await else {
        return;
    };
    let project = Project::new(SNAKE);
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
    let project = Project::new("");
    let file = project.path().join("shared.sqlite");
    let outbox = project.outbox();
    // better-auth creates the schema, then serves.
    let reference = Running::better_auth(&file, &outbox, true, None, project.path());
    let url = format!("sqlite:{}", file.display());
    let ours = project.serve_url(&url);
    run_node(
        "interop.mjs",
        &["--better-auth", &reference.origin, "--ours", &ours.origin],
        &[&reference, &ours],
        8,
        project.path(),
    );
}

/// The cookie cache in `strategy` between better-auth and our server on one SQLite file and one
/// secret (`tests/conformance/cookie-cache.mjs`): each one's `session_data` answers the other's
/// get-session after the session row is deleted; tampered, foreign-secret, expired and
/// other-version caches are ignored by both.
fn cookie_cache_interop(strategy: &str) {
    if !node_ready() {
        return;
    }
    let project = Project::new(&format!(
        "\n[session.cookie-cache]\nenabled = true\nstrategy = \"{strategy}\"\n"
    ));
    let file = project.path().join("shared.sqlite");
    let reference = Running::better_auth(
        &file,
        &project.outbox(),
        true,
        Some(strategy),
        project.path(),
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
    let project = Project::new("\n[session.cookie-cache]\nenabled = true\n");
    let server = project.serve_embedded();
    conformance_with(&project, &server, &["--cookie-cache"]);
}
