use super::*;
use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use serde_json::{Value as Json, json};

/// The secret of [`server`].
pub(super) const SECRET: &str = "a-test-secret-that-is-long-enough-0123456789";

/// The base URL and trusted origin of [`server`].
pub(super) const ORIGIN: &str = "http://127.0.0.1:3000";

/// A server for a plugin's own tests: `auth_toml` (after `base-url = ORIGIN`) on a fresh SQLite
/// file in `dir`, with a log mailer writing `dir/outbox.jsonl`.
pub(super) async fn server(dir: &std::path::Path, auth_toml: &str) -> crate::Auth {
    server_with(dir, auth_toml, crate::AuthOptions::default()).await
}

/// [`server`] with `options` (Rust hooks).
pub(super) async fn server_with(
    dir: &std::path::Path,
    auth_toml: &str,
    options: crate::AuthOptions,
) -> crate::Auth {
    let text = format!(
        "base-url = \"{ORIGIN}\"\n[mailer]\nkind = \"log\"\npath = \"{}\"\n{auth_toml}",
        dir.join("outbox.jsonl").display()
    );
    let config = auth_core::Config::parse("auth.toml", &text).unwrap_or_else(|e| panic!("{e:?}"));
    let schema = auth_core::Schema::build(&config).unwrap_or_else(|e| panic!("{e:?}"));
    let store = crate::store::Store::create_sqlite(&schema, &dir.join("auth.db"))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let secret = crate::wire::Secret::new(SECRET.to_owned()).unwrap_or_else(|e| panic!("{e:?}"));
    crate::Auth::new(config, store, secret, options).unwrap_or_else(|e| panic!("{e:?}"))
}

/// One request to `auth` with `cookie`, from [`ORIGIN`], with a JSON body.
pub(super) async fn call(
    auth: &crate::Auth,
    method: &str,
    path: &str,
    cookie: &str,
    body: Option<Json>,
) -> Response<Bytes> {
    let body = body.map(|b| Bytes::from(b.to_string()));
    send(auth, method, path, cookie, body).await
}

/// [`call`] with the body as text, sent as it is (JSON or not).
pub(super) async fn request(
    auth: &crate::Auth,
    method: &str,
    path: &str,
    cookie: &str,
    body: &str,
) -> Response<Bytes> {
    send(
        auth,
        method,
        path,
        cookie,
        Some(Bytes::from(body.to_owned())),
    )
    .await
}

