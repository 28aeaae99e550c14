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

/// `JSON.stringify` of a parsed value: no spaces, keys in their order, strings escaped as
/// JavaScript does (serde_json's escapes are the same for valid UTF-8), numbers as JavaScript
/// prints them (`1` for `1.0`, `1e+21`, `1e-7`).
pub(crate) fn stringify(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

fn write_json(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value as J;
    match value {
        J::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        J::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&J::String(key.clone()).to_string());
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
        J::Number(n) if n.is_f64() => out.push_str(&number(n.as_f64().unwrap_or_default())),
        other => out.push_str(&other.to_string()),
    }
}

/// `Number.prototype.toString` for a finite number (JSON holds no others).
fn number(n: f64) -> String {
    let magnitude = n.abs();
    if n == 0.0 {
        "0".to_owned()
    } else if (1e-6..1e21).contains(&magnitude) {
        // Rust's shortest round-trip form is JavaScript's in this range ("1" for 1.0).
        format!("{n}")
    } else {
        let text = format!("{n:e}");
        match text.split_once('e') {
            Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                format!("{mantissa}e+{exponent}")
            }
            _ => text,
        }
    }
}

/// `safeJSONParse`'s reviver (better-auth core): every string shaped like
/// `2026-11-28T08:16:29.226Z` (any number of fractional digits, or none) that is a valid date
/// becomes a `Date`, which `JSON.stringify` writes back with exactly three fractional digits.
pub(crate) fn revive_dates(value: &mut serde_json::Value) {
    use serde_json::Value as J;
    match value {
        J::String(text) => {
            if is_iso_instant(text)
                && let Ok(at) = super::time::parse(text)
                && text.len() != CANONICAL_LEN
            {
                *text = super::time::format(at);
            }
        }
        J::Array(items) => items.iter_mut().for_each(revive_dates),
        J::Object(map) => map.values_mut().for_each(revive_dates),
        _ => {}
    }
}

/// `2026-11-28T08:16:29.226Z`: a valid date written this way is already what `JSON.stringify`
/// writes for it (the common case, and the one worth not re-formatting on every request).
const CANONICAL_LEN: usize = 24;

/// `/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/`
fn is_iso_instant(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let head = digits(0..4)
        && at(4, b'-')
        && digits(5..7)
        && at(7, b'-')
        && digits(8..10)
        && at(10, b'T')
        && digits(11..13)
        && at(13, b':')
        && digits(14..16)
        && at(16, b':')
        && digits(17..19);
    match b.get(19..) {
        Some([b'Z']) => head,
        Some([b'.', fraction @ .., b'Z']) => {
            head && !fraction.is_empty() && fraction.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stringify_matches_javascript() {
        // Expected texts from Node 22: JSON.stringify(JSON.parse(input)).
        let cases = [
            (
                r#"{"b":1.0,"a":[1.5,-0.0,1e21,1e-7,100000000000000000000,0.000001]}"#,
                r#"{"b":1,"a":[1.5,0,1e+21,1e-7,100000000000000000000,0.000001]}"#,
            ),
            (
                "{\"s\":\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/é\\u2028\"}",
                "{\"s\":\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/é\u{2028}\"}",
            ),
            (
                r#"{"n":null,"t":true,"i":-42}"#,
                r#"{"n":null,"t":true,"i":-42}"#,
            ),
        ];
        for (input, expected) in cases {
            let value: serde_json::Value =
                serde_json::from_str(input).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(stringify(&value), expected, "{input}");
        }
    }

    #[test]
    fn revives_dates_as_javascript() {
        // Node: JSON.stringify(JSON.parse(input, reviveDate)) with better-auth's reviver.
        let input = r#"["2026-11-28T08:16:29Z","2026-11-28T08:16:29.1234567Z","2026-11-28T08:16:29.226Z","2026-13-28T08:16:29.226Z","2026-11-28T08:16:29.226+00:00","x2026-11-28T08:16:29Z"]"#;
        let mut value: serde_json::Value =
            serde_json::from_str(input).unwrap_or_else(|e| panic!("{e}"));
        revive_dates(&mut value);
        assert_eq!(
            stringify(&value),
            r#"["2026-11-28T08:16:29.000Z","2026-11-28T08:16:29.123Z","2026-11-28T08:16:29.226Z","2026-13-28T08:16:29.226Z","2026-11-28T08:16:29.226+00:00","x2026-11-28T08:16:29Z"]"#
        );
    }

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
