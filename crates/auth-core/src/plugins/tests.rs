use super::*;

#[test]
fn declarations_are_in_canonical_order_with_unique_endpoint_ids() {
    let plugins: Vec<Plugin> = DECLARED.iter().map(|d| d.plugin).collect();
    let mut sorted = plugins.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(plugins, sorted);
    let mut text = String::new();
    for d in DECLARED {
        text.push_str(&format!("[plugins.{}]\n", d.plugin));
    }
    let config = Config::parse(
        "auth.toml",
        format!("[email-and-password]\nenabled = true\n{text}"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let all = crate::endpoints::endpoints(&config);
    for d in DECLARED {
        for endpoint in (d.endpoints)(&config) {
            assert_eq!(endpoint.plugin, Some(d.plugin), "{}", endpoint.id);
            assert!(
                endpoint.path.starts_with('/'),
                "{} {}",
                endpoint.id,
                endpoint.path
            );
            let same: Vec<_> = all.iter().filter(|e| e.id == endpoint.id).collect();
            assert!(
                same.iter().all(|e| e.path == endpoint.path),
                "{} names one path",
                endpoint.id
            );
        }
        for code in d.errors {
            assert!(
                code.code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{}",
                code.code
            );
        }
    }
}

/// A TOTP of more than 8 digits cannot be computed: refused at load, at its line.
#[test]
fn totp_digits_are_checked_at_load() {
    let error = Config::parse("auth.toml", "[plugins.two-factor.totp]\ndigits = 12\n")
        .err()
        .unwrap_or_else(|| panic!("12 digits accepted"));
    let text = error.to_string();
    assert!(text.starts_with("auth.toml:2:"), "{text}");
    assert!(text.contains("digits must be between 1 and 8"), "{text}");
}
