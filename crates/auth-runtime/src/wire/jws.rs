//! The jwt plugin's signatures, as better-auth 1.7.25 makes them with `jose` 6: key pairs
//! generated and exported as JWKs (`generateKeyPair` + `exportJWK`, members in `jose`'s order),
//! and compact JWS signed with a private JWK (`importJWK` + `SignJWT`) under the header
//! `{"alg":…,"kid":…}`. A key either server stored signs on the other, so both read the JWKs
//! better-auth writes: Ed25519 (`EdDSA`, the default), P-256 (`ES256`), P-521 (`ES512`) and RSA
//! (`RS256`, `PS256`). The crypto is aws-lc-rs's, the backend `jsonwebtoken` already uses here.

use auth_core::plugins::jwt::{KeyPairConfig, ModulusLength};
use aws_lc_rs::encoding::{AsBigEndian as _, AsDer as _};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPairComponents, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P521_SHA512_FIXED,
    ECDSA_P521_SHA512_FIXED_SIGNING, ED25519, EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair,
    KeyPair as _, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RSA_PSS_2048_8192_SHA256,
    RSA_PSS_SHA256, RsaEncoding, RsaKeyPair, RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

/// A JWS algorithm of better-auth's `keyPairConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    EdDsa,
    Es256,
    Es512,
    Rs256,
    Ps256,
}

impl Algorithm {
    /// The algorithm named `name` (a `jwks.alg` value, a JWS `alg`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "EdDSA" => Self::EdDsa,
            "ES256" => Self::Es256,
            "ES512" => Self::Es512,
            "RS256" => Self::Rs256,
            "PS256" => Self::Ps256,
            _ => return None,
        })
    }

    /// The key pairs `config` describes sign with this algorithm.
    pub fn of(config: KeyPairConfig) -> Self {
        match config {
            KeyPairConfig::EdDSA { .. } => Self::EdDsa,
            KeyPairConfig::ES256 {} => Self::Es256,
            KeyPairConfig::ES512 {} => Self::Es512,
            KeyPairConfig::RS256 { .. } => Self::Rs256,
            KeyPairConfig::PS256 { .. } => Self::Ps256,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::EdDsa => "EdDSA",
            Self::Es256 => "ES256",
            Self::Es512 => "ES512",
            Self::Rs256 => "RS256",
            Self::Ps256 => "PS256",
        }
    }
}

/// Why a key could not be made or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("the private JWK is not a {0} key: {1}")]
    BadKey(&'static str, &'static str),
    #[error("the key pair could not be generated")]
    Generation,
    #[error("the signature could not be made")]
    Signing,
}

