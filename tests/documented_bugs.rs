//! The schema half of the bugs better-auth users keep hitting
//! (`shared/research/documented-bugs.md`), each proven impossible here by a test named after it.
//! B2 (`d1_migrate_cli`: no connection, no network) is in `crates/auth-cli/tests/cli.rs`, where
//! the binary is at hand.

use crate::support;

use auth_core::schema::{Origin, Plugin, Schema};
use auth_core::sql::render_schema;
use auth_core::{Config, Dialect};
use support::rows::{LONG_ID_LEN, id_for, minimal_inserts};

/// B1 `no-d1-adapter`: D1 is a dialect of the generator, and its output for the full plugin set
/// applies with `wrangler d1 migrations apply --local`, then takes a row in every table.
#[test]
fn b1_no_d1_adapter() {
    let schema = support::schema("examples/full/auth.toml");
    let rows = minimal_inserts(&schema, Dialect::D1)
        .into_iter()
        .map(|s| s + ";\n")
        .collect::<String>();
    let applied = support::d1::apply_d1_migrations(&[
        (
            "0001_schema.sql".to_owned(),
            render_schema(&schema, Dialect::D1),
        ),
        ("0002_rows.sql".to_owned(), rows),
    ])
    .unwrap_or_else(|e| panic!("wrangler d1 migrations apply failed:\n{e}"));
    let connection =
        rusqlite::Connection::open(applied.path()).unwrap_or_else(|e| panic!("open: {e}"));
    support::assert_created_as_ir(
        &schema,
        Dialect::D1,
        &support::introspect_sqlite(&connection),
        "full",
    );
    for table in &schema.tables {
        let count: i64 = connection
            .query_row(
                &format!("select count(*) from \"{}\"", table.name),
                [],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("count {}: {e}", table.name));
        assert_eq!(count, 1, "{}", table.name);
    }
}

/// B9 `apikey-schema` (schema half): the api-key plugin's table comes from the registry with
/// better-auth 1.7's exact name and columns — `apikey`, `referenceId` without a foreign key,
/// `configId` — and follows `naming`, so no hand-written migration can drift from it.
#[test]
fn b9_apikey_schema() {
    let camel = build("[plugins.api-key]\n");
    let apikey = camel
        .model("apikey")
        .unwrap_or_else(|| panic!("no apikey table"));
    assert_eq!(apikey.name, "apikey");
    assert_eq!(apikey.origin, Origin::Plugin(Plugin::ApiKey));
    let columns: Vec<&str> = apikey.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        columns,
        [
            "id",
            "configId",
            "name",
            "start",
            "referenceId",
            "prefix",
            "key",
            "refillInterval",
            "refillAmount",
            "lastRefillAt",
            "enabled",
            "rateLimitEnabled",
            "rateLimitTimeWindow",
            "rateLimitMax",
            "requestCount",
            "remaining",
            "lastRequest",
            "expiresAt",
            "createdAt",
            "updatedAt",
            "permissions",
            "metadata",
        ]
    );
    assert!(apikey.columns.iter().all(|c| c.references.is_none()));
    let index_names: Vec<&str> = apikey.indexes.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        index_names,
        [
            "apikey_configId_idx",
            "apikey_referenceId_idx",
            "apikey_key_idx"
        ]
    );

    let snake = build("[database]\nnaming = \"snake\"\n[plugins.api-key]\n");
    let apikey = snake
        .model("apikey")
        .unwrap_or_else(|| panic!("no apikey table"));
    assert!(
        apikey.column("reference_id").is_some()
            && apikey.column("rate_limit_time_window").is_some()
    );
    assert!(
        apikey
            .indexes
            .iter()
            .any(|i| i.name == "apikey_reference_id_idx")
    );
    for (schema, case) in [(&camel, "camel"), (&snake, "snake")] {
        let connection = support::sqlite(&render_schema(schema, Dialect::Sqlite));
        support::assert_created_as_ir(
            schema,
            Dialect::Sqlite,
            &support::introspect_sqlite(&connection),
            case,
        );
        for insert in minimal_inserts(schema, Dialect::Sqlite) {
            connection
                .execute_batch(&insert)
                .unwrap_or_else(|e| panic!("{case}: {insert}: {e}"));
        }
    }
}

