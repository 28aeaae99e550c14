//! bearer at run time, as better-auth 1.7.25's `bearer` plugin: before every endpoint,
//! `Authorization: Bearer <value>` becomes the request's session cookie; after it, an answer that
//! sets the session cookie also carries its value in `set-auth-token`.

use auth_core::endpoints::Endpoint;
use auth_core::schema::Plugin;
use futures_util::future::BoxFuture;
use subtle::ConstantTimeEq;

use super::{Runtime, expose_header};
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::wire::Secret;
use crate::wire::cookie::{decode_uri_component, signature};

const SET_AUTH_TOKEN: &str = "set-auth-token";

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::Bearer,
    handlers: &[],
    sign_in_guard: None,
    on_request: Some(authorization_to_cookie),
    before: None,
    after: Some(after),
    session_guard: None,
    database_hooks: None,
};

fn authorization_to_cookie<'a>(
    auth: &'a Auth,
    _: &'a Endpoint,
    ctx: &'a mut Ctx,
) -> BoxFuture<'a, Result<(), ApiError>> {
    let require_signature = auth.inner.config.plugins.bearer_options().require_signature;
    let value = ctx
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|header| session_cookie_value(header, &auth.inner.secret, require_signature));
    if let Some(value) = value {
        ctx.cookies.set(&auth.inner.session_cookie, value);
    }
    Box::pin(std::future::ready(Ok(())))
}

fn after<'a>(
    auth: &'a Auth,
    _: &'a Endpoint,
    ctx: &'a mut Ctx,
    _: &'a mut Reply,
) -> BoxFuture<'a, Result<(), ApiError>> {
    // The last `Set-Cookie` of the session cookie is the one the browser keeps.
    let token = ctx
        .set_cookies
        .iter()
        .rev()
        .find(|c| c.name == auth.inner.session_cookie)
        .filter(|c| !c.value.is_empty() && c.attributes.max_age != Some(0))
        .map(|c| decode_uri_component(&c.value).unwrap_or_else(|| c.value.clone()));
    if let Some(token) = token {
        expose_header(ctx, SET_AUTH_TOKEN, &token);
    }
    Box::pin(std::future::ready(Ok(())))
}

/// The session cookie value an `Authorization` header stands for, as better-auth's bearer
/// reads it: scheme `bearer ` in any case; a value with a `.` is the signed form
/// (percent-decoded when it contains `%`); a bare token is signed here, unless
/// `require_signature`. `None` (the header is ignored) when the signature does not verify.
fn session_cookie_value(header: &str, secret: &Secret, require_signature: bool) -> Option<String> {
    let scheme = header.get(..7)?;
    if !scheme.eq_ignore_ascii_case("bearer ") {
        return None;
    }
    let token = header[7..].trim();
    if token.is_empty() {
        return None;
    }
    let signed = if token.contains('.') {
        if token.contains('%') {
            decode_uri_component(token).unwrap_or_else(|| token.to_owned())
        } else {
            token.to_owned()
        }
    } else if require_signature {
        return None;
    } else {
        format!("{token}.{}", signature(token, secret))
    };
    verifies(&signed, secret).then_some(signed)
}

/// better-auth's check of a bearer value: the part before the first `.` signed by the part
/// after it (up to a second `.`), whose base64 (either alphabet, padding optional) must decode to
/// the HMAC. Looser than a signed cookie's check; the session lookup applies that one after.
fn verifies(signed: &str, secret: &Secret) -> bool {
    let mut parts = signed.split('.');
    let (Some(value), Some(given)) = (parts.next(), parts.next()) else {
        return false;
    };
    let (Some(given), Some(expected)) = (
        forgiving_base64(given),
        forgiving_base64(&signature(value, secret)),
    ) else {
        return false;
    };
    given.len() == expected.len() && bool::from(given.ct_eq(&expected))
}

/// `@better-auth/utils`' `base64.decode`: the URL-safe alphabet when the text has `-` or `_`,
/// else the standard one; stops at the first `=`; `None` on any other character.
fn forgiving_base64(text: &str) -> Option<Vec<u8>> {
    const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let alphabet = if text.contains(['-', '_']) {
        URL_SAFE
    } else {
        STANDARD
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in text.bytes().take_while(|&b| b != b'=') {
        let index = alphabet.iter().position(|&a| a == byte)?;
        buffer = (buffer << 6 | index as u32) & 0xFFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::cookie::sign;

    const TOKEN: &str = "sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV";

    fn secret() -> Secret {
        Secret::new("dev-only-secret-0123456789abcdefghijklmnopqrstuvwxyz")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn signed() -> String {
        format!("{TOKEN}.{}", signature(TOKEN, &secret()))
    }

    #[test]
    fn reads_the_signed_the_encoded_and_the_bare_token() {
        let secret = secret();
        let expected = Some(signed());
        for header in [
            format!("Bearer {}", signed()),
            format!("bearer {}", signed()),
            format!("BEARER   {}  ", signed()),
            format!("Bearer {}", sign(TOKEN, &secret)),
            format!("Bearer {TOKEN}"),
        ] {
            assert_eq!(
                session_cookie_value(&header, &secret, false),
                expected,
                "{header}"
            );
        }
    }

    #[test]
    fn ignores_what_better_auth_ignores() {
        let secret = secret();
        let sig = signature(TOKEN, &secret);
        let tampered = format!(
            "{TOKEN}.{}{}",
            if sig.starts_with('A') { 'B' } else { 'A' },
            &sig[1..]
        );
        let other =
            Secret::new("another-secret-of-at-least-32-bytes!").unwrap_or_else(|e| panic!("{e}"));
        for header in [
            String::new(),
            "Bearer".to_owned(),
            "Bearer ".to_owned(),
            "Bearer    ".to_owned(),
            format!("Basic {TOKEN}"),
            format!("Bearer{TOKEN}"),
            format!("Bearer {tampered}"),
            format!("Bearer {TOKEN}.{}", signature(TOKEN, &other)),
            format!("Bearer {TOKEN}.!!!!"),
            format!("Bearer {TOKEN}."),
        ] {
            assert_eq!(
                session_cookie_value(&header, &secret, false),
                None,
                "{header}"
            );
        }
    }

    #[test]
    fn require_signature_refuses_the_bare_token_only() {
        let secret = secret();
        assert_eq!(
            session_cookie_value(&format!("Bearer {TOKEN}"), &secret, true),
            None
        );
        assert_eq!(
            session_cookie_value(&format!("Bearer {}", signed()), &secret, true),
            Some(signed())
        );
    }

    #[test]
    fn takes_a_signature_in_either_alphabet_with_or_without_padding() {
        let secret = secret();
        let sig = signature(TOKEN, &secret);
        let url_safe = sig.replace('+', "-").replace('/', "_");
        for given in [sig.trim_end_matches('=').to_owned(), url_safe] {
            assert!(verifies(&format!("{TOKEN}.{given}"), &secret), "{given}");
        }
    }
}
