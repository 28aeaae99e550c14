//! Helpers shared by the integration tests: configurations, and fresh databases on every engine.
//!
//! PostgreSQL and MariaDB are the services on loopback (`AUTH_TEST_POSTGRES_URL`,
//! `AUTH_TEST_MYSQL_URL` override the defaults). When one is missing a test fails, naming it and
//! how to start it (`service.rs`; `AUTH_TEST_ALLOW_MISSING=1` skips instead, outside CI).

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test target uses a different subset"
)]

pub mod d1;
pub mod rows;
pub mod server;
pub mod service;
pub mod worker;

pub use service::{Service, unavailable};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::sql::DbSchema;
use auth_core::{Config, Dialect, Schema};
use sqlx::{AssertSqlSafe, Connection};

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
pub fn statements(sql: &str, dialect: Dialect) -> Vec<String> {
    auth_core::migrate::statements(sql, dialect)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|statement| statement.sql)
        .collect()
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

/// A database server the suite runs against.
pub trait Engine: sqlx::Database {
    const SERVICE: &'static Service;
    const DIALECT: Dialect;
    /// The environment variable that overrides [`Engine::DEFAULT_URL`].
    const URL_ENV: &'static str;
    /// An administrative connection to an existing database on the service.
    const DEFAULT_URL: &'static str;
    /// Appended to `drop database …` (PostgreSQL: close other sessions first).
    const DROP_SUFFIX: &'static str;

    /// Runs one statement on a fresh connection to `url`.
    fn execute_at(url: &str, sql: String) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    fn execute(
        pool: &sqlx::Pool<Self>,
        sql: String,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    fn count(
        pool: &sqlx::Pool<Self>,
        sql: String,
    ) -> impl Future<Output = Result<i64, sqlx::Error>> + Send;
    /// The first column of every row, as text.
    fn texts(
        pool: &sqlx::Pool<Self>,
        sql: String,
    ) -> impl Future<Output = Result<Vec<String>, sqlx::Error>> + Send;
    fn introspect(
        pool: &sqlx::Pool<Self>,
    ) -> impl Future<Output = Result<DbSchema, auth_runtime::introspect::IntrospectError>> + Send;
}

macro_rules! engine {
    ($db:ty, $service:path, $dialect:expr, $env:literal, $url:literal, $drop:literal, $introspect:expr) => {
        impl Engine for $db {
            const SERVICE: &'static Service = &$service;
            const DIALECT: Dialect = $dialect;
            const URL_ENV: &'static str = $env;
            const DEFAULT_URL: &'static str = $url;
            const DROP_SUFFIX: &'static str = $drop;

            async fn execute_at(url: &str, sql: String) -> Result<(), sqlx::Error> {
                let mut connection = <<$db as sqlx::Database>::Connection as Connection>::connect(url).await?;
                sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut connection).await.map(drop)
            }

            async fn execute(pool: &sqlx::Pool<Self>, sql: String) -> Result<(), sqlx::Error> {
                sqlx::raw_sql(AssertSqlSafe(sql)).execute(pool).await.map(drop)
            }

            async fn count(pool: &sqlx::Pool<Self>, sql: String) -> Result<i64, sqlx::Error> {
                sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(pool).await
            }

            async fn texts(pool: &sqlx::Pool<Self>, sql: String) -> Result<Vec<String>, sqlx::Error> {
                sqlx::query_scalar(AssertSqlSafe(sql)).fetch_all(pool).await
            }

            fn introspect(
                pool: &sqlx::Pool<Self>,
            ) -> impl Future<Output = Result<DbSchema, auth_runtime::introspect::IntrospectError>> + Send {
                ($introspect)(pool)
            }
        }
    };
}

engine!(
    sqlx::Postgres,
    service::POSTGRES,
    Dialect::Postgres,
    "AUTH_TEST_POSTGRES_URL",
    "postgres://postgres@127.0.0.1:5432/test",
    " with (force)",
    |pool| auth_runtime::introspect::postgres(pool, "public")
);
engine!(
    sqlx::MySql,
    service::MARIADB,
    Dialect::Mysql,
    "AUTH_TEST_MYSQL_URL",
    "mysql://root@127.0.0.1:3306/test",
    "",
    auth_runtime::introspect::mysql
);

