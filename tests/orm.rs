//! `auth-cli generate --target drizzle|prisma|kysely`: snapshots of the quickstart and the full
//! configuration in both namings, and each artifact proven with the ORM's own tools:
//! - Drizzle: drizzle-kit's `generate` on our Drizzle schema writes SQL that, applied to a fresh
//!   SQLite, PostgreSQL and MariaDB database, creates exactly the schema our own DDL creates
//!   (introspected: tables, columns in order, types, nullability, defaults, keys, indexes,
//!   references); the modules type-check with `tsc --strict`; and better-auth 1.7.25's own
//!   `drizzleAdapter` signs up, signs in and reads sessions through it on SQLite (sql.js),
//!   PostgreSQL and MariaDB with snake_case and renamed tables, nothing mapped in better-auth's
//!   options; on SQLite our own runtime then signs the user in from what better-auth wrote.
//! - Prisma: Prisma's schema engine (wasm, no engine download) validates the schema and maps every
//!   model and field to the IR's physical table and column; on PostgreSQL its own migration SQL
//!   (`migrate diff` from empty) creates exactly the schema our DDL creates.
//! - Kysely: `tsc --strict` type-checks a select of every column and an insert of every required
//!   column of every table against the `Database` interface, and rejects a logical name where the
//!   physical one differs; better-auth's Kysely adapter, given those names, signs up and in.
//!
//! None of these skips: without node or the npm packages of tests/js they fail (PostgreSQL and
//! MariaDB as the rest of the suite: required in CI).

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use auth_cli::{Command as Cli, GenerateOpt, Opt, Target};

use auth_core::emit::Templates;
use auth_core::schema::{FieldType, IdStrategy, Naming};
use auth_core::sql::{DbSchema, render_schema};
use auth_core::{Dialect, Schema};
use support::Engine;

