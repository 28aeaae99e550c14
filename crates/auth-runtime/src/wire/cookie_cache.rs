//! better-auth's cookie cache (`session.cookieCache`): the `session_data` cookie that carries a
//! copy of the session and its user, in the three encodings of better-auth 1.7.25
//! (`research/better-auth-wire.md` §3.3).
//!
//! Every encoding protects the same payload, `{"session":…,"user":…,"updatedAt":<ms>,
//! "version":"1"}`:
//!
//! * `compact`: `base64url(JSON.stringify({session: payload, expiresAt, signature}))`, where
//!   `signature = base64url(HMAC-SHA256(secret, JSON.stringify({...payload, expiresAt})))`;
//! * `jwt`: an HS256 JWT of the payload plus `iat` and `exp` ([`super::jwt`]);
//! * `jwe`: a compact JWE (`dir`, `A256CBC-HS512`) of the payload plus `iat`, `exp` and `jti`,
//!   keyed by HKDF-SHA256 of the secret and identified by the key's RFC 7638 thumbprint.
//!
//! Node re-serialises a compact cache after reviving ISO dates before it checks the HMAC, so
//! [`decode`] does the same ([`super::js::revive_dates`], [`super::js::stringify`]) when the
//! HMAC over the payload as written does not already match (which it does for every cache
//! `JSON.stringify` wrote).

use aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha512};

pub use auth_core::config::CookieCacheStrategy as Strategy;

use auth_core::schema::names::{session, user};

use super::{Secret, js, jwt};

/// Expiry of a compact cache written for a rememberMe = false session (no cookie `Max-Age`).
const DONT_REMEMBER_COMPACT_SECONDS: i64 = 60;
/// Expiry of a JWT or JWE cache written for a rememberMe = false session.
const DONT_REMEMBER_TOKEN_SECONDS: i64 = 300;
/// `jose`'s `clockTolerance` in better-auth's `symmetricDecodeJWT`.
const JWE_CLOCK_TOLERANCE_SECONDS: f64 = 15.0;
const JWE_SALT: &[u8] = b"better-auth-session";
const JWE_INFO: &[u8] = b"BetterAuth.js Generated Encryption Key";

/// A cache that verified (or decrypted): its payload and when it stops being usable.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedSession {
    /// `session`, `user`, `updatedAt`, `version` (and, for JWT/JWE, the registered claims).
    pub payload: Map<String, Value>,
    /// Epoch milliseconds: the compact `expiresAt`, or a token's `exp` × 1000.
    pub expires_at: i64,
}

impl CachedSession {
    /// The embedded session object.
    #[must_use]
    pub fn session(&self) -> Option<&Map<String, Value>> {
        self.payload.get("session").and_then(Value::as_object)
    }

    /// The embedded user object.
    #[must_use]
    pub fn user(&self) -> Option<&Map<String, Value>> {
        self.payload.get("user").and_then(Value::as_object)
    }

    /// The cache's version (`"1"` when absent, as better-auth reads it).
    #[must_use]
    pub fn version(&self) -> &str {
        self.payload
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or("1")
    }
}

/// The payload better-auth's `setCookieCache` protects: the session and user as the API
/// returns them (dates as ISO text), the time of writing and the configured version.
#[must_use]
pub fn payload(session: Value, user: Value, now_ms: i64, version: &str) -> Map<String, Value> {
    let mut payload = Map::new();
    payload.insert(session::MODEL.to_owned(), session);
    payload.insert(user::MODEL.to_owned(), user);
    payload.insert("updatedAt".to_owned(), Value::from(now_ms));
    payload.insert("version".to_owned(), Value::from(version));
    payload
}

