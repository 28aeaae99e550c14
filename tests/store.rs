//! `auth_runtime::store` on every backend: SQLite (a file), PostgreSQL and MariaDB, each holding
//! the schema `auth_core::sql::render_schema` generates.
//!
//! - B11: an insert through the store of every model of the full plugin set succeeds and reads
//!   back exactly as written;
//! - B3: the same with `naming = "snake"` and renamed tables and columns, and the session join;
//! - B13: `string[]`, `number[]`, `json`, booleans and millisecond dates round-trip, and a legacy
//!   double-encoded row (and, on SQLite, epoch-millisecond dates) reads back correctly;
//! - a taken unique value is `StoreError::UniqueViolation`, and 50 concurrent inserts of one
//!   email leave exactly one row;
//! - `update_by_id` answers the row as its one guarded statement left it, `None` (and nothing
//!   written) when a guard fails, and 50 concurrent guarded decrements of 20 leave 0 after 20.

use crate::support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use auth_core::Dialect;
use auth_core::schema::{FieldType, IdStrategy, Schema};
use auth_core::sql::render_schema;
use auth_runtime::store::{Row, Sort, Store, StoreError, Timestamp, Value, Where};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

/// A fresh database with a schema, and a store on it.
struct Db {
    store: Store,
    schema: Schema,
    holder: Holder,
}

enum Holder {
    /// The file, in a directory removed on drop.
    Sqlite {
        path: PathBuf,
        _dir: tempfile::TempDir,
    },
    Postgres(support::Postgres),
    Mysql(support::Mysql),
}

