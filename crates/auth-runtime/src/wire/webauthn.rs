//! WebAuthn's two ceremonies checked as `@simplewebauthn/server` 13 (better-auth's passkey plugin)
//! checks them, and credentials in its encoding: the credential id base64url without padding,
//! the public key as the authenticator's COSE key bytes, the AAGUID as a dashed UUID.
//!
//! CBOR is read by ciborium and COSE keys by coset; signatures are checked by aws-lc-rs (ES256,
//! RS256, EdDSA: the algorithms better-auth's registration options offer). Attestation is
//! better-auth's `"none"`: a registration must carry the `none` statement.

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, general_purpose};
use ciborium::Value as Cbor;
use coset::iana::{self, EnumI64};
use coset::{CborSerializable, CoseKey, KeyType, Label, RegisteredLabelWithPrivate};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

/// base64url as simplewebauthn reads it: padding optional.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The COSE algorithms offered in `pubKeyCredParams`, in simplewebauthn's order.
pub(crate) const ALGORITHMS: [i64; 3] = [
    iana::Algorithm::EdDSA as i64,
    iana::Algorithm::ES256 as i64,
    iana::Algorithm::RS256 as i64,
];

/// Why a ceremony's answer is refused (logged; the client sees the plugin's error code).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum Refusal {
    #[error("malformed response: {0}")]
    Malformed(&'static str),
    #[error("unexpected type {0:?}")]
    Type(String),
    #[error("unexpected challenge")]
    Challenge,
    #[error("unexpected origin {0:?}")]
    Origin(String),
    #[error("unexpected RP ID hash")]
    RpId,
    #[error("user not present")]
    UserPresence,
    #[error("unsupported attestation format {0:?}")]
    Attestation(String),
    #[error("unsupported public key (algorithm {0:?})")]
    PublicKey(Option<i64>),
    #[error("backed-up single-device credential")]
    BackupFlags,
    #[error("counter {got} is not above the stored {stored}")]
    Counter { got: u32, stored: u64 },
    #[error("bad signature")]
    Signature,
}

/// What a ceremony must match.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expected<'a> {
    /// base64url, as sent in the options.
    pub(crate) challenge: &'a str,
    pub(crate) origins: &'a [&'a str],
    pub(crate) rp_id: &'a str,
}

/// A verified registration, in the `passkey` table's encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credential {
    /// base64url without padding.
    pub(crate) id: String,
    /// The COSE key as the authenticator sent it.
    pub(crate) public_key: Vec<u8>,
    pub(crate) counter: u32,
    /// `singleDevice` or `multiDevice`.
    pub(crate) device_type: &'static str,
    pub(crate) backed_up: bool,
    pub(crate) aaguid: String,
}

const FLAG_UP: u8 = 0x01;
const FLAG_BE: u8 = 0x08;
const FLAG_BS: u8 = 0x10;
const FLAG_AT: u8 = 0x40;
const FLAG_ED: u8 = 0x80;

/// Parsed authenticator data.
struct AuthData {
    rp_id_hash: [u8; 32],
    flags: u8,
    counter: u32,
    /// AAGUID, credential id and COSE key bytes, when attested.
    attested: Option<([u8; 16], Vec<u8>, Vec<u8>)>,
}

/// `bytes` as one CBOR item and what follows it.
fn cbor_item(bytes: &[u8]) -> Result<(Cbor, &[u8]), Refusal> {
    let mut rest = bytes;
    let item: Cbor =
        ciborium::de::from_reader(&mut rest).map_err(|_| Refusal::Malformed("CBOR"))?;
    Ok((item, rest))
}

fn auth_data(bytes: &[u8]) -> Result<AuthData, Refusal> {
    let short = || Refusal::Malformed("authenticator data");
    let (head, mut rest) = bytes.split_at_checked(37).ok_or_else(short)?;
    let mut rp_id_hash = [0; 32];
    rp_id_hash.copy_from_slice(&head[..32]);
    let flags = head[32];
    let counter = u32::from_be_bytes([head[33], head[34], head[35], head[36]]);
    let mut attested = None;
    if flags & FLAG_AT != 0 {
        let (aaguid, after) = rest.split_at_checked(16).ok_or_else(short)?;
        let (length, after) = after.split_at_checked(2).ok_or_else(short)?;
        let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
        let (id, after) = after.split_at_checked(length).ok_or_else(short)?;
        let (_, after_key) = cbor_item(after)?;
        let key = &after[..after.len() - after_key.len()];
        let mut guid = [0; 16];
        guid.copy_from_slice(aaguid);
        attested = Some((guid, id.to_vec(), key.to_vec()));
        rest = after_key;
    }
    if flags & FLAG_ED != 0 {
        rest = cbor_item(rest)?.1;
    }
    if !rest.is_empty() {
        return Err(Refusal::Malformed("leftover bytes in authenticator data"));
    }
    Ok(AuthData {
        rp_id_hash,
        flags,
        counter,
        attested,
    })
}

