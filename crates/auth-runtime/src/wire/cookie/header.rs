//! The `Cookie` request header, read as better-call 1.4.5's `parseCookies`.

use std::collections::BTreeMap;

use super::super::{Secret, js};
use super::verify_signed;

/// The cookies of one request, by name. Built by [`RequestCookies::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestCookies(BTreeMap<String, String>);

impl RequestCookies {
    /// Parses a `Cookie` header exactly as better-call's `parseCookies`: pairs separated by `;`,
    /// name and value trimmed (JavaScript's `trim`), a value starting with `"` loses its first and
    /// last character, a value containing `%` is `decodeURIComponent`-ed (kept as is if that
    /// fails), a fragment without `=` is skipped, and for a name sent twice **the first wins**.
    ///
    /// Several `Cookie` headers (HTTP/2) are read as one joined with `"; "`, as Node does.
    /// Never fails: garbage yields fewer (or stranger) cookies, never an error.
    #[must_use]
    pub fn parse(header: &str) -> Self {
        let mut cookies = BTreeMap::new();
        let mut index = 0;
        while index < header.len() {
            let Some(eq) = header[index..].find('=').map(|i| index + i) else {
                break;
            };
            let end = match header[index..].find(';').map(|i| index + i) {
                None => header.len(),
                Some(end) if end < eq => {
                    // A fragment without `=`: resume after the last `;` before this `=`.
                    index = header[..eq].rfind(';').map_or(eq, |i| i + 1);
                    continue;
                }
                Some(end) => end,
            };
            let name = js::trim(&header[index..eq]);
            if !cookies.contains_key(name) {
                cookies.insert(name.to_owned(), decode_value(&header[eq + 1..end]));
            }
            index = end + 1;
        }
        Self(cookies)
    }

    /// The cookie's value, or `None` when absent or empty (better-call's `getCookie`, whose
    /// `|| null` turns `""` into no cookie).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The verified value of a signed cookie (better-call's `getSignedCookie`), `None` when
    /// absent, empty, malformed or signed with another secret; see
    /// [`verify_signed`](super::verify_signed).
    #[must_use]
    pub fn get_signed(&self, name: &str, secret: &Secret) -> Option<String> {
        verify_signed(self.get(name)?, secret)
    }

    /// Sets `name` to `value` (as read, already decoded), replacing what the request sent: as
    /// better-auth's `setRequestCookie` rewrites a request's `Cookie` header (bearer).
    pub fn set(&mut self, name: &str, value: String) {
        self.0.insert(name.to_owned(), value);
    }

