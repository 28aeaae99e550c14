use super::*;
use crate::plugins::tests::{ORIGIN, SECRET, request};
use crate::store::Where;
use bytes::Bytes;
use http::{Request, Response, header};
use jsonwebtoken::{DecodingKey, Validation, jwk::Jwk};

const SIGN_UP: &str =
    r#"{"name":"Jo","email":"jo@example.com","password":"correct-horse-battery"}"#;

async fn server(dir: &std::path::Path, options: &str) -> Auth {
    crate::plugins::tests::server(
        dir,
        &format!("[email-and-password]\nenabled = true\n[plugins.jwt]\n{options}"),
    )
    .await
}

fn json(response: &Response<Bytes>) -> Value {
    serde_json::from_slice(response.body()).unwrap_or_else(|e| panic!("{e}: {response:?}"))
}

/// Signs up and returns the session cookie (`name=value`) and the user.
async fn sign_up(auth: &Auth) -> (String, Value) {
    let up = request(auth, "POST", "/sign-up/email", "", SIGN_UP).await;
    assert_eq!(up.status(), 200, "{up:?}");
    let cookie = up
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .find(|pair| pair.starts_with(&format!("{}=", auth.inner.session_cookie)))
        .unwrap_or_else(|| panic!("no session cookie in {up:?}"))
        .to_owned();
    (cookie, json(&up)["user"].clone())
}

