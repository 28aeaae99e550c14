//! better-auth's `generateId`: the default id of every row (user, session, account,
//! verification) and the session token.

use rand::Rng;
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;

/// Length of better-auth's default ids and session tokens.
pub const ID_LENGTH: usize = 32;

/// better-auth's alphabet for `generateId`, in its order (`a-z`, `A-Z`, `0-9`).
const ALPHABET: &[u8; 62] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A fresh id as better-auth's `generateId(32)` makes it: 32 characters over `[a-zA-Z0-9]`.
///
/// Like better-auth (`createRandomStringGenerator` in `@better-auth/utils`), it draws bytes from
/// the operating system's CSPRNG, discards bytes ≥ 248 and maps the rest with `byte % 62`, so
/// every character is uniform (no modulo bias). Panics only if the operating system cannot
/// provide random bytes at all, as `rand::rng()` does; there is no safe id to return then.
#[must_use]
pub fn generate() -> String {
    generate_with_len(ID_LENGTH)
}

/// An id of `len` characters over `[a-zA-Z0-9]`, drawn like [`generate`] (better-auth's
/// `generateId(len)`).
#[must_use]
pub fn generate_with_len(len: usize) -> String {
    generate_from(ALPHABET, len)
}

/// `len` characters over `[0-9a-z]` (better-auth's `generateRandomString(len, "0-9", "a-z")`,
/// the delete-account token).
#[must_use]
pub fn generate_lowercase(len: usize) -> String {
    generate_from(b"0123456789abcdefghijklmnopqrstuvwxyz", len)
}

/// `len` characters over `[a-zA-Z0-9_-]` (better-auth's `generateRandomString(len)`: the TOTP
/// secret, two-factor challenges, trusted devices, one-time tokens).
#[must_use]
pub fn generate_url_safe(len: usize) -> String {
    generate_from(
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
        len,
    )
}

/// `len` letters over `[a-zA-Z]` (better-auth's `generateRandomString(len, "a-z", "A-Z")`: the
/// magic-link token).
#[must_use]
pub fn generate_letters(len: usize) -> String {
    generate_from(&ALPHABET[..52], len)
}

/// `len` decimal digits (better-auth's `generateRandomString(len, "0-9")`: mailed codes).
#[must_use]
pub fn generate_digits(len: usize) -> String {
    generate_from(b"0123456789", len)
}

/// Uniform characters of `alphabet` (at most 256 symbols), rejection-sampled.
pub(crate) fn generate_from(alphabet: &[u8], len: usize) -> String {
    let size = alphabet.len().clamp(1, 256);
    // The largest multiple of the alphabet's size that fits a byte: bytes at or above it are
    // discarded so that `byte % size` is uniform.
    let limit = 256 - 256 % size;
    let mut rng = UnwrapErr(SysRng);
    let mut out = String::with_capacity(len);
    // 248/256 of the bytes are kept, so one buffer of len + len/8 + 8 bytes almost always suffices.
    let mut buf = vec![0u8; len + len / 8 + 8];
    while out.len() < len {
        rng.fill_bytes(&mut buf);
        for &byte in &buf {
            if out.len() == len {
                break;
            }
            let byte = usize::from(byte);
            if byte < limit {
                out.push(char::from(alphabet[byte % size]));
            }
        }
    }
    out
}

/// Fills `buf` from the operating system's CSPRNG (the source of [`generate`] and of salts).
pub(crate) fn fill_random(buf: &mut [u8]) {
    UnwrapErr(SysRng).fill_bytes(buf);
}

/// A version 4 UUID in its text form (ids under `id = "uuid"`, as `crypto.randomUUID()`).
pub(crate) fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    fill_random(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn uuids_are_version_4() {
        let uuid = uuid_v4();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
        assert_ne!(uuid, uuid_v4());
    }

    #[test]
    fn ids_have_better_auths_shape() {
        // Ids and tokens from captures/transcript.txt, as better-auth generated them.
        for seen in [
            "CQpnGsQv1ARVgYVrC79ZQEW1jSOpQ1CR",
            "eQhQI1FrPGTGXj6gOOdvJPxaXqxwGRZ7",
        ] {
            assert_eq!(seen.len(), ID_LENGTH);
            assert!(seen.bytes().all(|b| ALPHABET.contains(&b)));
        }
        for _ in 0..100 {
            let id = generate();
            assert_eq!(id.len(), ID_LENGTH);
            assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        }
        assert_eq!(generate_with_len(0), "");
        assert_eq!(generate_with_len(1000).len(), 1000);
    }

    #[test]
    fn ids_do_not_repeat() {
        let ids: HashSet<String> = (0..10_000).map(|_| generate()).collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn every_symbol_is_about_equally_likely() {
        // 62 symbols over 620,000 draws: 10,000 expected each, σ ≈ 99. With modulo bias over
        // 256 (bytes 248..=255 folded onto 0..=7) the first 8 symbols would get ~10,300.
        let mut counts = [0u32; 62];
        for _ in 0..(620_000 / ID_LENGTH) {
            for b in generate().bytes() {
                if let Some(i) = ALPHABET.iter().position(|&a| a == b) {
                    counts[i] += 1;
                }
            }
        }
        let total: u32 = counts.iter().sum();
        let expected = f64::from(total) / 62.0;
        for (i, &c) in counts.iter().enumerate() {
            let deviation = (f64::from(c) - expected).abs();
            assert!(
                deviation < 6.0 * expected.sqrt(),
                "symbol {i}: {c} vs {expected}"
            );
        }
        let first_eight: u32 = counts[..8].iter().sum();
        assert!(f64::from(first_eight) < 8.0 * expected * 1.02, "{counts:?}");
    }
}
