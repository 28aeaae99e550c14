//! better-call's signed cookie values: `encodeURIComponent(value + "." + base64(HMAC))`.

use base64::Engine as _;
use base64::alphabet::STANDARD;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use hmac::Mac;
use subtle::ConstantTimeEq;

use super::super::{Secret, js};

/// Standard base64 with `=` padding. Decoding ignores non-zero trailing bits as JavaScript's
/// `atob` (forgiving-base64) does, so exactly the signatures better-auth accepts are accepted.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// Length of a signature: 32 HMAC bytes in padded base64.
const SIGNATURE_LEN: usize = 44;

/// better-call's `makeSignature`: `base64(HMAC-SHA256(key = secret's UTF-8 bytes, msg = value))`,
/// standard alphabet with padding (44 characters ending in `=`).
#[must_use]
pub fn signature(value: &str, secret: &Secret) -> String {
    BASE64.encode(hmac(value, secret))
}

/// better-call's `signCookieValue`: the cookie value as sent in `Set-Cookie`,
/// `encodeURIComponent(value + "." + signature)`, so `+ / =` travel as `%2B %2F %3D`.
#[must_use]
pub fn sign(value: &str, secret: &Secret) -> String {
    js::encode_uri_component(&format!("{value}.{}", signature(value, secret)))
}

/// better-call's `getSignedCookie` on a cookie value already read from the `Cookie` header
/// (unquoted and percent-decoded, see [`decode_value`](super::decode_value)): the signed value, or
/// `None` when better-auth would see no cookie.
///
/// The value is split at the **last** `.`; the part before must be non-empty, the signature
/// exactly 44 characters ending in `=` and valid base64 of the HMAC of the part before, compared
/// in constant time.
#[must_use]
pub fn verify_signed(cookie_value: &str, secret: &Secret) -> Option<String> {
    let dot = cookie_value.rfind('.').filter(|&at| at >= 1)?;
    let (value, signature) = (&cookie_value[..dot], &cookie_value[dot + 1..]);
    if signature.len() != SIGNATURE_LEN || !signature.ends_with('=') {
        return None;
    }
    let given = BASE64.decode(signature).ok()?;
    let expected = hmac(value, secret);
    bool::from(expected.as_slice().ct_eq(&given)).then(|| value.to_owned())
}

fn hmac(value: &str, secret: &Secret) -> [u8; 32] {
    let mut mac = secret.mac();
    mac.update(value.as_bytes());
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::super::tests::secret;
    use super::*;

    #[test]
    fn reproduces_the_recorded_signature() {
        // research/better-auth-wire.md §3.2, with the captures' secret.
        let secret = secret();
        assert_eq!(
            signature("sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV", &secret),
            "000TLtiQr/cXwvRH5VYJt66qWhoUmhX8yZsn0dKnANI="
        );
        assert_eq!(
            sign("sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV", &secret),
            "sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV.000TLtiQr%2FcXwvRH5VYJt66qWhoUmhX8yZsn0dKnANI%3D"
        );
        assert_eq!(
            verify_signed(
                "sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV.000TLtiQr/cXwvRH5VYJt66qWhoUmhX8yZsn0dKnANI=",
                &secret
            )
            .as_deref(),
            Some("sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV")
        );
    }

    #[test]
    fn splits_at_the_last_dot() {
        let secret = secret();
        let value = "a.b.c";
        let signed = format!("{value}.{}", signature(value, &secret));
        assert_eq!(verify_signed(&signed, &secret).as_deref(), Some(value));
    }

    #[test]
    fn refuses_what_better_call_refuses() {
        let secret = secret();
        let sig = signature("token", &secret);
        let other =
            Secret::new("another-secret-of-at-least-32-bytes!").unwrap_or_else(|e| panic!("{e}"));
        for bad in [
            String::new(),
            "token".to_owned(),
            format!(".{sig}"),                               // empty value
            format!("token.{}", &sig[..43]),                 // 43 characters
            format!("token.{sig}="),                         // 45 characters
            format!("token.{}", sig.replace('=', "A")),      // does not end in `=`
            format!("token.{}", "!".repeat(43) + "="),       // not base64
            format!("tokeN.{sig}"),                          // another value
            format!("token.{}", signature("token", &other)), // another secret
            format!("token.{}==", &sig[..42]),               // 31 bytes
            sign("token", &secret),                          // still percent-encoded
        ] {
            assert_eq!(verify_signed(&bad, &secret), None, "{bad}");
        }
    }

    #[test]
    fn ignores_trailing_bits_like_atob() {
        // The 43rd character carries 2 bits beyond the 256 of the HMAC; `atob` drops them, so
        // better-auth accepts four spellings of each signature. So does this.
        let secret = secret();
        let sig = signature("sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV", &secret);
        assert!(sig.ends_with("NI="));
        let variant = sig.replace("NI=", "NJ=");
        let cookie = format!("sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV.{variant}");
        assert!(verify_signed(&cookie, &secret).is_some());
        let changed = sig.replace("NI=", "NM=");
        let cookie = format!("sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV.{changed}");
        assert_eq!(verify_signed(&cookie, &secret), None);
    }
}
