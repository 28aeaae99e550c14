//! `auth-cli migrate apply`, `migrate status` and `check` run as a user runs them, against SQLite,
//! PostgreSQL and MariaDB (the services on loopback, through `tests/support`).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use auth_core::migrate::files;
use auth_core::{Config, Dialect, Schema, sql};
use auth_runtime::migrate::{MYSQL_LOCK, POSTGRES_LOCK_KEY};
use sqlx::{AssertSqlSafe, Executor as _};

const BASE: &str = "[email-and-password]\nenabled = true\n";
const WITH_PLAN: &str =
    "[email-and-password]\nenabled = true\n\n[models.user.fields.plan]\ntype = \"string\"\n";

fn auth_cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_auth-cli"));
    command.env("NO_COLOR", "1").env_remove("DATABASE_URL");
    command
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run auth-cli: {e}"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The error report as one line: miette wraps it to the terminal's width (80 columns here), at
/// spaces and after hyphens, and frames it with `×` and `│`.
fn stderr(output: &Output) -> String {
    let mut out = String::new();
    for line in String::from_utf8_lossy(&output.stderr).lines() {
        let text = line.trim().trim_start_matches(['×', '│']).trim();
        if text.is_empty() {
            continue;
        }
        if !out.is_empty() && !out.ends_with('-') {
            out.push(' ');
        }
        out.push_str(text);
    }
    out
}

/// Asserts the exit code, showing both streams when it differs.
fn expect_code(output: &Output, code: i32, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{what}\nstdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

fn schema(toml: &str) -> Schema {
    let config = Config::parse("auth.toml", toml).unwrap_or_else(|e| panic!("{e}"));
    Schema::build(&config).unwrap_or_else(|e| panic!("{e}"))
}

/// A project folder: `base.toml`, `plan.toml` (plus `user.plan`) and `migrations/<dialect>/`
/// with `0001_init` (the base schema) and `0002_add_plan`.
struct Project {
    dir: tempfile::TempDir,
    dialect: Dialect,
    url: String,
}

impl Project {
    fn new(dialect: Dialect, url: impl FnOnce(&Path) -> String) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let project = Self {
            url: url(dir.path()),
            dir,
            dialect,
        };
        project.write("base.toml", BASE);
        project.write("plan.toml", WITH_PLAN);
        project.write_migration("0001_init", &sql::render_schema(&schema(BASE), dialect));
        let q = |name: &str| dialect.quote(name);
        project.write_migration(
            "0002_add_plan",
            &format!("alter table {} add column {} text;\n", q("user"), q("plan")),
        );
        project
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    fn migration_path(&self, name: &str) -> PathBuf {
        self.path(&format!("migrations/{}/{name}.sql", self.dialect))
    }

    fn write_migration(&self, name: &str, text: &str) {
        self.write(&format!("migrations/{}/{name}.sql", self.dialect), text);
    }

    fn read_migration(&self, name: &str) -> String {
        std::fs::read_to_string(self.migration_path(name)).unwrap_or_else(|e| panic!("{e}"))
    }

    fn cli(&self, args: &[&str]) -> Output {
        let mut command = auth_cli();
        command.current_dir(self.dir.path()).args(args);
        if args.first() == Some(&"check") {
            command.args(["--database-url", &self.url]);
        } else {
            command.args(["--database-url", &self.url, "--dir", "migrations"]);
        }
        run(&mut command)
    }

    fn apply(&self) -> Output {
        self.cli(&["migrate", "apply"])
    }

    fn status(&self) -> Output {
        let output = self.cli(&["migrate", "status"]);
        expect_code(&output, 0, "migrate status");
        output
    }

    fn check(&self, config: &str, json: bool) -> Output {
        let mut args = vec!["check", "--config", config];
        if json {
            args.push("--json");
        }
        self.cli(&args)
    }
}

/// The database under test, for what the test does by hand.
enum Handle<'a> {
    Sqlite(PathBuf),
    Postgres(&'a support::Postgres),
    Mysql(&'a support::Mysql),
}

impl Handle<'_> {
    async fn execute(&self, statement: &str) {
        match self {
            Self::Sqlite(path) => sqlite_connection(path)
                .execute_batch(statement)
                .unwrap_or_else(|e| panic!("{statement}: {e}")),
            Self::Postgres(server) => server
                .execute(statement)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}")),
            Self::Mysql(server) => server
                .execute(statement)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}")),
        }
    }

    async fn count(&self, query: &str) -> i64 {
        match self {
            Self::Sqlite(path) => sqlite_connection(path)
                .query_row(query, [], |row| row.get(0))
                .unwrap_or_else(|e| panic!("{query}: {e}")),
            // count(*) is a bigint, other integers are not.
            Self::Postgres(server) => server.count(&format!("select ({query})::bigint")).await,
            Self::Mysql(server) => server.count(query).await,
        }
    }

    async fn text(&self, query: &str) -> String {
        match self {
            Self::Sqlite(path) => sqlite_connection(path)
                .query_row(query, [], |row| row.get(0))
                .unwrap_or_else(|e| panic!("{query}: {e}")),
            Self::Postgres(server) => sqlx::query_scalar(AssertSqlSafe(query.to_owned()))
                .fetch_one(&server.pool)
                .await
                .unwrap_or_else(|e| panic!("{query}: {e}")),
            Self::Mysql(server) => sqlx::query_scalar(AssertSqlSafe(query.to_owned()))
                .fetch_one(&server.pool)
                .await
                .unwrap_or_else(|e| panic!("{query}: {e}")),
        }
    }

    async fn table_exists(&self, dialect: Dialect, table: &str) -> bool {
        let query = match dialect {
            Dialect::Postgres => {
                format!("select count(*) from pg_tables where tablename = '{table}'")
            }
            Dialect::Mysql => format!(
                "select count(*) from information_schema.TABLES \
                 where TABLE_SCHEMA = database() and TABLE_NAME = '{table}'"
            ),
            _ => format!("select count(*) from sqlite_schema where name = '{table}'"),
        };
        self.count(&query).await > 0
    }
}