/// The `session_data` cookie value for `payload`, written at `now_ms`. `max_age` is the
/// cookie's `Max-Age` (seconds; `None` for a rememberMe = false session, whose compact cache
/// expires after 60 s and whose tokens after 300 s, as better-auth writes them).
#[must_use]
pub fn encode(
    strategy: Strategy,
    payload: &Map<String, Value>,
    secret: &Secret,
    now_ms: i64,
    max_age: Option<u32>,
) -> String {
    let now_s = now_ms.div_euclid(1000);
    let token_seconds = max_age.map_or(DONT_REMEMBER_TOKEN_SECONDS, i64::from);
    match strategy {
        Strategy::Compact => {
            let seconds = max_age.map_or(DONT_REMEMBER_COMPACT_SECONDS, i64::from);
            let expires_at = now_ms.saturating_add(seconds * 1000);
            let mut outer = Map::new();
            outer.insert(session::MODEL.to_owned(), Value::Object(payload.clone()));
            outer.insert("expiresAt".to_owned(), Value::from(expires_at));
            outer.insert(
                "signature".to_owned(),
                Value::from(compact_signature(payload, expires_at, secret)),
            );
            URL_SAFE_NO_PAD.encode(js::stringify(&Value::Object(outer)))
        }
        Strategy::Jwt => jwt::sign_hs256(payload, secret, now_s, token_seconds),
        Strategy::Jwe => {
            let mut claims = payload.clone();
            claims.insert("iat".to_owned(), Value::from(now_s));
            claims.insert(
                "exp".to_owned(),
                Value::from(now_s.saturating_add(token_seconds)),
            );
            claims.insert("jti".to_owned(), Value::from(super::id::uuid_v4()));
            let mut iv = [0u8; 16];
            super::id::fill_random(&mut iv);
            encrypt_jwe(&claims, &jwe_key(secret.as_bytes()), iv)
        }
    }
}

/// Reads a `session_data` value as better-auth's `decodeCookieCache` does: `None` for anything
/// that does not verify or decrypt with this secret, or whose payload lacks a `session` object,
/// a `user` object or a numeric `updatedAt`. Freshness, version and token are the caller's
/// checks (`expires_at`, [`CachedSession::version`]); only the JWT/JWE `exp` is checked here.
#[must_use]
pub fn decode(
    strategy: Strategy,
    value: &str,
    secret: &Secret,
    now_ms: i64,
) -> Option<CachedSession> {
    let (payload, expires_at) = match strategy {
        Strategy::Compact => decode_compact(value, secret)?,
        Strategy::Jwt => {
            let claims = jwt::verify_hs256(value, secret, now_ms.div_euclid(1000)).ok()?;
            let expires_at = exp_millis(&claims, now_ms);
            (claims, expires_at)
        }
        Strategy::Jwe => {
            // Encrypted under the newest secret, or an older one of a rotation (its `kid` says
            // which; better-auth tries each).
            let claims = std::iter::once(secret.as_bytes())
                .chain(secret.older())
                .find_map(|key| decrypt_jwe(value, &jwe_key(key), now_ms))?;
            let expires_at = exp_millis(&claims, now_ms);
            (claims, expires_at)
        }
    };
    let valid = payload.get("session").is_some_and(Value::is_object)
        && payload.get("user").is_some_and(Value::is_object)
        && payload.get("updatedAt").is_some_and(Value::is_number)
        && payload.get("version").is_none_or(Value::is_string);
    valid.then_some(CachedSession {
        payload,
        expires_at,
    })
}

fn decode_compact(value: &str, secret: &Secret) -> Option<(Map<String, Value>, i64)> {
    // better-auth's base64Url.decode tolerates padding.
    let bytes = URL_SAFE_NO_PAD.decode(value.trim_end_matches('=')).ok()?;
    verbatim_compact(&bytes, secret).or_else(|| revived_compact(&bytes, secret))
}

/// A compact cache with its payload as written.
#[derive(serde::Deserialize)]
struct RawCompact<'a> {
    #[serde(borrow)]
    session: &'a RawValue,
    #[serde(borrow, rename = "expiresAt")]
    expires_at: &'a RawValue,
    signature: &'a str,
}

