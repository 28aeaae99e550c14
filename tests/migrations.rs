//! Migration plans, case by case (`tests/migrations/<case>/{from.toml,to.toml}`), on every engine:
//! the SQL is an insta snapshot beside the case; then a database is created from `from`, seeded
//! with rows in every table (every column set), migrated, and checked: the introspected schema is
//! exactly `to`'s, and no row is lost or changed — per table, the content of every column that
//! both schemas have is identical before and after (renamed tables and columns followed).

use crate::support;

use std::path::PathBuf;

use auth_core::Dialect;
use auth_core::migrate::split::sql_dialect;
use auth_core::migrate::{Linter, Plan, lint, plan, statements};
use auth_core::schema::Schema;
use auth_core::sql::render_schema;
use sqlparser::parser::Parser;
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

/// A table's physical name and some of its columns.
type Columns = (String, Vec<String>);

/// Per kept table (by model): the columns both schemas have, before and after.
fn kept_columns(case: &Case) -> Vec<(Columns, Columns)> {
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

/// A copy of `template` (a local D1 database that wrangler created and migrated with nothing)
/// holding `case`'s schema and rows: both run here on the database file, and are recorded in
/// `d1_migrations` as `wrangler d1 migrations apply` records what it applies, so that wrangler
/// applies only the migration under test. One wrangler run per case instead of two.
fn seeded_d1(template: &support::d1::AppliedD1, case: &Case) -> support::d1::AppliedD1 {
    let seed = seed_inserts(&case.from, Dialect::D1)
        .into_iter()
        .map(|s| s + ";\n")
        .collect::<String>();
    let files = [
        ("0001_create.sql", render_schema(&case.from, Dialect::D1)),
        ("0002_seed.sql", seed),
    ];
    let database = template
        .fork()
        .unwrap_or_else(|e| panic!("{}: copying the D1 template: {e}", case.name));
    let connection = rusqlite::Connection::open(database.path()).unwrap_or_else(|e| panic!("{e}"));
    for (name, sql) in &files {
        connection
            .execute_batch(sql)
            .unwrap_or_else(|e| panic!("{}: {name} on D1: {e}\n{sql}", case.name));
        connection
            .execute("insert into d1_migrations (name) values (?1)", [name])
            .unwrap_or_else(|e| panic!("{}: recording {name}: {e}", case.name));
        database
            .add_migration_file(name, sql)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    }
    database
}

fn d1_case(template: &support::d1::AppliedD1, case: &Case) {
    let database = seeded_d1(template, case);
    let before = {
        let connection =
            rusqlite::Connection::open(database.path()).unwrap_or_else(|e| panic!("{e}"));
        sqlite_checksums(&connection, case, Dialect::D1, false)
    };
    database
        .apply_next(
            "0003_migrate.sql",
            &migration(case, Dialect::D1).render("0003_migrate"),
        )
        .unwrap_or_else(|e| panic!("{}: wrangler d1 migrations apply failed:\n{e}", case.name));
    let connection = rusqlite::Connection::open(database.path()).unwrap_or_else(|e| panic!("{e}"));
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
    let template = support::d1::apply_d1_migrations(&[(
        "0000_template.sql".to_owned(),
        "-- Nothing: the database the cases copy.\nSELECT 1;\n".to_owned(),
    )])
    .unwrap_or_else(|e| panic!("creating the D1 template: {e}"));
    let cases = cases();
    let (even, odd): (Vec<_>, Vec<_>) = cases.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| odd.iter().for_each(|(_, case)| d1_case(&template, case)));
        even.iter().for_each(|(_, case)| d1_case(&template, case));
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

fn schema_of(source: &str) -> Schema {
    auth_core::Config::parse("auth.toml", source)
        .and_then(|config| Schema::build(&config))
        .unwrap_or_else(|e| panic!("{e}\n{source}"))
}

/// B16 `drop-column`: SQLite and D1 cannot drop a unique column in place, so the planner rebuilds
/// `user` — the parent of `session` and `account` through `ON DELETE CASCADE`, which on D1 would
/// empty both tables when the old `user` is dropped. The rebuild keeps every child row.
#[test]
fn b16_drop_column() {
    let from = schema_of("[models.user.fields.handle]\ntype = \"string\"\nunique = true\n");
    let to = schema_of("");
    let migration = plan(Some(&from), &to, Dialect::D1);
    assert!(migration.steps.iter().any(|s| {
        s.note
            .as_deref()
            .is_some_and(|n| n.starts_with("rebuild user"))
    }));
    assert_eq!(
        migration.destructive().len(),
        1,
        "dropping handle loses its values, nothing else"
    );
    let seed: String = seed_inserts(&from, Dialect::D1)
        .into_iter()
        .map(|s| s + ";\n")
        .collect();
    let applied = support::d1::apply_d1_migrations(&[
        (
            "0001_create.sql".to_owned(),
            render_schema(&from, Dialect::D1),
        ),
        ("0002_seed.sql".to_owned(), seed),
        (
            "0003_drop_handle.sql".to_owned(),
            migration.render("0003_drop_handle"),
        ),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let connection = rusqlite::Connection::open(applied.path()).unwrap_or_else(|e| panic!("{e}"));
    for table in ["user", "session", "account", "verification"] {
        let count: i64 = connection
            .query_row(&format!("select count(*) from \"{table}\""), [], |r| {
                r.get(0)
            })
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(count, support::rows::SEED_ROWS as i64, "{table} lost rows");
    }
    support::assert_matches_ir(
        &to,
        Dialect::D1,
        &support::introspect_sqlite(&connection),
        "b16",
    );
}

/// B17 `required-on-populated`: a required column without a default cannot be added to a table
/// that holds rows. The planner says so offline, on every dialect, and (should it be forced) the
/// SQLite migration fails as a whole, leaving the database as it was.
#[test]
fn b17_required_on_populated() {
    let from = schema_of("");
    let to = schema_of("[models.user.fields.ssn]\ntype = \"string\"\nrequired = true\n");
    for dialect in Dialect::ALL {
        let migration = plan(Some(&from), &to, dialect);
        let reasons = migration.destructive();
        assert_eq!(reasons.len(), 1, "{dialect}");
        assert!(
            reasons[0].contains("user.ssn, required and without a default"),
            "{dialect}: {}",
            reasons[0]
        );
        assert!(
            migration
                .render("x")
                .contains("-- auth:destructive adds user.ssn"),
            "{dialect}"
        );
    }
    let connection = support::sqlite(&render_schema(&from, Dialect::Sqlite));
    for insert in seed_inserts(&from, Dialect::Sqlite) {
        connection
            .execute_batch(&insert)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let before = support::introspect_sqlite(&connection);
    let error = sqlite_apply(
        &connection,
        &plan(Some(&from), &to, Dialect::Sqlite).render("x"),
    );
    assert!(
        error.is_err(),
        "adding a NOT NULL column without default to a populated table must fail"
    );
    assert_eq!(
        support::introspect_sqlite(&connection),
        before,
        "a failed migration changes nothing"
    );
    // With a default it is safe, and the planner does not call it destructive.
    let with_default =
        schema_of("[models.user.fields.ssn]\ntype = \"string\"\nrequired = true\ndefault = \"\"\n");
    assert!(
        plan(Some(&from), &with_default, Dialect::Sqlite)
            .destructive()
            .is_empty()
    );
}

mod property {
    use proptest::prelude::*;

    use super::*;

    const PLUGINS: &[&str] = &[
        "two-factor",
        "admin",
        "username",
        "anonymous",
        "phone-number",
        "passkey",
        "api-key",
        "jwt",
        "device-authorization",
        "siwe",
        "sso",
    ];

    /// A random but valid `auth.toml`.
    fn config() -> impl Strategy<Value = String> {
        let field = (0..5usize, 0..4usize, any::<bool>(), any::<bool>());
        (
            any::<bool>(),
            proptest::collection::btree_set(0..PLUGINS.len(), 0..5),
            0..4usize,
            any::<bool>(),
            proptest::collection::btree_map(0..4usize, field, 0..4),
        )
            .prop_map(|(snake, plugins, organization, rename, fields)| {
                let mut toml = String::new();
                if snake {
                    toml.push_str("[database]\nnaming = \"snake\"\n");
                }
                for p in plugins {
                    toml.push_str(&format!("[plugins.{}]\n", PLUGINS[p]));
                }
                match organization {
                    1 => toml.push_str("[plugins.organization]\n"),
                    2 => toml.push_str("[plugins.organization]\nteams = true\n"),
                    3 => toml.push_str(
                        "[plugins.organization]\nteams = true\ndynamic-access-control = true\n",
                    ),
                    _ => {}
                }
                if rename {
                    toml.push_str("[models.user]\ntable = \"users\"\n");
                }
                let names = ["plan", "credits", "tags", "bio"];
                for (name, (kind, required, unique, index)) in fields {
                    let (ty, default) = [
                        ("string", "\"free\""),
                        ("number", "1"),
                        ("boolean", "false"),
                        ("date", "\"now\""),
                        ("string[]", "[]"),
                    ][kind];
                    toml.push_str(&format!(
                        "[models.user.fields.{}]\ntype = \"{ty}\"\n",
                        names[name]
                    ));
                    let unique = unique && ty != "string[]" && ty != "boolean";
                    match required {
                        // A unique field has no default (the second row would collide).
                        _ if unique => toml.push_str("unique = true\n"),
                        1 => toml.push_str(&format!("required = true\ndefault = {default}\n")),
                        2 => toml.push_str(&format!("default = {default}\n")),
                        _ => {}
                    }
                    if index && !unique && ty != "string[]" {
                        toml.push_str("index = true\n");
                    }
                }
                toml
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        /// Creating A, then applying diff(A, B), gives exactly the schema of creating B. With
        /// rows in every table of A too, unless the plan is marked destructive (a destructive step
        /// may rightly fail on rows: a new unique over duplicates, a narrower type).
        #[test]
        fn create_then_migrate_equals_create(a in config(), b in config()) {
            let (from, to) = (schema_of(&a), schema_of(&b));
            let migration = plan(Some(&from), &to, Dialect::Sqlite);
            let sql = migration.render("x");
            let seeded = migration.destructive().is_empty();
            for with_rows in [false, seeded] {
                let connection = support::sqlite(&render_schema(&from, Dialect::Sqlite));
                if with_rows {
                    for insert in seed_inserts(&from, Dialect::Sqlite) {
                        connection.execute_batch(&insert).unwrap_or_else(|e| panic!("{e}"));
                    }
                }
                if let Err(error) = sqlite_apply(&connection, &sql) {
                    panic!("{error} (rows: {with_rows})\n--- from\n{a}\n--- to\n{b}\n--- plan\n{sql}");
                }
                let expected = auth_core::sql::expected(&to, Dialect::Sqlite);
                let differences = expected.differences(&support::introspect_sqlite(&connection));
                prop_assert!(differences.is_empty(), "{}\n--- from\n{a}\n--- to\n{b}\n--- plan\n{sql}", support::report(&differences));
            }
        }
    }
}

/// B2 for migrations: D1 plans carry no transaction statements (D1 rejects them; wrangler wraps
/// each file in one batch) and never `PRAGMA foreign_keys` (a silent no-op on D1); and every
/// destructive statement is marked. That is, every plan passes `migrate lint`, on every dialect.
#[test]
fn every_plan_passes_migrate_lint() {
    for case in cases() {
        for dialect in Dialect::ALL {
            let sql = migration(&case, dialect).render("x");
            let findings = lint(&sql, dialect).unwrap_or_else(|e| panic!("{}: {e}", case.name));
            assert!(
                findings.is_empty(),
                "{} ({dialect}): {findings:?}\n{sql}",
                case.name
            );
        }
    }
}

/// Narrowing changes as `auth.toml` pairs (name, from, to): a string becoming a number, a bigint
/// a plain number, an optional field required without a default, a string made unique (on MySQL
/// `text` becomes a bounded `varchar`).
const NARROWING: [(&str, &str, &str); 4] = [
    (
        "string_to_number",
        "[models.user.fields.tag]\ntype = \"string\"\n",
        "[models.user.fields.tag]\ntype = \"number\"\n",
    ),
    (
        "bigint_to_number",
        "[models.user.fields.visits]\ntype = \"number\"\nbigint = true\n",
        "[models.user.fields.visits]\ntype = \"number\"\n",
    ),
    (
        "required_without_default",
        "[models.user.fields.plan]\ntype = \"string\"\n",
        "[models.user.fields.plan]\ntype = \"string\"\nrequired = true\n",
    ),
    (
        "string_made_unique",
        "[models.user.fields.handle]\ntype = \"string\"\n",
        "[models.user.fields.handle]\ntype = \"string\"\nunique = true\n",
    ),
];

/// The statements of a rendered plan that carry `-- auth:destructive`: line, and whether the
/// reason is a narrowing (a type change, or required without a default).
fn marked_statements(sql: &str, dialect: Dialect) -> Vec<(usize, bool)> {
    let mut previous_end = 0;
    let mut marked = Vec::new();
    for statement in statements(sql, dialect).unwrap_or_else(|e| panic!("{e}")) {
        let before = &sql[previous_end..statement.bytes.start];
        previous_end = statement.bytes.end;
        if let Some((_, reason)) = before.split_once("-- auth:destructive") {
            let narrowing = (reason.contains(" changes ")
                || reason.trim_start().starts_with("changes "))
                || reason.contains("required without a default");
            marked.push((statement.line, narrowing));
        }
    }
    marked
}

/// `migrate lint` refuses what `migrate new` marks. Linted as a folder (the `from` schema's DDL,
/// then the plan), every plan of every case and narrowing passes as written, on every dialect;
/// with its `-- auth:destructive` marks taken away, every finding is on a statement the planner
/// marked, and every narrowing the planner marked (a type change, NOT NULL without a default) is
/// found on its line.
#[test]
fn migrate_lint_refuses_what_migrate_new_marks() {
    let mut pairs: Vec<(String, Schema, Schema)> = cases()
        .into_iter()
        .map(|c| (c.name, c.from, c.to))
        .collect();
    for (name, from, to) in NARROWING {
        pairs.push((name.to_owned(), schema_of(from), schema_of(to)));
    }
    let mut narrowings = 0;
    for (name, from, to) in &pairs {
        for dialect in Dialect::ALL {
            let after_create = |sql: &str| {
                let mut linter = Linter::new(dialect);
                let created = linter
                    .file(&render_schema(from, dialect))
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(created.is_empty(), "{name} ({dialect}) create: {created:?}");
                linter.file(sql).unwrap_or_else(|e| panic!("{name}: {e}"))
            };
            let sql = plan(Some(from), to, dialect).render("0002");
            let as_planned = after_create(&sql);
            assert!(
                as_planned.is_empty(),
                "{name} ({dialect}): {as_planned:?}\n{sql}"
            );
            let marked = marked_statements(&sql, dialect);
            let unmarked = sql.replace("-- auth:destructive", "-- (no mark)");
            let findings = after_create(&unmarked);
            for finding in &findings {
                assert!(
                    marked.iter().any(|(line, _)| *line == finding.line),
                    "{name} ({dialect}): line {} is refused but not marked by the planner: {}\n{sql}",
                    finding.line,
                    finding.message
                );
            }
            for (line, narrowing) in &marked {
                if *narrowing {
                    narrowings += 1;
                    assert!(
                        findings.iter().any(|f| f.line == *line),
                        "{name} ({dialect}): the narrowing marked on line {line} is not found: {findings:?}\n{sql}"
                    );
                }
            }
        }
    }
    // string_to_number (4 dialects), bigint_to_number (PostgreSQL, MySQL),
    // required_without_default (4), string_made_unique (MySQL), at least.
    assert!(narrowings >= 11, "{narrowings}");
}

/// The generated SQL that tests keep as snapshots (schemas and migration plans), per dialect.
fn snapshot_sql() -> Vec<(String, Dialect, String)> {
    let root = support::root();
    let mut files = Vec::new();
    for dialect in Dialect::ALL {
        for case in cases() {
            files.push(case.dir.join(format!("{dialect}.snap")));
        }
        let snapshots = std::fs::read_dir(root.join("tests/snapshots"))
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                name.starts_with("schema__") && name.ends_with(&format!("__{dialect}.snap"))
            });
        files.extend(snapshots);
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // insta's header: `---`, its fields, `---`.
            let body = text
                .splitn(3, "---\n")
                .nth(2)
                .unwrap_or_else(|| panic!("{}: no insta header", path.display()));
            let dialect = Dialect::ALL
                .into_iter()
                .find(|d| path.to_string_lossy().ends_with(&format!("{d}.snap")))
                .unwrap_or_else(|| panic!("{}", path.display()));
            (path.display().to_string(), dialect, body.to_owned())
        })
        .collect()
}

/// Every statement we generate, in every snapshot, parses with sqlparser in its dialect.
#[test]
fn every_generated_statement_parses_in_its_dialect() {
    let snapshots = snapshot_sql();
    assert!(snapshots.len() >= 4 * 20, "{}", snapshots.len());
    let mut failures = Vec::new();
    let mut parsed = 0;
    for (path, dialect, sql) in snapshots {
        let statements = statements(&sql, dialect).unwrap_or_else(|e| panic!("{path}: {e}"));
        for statement in statements {
            let sql_dialect = sql_dialect(dialect);
            match Parser::parse_sql(sql_dialect.as_ref(), &statement.sql) {
                Ok(_) => parsed += 1,
                Err(error) => failures.push(format!(
                    "{path}:{}: {error}\n  {}",
                    statement.line, statement.sql
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} statements do not parse:\n{}",
        failures.len(),
        parsed + failures.len(),
        failures.join("\n")
    );
    assert!(parsed > 500, "{parsed}");
}