/// A string member of a JSON object.
fn member<'a>(value: &'a Json, key: &'static str) -> Result<&'a str, Refusal> {
    value
        .get(key)
        .and_then(Json::as_str)
        .ok_or(Refusal::Malformed(key))
}

fn base64url(value: &Json, key: &'static str) -> Result<Vec<u8>, Refusal> {
    BASE64URL
        .decode(member(value, key)?)
        .map_err(|_| Refusal::Malformed(key))
}

/// The credential's id (`id` equal to `rawId`, type `public-key`) and its `response` object.
fn credential_parts(response: &Json) -> Result<(&str, &Json), Refusal> {
    let id = member(response, "id")?;
    if id.is_empty() || response.get("rawId").and_then(Json::as_str) != Some(id) {
        return Err(Refusal::Malformed("id"));
    }
    if response.get("type").and_then(Json::as_str) != Some("public-key") {
        return Err(Refusal::Malformed("type"));
    }
    let inner = response
        .get("response")
        .filter(|r| r.is_object())
        .ok_or(Refusal::Malformed("response"))?;
    Ok((id, inner))
}

/// Checks `clientDataJSON` (type, challenge, origin) and answers its SHA-256.
fn client_data(inner: &Json, kind: &str, expected: &Expected<'_>) -> Result<[u8; 32], Refusal> {
    let bytes = base64url(inner, "clientDataJSON")?;
    let data: Json =
        serde_json::from_slice(&bytes).map_err(|_| Refusal::Malformed("clientDataJSON"))?;
    let field = |key| data.get(key).and_then(Json::as_str).unwrap_or_default();
    if field("type") != kind {
        return Err(Refusal::Type(field("type").to_owned()));
    }
    if field("challenge") != expected.challenge {
        return Err(Refusal::Challenge);
    }
    if !expected.origins.contains(&field("origin")) {
        return Err(Refusal::Origin(field("origin").to_owned()));
    }
    if let Some(binding) = data.get("tokenBinding") {
        let status = binding.get("status").and_then(Json::as_str);
        if !matches!(
            status,
            Some("present" | "supported" | "not-supported" | "notSupported")
        ) {
            return Err(Refusal::Malformed("tokenBinding"));
        }
    }
    Ok(Sha256::digest(&bytes).into())
}

fn check_rp_id_and_presence(data: &AuthData, rp_id: &str) -> Result<(), Refusal> {
    if data.rp_id_hash != <[u8; 32]>::from(Sha256::digest(rp_id.as_bytes())) {
        return Err(Refusal::RpId);
    }
    if data.flags & FLAG_UP == 0 {
        return Err(Refusal::UserPresence);
    }
    Ok(())
}

/// simplewebauthn's `parseBackupFlags`.
fn backup_flags(flags: u8) -> Result<(&'static str, bool), Refusal> {
    let backed_up = flags & FLAG_BS != 0;
    let device_type = if flags & FLAG_BE != 0 {
        "multiDevice"
    } else {
        "singleDevice"
    };
    if device_type == "singleDevice" && backed_up {
        return Err(Refusal::BackupFlags);
    }
    Ok((device_type, backed_up))
}