/// A new key pair: its public and private JWKs, as `jose`'s `exportJWK` writes them.
#[derive(Debug, Clone)]
pub struct KeyPair {
    pub public: Map<String, Value>,
    pub private: Map<String, Value>,
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(URL_SAFE_NO_PAD.encode(bytes))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Generates a key pair as better-auth's `generateExportedKeyPair` does for `config`.
///
/// # Errors
/// [`JwsError::Generation`] when the system's randomness or aws-lc fails.
pub fn generate(config: KeyPairConfig) -> Result<KeyPair, JwsError> {
    let failed = |_| JwsError::Generation;
    match config {
        KeyPairConfig::EdDSA { .. } => {
            let pair = Ed25519KeyPair::generate().map_err(failed)?;
            let seed = pair.seed().and_then(|s| s.as_be_bytes()).map_err(failed)?;
            let x = b64(pair.public_key().as_ref());
            Ok(KeyPair {
                public: object(json!({ "crv": "Ed25519", "x": x, "kty": "OKP" })),
                private: object(
                    json!({ "crv": "Ed25519", "d": b64(seed.as_ref()), "x": x, "kty": "OKP" }),
                ),
            })
        }
        KeyPairConfig::ES256 {} | KeyPairConfig::ES512 {} => {
            let (signing, crv) = curve(Algorithm::of(config));
            let pair = EcdsaKeyPair::generate(signing).map_err(failed)?;
            let d = pair.private_key().as_be_bytes().map_err(failed)?;
            let point = pair.public_key().as_ref();
            let (x, y) = point
                .get(1..)
                .map(|xy| xy.split_at(xy.len() / 2))
                .ok_or(JwsError::Generation)?;
            let (x, y) = (b64(x), b64(y));
            Ok(KeyPair {
                public: object(json!({ "kty": "EC", "x": x, "y": y, "crv": crv })),
                private: object(
                    json!({ "kty": "EC", "x": x, "y": y, "crv": crv, "d": b64(d.as_ref()) }),
                ),
            })
        }
        KeyPairConfig::RS256 { modulus_length } | KeyPairConfig::PS256 { modulus_length } => {
            let size = match modulus_length {
                ModulusLength::Bits2048 => KeySize::Rsa2048,
                ModulusLength::Bits3072 => KeySize::Rsa3072,
                ModulusLength::Bits4096 => KeySize::Rsa4096,
            };
            let pair = RsaKeyPair::generate(size).map_err(failed)?;
            let der = pair.as_der().map_err(failed)?;
            let [n, e, d, p, q, dp, dq, qi] =
                der::rsa_private_key(der.as_ref()).ok_or(JwsError::Generation)?;
            let (n, e) = (b64(n), b64(e));
            Ok(KeyPair {
                public: object(json!({ "kty": "RSA", "n": n, "e": e })),
                private: object(json!({
                    "kty": "RSA", "n": n, "e": e, "d": b64(d), "p": b64(p), "q": b64(q),
                    "dp": b64(dp), "dq": b64(dq), "qi": b64(qi),
                })),
            })
        }
    }
}

fn curve(alg: Algorithm) -> (&'static EcdsaSigningAlgorithm, &'static str) {
    if alg == Algorithm::Es512 {
        (&ECDSA_P521_SHA512_FIXED_SIGNING, "P-521")
    } else {
        (&ECDSA_P256_SHA256_FIXED_SIGNING, "P-256")
    }
}

/// Signs `claims` (in their order) with the private JWK `private` under the header
/// `{"alg":<alg>,"kid":<kid>}`: a compact JWS, as `jose`'s `SignJWT` writes it.
///
/// # Errors
/// [`JwsError::BadKey`] when `private` is not a private key of `alg`'s type (or its public and
/// private halves disagree), [`JwsError::Signing`] when aws-lc fails.
pub fn sign(
    alg: Algorithm,
    private: &Map<String, Value>,
    kid: &str,
    claims: &Map<String, Value>,
) -> Result<String, JwsError> {
    sign_with_header(
        alg,
        private,
        &object(json!({ "alg": alg.name(), "kid": kid })),
        claims,
    )
}

/// Signs `claims` with the private JWK `private` under `header` (which names `alg`): a
/// compact JWS.
///
/// # Errors
/// As [`sign`].
pub fn sign_with_header(
    alg: Algorithm,
    private: &Map<String, Value>,
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
) -> Result<String, JwsError> {
    // Maps of JSON values always serialise.
    let header = serde_json::to_vec(header).unwrap_or_default();
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = signature(alg, private, input.as_bytes())?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

fn signature(
    alg: Algorithm,
    private: &Map<String, Value>,
    message: &[u8],
) -> Result<Vec<u8>, JwsError> {
    let name = alg.name();
    let member = |key: &'static str| -> Result<Vec<u8>, JwsError> {
        private
            .get(key)
            .and_then(Value::as_str)
            .and_then(|text| URL_SAFE_NO_PAD.decode(text).ok())
            .ok_or(JwsError::BadKey(name, key))
    };
    let kty = |want: &'static str, crv: Option<&'static str>| {
        let kty_ok = private.get("kty").and_then(Value::as_str) == Some(want);
        let crv_ok = crv.is_none_or(|crv| private.get("crv").and_then(Value::as_str) == Some(crv));
        if kty_ok && crv_ok {
            Ok(())
        } else {
            Err(JwsError::BadKey(name, "kty/crv"))
        }
    };
    let rejected = |_| JwsError::BadKey(name, "rejected");
    match alg {
        Algorithm::EdDsa => {
            kty("OKP", Some("Ed25519"))?;
            let pair = Ed25519KeyPair::from_seed_and_public_key(&member("d")?, &member("x")?)
                .map_err(rejected)?;
            Ok(pair.sign(message).as_ref().to_vec())
        }
        Algorithm::Es256 | Algorithm::Es512 => {
            let (signing, crv) = curve(alg);
            kty("EC", Some(crv))?;
            let mut point = vec![4];
            point.extend(member("x")?);
            point.extend(member("y")?);
            let pair =
                EcdsaKeyPair::from_private_key_and_public_key(signing, &member("d")?, &point)
                    .map_err(rejected)?;
            let signature = pair
                .sign(&SystemRandom::new(), message)
                .map_err(|_| JwsError::Signing)?;
            Ok(signature.as_ref().to_vec())
        }
        Algorithm::Rs256 | Algorithm::Ps256 => {
            kty("RSA", None)?;
            let pair = RsaKeyPair::from_components(&KeyPairComponents {
                public_key: PublicKeyComponents {
                    n: member("n")?,
                    e: member("e")?,
                },
                d: member("d")?,
                p: member("p")?,
                q: member("q")?,
                dP: member("dp")?,
                dQ: member("dq")?,
                qInv: member("qi")?,
            })
            .map_err(rejected)?;
            let padding: &'static dyn RsaEncoding = if alg == Algorithm::Rs256 {
                &RSA_PKCS1_SHA256
            } else {
                &RSA_PSS_SHA256
            };
            let mut signature = vec![0; pair.public_modulus_len()];
            pair.sign(padding, &SystemRandom::new(), message, &mut signature)
                .map_err(|_| JwsError::Signing)?;
            Ok(signature)
        }
    }
}

