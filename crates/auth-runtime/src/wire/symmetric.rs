//! better-auth's `symmetricEncrypt`/`symmetricDecrypt`: XChaCha20-Poly1305 under the SHA-256 of
//! the secret's UTF-8 bytes, a random 24-byte nonce before the ciphertext, all in lower-case hex.
//! With versioned secrets (`BETTER_AUTH_SECRETS`) the hex is wrapped as `$ba$<version>$<hex>`
//! and decrypted with that version's secret. Two-factor secrets and backup codes (and, later,
//! JWT private keys) are stored this way, so either server reads what the other wrote.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use super::secret::Secret;

const ENVELOPE: &str = "$ba$";
const NONCE: usize = 24;

/// Why a stored value could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("not hex")]
    NotHex,
    #[error("shorter than a nonce and a tag")]
    TooShort,
    #[error("secret version {0} is not configured")]
    UnknownVersion(u64),
    #[error("bare hex cannot be read with versioned secrets and no legacy secret")]
    NoLegacySecret,
    #[error("wrong key or tampered data")]
    Authentication,
    #[error("not UTF-8")]
    NotUtf8,
}

fn cipher(secret: &[u8]) -> XChaCha20Poly1305 {
    let key: [u8; 32] = Sha256::digest(secret).into();
    XChaCha20Poly1305::new(&key.into())
}

fn raw_encrypt(secret: &[u8], data: &str) -> String {
    let mut nonce = [0u8; NONCE];
    super::id::fill_random(&mut nonce);
    let sealed = cipher(secret)
        .encrypt(&XNonce::from(nonce), data.as_bytes())
        // XChaCha20-Poly1305 fails only beyond 256 GiB of plaintext.
        .unwrap_or_default();
    let mut out = String::with_capacity((NONCE + sealed.len()) * 2);
    for byte in nonce.iter().chain(&sealed) {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

fn raw_decrypt(secret: &[u8], hex: &str) -> Result<String, DecryptError> {
    if !hex.len().is_multiple_of(2) {
        return Err(DecryptError::NotHex);
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or(DecryptError::NotHex)?;
    if bytes.len() < NONCE + 16 {
        return Err(DecryptError::TooShort);
    }
    let (nonce, sealed) = bytes.split_at(NONCE);
    let nonce: [u8; NONCE] = nonce.try_into().map_err(|_| DecryptError::TooShort)?;
    let plain = cipher(secret)
        .decrypt(&XNonce::from(nonce), sealed)
        .map_err(|_| DecryptError::Authentication)?;
    String::from_utf8(plain).map_err(|_| DecryptError::NotUtf8)
}

/// Encrypts `data` with the newest secret.
#[must_use]
pub fn encrypt(secret: &Secret, data: &str) -> String {
    let hex = raw_encrypt(secret.as_bytes(), data);
    match secret.version() {
        Some(version) => format!("{ENVELOPE}{version}${hex}"),
        None => hex,
    }
}

/// Decrypts what [`encrypt`] (or better-auth) wrote.
///
/// # Errors
/// [`DecryptError`] when the value is malformed, its secret version is unknown, or it was not
/// encrypted with this secret.
pub fn decrypt(secret: &Secret, data: &str) -> Result<String, DecryptError> {
    if let Some(rest) = data.strip_prefix(ENVELOPE)
        && let Some((version, hex)) = rest.split_once('$')
        && let Ok(version) = version.parse::<u64>()
    {
        let key = secret
            .of_version(version)
            .ok_or(DecryptError::UnknownVersion(version))?;
        return raw_decrypt(key, hex);
    }
    if secret.version().is_some() {
        return Err(DecryptError::NoLegacySecret);
    }
    raw_decrypt(secret.as_bytes(), data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new("a-test-secret-that-is-long-enough-0123456789")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn round_trips_and_refuses_another_key() {
        let secret = secret();
        let sealed = encrypt(&secret, "JBSWY3DPEHPK3PXP");
        assert_eq!(sealed.len(), (24 + 16 + 16) * 2, "nonce, ciphertext, tag");
        assert!(
            sealed
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(decrypt(&secret, &sealed).as_deref(), Ok("JBSWY3DPEHPK3PXP"));
        let other = Secret::new("another-test-secret-that-is-long-enough-0123")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decrypt(&other, &sealed), Err(DecryptError::Authentication));
        assert_eq!(decrypt(&secret, "zz"), Err(DecryptError::NotHex));
        assert_eq!(decrypt(&secret, "00"), Err(DecryptError::TooShort));
    }

    /// A value better-auth 1.7.25 wrote (`symmetricEncrypt({ key, data: "hello" })` in Node, with
    /// the secret above).
    #[test]
    fn reads_what_better_auth_wrote() {
        let written = "d9b507ad7317655af88b1c1665b99f4e1cf96cf98774969022a8c84feba6bfc5aebd1472e52d5b9cacf3e93471";
        match decrypt(&secret(), written) {
            Ok(plain) => assert_eq!(plain, "hello"),
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn versioned_secrets_wrap_in_an_envelope() {
        let rotated = Secret::versioned("2:a-new-test-secret-that-is-long-enough-0123,1:a-test-secret-that-is-long-enough-0123456789")
            .unwrap_or_else(|e| panic!("{e}"));
        let sealed = encrypt(&rotated, "x");
        assert!(sealed.starts_with("$ba$2$"), "{sealed}");
        assert_eq!(decrypt(&rotated, &sealed).as_deref(), Ok("x"));
        let old = format!("$ba$1${}", encrypt(&secret(), "y"));
        assert_eq!(decrypt(&rotated, &old).as_deref(), Ok("y"));
        assert_eq!(
            decrypt(&rotated, "$ba$7$00"),
            Err(DecryptError::UnknownVersion(7))
        );
    }
}