fn sqlite_connection(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The URL of a fresh database, from the same service URL `support` used to create it.
async fn postgres_url(server: &support::Postgres) -> String {
    let name: String = sqlx::query_scalar("select current_database()::text")
        .fetch_one(&server.pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    service_url(
        "AUTH_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
        &name,
    )
}

async fn mysql_url(server: &support::Mysql) -> String {
    let name: String = sqlx::query_scalar("select cast(database() as char)")
        .fetch_one(&server.pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    service_url(
        "AUTH_TEST_MYSQL_URL",
        "mysql://root@127.0.0.1:3306/test",
        &name,
    )
}

fn service_url(env: &str, default: &str, database: &str) -> String {
    let admin = std::env::var(env).unwrap_or_else(|_| default.to_owned());
    let (server, _) = admin
        .rsplit_once('/')
        .unwrap_or_else(|| panic!("{admin} names no database"));
    format!("{server}/{database}")
}

/// What every engine must do: apply two files, re-run idempotently, report status, pass and fail
/// `check`, and refuse an edited file without applying a pending one.
async fn apply_status_check_and_refuse(project: &Project, db: &Handle<'_>) {
    let dialect = project.dialect;
    let q = |name: &str| dialect.quote(name);

    let output = project.status();
    let text = stdout(&output);
    assert!(text.contains("0001_init      pending"), "{text}");
    assert!(text.contains("0002_add_plan  pending"), "{text}");
    assert!(text.contains("0 applied, 2 pending"), "{text}");

    let output = project.apply();
    expect_code(&output, 0, "first apply");
    let text = stdout(&output);
    let statements = files::read_sql(&project.migration_path("0001_init"), project.dialect)
        .unwrap_or_else(|e| panic!("{e}"))
        .1
        .len();
    assert!(
        text.contains(&format!("applied 0001_init ({statements} statements) in ")),
        "{text}"
    );
    assert!(
        text.contains("applied 0002_add_plan (1 statement) in "),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "applied 2 migrations ({} statements) in ",
            statements + 1
        )),
        "{text}"
    );
    let table = q("_auth_migrations");
    assert_eq!(
        db.count(&format!(
            "select count(*) from {table} where {}",
            q("complete")
        ))
        .await,
        2
    );
    assert_eq!(
        db.text(&format!(
            "select {} from {table} where {} = 1",
            q("checksum"),
            q("version")
        ))
        .await,
        files::checksum(&project.read_migration("0001_init"))
    );
    assert_eq!(
        db.count(&format!(
            "select {} from {table} where {} = 1",
            q("statements_done"),
            q("version")
        ))
        .await,
        i64::try_from(statements).unwrap_or(-1)
    );
    assert!(db.table_exists(dialect, "session").await);

    let output = project.apply();
    expect_code(&output, 0, "second apply");
    assert_eq!(
        stdout(&output),
        "nothing to apply: 2 migrations already applied\n"
    );

    let text = stdout(&project.status());
    assert!(text.contains("0001_init      applied 20"), "{text}");
    assert!(text.contains("0002_add_plan  applied 20"), "{text}");
    assert!(text.contains("2 applied, 0 pending"), "{text}");

    // check: auth.toml with `user.plan` matches; without it, the column is drift.
    let output = project.check("plan.toml", false);
    expect_code(&output, 0, "check against plan.toml");
    assert_eq!(stdout(&output), "no drift: 4 tables match plan.toml\n");
    let output = project.check("base.toml", false);
    expect_code(&output, 1, "check against base.toml");
    assert_eq!(stdout(&output), "column user.plan is not in the schema\n");
    assert!(
        stderr(&output).contains("the database differs from base.toml in 1 way"),
        "{}",
        stderr(&output)
    );
    let output = project.check("plan.toml", true);
    expect_code(&output, 0, "check --json, clean");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        json,
        serde_json::json!({ "callbacks": [], "warnings": [], "drift": [], "tables": 4 })
    );

    let index = "verification_identifier_idx";
    let drop_index = match dialect {
        Dialect::Mysql => format!("drop index {} on {}", q(index), q("verification")),
        _ => format!("drop index {}", q(index)),
    };
    db.execute(&drop_index).await;
    let output = project.check("plan.toml", true);
    expect_code(&output, 1, "check --json after dropping an index");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["tables"], 4);
    assert_eq!(json["drift"].as_array().map(Vec::len), Some(1), "{json}");
    assert_eq!(json["drift"][0]["kind"], "missing-index", "{json}");
    assert_eq!(json["drift"][0]["table"], "verification", "{json}");
    assert_eq!(json["drift"][0]["index"]["name"], index, "{json}");
    let output = project.check("plan.toml", false);
    expect_code(&output, 1, "check after dropping an index");
    assert!(
        stdout(&output).contains(&format!(
            "index {index} on verification(identifier) is missing"
        )),
        "{}",
        stdout(&output)
    );

    // An applied file edited afterwards: refused, and the pending 0003 is not applied either.
    let original = project.read_migration("0001_init");
    project.write_migration("0001_init", &format!("{original}-- edited\n"));
    project.write_migration(
        "0003_extra",
        &format!("create table {} ({} integer);\n", q("extra"), q("x")),
    );
    let output = project.apply();
    expect_code(&output, 1, "apply with an edited file");
    let err = stderr(&output);
    assert!(err.contains("refusing to apply anything"), "{err}");
    assert!(
        err.contains("0001_init.sql was edited after it was applied"),
        "{err}"
    );
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    assert!(!db.table_exists(dialect, "extra").await);
    let text = stdout(&project.status());
    assert!(
        text.contains("0001_init      edited after it was applied"),
        "{text}"
    );
    assert!(text.contains("0003_extra     pending"), "{text}");
    assert!(
        text.contains("1 applied, 1 pending, 0 partially applied, 1 refused"),
        "{text}"
    );

    // Restored, the folder applies again.
    project.write_migration("0001_init", &original);
    let output = project.apply();
    expect_code(&output, 0, "apply after restoring the file");
    assert!(
        stdout(&output).starts_with("applied 0003_extra (1 statement) in "),
        "{}",
        stdout(&output)
    );
    assert!(db.table_exists(dialect, "extra").await);
}

