//! The few JavaScript built-ins whose exact behaviour better-auth's wire format depends on.

/// `encodeURIComponent`: every UTF-8 byte except `A-Z a-z 0-9 - _ . ! ~ * ' ( )` becomes `%XX`
/// (upper-case hex).
pub(crate) fn encode_uri_component(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// `decodeURIComponent`: `None` where JavaScript throws `URIError` (a `%` not followed by two hex
/// digits, or escapes that are not valid UTF-8).
pub(crate) fn decode_uri_component(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = hex_value(*bytes.get(i + 1)?)?;
            let lo = hex_value(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `String.prototype.trim`: JavaScript's white space and line terminators, which differ from
/// Rust's `char::is_whitespace` (JavaScript trims U+FEFF, Rust trims U+0085).
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(is_js_whitespace)
}

fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// `string.length`: the number of UTF-16 code units.
pub(crate) fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_matches_javascript() {
        assert_eq!(
            encode_uri_component(
                "sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV.000TLtiQr/cXwvRH5VYJt66qWhoUmhX8yZsn0dKnANI="
            ),
            "sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV.000TLtiQr%2FcXwvRH5VYJt66qWhoUmhX8yZsn0dKnANI%3D"
        );
        assert_eq!(
            encode_uri_component("a+b c;é€"),
            "a%2Bb%20c%3B%C3%A9%E2%82%AC"
        );
        assert_eq!(encode_uri_component("-_.!~*'()"), "-_.!~*'()");
    }

    #[test]
    fn decode_matches_javascript() {
        assert_eq!(
            decode_uri_component("a%2Bb%20c%3B%C3%A9").as_deref(),
            Some("a+b c;é")
        );
        assert_eq!(decode_uri_component("%2b%2f").as_deref(), Some("+/"));
        for throws in ["%", "%2", "%zz", "%C3", "%C3%28", "%FF", "%ED%A0%80"] {
            assert_eq!(decode_uri_component(throws), None, "{throws}");
        }
    }

    #[test]
    fn trim_and_length_match_javascript() {
        assert_eq!(trim("\u{FEFF} a b\t\u{3000}"), "a b");
        assert_eq!(trim("\u{85}a"), "\u{85}a");
        assert_eq!(utf16_len("a€😀"), 4);
    }
}
