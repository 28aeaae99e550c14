//! `auth_runtime::oauth` against a real OpenID Connect provider: panva/oidc-provider from
//! `tests/oidc` (an npm project of this repository, installed with `npm ci` when needed),
//! started on 127.0.0.1 with a random port. A browserless login (`tests/oidc/login.mjs`) plays
//! the browser: authorize → login → consent → redirect with the code.
//!
//! Without Node.js the tests skip, except under `CI=true`, where they fail.

use std::fs::{self, File};
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auth_runtime::oauth::{
    AuthorizationRequest, OAuthError, Operation, Provider, ProviderConfig, ProviderKind,
    code_challenge, generate_code_verifier, generate_state,
};

const REDIRECT_URI: &str = "http://127.0.0.1:3000/api/auth/callback/oidc";

fn harness_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc")
}

/// `None` (skip) when Node.js is missing outside CI; panics under `CI=true`.
#[allow(clippy::print_stderr)]
fn node_or_skip() -> Option<()> {
    let found = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some(());
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("CI=true but `node` is not installed: the OIDC tests need Node.js");
    }
    eprintln!("skipping: `node` is not installed (set CI=true to make this a failure)");
    None
}

/// `npm ci` in `tests/oidc` unless `node_modules` is current; one process installs under an
/// exclusive lock while the other tests wait.
fn ensure_installed(harness: &Path) {
    let installed = || {
        let modified = |p: PathBuf| fs::metadata(p).and_then(|m| m.modified()).ok();
        match (
            modified(harness.join("node_modules/.package-lock.json")),
            modified(harness.join("package-lock.json")),
        ) {
            (Some(installed), Some(locked)) => installed >= locked,
            _ => false,
        }
    };
    if installed() {
        return;
    }
    let lock_path = std::env::temp_dir().join("auth-tests-oidc-npm-ci.lock");
    let lock = File::create(&lock_path).unwrap_or_else(|e| panic!("{}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("lock {}: {e}", lock_path.display()));
    if installed() {
        return;
    }
    let output = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(harness)
        .env("DO_NOT_TRACK", "1")
        .output()
        .unwrap_or_else(|e| panic!("run `npm ci` in {}: {e}", harness.display()));
    assert!(
        output.status.success() && installed(),
        "`npm ci` in {} failed (it needs the npm registry or a warm npm cache):\n{}{}",
        harness.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A running `tests/oidc/provider.mjs`; killed on drop.
struct Oidc {
    child: Child,
    issuer: String,
    client_id: String,
    client_secret: String,
}

impl Drop for Oidc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_provider() -> Option<Oidc> {
    start_provider_for(REDIRECT_URI)
}

fn start_provider_for(redirect_uri: &str) -> Option<Oidc> {
    start_provider_with(redirect_uri, &[])
}

/// The provider with more of `provider.mjs`'s settings (`PLAIN_OAUTH2`, …) in `env`.
fn start_provider_with(redirect_uri: &str, env: &[(&str, &str)]) -> Option<Oidc> {
    node_or_skip()?;
    let harness = harness_dir();
    ensure_installed(&harness);
    let mut child = Command::new("node")
        .arg(harness.join("provider.mjs"))
        .current_dir(&harness)
        .env("REDIRECT_URIS", redirect_uri)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("start provider.mjs: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    // The first stdout line announces the provider; read it on a thread to bound the wait.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("provider.mjs did not announce itself: {e}"));
    let info: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("provider.mjs first line {line:?}: {e}"));
    let field = |name: &str| {
        info[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in {line}"))
            .to_owned()
    };
    Some(Oidc {
        issuer: field("issuer"),
        client_id: field("client_id"),
        client_secret: field("client_secret"),
        child,
    })
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn provider(oidc: &Oidc) -> Provider {
    let config = ProviderConfig::new(
        "oidc",
        ProviderKind::Oidc {
            issuer: oidc.issuer.clone(),
        },
        &oidc.client_id,
        &oidc.client_secret,
        REDIRECT_URI,
    );
    Provider::new(config, http()).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `tests/oidc/login.mjs`: the URL the provider redirects the browser to at the end.
fn browserless_login(authorization_url: &str) -> url::Url {
    browserless_login_to(authorization_url, REDIRECT_URI)
}

fn browserless_login_to(authorization_url: &str, redirect_uri: &str) -> url::Url {
    let started = Instant::now();
    let output = Command::new("node")
        .arg(harness_dir().join("login.mjs"))
        .args([authorization_url, redirect_uri])
        .output()
        .unwrap_or_else(|e| panic!("run login.mjs: {e}"));
    assert!(
        output.status.success(),
        "login.mjs failed after {:?}: {}{}",
        started.elapsed(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    url::Url::parse(text.trim()).unwrap_or_else(|e| panic!("login.mjs printed {text:?}: {e}"))
}

fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Signs in through the provider; returns the code and what the URL was built with.
async fn sign_in(p: &Provider, nonce: &str) -> (String, String) {
    let state = generate_state();
    let verifier = generate_code_verifier();
    let extra = vec!["offline_access".to_owned()];
    let params = vec![("prompt".to_owned(), "consent".to_owned())];
    let mut request = AuthorizationRequest::new(&state, &verifier);
    request.scopes = &extra;
    request.nonce = Some(nonce);
    request.additional_params = &params;
    let url = p
        .authorization_url(request)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(query(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(query(&url, "state"), Some(state.clone()));
    assert_eq!(query(&url, "redirect_uri").as_deref(), Some(REDIRECT_URI));
    assert_eq!(
        query(&url, "scope").as_deref(),
        Some("openid email profile offline_access")
    );
    assert_eq!(
        query(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        query(&url, "code_challenge"),
        Some(code_challenge(&verifier))
    );

    let callback = browserless_login(url.as_str());
    assert_eq!(query(&callback, "state"), Some(state), "{callback}");
    assert_eq!(query(&callback, "error"), None, "{callback}");
    let code = query(&callback, "code").unwrap_or_else(|| panic!("no code in {callback}"));
    (code, verifier)
}

#[tokio::test]
async fn discovery_code_exchange_id_token_user_info_and_refresh() {
    let Some(oidc) = start_provider() else { return };
    let p = provider(&oidc);
    p.discover()
        .await
        .unwrap_or_else(|e| panic!("discovery: {e}"));

    let nonce = generate_state();
    let (code, verifier) = sign_in(&p, &nonce).await;
    let tokens = p
        .exchange_code(&code, &verifier)
        .await
        .unwrap_or_else(|e| panic!("exchange: {e}"));
    assert!(!tokens.access_token.is_empty());
    assert_eq!(tokens.token_type.as_deref(), Some("Bearer"));
    assert!(tokens.refresh_token.is_some(), "{tokens:?}");
    assert!(tokens.access_token_expires_at.is_some());
    assert!(tokens.scopes.iter().any(|s| s == "openid"), "{tokens:?}");
    let id_token = tokens
        .id_token
        .clone()
        .unwrap_or_else(|| panic!("no id token: {tokens:?}"));

    // The id token: signature against the JWKS, iss, aud, exp, and the nonce we sent.
    let from_token = p
        .verify_id_token(&id_token, Some(&nonce))
        .await
        .unwrap_or_else(|e| panic!("verify: {e}"));
    assert_eq!(from_token.id, "alice");
    let wrong_nonce = p.verify_id_token(&id_token, Some("another-nonce")).await;
    assert!(
        matches!(wrong_nonce, Err(OAuthError::InvalidIdToken { .. })),
        "{wrong_nonce:?}"
    );

    // The user: the id token carries only `sub` here, so the userinfo endpoint fills in the rest.
    let user = p
        .user_info(&tokens)
        .await
        .unwrap_or_else(|e| panic!("user info: {e}"));
    assert_eq!(user.id, "alice");
    assert_eq!(user.email.as_deref(), Some("alice@example.test"));
    assert!(user.email_verified);
    assert_eq!(user.name, "User alice");
    assert_eq!(
        user.image.as_deref(),
        Some("https://example.test/alice.png")
    );

    // Refresh: a new access token that works at the userinfo endpoint.
    let refresh_token = tokens.refresh_token.clone().unwrap_or_default();
    let refreshed = p
        .refresh(&refresh_token)
        .await
        .unwrap_or_else(|e| panic!("refresh: {e}"));
    assert_ne!(refreshed.access_token, tokens.access_token);
    let again = p
        .user_info(&refreshed)
        .await
        .unwrap_or_else(|e| panic!("user info after refresh: {e}"));
    assert_eq!(again.id, "alice");

    // The code is single-use.
    let replay = p.exchange_code(&code, &verifier).await;
    let Err(e) = replay else {
        panic!("a replayed code was accepted")
    };
    assert!(
        matches!(&e, OAuthError::Provider { error, operation: Operation::CodeExchange, .. } if error == "invalid_grant"),
        "{e:?}"
    );
    assert_eq!(e.redirect_code(), "invalid_code");

    // A bad refresh token.
    let bad_refresh = p.refresh("not-a-refresh-token").await;
    assert!(
        matches!(&bad_refresh, Err(OAuthError::Provider { error, .. }) if error == "invalid_grant"),
        "{bad_refresh:?}"
    );
}

#[tokio::test]
async fn wrong_code_verifier_or_secret_is_invalid_code() {
    let Some(oidc) = start_provider() else { return };
    let p = provider(&oidc);

    let unknown = p
        .exchange_code("no-such-code", &generate_code_verifier())
        .await;
    let Err(e) = unknown else {
        panic!("an unknown code was accepted")
    };
    assert_eq!(e.redirect_code(), "invalid_code", "{e:?}");

    // PKCE: the right code with another verifier.
    let (code, _verifier) = sign_in(&p, "n").await;
    let wrong = p.exchange_code(&code, &generate_code_verifier()).await;
    assert!(
        matches!(&wrong, Err(OAuthError::Provider { error, .. }) if error == "invalid_grant"),
        "{wrong:?}"
    );

    // A wrong client secret.
    let mut config = p.config().clone();
    config.client_secret = "wrong-secret".to_owned();
    let impostor = Provider::new(config, http()).unwrap_or_else(|e| panic!("{e}"));
    let (code, verifier) = sign_in(&p, "n").await;
    let refused = impostor.exchange_code(&code, &verifier).await;
    let Err(e) = refused else {
        panic!("a wrong client secret was accepted")
    };
    assert!(
        matches!(&e, OAuthError::Provider { error, status: Some(401), .. } if error == "invalid_client"),
        "{e:?}"
    );
    assert_eq!(e.redirect_code(), "invalid_code");
}

#[tokio::test]
async fn tampered_or_foreign_id_tokens_are_rejected() {
    let Some(oidc) = start_provider() else { return };
    let p = provider(&oidc);
    let (code, verifier) = sign_in(&p, "nonce-1").await;
    let tokens = p
        .exchange_code(&code, &verifier)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let id_token = tokens.id_token.clone().unwrap_or_default();
    let parts: Vec<&str> = id_token.split('.').collect();
    assert_eq!(parts.len(), 3);

    // Another subject in the payload, signature unchanged.
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = URL_SAFE_NO_PAD
        .decode(parts[1])
        .unwrap_or_else(|e| panic!("{e}"));
    let mut claims: serde_json::Value =
        serde_json::from_slice(&payload).unwrap_or_else(|e| panic!("{e}"));
    claims["sub"] = "mallory".into();
    let forged_payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    // A flipped signature byte.
    let mut signature = URL_SAFE_NO_PAD
        .decode(parts[2])
        .unwrap_or_else(|e| panic!("{e}"));
    signature[0] ^= 1;
    let bad_signature = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        URL_SAFE_NO_PAD.encode(signature)
    );
    // Unsigned (alg none) and HMAC-"signed" with the client secret.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    let hs256 = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT","kid":"rust-tests-rs256"}"#),
        parts[1],
        parts[2]
    );
    for (what, token) in [
        ("forged payload", forged.as_str()),
        ("bad signature", bad_signature.as_str()),
        ("alg none", none.as_str()),
        ("HS256", hs256.as_str()),
        ("garbage", "not.a.jwt"),
        ("empty", ""),
    ] {
        let result = p.verify_id_token(token, None).await;
        assert!(
            matches!(
                result,
                Err(OAuthError::InvalidIdToken {
                    operation: Operation::IdToken,
                    ..
                })
            ),
            "{what}: {result:?}"
        );
        // In the callback, a bad id token fails the user lookup.
        let mut tampered = tokens.clone();
        tampered.id_token = Some(token.to_owned());
        let user = p.user_info(&tampered).await;
        let Err(e) = user else {
            panic!("{what}: user_info accepted it")
        };
        assert_eq!(
            e.redirect_code(),
            "unable_to_get_user_info",
            "{what}: {e:?}"
        );
    }

    // The genuine token, checked by a client with another id: wrong audience.
    let mut config = p.config().clone();
    config.client_id = "someone-else".to_owned();
    let other = Provider::new(config, http()).unwrap_or_else(|e| panic!("{e}"));
    let foreign = other.verify_id_token(&id_token, None).await;
    assert!(
        matches!(foreign, Err(OAuthError::InvalidIdToken { .. })),
        "{foreign:?}"
    );
    // And it still verifies for us.
    assert!(p.verify_id_token(&id_token, Some("nonce-1")).await.is_ok());
}

#[tokio::test]
async fn unreachable_issuer_is_a_network_error() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let config = ProviderConfig::new(
        "oidc",
        ProviderKind::Oidc {
            issuer: format!("http://127.0.0.1:{port}"),
        },
        "id",
        "secret",
        REDIRECT_URI,
    );
    let p = Provider::new(config, http()).unwrap_or_else(|e| panic!("{e}"));
    let result = p.exchange_code("code", "verifier").await;
    let Err(e) = result else {
        panic!("no error from a closed port")
    };
    assert!(
        matches!(
            e,
            OAuthError::Network {
                operation: Operation::CodeExchange,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.redirect_code(), "invalid_code");
    assert!(p.discover().await.is_err());
}

/// The `name=value` of a `Set-Cookie` header named `name`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// The whole social flow through the server: `/sign-in/social` → the provider's login →
/// `/callback/oidc` → a session, an account with the provider's tokens, and a state that is
/// single-use and bound to the browser's cookie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn social_sign_in_through_the_server() {
    let (listener, base) = listen().await;
    let redirect = format!("{base}/api/auth/callback/oidc");
    let Some(oidc) = start_provider_for(&redirect) else {
        return;
    };
    let text = format!(
        "[email-and-password]\nenabled = true\n[social-providers.oidc]\nissuer = \"{}\"\n",
        oidc.issuer
    );
    let auth = serve(listener, &base, &text, "OIDC", &oidc).await;
    let client = http();
    let api = format!("{base}/api/auth");
    let (state_cookie, _, back) = social_login(&client, &api, "oidc", "/dashboard", &oidc).await;
    assert!(back.as_str().starts_with(&redirect), "{back}");

    // Without the browser's state cookie the state is refused.
    let foreign = client
        .get(back.as_str())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(foreign.status(), 302);
    let location = foreign.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        location.ends_with("/api/auth/error?error=state_mismatch"),
        "{location}"
    );

    let done = client
        .get(back.as_str())
        .header("cookie", &state_cookie)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(done.status(), 302);
    let location = done.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(location, "/dashboard");
    let session = set_cookie(&done, "better-auth.session_token")
        .unwrap_or_else(|| panic!("no session cookie"));

    // The state was single-use.
    let replay = client
        .get(back.as_str())
        .header("cookie", &state_cookie)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let location = replay.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(location.contains("error=state_not_found"), "{location}");

    let me: serde_json::Value = client
        .get(format!("{api}/get-session"))
        .header("cookie", &session)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let email = me["user"]["email"]
        .as_str()
        .unwrap_or_else(|| panic!("{me}"));
    assert!(email.ends_with("@example.test"), "{me}");
    assert_eq!(me["user"]["emailVerified"], true, "{me}");
    let accounts: serde_json::Value = client
        .get(format!("{api}/list-accounts"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(accounts[0]["providerId"], "oidc", "{accounts}");
    assert!(
        accounts[0]["scopes"]
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x == "openid")),
        "{accounts}"
    );
    let token: serde_json::Value = client
        .post(format!("{api}/get-access-token"))
        .header("cookie", &session)
        .header("origin", &base)
        .json(&serde_json::json!({ "providerId": "oidc" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        token["accessToken"].as_str().is_some_and(|t| !t.is_empty()),
        "{token}"
    );

    // One user, created from the provider's profile.
    let users = auth
        .store()
        .count("user", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(users, 1);
}

/// A server for `auth_toml` on a fresh SQLite file, listening on `listener` as `base`, with the
/// provider's client id and secret in `<PREFIX>_CLIENT_ID` and `<PREFIX>_CLIENT_SECRET`.
async fn serve(
    listener: tokio::net::TcpListener,
    base: &str,
    auth_toml: &str,
    prefix: &str,
    oidc: &Oidc,
) -> auth_runtime::Auth {
    let env = vec![
        (format!("{prefix}_CLIENT_ID"), oidc.client_id.clone()),
        (
            format!("{prefix}_CLIENT_SECRET"),
            oidc.client_secret.clone(),
        ),
    ];
    serve_with_env(listener, base, auth_toml, env).await
}

/// [`serve`] with exactly the variables `env`.
async fn serve_with_env(
    listener: tokio::net::TcpListener,
    base: &str,
    auth_toml: &str,
    env: Vec<(String, String)>,
) -> auth_runtime::Auth {
    let config = auth_core::Config::parse("auth.toml", auth_toml).unwrap_or_else(|e| panic!("{e}"));
    auth_core::plugins::check(&config).unwrap_or_else(|e| panic!("{e}"));
    let schema = auth_core::Schema::build(&config).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = auth_runtime::store::Store::create_sqlite(&schema, &dir.keep().join("auth.db"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let options = auth_runtime::AuthOptions {
        base_url: Some(base.to_owned()),
        env: Some(std::sync::Arc::new(move |name: &str| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })),
        ..Default::default()
    };
    let auth = auth_runtime::Auth::new(
        config,
        store,
        auth_runtime::Secret::new("social-test-secret-0123456789abcdefghijkl")
            .unwrap_or_else(|e| panic!("{e}")),
        options,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let router = auth.router();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    auth
}

/// generic-oauth's provider `id` as the official client uses it: `sign-in/social` → the
/// provider's login → `/callback/<id>` → a session for `alice`, whose one account is `alice`'s
/// at `id`. Returns the authorization URL, the session and the stored account row.
async fn generic_sign_in(
    auth: &auth_runtime::Auth,
    base: &str,
    id: &str,
    oidc: &Oidc,
) -> (url::Url, serde_json::Value, auth_runtime::store::Row) {
    let client = http();
    let api = format!("{base}/api/auth");
    let (state_cookie, authorization, back) = social_login(&client, &api, id, "/home", oidc).await;
    let done = client
        .get(back.as_str())
        .header("cookie", &state_cookie)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let location = done.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(location, "/home", "{authorization}");
    let session = set_cookie(&done, "better-auth.session_token")
        .unwrap_or_else(|| panic!("no session cookie"));
    let get = |path: &str| {
        client
            .get(format!("{api}{path}"))
            .header("cookie", &session)
            .send()
    };
    let me: serde_json::Value = get("/get-session")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let accounts: serde_json::Value = get("/list-accounts")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(me["user"]["email"], "alice@example.test", "{me}");
    assert_eq!(me["user"]["emailVerified"], true, "{me}");
    assert_eq!(accounts.as_array().map(Vec::len), Some(1), "{accounts}");
    assert_eq!(accounts[0]["providerId"], id, "{accounts}");
    assert_eq!(accounts[0]["accountId"], "alice", "{accounts}");
    let stored = auth
        .store()
        .find_one(
            "account",
            &[auth_runtime::store::Where::eq("providerId", id)],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no account"));
    assert!(!stored["accessToken"].is_null(), "{stored:?}");
    (authorization, me, stored)
}

/// A free port on 127.0.0.1, listened on, and its base URL.
async fn listen() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("{e}"))
        .port();
    (listener, format!("http://127.0.0.1:{port}"))
}

/// generic-oauth with a discovery URL: OpenID Connect (`openid` added to the configured
/// scopes, PKCE, HTTP Basic at the token endpoint, the id token verified), the user from the id
/// token, the account id its `sub`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_oauth_with_discovery_signs_in_over_oidc() {
    let (listener, base) = listen().await;
    let redirect = format!("{base}/api/auth/callback/corp");
    let Some(oidc) = start_provider_for(&redirect) else {
        return;
    };
    let text = format!(
        "[plugins.generic-oauth.providers.corp]\n\
         discovery-url = \"{}/.well-known/openid-configuration\"\n\
         scopes = [\"email\", \"profile\"]\nauthentication = \"basic\"\n",
        oidc.issuer
    );
    let auth = serve(listener, &base, &text, "CORP", &oidc).await;
    let (authorization, me, account) = generic_sign_in(&auth, &base, "corp", &oidc).await;
    assert!(!account["idToken"].is_null(), "{account:?}");
    assert_eq!(
        query(&authorization, "scope").as_deref(),
        Some("openid email profile")
    );
    assert_eq!(
        query(&authorization, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(me["user"]["name"], "User alice", "{me}");
    assert_eq!(
        me["user"]["image"], "https://example.test/alice.png",
        "{me}"
    );
}

/// generic-oauth against a plain OAuth 2.0 server: explicit URLs, no discovery, no id token
/// (the provider strips it), the client secret in the form body, the user read from userinfo
/// through the configured mapping (`sub` as the account id, `name` read from `email`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_oauth_signs_in_against_a_plain_oauth2_server() {
    let (listener, base) = listen().await;
    let redirect = format!("{base}/api/auth/callback/plain");
    let Some(oidc) = start_provider_with(
        &redirect,
        &[
            ("PLAIN_OAUTH2", "1"),
            ("TOKEN_ENDPOINT_AUTH_METHOD", "client_secret_post"),
        ],
    ) else {
        return;
    };
    let issuer = &oidc.issuer;
    let text = format!(
        "[plugins.generic-oauth.providers.plain]\n\
         authorization-url = \"{issuer}/auth\"\ntoken-url = \"{issuer}/token\"\n\
         user-info-url = \"{issuer}/me\"\n\
         scopes = [\"openid\", \"email\", \"profile\"]\n\
         [plugins.generic-oauth.providers.plain.map-profile-to-user]\n\
         id = \"sub\"\nname = \"email\"\n"
    );
    let auth = serve(listener, &base, &text, "PLAIN", &oidc).await;
    let (authorization, me, account) = generic_sign_in(&auth, &base, "plain", &oidc).await;
    assert!(
        account["idToken"].is_null(),
        "no id token came: {account:?}"
    );
    assert_eq!(
        query(&authorization, "scope").as_deref(),
        Some("openid email profile")
    );
    assert_eq!(
        query(&authorization, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(me["user"]["name"], "alice@example.test", "{me}");
}

/// generic-oauth with `token-endpoint-auth = { method = "private_key_jwt" }` against a provider
/// that knows the client by its public key alone (no secret): the token request carries an
/// RFC 7523 assertion the provider verifies — ES256 with the `kid` configured, and RS256 (the
/// default) taking the JWK's own `kid`. A key the provider does not know fails the sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_oauth_authenticates_with_private_key_jwt() {
    use auth_core::plugins::jwt::{KeyPairConfig, ModulusLength};
    use auth_runtime::wire::jws::generate;
    let es256 = generate(KeyPairConfig::ES256 {}).unwrap_or_else(|e| panic!("{e}"));
    let rs256 = generate(KeyPairConfig::RS256 {
        modulus_length: ModulusLength::Bits2048,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let with_kid = |key: &serde_json::Map<String, serde_json::Value>, kid: &str| {
        let mut key = key.clone();
        key.insert("kid".into(), kid.into());
        serde_json::Value::Object(key)
    };
    let jwks = serde_json::json!({
        "keys": [with_kid(&es256.public, "client-es256"), with_kid(&rs256.public, "client-rs256")],
    });
    let (listener, base) = listen().await;
    let (other_listener, other_base) = listen().await;
    let (rs_listener, rs_base) = listen().await;
    let redirects = [&base, &other_base, &rs_base]
        .map(|b| format!("{b}/api/auth/callback/corp"))
        .join(",");
    let Some(oidc) = start_provider_with(
        &redirects,
        &[
            ("TOKEN_ENDPOINT_AUTH_METHOD", "private_key_jwt"),
            ("CLIENT_JWKS", &jwks.to_string()),
        ],
    ) else {
        return;
    };
    let toml = |extra: &str| {
        format!(
            "[plugins.generic-oauth.providers.corp]\n\
             discovery-url = \"{}/.well-known/openid-configuration\"\n\
             scopes = [\"email\", \"profile\"]\n\
             [plugins.generic-oauth.providers.corp.token-endpoint-auth]\n\
             method = \"private_key_jwt\"\n{extra}",
            oidc.issuer
        )
    };
    let env = |key: serde_json::Value| {
        vec![
            ("CORP_CLIENT_ID".to_owned(), oidc.client_id.clone()),
            ("CORP_PRIVATE_KEY_JWK".to_owned(), key.to_string()),
        ]
    };
    let es_toml = toml("algorithm = \"ES256\"\nkid = \"client-es256\"\n");
    let auth = serve_with_env(
        listener,
        &base,
        &es_toml,
        env(serde_json::Value::Object(es256.private.clone())),
    )
    .await;
    let (_, me, account) = generic_sign_in(&auth, &base, "corp", &oidc).await;
    assert!(!account["idToken"].is_null(), "{account:?}");
    assert_eq!(me["user"]["name"], "User alice", "{me}");
    let rs = serve_with_env(
        rs_listener,
        &rs_base,
        &toml(""),
        env(with_kid(&rs256.private, "client-rs256")),
    )
    .await;
    generic_sign_in(&rs, &rs_base, "corp", &oidc).await;
    // Another ES256 key under the registered kid: the provider refuses the assertion.
    let stranger = generate(KeyPairConfig::ES256 {}).unwrap_or_else(|e| panic!("{e}"));
    let refused = serve_with_env(
        other_listener,
        &other_base,
        &es_toml,
        env(serde_json::Value::Object(stranger.private)),
    )
    .await;
    let client = http();
    let api = format!("{other_base}/api/auth");
    let (state_cookie, _, back) = social_login(&client, &api, "corp", "/home", &oidc).await;
    let done = client
        .get(back.as_str())
        .header("cookie", &state_cookie)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let location = done.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(location.contains("error="), "{location}");
    assert!(set_cookie(&done, "better-auth.session_token").is_none());
    drop(refused);
}

/// `sign-in/social` with `provider` (its answer a redirect to the provider), then the provider's
/// login: the browser's state cookie, the authorization URL, and where the provider sends the
/// browser back (`/callback/<provider>` with the code).
async fn social_login(
    client: &reqwest::Client,
    api: &str,
    provider: &str,
    callback: &str,
    oidc: &Oidc,
) -> (String, url::Url, url::Url) {
    let started = client
        .post(format!("{api}/sign-in/social"))
        .json(&serde_json::json!({ "provider": provider, "callbackURL": callback }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(started.status(), 200);
    let state_cookie =
        set_cookie(&started, "better-auth.state").unwrap_or_else(|| panic!("no state cookie"));
    let body: serde_json::Value = started.json().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body["redirect"], true);
    let authorization = url::Url::parse(body["url"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {body}"));
    assert!(
        authorization.as_str().starts_with(&oidc.issuer),
        "{authorization}"
    );
    let back = browserless_login_to(
        authorization.as_str(),
        &format!("{api}/callback/{provider}"),
    );
    (state_cookie, authorization, back)
}