#[test]
fn sqlite_apply_status_check_and_refusals() {
    let project = Project::new(Dialect::Sqlite, |dir| {
        format!("sqlite:{}", dir.join("app.db").display())
    });
    let db = Handle::Sqlite(project.path("app.db"));
    block_on(apply_status_check_and_refuse(&project, &db));

    // A removed file and a file numbered below an applied one are refused too, all at once.
    std::fs::remove_file(project.migration_path("0002_add_plan")).unwrap_or_else(|e| panic!("{e}"));
    project.write_migration("0000_early", "create table \"early\" (\"x\" integer);\n");
    let output = project.apply();
    expect_code(&output, 1, "apply with a missing file");
    let err = stderr(&output);
    assert!(err.contains("(2 problems)"), "{err}");
    assert!(
        err.contains("0000_early.sql is pending but numbered below 0003_extra"),
        "{err}"
    );
    assert!(err.contains("0002_add_plan.sql was applied (20"), "{err}");
    assert!(err.contains("but is missing: restore it"), "{err}");
    let text = stdout(&project.status());
    assert!(
        text.contains("0000_early     pending, but numbered below 0003_extra"),
        "{text}"
    );
    assert!(text.contains("0002_add_plan  applied 20"), "{text}");
    assert!(text.contains("but the file is missing"), "{text}");
    assert!(
        text.contains("2 applied, 0 pending, 0 partially applied, 2 refused"),
        "{text}"
    );
    assert!(!block_on(db.table_exists(Dialect::Sqlite, "early")));
}

