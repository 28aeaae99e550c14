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
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auth_cli::{MigrateCommand, MigrateNewOpt, Opt};
use auth_core::Dialect;
use auth_core::schema::names::apikey;
use serde_json::{Value, json};
use support::d1;

/// Where `--persist-to <dir>` keeps the D1 databases.
const PERSISTED_D1: &str = "v3/d1/miniflare-D1DatabaseObject";
/// How long `wrangler dev` may take to answer (it takes 2-4 s).
const START_TIMEOUT: Duration = Duration::from_secs(120);
const APPLY_TIMEOUT: Duration = Duration::from_secs(180);
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

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
        let worker = Worker::start(&example, &project, &state, scratch.path(), "");
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

    let database = d1::database_file(&state.join(PERSISTED_D1))
        .unwrap_or_else(|e| panic!("the persisted D1 database: {e}"));
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
    let worker = Worker::start(&example, &project, &state, scratch.path(), "admin,plan");
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

    const EXTRAS: &str = "admin,plan,apikey";
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
// The project copy, auth-cli and wrangler

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn write(path: &Path, text: &str) {
    fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Copies the example without `node_modules` and `.wrangler`; `node_modules` becomes a link to the
/// example's installed one.
fn copy_project(from: &Path, to: &Path) {
    fn copy(from: &Path, to: &Path) -> std::io::Result<()> {
        fs::create_dir_all(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            let name = entry.file_name();
            if name == "node_modules" || name == ".wrangler" {
                continue;
            }
            if entry.file_type()?.is_dir() {
                copy(&entry.path(), &to.join(&name))?;
            } else {
                fs::copy(entry.path(), to.join(&name))?;
            }
        }
        Ok(())
    }
    copy(from, to).unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), to.display()));
    std::os::unix::fs::symlink(from.join("node_modules"), to.join("node_modules"))
        .unwrap_or_else(|e| panic!("link node_modules: {e}"));
}

fn schema_of(config: &Path) -> auth_core::Schema {
    auth_core::Config::load(config)
        .map_err(|e| e.to_string())
        .and_then(|config| auth_core::Schema::build(&config).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| panic!("{}: {e}", config.display()))
}

/// `auth-cli migrate new <slug> --dialect d1` in the project copy.
fn migrate_new(project: &Path, slug: &str) {
    let opt = Opt::from(auth_cli::Command::Migrate(MigrateCommand::New(
        MigrateNewOpt {
            slug: slug.to_owned(),
            dialect: Dialect::D1,
            config: project.join("auth.toml"),
            dir: project.join("migrations"),
            allow_destructive: false,
        },
    )));
    auth_cli::run(opt, &mut Vec::new()).unwrap_or_else(|e| panic!("auth-cli migrate new: {e}"));
}

