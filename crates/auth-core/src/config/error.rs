use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A place in `auth.toml`: 1-based line and column (in characters), and the byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub span: Range<usize>,
}

impl Location {
    /// The location of byte offset `span.start` in `source`.
    pub fn new(path: &Path, source: &str, span: Range<usize>) -> Self {
        let mut start = span.start.min(source.len());
        while !source.is_char_boundary(start) {
            start -= 1;
        }
        let before = &source[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        let end = span.end.clamp(start, source.len());
        Self {
            path: path.to_owned(),
            line,
            column,
            span: start..end,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// Why `auth.toml` cannot be used. Every variant says what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{}: cannot read: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("{}: {}", .0.location, .0.message)]
    Invalid(Box<Invalid>),
    /// Several problems found at once (each plugin the server cannot serve), in file order.
    #[error("{}", several(.0))]
    Several(Vec<Invalid>),
}

fn several(all: &[Invalid]) -> String {
    all.iter()
        .map(|invalid| format!("{}: {}", invalid.location, invalid.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A problem at a place in `auth.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub location: Location,
    pub message: String,
    pub help: String,
    /// The file's text, so a caller can show the offending line.
    pub source_text: String,
}

impl Invalid {
    pub(crate) fn new(
        path: &Path,
        source: &str,
        span: Range<usize>,
        message: String,
        help: String,
    ) -> Self {
        Self {
            location: Location::new(path, source, span),
            message,
            help,
            source_text: source.to_owned(),
        }
    }
}

impl ConfigError {
    pub(crate) fn at(
        path: &Path,
        source: &str,
        span: Range<usize>,
        message: String,
        help: String,
    ) -> Self {
        Self::Invalid(Box::new(Invalid::new(path, source, span, message, help)))
    }

    pub(crate) fn from_toml(path: &Path, source: &str, error: &toml::de::Error) -> Self {
        let span = error.span().unwrap_or(0..0);
        let raw = error.message().trim().to_owned();
        let (message, help) = explain(&raw);
        Self::at(path, source, span, message, help)
    }

    /// Where it went wrong, if the error points into the file.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Self::Read { .. } => None,
            Self::Invalid(invalid) => Some(&invalid.location),
            Self::Several(all) => all.first().map(|invalid| &invalid.location),
        }
    }

    /// Every located problem, in file order (none for a file that could not be read).
    pub fn into_problems(self) -> Vec<Invalid> {
        match self {
            Self::Read { .. } => Vec::new(),
            Self::Invalid(invalid) => vec![*invalid],
            Self::Several(all) => all,
        }
    }

    /// What to do about it.
    pub fn help(&self) -> Option<&str> {
        match self {
            Self::Read { .. } => None,
            Self::Invalid(invalid) => Some(&invalid.help),
            Self::Several(all) => all.first().map(|invalid| invalid.help.as_str()),
        }
    }

    /// The message without the location.
    pub fn message(&self) -> String {
        match self {
            Self::Read { message, .. } => message.clone(),
            Self::Invalid(invalid) => invalid.message.clone(),
            Self::Several(all) => all
                .iter()
                .map(|invalid| invalid.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

/// Plugins better-auth had once and the advice for each.
const RETIRED_PLUGINS: &[(&str, &str)] = &[
    (
        "oidc-provider",
        "better-auth 1.7 removed the in-core OIDC provider; use [plugins.oauth-provider]",
    ),
    (
        "mcp",
        "better-auth 1.7 removed the in-core MCP provider; use [plugins.oauth-provider]",
    ),
    (
        "scim",
        "scim is not supported yet: it needs interactive transactions, which D1 lacks",
    ),
];

/// Rust's type names in serde's wording, as a reader of `auth.toml` says them.
const PLAIN_TYPES: &[(&str, &str)] = &[
    ("expected u8", "expected a whole number from 0 to 255"),
    ("expected u16", "expected a whole number from 0 to 65535"),
    (
        "expected u32",
        "expected a whole number from 0 to 4294967295",
    ),
    ("expected u64", "expected a whole number of 0 or more"),
    ("expected usize", "expected a whole number of 0 or more"),
    ("expected i32", "expected a whole number"),
    ("expected i64", "expected a whole number"),
    ("expected f32", "expected a number"),
    ("expected f64", "expected a number"),
];

/// `invalid type: string "100", expected u32` → `… expected a whole number from 0 to …`.
fn plain_types(raw: &str) -> String {
    PLAIN_TYPES
        .iter()
        .find(|(rust, _)| {
            raw.ends_with(rust)
                || raw.contains(&format!("{rust},"))
                || raw.contains(&format!("{rust} "))
        })
        .map_or_else(
            || raw.to_owned(),
            |(rust, plain)| raw.replacen(rust, plain, 1),
        )
}

/// Turns serde's wording into ours, with a suggestion where one is likely.
fn explain(raw: &str) -> (String, String) {
    let raw = &plain_types(raw);
    let Some((kind, unknown, expected)) = parse_unknown(raw) else {
        let help = if raw.starts_with("invalid type") || raw.starts_with("invalid value") {
            "give the value the type the key expects (see templates/auth.reference.toml)"
        } else if let Some(field) = raw
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            return (raw.to_owned(), format!("add `{field} = …` to this table"));
        } else {
            "fix the TOML syntax at this place"
        };
        return (raw.to_owned(), help.to_owned());
    };
    let is_plugin_table = expected.iter().any(|e| e == "two-factor");
    let what = match (kind, is_plugin_table) {
        (_, true) => "plugin",
        ("variant", _) => "value",
        _ => "key",
    };
    let message = format!("unknown {what} `{unknown}`");
    if is_plugin_table
        && let Some((_, advice)) = RETIRED_PLUGINS.iter().find(|(id, _)| *id == unknown)
    {
        return (message, (*advice).to_owned());
    }
    let list = expected
        .iter()
        .map(|e| format!("`{e}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let help = match closest(&unknown, &expected) {
        Some(candidate) => format!("did you mean `{candidate}`?"),
        None if expected.is_empty() => format!("remove `{unknown}`: this table takes no {what}s"),
        None => format!("expected one of {list}"),
    };
    (message, help)
}

/// `unknown field `x`, expected one of `a`, `b`` → ("field", "x", ["a", "b"]).
fn parse_unknown(raw: &str) -> Option<(&'static str, String, Vec<String>)> {
    let (kind, rest) = if let Some(rest) = raw.strip_prefix("unknown field `") {
        ("field", rest)
    } else {
        ("variant", raw.strip_prefix("unknown variant `")?)
    };
    let (unknown, tail) = rest.split_once('`')?;
    let expected = tail
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some((kind, unknown.to_owned(), expected))
}

/// The candidate nearest to `word`, when it is near enough to be a typo (or the same words in
/// another case style: `twoFactor` for `two-factor`).
pub(crate) fn closest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    let squash = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let word_squashed = squash(word);
    candidates
        .iter()
        .map(|c| (edit_distance(&word_squashed, &squash(c)), c))
        .filter(|(distance, c)| *distance <= (c.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_is_one_based_in_characters() {
        let source = "a = 1\nbé = 2\nc = 3\n";
        let at = Location::new(Path::new("auth.toml"), source, 12..13);
        assert_eq!((at.line, at.column), (2, 6));
        assert_eq!(at.to_string(), "auth.toml:2:6");
    }

    #[test]
    fn location_clamps_out_of_range_spans() {
        let at = Location::new(Path::new("x"), "ab", 10..20);
        assert_eq!((at.line, at.column, at.span), (1, 3, 2..2));
    }

    #[test]
    fn suggests_near_names() {
        let expected = vec!["two-factor".to_owned(), "organization".to_owned()];
        assert_eq!(closest("twoFactor", &expected), Some("two-factor"));
        assert_eq!(closest("organisation", &expected), Some("organization"));
        assert_eq!(closest("stripe", &expected), None);
    }

    #[test]
    fn says_whole_number_for_integer_types() {
        let (message, help) = explain("invalid type: string \"100\", expected u32");
        assert_eq!(
            message,
            "invalid type: string \"100\", expected a whole number from 0 to 4294967295"
        );
        assert!(help.contains("templates/auth.reference.toml"), "{help}");
        let (message, _) = explain("invalid value: integer `-1`, expected u64");
        assert_eq!(
            message,
            "invalid value: integer `-1`, expected a whole number of 0 or more"
        );
        // `u32` inside a word or a quoted value is left alone.
        let (message, _) = explain("invalid type: string \"expected u32x\", expected a boolean");
        assert_eq!(
            message,
            "invalid type: string \"expected u32x\", expected a boolean"
        );
    }

    #[test]
    fn explains_unknown_fields() {
        let (message, help) = explain("unknown field `naming2`, expected `naming` or `id`");
        assert_eq!(message, "unknown key `naming2`");
        assert_eq!(help, "did you mean `naming`?");
    }
}