#[test]
fn sqlite_status_does_not_create_the_database_and_bare_paths_work() {
    let project = Project::new(Dialect::Sqlite, |dir| {
        dir.join("fresh.sqlite").display().to_string()
    });
    let text = stdout(&project.status());
    assert!(text.contains("does not exist yet"), "{text}");
    assert!(!project.path("fresh.sqlite").exists());
    let output = project.check("base.toml", false);
    expect_code(&output, 1, "check without a database");
    assert!(
        stderr(&output).contains("no such SQLite database"),
        "{}",
        stderr(&output)
    );

    // DATABASE_URL stands in for --database-url.
    let output = run(auth_cli()
        .current_dir(project.dir.path())
        .env("DATABASE_URL", &project.url)
        .args(["migrate", "apply", "--dir", "migrations"]));
    expect_code(&output, 0, "apply through DATABASE_URL");
    assert!(
        stdout(&output).contains("applied 2 migrations"),
        "{}",
        stdout(&output)
    );
    assert!(project.path("fresh.sqlite").exists());
}

#[test]
fn sqlite_rolls_back_a_failed_file_and_foreign_key_violations() {
    let project = Project::new(Dialect::Sqlite, |dir| {
        format!("sqlite://{}", dir.join("app.db").display())
    });
    std::fs::remove_file(project.migration_path("0002_add_plan")).unwrap_or_else(|e| panic!("{e}"));
    project.write_migration(
        "0002_orphan",
        "-- a session whose user does not exist, with the check deferred to the end\n\
         PRAGMA defer_foreign_keys = 1;\n\
         insert into \"user\" (\"id\", \"name\", \"email\") values ('u1', 'Ada', 'ada@example.com');\n\
         insert into \"session\" (\"id\", \"expiresAt\", \"token\", \"userId\")\n\
         values ('s1', '2030-01-01T00:00:00.000Z', 't1', 'nobody');\n",
    );
    let db = Handle::Sqlite(project.path("app.db"));
    let output = project.apply();
    expect_code(&output, 1, "apply of a file leaving an orphan");
    assert!(
        stdout(&output).starts_with("applied 0001_init ("),
        "{}",
        stdout(&output)
    );
    let err = stderr(&output);
    assert!(
        err.contains("PRAGMA foreign_key_check found 1 violation"),
        "{err}"
    );
    assert!(
        err.contains("session rowid 1: session(userId) references user(id)"),
        "{err}"
    );
    assert!(err.contains("nothing of 0002_orphan was applied"), "{err}");
    assert_eq!(block_on(db.count("select count(*) from \"user\"")), 0);
    assert_eq!(block_on(db.count("select count(*) from \"session\"")), 0);
    assert_eq!(
        block_on(db.count("select max(\"version\") from \"_auth_migrations\"")),
        1
    );
    assert!(stdout(&project.status()).contains("0002_orphan  pending"));

    // A failing statement rolls back the statements before it.
    std::fs::remove_file(project.migration_path("0002_orphan")).unwrap_or_else(|e| panic!("{e}"));
    project.write_migration(
        "0002_bad",
        "create table \"made\" (\"x\" integer);\n\ninsert into \"nope\" values (1);\n",
    );
    let output = project.apply();
    expect_code(&output, 1, "apply of a failing file");
    let err = stderr(&output);
    assert!(
        err.contains("0002_bad.sql:3: statement 2 of 2 failed: no such table: nope"),
        "{err}"
    );
    assert!(err.contains("rolled back"), "{err}");
    assert!(!block_on(db.table_exists(Dialect::Sqlite, "made")));
}

