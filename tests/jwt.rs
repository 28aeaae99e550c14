//! `auth_runtime::wire::jwt` against the real `jose` 6.2.18 (what better-auth 1.7.25 signs its
//! email-verification tokens with), run by Node from `tests/js`: our tokens are byte-identical to
//! jose's for the same payload, `iat` and `exp`; jose verifies ours and we verify jose's, with
//! the same verdict on expiry, wrong secrets and tampering.
//!
//! Needs Node 20 and npm (the test runs `npm ci` in `tests/js`). Without them it fails under
//! `CI=true` and is skipped, loudly, elsewhere.

use crate::support;

use std::io::Write as _;
use std::process::{Command, Stdio};

use auth_runtime::Secret;
use auth_runtime::wire::jwt::{JwtError, sign_hs256, verify_hs256};
use serde_json::{Map, Value, json};

const SECRET: &str = "dev-only-secret-0123456789abcdefghijklmnopqrstuvwxyz";
const OTHER_SECRET: &str = "another-secret-0123456789abcdefghijklmnopqrstuv";
const IAT: i64 = 1_764_317_789;
const EXPIRES_IN: i64 = 3600;

/// `tests/js` with its packages installed, or `None` (with `AUTH_TEST_ALLOW_MISSING=1`).
fn js() -> Option<std::path::PathBuf> {
    let dir = support::root().join("tests/js");
    let node = Command::new("node").arg("--version").output();
    let ready = match node {
        Ok(output) if output.status.success() => support::d1::ensure_installed(&dir),
        Ok(output) => Err(format!("node --version: {}", output.status)),
        Err(e) => Err(format!("node: {e}")),
    };
    match ready {
        Ok(()) => Some(dir),
        Err(error) => {
            support::unavailable(&support::service::NODE, &error);
            None
        }
    }
}

/// Runs `tests/js/jwt.mjs` on one request.
fn jose(dir: &std::path::Path, request: &Value) -> Value {
    let mut child = Command::new("node")
        .arg(dir.join("jwt.mjs"))
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("node: {e}"));
    child
        .stdin
        .take()
        .unwrap_or_else(|| panic!("no stdin"))
        .write_all(request.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("stdin: {e}"));
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("node: {e}"));
    assert!(
        output.status.success(),
        "jwt.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("jwt.mjs output: {e}"))
}