/// A fresh database of its own on a server; [`Server::drop`] removes it (a failed test leaves it
/// behind for inspection).
pub struct Server<DB: Engine> {
    pub pool: sqlx::Pool<DB>,
    name: String,
    admin_url: String,
}

pub type Postgres = Server<sqlx::Postgres>;
pub type Mysql = Server<sqlx::MySql>;

impl<DB: Engine> Server<DB> {
    pub async fn fresh(label: &str) -> Option<Self> {
        let admin_url = std::env::var(DB::URL_ENV).unwrap_or_else(|_| DB::DEFAULT_URL.to_owned());
        let name = database_name(label);
        if let Err(error) =
            DB::execute_at(&admin_url, format!("drop database if exists {name}")).await
        {
            unavailable(DB::SERVICE, &error);
            return None;
        }
        DB::execute_at(&admin_url, format!("create database {name}"))
            .await
            .unwrap_or_else(|e| panic!("create database {name}: {e}"));
        let (server, _) = admin_url
            .rsplit_once('/')
            .unwrap_or_else(|| panic!("{admin_url} names no database"));
        let pool = sqlx::pool::PoolOptions::<DB>::new()
            .max_connections(2)
            .connect(&format!("{server}/{name}"))
            .await
            .unwrap_or_else(|e| panic!("connect to {name}: {e}"));
        Some(Self {
            pool,
            name,
            admin_url,
        })
    }

    /// The URL of this database (for `--database-url`).
    pub fn url(&self) -> String {
        let server = self
            .admin_url
            .rsplit_once('/')
            .map_or(self.admin_url.as_str(), |(server, _)| server);
        format!("{server}/{}", self.name)
    }

    /// Runs a generated file statement by statement.
    pub async fn execute(&self, sql: &str) -> Result<(), sqlx::Error> {
        for statement in statements(sql, DB::DIALECT) {
            DB::execute(&self.pool, statement).await?;
        }
        Ok(())
    }

    pub async fn introspect(&self) -> DbSchema {
        DB::introspect(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("introspect {}: {e}", self.name))
    }

    /// Runs a script in one round trip, on one connection (PostgreSQL: one transaction).
    pub async fn execute_script(&self, sql: &str) -> Result<(), sqlx::Error> {
        DB::execute(&self.pool, sql.to_owned()).await
    }

    /// The first column of every row, as text.
    pub async fn texts(&self, sql: &str) -> Vec<String> {
        DB::texts(&self.pool, sql.to_owned())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The first column of the first row, as an integer.
    pub async fn count(&self, sql: &str) -> i64 {
        DB::count(&self.pool, sql.to_owned())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Drops the database.
    pub async fn drop(self) {
        self.pool.close().await;
        let statement = format!("drop database if exists {}{}", self.name, DB::DROP_SUFFIX);
        let _ = DB::execute_at(&self.admin_url, statement).await;
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

/// Asserts that `actual` is exactly what `schema` predicts for `dialect`, columns in declared
/// order (a freshly created database).
pub fn assert_created_as_ir(schema: &Schema, dialect: Dialect, actual: &DbSchema, case: &str) {
    assert_matches_ir(schema, dialect, actual, case);
    let expected = auth_core::sql::expected(schema, dialect);
    let differences = expected.column_order_differences(actual);
    assert!(
        differences.is_empty(),
        "{case} on {dialect}:\n{}",
        report(&differences)
    );
}

/// Asserts that `actual` is what `schema` predicts for `dialect` (in any column order).
pub fn assert_matches_ir(schema: &Schema, dialect: Dialect, actual: &DbSchema, case: &str) {
    let expected = auth_core::sql::expected(schema, dialect);
    let differences = expected.differences(actual);
    assert!(
        differences.is_empty(),
        "{case} on {dialect}: the database differs from the IR:\n{}",
        report(&differences)
    );
}