async fn token(auth: &Auth, cookie: &str) -> String {
    let answer = request(auth, "GET", "/token", cookie, "").await;
    assert_eq!(answer.status(), 200, "{answer:?}");
    json(&answer)["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn keys(auth: &Auth, path: &str) -> Vec<Value> {
    let answer = request(auth, "GET", path, "", "").await;
    assert_eq!(answer.status(), 200, "{answer:?}");
    json(&answer)["keys"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn rows(auth: &Auth) -> Vec<Row> {
    auth.store()
        .find_many(jwks::MODEL, &[], None, None, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn part(token: &str, i: usize) -> Map<String, Value> {
    let part = token.split('.').nth(i).unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"))
}

/// `token`'s claims, verified by `jsonwebtoken` with the key of `/jwks` its `kid` names
/// (audience `aud`).
fn verify(token: &str, keys: &[Value], aud: &str) -> Map<String, Value> {
    let kid = part(token, 0)["kid"].clone();
    let key = keys
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("no key {kid} in {keys:?}"));
    let jwk: Jwk = serde_json::from_value(key.clone()).unwrap_or_else(|e| panic!("{e}"));
    let key = DecodingKey::from_jwk(&jwk).unwrap_or_else(|e| panic!("{e}"));
    let alg = part(token, 0)["alg"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut validation = Validation::new(alg.parse().unwrap_or_else(|e| panic!("{e}")));
    validation.set_audience(&[aud]);
    jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("{e}: {token}"))
        .claims
}

/// Research §2.8: one EdDSA key made on first use, published without its private half; the
/// token is `iat`, the user as get-session answers it, `sub`, `exp` 15 minutes on, and `iss`
/// and `aud` the base URL, signed by that key.
#[tokio::test]
async fn the_token_is_the_user_signed_by_the_published_key() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "").await;
    let (cookie, user) = sign_up(&auth).await;
    assert!(rows(&auth).await.is_empty(), "no key before first use");
    let token = token(&auth, &cookie).await;
    let keys = keys(&auth, "/jwks").await;
    assert_eq!(keys.len(), 1);
    let key: Vec<&str> = keys[0]
        .as_object()
        .map(|k| k.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(key, ["alg", "crv", "x", "kty", "kid"]);
    assert_eq!(
        (keys[0]["alg"].as_str(), keys[0]["crv"].as_str()),
        (Some("EdDSA"), Some("Ed25519"))
    );
    let claims = verify(&token, &keys, ORIGIN);
    let names: Vec<&str> = claims.keys().map(String::as_str).collect();
    let mut want = vec!["iat"];
    want.extend(
        user.as_object()
            .map(|u| u.keys().map(String::as_str).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    want.extend(["sub", "exp", "iss", "aud"]);
    assert_eq!(names, want);
    for (name, value) in user.as_object().into_iter().flatten() {
        assert_eq!(&claims[name], value, "{name}");
    }
    assert_eq!(claims["sub"], user["id"]);
    assert_eq!(claims["iss"], ORIGIN);
    let (iat, exp) = (claims["iat"].as_i64(), claims["exp"].as_i64());
    assert_eq!(exp.zip(iat).map(|(e, i)| e - i), Some(900));
    // The stored key: the public JWK alone, the private one sealed under the secret.
    let stored = rows(&auth).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        text_of(&stored[0], jwks::ID),
        keys[0]["kid"].as_str().unwrap_or_default()
    );
    let public: Value =
        serde_json::from_str(text_of(&stored[0], jwks::PUBLIC_KEY)).unwrap_or_default();
    assert_eq!(
        public,
        json!({"crv": "Ed25519", "x": keys[0]["x"], "kty": "OKP"})
    );
    let sealed: String = serde_json::from_str(text_of(&stored[0], jwks::PRIVATE_KEY))
        .unwrap_or_else(|e| panic!("{e}"));
    let secret = crate::wire::Secret::new(SECRET.to_owned()).unwrap_or_else(|e| panic!("{e}"));
    let private: Value = serde_json::from_str(
        &symmetric::decrypt(&secret, &sealed).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_default();
    assert_eq!(private["x"], keys[0]["x"]);
    assert!(private["d"].is_string());
    // The same key signs again.
    let again = self::token(&auth, &cookie).await;
    assert_eq!(part(&again, 0)["kid"], keys[0]["kid"]);
    assert_eq!(rows(&auth).await.len(), 1);
}

/// `/token` needs a session: 401 `UNAUTHORIZED` without one or with a forged cookie.
#[tokio::test]
async fn no_session_no_token() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "").await;
    for cookie in ["", "better-auth.session_token=forged.c2lnbmF0dXJl"] {
        let answer = request(&auth, "GET", "/token", cookie, "").await;
        assert_eq!(answer.status(), 401);
        assert_eq!(
            json(&answer),
            json!({"message": "Unauthorized", "code": "UNAUTHORIZED"})
        );
    }
}

/// get-session with a session carries a token in `set-auth-jwt`, exposed to scripts; none
/// without a session, none with `disable-setting-jwt-header`.
#[tokio::test]
async fn get_session_carries_the_token_unless_disabled() {
    for (options, header_set) in [("", true), ("disable-setting-jwt-header = true\n", false)] {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let auth = server(dir.path(), options).await;
        let (cookie, user) = sign_up(&auth).await;
        let answer = request(&auth, "GET", "/get-session", &cookie, "").await;
        assert_eq!(answer.status(), 200);
        let jwt = answer
            .headers()
            .get(SET_AUTH_JWT)
            .and_then(|v| v.to_str().ok());
        assert_eq!(jwt.is_some(), header_set, "{options}");
        if let Some(jwt) = jwt {
            let claims = verify(jwt, &keys(&auth, "/jwks").await, ORIGIN);
            assert_eq!(claims["sub"], user["id"]);
            let exposed = answer
                .headers()
                .get(http::header::ACCESS_CONTROL_EXPOSE_HEADERS);
            assert_eq!(exposed.and_then(|v| v.to_str().ok()), Some(SET_AUTH_JWT));
        }
        let anonymous = request(&auth, "GET", "/get-session", "", "").await;
        assert_eq!(anonymous.status(), 200);
        assert!(anonymous.headers().get(SET_AUTH_JWT).is_none());
    }
}

/// Every option at once: ES256 keys at another path, stored unencrypted; the token lives an
/// hour and names the configured issuer and audiences.
#[tokio::test]
async fn options_shape_keys_and_tokens() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(
        dir.path(),
        "[plugins.jwt.jwks]\nkey-pair-config = { alg = \"ES256\" }\njwks-path = \"/.well-known/jwks.json\"\n\
         disable-private-key-encryption = true\n\
         [plugins.jwt.jwt]\nissuer = \"https://issuer.example\"\naudience = [\"api-1\", \"api-2\"]\nexpiration-time = \"1h\"\n",
    )
    .await;
    let (cookie, _) = sign_up(&auth).await;
    let token = token(&auth, &cookie).await;
    assert_eq!(request(&auth, "GET", "/jwks", "", "").await.status(), 404);
    let keys = keys(&auth, "/.well-known/jwks.json").await;
    assert_eq!(
        (
            keys[0]["alg"].as_str(),
            keys[0]["crv"].as_str(),
            keys[0]["kty"].as_str()
        ),
        (Some("ES256"), Some("P-256"), Some("EC"))
    );
    let claims = verify(&token, &keys, "api-2");
    assert_eq!(claims["iss"], "https://issuer.example");
    assert_eq!(claims["aud"], json!(["api-1", "api-2"]));
    assert_eq!(
        claims["exp"]
            .as_i64()
            .zip(claims["iat"].as_i64())
            .map(|(e, i)| e - i),
        Some(3600)
    );
    let stored = rows(&auth).await;
    let private: Value =
        serde_json::from_str(text_of(&stored[0], jwks::PRIVATE_KEY)).unwrap_or_default();
    assert_eq!(private["kty"], "EC");
    assert!(private["d"].is_string(), "the private JWK in plain JSON");
}

/// `rotation-interval`: a key expires that long after it is made; the next token is signed
/// by a new key, and `/jwks` keeps the old one for `grace-period` seconds.
#[tokio::test]
async fn keys_rotate_and_expired_keys_stay_published_for_the_grace_period() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(
        dir.path(),
        "[plugins.jwt.jwks]\nrotation-interval = 3600\ngrace-period = 60\n",
    )
    .await;
    let (cookie, _) = sign_up(&auth).await;
    let first = token(&auth, &cookie).await;
    let stored = rows(&auth).await;
    let made = millis(&stored[0], jwks::CREATED_AT).unwrap_or_default();
    assert_eq!(millis(&stored[0], jwks::EXPIRES_AT), Some(made + 3_600_000));
    let expire = |millis_ago: i64| {
        let mut change = Row::new();
        change.insert(
            jwks::EXPIRES_AT.into(),
            Stored::Date(Timestamp::now().plus_millis(-millis_ago)),
        );
        change
    };
    let old = [Where::eq(jwks::ID, text_of(&stored[0], jwks::ID))];
    auth.store()
        .update(jwks::MODEL, &old, expire(1_000))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let second = token(&auth, &cookie).await;
    assert_ne!(part(&first, 0)["kid"], part(&second, 0)["kid"]);
    let published = keys(&auth, "/jwks").await;
    assert_eq!(published.len(), 2, "the old key within its grace period");
    verify(&first, &published, ORIGIN);
    verify(&second, &published, ORIGIN);
    auth.store()
        .update(jwks::MODEL, &old, expire(61_000))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let published = keys(&auth, "/jwks").await;
    assert_eq!(published.len(), 1, "past its grace period");
    assert_eq!(published[0]["kid"], part(&second, 0)["kid"]);
}

/// A key sealed under another secret cannot sign: 503, never a token from a key it cannot
/// read (and never a 500).
#[tokio::test]
async fn a_key_sealed_under_another_secret_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "").await;
    let (cookie, _) = sign_up(&auth).await;
    token(&auth, &cookie).await;
    let other = crate::wire::Secret::new("another-secret-0123456789abcdefghijklmnop".to_owned())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut change = Row::new();
    change.insert(
        jwks::PRIVATE_KEY.into(),
        Stored::String(Value::String(symmetric::encrypt(&other, "{}")).to_string()),
    );
    auth.store()
        .update(jwks::MODEL, &[], change)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let answer = request(&auth, "GET", "/token", &cookie, "").await;
    assert_eq!(answer.status(), 503);
    assert_eq!(json(&answer)["code"], "SERVICE_UNAVAILABLE");
}

