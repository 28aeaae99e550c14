//! better-auth's password hashes (`@better-auth/utils/password`): scrypt over the NFKC-normalised
//! password, stored in `account.password` as `"<salt>:<key>"` in lower-case hex.

use std::fmt::Write as _;

pub use auth_scrypt::Blocks;
use auth_scrypt::KEY_LEN;
use subtle::ConstantTimeEq;
use unicode_normalization::UnicodeNormalization;

use super::{id, js};

/// Random salt bytes; their 32-character hex string is the scrypt salt.
const SALT_BYTES: usize = 16;

/// better-auth's default `emailAndPassword.minPasswordLength`.
pub const MIN_PASSWORD_LENGTH: usize = 8;
/// better-auth's default `emailAndPassword.maxPasswordLength`.
pub const MAX_PASSWORD_LENGTH: usize = 128;

/// A stored hash that better-auth's `verifyPassword` could not check either.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// The stored value is not `"<salt>:<128 lower-case hex digits>"`.
    #[error(
        "the stored password hash is not better-auth's `<salt>:<128 hex digits>` ({reason}); \
         was it written by a custom `emailAndPassword.password.hash`?"
    )]
    MalformedHash {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The blocking task running scrypt panicked or was cancelled by a runtime shutdown.
    #[error("the password hashing task did not finish: {0}")]
    Task(String),
}

/// Why a password's length is refused (better-auth's `PASSWORD_TOO_SHORT` /
/// `PASSWORD_TOO_LONG`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordLengthError {
    /// Fewer UTF-16 code units than the minimum.
    #[error("Password too short")]
    TooShort,
    /// More UTF-16 code units than the maximum.
    #[error("Password too long")]
    TooLong,
}

/// Hashes a password exactly as better-auth's `hashPassword`.
///
/// Draws 16 random bytes and hex-encodes them; the ASCII bytes of that 32-character string (not
/// the 16 raw bytes) are the scrypt salt. The password is NFKC-normalised, then
/// `scrypt(N = 16384, r = 16, p = 1, dkLen = 64)`. Returns `"<salt hex>:<key hex>"`, 161
/// characters. Takes about 0.1 s of one core: call it through
/// [`PasswordHasher`](super::PasswordHasher) from async code.
#[must_use]
pub fn hash(password: &str) -> String {
    hash_with(&mut Blocks::new(), password)
}

/// [`hash`] in `blocks`, a buffer kept from an earlier hash.
#[must_use]
pub fn hash_with(blocks: &mut Blocks, password: &str) -> String {
    let mut salt = [0u8; SALT_BYTES];
    id::fill_random(&mut salt);
    let salt = hex(&salt);
    let key = derive_key(blocks, password, &salt);
    format!("{salt}:{}", hex(&key))
}

/// Checks a password against a stored hash as better-auth's `verifyPassword`, but compares in
/// constant time (better-auth compares the hex strings with `===`).
///
/// Like better-auth, the stored value is split at `:` into salt and key (anything after a second
/// `:` is ignored), the salt string's UTF-8 bytes are the scrypt salt and the result is compared
/// with the key as lower-case hex.
///
/// # Errors
/// [`PasswordError::MalformedHash`] where better-auth throws `Invalid password hash` (no `:`,
/// empty salt or key) and, unlike better-auth (which answers "wrong password" forever), when
/// the key is not 128 lower-case hex digits, since no password can ever match it.
pub fn verify(stored: &str, password: &str) -> Result<bool, PasswordError> {
    verify_with(&mut Blocks::new(), stored, password)
}

/// [`verify`] in `blocks`, a buffer kept from an earlier hash.
///
/// # Errors
/// As [`verify`].
pub fn verify_with(
    blocks: &mut Blocks,
    stored: &str,
    password: &str,
) -> Result<bool, PasswordError> {
    let mut parts = stored.split(':');
    let salt = parts.next().unwrap_or_default();
    let key = parts.next().unwrap_or_default();
    if salt.is_empty() || key.is_empty() {
        return Err(PasswordError::MalformedHash {
            reason: "no `<salt>:<key>`",
        });
    }
    if key.len() != 2 * KEY_LEN || !key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(PasswordError::MalformedHash {
            reason: "the key is not 128 lower-case hex digits",
        });
    }
    let derived = hex(&derive_key(blocks, password, salt));
    Ok(derived.as_bytes().ct_eq(key.as_bytes()).into())
}