fn secret(value: &str) -> Secret {
    Secret::new(value).unwrap_or_else(|e| panic!("{e}"))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Payloads like better-auth's (`{email, updateTo?, ...extraPayload}`) and strings that JSON
/// writers could spell differently.
fn payloads() -> Vec<Map<String, Value>> {
    [
        json!({"email": "ada@example.com"}),
        json!({"email": "ada@example.com", "updateTo": "ada.new@example.com"}),
        json!({"email": "ada@example.com", "updateTo": "b@example.com", "requestType": "change-email-verification"}),
        json!({"email": "ada@example.com", "updateTo": "b@example.com", "requestType": "change-email-verification", "userId": "k3Lq9ZpX0aB1cD2eF3gH4iJ5kL6mN7oP"}),
        json!({"email": "ada@example.com", "userId": "k3Lq9ZpX0aB1cD2eF3gH4iJ5kL6mN7oP"}),
        json!({"zeta": 1, "alpha": 2, "mid": 3}),
        json!({"email": "émile@exämple.com", "name": "Zoë 😀 日本", "path": "/a/b?c=d&e=<f>"}),
        json!({"quote": "\"'\\", "controls": "\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f}\u{7f}", "seps": "\u{2028}\u{2029}"}),
        json!({"n": -42, "big": 9_007_199_254_740_991_i64, "t": true, "f": false, "z": null}),
        json!({"nested": {"b": [1, "two", {"c": null}], "a": {}}, "list": []}),
        json!({}),
        json!({"iat": 1, "email": "ada@example.com"}),
    ]
    .into_iter()
    .map(object)
    .collect()
}

#[test]
fn tokens_match_jose_both_ways() {
    let Some(dir) = js() else { return };
    let key = secret(SECRET);
    let payloads = payloads();
    let ours: Vec<String> = payloads
        .iter()
        .map(|p| sign_hs256(p, &key, IAT, EXPIRES_IN))
        .collect();
    let now = IAT + 10;
    let answer = jose(
        &dir,
        &json!({
            "secret": SECRET,
            "now": now,
            "sign": payloads.iter().map(|p| json!({"payload": p, "iat": IAT, "exp": IAT + EXPIRES_IN})).collect::<Vec<_>>(),
            "verify": ours,
        }),
    );

    // (c) Byte equality.
    let theirs: Vec<String> = answer["signed"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|t| t.as_str().unwrap_or_default().to_owned())
        .collect();
    for ((our, their), payload) in ours.iter().zip(&theirs).zip(&payloads) {
        assert_eq!(our, their, "payload {payload:?}");
    }

    // (a) jose verifies ours and reads the same claims in the same order.
    for ((verdict, token), payload) in answer["verified"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .zip(&ours)
        .zip(&payloads)
    {
        let expected = verify_hs256(token, &key, now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            verdict["payload"].as_str(),
            Some(Value::Object(expected).to_string().as_str()),
            "payload {payload:?}: {verdict}"
        );
    }

    // (b) We verify jose's, with the claims jose signed.
    for (token, payload) in theirs.iter().zip(&payloads) {
        let claims = verify_hs256(token, &key, now).unwrap_or_else(|e| panic!("{token}: {e}"));
        for (name, value) in payload {
            if name != "iat" {
                assert_eq!(claims.get(name), Some(value), "{token}");
            }
        }
        assert_eq!(claims["iat"], IAT);
        assert_eq!(claims["exp"], IAT + EXPIRES_IN);
    }
}

#[test]
fn same_verdicts_as_jose() {
    let Some(dir) = js() else { return };
    let key = secret(SECRET);
    let payload = object(json!({"email": "ada@example.com"}));
    let exp = IAT + EXPIRES_IN;
    let good = sign_hs256(&payload, &key, IAT, EXPIRES_IN);
    let other = sign_hs256(&payload, &secret(OTHER_SECRET), IAT, EXPIRES_IN);
    let mut parts: Vec<&str> = good.split('.').collect();
    let tampered_claims = sign_hs256(
        &object(json!({"email": "eve@example.com"})),
        &key,
        IAT,
        EXPIRES_IN,
    );
    let eve_body = tampered_claims
        .split('.')
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    parts[1] = &eve_body;
    let tampered = parts.join(".");
    // jose-signed with extra header members and with other HMAC algorithms.
    let signed = jose(
        &dir,
        &json!({
            "secret": SECRET,
            "now": IAT,
            "sign": [
                {"payload": payload, "iat": IAT, "exp": exp, "header": {"alg": "HS256", "typ": "JWT"}},
                {"payload": payload, "iat": IAT, "exp": exp, "header": {"alg": "HS512"}},
                {"payload": payload, "iat": IAT, "exp": exp, "header": {"alg": "HS384"}},
            ],
        }),
    );
    let jose_tokens: Vec<String> = signed["signed"]
        .as_array()
        .unwrap_or_else(|| panic!("{signed}"))
        .iter()
        .map(|t| t.as_str().unwrap_or_default().to_owned())
        .collect();
    let none = format!(
        "eyJhbGciOiJub25lIn0.{}.",
        good.split('.').nth(1).unwrap_or_default()
    );

    // (token, now, our verdict; jose's must agree on accept/refuse).
    let cases: Vec<(&str, &str, i64, Result<(), JwtError>)> = vec![
        ("fresh", &good, IAT, Ok(())),
        ("one second before exp", &good, exp - 1, Ok(())),
        ("at exp", &good, exp, Err(JwtError::Expired)),
        ("long after", &good, exp + 86_400, Err(JwtError::Expired)),
        ("other secret", &other, IAT, Err(JwtError::BadSignature)),
        (
            "tampered claims",
            &tampered,
            IAT,
            Err(JwtError::BadSignature),
        ),
        ("alg none", &none, IAT, Err(JwtError::Malformed)),
        ("typ JWT header", &jose_tokens[0], IAT, Ok(())),
        // jose accepts HS512/HS384 for a raw key; better-auth only ever signs HS256, so we
        // refuse them (the one intended difference).
        ("garbage", "not.a.jwt", IAT, Err(JwtError::Malformed)),
    ];
    for (name, token, now, expected) in &cases {
        let ours = verify_hs256(token, &key, *now).map(|_| ());
        assert_eq!(&ours, expected, "{name}");
        let theirs = jose(
            &dir,
            &json!({"secret": SECRET, "now": now, "verify": [token]}),
        );
        let verdict = &theirs["verified"][0];
        assert_eq!(
            verdict.get("payload").is_some(),
            expected.is_ok(),
            "{name}: jose says {verdict}"
        );
        if *expected == Err(JwtError::Expired) {
            assert_eq!(verdict["error"], "ERR_JWT_EXPIRED", "{name}");
        }
        if *expected == Err(JwtError::BadSignature) {
            assert_eq!(
                verdict["error"], "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
                "{name}"
            );
        }
    }
    for token in &jose_tokens[1..] {
        assert_eq!(
            verify_hs256(token, &key, IAT),
            Err(JwtError::Malformed),
            "{token}"
        );
    }
}