fn drizzle(schema: &Schema, dialect: Dialect) -> String {
    auth_core::emit::drizzle(schema, dialect, &Templates::embedded())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn prisma(schema: &Schema, dialect: Dialect) -> String {
    auth_core::emit::prisma(schema, dialect, &Templates::embedded())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn kysely(schema: &Schema, dialect: Dialect) -> String {
    auth_core::emit::kysely(schema, dialect, &Templates::embedded())
        .unwrap_or_else(|e| panic!("{e}"))
}

const EXAMPLES: [(&str, &str); 2] = [
    ("quickstart", "examples/quickstart/auth.toml"),
    ("full", "examples/full/auth.toml"),
];

/// The examples in both namings, and the fixtures with renamed tables and columns, a reference
/// cycle, additional fields of every type, UUID and serial ids.
fn cases() -> Vec<(String, Schema)> {
    let mut out = Vec::new();
    for (case, path) in EXAMPLES {
        for naming in [Naming::Camel, Naming::Snake] {
            out.push((
                format!("{case}_{naming:?}").to_lowercase(),
                schema(path, naming),
            ));
        }
    }
    for case in ["snake", "uuid", "serial"] {
        out.push((
            case.to_owned(),
            support::schema(&format!("tests/fixtures/schemas/{case}.toml")),
        ));
    }
    out
}

fn schema(path: &str, naming: Naming) -> Schema {
    let mut config = support::config(path);
    config.database.naming = naming;
    Schema::build(&config).unwrap_or_else(|e| panic!("{e}"))
}

const DIALECTS: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql];

#[test]
fn snapshots() {
    for (case, path) in EXAMPLES {
        for naming in [Naming::Camel, Naming::Snake] {
            let schema = schema(path, naming);
            let naming = format!("{naming:?}").to_lowercase();
            for dialect in DIALECTS {
                insta::assert_snapshot!(
                    format!("{case}_{naming}__drizzle_{dialect}"),
                    drizzle(&schema, dialect)
                );
                insta::assert_snapshot!(
                    format!("{case}_{naming}__prisma_{dialect}"),
                    prisma(&schema, dialect)
                );
                insta::assert_snapshot!(
                    format!("{case}_{naming}__kysely_{dialect}"),
                    kysely(&schema, dialect)
                );
            }
        }
    }
}

/// The CLI writes what the emitters return, and asks for a dialect.
#[test]
fn cli_generates_each_target() {
    let config = support::root().join("examples/full/auth.toml");
    let expected = schema("examples/full/auth.toml", Naming::Camel);
    for (target, text, name) in [
        (
            "drizzle",
            drizzle(&expected, Dialect::Postgres),
            Target::Drizzle,
        ),
        (
            "prisma",
            prisma(&expected, Dialect::Postgres),
            Target::Prisma,
        ),
        (
            "kysely",
            kysely(&expected, Dialect::Postgres),
            Target::Kysely,
        ),
    ] {
        let generate = |dialect| {
            Opt::from(Cli::Generate(GenerateOpt {
                target: name,
                dialect,
                config: config.clone(),
                out: None,
                templates: None,
            }))
        };
        let mut out = Vec::new();
        auth_cli::run(generate(Some(Dialect::Postgres)), &mut out)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(String::from_utf8_lossy(&out), text, "{target}");
        let error = auth_cli::run(generate(None), &mut Vec::new())
            .map_or_else(|e| e.to_string(), |()| String::new());
        assert_eq!(
            error,
            format!("--target {target} needs --dialect sqlite|d1|postgres|mysql")
        );
    }
}

/// `--templates DIR`: a template of the same name replaces the built-in one, the others stay; a
/// broken one is a typed error naming it.
#[test]
fn templates_can_be_overridden() {
    let config = support::root().join("examples/quickstart/auth.toml");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let generate = |target| {
        let mut out = Vec::new();
        auth_cli::run(
            Opt::from(Cli::Generate(GenerateOpt {
                target,
                dialect: Some(Dialect::Sqlite),
                config: config.clone(),
                out: None,
                templates: Some(dir.path().to_owned()),
            })),
            &mut out,
        )
        .map(|()| String::from_utf8_lossy(&out).into_owned())
        .map_err(|e| e.to_string())
    };
    std::fs::write(
        dir.path().join("kysely.ts.jinja"),
        "{% for table in tables %}{{ table.key }}={{ table.interface }}\n{% endfor %}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        generate(Target::Kysely).as_deref(),
        Ok(
            "user=UserTable\nsession=SessionTable\naccount=AccountTable\nverification=VerificationTable\n"
        )
    );
    let expected = schema("examples/quickstart/auth.toml", Naming::Camel);
    assert_eq!(
        generate(Target::Drizzle),
        Ok(drizzle(&expected, Dialect::Sqlite))
    );
    std::fs::write(
        dir.path().join("schema.prisma.jinja"),
        "{% for model in models %}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let error = generate(Target::Prisma).err().unwrap_or_default();
    assert!(
        error.starts_with("template schema.prisma.jinja: "),
        "a broken template: {error:?}"
    );
}

fn js() -> PathBuf {
    let dir = support::root().join("tests/js");
    support::d1::ensure_installed(&dir).unwrap_or_else(|e| panic!("npm ci in tests/js: {e}"));
    dir
}

/// A scratch folder that resolves tests/js's packages.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(js().join("node_modules"), dir.path().join("node_modules"))
        .unwrap_or_else(|e| panic!("{e}"));
    dir
}

fn node(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("node")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("node: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(text)
    }
}

/// The SQL drizzle-kit's `generate` writes for our Drizzle module.
fn drizzle_kit(schema: &Schema, dialect: Dialect) -> String {
    let dir = scratch();
    std::fs::write(dir.path().join("schema.ts"), drizzle(schema, dialect))
        .unwrap_or_else(|e| panic!("{e}"));
    let kit_dialect = match dialect {
        Dialect::Sqlite | Dialect::D1 => "sqlite",
        Dialect::Postgres => "postgresql",
        Dialect::Mysql => "mysql",
    };
    node(
        dir.path(),
        &[
            "node_modules/drizzle-kit/bin.cjs",
            "generate",
            "--dialect",
            kit_dialect,
            "--schema",
            "./schema.ts",
            "--out",
            "./out",
        ],
    )
    .unwrap_or_else(|e| panic!("drizzle-kit generate on {dialect}: {e}"));
    let sql = std::fs::read_dir(dir.path().join("out"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "sql"))
        .unwrap_or_else(|| panic!("drizzle-kit wrote no SQL"));
    std::fs::read_to_string(sql).unwrap_or_else(|e| panic!("{e}"))
}

/// drizzle-kit's statements, one per entry.
fn statements(sql: &str) -> Vec<String> {
    sql.split("--> statement-breakpoint")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn assert_same(ours: &DbSchema, theirs: &DbSchema, case: &str) {
    let mut differences = ours.differences(theirs);
    differences.extend(ours.column_order_differences(theirs));
    assert!(
        differences.is_empty(),
        "{case}: the database differs from the one our DDL creates:\n{}",
        support::report(&differences)
    );
}

/// drizzle-kit writes a column's `unique` on SQLite as a named `create unique index`, never inline
/// (whose index SQLite names `sqlite_autoindex_<table>_<n>`): the same constraint under another
/// name, which the IR compares by shape too. Every other index keeps its name.
fn unnamed_uniques(db: &DbSchema) -> DbSchema {
    let mut db = db.clone();
    for table in db.tables.values_mut() {
        table.indexes = std::mem::take(&mut table.indexes)
            .into_iter()
            .map(|mut index| {
                let generated = index.name.as_deref().is_some_and(|name| {
                    name.starts_with("sqlite_autoindex_") || name.ends_with("_key")
                });
                if index.unique && index.columns.len() == 1 && generated {
                    index.name = None;
                }
                index
            })
            .collect();
    }
    db
}

#[test]
fn drizzle_kit_creates_our_schema_on_sqlite() {
    for (case, schema) in cases() {
        let sql = drizzle_kit(&schema, Dialect::Sqlite);
        let theirs = support::introspect_sqlite(&support::sqlite(&sql));
        let ours =
            support::introspect_sqlite(&support::sqlite(&render_schema(&schema, Dialect::Sqlite)));
        assert_same(&unnamed_uniques(&ours), &unnamed_uniques(&theirs), &case);
        support::assert_created_as_ir(&schema, Dialect::Sqlite, &theirs, &case);
    }
}

async fn drizzle_kit_creates_our_schema<DB: Engine>() {
    for (case, schema) in cases() {
        let sql = drizzle_kit(&schema, DB::DIALECT);
        let Some(theirs) = support::Server::<DB>::fresh(&format!("drizzle_{case}")).await else {
            return;
        };
        for statement in statements(&sql) {
            DB::execute(&theirs.pool, statement.clone())
                .await
                .unwrap_or_else(|e| panic!("{case}: {statement}: {e}"));
        }
        let Some(ours) = support::Server::<DB>::fresh(&format!("ours_{case}")).await else {
            return;
        };
        ours.execute(&render_schema(&schema, DB::DIALECT))
            .await
            .unwrap_or_else(|e| panic!("{case}: our DDL: {e}"));
        let (expected, actual) = (ours.introspect().await, theirs.introspect().await);
        assert_same(&expected, &actual, &case);
        support::assert_created_as_ir(&schema, DB::DIALECT, &actual, &case);
        ours.drop().await;
        theirs.drop().await;
    }
}

#[tokio::test]
async fn drizzle_kit_creates_our_schema_on_postgres() {
    drizzle_kit_creates_our_schema::<sqlx::Postgres>().await;
}

#[tokio::test]
async fn drizzle_kit_creates_our_schema_on_mariadb() {
    drizzle_kit_creates_our_schema::<sqlx::MySql>().await;
}

/// `tsc --strict --noEmit` over `files` (name, text) in one scratch folder.
fn tsc(files: &[(String, String)]) -> Result<(), String> {
    let dir = scratch();
    let mut args = vec![
        "node_modules/typescript/bin/tsc".to_owned(),
        "--strict".into(),
        "--noEmit".into(),
        "--skipLibCheck".into(),
        "--target".into(),
        "es2022".into(),
        "--module".into(),
        "nodenext".into(),
        "--moduleResolution".into(),
        "nodenext".into(),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"));
        args.push(name.clone());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    node(dir.path(), &args).map(drop)
}

#[test]
fn drizzle_modules_type_check() {
    let mut files = Vec::new();
    for (case, schema) in cases() {
        for dialect in DIALECTS {
            files.push((format!("{case}_{dialect}.ts"), drizzle(&schema, dialect)));
        }
    }
    tsc(&files).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn prisma_validates_and_maps_to_the_physical_names() {
    let dir = scratch();
    let validator = js().join("validate-prisma.mjs").display().to_string();
    for (case, schema) in cases() {
        for dialect in DIALECTS {
            let file = dir.path().join("schema.prisma");
            std::fs::write(&file, prisma(&schema, dialect)).unwrap_or_else(|e| panic!("{e}"));
            let reply = node(dir.path(), &[&validator, "schema.prisma"])
                .unwrap_or_else(|e| panic!("{case} on {dialect}: Prisma rejects the schema: {e}"));
            let models: serde_json::Value =
                serde_json::from_str(&reply).unwrap_or_else(|e| panic!("{e}: {reply}"));
            let mut expected = serde_json::Map::new();
            for table in &schema.tables {
                let columns: serde_json::Map<String, serde_json::Value> = table
                    .columns
                    .iter()
                    .map(|c| (c.field.clone(), c.name.clone().into()))
                    .collect();
                expected.insert(
                    heck::ToUpperCamelCase::to_upper_camel_case(table.model.as_str()),
                    serde_json::json!({ "table": table.name, "columns": columns }),
                );
            }
            assert_eq!(
                models,
                serde_json::Value::Object(expected),
                "{case} on {dialect}"
            );
        }
    }
}

/// A TypeScript value a column accepts, as the Kysely interface types it for `dialect`.
fn value(schema: &Schema, column: &auth_core::schema::Column, dialect: Dialect) -> &'static str {
    let id = column.primary_key
        || column.references.as_ref().is_some_and(|r| {
            schema
                .table(&r.table)
                .and_then(|t| t.column(&r.column))
                .is_some_and(|c| c.primary_key)
        });
    if id {
        return if schema.id == IdStrategy::Serial {
            "1"
        } else {
            "\"id\""
        };
    }
    match (column.ty, dialect) {
        (FieldType::String, _) => "\"text\"",
        (FieldType::Number, _) => "1",
        (FieldType::Boolean, Dialect::Postgres) => "true",
        (FieldType::Boolean, _) => "1",
        (FieldType::Date, Dialect::Postgres | Dialect::Mysql) => "new Date()",
        (_, Dialect::Sqlite | Dialect::D1) => "\"2026-01-01T00:00:00.000Z\"",
        (_, _) => "{}",
    }
}

/// A module selecting every column and inserting every required column of every table.
fn kysely_queries(schema: &Schema, dialect: Dialect, module: &str) -> String {
    let mut out = format!(
        "import {{ Kysely }} from \"kysely\";\nimport type {{ Database }} from \"./{module}.js\";\n\
         declare const db: Kysely<Database>;\nexport async function queries() {{\n"
    );
    for table in &schema.tables {
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|c| serde_json::Value::from(c.name.as_str()).to_string())
            .collect();
        let name = serde_json::Value::from(table.name.as_str());
        out.push_str(&format!(
            "  await db.selectFrom({name}).select([{}]).execute();\n",
            columns.join(", ")
        ));
        let values: Vec<String> = table
            .columns
            .iter()
            .filter(|c| {
                c.required
                    && c.default.is_none()
                    && !(c.primary_key && schema.id != IdStrategy::Text)
            })
            .map(|c| format!("{:?}: {}", c.name, value(schema, c, dialect)))
            .collect();
        out.push_str(&format!(
            "  await db.insertInto({name}).values({{ {} }}).execute();\n",
            values.join(", ")
        ));
    }
    out.push_str("}\n");
    out
}

#[test]
fn kysely_interfaces_type_check_against_queries_over_every_table() {
    let mut files = Vec::new();
    for (case, schema) in cases() {
        for dialect in DIALECTS {
            let module = format!("{case}_{dialect}");
            files.push((format!("{module}.ts"), kysely(&schema, dialect)));
            files.push((
                format!("{module}_queries.ts"),
                kysely_queries(&schema, dialect, &module),
            ));
        }
    }
    tsc(&files).unwrap_or_else(|e| panic!("{e}"));
}

/// The check can fail: with `naming = "snake"` a logical column name is not in the interface,
/// and an insert without a required column does not compile.
#[test]
fn kysely_interfaces_reject_logical_names_and_missing_columns() {
    let schema = schema("examples/quickstart/auth.toml", Naming::Snake);
    let module = kysely(&schema, Dialect::Postgres);
    let mut wrong: BTreeMap<&str, &str> = BTreeMap::new();
    wrong.insert(
        "logical",
        "await db.selectFrom(\"user\").select([\"emailVerified\"]).execute();",
    );
    wrong.insert(
        "missing",
        "await db.insertInto(\"user\").values({ id: \"x\", name: \"n\" }).execute();",
    );
    for (label, query) in wrong {
        let check = format!(
            "import {{ Kysely }} from \"kysely\";\nimport type {{ Database }} from \"./db.js\";\n\
             declare const db: Kysely<Database>;\nexport async function queries() {{\n  {query}\n}}\n"
        );
        let result = tsc(&[("db.ts".into(), module.clone()), ("check.ts".into(), check)]);
        assert!(result.is_err(), "{label}: tsc accepted {query}");
    }
}

/// snake_case names and renamed tables and columns, which better-auth's options do not mention:
/// the Drizzle schema alone maps them.
const RENAMED: &str = r#"
[database]
naming = "snake"

[email-and-password]
enabled = true

[models.user]
table = "users"

[models.user.columns]
email = "email_address"

[models.session]
table = "sessions"
"#;

/// better-auth 1.7.25's `drizzleAdapter` with our Drizzle schema on a database our DDL created
/// (tests/js/drizzle-adapter.mjs): sign-up, sign-in, sessions through the relations (experimental
/// joins), update, revocation; the rows land under the physical names.
async fn better_auth_drizzle_adapter_works_on_our_schema<DB: Engine>() {
    let config =
        auth_core::Config::parse("auth.toml", RENAMED.to_owned()).unwrap_or_else(|e| panic!("{e}"));
    let schema = Schema::build(&config).unwrap_or_else(|e| panic!("{e}"));
    let Some(db) = support::Server::<DB>::fresh("drizzle_adapter").await else {
        return;
    };
    db.execute(&render_schema(&schema, DB::DIALECT))
        .await
        .unwrap_or_else(|e| panic!("our DDL: {e}"));
    let dir = scratch();
    std::fs::write(dir.path().join("schema.ts"), drizzle(&schema, DB::DIALECT))
        .unwrap_or_else(|e| panic!("{e}"));
    let script = js().join("drizzle-adapter.mjs").display().to_string();
    let reply = node(dir.path(), &[&script, "schema.ts", &db.url()]).unwrap_or_else(|e| {
        panic!(
            "better-auth over the Drizzle schema on {}: {e}",
            DB::DIALECT
        )
    });
    let ids: serde_json::Value =
        serde_json::from_str(&reply).unwrap_or_else(|e| panic!("{e}: {reply}"));
    let user = ids["user"].as_str().unwrap_or_default();
    assert_eq!(
        db.texts(&format!(
            "select email_address from users where id = '{user}'"
        ))
        .await,
        ["drizzle@example.com"]
    );
    assert_eq!(
        db.count(&format!(
            "select count(*) from account where user_id = '{user}' and provider_id = 'credential'"
        ))
        .await,
        1
    );
    assert_eq!(
        db.count("select count(*) from sessions").await,
        0,
        "revoked"
    );
    db.drop().await;
}

#[tokio::test]
async fn better_auth_drizzle_adapter_works_on_our_postgres_schema() {
    better_auth_drizzle_adapter_works_on_our_schema::<sqlx::Postgres>().await;
}

#[tokio::test]
async fn better_auth_drizzle_adapter_works_on_our_mariadb_schema() {
    better_auth_drizzle_adapter_works_on_our_schema::<sqlx::MySql>().await;
}

/// On SQLite (sql.js, the database file our DDL created): what better-auth wrote through the
/// Drizzle schema, ISO dates and 0/1 booleans included, our runtime reads: the user signs in to
/// our server with the password better-auth hashed.
#[tokio::test(flavor = "multi_thread")]
async fn better_auth_drizzle_adapter_works_on_our_sqlite_schema() {
    let config =
        auth_core::Config::parse("auth.toml", RENAMED.to_owned()).unwrap_or_else(|e| panic!("{e}"));
    let schema = Schema::build(&config).unwrap_or_else(|e| panic!("{e}"));
    let dir = scratch();
    let file = dir.path().join("auth.db");
    rusqlite::Connection::open(&file)
        .and_then(|c| c.execute_batch(&render_schema(&schema, Dialect::Sqlite)))
        .unwrap_or_else(|e| panic!("our DDL: {e}"));
    std::fs::write(
        dir.path().join("schema.ts"),
        drizzle(&schema, Dialect::Sqlite),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let script = js().join("drizzle-adapter.mjs").display().to_string();
    let url = format!("sqlite:{}", file.display());
    let reply = node(dir.path(), &[&script, "schema.ts", &url])
        .unwrap_or_else(|e| panic!("better-auth over the Drizzle schema on sqlite: {e}"));
    let ids: serde_json::Value =
        serde_json::from_str(&reply).unwrap_or_else(|e| panic!("{e}: {reply}"));
    let connection = rusqlite::Connection::open(&file).unwrap_or_else(|e| panic!("{e}"));
    let (created, verified): (String, i64) = connection
        .query_row(
            "select created_at, email_verified from users where id = ?1",
            [ids["user"].as_str().unwrap_or_default()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        created.len() == 24 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "created_at {created:?} is not ISO-8601 text"
    );
    assert_eq!(verified, 0);
    drop(connection);

    let store = auth_runtime::store::Store::connect(&schema, Dialect::Sqlite, &url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let auth = auth_runtime::Auth::new(
        config,
        store,
        auth_runtime::Secret::new("orm-test-secret-0123456789abcdefghijklmnop")
            .unwrap_or_else(|e| panic!("{e}")),
        auth_runtime::AuthOptions {
            base_url: Some("http://127.0.0.1:3000".into()),
            env: Some(std::sync::Arc::new(|_: &str| None)),
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let body =
        serde_json::json!({ "email": "drizzle@example.com", "password": "correct horse battery" });
    let request = http::Request::builder()
        .method("POST")
        .uri("http://127.0.0.1:3000/api/auth/sign-in/email")
        .header("content-type", "application/json")
        .header("origin", "http://127.0.0.1:3000")
        .body(http_body_util::Full::new(bytes::Bytes::from(
            body.to_string(),
        )))
        .unwrap_or_else(|e| panic!("{e}"));
    let response = tower::ServiceExt::oneshot(auth.service(), request)
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .to_bytes();
    let answer: serde_json::Value =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, http::StatusCode::OK, "{answer}");
    assert_eq!(answer["user"]["id"], ids["user"], "{answer}");
    assert_eq!(answer["user"]["name"], "Renamed", "{answer}");
}

/// better-auth 1.7.25's Kysely adapter, told the physical names through `modelName` and `fields`
/// (the names the Kysely `Database` interface declares), signs up and in on a PostgreSQL database
/// our DDL created, and Kysely reads the user back under those names
/// (tests/js/kysely-adapter.mjs).
#[tokio::test]
async fn better_auth_kysely_adapter_works_with_the_interface_names() {
    let config =
        auth_core::Config::parse("auth.toml", RENAMED.to_owned()).unwrap_or_else(|e| panic!("{e}"));
    let schema = Schema::build(&config).unwrap_or_else(|e| panic!("{e}"));
    let Some(db) = support::Postgres::fresh("kysely_adapter").await else {
        return;
    };
    db.execute(&render_schema(&schema, Dialect::Postgres))
        .await
        .unwrap_or_else(|e| panic!("our DDL: {e}"));
    let models: serde_json::Map<String, serde_json::Value> = schema
        .tables
        .iter()
        .map(|table| {
            let fields: serde_json::Map<String, serde_json::Value> = table
                .columns
                .iter()
                .filter(|c| c.field != c.name)
                .map(|c| (c.field.clone(), c.name.clone().into()))
                .collect();
            (
                table.model.clone(),
                serde_json::json!({ "modelName": table.name, "fields": fields }),
            )
        })
        .collect();
    let user = schema.model("user").unwrap_or_else(|| panic!("no user"));
    let email = user.field("email").unwrap_or_else(|| panic!("no email"));
    let module = kysely(&schema, Dialect::Postgres);
    assert!(
        module.contains(&format!("  {}: UserTable;", user.name))
            && module.contains(&format!("  {}: string;", email.name)),
        "the interface names {}.{}:\n{module}",
        user.name,
        email.name
    );
    let dir = scratch();
    let options = serde_json::json!({
        "models": models,
        "userTable": user.name,
        "emailColumn": email.name,
    });
    std::fs::write(dir.path().join("options.json"), options.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    let script = js().join("kysely-adapter.mjs").display().to_string();
    let reply = node(dir.path(), &[&script, "options.json", &db.url()])
        .unwrap_or_else(|e| panic!("better-auth's Kysely adapter: {e}"));
    let ids: serde_json::Value =
        serde_json::from_str(&reply).unwrap_or_else(|e| panic!("{e}: {reply}"));
    let id = ids["user"].as_str().unwrap_or_default();
    assert_eq!(
        db.count(&format!(
            "select count(*) from sessions where user_id = '{id}'"
        ))
        .await,
        2
    );
    db.drop().await;
}

/// Prisma's own migration SQL for our schema.prisma (its schema engine, compiled to wasm, over
/// the PostgreSQL driver adapter: tests/js/prisma-migrate-diff.mjs) creates the schema our DDL
/// creates. (The wasm engine refuses MySQL adapters, and SQLite's needs a native driver.)
#[tokio::test]
async fn prisma_migrate_diff_creates_our_schema_on_postgres() {
    let script = js().join("prisma-migrate-diff.mjs").display().to_string();
    for (case, schema) in cases() {
        let Some(theirs) = support::Postgres::fresh(&format!("prisma_{case}")).await else {
            return;
        };
        let dir = scratch();
        std::fs::write(
            dir.path().join("schema.prisma"),
            prisma(&schema, Dialect::Postgres),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let sql = node(dir.path(), &[&script, "schema.prisma", &theirs.url()])
            .unwrap_or_else(|e| panic!("{case}: Prisma's migrate diff: {e}"));
        theirs
            .execute_script(&sql)
            .await
            .unwrap_or_else(|e| panic!("{case}: Prisma's SQL: {e}\n{sql}"));
        let Some(ours) = support::Postgres::fresh(&format!("ours_prisma_{case}")).await else {
            return;
        };
        ours.execute(&render_schema(&schema, Dialect::Postgres))
            .await
            .unwrap_or_else(|e| panic!("{case}: our DDL: {e}"));
        let (expected, actual) = (ours.introspect().await, theirs.introspect().await);
        assert_same(&expected, &actual, &format!("{case} (Prisma)"));
        ours.drop().await;
        theirs.drop().await;
    }
}
