//! The README's Rust examples, compiled by `cargo test` as this crate's doctests. Their
//! `#[derive(AuthModel)]` reads this crate's `auth.toml`, which is the README's own example
//! configuration (a test below holds the two equal).
#![cfg_attr(doctest, doc = include_str!("../../../README.md"))]

#[cfg(test)]
mod tests {
    /// `auth.toml` is the README's "A short example" block, byte for byte, under the line that
    /// names its JSON Schema.
    #[test]
    fn auth_toml_is_the_readme_example() {
        let readme = include_str!("../../../README.md");
        let after = readme
            .split_once("A short example:")
            .and_then(|(_, rest)| rest.split_once("```toml\n"))
            .and_then(|(_, rest)| rest.split_once("```\n"))
            .map(|(block, _)| block);
        let ours = include_str!("../auth.toml")
            .strip_prefix("#:schema ../../templates/auth.schema.json\n");
        assert_eq!(after, ours);
    }
}
