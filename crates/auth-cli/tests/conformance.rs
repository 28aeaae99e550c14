//! better-auth's official client (`tests/conformance/conformance.mjs`, better-auth 1.7.25) against
//! `auth-cli serve` on embedded SQLite, PostgreSQL, MariaDB and with snake_case names and a renamed
//! table; and interop with the real better-auth (`reference-server.mjs`) on one shared SQLite file
//! and secret (`tests/conformance/interop.mjs`).
//!
//! Node and the npm project are required under `CI=true` (as are the database services); elsewhere
//! a test without them says SKIPPED and passes.

mod common;
#[path = "../../../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use auth_core::Dialect;
use common::{Project, Running, SECRET, tail};

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
"#;

/// B3: snake_case columns and a renamed user table, through the whole runtime.
const SNAKE: &str = "\n[database]\nnaming = \"snake\"\n\n[models.user]\ntable = \"users\"\n";

const SUITE_TIMEOUT: Duration = Duration::from_secs(600);
/// The full suite has 110 checks.
const MIN_CHECKS: u64 = 110;

fn harness() -> PathBuf {
    // `support::root()` is the package's parent folder: `crates/` here.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance")
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
                !support::ci(),
                "Node.js 20+ and tests/conformance are required under CI=true: {error}"
            );
            eprintln!("SKIPPED: Node.js or tests/conformance unavailable: {error}");
            false
        }
    }
}

impl Running {
    /// `reference-server.mjs` (real better-auth), ready at `{"url":…}`.
    fn better_auth(db_file: &Path, outbox: &Path, migrate: bool, scratch: &Path) -> Self {
        let mut command = Command::new("node");
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

/// Where the `log` mailer of the suite's configuration writes.
fn outbox(project: &Project) -> PathBuf {
    project.path().join("outbox.jsonl")
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
    let outbox = outbox(project).display().to_string();
    run_node(
        "conformance.mjs",
        &[
            "--base-url",
            &server.origin,
            "--outbox",
            &outbox,
            "--secret",
            SECRET,
        ],
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
    let project = suite_project("");
    let server = project.serve_embedded();
    conformance(&project, &server);
}

#[tokio::test]
async fn official_client_postgres() {
    let Some(db) = support::Postgres::fresh("conformance").await else {
        return;
    };
    if node_ready() {
        let project = suite_project("");
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
        let project = suite_project("");
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
    let project = suite_project(SNAKE);
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
    let reference = Running::better_auth(&file, &outbox, true, project.path());
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
