//! `auth-cli generate`'s SQL, per configuration and dialect: an insta snapshot of the text, then
//! executed on the real engine (SQLite in process, workerd's D1 through wrangler, PostgreSQL,
//! MariaDB) and the introspected result compared with what the Schema IR predicts: tables,
//! columns, types, nullability, defaults, primary keys, indexes and foreign keys.

use crate::support;

use auth_core::sql::render_schema;
use auth_core::{Dialect, Schema};

/// (case, configuration file under the workspace root).
const CASES: &[(&str, &str)] = &[
    ("core", "examples/quickstart/auth.toml"),
    ("full", "examples/full/auth.toml"),
    ("snake", "tests/fixtures/schemas/snake.toml"),
    ("uuid", "tests/fixtures/schemas/uuid.toml"),
    ("serial", "tests/fixtures/schemas/serial.toml"),
];

fn cases() -> impl Iterator<Item = (&'static str, Schema)> {
    CASES
        .iter()
        .map(|(case, path)| (*case, support::schema(path)))
}

#[test]
fn sql_snapshots() {
    for (case, schema) in cases() {
        for dialect in Dialect::ALL {
            insta::assert_snapshot!(
                format!("{case}__{dialect}"),
                render_schema(&schema, dialect)
            );
        }
    }
}

/// The IR itself, for review: every table, column and flag of the full plugin set.
#[test]
fn full_schema_ir_snapshot() {
    insta::assert_json_snapshot!("full__ir", support::schema("examples/full/auth.toml"));
}

#[test]
fn generation_is_deterministic() {
    for (case, schema) in cases() {
        for dialect in Dialect::ALL {
            let again = support::schema(CASES.iter().find(|(c, _)| *c == case).map_or("", |c| c.1));
            assert_eq!(
                render_schema(&schema, dialect),
                render_schema(&again, dialect),
                "{case}"
            );
        }
    }
}

#[test]
fn sqlite_executes_every_case() {
    for (case, schema) in cases() {
        let connection = support::sqlite(&render_schema(&schema, Dialect::Sqlite));
        let actual = support::introspect_sqlite(&connection);
        support::assert_created_as_ir(&schema, Dialect::Sqlite, &actual, case);
        let violations: i64 = connection
            .query_row("select count(*) from pragma_foreign_key_check", [], |row| {
                row.get(0)
            })
            .unwrap_or_else(|e| panic!("foreign_key_check: {e}"));
        assert_eq!(violations, 0);
    }
}

#[test]
fn d1_executes_every_case() {
    for (case, schema) in cases() {
        let sql = render_schema(&schema, Dialect::D1);
        let applied = support::d1::apply_d1_migrations(&[("0001_init.sql".to_owned(), sql)])
            .unwrap_or_else(|e| panic!("{case}: wrangler d1 migrations apply failed:\n{e}"));
        let connection = rusqlite::Connection::open(applied.path())
            .unwrap_or_else(|e| panic!("open D1 file: {e}"));
        let actual = support::introspect_sqlite(&connection);
        support::assert_created_as_ir(&schema, Dialect::D1, &actual, case);
    }
}

async fn executes_every_case<DB: support::Engine>() {
    for (case, schema) in cases() {
        let Some(db) = support::Server::<DB>::fresh(case).await else {
            return;
        };
        let sql = render_schema(&schema, DB::DIALECT);
        db.execute(&sql)
            .await
            .unwrap_or_else(|e| panic!("{case}: {} rejected the schema: {e}", DB::SERVICE.name));
        support::assert_created_as_ir(&schema, DB::DIALECT, &db.introspect().await, case);
        db.drop().await;
    }
}

#[tokio::test]
async fn postgres_executes_every_case() {
    executes_every_case::<sqlx::Postgres>().await;
}

#[tokio::test]
async fn mysql_executes_every_case() {
    executes_every_case::<sqlx::MySql>().await;
}

/// The D1 output is what wrangler and D1 accept: no transaction statements (D1 rejects them),
/// no `PRAGMA foreign_keys` (a silent no-op there), nothing else D1 forbids.
#[test]
fn d1_output_has_no_forbidden_statements() {
    const FORBIDDEN: &[&str] = &[
        "begin",
        "commit",
        "rollback",
        "savepoint",
        "release",
        "pragma",
        "attach",
        "vacuum",
        "temp",
        "temporary",
    ];
    for (case, schema) in cases() {
        let sql = render_schema(&schema, Dialect::D1);
        for statement in support::statements(&sql, Dialect::D1) {
            let keywords = keywords(&statement);
            for word in FORBIDDEN {
                assert!(
                    !keywords.contains(&word.to_string()),
                    "{case}: D1 output uses `{word}`: {statement}"
                );
            }
            assert!(
                !statement.contains("\"_cf_"),
                "{case}: reserved _cf_ name in {statement}"
            );
        }
    }
}

/// The lower-cased words of a statement outside quoted identifiers and string literals.
fn keywords(statement: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    for c in statement.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' || c == '`' => quote = Some(c),
            None if c.is_ascii_alphanumeric() || c == '_' => current.push(c.to_ascii_lowercase()),
            None => words.push(std::mem::take(&mut current)),
        }
    }
    words.push(current);
    words.retain(|w| !w.is_empty());
    words
}