fn build(source: &str) -> Schema {
    Config::parse("auth.toml", source)
        .and_then(|config| Schema::build(&config))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Text-id configurations used for inserts.
const INSERT_CASES: &[&str] = &[
    "examples/full/auth.toml",
    "tests/fixtures/schemas/snake.toml",
];

/// Asserts that every `now`-defaulted column was filled by the database.
fn timestamp_checks(schema: &Schema, dialect: Dialect) -> Vec<String> {
    schema
        .tables
        .iter()
        .flat_map(|t| {
            t.columns
                .iter()
                .filter(|c| c.default == Some(auth_core::schema::DefaultValue::Now))
                .map(move |c| {
                    format!(
                        "select count(*) from {} where {} is null",
                        dialect.quote(&t.name),
                        dialect.quote(&c.name)
                    )
                })
        })
        .collect()
}

/// B11 `updated-at-null`: only columns every writer supplies are NOT NULL without a default, so
/// an insert that leaves `createdAt`/`updatedAt` (organization, member, team, apikey, jwks,
/// session, account…) to the database succeeds on every backend, and the timestamps are set.
#[test]
fn b11_updated_at_null_sqlite() {
    for case in INSERT_CASES {
        let schema = support::schema(case);
        let connection = support::sqlite(&render_schema(&schema, Dialect::Sqlite));
        for insert in minimal_inserts(&schema, Dialect::Sqlite) {
            connection
                .execute_batch(&insert)
                .unwrap_or_else(|e| panic!("{case}: {insert}: {e}"));
        }
        for check in timestamp_checks(&schema, Dialect::Sqlite) {
            let nulls: i64 = connection
                .query_row(&check, [], |r| r.get(0))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(nulls, 0, "{case}: {check}");
        }
        // SQLite timestamps default to better-auth's own text format.
        let organization = schema
            .model("organization")
            .unwrap_or_else(|| panic!("no organization"));
        let created_at = organization
            .field("createdAt")
            .unwrap_or_else(|| panic!("no createdAt"));
        let created: String = connection
            .query_row(
                &format!(
                    "select \"{}\" from \"{}\"",
                    created_at.name, organization.name
                ),
                [],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(is_iso_millis(&created), "{case}: {created}");
    }
}

/// better-auth's `toISOString()` form, as the endpoint registry defines it.
fn is_iso_millis(value: &str) -> bool {
    auth_core::endpoints::Shape::Date
        .check(&serde_json::Value::String(value.to_owned()))
        .is_ok()
}

/// Minimal rows on a server engine, then the timestamps the database filled.
async fn b11_on<DB: support::Engine>() {
    let dialect = DB::DIALECT;
    for case in INSERT_CASES {
        let schema = support::schema(case);
        let Some(db) = support::Server::<DB>::fresh("b11").await else {
            return;
        };
        db.execute(&render_schema(&schema, dialect))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for insert in minimal_inserts(&schema, dialect) {
            db.execute(&insert)
                .await
                .unwrap_or_else(|e| panic!("{case}: {insert}: {e}"));
        }
        for check in timestamp_checks(&schema, dialect) {
            assert_eq!(db.count(&check).await, 0, "{case}: {check}");
        }
        db.drop().await;
    }
}

#[tokio::test]
async fn b11_updated_at_null_postgres() {
    b11_on::<sqlx::Postgres>().await;
}

#[tokio::test]
async fn b11_updated_at_null_mysql() {
    b11_on::<sqlx::MySql>().await;
}

/// B18 `mysql-id-width`: the 43-character ids better-auth writes for single-use reservations
/// (base64url of a SHA-256) fit every id column on MariaDB, where `varchar(36)` rejects them.
#[tokio::test]
async fn b18_mysql_id_width() {
    let schema = support::schema("examples/full/auth.toml");
    let Some(db) = support::Mysql::fresh("b18").await else {
        return;
    };
    sqlx::raw_sql("set session sql_mode = 'STRICT_ALL_TABLES'")
        .execute(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    db.execute(&render_schema(&schema, Dialect::Mysql))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let reservation = "K7gNU3sdo-OL0wNhqoVWhr3g6s1xYv72ol_pe_Unols";
    assert_eq!(reservation.len(), LONG_ID_LEN);
    sqlx::query("insert into `verification` (`id`, `identifier`, `value`, `expiresAt`) values (?, 'reserve', '1', '2030-01-01 00:00:00')")
        .bind(reservation)
        .execute(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("a 43-character verification id must fit: {e}"));
    let stored: String = sqlx::query_scalar("select `id` from `verification`")
        .fetch_one(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored, reservation);
    // Every other table takes one too (the minimal rows use 43-character ids throughout).
    for insert in minimal_inserts(&schema, Dialect::Mysql)
        .iter()
        .filter(|s| !s.contains("`verification`"))
    {
        db.execute(insert)
            .await
            .unwrap_or_else(|e| panic!("{insert}: {e}"));
    }
    assert_eq!(id_for("user").len(), LONG_ID_LEN);
    db.drop().await;
}