/// `AuthOptions::jwt_payload` (better-auth's `definePayload`) replaces the user in the
/// claims; `iat` stays first, `sub` is still the user's id, its own `exp` is kept.
#[tokio::test]
async fn the_payload_hook_shapes_the_claims() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let options = crate::AuthOptions {
        jwt_payload: Some(crate::hooks::JwtPayload::new(|session, user| async move {
            let mut claims = Map::new();
            claims.insert("email".into(), user["email"].clone());
            claims.insert("session".into(), session["id"].clone());
            claims.insert("sub".into(), "ignored".into());
            claims.insert("exp".into(), 4_102_444_800_i64.into());
            Ok(claims)
        })),
        ..crate::AuthOptions::default()
    };
    let auth = crate::plugins::tests::server_with(
        dir.path(),
        "[email-and-password]\nenabled = true\n[plugins.jwt]\n",
        options,
    )
    .await;
    let (cookie, user) = sign_up(&auth).await;
    let session = json(&request(&auth, "GET", "/get-session", &cookie, "").await);
    let claims = verify(
        &token(&auth, &cookie).await,
        &keys(&auth, "/jwks").await,
        ORIGIN,
    );
    let names: Vec<&str> = claims.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["iat", "email", "session", "sub", "exp", "iss", "aud"]
    );
    assert_eq!(claims["email"], "jo@example.com");
    assert_eq!(claims["session"], session["session"]["id"]);
    assert_eq!(claims["sub"], user["id"]);
    assert_eq!(claims["exp"], 4_102_444_800_i64);
    // A hook's error is the answer.
    let options = crate::AuthOptions {
        jwt_payload: Some(crate::hooks::JwtPayload::new(|_, _| async {
            Err(ApiError::new(
                http::StatusCode::FORBIDDEN,
                "NO_TOKENS",
                "No tokens today",
            ))
        })),
        ..crate::AuthOptions::default()
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = crate::plugins::tests::server_with(
        dir.path(),
        "[email-and-password]\nenabled = true\n[plugins.jwt]\n",
        options,
    )
    .await;
    let (cookie, _) = sign_up(&auth).await;
    let answer = request(&auth, "GET", "/token", &cookie, "").await;
    assert_eq!(
        (answer.status(), json(&answer)["code"].clone()),
        (http::StatusCode::FORBIDDEN, json!("NO_TOKENS"))
    );
}