/// The common case, without re-serialising: a payload that is byte for byte what its writer
/// signed (whatever `JSON.stringify` writes, ours or Node's), checked by an HMAC over those
/// bytes with `,"expiresAt":…}` in place of the closing brace. Anything else (a date without
/// milliseconds, `1.0`, spaces) falls through to [`revived_compact`], which does what Node does.
fn verbatim_compact(bytes: &[u8], secret: &Secret) -> Option<(Map<String, Value>, i64)> {
    let raw: RawCompact<'_> = serde_json::from_slice(bytes).ok()?;
    let text = raw.session.get();
    let open = text.strip_suffix('}').filter(|open| open.len() > 1)?;
    let expires_at = raw.expires_at.get();
    let expires_ms = expires_at.parse::<f64>().ok()?;
    let signature = URL_SAFE_NO_PAD
        .decode(raw.signature.trim_end_matches('='))
        .ok()?;
    let mut mac = hmac_sha256(secret, open.as_bytes());
    mac.update(b",\"expiresAt\":");
    mac.update(expires_at.as_bytes());
    mac.update(b"}");
    mac.verify_slice(&signature).ok()?;
    // Node's reader revives dates: the payload is what it would see.
    let mut payload: Value = serde_json::from_str(text).ok()?;
    js::revive_dates(&mut payload);
    let Value::Object(payload) = payload else {
        return None;
    };
    #[expect(clippy::cast_possible_truncation, reason = "epoch milliseconds")]
    Some((payload, expires_ms as i64))
}

/// better-auth's reader: parse reviving ISO dates, re-serialise with `expiresAt` appended, and
/// check the HMAC over that.
fn revived_compact(bytes: &[u8], secret: &Secret) -> Option<(Map<String, Value>, i64)> {
    let Value::Object(mut outer) = serde_json::from_slice(bytes).ok()? else {
        return None;
    };
    let signature = outer.get("signature")?.as_str()?.to_owned();
    let expires_at = outer.get("expiresAt")?.as_f64()?;
    let mut payload = outer.remove("session")?;
    if !payload.is_object() {
        return None;
    }
    // Node revives the dates, then signs the payload with `expiresAt` appended last.
    js::revive_dates(&mut payload);
    let Value::Object(mut signed) = payload else {
        return None;
    };
    signed.insert("expiresAt".to_owned(), outer.get("expiresAt")?.clone());
    let signed = Value::Object(signed);
    let signature = URL_SAFE_NO_PAD
        .decode(signature.trim_end_matches('='))
        .ok()?;
    hmac_sha256(secret, js::stringify(&signed).as_bytes())
        .verify_slice(&signature)
        .ok()?;
    let Value::Object(mut payload) = signed else {
        return None;
    };
    payload.shift_remove("expiresAt");
    #[expect(clippy::cast_possible_truncation, reason = "epoch milliseconds")]
    Some((payload, expires_at as i64))
}

