//! Keeps the layers of this crate one-way (DESIGN.md, "Inside `auth-runtime`: layers, one
//! way"): no source file of a layer below `Auth` names `Auth` or the crate-root items beside it,
//! the HTTP layer, the endpoints or the plugins.

use std::path::{Path, PathBuf};

/// The sources of the layers below `Auth`, relative to `src/` (a folder stands for every file in
/// it): wire, secondary storage, OAuth client, mail, errors, store, hooks, where sessions are
/// kept, verification values, rate limits.
const LOWER: &[&str] = &[
    "wire",
    "secondary",
    "oauth",
    "mail.rs",
    "mail",
    "error.rs",
    "store",
    "hooks.rs",
    "session",
    "verification.rs",
    "rate_limit",
];

/// What follows `crate::` when a path reaches the `Auth` layer or above.
const UPWARD: &[&str] = &[
    "Auth",
    "AuthError",
    "AuthOptions",
    "EnvLookup",
    "callback_url",
    "auth",
    "http",
    "routes",
    "plugins",
];

/// The 1-based lines of `source` and the upward paths they name, as `crate::X` or in a group
/// `crate::{…, X, …}`.
fn upward_paths(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (at, _) in source.match_indices("crate::") {
        let at = at + "crate::".len();
        let names: Vec<(usize, &str)> = match source[at..].strip_prefix('{') {
            Some(group) => top_level_items(group)
                .into_iter()
                .map(|(start, item)| (at + 1 + start, item))
                .collect(),
            None => vec![(at, &source[at..])],
        };
        for (start, name) in names {
            let trimmed = name.trim_start();
            let first = trimmed
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default();
            if UPWARD.contains(&first) {
                let offset = start + name.len() - trimmed.len();
                let line = source[..offset].matches('\n').count() + 1;
                found.push((line, format!("crate::{first}")));
            }
        }
    }
    found
}

/// The items of a `use` group up to its closing brace (`a, b::{c, d}, e`: `a`, `b::{c, d}`, `e`),
/// each with its offset in `group`.
fn top_level_items(group: &str) -> Vec<(usize, &str)> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push((start, &group[start..i]));
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push((start, &group[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push((start, &group[start..]));
    items
}

/// The `.rs` files at `path` (the file itself, or every one under the folder), sorted.
fn sources(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_owned()];
    }
    let mut files = Vec::new();
    let entries = std::fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let path = entry.path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[test]
fn lower_layers_do_not_import_upward() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenses = Vec::new();
    for lower in LOWER {
        let path = src.join(lower);
        assert!(path.exists(), "{} is gone: update LOWER", path.display());
        for file in sources(&path) {
            let source = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let relative = file
                .strip_prefix(&src)
                .unwrap_or(&file)
                .display()
                .to_string();
            for (line, name) in upward_paths(&source) {
                offenses.push(format!("src/{relative}:{line}: names {name}"));
            }
        }
    }
    assert!(
        offenses.is_empty(),
        "a lower layer imports from the Auth layer or above:\n{}",
        offenses.join("\n")
    );
}

#[test]
fn upward_paths_are_found_alone_and_in_groups() {
    let source = "use crate::store::Row;
use crate::AuthError;
use crate::{
    error::ApiError,
    http::{Ctx, Query},
};
fn f(_: &crate::Auth) {}
";
    assert_eq!(
        upward_paths(source),
        [
            (2, "crate::AuthError".to_owned()),
            (5, "crate::http".to_owned()),
            (7, "crate::Auth".to_owned()),
        ]
    );
    assert!(upward_paths("use crate::authority::Key;\nuse crate::https;\n").is_empty());
}