/// Garbage cookies, `Authorization` headers and queries on the jwt plugin's endpoints (and
/// get-session, which its hook follows): 200 or a 4xx `{code, message}`, never a 5xx.
#[test]
fn bad_input_never_breaks_the_endpoints() {
    use proptest::prelude::*;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (auth, valid) = rt.block_on(async {
        let auth = server(dir.path(), "").await;
        let (cookie, _) = sign_up(&auth).await;
        (auth, cookie)
    });
    let text = || prop::collection::vec(any::<u8>(), 0..60);
    let config = ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(path in 0usize..3, query in text(), cookie in text(), session in text(), keep_valid in any::<bool>(), bearer in text())| {
        let path = ["/token", "/jwks", "/get-session"][path];
        let encode = |bytes: &[u8]| bytes.iter().map(|b| format!("%{b:02x}")).collect::<String>();
        let mut cookies = vec![
            format!("{}={}", auth.inner.session_cookie, encode(&session)),
            String::from_utf8_lossy(&cookie).replace(['\r', '\n', '\0'], ""),
        ];
        if keep_valid {
            cookies.push(valid.clone());
        }
        let mut request = Request::get(format!("{ORIGIN}/api/auth{path}?q={}", encode(&query)));
        if let Ok(value) = http::HeaderValue::from_bytes(cookies.join("; ").as_bytes()) {
            request = request.header(header::COOKIE, value);
        }
        if let Ok(value) = http::HeaderValue::from_bytes(&[b"Bearer ".as_slice(), &bearer].concat()) {
            request = request.header(header::AUTHORIZATION, value);
        }
        let request = request.body(Bytes::new()).unwrap_or_else(|e| panic!("{e}"));
        let answer = rt.block_on(auth.handle(request));
        let status = answer.status();
        prop_assert!(status.as_u16() < 500, "{path}: {status} {answer:?}");
        if status.is_client_error() {
            let body = json(&answer);
            prop_assert!(body["code"].is_string() && body["message"].is_string(), "{path}: {body}");
        }
    });
}

