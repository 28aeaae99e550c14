#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test target uses a different subset"
)]

//! An in-process auth server on a fresh database (a SQLite file, PostgreSQL or MariaDB) holding
//! the schema generated from an `auth.toml` text, and a small client over `Auth::handle`.

use auth_core::sql::render_schema;
use auth_core::{Config, Dialect, Schema};
use auth_runtime::Secret;
use auth_runtime::secondary::SecondaryStorage;
use auth_runtime::{Auth, AuthOptions};
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use serde_json::Value;

pub const ORIGIN: &str = "http://127.0.0.1:3000";
pub const SECRET: &str = "a-test-secret-that-is-long-enough-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

/// What keeps the database alive while the server runs.
pub enum Holder {
    Sqlite(tempfile::TempDir),
    Postgres(crate::support::Postgres),
    Mysql(crate::support::Mysql),
}

impl Holder {
    pub async fn drop(self) {
        match self {
            Holder::Sqlite(_) => {}
            Holder::Postgres(server) => server.drop().await,
            Holder::Mysql(server) => server.drop().await,
        }
    }
}

pub fn parse(toml: &str) -> Config {
    Config::parse("auth.toml", toml).unwrap_or_else(|e| panic!("{e}\nhelp: {:?}", e.help()))
}

/// `toml` with the rate limiter off unless it has a `[rate-limit]` table: these tests send many
/// requests from one client about something else (the rate-limit tests configure it).
pub fn limiter_off_by_default(toml: &str) -> String {
    if toml.contains("[rate-limit") {
        toml.to_owned()
    } else {
        format!("{toml}\n[rate-limit]\nenabled = false\n")
    }
}

impl Holder {
    /// The dialect and URL of the database.
    pub fn url(&self) -> (Dialect, String) {
        match self {
            Holder::Sqlite(dir) => (
                Dialect::Sqlite,
                format!("sqlite:{}", dir.path().join("auth.db").display()),
            ),
            Holder::Postgres(server) => (Dialect::Postgres, server.url()),
            Holder::Mysql(server) => (Dialect::Mysql, server.url()),
        }
    }
}

/// Options of every test server; `secondary` as its secondary storage.
pub fn options(secondary: Option<std::sync::Arc<dyn SecondaryStorage>>) -> AuthOptions {
    AuthOptions {
        base_url: Some(ORIGIN.into()),
        secondary_storage: secondary,
        ..Default::default()
    }
}

/// Another server for `toml` on the database `holder` keeps (as a second process would be).
pub async fn another(holder: &Holder, toml: &str, options: AuthOptions) -> Auth {
    let (dialect, url) = holder.url();
    let secret = Secret::new(SECRET).unwrap_or_else(|e| panic!("{e}"));
    Auth::connect(parse(toml), dialect, &url, secret, options)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"))
}

/// A server for `toml` on a fresh database of `backend`; `None` when the service is missing
/// (outside CI). The rate limiter is off unless `toml` configures it.
pub async fn server(backend: Backend, toml: &str, label: &str) -> Option<(Auth, Holder)> {
    server_with(backend, toml, label, options(None)).await
}

/// [`server`] with its options.
pub async fn server_with(
    backend: Backend,
    toml: &str,
    label: &str,
    options: AuthOptions,
) -> Option<(Auth, Holder)> {
    let config = parse(&limiter_off_by_default(toml));
    let schema = Schema::build(&config).unwrap_or_else(|e| panic!("{e}"));
    let (holder, dialect, url) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let path = dir.path().join("auth.db");
            // Creates the file with the schema; the server below opens its own store on it.
            auth_runtime::store::Store::create_sqlite(&schema, &path)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let url = format!("sqlite:{}", path.display());
            (Holder::Sqlite(dir), Dialect::Sqlite, url)
        }
        Backend::Postgres => {
            let server = crate::support::Postgres::fresh(label).await?;
            server
                .execute(&render_schema(&schema, Dialect::Postgres))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let url = server.url();
            (Holder::Postgres(server), Dialect::Postgres, url)
        }
        Backend::Mysql => {
            let server = crate::support::Mysql::fresh(label).await?;
            server
                .execute(&render_schema(&schema, Dialect::Mysql))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let url = server.url();
            (Holder::Mysql(server), Dialect::Mysql, url)
        }
    };
    let secret = Secret::new(SECRET).unwrap_or_else(|e| panic!("{e}"));
    let options = AuthOptions {
        base_url: Some(ORIGIN.into()),
        ..options
    };
    let auth = Auth::connect(config, dialect, &url, secret, options)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"));
    Some((auth, holder))
}

/// A SQLite server (always available).
pub async fn sqlite(toml: &str) -> (Auth, Holder) {
    server(Backend::Sqlite, toml, "sqlite")
        .await
        .unwrap_or_else(|| panic!("sqlite is always available"))
}

/// An answer: status, headers, and the body as JSON (`Value::Null` when empty, a string when
/// it is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&self.body).into_owned()))
    }

    /// The `code` of an error body.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }

    /// `name=value` of every `Set-Cookie`, attributes dropped.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(http::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().to_owned())
            .collect()
    }

    /// The full `Set-Cookie` lines.
    pub fn set_cookie_lines(&self) -> Vec<String> {
        self.headers
            .get_all(http::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    }

    /// A `Cookie` header carrying every cookie this answer set (expired ones left out).
    pub fn cookie(&self) -> String {
        self.set_cookie_lines()
            .iter()
            .filter(|line| !line.to_ascii_lowercase().contains("max-age=0"))
            .map(|line| line.split(';').next().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// A request builder over `Auth::handle`.
pub struct Call {
    method: Method,
    uri: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Bytes,
}

pub fn get(path: &str) -> Call {
    Call::new(Method::GET, path)
}

pub fn post(path: &str) -> Call {
    Call::new(Method::POST, path).header("origin", ORIGIN)
}

impl Call {
    pub fn new(method: Method, path: &str) -> Self {
        let uri = if path.starts_with('/') && !path.starts_with("/api/") {
            format!("/api/auth{path}")
        } else {
            path.to_owned()
        };
        Self {
            method,
            uri,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    #[must_use]
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers.retain(|(n, _)| n != name || name == "cookie");
        self.headers
            .push((name.to_owned(), value.as_ref().to_vec()));
        self
    }

    #[must_use]
    pub fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| n != name);
        self
    }

    #[must_use]
    pub fn cookie(self, cookie: &str) -> Self {
        self.header("cookie", cookie)
    }

    #[must_use]
    pub fn json(self, body: &Value) -> Self {
        self.raw("application/json", body.to_string())
    }

    #[must_use]
    pub fn raw(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self.header("content-type", content_type)
    }

    pub fn request(&self) -> Request<Bytes> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(&self.uri);
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_slice());
        }
        builder
            .body(self.body.clone())
            .unwrap_or_else(|e| panic!("request {}: {e}", self.uri))
    }

    pub async fn send(&self, auth: &Auth) -> Answer {
        let response = auth.handle(self.request()).await;
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

/// Signs up `email` (password `password123`, name `Test`) and returns the answer; panics unless
/// it is 200.
pub async fn sign_up(auth: &Auth, email: &str) -> Answer {
    let answer = post("/sign-up/email")
        .json(&serde_json::json!({ "name": "Test", "email": email, "password": "password123" }))
        .send(auth)
        .await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "sign-up {email}: {:?}",
        answer.json()
    );
    answer
}