impl Db {
    async fn new(backend: Backend, config: &str, label: &str) -> Option<Self> {
        let schema = support::schema(config);
        let (holder, dialect, url) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
                let path = dir.path().join("auth.db");
                let connection =
                    rusqlite::Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
                connection
                    .execute_batch(&render_schema(&schema, Dialect::Sqlite))
                    .unwrap_or_else(|e| panic!("{e}"));
                let url = format!("sqlite:{}", path.display());
                (Holder::Sqlite { path, _dir: dir }, Dialect::Sqlite, url)
            }
            Backend::Postgres => {
                let server = support::Postgres::fresh(label).await?;
                server
                    .execute(&render_schema(&schema, Dialect::Postgres))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let url = server.url();
                (Holder::Postgres(server), Dialect::Postgres, url)
            }
            Backend::Mysql => {
                let server = support::Mysql::fresh(label).await?;
                server
                    .execute(&render_schema(&schema, Dialect::Mysql))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let url = server.url();
                (Holder::Mysql(server), Dialect::Mysql, url)
            }
        };
        let store = Store::connect(&schema, dialect, &url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        Some(Self {
            store,
            schema,
            holder,
        })
    }

    /// Runs raw SQL (legacy rows written by someone else).
    async fn execute(&self, sql: &str) {
        match &self.holder {
            Holder::Sqlite { path, .. } => rusqlite::Connection::open(path)
                .and_then(|c| c.execute_batch(sql))
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            Holder::Postgres(server) => server
                .execute_script(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            Holder::Mysql(server) => server
                .execute_script(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
        }
    }

    fn dialect(&self) -> Dialect {
        match self.holder {
            Holder::Sqlite { .. } => Dialect::Sqlite,
            Holder::Postgres(_) => Dialect::Postgres,
            Holder::Mysql(_) => Dialect::Mysql,
        }
    }

    /// `"table"` and `"column"` quoted for raw SQL, from the IR.
    fn physical(&self, model: &str, field: &str) -> (String, String) {
        let table = self
            .schema
            .model(model)
            .unwrap_or_else(|| panic!("{model}"));
        let column = table.field(field).unwrap_or_else(|| panic!("{field}"));
        (
            self.dialect().quote(&table.name),
            self.dialect().quote(&column.name),
        )
    }

    async fn finish(self) {
        match self.holder {
            Holder::Sqlite { .. } => {}
            Holder::Postgres(server) => server.drop().await,
            Holder::Mysql(server) => server.drop().await,
        }
    }
}

fn at(iso: &str) -> Timestamp {
    Timestamp::parse_iso(iso).unwrap_or_else(|| panic!("{iso}"))
}

/// A row with every column set (references point at rows already inserted; a nullable
/// reference to a model not inserted yet stays null). `n` keeps unique values apart.
fn sample(schema: &Schema, model: &str, n: usize, inserted: &BTreeMap<String, Row>) -> Row {
    let table = schema.model(model).unwrap_or_else(|| panic!("{model}"));
    let mut row = Row::new();
    for column in table.columns.iter().filter(|c| !c.primary_key) {
        let value = if let Some(reference) = &column.references {
            match inserted
                .get(&reference.model)
                .and_then(|r| r.get(&reference.field))
            {
                Some(value) => value.clone(),
                None if !column.required => Value::Null,
                None => panic!(
                    "{model}.{}: {} not inserted yet",
                    column.field, reference.model
                ),
            }
        } else {
            match column.ty {
                FieldType::String => Value::String(format!("{}-{n}@x.test", column.field)),
                FieldType::Number => Value::Integer(7 + i64::try_from(n).unwrap_or(0)),
                FieldType::Boolean => Value::Boolean(true),
                FieldType::Date => Value::Date(at("2031-02-03T04:05:06.789Z")),
                FieldType::Json => Value::Json(json!({"n": n, "tags": ["x"]})),
                FieldType::StringArray => Value::Json(json!(["a", "b"])),
                FieldType::NumberArray => Value::Json(json!([1, 2.5])),
            }
        };
        row.insert(column.field.clone(), value);
    }
    row
}

/// Insert, read, update, count and delete on every model, in dependency order.
async fn crud_every_model(backend: Backend, config: &str, label: &str) {
    let Some(db) = Db::new(backend, config, label).await else {
        return;
    };
    let store = &db.store;
    let mut inserted = BTreeMap::new();
    for table in &db.schema.tables {
        let model = table.model.as_str();
        let row = sample(&db.schema, model, 1, &inserted);
        let written = store
            .insert(model, row.clone())
            .await
            .unwrap_or_else(|e| panic!("{backend:?}: insert {model}: {e}"));
        for (field, value) in &row {
            assert_eq!(written.get(field), Some(value), "{model}.{field}");
        }
        let id = written.get("id").cloned().unwrap_or(Value::Null);
        let id_length = match db.schema.id {
            IdStrategy::Text => 32..=32,
            IdStrategy::Uuid => 36..=36,
            IdStrategy::Serial => 1..=20,
        };
        assert!(
            matches!(&id, Value::String(s) if id_length.contains(&s.len())),
            "{model}: {id:?}"
        );
        let read = store
            .find_one(model, &[Where::eq("id", id.clone())])
            .await
            .unwrap_or_else(|e| panic!("{backend:?}: find {model}: {e}"));
        assert_eq!(
            read.as_ref(),
            Some(&written),
            "{backend:?}: {model} read back"
        );
        inserted.insert(model.to_owned(), written);
    }
    for table in &db.schema.tables {
        let model = table.model.as_str();
        let id = inserted[model]["id"].clone();
        // A plain string: no key, not a reference, and referenced by no other table.
        let referenced = |field: &str| {
            db.schema.tables.iter().flat_map(|t| &t.columns).any(|c| {
                c.references
                    .as_ref()
                    .is_some_and(|r| r.model == model && r.field == field)
            })
        };
        let Some(column) = table.columns.iter().find(|c| {
            c.ty == FieldType::String
                && !c.primary_key
                && c.references.is_none()
                && !referenced(&c.field)
        }) else {
            continue;
        };
        let changed = Row::from([(column.field.clone(), Value::from("changed"))]);
        let before_update = Timestamp::now();
        let updated = store
            .update(model, &[Where::eq("id", id.clone())], changed)
            .await
            .unwrap_or_else(|e| panic!("{backend:?}: update {model}: {e}"));
        assert_eq!(updated, 1, "{model}");
        let read = store
            .find_one(model, &[Where::eq("id", id.clone())])
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("{model} gone"));
        assert_eq!(read[&column.field], Value::from("changed"), "{model}");
        for touched in table.columns.iter().filter(|c| c.on_update_now) {
            let after = read[&touched.field].as_date();
            assert!(after >= Some(before_update), "{model}.{}", touched.field);
        }
        let matching = store
            .count(model, &[Where::eq(column.field.clone(), "changed")])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(matching, 1, "{model}");
    }
    for table in db.schema.tables.iter().rev() {
        let model = table.model.as_str();
        let id = inserted[model]["id"].clone();
        store
            .delete(model, &[Where::eq("id", id)])
            .await
            .unwrap_or_else(|e| panic!("{backend:?}: delete {model}: {e}"));
        assert_eq!(store.count(model, &[]).await.unwrap_or(99), 0, "{model}");
    }
    db.finish().await;
}