#[tokio::test]
async fn postgres_apply_status_check_refusals_and_lock() {
    let Some(server) = support::Postgres::fresh("migrate_apply").await else {
        return;
    };
    let url = postgres_url(&server).await;
    let project = Project::new(Dialect::Postgres, |_| url.clone());
    let db = Handle::Postgres(&server);

    apply_status_check_and_refuse(&project, &db).await;

    // Another run holds the lock: this one waits, then applies once it is released.
    project.write_migration(
        "0004_after_lock",
        "create table \"after_lock\" (\"x\" integer);\n",
    );
    let mut holder = server
        .pool
        .acquire()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (&mut *holder)
        .execute(sqlx::query("select pg_advisory_lock($1)").bind(POSTGRES_LOCK_KEY))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let waiting = wait_while_locked(&project);
    assert!(!db.table_exists(Dialect::Postgres, "after_lock").await);
    (&mut *holder)
        .execute(sqlx::query("select pg_advisory_unlock($1)").bind(POSTGRES_LOCK_KEY))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    drop(holder);
    let output = waiting.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    expect_code(&output, 0, "apply after the lock was released");
    assert!(
        stdout(&output).starts_with("applied 0004_after_lock (1 statement)"),
        "{}",
        stdout(&output)
    );
    assert!(db.table_exists(Dialect::Postgres, "after_lock").await);

    // A failing statement rolls back the whole file.
    project.write_migration(
        "0005_bad",
        "create table \"made\" (\"x\" integer);\ninsert into \"nope\" values (1);\n",
    );
    let output = project.apply();
    expect_code(&output, 1, "apply of a failing file");
    let err = stderr(&output);
    assert!(
        err.contains("0005_bad.sql:2: statement 2 of 2 failed: relation \"nope\" does not exist"),
        "{err}"
    );
    assert!(err.contains("nothing of 0005_bad was applied"), "{err}");
    assert!(!db.table_exists(Dialect::Postgres, "made").await);
    server.drop().await;
}

#[tokio::test]
async fn mariadb_apply_status_check_and_refusals() {
    let Some(server) = support::Mysql::fresh("migrate_apply").await else {
        return;
    };
    // mariadb:// is accepted as well as mysql://.
    let url = mysql_url(&server)
        .await
        .replacen("mysql://", "mariadb://", 1);
    let project = Project::new(Dialect::Mysql, |_| url.clone());
    apply_status_check_and_refuse(&project, &Handle::Mysql(&server)).await;
    server.drop().await;
}

