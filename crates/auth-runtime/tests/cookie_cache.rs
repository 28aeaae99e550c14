//! The cookie cache (`[session.cookie-cache]`) and stateless sessions through the whole server
//! (`Auth::handle`) on an in-process SQLite file: answers without the session row, the bypass,
//! rememberMe = false, chunking past 4050 bytes, and sessions kept only in the cookie.

use std::collections::BTreeMap;

use auth_runtime::Secret;
use auth_runtime::wire::cookie_cache::{self, Strategy};
use bytes::Bytes;
use http::{Request, Response};
use serde_json::{Value, json};

const BASE: &str = "http://127.0.0.1:3000";
const SECRET: &str = "cookie-cache-test-secret-0123456789abcdefgh";
const TOKEN: &str = "better-auth.session_token";
const DATA: &str = "better-auth.session_data";

struct Server {
    auth: auth_runtime::Auth,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

async fn server(extra: &str) -> Server {
    let text = format!("[email-and-password]\nenabled = true\n{extra}");
    let config = auth_core::Config::parse("auth.toml", text).unwrap_or_else(|e| panic!("{e}"));
    let schema = auth_core::Schema::build(&config).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("auth.db");
    let store = auth_runtime::store::Store::create_sqlite(&schema, &db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let auth = auth_runtime::Auth::new(
        config,
        store,
        secret(),
        auth_runtime::AuthOptions {
            base_url: Some(BASE.to_owned()),
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Server {
        auth,
        db,
        _dir: dir,
    }
}

fn secret() -> Secret {
    Secret::new(SECRET).unwrap_or_else(|e| panic!("{e}"))
}

/// An answer: status, JSON body and its `Set-Cookie` lines by name (value, whole line).
struct Answer {
    status: u16,
    json: Value,
    set: BTreeMap<String, (String, String)>,
}

impl Answer {
    fn value(&self, name: &str) -> Option<&str> {
        self.set.get(name).map(|(value, _)| value.as_str())
    }
}

fn answer(response: &Response<Bytes>) -> Answer {
    let mut set = BTreeMap::new();
    for line in response.headers().get_all(http::header::SET_COOKIE) {
        let line = line.to_str().unwrap_or_default().to_owned();
        let pair = line.split(';').next().unwrap_or_default();
        if let Some((name, value)) = pair.split_once('=') {
            set.insert(name.to_owned(), (value.to_owned(), line.clone()));
        }
    }
    Answer {
        status: response.status().as_u16(),
        json: serde_json::from_slice(response.body()).unwrap_or(Value::Null),
        set,
    }
}

async fn call(
    server: &Server,
    method: &str,
    path: &str,
    body: Option<Value>,
    cookies: &[(&str, &str)],
) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("{BASE}/api/auth{path}"))
        .header("origin", BASE);
    if !cookies.is_empty() {
        let header: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        request = request.header("cookie", header.join("; "));
    }
    let body = match body {
        Some(json) => {
            request = request.header("content-type", "application/json");
            Bytes::from(json.to_string())
        }
        None => Bytes::new(),
    };
    let request = request.body(body).unwrap_or_else(|e| panic!("{e}"));
    answer(&server.auth.handle(request).await)
}

/// Signs up `name`; returns the answer (cookies set).
async fn sign_up(server: &Server, name: &str, remember: bool) -> Answer {
    let email = format!("{}@example.com", name.len());
    let signed = call(
        server,
        "POST",
        "/sign-up/email",
        Some(json!({"email": email, "password": "cache-password-1", "name": name, "rememberMe": remember})),
        &[],
    )
    .await;
    assert_eq!(signed.status, 200, "{}", signed.json);
    signed
}

fn session_rows(server: &Server) -> i64 {
    rusqlite::Connection::open(&server.db)
        .and_then(|c| c.query_row("select count(*) from session", [], |r| r.get(0)))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn delete_sessions(server: &Server) {
    rusqlite::Connection::open(&server.db)
        .and_then(|c| c.execute("delete from session", []))
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn a_valid_cache_answers_without_the_session_row() {
    let server = server("[session.cookie-cache]\nenabled = true\n").await;
    let signed = sign_up(&server, "Cached", true).await;
    let token = signed.value(TOKEN).unwrap_or_default().to_owned();
    let data = signed.value(DATA).unwrap_or_default().to_owned();
    assert!(
        signed.set[DATA].1.contains("Max-Age=300;"),
        "{}",
        signed.set[DATA].1
    );
    let cookies = [(TOKEN, token.as_str()), (DATA, data.as_str())];
    // A database read re-issues the cache.
    let read = call(
        &server,
        "GET",
        "/get-session?disableCookieCache=true",
        None,
        &cookies,
    )
    .await;
    assert_eq!(read.json["user"]["name"], "Cached");
    assert!(read.value(DATA).is_some_and(|v| !v.is_empty()));
    // The cache answers as the database did, the first time (the answer is then written and
    // remembered) and the next.
    let data_read = read.value(DATA).unwrap_or_default().to_owned();
    for _ in 0..2 {
        let again = call(
            &server,
            "GET",
            "/get-session",
            None,
            &[(TOKEN, &token), (DATA, &data_read)],
        )
        .await;
        assert_eq!(again.json, read.json);
    }
    delete_sessions(&server);
    let cached = call(&server, "GET", "/get-session", None, &cookies).await;
    assert_eq!(cached.json["user"]["name"], "Cached", "{}", cached.json);
    assert_eq!(
        cached.json["session"]["token"],
        token.split('.').next().unwrap_or_default()
    );
    assert!(cached.set.is_empty(), "{:?}", cached.set.keys());
    // Bypassed: the row is gone, so the session is too and the cookies are expired.
    let bypass = call(
        &server,
        "GET",
        "/get-session?disableCookieCache=true",
        None,
        &cookies,
    )
    .await;
    assert_eq!(bypass.json, Value::Null);
    assert_eq!(bypass.value(DATA), Some(""));
    assert_eq!(bypass.value(TOKEN), Some(""));
    // Another session's token with this cache: ignored and expired.
    let other = sign_up(&server, "Other one", true).await;
    let other_token = other.value(TOKEN).unwrap_or_default();
    let mixed = call(
        &server,
        "GET",
        "/get-session",
        None,
        &[(TOKEN, other_token), (DATA, &data)],
    )
    .await;
    assert_eq!(mixed.json["user"]["name"], "Other one");
    assert!(
        mixed.value(DATA).is_some_and(|v| !v.is_empty()),
        "re-issued from the row"
    );
}

/// A value the server has verified once (and remembers) is judged again on every use: once
/// the cache has expired it no longer answers, and the database decides.
#[tokio::test]
async fn a_remembered_cache_still_expires() {
    let server = server("[session.cookie-cache]\nenabled = true\nmax-age = 1\n").await;
    let signed = sign_up(&server, "Brief", true).await;
    let token = signed.value(TOKEN).unwrap_or_default().to_owned();
    let data = signed.value(DATA).unwrap_or_default().to_owned();
    let cookies = [(TOKEN, token.as_str()), (DATA, data.as_str())];
    delete_sessions(&server);
    for _ in 0..2 {
        let cached = call(&server, "GET", "/get-session", None, &cookies).await;
        assert_eq!(cached.json["user"]["name"], "Brief", "{}", cached.json);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let expired = call(&server, "GET", "/get-session", None, &cookies).await;
    assert_eq!(expired.json, Value::Null);
    assert_eq!(expired.value(DATA), Some(""));
}

#[tokio::test]
async fn dont_remember_writes_a_session_cookie_cache_of_sixty_seconds() {
    let server = server("[session.cookie-cache]\nenabled = true\n").await;
    let before = time_ms();
    let signed = sign_up(&server, "Forgetful", false).await;
    let (value, line) = &signed.set[DATA];
    assert!(!line.contains("Max-Age"), "{line}");
    let cache = cookie_cache::decode(Strategy::Compact, value, &secret(), before)
        .unwrap_or_else(|| panic!("cache does not verify"));
    let lifetime = cache.expires_at - before;
    assert!((60_000..62_000).contains(&lifetime), "{lifetime}");
}

#[tokio::test]
async fn large_caches_are_chunked_and_read_back() {
    let server = server("[session.cookie-cache]\nenabled = true\nstrategy = \"jwe\"\n").await;
    let name = "N".repeat(5000);
    let signed = sign_up(&server, &name, true).await;
    assert!(signed.value(DATA).is_none());
    let chunks: Vec<(&str, &str)> = [".0", ".1"]
        .iter()
        .map(|suffix| {
            let key = format!("{DATA}{suffix}");
            let (name, value) = signed
                .set
                .get_key_value(&key)
                .unwrap_or_else(|| panic!("no {key}: {:?}", signed.set.keys()));
            assert!(value.1.len() <= 4050, "{}", value.1.len());
            (name.as_str(), value.0.as_str())
        })
        .collect();
    let token = signed.value(TOKEN).unwrap_or_default();
    delete_sessions(&server);
    let mut cookies = vec![(TOKEN, token)];
    cookies.extend(chunks.iter().copied());
    let cached = call(&server, "GET", "/get-session", None, &cookies).await;
    assert_eq!(cached.json["user"]["name"], json!(name));
    let out = call(&server, "POST", "/sign-out", Some(json!({})), &cookies).await;
    assert_eq!(out.value(&format!("{DATA}.0")), Some(""));
    assert_eq!(out.value(&format!("{DATA}.1")), Some(""));
}

#[tokio::test]
async fn a_cache_left_while_the_feature_is_off_is_cleared() {
    let server = server("").await;
    let signed = sign_up(&server, "Plain", true).await;
    assert!(signed.value(DATA).is_none());
    let token = signed.value(TOKEN).unwrap_or_default();
    let read = call(
        &server,
        "GET",
        "/get-session",
        None,
        &[(TOKEN, token), (DATA, "stale")],
    )
    .await;
    assert_eq!(read.json["user"]["name"], "Plain");
    assert_eq!(read.value(DATA), Some(""));
}

#[tokio::test]
async fn stateless_sessions_live_only_in_the_cookie() {
    let server = server("[session]\nstateless = true\nexpires-in = 3600\n").await;
    let tables: i64 = rusqlite::Connection::open(&server.db)
        .and_then(|c| {
            c.query_row(
                "select count(*) from sqlite_master where name = 'session'",
                [],
                |r| r.get(0),
            )
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tables, 0, "no session table");
    let signed = sign_up(&server, "Stateless", true).await;
    let (data, line) = &signed.set[DATA];
    assert_eq!(data.split('.').count(), 5, "a JWE: {data}");
    assert!(line.contains("Max-Age=3600;"), "{line}");
    let token = signed.value(TOKEN).unwrap_or_default();
    let cookies = [(TOKEN, token), (DATA, data.as_str())];
    let read = call(&server, "GET", "/get-session", None, &cookies).await;
    assert_eq!(read.json["user"]["name"], "Stateless");
    assert!(read.set.is_empty());
    let list = call(&server, "GET", "/list-sessions", None, &cookies).await;
    assert_eq!(list.json.as_array().map(Vec::len), Some(1), "{}", list.json);
    assert_eq!(list.json[0]["token"], read.json["session"]["token"]);
    let updated = call(
        &server,
        "POST",
        "/update-user",
        Some(json!({"name": "Renamed"})),
        &cookies,
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.json);
    let renamed = updated.value(DATA).unwrap_or_default();
    let read = call(
        &server,
        "GET",
        "/get-session",
        None,
        &[(TOKEN, token), (DATA, renamed)],
    )
    .await;
    assert_eq!(read.json["user"]["name"], "Renamed");
    // Without its cookie there is no session, and nothing server-side to fall back on.
    let bare = call(&server, "GET", "/get-session", None, &[(TOKEN, token)]).await;
    assert_eq!(bare.json, Value::Null);
    assert_eq!(bare.value(TOKEN), Some(""));
    let out = call(&server, "POST", "/sign-out", Some(json!({})), &cookies).await;
    assert_eq!(out.json, json!({"success": true}));
    assert_eq!(out.value(DATA), Some(""));
    // The limit of stateless sessions: a copy of the cookies kept by the client still works
    // until it expires, since the server keeps nothing it could revoke.
    let replay = call(&server, "GET", "/get-session", None, &cookies).await;
    assert_eq!(replay.json["user"]["name"], "Stateless");
}

#[tokio::test]
async fn stateless_caches_are_refreshed_in_their_last_fifth() {
    let server =
        server("[session]\nstateless = true\n[session.cookie-cache]\nstrategy = \"compact\"\n")
            .await;
    let signed = sign_up(&server, "Refresh", true).await;
    let token = signed.value(TOKEN).unwrap_or_default();
    let data = signed.value(DATA).unwrap_or_default();
    let now = time_ms();
    let cache = cookie_cache::decode(Strategy::Compact, data, &secret(), now)
        .unwrap_or_else(|| panic!("cache does not verify"));
    let fresh = call(
        &server,
        "GET",
        "/get-session",
        None,
        &[(TOKEN, token), (DATA, data)],
    )
    .await;
    assert!(fresh.set.is_empty(), "{:?}", fresh.set.keys());
    // The same payload written 500 000 s into its 604 800 s: less than a fifth is left.
    let old = cookie_cache::encode(
        Strategy::Compact,
        &cache.payload,
        &secret(),
        now - 500_000_000,
        Some(604_800),
    );
    let refreshed = call(
        &server,
        "GET",
        "/get-session",
        None,
        &[(TOKEN, token), (DATA, &old)],
    )
    .await;
    assert_eq!(refreshed.json["user"]["name"], "Refresh");
    let renewed = refreshed.value(DATA).unwrap_or_default();
    let renewed = cookie_cache::decode(Strategy::Compact, renewed, &secret(), now)
        .unwrap_or_else(|| panic!("refreshed cache does not verify"));
    assert!(
        renewed.expires_at >= now + 604_000_000,
        "{}",
        renewed.expires_at - now
    );
    assert!(refreshed.value(TOKEN).is_some_and(|v| !v.is_empty()));
}

#[tokio::test]
async fn stateful_rows_stay_in_the_database() {
    let server = server("[session.cookie-cache]\nenabled = true\nstrategy = \"jwt\"\n").await;
    sign_up(&server, "Stored", true).await;
    assert_eq!(session_rows(&server), 1);
}

fn time_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or_default()
}
