//! The real better-auth 1.7.25 in a Cloudflare Worker on D1 (`examples/d1`, run by `wrangler dev
//! --local`), on migrations that `auth-cli migrate new` writes and `wrangler d1 migrations apply` applies:
//! sign-up, sign-in and get-session work; a second migration (admin plugin, an additional field)
//! keeps every existing row and better-auth then serves the new fields; a third (api-key) gives
//! better-auth the generated `apikey` table, where a key stands for a session and spends its quota.
//!
//! Needs Node 20 and npm (the test runs `npm ci` in `examples/d1` itself). Without them it fails
//! under `CI=true` and is skipped, loudly, elsewhere.

use crate::support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use auth_core::Dialect;
use auth_core::schema::names::apikey;
use serde_json::{Value, json};
use support::d1;
use support::worker::{
    Client, Worker, apply, copy_project, migrate_new, persisted_database, request,
};

/// What the copy's `auth.toml` gains for the second migration (the worker switches on the same
/// with `AUTH_EXTRAS=admin,plan`).
const SECOND_CONFIG: &str = r#"
[plugins.admin]

[models.user.fields.plan]
type = "string"
default = "free"
"#;

/// The third migration: API keys that stand for their owner's session (`AUTH_EXTRAS=apikey`).
const THIRD_CONFIG: &str = "
[plugins.api-key]
enable-session-for-api-keys = true
";

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";