#[tokio::test]
async fn mariadb_resumes_a_failed_file_after_its_last_done_statement() {
    let Some(server) = support::Mysql::fresh("migrate_resume").await else {
        return;
    };
    let url = mysql_url(&server).await;
    let project = Project::new(Dialect::Mysql, |_| url.clone());
    let db = Handle::Mysql(&server);
    std::fs::remove_file(project.migration_path("0002_add_plan")).unwrap_or_else(|e| panic!("{e}"));
    let file = "-- statement 3 needs a table that does not exist yet\n\
                create table `step_one` (`id` integer primary key, `note` text);\n\
                insert into `step_one` values (1, 'one; not two statements');\n\
                create index `later_id_idx` on `later` (`id`);\n\
                insert into `later` values (2);\n";
    project.write_migration("0002_resume", file);

    // Another run holds the lock: this one waits, then applies once it is released.
    let mut holder = server
        .pool
        .acquire()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let got: Option<i64> = sqlx::query_scalar("select cast(get_lock(?, 5) as signed)")
        .bind(MYSQL_LOCK)
        .fetch_one(&mut *holder)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, Some(1));
    let waiting = wait_while_locked(&project);
    assert!(!db.table_exists(Dialect::Mysql, "_auth_migrations").await);
    (&mut *holder)
        .execute(sqlx::query("select release_lock(?)").bind(MYSQL_LOCK))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    drop(holder);

    let output = waiting.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    expect_code(&output, 1, "apply of a file whose third statement fails");
    assert!(
        stdout(&output).starts_with("applied 0001_init ("),
        "{}",
        stdout(&output)
    );
    let err = stderr(&output);
    assert!(
        err.contains("0002_resume.sql:4: statement 3 of 4 failed: Table"),
        "{err}"
    );
    assert!(err.contains("doesn't exist"), "{err}");
    assert!(
        err.contains("statements 1-2 of 0002_resume are applied"),
        "{err}"
    );
    assert!(err.contains("resume at statement 3"), "{err}");
    assert_eq!(
        db.count("select statements_done from _auth_migrations where version = 2")
            .await,
        2
    );
    assert_eq!(
        db.count("select complete from _auth_migrations where version = 2")
            .await,
        0
    );
    let text = stdout(&project.status());
    assert!(
        text.contains("0002_resume  partially applied: 2 of 4 statements"),
        "{text}"
    );
    assert!(
        text.contains("1 applied, 0 pending, 1 partially applied"),
        "{text}"
    );

    // A re-run without fixing anything fails at the same statement, and runs nothing twice.
    let output = project.apply();
    expect_code(&output, 1, "re-run before the fix");
    assert!(
        stderr(&output).contains("statement 3 of 4 failed"),
        "{}",
        stderr(&output)
    );
    assert_eq!(db.count("select count(*) from step_one").await, 1);

    // Fixed in the database, not in the file (its checksum must still match).
    db.execute("create table `later` (`id` integer)").await;
    let output = project.apply();
    expect_code(&output, 0, "re-run after the fix");
    assert!(
        stdout(&output).starts_with("resumed 0002_resume at statement 3 (2 statements) in "),
        "{}",
        stdout(&output)
    );
    // Statements 1 and 2 ran once: a second `create table step_one` would have failed, and the
    // row would be there twice.
    assert_eq!(db.count("select count(*) from step_one").await, 1);
    assert_eq!(db.count("select count(*) from `later`").await, 1);
    assert_eq!(
        db.count("select statements_done from _auth_migrations where version = 2")
            .await,
        4
    );
    assert_eq!(
        db.count("select complete from _auth_migrations where version = 2")
            .await,
        1
    );
    let output = project.apply();
    expect_code(&output, 0, "third run");
    assert_eq!(
        stdout(&output),
        "nothing to apply: 2 migrations already applied\n"
    );
    assert!(stdout(&project.status()).contains("0002_resume  applied 20"));

    // A file whose first statement fails leaves no trace, so it may still be corrected.
    project.write_migration("0003_fixable", "insert into `absent` values (1);\n");
    let output = project.apply();
    expect_code(&output, 1, "apply of a file whose first statement fails");
    let err = stderr(&output);
    assert!(
        err.contains("0003_fixable.sql:1: statement 1 of 1 failed"),
        "{err}"
    );
    assert!(err.contains("nothing of 0003_fixable was applied"), "{err}");
    assert_eq!(
        db.count("select count(*) from _auth_migrations where version = 3")
            .await,
        0
    );
    assert!(stdout(&project.status()).contains("0003_fixable  pending"));
    project.write_migration("0003_fixable", "create table `absent` (`id` integer);\n");
    let output = project.apply();
    expect_code(&output, 0, "apply of the corrected file");
    assert!(db.table_exists(Dialect::Mysql, "absent").await);
    server.drop().await;
}

/// Statements the tokenizer must not cut: `;` inside strings, quoted names and comments, and
/// each engine's own bodies (SQLite's trigger `BEGIN … END`, PostgreSQL's dollar quotes,
/// MariaDB's compound trigger). Applied by `migrate apply`, then read back.
fn splitting_case(dialect: Dialect) -> String {
    let common = "-- a comment; with a semicolon\n\
                  create table {t} ({x} text);\n\
                  create table {log} ({x} text);\n\
                  /* a block; comment */\n";
    let body = match dialect {
        Dialect::Postgres => {
            "create function {f}() returns trigger as $body$\nbegin\n  insert into {log} values (new.{x} || ';');\n  return new;\nend;\n$body$ language plpgsql;\n\
             create trigger {tr} after insert on {t} for each row execute function {f}();\n\
             insert into {t} values ('it''s; fine'), ($$dollar; quoted$$);\n"
        }
        Dialect::Mysql => {
            "# a hash comment; too\n\
             create trigger {tr} after insert on {t} for each row begin\n  insert into {log} values (concat(new.{x}, ';'));\nend;\n\
             insert into {t} values ('it''s; fine'), ('back\\'slash; quoted');\n"
        }
        Dialect::Sqlite | Dialect::D1 => {
            "create trigger {tr} after insert on {t} begin\n  insert into {log} values (new.{x} || ';');\nend;\n\
             insert into {t} values ('it''s; fine'), ('two;; semicolons');\n"
        }
    };
    let q = |name: &str| dialect.quote(name);
    format!("{common}{body}")
        .replace("{t}", &q("split_t"))
        .replace("{log}", &q("split_log"))
        .replace("{x}", &q("x"))
        .replace("{f}", &q("split_f"))
        .replace("{tr}", &q("split_tr"))
}

