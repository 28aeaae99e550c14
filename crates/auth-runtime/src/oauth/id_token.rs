//! Id-token verification against a provider's JWKS: signature (asymmetric algorithms only),
//! `iss`, `aud`, `exp`, optional maximum age and `nonce`.

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::error::{OAuthError, Operation};

/// What an id token must satisfy besides its signature.
#[derive(Debug, Clone)]
pub(crate) struct Expectations<'a> {
    /// Accepted `iss` values; empty = not checked (Microsoft's multi-tenant endpoints).
    pub(crate) issuers: &'a [String],
    /// Accepted `aud` values (the client id).
    pub(crate) audiences: &'a [String],
    /// Required `nonce`, if one was sent.
    pub(crate) nonce: Option<&'a str>,
    /// Apple also accepts the hex SHA-256 of the nonce.
    pub(crate) nonce_may_be_hashed: bool,
    /// Reject tokens issued (`iat`) longer ago than this many seconds.
    pub(crate) max_age_secs: Option<i64>,
}

fn invalid(operation: Operation, reason: impl Into<String>) -> OAuthError {
    OAuthError::InvalidIdToken {
        operation,
        reason: reason.into(),
    }
}

/// The algorithms we accept: asymmetric only (no `HS*`, which would let anyone who knows the
/// client secret, or a key confusion, forge tokens; `none` never parses).
fn asymmetric(alg: Algorithm) -> bool {
    !matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

/// The header's `kid` and `alg`, checked before any key is fetched.
pub(crate) fn header(
    token: &str,
    operation: Operation,
) -> Result<(Option<String>, Algorithm), OAuthError> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|e| invalid(operation, format!("malformed token header: {e}")))?;
    if !asymmetric(header.alg) {
        return Err(invalid(
            operation,
            format!("algorithm {:?} is not accepted", header.alg),
        ));
    }
    Ok((header.kid, header.alg))
}

/// The keys of `set` that may have signed a token with this `kid` and `alg`.
pub(crate) fn candidates<'a>(set: &'a JwkSet, kid: Option<&str>, alg: Algorithm) -> Vec<&'a Jwk> {
    set.keys
        .iter()
        .filter(|k| match kid {
            Some(kid) => k.common.key_id.as_deref() == Some(kid),
            None => true,
        })
        .filter(|k| match k.common.key_algorithm {
            Some(key_alg) => format!("{key_alg:?}") == format!("{alg:?}"),
            None => true,
        })
        .collect()
}

/// Verifies `token` with one of `keys` and checks the claims; returns the claims.
pub(crate) fn verify(
    token: &str,
    alg: Algorithm,
    keys: &[&Jwk],
    expect: &Expectations<'_>,
    operation: Operation,
) -> Result<Map<String, Value>, OAuthError> {
    if keys.is_empty() {
        return Err(invalid(
            operation,
            "no key in the provider's JWKS matches the token",
        ));
    }
    let mut validation = Validation::new(alg);
    validation.leeway = 30;
    validation.set_audience(expect.audiences);
    let mut required = vec!["exp", "aud", "sub"];
    if !expect.issuers.is_empty() {
        validation.set_issuer(expect.issuers);
        required.push("iss");
    }
    validation.set_required_spec_claims(&required);

    let mut last_error = String::from("no usable key");
    for jwk in keys {
        let key = match DecodingKey::from_jwk(jwk) {
            Ok(key) => key,
            Err(e) => {
                last_error = format!("unusable JWK: {e}");
                continue;
            }
        };
        match jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation) {
            Ok(data) => {
                check_claims(&data.claims, expect, operation)?;
                return Ok(data.claims);
            }
            Err(e) => last_error = e.to_string(),
        }
    }
    Err(invalid(operation, last_error))
}

fn check_claims(
    claims: &Map<String, Value>,
    expect: &Expectations<'_>,
    operation: Operation,
) -> Result<(), OAuthError> {
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if sub.is_empty() {
        return Err(invalid(operation, "no `sub` claim"));
    }
    if let Some(nonce) = expect.nonce {
        let seen = claims.get("nonce").and_then(Value::as_str);
        let matches = seen == Some(nonce)
            || (expect.nonce_may_be_hashed && seen == Some(sha256_hex(nonce).as_str()));
        if !matches {
            return Err(invalid(operation, "the `nonce` claim does not match"));
        }
    }
    if let Some(max_age) = expect.max_age_secs {
        let iat = claims
            .get("iat")
            .and_then(Value::as_i64)
            .ok_or_else(|| invalid(operation, "no `iat` claim"))?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if now.saturating_sub(iat) > max_age + 30 {
            return Err(invalid(operation, "the token is too old (`iat`)"));
        }
    }
    Ok(())
}

fn sha256_hex(value: &str) -> String {
    use std::fmt::Write as _;
    Sha256::digest(value.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// The claims of an id token received straight from a provider's token endpoint that
/// publishes no keys (a generic provider without discovery): not its signature, which TLS to
/// the token endpoint stands in for (OIDC Core §3.1.3.7), but its `sub`, its `aud` (one of
/// `audiences`) and its `exp`.
pub(crate) fn unverified_claims(
    token: &str,
    audiences: &[String],
    operation: Operation,
) -> Result<Map<String, Value>, OAuthError> {
    let claims: Map<String, Value> = jsonwebtoken::dangerous::insecure_decode_claims(token)
        .map_err(|e| invalid(operation, format!("malformed token: {e}")))?;
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => audiences.contains(aud),
        Some(Value::Array(auds)) => auds.iter().any(|aud| {
            aud.as_str()
                .is_some_and(|aud| audiences.iter().any(|a| a == aud))
        }),
        _ => false,
    };
    if !audience_ok {
        return Err(invalid(operation, "the `aud` claim is not the client id"));
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let exp = claims.get("exp").and_then(Value::as_i64);
    if exp.is_none_or(|exp| exp + 30 < now) {
        return Err(invalid(operation, "the token has expired (`exp`)"));
    }
    let none = Expectations {
        issuers: &[],
        audiences,
        nonce: None,
        nonce_may_be_hashed: false,
        max_age_secs: None,
    };
    check_claims(&claims, &none, operation)?;
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_nonce_is_lowercase_hex() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn symmetric_and_garbage_tokens_are_refused() {
        // {"alg":"HS256","typ":"JWT"}.{"sub":"x"}.sig
        let hs = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.c2ln";
        assert!(matches!(
            header(hs, Operation::IdToken),
            Err(OAuthError::InvalidIdToken { .. })
        ));
        for garbage in ["", "a.b", "a.b.c", "....", "eyJ9.eyJ9.eyJ9"] {
            assert!(header(garbage, Operation::IdToken).is_err(), "{garbage}");
        }
    }
}
