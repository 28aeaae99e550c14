//! better-auth's HS256 JWTs (`signJWT`/`verifyJWT` in `better-auth/src/crypto/jwt.ts`), as
//! `jose` 6 writes them for email-verification (and change-email) tokens:
//!
//! ```js
//! new SignJWT(payload).setProtectedHeader({ alg: "HS256" }).setIssuedAt()
//!     .setExpirationTime(now + expiresIn).sign(new TextEncoder().encode(secret))
//! ```
//!
//! The header is exactly `{"alg":"HS256"}`; the claims are the payload's keys in insertion order,
//! then `iat`, then `exp` (seconds; a payload key of the same name keeps its place, as it does in
//! a JavaScript object); each part is unpadded base64url of the compact JSON. The key is the
//! secret's UTF-8 bytes. Signing the same claims at the same second gives byte-identical tokens
//! to `jose`'s.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::Secret;

/// `base64url({"alg":"HS256"})`, the header `jose` writes for `setProtectedHeader({alg:"HS256"})`.
const HEADER: &str = "eyJhbGciOiJIUzI1NiJ9";

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three base64url parts of JSON objects, a header whose `alg` is not `HS256` (`none`
    /// and every other algorithm are refused), a `crit` header, or a claim of the wrong type
    /// (`exp`, `nbf`, `iat` must be numbers).
    #[error("malformed token")]
    Malformed,
    /// The HMAC does not match: another secret signed it, or it was altered.
    #[error("invalid token signature")]
    BadSignature,
    /// `exp` is at or before now (`jose`'s rule: expired when `exp <= now`).
    #[error("token expired")]
    Expired,
    /// `nbf` is after now.
    #[error("token not yet valid")]
    NotYetValid,
}

/// Signs `claims` followed by `iat = issued_at` and `exp = issued_at + expires_in` (Unix seconds)
/// as an HS256 compact JWT keyed by the secret's UTF-8 bytes.
#[must_use]
pub fn sign_hs256(
    claims: &Map<String, Value>,
    secret: &Secret,
    issued_at: i64,
    expires_in: i64,
) -> String {
    let mut claims = claims.clone();
    claims.insert("iat".to_owned(), Value::from(issued_at));
    claims.insert(
        "exp".to_owned(),
        Value::from(issued_at.saturating_add(expires_in)),
    );
    // A map of JSON values always serialises.
    let json = serde_json::to_vec(&Value::Object(claims)).unwrap_or_default();
    let signing_input = format!("{HEADER}.{}", URL_SAFE_NO_PAD.encode(json));
    let signature = URL_SAFE_NO_PAD.encode(mac(&signing_input, secret).finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Verifies an HS256 compact JWT as `jose`'s `jwtVerify(token, secret)` does for better-auth's
/// tokens and returns its claims (including `iat` and `exp`) in their order in the token.
///
/// Any header whose `alg` is `HS256` is accepted (other members such as `typ` are ignored);
/// the signature is compared in constant time before the claims are read. `exp`, when present,
/// must be a number greater than `now` (Unix seconds); `nbf`, when present, at most `now`.
///
/// # Errors
/// [`JwtError::Malformed`], [`JwtError::BadSignature`], [`JwtError::Expired`],
/// [`JwtError::NotYetValid`].
pub fn verify_hs256(
    token: &str,
    secret: &Secret,
    now: i64,
) -> Result<Map<String, Value>, JwtError> {
    let Some((signing_input, signature)) = token.rsplit_once('.') else {
        return Err(JwtError::Malformed);
    };
    let Some((header, payload)) = signing_input.split_once('.') else {
        return Err(JwtError::Malformed);
    };
    if payload.contains('.') {
        return Err(JwtError::Malformed);
    }
    let header = object(header)?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") || header.contains_key("crit") {
        return Err(JwtError::Malformed);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| JwtError::Malformed)?;
    mac(signing_input, secret)
        .verify_slice(&signature)
        .map_err(|_| JwtError::BadSignature)?;
    let claims = object(payload)?;
    let number = |name: &str| match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(Some).ok_or(JwtError::Malformed),
        Some(_) => Err(JwtError::Malformed),
    };
    number("iat")?;
    // Seconds fit an f64 exactly up to 2^53; `jose` compares them as JavaScript numbers.
    #[expect(clippy::cast_precision_loss, reason = "as JavaScript compares numbers")]
    let now = now as f64;
    if number("nbf")?.is_some_and(|nbf| nbf > now) {
        return Err(JwtError::NotYetValid);
    }
    if number("exp")?.is_some_and(|exp| exp <= now) {
        return Err(JwtError::Expired);
    }
    Ok(claims)
}

pub(super) fn object(part: &str) -> Result<Map<String, Value>, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::Malformed),
    }
}