/// The claims of the compact JWS `token` when its header names `alg` and its signature
/// verifies with the public JWK `public` (as `jose`'s `jwtVerify` with `algorithms: [alg]`);
/// `None` for anything else. The claims are not checked here.
pub fn verify(
    alg: Algorithm,
    public: &Map<String, Value>,
    token: &str,
) -> Option<Map<String, Value>> {
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).ok();
    let (input, signature) = token.rsplit_once('.')?;
    let (header, payload) = input.split_once('.')?;
    let header: Map<String, Value> = serde_json::from_slice(&decode(header)?).ok()?;
    if header.get("alg").and_then(Value::as_str) != Some(alg.name()) {
        return None;
    }
    let signature = decode(signature)?;
    let member = |key: &str| public.get(key).and_then(Value::as_str).and_then(decode);
    let kty = public.get("kty").and_then(Value::as_str);
    let crv = public.get("crv").and_then(Value::as_str);
    let message = input.as_bytes();
    let verified = match alg {
        Algorithm::EdDsa => {
            (kty, crv) == (Some("OKP"), Some("Ed25519"))
                && UnparsedPublicKey::new(&ED25519, member("x")?)
                    .verify(message, &signature)
                    .is_ok()
        }
        Algorithm::Es256 | Algorithm::Es512 => {
            let (verifying, name) = if alg == Algorithm::Es512 {
                (&ECDSA_P521_SHA512_FIXED, "P-521")
            } else {
                (&ECDSA_P256_SHA256_FIXED, "P-256")
            };
            let mut point = vec![4];
            point.extend(member("x")?);
            point.extend(member("y")?);
            (kty, crv) == (Some("EC"), Some(name))
                && UnparsedPublicKey::new(verifying, point)
                    .verify(message, &signature)
                    .is_ok()
        }
        Algorithm::Rs256 | Algorithm::Ps256 => {
            let padding = if alg == Algorithm::Rs256 {
                &RSA_PKCS1_2048_8192_SHA256
            } else {
                &RSA_PSS_2048_8192_SHA256
            };
            let key = RsaPublicKeyComponents {
                n: member("n")?,
                e: member("e")?,
            };
            kty == Some("RSA") && key.verify(padding, message, &signature).is_ok()
        }
    };
    if !verified {
        return None;
    }
    serde_json::from_slice(&decode(payload)?).ok()
}

/// Just enough DER to read the RSA components out of the PKCS#8 document aws-lc writes.
mod der {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const OCTET_STRING: u8 = 0x04;

