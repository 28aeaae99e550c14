//! Migration plans, case by case (`tests/migrations/<case>/{from.toml,to.toml}`), on every engine:
//! the SQL is an insta snapshot beside the case; then a database is created from `from`, seeded
//! with rows in every table (every column set), migrated, and checked: the introspected schema is
//! exactly `to`'s, and no row is lost or changed — per table, the content of every column that
//! both schemas have is identical before and after (renamed tables and columns followed).

mod support;

use std::path::PathBuf;

use auth_core::Dialect;
use auth_core::migrate::{Plan, plan};
use auth_core::schema::Schema;
use auth_core::sql::render_schema;
use support::rows::{checksum_query, seed_inserts};

struct Case {
    name: String,
    dir: PathBuf,
    from: Schema,
    to: Schema,
}

fn cases() -> Vec<Case> {
    let root = support::root().join("tests/migrations");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("to.toml").exists())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let rel = |file: &str| format!("tests/migrations/{name}/{file}");
            Case {
                from: support::schema(&rel("from.toml")),
                to: support::schema(&rel("to.toml")),
                name,
                dir,
            }
        })
        .collect()
}

fn migration(case: &Case, dialect: Dialect) -> Plan {
    plan(Some(&case.from), &case.to, dialect)
}

#[test]
fn at_least_fifteen_cases() {
    assert!(cases().len() >= 15);
}

#[test]
fn plan_snapshots() {
    for case in cases() {
        for dialect in Dialect::ALL {
            let sql = migration(&case, dialect).render(&format!("0002_{}", case.name));
            insta::with_settings!({
                snapshot_path => case.dir.clone(),
                prepend_module_to_snapshot => false,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(dialect.as_str(), sql);
            });
        }
    }
}

#[test]
fn no_change_plans_nothing() {
    for case in cases() {
        for dialect in Dialect::ALL {
            assert!(
                plan(Some(&case.to), &case.to, dialect).is_empty(),
                "{} {dialect}",
                case.name
            );
        }
    }
}

/// Per kept table (by model): (old name, old columns) and (new name, new columns) of the columns
/// both schemas have.
fn kept_columns(case: &Case) -> Vec<((String, Vec<String>), (String, Vec<String>))> {
    case.to
        .tables
        .iter()
        .filter_map(|new| {
            let old = case.from.model(&new.model)?;
            let pairs: Vec<(String, String)> = new
                .columns
                .iter()
                .filter_map(|c| {
                    let before = old
                        .field(&c.field)
                        .or_else(|| c.renamed_from.as_deref().and_then(|f| old.field(f)))?;
                    Some((before.name.clone(), c.name.clone()))
                })
                .collect();
            let (olds, news) = pairs.into_iter().unzip();
            Some(((old.name.clone(), olds), (new.name.clone(), news)))
        })
        .collect()
}

fn checksum_queries(case: &Case, dialect: Dialect, after: bool) -> Vec<(String, String)> {
    kept_columns(case)
        .into_iter()
        .map(|(before_cols, after_cols)| {
            let (table, columns) = if after { after_cols } else { before_cols };
            let refs: Vec<&str> = columns.iter().map(String::as_str).collect();
            (table.clone(), checksum_query(dialect, &table, &refs))
        })
        .collect()
}