/// Checks a password's length as better-auth's email-and-password endpoints do: counted in
/// UTF-16 code units (JavaScript's `string.length`) before normalisation, `min..=max` inclusive.
/// better-auth checks both bounds on sign-up, change-password (new password), reset-password and
/// set-password, and only the maximum on sign-in, verify-password and delete-user (pass `0` as
/// `min` there).
///
/// # Errors
/// [`PasswordLengthError::TooShort`] below `min`, [`PasswordLengthError::TooLong`] above `max`.
pub fn check_length(password: &str, min: usize, max: usize) -> Result<(), PasswordLengthError> {
    let len = js::utf16_len(password);
    if len < min {
        Err(PasswordLengthError::TooShort)
    } else if len > max {
        Err(PasswordLengthError::TooLong)
    } else {
        Ok(())
    }
}

/// `scrypt(NFKC(password), salt bytes, N = 16384, r = 16, p = 1, dkLen = 64)`.
fn derive_key(blocks: &mut Blocks, password: &str, salt: &str) -> [u8; KEY_LEN] {
    let password: String = password.nfkc().collect();
    auth_scrypt::derive_key(blocks, password.as_bytes(), salt.as_bytes())
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `research/better-auth-wire.md` §5: salt and password of a hash stored by better-auth
    /// 1.7.25; the key was recomputed here with Python's `hashlib.scrypt` and Node's
    /// `crypto.scrypt` (the stored row itself is not in the transcripts).
    const SALT: &str = "5362c23354e27c4c8712081717006955";
    const KEY: &str = "e025d9ded41db268645ac18adca060dd623a6ff7f2cbde2dc98478c5fd5634bb\
                       9b0f74425a065f67ca75086e9fde2c4f9d53bf21c910a91b003748d0ac16fa79";

    #[test]
    fn reproduces_the_recorded_hash() {
        assert_eq!(
            hex(&derive_key(&mut Blocks::new(), "password1234", SALT)),
            KEY
        );
        let stored = format!("{SALT}:{KEY}");
        assert_eq!(verify(&stored, "password1234"), Ok(true));
        assert_eq!(verify(&stored, "password1235"), Ok(false));
        // better-auth ignores anything after a second `:`.
        assert_eq!(verify(&format!("{stored}:extra"), "password1234"), Ok(true));
    }

    #[test]
    fn hash_has_better_auths_format_and_verifies() {
        let stored = hash("correct horse");
        assert_eq!(stored.len(), 32 + 1 + 128);
        let (salt, key) = stored.split_once(':').unwrap_or_default();
        assert_eq!(salt.len(), 32);
        assert!(
            salt.bytes()
                .chain(key.bytes())
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(verify(&stored, "correct horse"), Ok(true));
        assert_eq!(verify(&stored, "correct horse "), Ok(false));
        assert_ne!(hash("correct horse"), stored, "fresh salt each time");
    }

    #[test]
    fn normalises_with_nfkc() {
        // U+FB01 (ﬁ ligature) is NFKC-equal to "fi"; U+00C5 and "A" + U+030A are NFC-equal.
        let stored = format!(
            "{SALT}:{}",
            hex(&derive_key(&mut Blocks::new(), "ﬁsh-Å-password", SALT))
        );
        assert_eq!(verify(&stored, "fish-A\u{30A}-password"), Ok(true));
    }

    /// Passwords whose NFKC form differs from the input in different ways.
    const NODE_PASSWORDS: [&str; 7] = [
        "password1234",
        "Pässwörd-ñ-ü",
        "ﬁsh ＡＢＣ ① ㍿",
        "e\u{301}\u{212B}\u{2126}",
        "😀 emoji 漢字",
        "   spaces   ",
        "",
    ];

    /// Node's own `crypto.scrypt` with better-auth's parameters and its `normalize("NFKC")`:
    /// `(password, salt) -> key hex` for every pair, or a panic if Node is unavailable.
    fn node_scrypt(pairs: &[(String, String)]) -> Vec<String> {
        let script = r#"
            const crypto = require("node:crypto");
            const pairs = JSON.parse(process.argv[1]);
            const keys = pairs.map(([pw, salt]) => crypto.scryptSync(pw.normalize("NFKC"), salt, 64,
                { N: 16384, r: 16, p: 1, maxmem: 128 * 16384 * 16 * 2 }).toString("hex"));
            process.stdout.write(keys.join("\n"));
        "#;
        let json = format!(
            "[{}]",
            pairs
                .iter()
                .map(|(pw, salt)| format!("[{},{}]", json_string(pw), json_string(salt)))
                .collect::<Vec<_>>()
                .join(",")
        );
        let output = std::process::Command::new("node")
            .args(["-e", script, &json])
            .output()
            .unwrap_or_else(|e| panic!("Node 20 is needed for this test: {e}"));
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// A JSON string literal with every UTF-16 unit escaped (`\uXXXX`).
    fn json_string(s: &str) -> String {
        let mut out = String::from("\"");
        for unit in s.encode_utf16() {
            let _ = write!(out, "\\u{unit:04x}");
        }
        out.push('"');
        out
    }

    #[test]
    fn matches_nodes_crypto_scrypt() {
        let mut pairs = vec![("password1234".to_owned(), SALT.to_owned())];
        pairs.extend(NODE_PASSWORDS.iter().enumerate().map(|(i, pw)| {
            let salt = hex(&[u8::try_from(i).unwrap_or_default(); SALT_BYTES]);
            ((*pw).to_owned(), salt)
        }));
        let node = node_scrypt(&pairs);
        assert_eq!(node.len(), pairs.len());
        assert_eq!(node[0], KEY, "Node reproduces the recorded key");
        for ((pw, salt), node_key) in pairs.iter().zip(&node) {
            assert_eq!(
                &hex(&derive_key(&mut Blocks::new(), pw, salt)),
                node_key,
                "{pw:?}"
            );
            assert_eq!(
                verify(&format!("{salt}:{node_key}"), pw),
                Ok(true),
                "{pw:?}"
            );
        }
        // And a hash made here verifies in Node.
        let stored = hash("ﬁsh ＡＢＣ ①");
        let (salt, key) = stored.split_once(':').unwrap_or_default();
        let node = node_scrypt(&[("fish ABC 1".to_owned(), salt.to_owned())]);
        assert_eq!(node, [key.to_owned()]);
    }

    /// RustCrypto's `scrypt` (the hasher before scrypt-opt) with better-auth's parameters.
    fn rustcrypto_key(password: &str, salt: &str) -> String {
        let password: String = password.nfkc().collect();
        let params = scrypt::Params::new(14, 16, 1).unwrap_or_else(|e| panic!("{e}"));
        let mut key = [0u8; KEY_LEN];
        scrypt::scrypt(password.as_bytes(), salt.as_bytes(), &params, &mut key)
            .unwrap_or_else(|e| panic!("{e}"));
        hex(&key)
    }

    #[test]
    fn passwords_longer_than_an_hmac_block_derive_rustcryptos_key() {
        // 63..=65 bytes around the block, and better-auth's longest password (128 UTF-16 units,
        // here 3 UTF-8 bytes each).
        for password in [
            "a".repeat(63),
            "b".repeat(64),
            "c".repeat(65),
            "€".repeat(128),
        ] {
            assert_eq!(
                hex(&derive_key(&mut Blocks::new(), &password, SALT)),
                rustcrypto_key(&password, SALT),
                "{} bytes",
                password.len()
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(6))]

        /// The kernel derives the key RustCrypto's scrypt derives, byte for byte, for any
        /// password and salt (long ones span several SHA-256 blocks in PBKDF2).
        #[test]
        fn derives_rustcryptos_key(password in "\\PC{0,80}", salt in "[0-9a-f]{0,200}") {
            // In a buffer an earlier hash used, as the hasher hands them on.
            let mut blocks = Blocks::new();
            let _earlier = derive_key(&mut blocks, "an earlier password", "an earlier salt");
            proptest::prop_assert_eq!(
                hex(&derive_key(&mut blocks, &password, &salt)),
                rustcrypto_key(&password, &salt)
            );
        }
    }

    #[test]
    fn malformed_hashes_are_errors() {
        for stored in [
            "",
            ":",
            "abc",
            "abc:",
            ":abc",
            "$2b$10$abcdefghijklmnopqrstuv",
        ] {
            assert!(
                matches!(
                    verify(stored, "password1234"),
                    Err(PasswordError::MalformedHash { .. })
                ),
                "{stored}"
            );
        }
        let upper = format!("{SALT}:{}", KEY.to_uppercase());
        assert!(verify(&upper, "password1234").is_err());
        let short = format!("{SALT}:{}", &KEY[..126]);
        assert!(verify(&short, "password1234").is_err());
    }

    #[test]
    fn length_is_counted_in_utf16_units() {
        let check = |p: &str| check_length(p, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH);
        assert_eq!(check("1234567"), Err(PasswordLengthError::TooShort));
        assert_eq!(check("12345678"), Ok(()));
        // Four emoji are 8 UTF-16 units (16 UTF-8 bytes, 4 chars).
        assert_eq!(check("😀😀😀😀"), Ok(()));
        assert_eq!(check("😀😀😀"), Err(PasswordLengthError::TooShort));
        assert_eq!(check(&"a".repeat(128)), Ok(()));
        assert_eq!(check(&"a".repeat(129)), Err(PasswordLengthError::TooLong));
        assert_eq!(check(&"😀".repeat(65)), Err(PasswordLengthError::TooLong));
        assert_eq!(check_length("", 0, MAX_PASSWORD_LENGTH), Ok(()));
    }
}
