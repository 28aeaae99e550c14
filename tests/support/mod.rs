//! Helpers shared by the integration tests: configurations, and fresh databases on every engine.
//!
//! PostgreSQL and MariaDB are the services on loopback (`AUTH_TEST_POSTGRES_URL`,
//! `AUTH_TEST_MYSQL_URL` override the defaults). When one is missing a test fails under
//! `CI=true` and is skipped, loudly, elsewhere.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test target uses a different subset"
)]

pub mod d1;
pub mod rows;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::sql::DbSchema;
use auth_core::{Config, Dialect, Schema};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A configuration from a file under the workspace root.
pub fn config(relative: &str) -> Config {
    let path = root().join(relative);
    match Config::load(&path) {
        Ok(config) => config,
        Err(error) => panic!("{error}\nhelp: {:?}", error.help()),
    }
}

/// The schema of a configuration file under the workspace root.
pub fn schema(relative: &str) -> Schema {
    let config = config(relative);
    match Schema::build(&config) {
        Ok(schema) => schema,
        Err(error) => panic!("{error}\nhelp: {:?}", error.help()),
    }
}

/// Statements of a generated file, without comments (for engines that take one at a time).
pub fn statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(";\n")
        .map(|s| s.trim().trim_end_matches(';').trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Fails under CI, otherwise says why the test does nothing.
#[expect(clippy::print_stderr, reason = "a skipped test says so")]
fn unavailable(service: &str, error: &dyn std::fmt::Display) {
    assert!(
        !ci(),
        "{service} is required under CI=true but unavailable: {error}"
    );
    eprintln!("SKIPPED: {service} unavailable: {error}");
}

static SEQUENCE: AtomicUsize = AtomicUsize::new(0);

/// A database name unique to this process and call.
pub fn database_name(label: &str) -> String {
    let label: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "auth_t_{label}_{}_{}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh PostgreSQL database, dropped when the guard is dropped.
pub struct Postgres {
    pub pool: sqlx::PgPool,
    name: String,
    admin_url: String,
}

impl Postgres {
    pub async fn fresh(label: &str) -> Option<Self> {
        let admin_url = std::env::var("AUTH_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
            Ok(admin) => admin,
            Err(error) => {
                unavailable("PostgreSQL", &error);
                return None;
            }
        };
        let name = database_name(label);
        sqlx::raw_sql(AssertSqlSafe(format!("drop database if exists {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("drop database {name}: {e}"));
        sqlx::raw_sql(AssertSqlSafe(format!("create database {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("create database {name}: {e}"));
        let options: sqlx::postgres::PgConnectOptions = admin_url
            .parse()
            .unwrap_or_else(|e| panic!("bad url {admin_url}: {e}"));
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options.database(&name).disable_statement_logging())
            .await
            .unwrap_or_else(|e| panic!("connect to {name}: {e}"));
        Some(Self {
            pool,
            name,
            admin_url,
        })
    }

    pub async fn execute(&self, sql: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&self.pool)
            .await
            .map(drop)
    }

    pub async fn introspect(&self) -> DbSchema {
        auth_runtime::introspect::postgres(&self.pool, "public")
            .await
            .unwrap_or_else(|e| panic!("introspect {}: {e}", self.name))
    }

    /// Drops the database (call at the end of a test; a failed test leaves it for inspection).
    pub async fn drop(self) {
        self.pool.close().await;
        if let Ok(mut admin) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::raw_sql(AssertSqlSafe(format!(
                "drop database if exists {} with (force)",
                self.name
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

/// A fresh MariaDB/MySQL database.
pub struct Mysql {
    pub pool: sqlx::MySqlPool,
    name: String,
    admin_url: String,
}

impl Mysql {
    pub async fn fresh(label: &str) -> Option<Self> {
        let admin_url = std::env::var("AUTH_TEST_MYSQL_URL")
            .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned());
        let mut admin = match sqlx::MySqlConnection::connect(&admin_url).await {
            Ok(admin) => admin,
            Err(error) => {
                unavailable("MySQL/MariaDB", &error);
                return None;
            }
        };
        let name = database_name(label);
        sqlx::raw_sql(AssertSqlSafe(format!("drop database if exists {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("drop database {name}: {e}"));
        sqlx::raw_sql(AssertSqlSafe(format!("create database {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("create database {name}: {e}"));
        let options: sqlx::mysql::MySqlConnectOptions = admin_url
            .parse()
            .unwrap_or_else(|e| panic!("bad url {admin_url}: {e}"));
        let pool = sqlx::mysql::MySqlPoolOptions::new()
            .max_connections(2)
            .connect_with(options.database(&name).disable_statement_logging())
            .await
            .unwrap_or_else(|e| panic!("connect to {name}: {e}"));
        Some(Self {
            pool,
            name,
            admin_url,
        })
    }

    /// Runs statements one at a time (MySQL's DDL is not transactional anyway).
    pub async fn execute(&self, sql: &str) -> Result<(), sqlx::Error> {
        for statement in statements(sql) {
            sqlx::raw_sql(AssertSqlSafe(statement))
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    pub async fn introspect(&self) -> DbSchema {
        auth_runtime::introspect::mysql(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("introspect {}: {e}", self.name))
    }

    pub async fn drop(self) {
        self.pool.close().await;
        if let Ok(mut admin) = sqlx::MySqlConnection::connect(&self.admin_url).await {
            let _ = sqlx::raw_sql(AssertSqlSafe(format!(
                "drop database if exists {}",
                self.name
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

/// An in-memory SQLite database with foreign keys enforced, holding `sql`.
pub fn sqlite(sql: &str) -> rusqlite::Connection {
    let connection =
        rusqlite::Connection::open_in_memory().unwrap_or_else(|e| panic!("open sqlite: {e}"));
    connection
        .execute_batch("pragma foreign_keys = on;")
        .unwrap_or_else(|e| panic!("pragma: {e}"));
    connection
        .execute_batch(sql)
        .unwrap_or_else(|e| panic!("sqlite rejected the schema: {e}\n{sql}"));
    connection
}

pub fn introspect_sqlite(connection: &rusqlite::Connection) -> DbSchema {
    auth_runtime::introspect::sqlite(connection)
        .unwrap_or_else(|e| panic!("introspect sqlite: {e}"))
}

/// Renders the differences for an assertion message.
pub fn report(differences: &[auth_core::sql::Difference]) -> String {
    differences
        .iter()
        .map(|d| format!("  - {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts that `actual` is exactly what `schema` predicts for `dialect`.
pub fn assert_matches_ir(schema: &Schema, dialect: Dialect, actual: &DbSchema, case: &str) {
    let expected = auth_core::sql::expected(schema, dialect);
    let differences = expected.differences(actual);
    assert!(
        differences.is_empty(),
        "{case} on {dialect}: the database differs from the IR:\n{}",
        report(&differences)
    );
}