/// A dashed lowercase UUID.
fn uuid(bytes: &[u8; 16]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// `navigator.credentials.create()`'s answer (as `@simplewebauthn/browser` serialises it),
/// checked against `expected`; user verification is not required (better-auth's setting).
pub(crate) fn verify_registration(
    response: &Json,
    expected: &Expected<'_>,
) -> Result<Credential, Refusal> {
    let (_, inner) = credential_parts(response)?;
    client_data(inner, "webauthn.create", expected)?;
    let object = base64url(inner, "attestationObject")?;
    let (object, rest) = cbor_item(&object)?;
    if !rest.is_empty() {
        return Err(Refusal::Malformed("attestationObject"));
    }
    let entry = |name: &str| {
        object.as_map().and_then(|map| {
            map.iter()
                .find(|(k, _)| k.as_text() == Some(name))
                .map(|(_, v)| v)
        })
    };
    let fmt = entry("fmt")
        .and_then(Cbor::as_text)
        .ok_or(Refusal::Malformed("fmt"))?;
    let auth_bytes = entry("authData")
        .and_then(Cbor::as_bytes)
        .ok_or(Refusal::Malformed("authData"))?;
    let data = auth_data(auth_bytes)?;
    check_rp_id_and_presence(&data, expected.rp_id)?;
    let (aaguid, id, key) = data
        .attested
        .as_ref()
        .ok_or(Refusal::Malformed("attested credential data"))?;
    if id.is_empty() {
        return Err(Refusal::Malformed("credential id"));
    }
    let public_key = PublicKey::parse(key)?;
    if !ALGORITHMS.contains(&public_key.alg) {
        return Err(Refusal::PublicKey(Some(public_key.alg)));
    }
    let statement_empty = entry("attStmt")
        .and_then(Cbor::as_map)
        .is_some_and(Vec::is_empty);
    if fmt != "none" || !statement_empty {
        return Err(Refusal::Attestation(fmt.to_owned()));
    }
    let (device_type, backed_up) = backup_flags(data.flags)?;
    Ok(Credential {
        id: URL_SAFE_NO_PAD.encode(id),
        public_key: key.clone(),
        counter: data.counter,
        device_type,
        backed_up,
        aaguid: uuid(aaguid),
    })
}

/// `navigator.credentials.get()`'s answer for the stored credential (`public_key`, `counter`),
/// checked against `expected`: answers the new counter. A counter that does not grow is
/// refused once either side has started counting (a cloned authenticator).
pub(crate) fn verify_authentication(
    response: &Json,
    expected: &Expected<'_>,
    public_key: &[u8],
    counter: u64,
) -> Result<u32, Refusal> {
    let (_, inner) = credential_parts(response)?;
    let client_hash = client_data(inner, "webauthn.get", expected)?;
    let auth_bytes = base64url(inner, "authenticatorData")?;
    let signature = base64url(inner, "signature")?;
    if inner
        .get("userHandle")
        .is_some_and(|h| !h.is_string() && !h.is_null())
    {
        return Err(Refusal::Malformed("userHandle"));
    }
    let data = auth_data(&auth_bytes)?;
    check_rp_id_and_presence(&data, expected.rp_id)?;
    if (data.counter > 0 || counter > 0) && u64::from(data.counter) <= counter {
        return Err(Refusal::Counter {
            got: data.counter,
            stored: counter,
        });
    }
    backup_flags(data.flags)?;
    let mut signed = auth_bytes;
    signed.extend_from_slice(&client_hash);
    PublicKey::parse(public_key)?.verify(&signed, &signature)?;
    Ok(data.counter)
}

/// A credential public key this server can check signatures with.
struct PublicKey {
    alg: i64,
    key: Key,
}

enum Key {
    /// An uncompressed P-256 point.
    P256(Vec<u8>),
    Ed25519(Vec<u8>),
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
}

impl PublicKey {
    fn parse(cose: &[u8]) -> Result<Self, Refusal> {
        let key = CoseKey::from_slice(cose).map_err(|_| Refusal::PublicKey(None))?;
        let alg = match key.alg {
            Some(RegisteredLabelWithPrivate::Assigned(alg)) => alg.to_i64(),
            Some(RegisteredLabelWithPrivate::PrivateUse(alg)) => alg,
            _ => return Err(Refusal::PublicKey(None)),
        };
        let unsupported = || Refusal::PublicKey(Some(alg));
        let param = |label: i64| {
            key.params
                .iter()
                .find(|(l, _)| *l == Label::Int(label))
                .map(|(_, v)| v)
        };
        let bytes = |label: i64| {
            param(label)
                .and_then(Cbor::as_bytes)
                .cloned()
                .ok_or_else(unsupported)
        };
        let curve = param(-1).and_then(Cbor::as_integer).map(i128::from);
        let key = match (&key.kty, alg) {
            (KeyType::Assigned(iana::KeyType::EC2), -7)
                if curve == Some(iana::EllipticCurve::P_256 as i128) =>
            {
                let mut point = vec![0x04];
                point.extend(bytes(-2)?);
                point.extend(bytes(-3)?);
                Key::P256(point)
            }
            (KeyType::Assigned(iana::KeyType::OKP), -8)
                if curve == Some(iana::EllipticCurve::Ed25519 as i128) =>
            {
                Key::Ed25519(bytes(-2)?)
            }
            (KeyType::Assigned(iana::KeyType::RSA), -257) => Key::Rsa {
                n: bytes(-1)?,
                e: bytes(-2)?,
            },
            _ => return Err(unsupported()),
        };
        Ok(Self { alg, key })
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Refusal> {
        use aws_lc_rs::signature::{self, UnparsedPublicKey};
        let verified = match &self.key {
            Key::P256(point) => UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, point)
                .verify(message, signature),
            Key::Ed25519(x) => {
                UnparsedPublicKey::new(&signature::ED25519, x).verify(message, signature)
            }
            Key::Rsa { n, e } => signature::RsaPublicKeyComponents { n, e }.verify(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                message,
                signature,
            ),
        };
        verified.map_err(|_| Refusal::Signature)
    }
}

/// Standard base64 with padding: how better-auth stores the COSE key in `passkey.publicKey`.
pub(crate) fn encode_public_key(key: &[u8]) -> String {
    general_purpose::STANDARD.encode(key)
}

/// A stored `publicKey` (better-auth's `base64.decode`: either alphabet, padding optional).
pub(crate) fn decode_public_key(stored: &str) -> Option<Vec<u8>> {
    let url = stored.contains(['-', '_']);
    let alphabet = if url {
        &base64::alphabet::URL_SAFE
    } else {
        &base64::alphabet::STANDARD
    };
    GeneralPurpose::new(
        alphabet,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
    .decode(stored)
    .ok()
}

#[cfg(test)]
pub(crate) mod tests;