    /// One tag-length-value: the tag, the value, what follows.
    fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return None;
            }
            let (bytes, rest) = rest.split_at_checked(count)?;
            let len = bytes
                .iter()
                .fold(0usize, |len, &b| (len << 8) | usize::from(b));
            (len, rest)
        };
        let (value, rest) = rest.split_at_checked(len)?;
        Some((tag, value, rest))
    }

    fn expect(input: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
        let (tag, value, rest) = tlv(input)?;
        (tag == want).then_some((value, rest))
    }

    /// `n, e, d, p, q, dP, dQ, qInv` of a PKCS#8 `PrivateKeyInfo` holding an RSA key, each
    /// big-endian without leading zeros.
    pub(super) fn rsa_private_key(pkcs8: &[u8]) -> Option<[&[u8]; 8]> {
        let (info, _) = expect(pkcs8, SEQUENCE)?;
        let (_version, rest) = expect(info, INTEGER)?;
        let (_algorithm, rest) = expect(rest, SEQUENCE)?;
        let (key, _) = expect(rest, OCTET_STRING)?;
        let (mut fields, _) = expect(key, SEQUENCE)?;
        let (_version, rest) = expect(fields, INTEGER)?;
        fields = rest;
        let mut out: [&[u8]; 8] = [&[]; 8];
        for slot in &mut out {
            let (value, rest) = expect(fields, INTEGER)?;
            let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
            *slot = &value[start..];
            fields = rest;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::plugins::jwt::EdCurve;
    use jsonwebtoken::{DecodingKey, Validation, decode, jwk::Jwk};

    const CONFIGS: [KeyPairConfig; 5] = [
        KeyPairConfig::EdDSA {
            crv: EdCurve::Ed25519,
        },
        KeyPairConfig::ES256 {},
        KeyPairConfig::ES512 {},
        KeyPairConfig::RS256 {
            modulus_length: ModulusLength::Bits2048,
        },
        KeyPairConfig::PS256 {
            modulus_length: ModulusLength::Bits2048,
        },
    ];

    fn claims() -> Map<String, Value> {
        object(json!({ "iat": 1_796_576_187, "sub": "user-1", "exp": 4_102_444_800_i64 }))
    }

    /// Keys have `jose`'s members in `jose`'s order and the lengths of their curve or modulus.
    #[test]
    fn generated_keys_are_jwks_as_jose_exports_them() {
        let keys: Vec<(Vec<String>, Vec<String>)> = CONFIGS
            .iter()
            .map(|config| {
                let pair = generate(*config).unwrap_or_else(|e| panic!("{e}"));
                (
                    pair.public.keys().cloned().collect(),
                    pair.private.keys().cloned().collect(),
                )
            })
            .collect();
        let names = |s: &str| s.split(',').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(keys[0], (names("crv,x,kty"), names("crv,d,x,kty")));
        assert_eq!(keys[1], (names("kty,x,y,crv"), names("kty,x,y,crv,d")));
        assert_eq!(keys[3].0, names("kty,n,e"));
        assert_eq!(keys[3].1, names("kty,n,e,d,p,q,dp,dq,qi"));
        let len = |pair: &KeyPair, key: &str| pair.private[key].as_str().map_or(0, str::len);
        let p521 = generate(CONFIGS[2]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((len(&p521, "x"), len(&p521, "d")), (88, 88), "66 bytes");
        assert_eq!(p521.public["crv"], "P-521");
        let rsa = generate(CONFIGS[3]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (len(&rsa, "n"), rsa.public["e"].as_str()),
            (342, Some("AQAB"))
        );
    }

    /// Every algorithm's token verifies with `jsonwebtoken` against the public JWK (as a
    /// relying party reads it from `/jwks`), except ES512, which `jsonwebtoken` lacks; a
    /// token signed with another key of the same algorithm does not.
    #[test]
    fn tokens_verify_against_the_public_jwk() {
        for config in CONFIGS {
            let alg = Algorithm::of(config);
            let pair = generate(config).unwrap_or_else(|e| panic!("{e}"));
            let token =
                sign(alg, &pair.private, "kid-1", &claims()).unwrap_or_else(|e| panic!("{e}"));
            let header = token.split('.').next().unwrap_or_default();
            let header = URL_SAFE_NO_PAD.decode(header).unwrap_or_default();
            assert_eq!(
                String::from_utf8_lossy(&header),
                format!("{{\"alg\":\"{}\",\"kid\":\"kid-1\"}}", alg.name())
            );
            if alg == Algorithm::Es512 {
                continue;
            }
            let mut public = pair.public.clone();
            public.insert("alg".into(), alg.name().into());
            let jwk: Jwk =
                serde_json::from_value(Value::Object(public)).unwrap_or_else(|e| panic!("{e}"));
            let key = DecodingKey::from_jwk(&jwk).unwrap_or_else(|e| panic!("{e}"));
            let algorithm: jsonwebtoken::Algorithm =
                alg.name().parse().unwrap_or_else(|e| panic!("{e}"));
            let mut validation = Validation::new(algorithm);
            validation.validate_aud = false;
            let decoded = decode::<Value>(&token, &key, &validation)
                .unwrap_or_else(|e| panic!("{}: {e}", alg.name()));
            assert_eq!(decoded.claims["sub"], "user-1");
            let other = generate(config).unwrap_or_else(|e| panic!("{e}"));
            let forged =
                sign(alg, &other.private, "kid-1", &claims()).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                decode::<Value>(&forged, &key, &validation).is_err(),
                "{}",
                alg.name()
            );
        }
    }

    /// Every algorithm's own tokens verify (ES512 included); another key's, a tampered payload,
    /// another `alg` in the header or a key of another type do not.
    #[test]
    fn verify_accepts_only_the_key_s_own_signature() {
        for config in CONFIGS {
            let alg = Algorithm::of(config);
            let pair = generate(config).unwrap_or_else(|e| panic!("{e}"));
            let token =
                sign(alg, &pair.private, "kid-1", &claims()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(verify(alg, &pair.public, &token), Some(claims()), "{alg:?}");
            let other = generate(config).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                verify(alg, &other.public, &token),
                None,
                "{alg:?} other key"
            );
            let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
            let mut changed = claims();
            changed.insert("sub".into(), "user-2".into());
            parts[1] = URL_SAFE_NO_PAD.encode(Value::Object(changed).to_string());
            assert_eq!(
                verify(alg, &pair.public, &parts.join(".")),
                None,
                "{alg:?} tampered"
            );
            let wrong_alg = if alg == Algorithm::EdDsa {
                Algorithm::Es256
            } else {
                Algorithm::EdDsa
            };
            assert_eq!(
                verify(wrong_alg, &pair.public, &token),
                None,
                "{alg:?} as {wrong_alg:?}"
            );
        }
        assert_eq!(verify(Algorithm::EdDsa, &Map::new(), "a.b"), None);
        assert_eq!(verify(Algorithm::EdDsa, &Map::new(), "not a token"), None);
    }

    /// A key of another type, a missing member or halves that disagree are refused, not used.
    #[test]
    fn unusable_private_keys_are_refused() {
        let ed = generate(CONFIGS[0]).unwrap_or_else(|e| panic!("{e}"));
        let ec = generate(CONFIGS[1]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            sign(Algorithm::Es256, &ed.private, "k", &claims()),
            Err(JwsError::BadKey("ES256", "kty/crv"))
        );
        assert_eq!(
            sign(Algorithm::Es512, &ec.private, "k", &claims()),
            Err(JwsError::BadKey("ES512", "kty/crv"))
        );
        let mut missing = ed.private.clone();
        missing.remove("d");
        assert_eq!(
            sign(Algorithm::EdDsa, &missing, "k", &claims()),
            Err(JwsError::BadKey("EdDSA", "d"))
        );
        let mut mixed = ec.private.clone();
        let other = generate(CONFIGS[1]).unwrap_or_else(|e| panic!("{e}"));
        mixed.insert("d".into(), other.private["d"].clone());
        assert!(matches!(
            sign(Algorithm::Es256, &mixed, "k", &claims()),
            Err(JwsError::BadKey("ES256", _))
        ));
    }
}