/// `wrangler d1 migrations apply DB --local --persist-to <state>` in the copy.
fn apply(example: &Path, project: &Path, state: &Path, scratch: &Path) {
    let mut command = d1::wrangler(example, project, scratch);
    command
        .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
        .arg(state);
    let output = d1::run(command, scratch, APPLY_TIMEOUT)
        .unwrap_or_else(|e| panic!("wrangler d1 migrations apply: {e}"));
    assert!(
        output.success,
        "wrangler d1 migrations apply failed:\n{}",
        output.text
    );
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

// ---------------------------------------------------------------------------------------------
// The worker

/// `wrangler dev --local` serving the copy on a free port; stopped (with workerd) on drop.
struct Worker {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Worker {
    /// Starts the worker and waits until it answers. `extras` is the worker's `AUTH_EXTRAS`.
    fn start(example: &Path, project: &Path, state: &Path, scratch: &Path, extras: &str) -> Self {
        let port = free_port();
        let log = scratch.join(format!("wrangler-dev-{port}.log"));
        let file =
            fs::File::create(&log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let err = file.try_clone().unwrap_or_else(|e| panic!("log file: {e}"));
        let mut command = d1::wrangler(example, project, scratch);
        command
            .args([
                "dev",
                "--local",
                "--ip",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .args(["--inspector-port", &free_port().to_string(), "--persist-to"])
            .arg(state)
            .args(["--var", &format!("BASE_URL:http://127.0.0.1:{port}")]);
        if !extras.is_empty() {
            command.args(["--var", &format!("AUTH_EXTRAS:{extras}")]);
        }
        // Its own process group, so that stopping it also stops esbuild and workerd.
        command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
        let mut worker = Self { child, port, log };
        worker.wait_until_ready();
        worker
    }

    fn wait_until_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("wrangler dev exited with {status}:\n{}", self.log_text());
            }
            if request(self.port, "GET", "/", &[], None).is_ok_and(|r| r.status == 200) {
                return;
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "wrangler dev did not answer on port {} within {START_TIMEOUT:?}:\n{}",
                self.port,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_text(&self) -> String {
        d1::strip_ansi(&fs::read_to_string(&self.log).unwrap_or_default())
    }

    /// Sends `signal` to the whole process group.
    fn signal_group(&self, signal: &str) -> bool {
        Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.signal_group("-TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        // Until wrangler has exited (reaped here) and workerd with it (reaped by init).
        while Instant::now() < deadline {
            let exited = !matches!(self.child.try_wait(), Ok(None));
            if exited && !self.signal_group("-0") {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.signal_group("-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

// ---------------------------------------------------------------------------------------------
// A tiny HTTP/1.1 client with a cookie jar

struct Client {
    port: u16,
    /// name → value
    cookies: BTreeMap<String, String>,
}

impl Client {
    fn new(port: u16) -> Self {
        Self {
            port,
            cookies: BTreeMap::new(),
        }
    }

    fn post(&mut self, path: &str, body: &Value) -> Value {
        self.send("POST", path, Some(&body.to_string()))
    }

    fn get(&mut self, path: &str) -> Value {
        self.send("GET", path, None)
    }

    /// Sends a request as the browser would (origin = baseURL, the cookies), keeps the cookies it
    /// sets, and returns the JSON body of a 200.
    fn send(&mut self, method: &str, path: &str, body: Option<&str>) -> Value {
        let origin = format!("http://127.0.0.1:{}", self.port);
        let cookie = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut headers = vec![("origin", origin.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        if !cookie.is_empty() {
            headers.push(("cookie", cookie.as_str()));
        }
        let response = request(self.port, method, path, &headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        for (name, value) in &response.headers {
            if name == "set-cookie" {
                self.set_cookie(value);
            }
        }
        assert_eq!(response.status, 200, "{method} {path}: {}", response.body);
        serde_json::from_str(&response.body)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {}", response.body))
    }

    fn set_cookie(&mut self, header: &str) {
        let mut parts = header.split(';');
        let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
            return;
        };
        let expired = parts.any(|attribute| attribute.trim().eq_ignore_ascii_case("max-age=0"));
        if expired || value.is_empty() {
            self.cookies.remove(name.trim());
        } else {
            self.cookies
                .insert(name.trim().to_owned(), value.trim().to_owned());
        }
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    /// Lower-case names.
    headers: Vec<(String, String)>,
    body: String,
}

/// One request on its own connection (`Connection: close`).
fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<Response, String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(HTTP_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let body = body.unwrap_or("");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nconnection: close\r\n\
         content-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(format!("{head}{body}").as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    // workerd keeps the connection open for a while despite `connection: close`: read only
    // until the response is complete.
    let mut raw = Vec::new();
    let mut buffer = [0; 8192];
    loop {
        if let Some(response) = complete_response(&raw)? {
            return Ok(response);
        }
        let read = stream
            .read(&mut buffer)
            .map_err(|e| format!("receive: {e}"))?;
        if read == 0 {
            return parse_response(&raw);
        }
        raw.extend_from_slice(&buffer[..read]);
    }
}

/// The response once `raw` holds all of it (by `content-length` or the last chunk).
fn complete_response(raw: &[u8]) -> Result<Option<Response>, String> {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = &raw[split + 4..];
    let length = head
        .split("\r\n")
        .filter_map(|line| line.strip_prefix("content-length:"))
        .find_map(|value| value.trim().parse::<usize>().ok());
    let complete = match length {
        Some(length) => body.len() >= length,
        None if head.contains("transfer-encoding: chunked") => body.ends_with(b"0\r\n\r\n"),
        None => false,
    };
    if complete {
        parse_response(raw).map(Some)
    } else {
        Ok(None)
    }
}

fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no end of headers in {:?}", String::from_utf8_lossy(raw)))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(name, value)| {
        name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Ok(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|e| format!("bad chunk size {size_text:?}: {e}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        data = data.get(size + 2..).ok_or("truncated chunk end")?;
    }
}