#[test]
fn better_auth_runs_on_d1_through_two_migrations() {
    let example = support::root().join("examples/d1");
    if let Err(error) = d1::ensure_installed(&example) {
        support::unavailable(&support::service::NODE, &error);
        return;
    }
    let scratch = tempfile::Builder::new()
        .prefix("auth-d1-better-auth-")
        .tempdir()
        .unwrap_or_else(|e| panic!("temporary directory: {e}"));
    let project = scratch.path().join("project");
    copy_project(&example, &project);
    let state = scratch.path().join("state");
    let migrations = project.join("migrations/d1");

    // 1. The first migration, from the example's auth.toml (email and password only); the
    //    committed files must be what `auth-cli migrate new` writes today.
    let committed: Vec<String> = ["0001_init.sql", "0001_init.json"]
        .iter()
        .map(|name| read(&migrations.join(name)))
        .collect();
    for name in ["0001_init.sql", "0001_init.json"] {
        std::fs::remove_file(migrations.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    migrate_new(&project, "init");
    for (name, committed) in ["0001_init.sql", "0001_init.json"].iter().zip(&committed) {
        assert_eq!(
            &read(&migrations.join(name)),
            committed,
            "examples/d1/migrations/d1/{name} is stale: delete examples/d1/migrations/d1/0001_init.* \
             and run `cargo run -p auth-cli -- migrate new init --dialect d1 \
             --config examples/d1/auth.toml --dir examples/d1/migrations`"
        );
    }
    apply(&example, &project, &state, scratch.path());

    // 2. better-auth on D1: sign up, sign in, read the session with the cookie.
    let (user_id, old_cookies) = {
        let worker = Worker::start(&example, &project, &state, scratch.path(), &[]);
        let mut client = Client::new(worker.port);
        let signed_up = client.post(
            "/api/auth/sign-up/email",
            &json!({
                "email": EMAIL, "password": PASSWORD, "name": "Ada Lovelace"
            }),
        );
        let user_id = signed_up["user"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("sign-up returned no user id: {signed_up}"))
            .to_owned();
        assert_eq!(signed_up["user"]["email"], EMAIL, "{signed_up}");

        let mut client = Client::new(worker.port);
        let signed_in = client.post(
            "/api/auth/sign-in/email",
            &json!({ "email": EMAIL, "password": PASSWORD }),
        );
        assert_eq!(signed_in["user"]["id"], user_id.as_str(), "{signed_in}");
        let session = client.get("/api/auth/get-session");
        assert_eq!(session["user"]["id"], user_id.as_str(), "{session}");
        assert_eq!(session["user"]["email"], EMAIL, "{session}");
        assert_eq!(session["user"]["name"], "Ada Lovelace", "{session}");
        assert_eq!(session["session"]["userId"], user_id.as_str(), "{session}");
        assert!(session["user"].get("plan").is_none(), "{session}");
        (user_id, client.cookies)
    };

    let database = persisted_database(&state);
    let before = snapshot(&database);
    assert_eq!(before["user"].len(), 1, "{before:?}");
    assert_eq!(before["user"][0]["id"], quoted(&user_id));
    assert_eq!(before["account"].len(), 1, "{before:?}");
    assert_eq!(before["account"][0]["providerId"], quoted("credential"));
    assert_eq!(
        before["session"].len(),
        2,
        "sign-up and sign-in: {before:?}"
    );

    // 3. The second migration: admin plugin and an additional field, in the copy's auth.toml.
    let config = project.join("auth.toml");
    let extended = format!("{}{SECOND_CONFIG}", read(&config));
    write(&config, &extended);
    migrate_new(&project, "add_admin_plan");
    let second = read(&migrations.join("0002_add_admin_plan.sql"));
    assert!(
        second.contains("alter table \"user\" add column \"plan\" text default 'free';"),
        "{second}"
    );
    apply(&example, &project, &state, scratch.path());

    let connection =
        rusqlite::Connection::open(&database).unwrap_or_else(|e| panic!("open D1 file: {e}"));
    support::assert_matches_ir(
        &schema_of(&config),
        Dialect::D1,
        &support::introspect_sqlite(&connection),
        "examples/d1 after 0002",
    );
    drop(connection);
    let after = snapshot(&database);
    for (table, rows) in &before {
        assert_eq!(after[table].len(), rows.len(), "{table}: {after:?}");
        for (old, new) in rows.iter().zip(&after[table]) {
            for (column, value) in old {
                assert_eq!(
                    &new[column], value,
                    "{table}.{column} changed: {old:?} -> {new:?}"
                );
            }
        }
    }
    assert_eq!(after["user"][0]["plan"], quoted("free"));
    assert_eq!(after["user"][0]["role"], "NULL");
    assert_eq!(after["session"][0]["impersonatedBy"], "NULL");

    // 4. better-auth with the admin plugin and the field, on the migrated database.
    let worker = Worker::start(
        &example,
        &project,
        &state,
        scratch.path(),
        &[("AUTH_EXTRAS", "admin,plan")],
    );
    let mut old = Client::new(worker.port);
    old.cookies = old_cookies;
    let session = old.get("/api/auth/get-session");
    assert_eq!(
        session["user"]["id"],
        user_id.as_str(),
        "old session: {session}"
    );
    assert_eq!(session["user"]["plan"], "free", "{session}");

    let mut client = Client::new(worker.port);
    let signed_in = client.post(
        "/api/auth/sign-in/email",
        &json!({ "email": EMAIL, "password": PASSWORD }),
    );
    assert_eq!(signed_in["user"]["id"], user_id.as_str(), "{signed_in}");
    let session = client.get("/api/auth/get-session");
    assert_eq!(session["user"]["id"], user_id.as_str(), "{session}");
    assert_eq!(session["user"]["email"], EMAIL, "{session}");
    assert_eq!(session["user"]["plan"], "free", "{session}");
    assert!(session["user"].get("role").is_some(), "no role: {session}");

    let mut client = Client::new(worker.port);
    let signed_up = client.post(
        "/api/auth/sign-up/email",
        &json!({
            "email": "grace@example.com", "password": PASSWORD, "name": "Grace Hopper"
        }),
    );
    assert_eq!(signed_up["user"]["role"], "user", "{signed_up}");
    assert_eq!(signed_up["user"]["plan"], "free", "{signed_up}");
    let session = client.get("/api/auth/get-session");
    assert_eq!(session["user"]["email"], "grace@example.com", "{session}");
    assert_eq!(session["user"]["role"], "user", "{session}");
    assert_eq!(session["user"]["plan"], "free", "{session}");
    drop(worker);

    api_keys_on_d1(&example, &project, &state, scratch.path(), &database);
}

/// 5. The third migration, `[plugins.api-key]`: better-auth reads and writes the generated
///    `apikey` table on D1. A key made over HTTP, its quota (server-only) set on the stored row,
///    stands for its owner's session until the quota is spent, each use taking one.
fn api_keys_on_d1(example: &Path, project: &Path, state: &Path, scratch: &Path, database: &Path) {
    let config = project.join("auth.toml");
    write(&config, &format!("{}{THIRD_CONFIG}", read(&config)));
    migrate_new(project, "add_api_key");
    apply(example, project, state, scratch);
    let schema = schema_of(&config);
    let connection =
        rusqlite::Connection::open(database).unwrap_or_else(|e| panic!("open D1 file: {e}"));
    support::assert_matches_ir(
        &schema,
        Dialect::D1,
        &support::introspect_sqlite(&connection),
        "examples/d1 after 0003",
    );
    drop(connection);

    const EXTRAS: &[(&str, &str)] = &[("AUTH_EXTRAS", "admin,plan,apikey")];
    let (key_id, key) = {
        let worker = Worker::start(example, project, state, scratch, EXTRAS);
        let mut client = Client::new(worker.port);
        client.post(
            "/api/auth/sign-in/email",
            &json!({ "email": EMAIL, "password": PASSWORD }),
        );
        let created = client.post("/api/auth/api-key/create", &json!({ "name": "on d1" }));
        assert_eq!(created["name"], "on d1", "{created}");
        assert!(created["remaining"].is_null(), "{created}");
        let listed = client.get("/api/auth/api-key/list");
        assert_eq!(listed["total"], 1, "{listed}");
        let id = created["id"].as_str().unwrap_or_default().to_owned();
        let key = created["key"].as_str().unwrap_or_default().to_owned();
        assert_eq!(key.len(), 64, "{created}");
        (id, key)
    };

    // The quota, as better-auth's server API (`auth.api.updateApiKey`) would set it.
    let table = schema
        .model(apikey::MODEL)
        .unwrap_or_else(|| panic!("no apikey model"));
    let column = |field: &str| {
        table
            .columns
            .iter()
            .find(|c| c.field == field)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| panic!("no {field} column"))
    };
    let connection =
        rusqlite::Connection::open(database).unwrap_or_else(|e| panic!("open D1 file: {e}"));
    let set_quota = format!(
        r#"update "{}" set "{}" = 2 where "{}" = ?1"#,
        table.name,
        column(apikey::REMAINING),
        column(apikey::ID)
    );
    let updated = connection
        .execute(&set_quota, [&key_id])
        .unwrap_or_else(|e| panic!("{set_quota}: {e}"));
    assert_eq!(updated, 1);
    drop(connection);

    let worker = Worker::start(example, project, state, scratch, EXTRAS);
    let origin = format!("http://127.0.0.1:{}", worker.port);
    let with_key = [("origin", origin.as_str()), ("x-api-key", key.as_str())];
    let mut owner = Client::new(worker.port);
    owner.post(
        "/api/auth/sign-in/email",
        &json!({ "email": EMAIL, "password": PASSWORD }),
    );
    for left in [1, 0] {
        let used = request(worker.port, "GET", "/api/auth/get-session", &with_key, None)
            .unwrap_or_else(|e| panic!("get-session with the key: {e}"));
        assert_eq!(used.status, 200, "{}", used.body);
        let session: Value = serde_json::from_str(&used.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", used.body));
        assert_eq!(session["user"]["email"], EMAIL, "{session}");
        let stored = owner.get(&format!("/api/auth/api-key/get?id={key_id}"));
        assert_eq!(stored["remaining"], left, "{stored}");
        assert!(stored.get("key").is_none(), "{stored}");
    }
    let spent = request(worker.port, "GET", "/api/auth/get-session", &with_key, None)
        .unwrap_or_else(|e| panic!("get-session with the spent key: {e}"));
    assert_eq!(spent.status, 429, "{}", spent.body);
    assert!(spent.body.contains("USAGE_EXCEEDED"), "{}", spent.body);
    drop(worker);
}

// ---------------------------------------------------------------------------------------------
// Files and rows

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn write(path: &Path, text: &str) {
    fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn schema_of(config: &Path) -> auth_core::Schema {
    auth_core::Config::load(config)
        .map_err(|e| e.to_string())
        .and_then(|config| auth_core::Schema::build(&config).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| panic!("{}: {e}", config.display()))
}

/// Every row of the core tables, ordered by id, as column → SQL literal.
fn snapshot(database: &Path) -> BTreeMap<&'static str, Vec<BTreeMap<String, String>>> {
    let connection =
        rusqlite::Connection::open(database).unwrap_or_else(|e| panic!("open D1 file: {e}"));
    let mut tables = BTreeMap::new();
    for table in ["user", "session", "account"] {
        let mut statement = connection
            .prepare(&format!(r#"select * from "{table}" order by "id""#))
            .unwrap_or_else(|e| panic!("select {table}: {e}"));
        let columns: Vec<String> = statement.column_names().map(str::to_owned).collect();
        let rows = statement
            .query_map([], |row| {
                let mut values = BTreeMap::new();
                for (index, column) in columns.iter().enumerate() {
                    values.insert(column.clone(), literal(row.get_ref(index)?));
                }
                Ok(values)
            })
            .and_then(Iterator::collect)
            .unwrap_or_else(|e| panic!("read {table}: {e}"));
        tables.insert(table, rows);
    }
    tables
}

fn literal(value: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => "NULL".to_owned(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => r.to_string(),
        ValueRef::Text(t) => quoted(&String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!(
            "x'{}'",
            b.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
    }
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