    /// All cookies, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// One raw cookie value as better-call reads it: JavaScript-trimmed, unquoted (a leading `"`
/// removes the first and last character), then `decodeURIComponent`-ed if it contains `%` (left
/// as is when that throws).
#[must_use]
pub fn decode_value(raw: &str) -> String {
    let mut value = js::trim(raw);
    if let Some(rest) = value.strip_prefix('"') {
        let mut chars = rest.chars();
        chars.next_back();
        value = chars.as_str();
    }
    if value.contains('%') {
        js::decode_uri_component(value).unwrap_or_else(|| value.to_owned())
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::secret;
    use super::super::{sign, signature};
    use super::*;
    use proptest::prelude::*;

    const TOKEN: &str = "sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV";
    const WIRE: &str =
        "sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV.000TLtiQr%2FcXwvRH5VYJt66qWhoUmhX8yZsn0dKnANI%3D";
    const NAME: &str = "better-auth.session_token";

    #[test]
    fn reads_a_signed_session_cookie_in_every_spelling() {
        let secret = secret();
        let raw = "sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV.000TLtiQr/cXwvRH5VYJt66qWhoUmhX8yZsn0dKnANI=";
        for header in [
            format!("{NAME}={WIRE}"),
            format!("{NAME}={raw}"),
            format!("{NAME}=\"{WIRE}\""),
            format!("  other=1;{NAME} =  {WIRE} ; last=2"),
            format!(
                "{NAME}={}",
                WIRE.replace("%2F", "%2f").replace("%3D", "%3d")
            ),
        ] {
            let header =
                if header.contains('=') && !header.starts_with(NAME) && !header.contains(NAME) {
                    format!("{NAME}={header}")
                } else {
                    header
                };
            let cookies = RequestCookies::parse(&header);
            assert_eq!(
                cookies.get_signed(NAME, &secret).as_deref(),
                Some(TOKEN),
                "{header}"
            );
        }
    }

    #[test]
    fn first_duplicate_wins() {
        let secret = secret();
        let cookies = RequestCookies::parse(&format!(
            "{NAME}={WIRE}; {NAME}=forged.{}",
            signature("x", &secret)
        ));
        assert_eq!(cookies.get_signed(NAME, &secret).as_deref(), Some(TOKEN));
        let cookies = RequestCookies::parse(&format!("{NAME}=garbage; {NAME}={WIRE}"));
        assert_eq!(cookies.get_signed(NAME, &secret), None);
    }

    #[test]
    fn parses_like_better_call() {
        let cookies =
            RequestCookies::parse("a=1; b; c=3;d==4; e=\"q\"; f=%E2%82%AC; g=%zz; h=; i=\"");
        let got: Vec<(&str, &str)> = cookies.iter().collect();
        assert_eq!(
            got,
            [
                ("a", "1"),
                ("c", "3"),
                ("d", "=4"),
                ("e", "q"),
                ("f", "€"),
                ("g", "%zz"),
                ("h", ""),
                ("i", "")
            ]
        );
        assert_eq!(cookies.get("h"), None);
        assert_eq!(cookies.get("b"), None);
        // `b` has no `=`: better-call resumes after the `;` before the next `=`.
        let cookies = RequestCookies::parse("x; y; z=1");
        assert_eq!(cookies.get("z"), Some("1"));
        assert_eq!(RequestCookies::parse(""), RequestCookies::default());
        assert_eq!(
            RequestCookies::parse("no-equals-at-all"),
            RequestCookies::default()
        );
    }

    proptest! {
        #[test]
        fn any_header_parses_without_panicking(header in "\\PC*") {
            let cookies = RequestCookies::parse(&header);
            let _ = cookies.get_signed(NAME, &secret());
        }

        #[test]
        fn cookie_like_garbage_never_verifies(
            value in "[ -~]{0,80}",
            name in prop::sample::select(vec![NAME, "better-auth.dont_remember", "x"]),
        ) {
            let header = format!("{name}={value}; {NAME}={value}");
            prop_assert_eq!(RequestCookies::parse(&header).get_signed(NAME, &secret()), None);
        }

        #[test]
        fn signed_values_round_trip(value in "\\PC{1,64}") {
            let secret = secret();
            let header = format!("a=b; {NAME}={}; c=d", sign(&value, &secret));
            let got = RequestCookies::parse(&header).get_signed(NAME, &secret);
            // better-call trims the decoded value's raw form, not the value: leading or trailing
            // white space survives because it is percent-encoded.
            prop_assert_eq!(got, Some(value));
        }

        #[test]
        fn truncated_or_tampered_values_never_verify(cut in 0usize..WIRE.len(), at in 0usize..76, byte in b'0'..=b'z') {
            let secret = secret();
            let truncated = &WIRE[..cut];
            prop_assert_eq!(RequestCookies::parse(&format!("{NAME}={truncated}")).get_signed(NAME, &secret), None);
            // Change one character of the decoded `token.signature`, except the signature's
            // 43rd character whose low 2 bits `atob` ignores.
            let decoded = decode_value(WIRE);
            let mut bytes = decoded.into_bytes();
            let at = if at == 32 + 1 + 42 { 0 } else { at };
            prop_assume!(bytes[at] != byte && byte != b';' && byte != b'%' && byte != b'"');
            bytes[at] = byte;
            let tampered = String::from_utf8(bytes).unwrap_or_default();
            prop_assert_eq!(RequestCookies::parse(&format!("{NAME}={tampered}")).get_signed(NAME, &secret), None);
        }
    }
}
