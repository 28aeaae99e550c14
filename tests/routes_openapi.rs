//! Every path the server routes is in the OpenAPI document, and every operation of the document
//! is routed: `Auth::endpoints()` equals the document's (path, method) pairs, and requesting each
//! of them (path parameters filled with a dummy value) never gets better-auth's routing 404 (an
//! empty body without content type), which an unknown path does get.

use crate::support;

#[path = "fuzz.rs"]
mod fuzz;

use std::collections::BTreeSet;

use auth_core::emit::openapi;

/// better-auth's answer to a path it does not route.
fn routing_404(response: &reqwest::Response) -> bool {
    response.status() == reqwest::StatusCode::NOT_FOUND
        && response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .is_none()
        && response.content_length().is_none_or(|n| n == 0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_routed_path_is_documented_and_every_documented_path_routed() {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    for relative in ["examples/quickstart/auth.toml", "examples/full/auth.toml"] {
        let mut config = support::config(relative);
        // The server refuses the plugins it does not serve yet (README: Plugins): the full
        // example runs with those it does, whose paths must be documented and routed too.
        config
            .plugins
            .retain(|plugin| auth_runtime::plugins::SERVED.contains(&plugin));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (base, auth) = support::server::serve(config, dir.path()).await;
        let document = openapi(auth.schema(), auth.endpoints(), auth.base_path())
            .unwrap_or_else(|e| panic!("{e}"));
        let documented: BTreeSet<(String, String)> = document["paths"]
            .as_object()
            .unwrap_or_else(|| panic!("no paths"))
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .into_iter()
                    .flat_map(move |ops| ops.keys().map(move |m| (path.clone(), m.to_uppercase())))
            })
            .collect();
        let routed: BTreeSet<(String, String)> = auth
            .endpoints()
            .iter()
            .map(|e| {
                let path = e
                    .path
                    .split('/')
                    .map(|s| {
                        s.strip_prefix(':')
                            .map_or(s.to_owned(), |p| format!("{{{p}}}"))
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                (path, e.method.as_str().to_owned())
            })
            .collect();
        assert_eq!(routed, documented, "{relative}");
        assert!(documented.len() >= 30, "{relative}: {}", documented.len());

        for (path, method) in &documented {
            let filled: String = path
                .split('/')
                .map(|s| if s.starts_with('{') { "dummy" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let url = format!("{base}{}{filled}", auth.base_path());
            let request = match method.as_str() {
                "GET" => http.get(&url),
                _ => http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body("{}"),
            };
            let response = request.send().await.unwrap_or_else(|e| panic!("{e}"));
            assert!(
                !routing_404(&response),
                "{relative}: {method} {path} is documented but not routed"
            );
        }
        // The check can fail: an unknown path and a documented path with the other method get
        // the routing 404.
        let unknown = http
            .get(format!("{base}{}/no-such-endpoint", auth.base_path()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(routing_404(&unknown), "{relative}: {unknown:?}");
        let wrong_method = http
            .put(format!("{base}{}/sign-in/email", auth.base_path()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(routing_404(&wrong_method), "{relative}: {wrong_method:?}");
    }
}

/// The open-api plugin serves the same document `auth-cli generate --target openapi` writes for
/// the same auth.toml, with every enabled plugin's endpoints; and its reference page and the
/// page's script (Scalar, compiled in), which load nothing from another host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_is_the_generated_one_and_the_page_is_self_contained() {
    let relative = "tests/fixtures/fuzz/auth.toml";
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (base, auth) = support::server::serve(support::config(relative), dir.path()).await;
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{base}/api/auth{path}")).send();
    let served: serde_json::Value = get("/open-api/generate-schema")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("openapi.json");
    let opt = auth_cli::Opt::from(auth_cli::Command::Generate(auth_cli::GenerateOpt {
        target: auth_cli::Target::Openapi,
        dialect: None,
        config: support::root().join(relative),
        out: Some(out.clone()),
        templates: None,
    }));
    auth_cli::run(opt, &mut Vec::new()).unwrap_or_else(|e| panic!("{e}"));
    let generated: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(served, generated);
    let paths = served["paths"]
        .as_object()
        .unwrap_or_else(|| panic!("no paths"));
    for plugin_path in [
        "/admin/list-users",
        "/api-key/create",
        "/token",
        "/phone-number/verify",
        "/two-factor/enable",
        "/sign-in/username",
        "/sign-in/anonymous",
        "/sign-in/magic-link",
        "/email-otp/send-verification-otp",
        "/multi-session/list-device-sessions",
        "/one-time-token/verify",
        "/open-api/generate-schema",
    ] {
        assert!(
            paths.contains_key(plugin_path),
            "{plugin_path} is not documented"
        );
    }
    assert_eq!(
        paths.len(),
        auth.endpoints()
            .iter()
            .map(|e| e.path)
            .collect::<BTreeSet<_>>()
            .len()
    );

    let page = get("/reference").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.headers()["content-type"], "text/html");
    let page = page.text().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        page.contains(r#"<script src="/api/auth/reference/scalar-api-reference.js"></script>"#),
        "{page}"
    );
    assert!(
        !page.contains("https://") && !page.contains("http://"),
        "the page names another host"
    );
    assert_eq!(
        page.matches("</script>").count(),
        3,
        "the document closed a script element"
    );
    let script = get("/reference/scalar-api-reference.js")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(script.headers()["content-type"], "text/javascript");
    let script = script.bytes().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(script.len() > 1_000_000 && script.starts_with(b"(function(){"));
}

/// The fuzzer's first finding: admin endpoints answer a request without a session with 401 and
/// an empty body (as better-auth's admin middleware does), which the document described as a
/// `{code, message}` error. The document now declares that 401 without content.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_regression_admin_401_has_no_body_and_the_document_says_so() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = support::config("tests/fixtures/fuzz/auth.toml");
    let (base, auth) = support::server::serve(config, dir.path()).await;
    let answer = reqwest::Client::new()
        .post(format!("{base}/api/auth/admin/ban-user"))
        .json(&serde_json::json!({"banReason": "", "banExpiresIn": 0}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.status(), reqwest::StatusCode::UNAUTHORIZED);
    assert!(answer.bytes().await.unwrap_or_default().is_empty());
    let document = openapi(auth.schema(), auth.endpoints(), auth.base_path())
        .unwrap_or_else(|e| panic!("{e}"));
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
            let bare = &operation["responses"]["401"];
            if path.starts_with("/admin/") {
                assert!(
                    bare.is_object() && bare.get("content").is_none(),
                    "{path}: {operation}"
                );
            } else {
                assert!(bare.is_null(), "{path}: {operation}");
            }
        }
    }
}

/// The fuzzer's second finding: get-session with an API key answered a session without the
/// fields the key's session does not have (admin's `impersonatedBy`, an additional field), which
/// the document's `Session` requires; it now answers them as `null`, as a stored session does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_regression_an_api_key_session_has_every_session_field() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = support::config("tests/fixtures/fuzz/auth.toml");
    let (base, auth) = support::server::serve(config, dir.path()).await;
    let key = fuzz::api_key(&base).await;
    let answer = fuzz::json_answer(
        reqwest::Client::new()
            .get(format!("{base}/api/auth/get-session"))
            .header("x-api-key", key),
    )
    .await;
    assert_eq!(answer["session"]["impersonatedBy"], serde_json::Value::Null);
    assert!(
        answer["session"]
            .as_object()
            .is_some_and(|s| s.contains_key("device")),
        "{answer}"
    );
    let get_session = auth
        .endpoints()
        .iter()
        .find(|e| e.id == "getSession")
        .unwrap_or_else(|| panic!("no get-session"));
    let auth_core::endpoints::Reply::Json(shape) = &get_session.reply else {
        panic!("{:?}", get_session.reply);
    };
    let resolved = shape
        .resolve(auth.schema())
        .unwrap_or_else(|e| panic!("{e}"));
    resolved
        .check(&answer)
        .unwrap_or_else(|e| panic!("{e}: {answer}"));
}