/// `Auth::sign_jwt` and `Auth::verify_jwt`, better-auth's server-only `signJWT`/`verifyJWT`:
/// a signed payload gets `exp`, `iss` and `aud`, verifies on the server and with `/jwks`;
/// a tampered, expired, subject-less or other-issuer token gives `None`, garbage too.
#[tokio::test]
async fn the_server_signs_and_verifies_tokens() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "").await;
    let payload = |value: Value| match value {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let signed = auth
        .sign_jwt(payload(json!({"sub": "user-1", "role": "tester"})))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let claims = verify(&signed, &keys(&auth, "/jwks").await, ORIGIN);
    assert_eq!(
        (claims["iss"].as_str(), claims["aud"].as_str()),
        (Some(ORIGIN), Some(ORIGIN))
    );
    let now = Timestamp::now().millis() / 1000;
    assert!(
        claims["exp"]
            .as_i64()
            .is_some_and(|exp| (now + 890..=now + 910).contains(&exp))
    );
    let verified = auth
        .verify_jwt(&signed, None)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(verified, Some(claims.clone()));
    // A session's token verifies too.
    let (cookie, user) = sign_up(&auth).await;
    let session_token = token(&auth, &cookie).await;
    let verified = auth
        .verify_jwt(&session_token, None)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(verified.map(|c| c["sub"].clone()), Some(user["id"].clone()));
    let refused = |token: String, issuer: Option<&'static str>| {
        let auth = auth.clone();
        async move {
            let answer = auth.verify_jwt(&token, issuer).await;
            assert_eq!(answer, Ok(None), "{token} accepted");
        }
    };
    let mut parts: Vec<String> = signed.split('.').map(str::to_owned).collect();
    let mut forged = claims.clone();
    forged.insert("sub".into(), "user-2".into());
    parts[1] = URL_SAFE_NO_PAD.encode(Value::Object(forged).to_string());
    refused(parts.join("."), None).await;
    let sign = |value: Value| {
        let auth = auth.clone();
        async move {
            auth.sign_jwt(payload(value))
                .await
                .unwrap_or_else(|e| panic!("{e:?}"))
        }
    };
    refused(sign(json!({"sub": "u", "exp": now - 1})).await, None).await;
    refused(sign(json!({"sub": "u", "nbf": now + 60})).await, None).await;
    refused(sign(json!({"role": "no subject"})).await, None).await;
    refused(
        sign(json!({"sub": "u", "aud": "https://other.example"})).await,
        None,
    )
    .await;
    refused(signed.clone(), Some("https://other.example")).await;
    let other_issuer = sign(json!({"sub": "u", "iss": "https://other.example"})).await;
    refused(other_issuer.clone(), None).await;
    let verified = auth
        .verify_jwt(&other_issuer, Some("https://other.example"))
        .await;
    assert!(matches!(verified, Ok(Some(_))), "{verified:?}");
    let unknown_kid = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"EdDSA","kid":"nope"}"#),
        parts[1],
        parts[2]
    );
    for garbage in [
        "",
        "a.b.c",
        "....",
        "e30.e30.e30",
        "not a token",
        &unknown_kid,
    ] {
        refused(garbage.to_owned(), None).await;
    }
    // Without the plugin both are 404 NOT_FOUND.
    let plain_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let plain = crate::plugins::tests::server(plain_dir.path(), "").await;
    let error = plain.sign_jwt(Map::new()).await.err();
    assert_eq!(
        error.map(|e| (e.status, e.code)),
        Some((http::StatusCode::NOT_FOUND, Some("NOT_FOUND")))
    );
    let error = plain.verify_jwt(&signed, None).await.err();
    assert_eq!(
        error.map(|e| (e.status, e.code)),
        Some((http::StatusCode::NOT_FOUND, Some("NOT_FOUND")))
    );
}