async fn splitting_cases_apply(project: &Project, db: &Handle<'_>) {
    project.write_migration("0002_add_plan", &splitting_case(project.dialect));
    let output = project.apply();
    expect_code(&output, 0, "apply of the splitting cases");
    // Two tables, then a function, its trigger and the insert (PostgreSQL), or a trigger and
    // the insert.
    let count = if project.dialect == Dialect::Postgres {
        5
    } else {
        4
    };
    let applied = format!("applied 0002_add_plan ({count} statements)");
    assert!(stdout(&output).contains(&applied), "{}", stdout(&output));
    let q = |name: &str| project.dialect.quote(name);
    let (t, log, x) = (q("split_t"), q("split_log"), q("x"));
    let second = match project.dialect {
        Dialect::Postgres => "dollar; quoted",
        Dialect::Mysql => "back'slash; quoted",
        _ => "two;; semicolons",
    };
    for value in ["it's; fine", second] {
        let select = |table: &str, wanted: &str| {
            format!(
                "select count(*) from {table} where {x} = '{}'",
                wanted.replace('\'', "''")
            )
        };
        assert_eq!(db.count(&select(&t, value)).await, 1, "{value}");
        assert_eq!(
            db.count(&select(&log, &format!("{value};"))).await,
            1,
            "{value};"
        );
    }
}

#[test]
fn sqlite_splits_on_the_tokenizer() {
    let project = Project::new(Dialect::Sqlite, |dir| {
        format!("sqlite:{}", dir.join("app.db").display())
    });
    let db = Handle::Sqlite(project.path("app.db"));
    block_on(splitting_cases_apply(&project, &db));
}

#[tokio::test]
async fn postgres_splits_on_the_tokenizer() {
    let Some(server) = support::Postgres::fresh("migrate_split").await else {
        return;
    };
    let url = postgres_url(&server).await;
    let project = Project::new(Dialect::Postgres, |_| url.clone());
    splitting_cases_apply(&project, &Handle::Postgres(&server)).await;
    server.drop().await;
}

#[tokio::test]
async fn mariadb_splits_on_the_tokenizer() {
    let Some(server) = support::Mysql::fresh("migrate_split").await else {
        return;
    };
    let url = mysql_url(&server).await;
    let project = Project::new(Dialect::Mysql, |_| url.clone());
    splitting_cases_apply(&project, &Handle::Mysql(&server)).await;
    server.drop().await;
}

/// `migrate apply` runs `migrate lint` first: a refused statement applies nothing, and names its
/// file and line; `migrate lint` says the same of every dialect folder.
#[test]
fn apply_and_lint_refuse_unmarked_drops_and_d1_transactions() {
    let project = Project::new(Dialect::Sqlite, |dir| {
        format!("sqlite:{}", dir.join("app.db").display())
    });
    project.write_migration(
        "0003_drop",
        "create table \"kept\" (\"x\" text);\n\ndrop table \"account\";\n",
    );
    let output = project.apply();
    expect_code(&output, 1, "apply of an unmarked drop");
    let err = stderr(&output);
    assert!(
        err.contains("0003_drop.sql:3: drop table account loses the table"),
        "{err}"
    );
    assert!(
        !project.path("app.db").exists() || {
            let db = Handle::Sqlite(project.path("app.db"));
            !block_on(db.table_exists(Dialect::Sqlite, "kept"))
        },
        "a file was applied"
    );
    project.write(
        "migrations/d1/0001_init.sql",
        "begin;\ncreate table \"a\" (\"x\" text);\npragma foreign_keys = off;\ncommit;\n",
    );
    let output = run(auth_cli().current_dir(project.dir.path()).args([
        "migrate",
        "lint",
        "--dir",
        "migrations",
    ]));
    expect_code(&output, 1, "migrate lint");
    let err = stderr(&output);
    for expected in [
        "4 statements refused",
        "d1/0001_init.sql:1: D1 refuses",
        "d1/0001_init.sql:3: PRAGMA foreign_keys does nothing on D1",
        "d1/0001_init.sql:4: D1 refuses",
        "sqlite/0003_drop.sql:3: drop table account",
    ] {
        assert!(err.contains(expected), "{expected}:\n{err}");
    }
    std::fs::remove_file(project.migration_path("0003_drop")).unwrap_or_else(|e| panic!("{e}"));
    project.write(
        "migrations/d1/0001_init.sql",
        "-- auth:destructive drops table old\ndrop table \"old\";\n",
    );
    let output = run(auth_cli().current_dir(project.dir.path()).args([
        "migrate",
        "lint",
        "--dir",
        "migrations",
    ]));
    expect_code(&output, 0, "migrate lint of clean files");
    assert_eq!(stdout(&output), "3 migration files read, nothing refused\n");
}

