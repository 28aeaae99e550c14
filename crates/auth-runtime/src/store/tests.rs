//! The store on SQLite files (PostgreSQL and MariaDB: `tests/store.rs`).

use std::path::{Path, PathBuf};

use auth_core::sql::render_schema;
use auth_core::{Config, Dialect, Schema};
use serde_json::json;

use super::*;

fn schema(relative: &str) -> Schema {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative);
    let config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    Schema::build(&config).unwrap_or_else(|e| panic!("{e}"))
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    schema: Schema,
    store: Store,
}

async fn fixture(config: &str) -> Fixture {
    let schema = schema(config);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("auth.db");
    rusqlite::Connection::open(&path)
        .and_then(|c| c.execute_batch(&render_schema(&schema, Dialect::Sqlite)))
        .unwrap_or_else(|e| panic!("{e}"));
    let store = Store::connect(
        &schema,
        Dialect::Sqlite,
        &format!("sqlite:{}", path.display()),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    Fixture {
        _dir: dir,
        path,
        schema,
        store,
    }
}

fn user(email: &str) -> Row {
    Row::from([
        ("name".to_owned(), Value::from("Ada")),
        ("email".to_owned(), Value::from(email)),
        ("emailVerified".to_owned(), Value::from(true)),
        ("nickname".to_owned(), Value::from("a")),
    ])
}

fn at(iso: &str) -> Timestamp {
    Timestamp::parse_iso(iso).unwrap_or_else(|| panic!("{iso}"))
}

/// What SQLite holds, as text, for a logical field of the `user` model.
fn stored(f: &Fixture, field: &str, id: &str) -> String {
    let table = f.schema.model("user").unwrap_or_else(|| panic!("user"));
    let column = table.field(field).unwrap_or_else(|| panic!("{field}"));
    let id_column = table.field("id").unwrap_or_else(|| panic!("id"));
    let sql = format!(
        "select quote({}) from {} where {} = ?1",
        Dialect::Sqlite.quote(&column.name),
        Dialect::Sqlite.quote(&table.name),
        Dialect::Sqlite.quote(&id_column.name)
    );
    rusqlite::Connection::open(&f.path)
        .and_then(|c| c.query_row(&sql, [id], |r| r.get(0)))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn writes_better_auths_encoding_once() {
    let f = fixture("tests/fixtures/schemas/snake.toml").await;
    let mut row = user("ada@x.test");
    row.insert(
        "trialEndsAt".to_owned(),
        Value::Date(at("2026-11-28T08:16:29.226Z")),
    );
    row.insert(
        "notificationTokens".to_owned(),
        Value::Json(json!(["a", "b"])),
    );
    let written = f
        .store
        .insert("user", row)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let id = written["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(id.len(), 32);
    assert_eq!(stored(&f, "trialEndsAt", &id), "'2026-11-28T08:16:29.226Z'");
    assert_eq!(stored(&f, "emailVerified", &id), "1");
    assert_eq!(stored(&f, "marketingOptIn", &id), "0");
    assert_eq!(stored(&f, "notificationTokens", &id), r#"'["a","b"]'"#);
    assert_eq!(stored(&f, "preferences", &id), r#"'{"theme":"dark"}'"#);
    let created = stored(&f, "createdAt", &id);
    assert!(created.len() == 26 && created.ends_with("Z'"), "{created}");
    let read = f
        .store
        .find_one("user", &[Where::eq("id", id.as_str())])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read.as_ref(), Some(&written));
}

#[tokio::test]
async fn reads_legacy_encodings() {
    let f = fixture("tests/fixtures/schemas/snake.toml").await;
    let table = f.schema.model("user").unwrap_or_else(|| panic!("user"));
    let columns: Vec<String> = [
        "id",
        "name",
        "email",
        "emailVerified",
        "nickname",
        "bytesUsed",
        "createdAt",
        "updatedAt",
        "notificationTokens",
        "luckyNumbers",
        "preferences",
    ]
    .iter()
    .map(|field| {
        let column = table.field(field).unwrap_or_else(|| panic!("{field}"));
        Dialect::Sqlite.quote(&column.name)
    })
    .collect();
    let sql = format!(
        r#"insert into {} ({}) values
          ('k', 'Kysely', 'k@x.test', 0, 'k', 0, '2026-11-28T08:16:29.226Z', '2026-11-28T08:16:29.226Z',
           '["a","b"]', '[1,2]', '{{"theme":"dark"}}'),
          ('d', 'Drizzle', 'd@x.test', 1, 'd', 0, 1795853020258, 1795853020258,
           '"[\"a\",\"b\"]"', '"[1,2]"', '"{{\"theme\":\"dark\"}}"')"#,
        Dialect::Sqlite.quote(&table.name),
        columns.join(", ")
    );
    rusqlite::Connection::open(&f.path)
        .and_then(|c| c.execute_batch(&sql))
        .unwrap_or_else(|e| panic!("{e}"));
    let rows = f
        .store
        .find_many("user", &[], Some(&Sort::asc("name")), None, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row["notificationTokens"], Value::Json(json!(["a", "b"])));
        assert_eq!(row["luckyNumbers"], Value::Json(json!([1, 2])));
        assert_eq!(row["preferences"], Value::Json(json!({"theme": "dark"})));
    }
    assert_eq!(rows[0]["emailVerified"], Value::Boolean(true));
    assert_eq!(
        rows[0]["createdAt"].as_date().map(Timestamp::millis),
        Some(1_795_853_020_258)
    );
    assert_eq!(rows[1]["emailVerified"], Value::Boolean(false));
    assert_eq!(
        rows[1]["createdAt"],
        Value::Date(at("2026-11-28T08:16:29.226Z"))
    );
}

#[tokio::test]
async fn unreadable_data_is_an_error_not_a_panic() {
    let f = fixture("examples/full/auth.toml").await;
    let table = f.schema.model("user").unwrap_or_else(|| panic!("user"));
    let quote = |field: &str| {
        let column = table.field(field).unwrap_or_else(|| panic!("{field}"));
        Dialect::Sqlite.quote(&column.name)
    };
    let sql = format!(
        "insert into {} ({}, {}, {}, {}, {}, {}) values ('x', 'X', 'x@x', 0, 'last tuesday', 'now')",
        Dialect::Sqlite.quote(&table.name),
        quote("id"),
        quote("name"),
        quote("email"),
        quote("emailVerified"),
        quote("createdAt"),
        quote("updatedAt"),
    );
    rusqlite::Connection::open(&f.path)
        .and_then(|c| c.execute_batch(&sql))
        .unwrap_or_else(|e| panic!("{e}"));
    let read = f.store.find_one("user", &[Where::eq("id", "x")]).await;
    assert!(
        matches!(&read, Err(StoreError::Decode { field, .. }) if field == "createdAt"),
        "{read:?}"
    );
}

#[tokio::test]
async fn refuses_unknown_names_and_wrong_types() {
    let f = fixture("examples/full/auth.toml").await;
    let unknown = f.store.insert("users", Row::new()).await;
    assert!(
        matches!(unknown, Err(StoreError::UnknownModel(_))),
        "{unknown:?}"
    );
    let mut row = user("a@x");
    row.remove("nickname");
    row.insert("email_address".to_owned(), Value::from("a@x"));
    let field = f.store.insert("user", row).await;
    assert!(
        matches!(field, Err(StoreError::UnknownField { .. })),
        "{field:?}"
    );
    let mut row = user("a@x");
    row.remove("nickname");
    row.insert("emailVerified".to_owned(), Value::from("yes"));
    let ty = f.store.insert("user", row).await;
    assert!(matches!(ty, Err(StoreError::Type { .. })), "{ty:?}");
    let filter = f.store.count("user", &[Where::eq("nope", 1_i64)]).await;
    assert!(
        matches!(filter, Err(StoreError::UnknownField { .. })),
        "{filter:?}"
    );
    let mismatch = Store::connect(&f.schema, Dialect::Postgres, "sqlite::memory:").await;
    assert!(
        matches!(mismatch, Err(StoreError::DialectMismatch { .. })),
        "{mismatch:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sign_ups_of_one_email_make_one_user() {
    let f = fixture("examples/full/auth.toml").await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = f.store.clone();
            let mut row = user("race@x.test");
            row.remove("nickname");
            tokio::spawn(async move { store.insert("user", row).await })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap_or_else(|e| panic!("{e}")) {
            Ok(_) => ok += 1,
            Err(StoreError::UniqueViolation { .. }) => {}
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(f.store.count("user", &[]).await.unwrap_or(0), 1);
}

#[tokio::test]
async fn in_memory_database_and_session_join() {
    let schema = schema("tests/fixtures/schemas/snake.toml");
    let store = Store::connect(&schema, Dialect::D1, "sqlite::memory:")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // No schema yet: a clear SQLite error, not a panic.
    let missing = store.session_with_user("t").await;
    assert!(matches!(missing, Err(StoreError::Sqlite(_))), "{missing:?}");
    let Backend::Sqlite(db) = &store.inner.backend else {
        panic!("not sqlite");
    };
    let ddl = render_schema(&schema, Dialect::Sqlite);
    let statements = ddl
        .split(";\n")
        .map(str::trim)
        .filter(|s| s.lines().any(|line| !line.trim_start().starts_with("--")));
    for statement in statements {
        db.write(&Statement {
            sql: statement.to_owned(),
            params: Vec::new(),
        })
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    let u = store
        .insert("user", user("s@x"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let s = store
        .insert(
            "session",
            Row::from([
                ("token".to_owned(), Value::from("t")),
                ("userId".to_owned(), u["id"].clone()),
                (
                    "expiresAt".to_owned(),
                    Value::Date(Timestamp::now().plus_millis(60_000)),
                ),
            ]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let joined = store
        .session_with_user("t")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(joined, Some((s, u)));
}

/// get-session's join is compiled once per connection: binding another token must not make
/// SQLite re-prepare it (it did on every request before the planner stability guarantee).
#[tokio::test]
async fn the_session_join_is_not_re_prepared_per_token() {
    let f = fixture("tests/fixtures/schemas/snake.toml").await;
    let u = f
        .store
        .insert("user", user("join@x"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for token in ["a", "b", "c"] {
        let row = Row::from([
            ("token".to_owned(), Value::from(token)),
            ("userId".to_owned(), u["id"].clone()),
            (
                "expiresAt".to_owned(),
                Value::Date(Timestamp::now().plus_millis(60_000)),
            ),
        ]);
        f.store
            .insert("session", row)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for round in 0..30 {
        let token = ["a", "b", "c", "missing"][round % 4];
        let found = f
            .store
            .session_with_user(token)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(found.is_some(), token != "missing");
    }
    let (Backend::Sqlite(db), Some(join)) = (&f.store.inner.backend, &f.store.inner.session_join)
    else {
        panic!("a SQLite store with a session join");
    };
    assert_eq!(db.reprepared(&join.sql), 0);
}