/// `remote-url`: the key set is published elsewhere, so `/jwks` is 404 `NOT_FOUND` (as
/// better-auth); tokens are still signed with the stored keys and verify on the server.
#[tokio::test]
async fn a_remote_key_set_hides_the_local_one() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(
        dir.path(),
        "[plugins.jwt.jwks]\nremote-url = \"https://keys.example.com/jwks.json\"\n\
         key-pair-config = { alg = \"ES256\" }\n",
    )
    .await;
    let answer = request(&auth, "GET", "/jwks", "", "").await;
    assert_eq!(answer.status(), 404);
    assert_eq!(json(&answer)["code"], "NOT_FOUND");
    let (cookie, user) = sign_up(&auth).await;
    let token = token(&auth, &cookie).await;
    assert_eq!(part(&token, 0)["alg"], "ES256");
    let claims = auth
        .verify_jwt(&token, None)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(claims.map(|c| c["sub"].clone()), Some(user["id"].clone()));
}

/// `get-subject` (better-auth's `getSubject`) fills `sub` from the session's fields; a field
/// without a value gives the user's id, as `getSubject` returning nothing does.
#[tokio::test]
async fn the_subject_template_names_the_subject() {
    let id = |user: &Value| user["id"].as_str().unwrap_or_default().to_owned();
    let email_and_id = |user: &Value| {
        format!(
            "{}|{}",
            user["email"].as_str().unwrap_or_default(),
            id(user)
        )
    };
    type Want<'a> = &'a dyn Fn(&Value) -> String;
    let cases: [(&str, Want<'_>); 3] = [
        ("{user.email}|{session.userId}", &email_and_id),
        ("{user.image}", &id),
        ("{user.nothing}", &id),
    ];
    for (template, want) in cases {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let auth = server(
            dir.path(),
            &format!("[plugins.jwt.jwt]\nget-subject = \"{template}\"\n"),
        )
        .await;
        let (cookie, user) = sign_up(&auth).await;
        let token = token(&auth, &cookie).await;
        let claims = verify(&token, &keys(&auth, "/jwks").await, ORIGIN);
        assert_eq!(claims["sub"], want(&user), "{template}");
    }
}

/// better-auth's default `iss` and `aud` are `ctx.context.options.baseURL`, which its context
/// sets to the base URL's origin: a base URL with a path gives the origin, not the URL.
#[tokio::test]
async fn the_default_issuer_is_the_base_url_s_origin() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let text = "base-url = \"http://127.0.0.1:3000/app/\"\n[email-and-password]\nenabled = true\n[plugins.jwt]\n";
    let config = auth_core::Config::parse("auth.toml", text).unwrap_or_else(|e| panic!("{e:?}"));
    let schema = auth_core::Schema::build(&config).unwrap_or_else(|e| panic!("{e:?}"));
    let store = crate::store::Store::create_sqlite(&schema, &dir.path().join("auth.db"))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let secret = crate::wire::Secret::new(SECRET.to_owned()).unwrap_or_else(|e| panic!("{e:?}"));
    let auth = Auth::new(config, store, secret, crate::AuthOptions::default())
        .unwrap_or_else(|e| panic!("{e:?}"));
    let signed = auth
        .sign_jwt(Map::from_iter([("sub".to_owned(), Value::from("u"))]))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let claims = part(&signed, 1);
    assert_eq!(
        (claims["iss"].as_str(), claims["aud"].as_str()),
        (Some(ORIGIN), Some(ORIGIN))
    );
}