fn sqlite_texts(connection: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut statement = connection
        .prepare(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    statement
        .query_map([], |row| row.get::<_, String>(0))
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn sqlite_checksums(
    connection: &rusqlite::Connection,
    case: &Case,
    dialect: Dialect,
    after: bool,
) -> Vec<Vec<String>> {
    checksum_queries(case, dialect, after)
        .iter()
        .map(|(_, sql)| sqlite_texts(connection, sql))
        .collect()
}

fn assert_rows_kept(case: &Case, dialect: Dialect, before: &[Vec<String>], after: &[Vec<String>]) {
    let tables = checksum_queries(case, dialect, true);
    for ((table, _), (b, a)) in tables.iter().zip(before.iter().zip(after)) {
        assert!(
            !b.is_empty(),
            "{} {dialect}: {table} was not seeded",
            case.name
        );
        assert_eq!(b, a, "{} on {dialect}: rows of {table} changed", case.name);
    }
}

/// Applies a plan on SQLite the way `migrate apply` does: one transaction, foreign keys on, and a
/// foreign-key check before commit.
fn sqlite_apply(connection: &rusqlite::Connection, sql: &str) -> Result<(), String> {
    connection
        .execute_batch("begin immediate;")
        .map_err(|e| e.to_string())?;
    let result = connection
        .execute_batch(sql)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            let violations: i64 = connection
                .query_row("select count(*) from pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })
                .map_err(|e| e.to_string())?;
            if violations == 0 {
                Ok(())
            } else {
                Err(format!("{violations} foreign key violations"))
            }
        });
    let end = if result.is_ok() {
        "commit;"
    } else {
        "rollback;"
    };
    connection.execute_batch(end).map_err(|e| e.to_string())?;
    result
}

fn seeded_sqlite(case: &Case) -> rusqlite::Connection {
    let connection = support::sqlite(&render_schema(&case.from, Dialect::Sqlite));
    for insert in seed_inserts(&case.from, Dialect::Sqlite) {
        connection
            .execute_batch(&insert)
            .unwrap_or_else(|e| panic!("{}: {insert}: {e}", case.name));
    }
    connection
}

#[test]
fn sqlite_migrations_keep_every_row() {
    for case in cases() {
        let connection = seeded_sqlite(&case);
        let before = sqlite_checksums(&connection, &case, Dialect::Sqlite, false);
        let sql = migration(&case, Dialect::Sqlite).render("0002");
        sqlite_apply(&connection, &sql).unwrap_or_else(|e| panic!("{}: {e}\n{sql}", case.name));
        let actual = support::introspect_sqlite(&connection);
        support::assert_matches_ir(&case.to, Dialect::Sqlite, &actual, &case.name);
        let after = sqlite_checksums(&connection, &case, Dialect::Sqlite, true);
        assert_rows_kept(&case, Dialect::Sqlite, &before, &after);
    }
}

fn d1_case(case: &Case) {
    let seed = seed_inserts(&case.from, Dialect::D1)
        .into_iter()
        .map(|s| s + ";\n")
        .collect::<String>();
    let mut files = vec![
        (
            "0001_create.sql".to_owned(),
            render_schema(&case.from, Dialect::D1),
        ),
        ("0002_seed.sql".to_owned(), seed),
    ];
    let seeded = support::d1::apply_d1_migrations(&files)
        .unwrap_or_else(|e| panic!("{}: seeding D1 failed:\n{e}", case.name));
    let before = {
        let connection =
            rusqlite::Connection::open(seeded.path()).unwrap_or_else(|e| panic!("{e}"));
        sqlite_checksums(&connection, case, Dialect::D1, false)
    };
    files.push((
        "0003_migrate.sql".to_owned(),
        migration(case, Dialect::D1).render("0003_migrate"),
    ));
    let migrated = support::d1::apply_d1_migrations(&files)
        .unwrap_or_else(|e| panic!("{}: wrangler d1 migrations apply failed:\n{e}", case.name));
    let connection = rusqlite::Connection::open(migrated.path()).unwrap_or_else(|e| panic!("{e}"));
    support::assert_matches_ir(
        &case.to,
        Dialect::D1,
        &support::introspect_sqlite(&connection),
        &case.name,
    );
    let after = sqlite_checksums(&connection, case, Dialect::D1, true);
    assert_rows_kept(case, Dialect::D1, &before, &after);
}

/// Every case through `wrangler d1 migrations apply --local` (two at a time: each run is mostly
/// Node starting up).
#[test]
fn d1_migrations_keep_every_row() {
    let cases = cases();
    let (even, odd): (Vec<_>, Vec<_>) = cases.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| odd.iter().for_each(|(_, case)| d1_case(case)));
        even.iter().for_each(|(_, case)| d1_case(case));
        if let Err(panic) = worker.join() {
            std::panic::resume_unwind(panic);
        }
    });
}

async fn server_migrations_keep_every_row<DB: support::Engine>() {
    let dialect = DB::DIALECT;
    for case in cases() {
        let Some(db) = support::Server::<DB>::fresh(&case.name).await else {
            return;
        };
        db.execute(&render_schema(&case.from, dialect))
            .await
            .unwrap_or_else(|e| panic!("{}: create: {e}", case.name));
        for insert in seed_inserts(&case.from, dialect) {
            db.execute(&insert)
                .await
                .unwrap_or_else(|e| panic!("{}: {insert}: {e}", case.name));
        }
        let mut before = Vec::new();
        for (_, sql) in checksum_queries(&case, dialect, false) {
            before.push(db.texts(&sql).await);
        }
        let sql = migration(&case, dialect).render("0002");
        let applied = if dialect == Dialect::Postgres {
            // PostgreSQL's DDL is transactional: the file is one transaction.
            db.execute_script(&format!("begin;\n{sql}\ncommit;")).await
        } else {
            db.execute(&sql).await
        };
        applied.unwrap_or_else(|e| panic!("{} on {dialect}: {e}\n{sql}", case.name));
        support::assert_matches_ir(&case.to, dialect, &db.introspect().await, &case.name);
        let mut after = Vec::new();
        for (_, sql) in checksum_queries(&case, dialect, true) {
            after.push(db.texts(&sql).await);
        }
        assert_rows_kept(&case, dialect, &before, &after);
        db.drop().await;
    }
}

#[tokio::test]
async fn postgres_migrations_keep_every_row() {
    server_migrations_keep_every_row::<sqlx::Postgres>().await;
}

#[tokio::test]
async fn mysql_migrations_keep_every_row() {
    server_migrations_keep_every_row::<sqlx::MySql>().await;
}