async fn send(
    auth: &crate::Auth,
    method: &str,
    path: &str,
    cookie: &str,
    body: Option<Bytes>,
) -> Response<Bytes> {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("{ORIGIN}/api/auth{path}"))
        .header(header::ORIGIN, ORIGIN)
        .header(header::COOKIE, cookie);
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    auth.handle(
        request
            .body(body.unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await
}

pub(super) fn json_of(response: &Response<Bytes>) -> Json {
    serde_json::from_slice(response.body()).unwrap_or(Json::Null)
}

/// The `Set-Cookie` lines of an answer, `name=value; attributes`.
pub(super) fn set_cookies(response: &Response<Bytes>) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// The request cookie header a browser sends after `response` (the last value of each name,
/// expired ones dropped), on top of `jar`.
pub(super) fn after(jar: &str, response: &Response<Bytes>) -> String {
    let mut cookies: Vec<(String, String)> = jar
        .split("; ")
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    for line in set_cookies(response) {
        let pair = line.split(';').next().unwrap_or_default();
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        cookies.retain(|(k, _)| k != name);
        if !value.is_empty() && !line.contains("Max-Age=0") {
            cookies.push((name.to_owned(), value.to_owned()));
        }
    }
    cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The password [`sign_up`] gives every user.
pub(super) const PASSWORD: &str = "password1234";

/// Signs `email` up; returns its cookies and id.
pub(super) async fn sign_up(auth: &crate::Auth, email: &str) -> (String, String) {
    let body = json!({ "email": email, "password": PASSWORD, "name": "N" });
    let response = call(auth, "POST", "/sign-up/email", "", Some(body)).await;
    assert_eq!(response.status(), StatusCode::OK, "{:?}", response.body());
    let id = json_of(&response)["user"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (after("", &response), id)
}

#[test]
fn served_is_the_list_of_runtimes() {
    let runtimes: Vec<Plugin> = RUNTIMES.iter().map(|r| r.plugin).collect();
    assert_eq!(runtimes, SERVED);
    let declared: Vec<Plugin> = auth_core::plugins::DECLARED
        .iter()
        .map(|d| d.plugin)
        .collect();
    assert_eq!(
        declared, SERVED,
        "every served plugin declares its endpoints in auth-core"
    );
}

/// Every plugin's endpoints have handlers and every handler an endpoint, with every plugin
/// served and each of its options that adds endpoints on.
#[test]
fn every_plugin_endpoint_has_a_handler() {
    let mut text = String::from("[email-and-password]\nenabled = true\n");
    for plugin in SERVED {
        text.push_str(&format!("[plugins.{plugin}]\n"));
        if *plugin == Plugin::Organization {
            text.push_str("teams = true\ndynamic-access-control = true\n");
        }
    }
    let config = auth_core::Config::parse("auth.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let endpoints = auth_core::endpoints::endpoints(&config);
    let mut tables = vec![crate::routes::HANDLERS];
    tables.extend(RUNTIMES.iter().map(|r| r.handlers));
    if let Err(missing) = crate::router::Router::new(endpoints.clone(), &tables) {
        panic!("{missing}");
    }
    for runtime in RUNTIMES {
        for (id, _) in runtime.handlers {
            assert!(
                endpoints
                    .iter()
                    .any(|e| e.id == *id && e.plugin == Some(runtime.plugin)),
                "{}: {id} serves nothing",
                runtime.plugin
            );
        }
    }
}

/// README's table of plugins: `| `<id>` | served |` or `| `<id>` | schema only |`.
fn readme_rows() -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let start = text
        .find("| plugin | runtime |")
        .unwrap_or_else(|| panic!("README.md has no `| plugin | runtime |` table"));
    text[start..]
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_owned(), cells[2].to_owned())
        })
        .collect()
}

#[test]
fn readme_lists_every_plugin_with_what_the_server_does_with_it() {
    let rows = readme_rows();
    let ids: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    let all: Vec<&str> = Plugin::ALL.iter().map(|p| p.id()).collect();
    assert_eq!(
        ids, all,
        "README's table lists every plugin, in canonical order"
    );
    for (plugin, (id, runtime)) in Plugin::ALL.iter().zip(&rows) {
        let expected = if SERVED.contains(plugin) {
            "served"
        } else {
            "schema only"
        };
        assert_eq!(runtime, expected, "README's row for {id}");
    }
}

/// `Auth::new` refuses every plugin outside [`SERVED`], one plugin id at a time.
#[tokio::test]
async fn the_server_refuses_every_plugin_it_does_not_serve() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (i, plugin) in Plugin::ALL.iter().enumerate() {
        // A mailer, for the plugins that send mail.
        let text = format!(
            "base-url = \"http://127.0.0.1:3000\"\n[plugins.{plugin}]\n[mailer]\nkind = \"log\"\n"
        );
        let config = auth_core::Config::parse("auth.toml", &text).unwrap_or_else(|e| panic!("{e}"));
        let schema = auth_core::Schema::build(&config).unwrap_or_else(|e| panic!("{e}"));
        let store =
            crate::store::Store::create_sqlite(&schema, &dir.path().join(format!("{i}.db")))
                .await
                .unwrap_or_else(|e| panic!("{plugin}: {e}"));
        let secret = crate::wire::Secret::new(SECRET.to_owned()).unwrap_or_else(|e| panic!("{e}"));
        let built = crate::Auth::new(config, store, secret, crate::AuthOptions::default());
        match (SERVED.contains(plugin), built) {
            (true, Ok(_)) => {}
            (false, Err(crate::AuthError::Config(error))) => assert_eq!(
                error.to_string(),
                format!(
                    "auth.toml:2:1: plugin {plugin} is not served by this version: {}; remove it, or use generate/migrate only",
                    if plugin.guards_sign_in() {
                        "its endpoints and its check on every sign-in are missing"
                    } else {
                        "its endpoints are missing"
                    }
                )
            ),
            (served, other) => panic!("{plugin} (served: {served}): {other:?}"),
        }
    }
}
