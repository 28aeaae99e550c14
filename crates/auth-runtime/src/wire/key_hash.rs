//! better-auth's `defaultKeyHasher`: how plugins keep one-time secrets hashed in `verification`
//! (two-factor's `storeOTP: "hashed"`, one-time-token's `storeToken: "hashed"`).

use auth_core::plugins::StoreToken;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// SHA-256 of the UTF-8 bytes, base64url without padding.
#[must_use]
pub fn key_hash(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
}

/// A token as a plugin keeps it in `verification` under `how`.
#[must_use]
pub(crate) fn stored_token(how: StoreToken, token: &str) -> String {
    match how {
        StoreToken::Plain => token.to_owned(),
        StoreToken::Hashed => key_hash(token),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_sha256_in_base64url() {
        assert_eq!(
            key_hash("abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }
}