fn mac(signing_input: &str, secret: &Secret) -> Hmac<Sha256> {
    let mut mac = secret.mac();
    mac.update(signing_input.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SECRET: &str = "dev-only-secret-0123456789abcdefghijklmnopqrstuvwxyz";

    fn secret() -> Secret {
        Secret::new(SECRET).unwrap_or_else(|e| panic!("{e}"))
    }

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn encode(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    fn signed(header: &Value, payload: &Value, secret: &Secret) -> String {
        let input = format!("{}.{}", encode(header), encode(payload));
        let signature = URL_SAFE_NO_PAD.encode(mac(&input, secret).finalize().into_bytes());
        format!("{input}.{signature}")
    }

    #[test]
    fn header_is_jose_s() {
        assert_eq!(URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#), HEADER);
    }

    #[test]
    fn claims_keep_insertion_order_then_iat_exp() {
        let payload = claims(json!({"email": "a@example.com", "updateTo": "b@example.com"}));
        let token = sign_hs256(&payload, &secret(), 1_700_000_000, 3600);
        let body = token.split('.').nth(1).unwrap_or_default();
        let json = URL_SAFE_NO_PAD.decode(body).unwrap_or_default();
        assert_eq!(
            String::from_utf8(json).unwrap_or_default(),
            r#"{"email":"a@example.com","updateTo":"b@example.com","iat":1700000000,"exp":1700003600}"#
        );
        let back = verify_hs256(&token, &secret(), 1_700_000_001).unwrap_or_else(|e| panic!("{e}"));
        let keys: Vec<&str> = back.keys().map(String::as_str).collect();
        assert_eq!(keys, ["email", "updateTo", "iat", "exp"]);
        assert_eq!(back["email"], "a@example.com");
    }

    #[test]
    fn payload_iat_keeps_its_place() {
        let payload = claims(json!({"iat": 1, "email": "a@example.com"}));
        let token = sign_hs256(&payload, &secret(), 10, 5);
        let back = verify_hs256(&token, &secret(), 11).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            Value::Object(back).to_string(),
            r#"{"iat":10,"email":"a@example.com","exp":15}"#
        );
    }

    #[test]
    fn expiry_is_exclusive() {
        let token = sign_hs256(&Map::new(), &secret(), 100, 60);
        assert!(verify_hs256(&token, &secret(), 159).is_ok());
        assert_eq!(verify_hs256(&token, &secret(), 160), Err(JwtError::Expired));
        assert_eq!(
            verify_hs256(&token, &secret(), 10_000),
            Err(JwtError::Expired)
        );
    }

    #[test]
    fn refuses_other_secrets_and_tampering() {
        let token = sign_hs256(&claims(json!({"email": "a@x.io"})), &secret(), 100, 60);
        let other = Secret::new("another-secret-0123456789abcdefghijklmnop")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            verify_hs256(&token, &other, 120),
            Err(JwtError::BadSignature)
        );
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = encode(&json!({"email": "b@x.io", "iat": 100, "exp": 160}));
        assert_eq!(
            verify_hs256(&parts.join("."), &secret(), 120),
            Err(JwtError::BadSignature)
        );
        // A signature cut short or lengthened.
        let short = &token[..token.len() - 4];
        assert_eq!(
            verify_hs256(short, &secret(), 120),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn refuses_other_algorithms_and_shapes() {
        let s = secret();
        let payload = json!({"email": "a@x.io", "exp": 200});
        // alg none with an empty signature, and HS512 / RS256 headers.
        let none = format!("{}.{}.", encode(&json!({"alg": "none"})), encode(&payload));
        assert_eq!(verify_hs256(&none, &s, 120), Err(JwtError::Malformed));
        for alg in ["HS512", "RS256", "hs256"] {
            let token = signed(&json!({"alg": alg}), &payload, &s);
            assert_eq!(
                verify_hs256(&token, &s, 120),
                Err(JwtError::Malformed),
                "{alg}"
            );
        }
        let crit = signed(
            &json!({"alg": "HS256", "crit": ["x"], "x": 1}),
            &payload,
            &s,
        );
        assert_eq!(verify_hs256(&crit, &s, 120), Err(JwtError::Malformed));
        // Other header members are fine.
        let typ = signed(&json!({"alg": "HS256", "typ": "JWT"}), &payload, &s);
        assert!(verify_hs256(&typ, &s, 120).is_ok());
        for bad in [
            "",
            "a",
            "a.b",
            "a.b.c.d",
            "..",
            "eyJhbGciOiJIUzI1NiJ9.e30.!!",
        ] {
            assert_eq!(
                verify_hs256(bad, &s, 120),
                Err(JwtError::Malformed),
                "{bad}"
            );
        }
        // Correctly signed, but the payload is not an object or a claim has the wrong type.
        for payload in [
            json!([1]),
            json!({"exp": "200"}),
            json!({"nbf": null}),
            json!({"iat": "x"}),
        ] {
            let token = signed(&json!({"alg": "HS256"}), &payload, &s);
            assert_eq!(
                verify_hs256(&token, &s, 120),
                Err(JwtError::Malformed),
                "{payload}"
            );
        }
        let early = signed(&json!({"alg": "HS256"}), &json!({"nbf": 121}), &s);
        assert_eq!(verify_hs256(&early, &s, 120), Err(JwtError::NotYetValid));
        // No exp: never expires (as jose without `maxTokenAge`).
        let forever = signed(&json!({"alg": "HS256"}), &json!({"email": "a@x.io"}), &s);
        assert!(verify_hs256(&forever, &s, i64::MAX).is_ok());
    }
}