fn compact_signature(payload: &Map<String, Value>, expires_at: i64, secret: &Secret) -> String {
    let mut signed = payload.clone();
    signed.insert("expiresAt".to_owned(), Value::from(expires_at));
    let mac = hmac_sha256(secret, js::stringify(&Value::Object(signed)).as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn hmac_sha256(secret: &Secret, message: &[u8]) -> Hmac<Sha256> {
    let mut mac = secret.mac();
    mac.update(message);
    mac
}

fn exp_millis(claims: &Map<String, Value>, now_ms: i64) -> i64 {
    #[expect(clippy::cast_possible_truncation, reason = "epoch milliseconds")]
    claims
        .get("exp")
        .and_then(Value::as_f64)
        .map_or(now_ms, |exp| (exp * 1000.0) as i64)
}

/// The JWE key: HKDF-SHA256(secret, salt `better-auth-session`, info `BetterAuth.js Generated
/// Encryption Key`), 64 bytes (`A256CBC-HS512`: HMAC-SHA512 key, then AES-256 key).
struct JweKey {
    bytes: [u8; 64],
    kid: String,
}

fn jwe_key(secret: &[u8]) -> JweKey {
    let mut bytes = [0u8; 64];
    let hkdf = hkdf::Hkdf::<Sha256>::new(Some(JWE_SALT), secret);
    // 64 bytes is far below HKDF-SHA256's 255 × 32 limit.
    if hkdf.expand(JWE_INFO, &mut bytes).is_err() {
        unreachable!("HKDF-SHA256 expands to 64 bytes")
    }
    // RFC 7638: SHA-256 of the required members in lexicographic order.
    let jwk = format!(r#"{{"k":"{}","kty":"oct"}}"#, URL_SAFE_NO_PAD.encode(bytes));
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(jwk.as_bytes()));
    JweKey { bytes, kid }
}

/// `A256CBC-HS512` (RFC 7518 §5.2.2.1): AES-256-CBC under the key's second half, then the
/// first 32 bytes of HMAC-SHA512 (first half) over AAD ‖ IV ‖ ciphertext ‖ AAD bit length.
fn jwe_tag(key: &JweKey, aad: &[u8], iv: &[u8], ciphertext: &[u8]) -> [u8; 32] {
    let Ok(mut mac) = <Hmac<Sha512> as KeyInit>::new_from_slice(&key.bytes[..32]) else {
        unreachable!("HMAC-SHA512 accepts keys of any length")
    };
    mac.update(aad);
    mac.update(iv);
    mac.update(ciphertext);
    let bits = u64::try_from(aad.len()).unwrap_or(u64::MAX / 8) * 8;
    mac.update(&bits.to_be_bytes());
    let full = mac.finalize().into_bytes();
    let mut tag = [0u8; 32];
    tag.copy_from_slice(&full[..32]);
    tag
}

fn encrypt_jwe(claims: &Map<String, Value>, key: &JweKey, iv: [u8; 16]) -> String {
    // jose writes the header members in the order they were set.
    let header = format!(
        r#"{{"alg":"dir","enc":"A256CBC-HS512","kid":"{}"}}"#,
        key.kid
    );
    let header = URL_SAFE_NO_PAD.encode(header);
    // A map of JSON values always serialises.
    let plaintext = serde_json::to_vec(&Value::Object(claims.clone())).unwrap_or_default();
    let Ok(cipher) = cbc::Encryptor::<Aes256>::new_from_slices(&key.bytes[32..], &iv) else {
        unreachable!("AES-256-CBC takes a 32-byte key and a 16-byte IV")
    };
    let ciphertext = cipher.encrypt_padded_vec::<Pkcs7>(&plaintext);
    let tag = jwe_tag(key, header.as_bytes(), &iv, &ciphertext);
    format!(
        "{header}..{}.{}.{}",
        URL_SAFE_NO_PAD.encode(iv),
        URL_SAFE_NO_PAD.encode(ciphertext),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// `jose`'s `jwtDecrypt` with better-auth's options: `dir` only, an empty encrypted key, a `kid`
/// (when present) equal to this key's, no `zip`/`crit`, the tag checked in constant time, a
/// JSON object of claims whose `exp` is later than now − 15 s and `nbf` not after now + 15 s.
/// (better-auth also lists `A256GCM`, but its 64-byte key can never be an `A256GCM` key, so
/// `jose` refuses such tokens whatever they hold.)
fn decrypt_jwe(token: &str, key: &JweKey, now_ms: i64) -> Option<Map<String, Value>> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header_b64, encrypted_key, iv, ciphertext, tag] = parts.as_slice() else {
        return None;
    };
    let header = jwt::object(header_b64).ok()?;
    let text = |name: &str| header.get(name).and_then(Value::as_str);
    if text("alg") != Some("dir")
        || text("enc") != Some("A256CBC-HS512")
        || header.contains_key("zip")
        || header.contains_key("crit")
        || !encrypted_key.is_empty()
        || header
            .get("kid")
            .is_some_and(|kid| kid.as_str() != Some(key.kid.as_str()))
    {
        return None;
    }
    let iv = URL_SAFE_NO_PAD.decode(iv).ok()?;
    let ciphertext = URL_SAFE_NO_PAD.decode(ciphertext).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    if iv.len() != 16 || tag.len() != 32 {
        return None;
    }
    let expected = jwe_tag(key, header_b64.as_bytes(), &iv, &ciphertext);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], &tag[..])) {
        return None;
    }
    let cipher = cbc::Decryptor::<Aes256>::new_from_slices(&key.bytes[32..], &iv).ok()?;
    let plaintext = cipher.decrypt_padded_vec::<Pkcs7>(&ciphertext).ok()?;
    let Value::Object(claims) = serde_json::from_slice(&plaintext).ok()? else {
        return None;
    };
    #[expect(clippy::cast_precision_loss, reason = "as JavaScript compares numbers")]
    let now = now_ms.div_euclid(1000) as f64;
    let number = |name: &str| match claims.get(name) {
        None => Some(None),
        Some(Value::Number(n)) => n.as_f64().map(Some),
        Some(_) => None,
    };
    number("iat")?;
    if number("exp")?.is_some_and(|exp| exp <= now - JWE_CLOCK_TOLERANCE_SECONDS)
        || number("nbf")?.is_some_and(|nbf| nbf > now + JWE_CLOCK_TOLERANCE_SECONDS)
    {
        return None;
    }
    Some(claims)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SECRET: &str = "dev-only-secret-0123456789abcdefghijklmnopqrstuvwxyz";
    const NOW_MS: i64 = 1_795_853_020_258;

    // Written by Node 22 with better-auth 1.7.25's own dependencies (jose 6, @noble/hashes,
    // @better-auth/utils) from the payload below: `JSON.stringify` + `createHMAC` for compact,
    // `SignJWT` for jwt, `hkdf` + `calculateJwkThumbprint` + `EncryptJWT` for jwe (exp 2100).
    const NODE_COMPACT: &str = "eyJzZXNzaW9uIjp7InNlc3Npb24iOnsiZXhwaXJlc0F0IjoiMjEwMC0wMS0wMVQwMDowMDowMC4wMDBaIiwidG9rZW4iOiJzeWtBdldmdXdvVFJhcDFEeVllM2RtUFZubGNxQ1FRViIsImNyZWF0ZWRBdCI6IjIwMjYtMTEtMjhUMDg6MTY6MjkuMjI2WiIsInVwZGF0ZWRBdCI6IjIwMjYtMTEtMjhUMDg6MTY6MjkuMjI2WiIsImlwQWRkcmVzcyI6IiIsInVzZXJBZ2VudCI6IsOp4oCoXCJ4IiwidXNlcklkIjoidTEiLCJpZCI6InMxIn0sInVzZXIiOnsibmFtZSI6IkFubiIsImVtYWlsIjoiYW5uQGV4YW1wbGUuY29tIiwiZW1haWxWZXJpZmllZCI6ZmFsc2UsImltYWdlIjpudWxsLCJjcmVhdGVkQXQiOiIyMDI2LTExLTI4VDA4OjE2OjI5LjIyNloiLCJ1cGRhdGVkQXQiOiIyMDI2LTExLTI4VDA4OjE2OjI5LjIyNloiLCJpZCI6InUxIn0sInVwZGF0ZWRBdCI6MTc5NTg1MzAyMDI1OCwidmVyc2lvbiI6IjEifSwiZXhwaXJlc0F0IjoxNzk1ODUzMzIwMjU4LCJzaWduYXR1cmUiOiJqa0t4c2NCNnVNZEZqZFJyTzRDM25Ed1dGN2dpMFIzMXA5WjIyUmg5aUtjIn0";
    const NODE_JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzZXNzaW9uIjp7ImV4cGlyZXNBdCI6IjIxMDAtMDEtMDFUMDA6MDA6MDAuMDAwWiIsInRva2VuIjoic3lrQXZXZnV3b1RSYXAxRHlZZTNkbVBWbmxjcUNRUVYiLCJjcmVhdGVkQXQiOiIyMDI2LTExLTI4VDA4OjE2OjI5LjIyNloiLCJ1cGRhdGVkQXQiOiIyMDI2LTExLTI4VDA4OjE2OjI5LjIyNloiLCJpcEFkZHJlc3MiOiIiLCJ1c2VyQWdlbnQiOiLDqeKAqFwieCIsInVzZXJJZCI6InUxIiwiaWQiOiJzMSJ9LCJ1c2VyIjp7Im5hbWUiOiJBbm4iLCJlbWFpbCI6ImFubkBleGFtcGxlLmNvbSIsImVtYWlsVmVyaWZpZWQiOmZhbHNlLCJpbWFnZSI6bnVsbCwiY3JlYXRlZEF0IjoiMjAyNi0xMS0yOFQwODoxNjoyOS4yMjZaIiwidXBkYXRlZEF0IjoiMjAyNi0xMS0yOFQwODoxNjoyOS4yMjZaIiwiaWQiOiJ1MSJ9LCJ1cGRhdGVkQXQiOjE3OTU4NTMwMjAyNTgsInZlcnNpb24iOiIxIiwiaWF0IjoxNzk1ODUzMDIwLCJleHAiOjE3OTU4NTMzMjB9.fxU8xMRYwPbV7qbkgW1rk8IzxZmcK64t05F8rM_ocDI";
    const NODE_KID: &str = "8D49nZX_bQXQhZQn19xoH6bOZl_xvWpUIwR0qupcQE8";
    const NODE_JWE: &str = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIiwia2lkIjoiOEQ0OW5aWF9iUVhRaFpRbjE5eG9INmJPWmxfeHZXcFVJd1IwcXVwY1FFOCJ9..AZ6FRPXsUcfmMxbSK0avRA.op21TdHX5u9lvaYbnEVzvnMM8gYymY0RmDpz9MRVPz4uOvrxmDQqRHLraeJ6z8L4NQi8R60nYi8g9yUp3itjLX8Q2YLCxYw0xBbr9sBmWZSz-HKDmly-Szba7oOTCxTLcSMb4SzhSz8ANEYqEk0xp1wfvBUTte0b2xOhYU6izoNV7FvhDKWJR4-COnwFqfWverP3HO8L0mPlAfkP_33PO1U9LHSlUnpF4wwRiVaGso4FX9v-VsFnixFaqhMix-0OaH-_LZv237L2HZo6wdSJ8PsXx3FpXtWYeu326mABBZad4NwTwD8PtHPCjhFAKEXA25j2Qilez8dJaJIgBBcCsQwb1WAMa6jjaR8KpYdi96T62KB2Fxtz1uq2GJA-ZP4_nWCKgh4czaP1hgDdLKKc-3GmrPFLGmqk8kkz45MM51L9yqtO5GrrVVJTSooqg1CGufwAFPSkxXdvcD5O_ByGRCj4sZmFH5zUZO8wwpxGLMWzTE1kWLzI2mTUzRwj3aJau7fGrSUylvN0Uklq8KCMZIDqVmTN9ha-5dNZSEHaYFMGTixbtWz0HUSzl8_NpbgmFfwhbCj5jDMy3YJxw1oOBJbQsjedv9nh3ar4C0DK2VMXpvy2U5Bm9FuMzdmS0bUpb0PHK4JA8KmOmXFPvvrPCpiVv9AV0Dg0UAq6u_cqrWDOECfAvCH_Br0G5zXydCL8.IlUFV38LSTmeLJ8Wi_GmIwLWJ5ws_wveZ7p3QItmfjs";

    fn secret() -> Secret {
        Secret::new(SECRET).unwrap_or_else(|e| panic!("{e}"))
    }

    fn other_secret() -> Secret {
        Secret::new("another-secret-0123456789abcdefghijklmnopqrstuvwxyz")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn node_payload() -> Map<String, Value> {
        let session = json!({"expiresAt":"2100-01-01T00:00:00.000Z","token":"sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV","createdAt":"2026-11-28T08:16:29.226Z","updatedAt":"2026-11-28T08:16:29.226Z","ipAddress":"","userAgent":"é\u{2028}\"x","userId":"u1","id":"s1"});
        let user = json!({"name":"Ann","email":"ann@example.com","emailVerified":false,"image":null,"createdAt":"2026-11-28T08:16:29.226Z","updatedAt":"2026-11-28T08:16:29.226Z","id":"u1"});
        payload(session, user, NOW_MS, "1")
    }

    fn decoded(strategy: Strategy, value: &str, secret: &Secret, now_ms: i64) -> CachedSession {
        decode(strategy, value, secret, now_ms).unwrap_or_else(|| panic!("{strategy:?} refused"))
    }

    #[test]
    fn compact_is_byte_identical_to_node() {
        let ours = encode(
            Strategy::Compact,
            &node_payload(),
            &secret(),
            NOW_MS,
            Some(300),
        );
        assert_eq!(ours, NODE_COMPACT);
        let cache = decoded(Strategy::Compact, NODE_COMPACT, &secret(), NOW_MS);
        assert_eq!(cache.payload, node_payload());
        assert_eq!(cache.expires_at, NOW_MS + 300_000);
        assert_eq!(
            cache.session().and_then(|s| s.get("token")),
            Some(&json!("sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV"))
        );
        assert_eq!(cache.version(), "1");
    }

    #[test]
    fn jwt_is_byte_identical_to_node() {
        let ours = encode(Strategy::Jwt, &node_payload(), &secret(), NOW_MS, Some(300));
        assert_eq!(ours, NODE_JWT);
        let cache = decoded(Strategy::Jwt, NODE_JWT, &secret(), NOW_MS);
        assert_eq!(cache.expires_at, 1_795_853_320_000);
        assert_eq!(
            cache.user(),
            node_payload().get("user").and_then(Value::as_object)
        );
        // jose refuses an expired token (exp <= now).
        assert_eq!(
            decode(Strategy::Jwt, NODE_JWT, &secret(), 1_795_853_320_000),
            None
        );
    }

    #[test]
    fn jwe_decrypts_node_tokens_and_shares_the_kid() {
        assert_eq!(jwe_key(secret().as_bytes()).kid, NODE_KID);
        let cache = decoded(Strategy::Jwe, NODE_JWE, &secret(), NOW_MS);
        let mut expected = node_payload();
        expected.insert("iat".to_owned(), json!(1_795_853_020));
        expected.insert("exp".to_owned(), json!(4_102_444_800_i64));
        expected.insert(
            "jti".to_owned(),
            json!("00000000-0000-4000-8000-000000000000"),
        );
        assert_eq!(cache.payload, expected);
        assert_eq!(cache.expires_at, 4_102_444_800_000);
        assert_eq!(
            decode(Strategy::Jwe, NODE_JWE, &other_secret(), NOW_MS),
            None
        );
    }

    /// After a rotation (`BETTER_AUTH_SECRETS=2:<new>,1:<old>`) a JWE cache made under the old
    /// secret (here better-auth's own) still decrypts, as in better-auth; signed caches must
    /// carry the newest secret's signature; new caches are made with the newest.
    #[test]
    fn rotated_secrets_decrypt_old_jwe_caches_and_sign_with_the_newest() {
        let rotated = Secret::versioned(&format!(
            "2:another-secret-0123456789abcdefghijklmnopqrstuvwxyz,1:{SECRET}"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let cache = decoded(Strategy::Jwe, NODE_JWE, &rotated, NOW_MS);
        assert_eq!(
            cache.session(),
            node_payload().get("session").and_then(Value::as_object)
        );
        assert_eq!(
            decode(Strategy::Compact, NODE_COMPACT, &rotated, NOW_MS),
            None
        );
        assert_eq!(decode(Strategy::Jwt, NODE_JWT, &rotated, NOW_MS), None);
        let fresh = encode(Strategy::Jwe, &node_payload(), &rotated, NOW_MS, Some(300));
        assert!(decode(Strategy::Jwe, &fresh, &other_secret(), NOW_MS).is_some());
        assert_eq!(decode(Strategy::Jwe, &fresh, &secret(), NOW_MS), None);
        let compact = encode(
            Strategy::Compact,
            &node_payload(),
            &rotated,
            NOW_MS,
            Some(300),
        );
        assert!(decode(Strategy::Compact, &compact, &other_secret(), NOW_MS).is_some());
    }

    #[test]
    fn jwe_round_trips_with_fresh_iv_and_jti() {
        let a = encode(Strategy::Jwe, &node_payload(), &secret(), NOW_MS, Some(300));
        let b = encode(Strategy::Jwe, &node_payload(), &secret(), NOW_MS, Some(300));
        assert_ne!(a, b);
        let header = a.split('.').next().unwrap_or_default();
        assert_eq!(
            jwt::object(header).ok(),
            json!({"alg":"dir","enc":"A256CBC-HS512","kid":NODE_KID})
                .as_object()
                .cloned()
        );
        let cache = decoded(Strategy::Jwe, &a, &secret(), NOW_MS);
        assert_eq!(cache.expires_at, 1_795_853_320_000);
        assert_eq!(cache.payload.get("iat"), Some(&json!(1_795_853_020)));
        // 15 s of clock tolerance past exp, then refused.
        assert!(decode(Strategy::Jwe, &a, &secret(), 1_795_853_334_000).is_some());
        assert_eq!(
            decode(Strategy::Jwe, &a, &secret(), 1_795_853_335_000),
            None
        );
    }

    #[test]
    fn dont_remember_caches_expire_as_better_auths() {
        let compact = encode(Strategy::Compact, &node_payload(), &secret(), NOW_MS, None);
        assert_eq!(
            decoded(Strategy::Compact, &compact, &secret(), NOW_MS).expires_at,
            NOW_MS + 60_000
        );
        let token = encode(Strategy::Jwt, &node_payload(), &secret(), NOW_MS, None);
        assert_eq!(
            decoded(Strategy::Jwt, &token, &secret(), NOW_MS).expires_at,
            1_795_853_320_000
        );
    }

    #[test]
    fn compact_signs_what_node_re_serialises() {
        // A date with no milliseconds: Node revives it and signs `…:29.000Z`.
        let mut payload = node_payload();
        if let Some(Value::Object(session)) = payload.get_mut("session") {
            session.insert("createdAt".to_owned(), json!("2026-11-28T08:16:29Z"));
        }
        let mut outer = Map::new();
        let expires_at = NOW_MS + 300_000;
        let mut revived = Value::Object(payload.clone());
        js::revive_dates(&mut revived);
        let revived = revived.as_object().cloned().unwrap_or_default();
        outer.insert("session".to_owned(), Value::Object(payload));
        outer.insert("expiresAt".to_owned(), json!(expires_at));
        outer.insert(
            "signature".to_owned(),
            json!(compact_signature(&revived, expires_at, &secret())),
        );
        let value = URL_SAFE_NO_PAD.encode(js::stringify(&Value::Object(outer)));
        let cache = decoded(Strategy::Compact, &value, &secret(), NOW_MS);
        assert_eq!(
            cache.session().and_then(|s| s.get("createdAt")),
            Some(&json!("2026-11-28T08:16:29.000Z"))
        );
        // Only the re-serialising reader can check this one.
        let bytes = URL_SAFE_NO_PAD.decode(&value).unwrap_or_default();
        assert_eq!(verbatim_compact(&bytes, &secret()), None);
        assert!(revived_compact(&bytes, &secret()).is_some());
    }

    /// What `JSON.stringify` wrote (Node's cache, ours) verifies as written, and reads the same
    /// as through the re-serialising reader; a changed byte verifies through neither.
    #[test]
    fn stringified_caches_verify_as_written() {
        let ours = encode(
            Strategy::Compact,
            &node_payload(),
            &secret(),
            NOW_MS,
            Some(300),
        );
        for value in [NODE_COMPACT, ours.as_str()] {
            let bytes = URL_SAFE_NO_PAD.decode(value).unwrap_or_default();
            let verbatim = verbatim_compact(&bytes, &secret());
            assert!(verbatim.is_some());
            assert_eq!(verbatim, revived_compact(&bytes, &secret()));
            assert_eq!(verbatim_compact(&bytes, &other_secret()), None);
            let text = String::from_utf8(bytes).unwrap_or_default();
            let tampered = text.replacen("\"Ann\"", "\"Bob\"", 1).into_bytes();
            assert_ne!(tampered, text.as_bytes());
            assert_eq!(verbatim_compact(&tampered, &secret()), None);
            assert_eq!(revived_compact(&tampered, &secret()), None);
        }
    }

    #[test]
    fn refuses_tampered_foreign_and_malformed_caches() {
        for strategy in [Strategy::Compact, Strategy::Jwt, Strategy::Jwe] {
            let good = encode(strategy, &node_payload(), &secret(), NOW_MS, Some(300));
            assert_eq!(
                decode(strategy, &good, &other_secret(), NOW_MS),
                None,
                "{strategy:?}"
            );
            let mut tampered = good.clone().into_bytes();
            let middle = tampered.len() / 2;
            tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(tampered).unwrap_or_default();
            assert_eq!(
                decode(strategy, &tampered, &secret(), NOW_MS),
                None,
                "{strategy:?}"
            );
            for junk in ["", ".", "....", "e30", "not base64!"] {
                assert_eq!(
                    decode(strategy, junk, &secret(), NOW_MS),
                    None,
                    "{strategy:?} {junk}"
                );
            }
        }
        // A verified payload without a user object is refused (better-auth's schema check).
        let mut no_user = node_payload();
        no_user.remove("user");
        let value = encode(Strategy::Jwt, &no_user, &secret(), NOW_MS, Some(300));
        assert_eq!(decode(Strategy::Jwt, &value, &secret(), NOW_MS), None);
    }
}