async fn b11_every_model(backend: Backend) {
    crud_every_model(backend, "examples/full/auth.toml", "store_b11").await;
}

async fn b3_snake_every_model(backend: Backend) {
    crud_every_model(backend, "tests/fixtures/schemas/snake.toml", "store_b3").await;
}

async fn uuid_ids_every_model(backend: Backend) {
    crud_every_model(backend, "tests/fixtures/schemas/uuid.toml", "store_uuid").await;
}

async fn serial_ids_every_model(backend: Backend) {
    crud_every_model(
        backend,
        "tests/fixtures/schemas/serial.toml",
        "store_serial",
    )
    .await;
}

/// The session join on renamed, snake_case tables and columns, and the finders.
async fn b3_session_with_user(backend: Backend) {
    let Some(db) = Db::new(backend, "tests/fixtures/schemas/snake.toml", "store_join").await else {
        return;
    };
    let store = &db.store;
    let mut users = Vec::new();
    for (i, email) in ["ada@x.test", "bob@x.test", "cy@x.test"]
        .into_iter()
        .enumerate()
    {
        let row = Row::from([
            ("name".to_owned(), Value::from(format!("User {i}"))),
            ("email".to_owned(), Value::from(email)),
            ("emailVerified".to_owned(), Value::from(i == 1)),
            ("nickname".to_owned(), Value::from("n")),
            (
                "bytesUsed".to_owned(),
                Value::from(i64::try_from(i).unwrap_or(0) * 100),
            ),
        ]);
        users.push(
            store
                .insert("user", row)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    let user_id = users[1]["id"].clone();
    let session = store
        .insert(
            "session",
            Row::from([
                ("token".to_owned(), Value::from("tok-123")),
                ("userId".to_owned(), user_id.clone()),
                (
                    "expiresAt".to_owned(),
                    Value::Date(at("2030-01-01T00:00:00.001Z")),
                ),
            ]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (s, u) = store
        .session_with_user("tok-123")
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: {e}"))
        .unwrap_or_else(|| panic!("{backend:?}: no session"));
    assert_eq!(s, session);
    assert_eq!(u, users[1]);
    assert_eq!(u["email"], Value::from("bob@x.test"));
    assert_eq!(u["emailVerified"], Value::Boolean(true));
    assert_eq!(store.session_with_user("nope").await.ok(), Some(None));

    let verified = store
        .find_many(
            "user",
            &[Where::eq("emailVerified", false)],
            Some(&Sort::desc("email")),
            None,
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let emails: Vec<_> = verified.iter().map(|r| r["email"].clone()).collect();
    assert_eq!(
        emails,
        [Value::from("cy@x.test"), Value::from("ada@x.test")]
    );
    let paged = store
        .find_many("user", &[], Some(&Sort::asc("email")), Some(1), Some(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(paged.len(), 1);
    assert_eq!(paged[0]["email"], Value::from("bob@x.test"));
    let skipped = store
        .find_many("user", &[], Some(&Sort::asc("email")), None, Some(2))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(skipped.len(), 1);
    let count = |conditions: Vec<Where>| {
        let store = store.clone();
        async move {
            store
                .count("user", &conditions)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    assert_eq!(count(vec![Where::starts_with("email", "b")]).await, 1);
    assert_eq!(count(vec![Where::contains("email", "@x.")]).await, 3);
    assert_eq!(count(vec![Where::contains("email", "%")]).await, 0);
    assert_eq!(count(vec![Where::gte("bytesUsed", 100_i64)]).await, 2);
    assert_eq!(
        count(vec![
            Where::gt("bytesUsed", 0_i64),
            Where::lt("bytesUsed", 200_i64)
        ])
        .await,
        1
    );
    assert_eq!(
        count(vec![Where::is_in(
            "email",
            [Value::from("ada@x.test"), Value::from("cy@x.test")]
        )])
        .await,
        2
    );
    assert_eq!(count(vec![Where::is_in("email", [])]).await, 0);
    assert_eq!(count(vec![Where::eq("image", Value::Null)]).await, 3);
    assert_eq!(count(vec![Where::ne("email", "ada@x.test")]).await, 2);
    let removed = store
        .delete("user", &[Where::eq("id", user_id)])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(removed, 1);
    assert_eq!(store.session_with_user("tok-123").await.ok(), Some(None));
    db.finish().await;
}

/// B13: every type round-trips once-encoded; a double-encoded legacy row reads back decoded.
async fn b13_round_trips(backend: Backend) {
    let Some(db) = Db::new(backend, "tests/fixtures/schemas/snake.toml", "store_b13").await else {
        return;
    };
    let store = &db.store;
    let values = Row::from([
        ("name".to_owned(), Value::from("Ada")),
        ("email".to_owned(), Value::from("ada@x.test")),
        ("emailVerified".to_owned(), Value::from(true)),
        ("nickname".to_owned(), Value::from("a")),
        (
            "bytesUsed".to_owned(),
            Value::from(9_007_199_254_740_993_i64),
        ),
        ("marketingOptIn".to_owned(), Value::from(false)),
        (
            "trialEndsAt".to_owned(),
            Value::Date(at("2038-01-19T03:14:08.123Z")),
        ),
        (
            "preferences".to_owned(),
            Value::Json(json!({"theme": "light", "n": [1, {"x": null}]})),
        ),
        (
            "notificationTokens".to_owned(),
            Value::Json(json!(["a", "b\"c", "ü"])),
        ),
        ("luckyNumbers".to_owned(), Value::Json(json!([1, 2.5, -3]))),
    ]);
    let written = store
        .insert("user", values.clone())
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: {e}"));
    let read = store
        .find_one("user", &[Where::eq("email", "ada@x.test")])
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: {e}"))
        .unwrap_or_else(|| panic!("no row"));
    assert_eq!(read, written);
    for (field, value) in &values {
        assert_eq!(&read[field], value, "{backend:?}: {field}");
    }
    // Static defaults and `Now` were written by the store.
    assert_eq!(read["plan"], Value::from("free"));
    assert_eq!(read["credits"], Value::Integer(10));
    assert_eq!(read["preferences"], values["preferences"]);
    assert!(read["createdAt"].as_date().is_some());
    // Once encoded: the database holds the array itself, not a string holding it.
    let (table, tokens) = db.physical("user", "notificationTokens");
    let (_, email) = db.physical("user", "email");
    let stored_as_array = match backend {
        Backend::Sqlite => {
            format!("select count(*) from {table} where json_type({tokens}) = 'array'")
        }
        Backend::Postgres => {
            format!("select count(*) from {table} where jsonb_typeof({tokens}) = 'array'")
        }
        Backend::Mysql => {
            format!("select count(*) from {table} where json_type({tokens}) = 'ARRAY'")
        }
    };
    match &db.holder {
        Holder::Sqlite { path, .. } => {
            let c = rusqlite::Connection::open(path).unwrap_or_else(|e| panic!("{e}"));
            let n: i64 = c
                .query_row(&stored_as_array, [], |r| r.get(0))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(n, 1);
        }
        Holder::Postgres(server) => assert_eq!(server.count(&stored_as_array).await, 1),
        Holder::Mysql(server) => assert_eq!(server.count(&stored_as_array).await, 1),
    }

    // A legacy row: JSON fields double-encoded (a JSON string holding the JSON), as Drizzle's
    // adapter and its `mode: "json"` columns together stored them (#7440).
    let (_, id) = db.physical("user", "id");
    let (_, name) = db.physical("user", "name");
    let (_, verified) = db.physical("user", "emailVerified");
    let (_, nickname) = db.physical("user", "nickname");
    let (_, bytes) = db.physical("user", "bytesUsed");
    let (_, created) = db.physical("user", "createdAt");
    let (_, updated) = db.physical("user", "updatedAt");
    let (_, numbers) = db.physical("user", "luckyNumbers");
    let (_, preferences) = db.physical("user", "preferences");
    let (when, cast) = match backend {
        Backend::Sqlite => ("'2026-11-28T08:16:29.226Z'", ""),
        Backend::Postgres => ("'2026-11-28T08:16:29.226Z'", "::jsonb"),
        Backend::Mysql => ("'2026-11-28 08:16:29.226'", ""),
    };
    let boolean = if backend == Backend::Postgres {
        "false"
    } else {
        "0"
    };
    let mut insert = format!(
        r#"insert into {table} ({id}, {name}, {email}, {verified}, {nickname}, {bytes}, {created}, {updated}, {tokens}, {numbers}, {preferences})
        values ('legacy1', 'Old', 'old@x.test', {boolean}, 'o', 0, {when}, {when},
          '"[\"a\",\"b\"]"'{cast}, '"[1,2]"'{cast}, '"{{\"theme\":\"dark\"}}"'{cast})"#
    );
    if backend == Backend::Mysql {
        // MySQL string literals take backslash escapes.
        insert = insert.replace('\\', "\\\\");
    }
    db.execute(&insert).await;
    let legacy = store
        .find_one("user", &[Where::eq("id", "legacy1")])
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: {e}"))
        .unwrap_or_else(|| panic!("no legacy row"));
    assert_eq!(legacy["notificationTokens"], Value::Json(json!(["a", "b"])));
    assert_eq!(legacy["luckyNumbers"], Value::Json(json!([1, 2])));
    assert_eq!(legacy["preferences"], Value::Json(json!({"theme": "dark"})));
    assert_eq!(legacy["emailVerified"], Value::Boolean(false));
    assert_eq!(
        legacy["createdAt"],
        Value::Date(at("2026-11-28T08:16:29.226Z"))
    );
    // Rewritten through the store, it is single-encoded.
    store
        .update(
            "user",
            &[Where::eq("id", "legacy1")],
            Row::from([(
                "notificationTokens".to_owned(),
                legacy["notificationTokens"].clone(),
            )]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    if backend == Backend::Sqlite {
        // Drizzle's `integer({ mode: "timestamp_ms" })` and `mode: "boolean"`: epoch milliseconds
        // and 0/1 in the same columns.
        db.execute(&format!(
            "insert into {table} ({id}, {name}, {email}, {verified}, {nickname}, {bytes}, {created}, {updated})
             values ('drizzle1', 'D', 'd@x.test', 1, 'd', 0, 1795853020258, '1795853020258')"
        ))
        .await;
        let drizzle = store
            .find_one("user", &[Where::eq("id", "drizzle1")])
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no drizzle row"));
        let expected = Timestamp::from_millis(1_795_853_020_258).map(Value::Date);
        assert_eq!(Some(drizzle["createdAt"].clone()), expected);
        assert_eq!(Some(drizzle["updatedAt"].clone()), expected);
        assert_eq!(drizzle["emailVerified"], Value::Boolean(true));
    }
    db.finish().await;
}

/// A taken unique value is its own error; 50 concurrent inserts of one email leave one row.
async fn unique_violation(backend: Backend) {
    let Some(db) = Db::new(backend, "examples/full/auth.toml", "store_unique").await else {
        return;
    };
    let user = |email: &str| {
        Row::from([
            ("name".to_owned(), Value::from("Ada")),
            ("email".to_owned(), Value::from(email)),
            ("emailVerified".to_owned(), Value::from(false)),
        ])
    };
    db.store
        .insert("user", user("one@x.test"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let again = db.store.insert("user", user("one@x.test")).await;
    assert!(
        matches!(&again, Err(StoreError::UniqueViolation { model, .. }) if model == "user"),
        "{backend:?}: {again:?}"
    );
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = db.store.clone();
            let row = user("race@x.test");
            tokio::spawn(async move { store.insert("user", row).await })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap_or_else(|e| panic!("{e}")) {
            Ok(_) => ok += 1,
            Err(StoreError::UniqueViolation { .. }) => {}
            Err(other) => panic!("{backend:?}: {other}"),
        }
    }
    assert_eq!(ok, 1, "{backend:?}");
    let rows = db
        .store
        .count("user", &[Where::eq("email", "race@x.test")])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rows, 1, "{backend:?}");
    let orphan = db
        .store
        .insert(
            "session",
            Row::from([
                ("token".to_owned(), Value::from("t")),
                ("userId".to_owned(), Value::from("nobody")),
                ("expiresAt".to_owned(), Value::Date(Timestamp::now())),
            ]),
        )
        .await;
    assert!(
        matches!(orphan, Err(StoreError::ForeignKeyViolation { .. })),
        "{backend:?}: {orphan:?}"
    );
    db.finish().await;
}

/// `update_by_id`: a guarded counter answers the row as written, with `updatedAt` moved and the
/// other fields as stored; a failed guard or an unknown id answers `None` and writes nothing; 50
/// concurrent guarded decrements of 20 succeed exactly 20 times.
async fn update_by_id_answers_the_row(backend: Backend) {
    let Some(db) = Db::new(backend, "examples/full/auth.toml", "store_update_by_id").await else {
        return;
    };
    let user = db
        .store
        .insert(
            "user",
            Row::from([
                ("name".to_owned(), Value::from("Ada")),
                ("email".to_owned(), Value::from("ada@x.test")),
                ("emailVerified".to_owned(), Value::from(false)),
            ]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let old = at("2020-01-01T00:00:00.000Z");
    let key = db
        .store
        .insert(
            "apikey",
            Row::from([
                ("configId".to_owned(), Value::from("default")),
                ("key".to_owned(), Value::from("hash")),
                ("referenceId".to_owned(), user["id"].clone()),
                ("remaining".to_owned(), Value::Integer(20)),
                ("updatedAt".to_owned(), Value::Date(old)),
            ]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let id = match &key["id"] {
        Value::String(id) => id.clone(),
        other => panic!("{backend:?}: id {other:?}"),
    };
    let spend = |guard: i64| {
        let (store, id) = (db.store.clone(), id.clone());
        async move {
            store
                .update_by_id(
                    "apikey",
                    &id,
                    &[Where::gt("remaining", guard)],
                    Some(("remaining", -1)),
                    Row::new(),
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    let spent = spend(0)
        .await
        .unwrap_or_else(|| panic!("{backend:?}: no row"));
    assert_eq!(spent["remaining"], Value::Integer(19), "{backend:?}");
    assert_eq!(spent["key"], Value::from("hash"), "{backend:?}");
    assert_ne!(spent["updatedAt"], Value::Date(old), "{backend:?}");
    let stored = db
        .store
        .find_one("apikey", &[Where::eq("id", id.as_str())])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored.as_ref(), Some(&spent), "{backend:?}");
    assert_eq!(spend(19).await, None, "{backend:?}: the guard holds");
    let missing = db
        .store
        .update_by_id("apikey", "no-such-id", &[], None, Row::new())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(missing, None, "{backend:?}");
    let tasks: Vec<_> = (0..50).map(|_| tokio::spawn(spend(0))).collect();
    let mut passed = 0;
    for task in tasks {
        if task.await.unwrap_or_else(|e| panic!("{e}")).is_some() {
            passed += 1;
        }
    }
    assert_eq!(passed, 19, "{backend:?}: the 19 left");
    let left = db
        .store
        .find_one("apikey", &[Where::eq("id", id.as_str())])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|row| row["remaining"].clone());
    assert_eq!(left, Some(Value::Integer(0)), "{backend:?}");
    db.finish().await;
}

macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                use super::Backend;

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$scenario(Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    super::$scenario(Backend::Postgres).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn mysql() {
                    super::$scenario(Backend::Mysql).await;
                }
            }
        )*
    };
}

on_every_backend!(
    b11_every_model,
    b3_snake_every_model,
    uuid_ids_every_model,
    serial_ids_every_model,
    b3_session_with_user,
    b13_round_trips,
    unique_violation,
    update_by_id_answers_the_row,
);