/// Starts `migrate apply` while the test holds the migration lock, and checks that it is still
/// waiting a moment later.
fn wait_while_locked(project: &Project) -> std::process::Child {
    let mut child = auth_cli()
        .current_dir(project.dir.path())
        .args(["migrate", "apply", "--database-url", &project.url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(1500));
    let status = child.try_wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        status.is_none(),
        "apply did not wait for the lock: {status:?}"
    );
    child
}

fn block_on<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .block_on(future)
}

/// `migrate lint` reads each dialect folder's files in order and refuses a column narrowed without
/// `-- auth:destructive`: PostgreSQL's `alter column … type` to a narrower type and `set not null`
/// without a default, MySQL's `modify` to a bounded type, a D1 rebuild copying a nullable column
/// into a NOT NULL one without a default (judged after a baseline by its snapshot); with the marks
/// (or a default first) it passes.
#[test]
fn lint_refuses_unmarked_narrowing_changes() {
    let project = Project::new(Dialect::Postgres, |_| String::new());
    let postgres = "alter table \"user\" alter column \"plan\" type varchar(8);\n\
                    -- auth:destructive names longer than 64 characters are refused\n\
                    alter table \"user\" alter column \"name\" type varchar(64);\n\
                    alter table \"user\" alter column \"plan\" set default 'free';\n\
                    alter table \"user\" alter column \"plan\" set not null;\n\
                    alter table \"user\" alter column \"email\" type text;\n\
                    alter table \"user\" alter column \"image\" set not null;\n";
    project.write_migration("0003_narrow", postgres);
    // An adopted database: the baseline holds no statement, its snapshot the tables.
    project.write("migrations/mysql/0001_baseline.sql", "-- adopted\n");
    let snapshot = files::Snapshot::new(Dialect::Mysql, schema(BASE));
    project.write(
        "migrations/mysql/0001_baseline.json",
        &serde_json::to_string(&snapshot).unwrap_or_else(|e| panic!("{e}")),
    );
    project.write(
        "migrations/mysql/0002_narrow.sql",
        "alter table `user` modify column `image` varchar(10) null;\n",
    );
    project.write(
        "migrations/d1/0001_init.sql",
        &sql::render_schema(&schema(BASE), Dialect::D1),
    );
    let rebuild = "create table \"_new_user\" (\"id\" text not null primary key, \"image\" text not null);\n\
                   insert into \"_new_user\" (\"id\", \"image\") select \"id\", \"image\" from \"user\";\n\
                   drop table \"user\";\n\
                   alter table \"_new_user\" rename to \"user\";\n";
    project.write("migrations/d1/0002_rebuild.sql", rebuild);
    let lint = || {
        run(auth_cli().current_dir(project.dir.path()).args([
            "migrate",
            "lint",
            "--dir",
            "migrations",
        ]))
    };
    let output = lint();
    expect_code(&output, 1, "migrate lint of narrowing changes");
    let err = stderr(&output);
    for expected in [
        "4 statements refused",
        "postgres/0003_narrow.sql:1: changes user.plan from text to varchar(8)",
        "postgres/0003_narrow.sql:7: makes user.image required without a default",
        "mysql/0002_narrow.sql:1: changes user.image from text to varchar(10)",
        "d1/0002_rebuild.sql:2: makes user.image required without a default",
    ] {
        assert!(err.contains(expected), "{expected}:\n{err}");
    }

    let marked = |sql: &str, line: usize| {
        let mut lines: Vec<&str> = sql.lines().collect();
        lines.insert(line - 1, "-- auth:destructive meant");
        lines.join("\n") + "\n"
    };
    project.write_migration("0003_narrow", &marked(&marked(postgres, 7), 1));
    project.write(
        "migrations/mysql/0002_narrow.sql",
        "-- auth:destructive image is cut to 10 characters\nalter table `user` modify column `image` varchar(10) null;\n",
    );
    project.write("migrations/d1/0002_rebuild.sql", &marked(rebuild, 2));
    let output = lint();
    expect_code(&output, 0, "migrate lint of marked narrowing changes");
    assert_eq!(stdout(&output), "7 migration files read, nothing refused\n");
}
