use super::*;

/// README's table of plugins: `| `<id>` | served |` or `| `<id>` | schema only |`.
fn readme_rows() -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let start = text
        .find("| plugin | runtime |")
        .unwrap_or_else(|| panic!("README.md has no `| plugin | runtime |` table"));
    text[start..]
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_owned(), cells[2].to_owned())
        })
        .collect()
}

#[test]
fn readme_lists_every_plugin_with_what_the_server_does_with_it() {
    let rows = readme_rows();
    let ids: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    let all: Vec<&str> = Plugin::ALL.iter().map(|p| p.id()).collect();
    assert_eq!(
        ids, all,
        "README's table lists every plugin, in canonical order"
    );
    for (plugin, (id, runtime)) in Plugin::ALL.iter().zip(&rows) {
        let expected = if SERVED.contains(plugin) {
            "served"
        } else {
            "schema only"
        };
        assert_eq!(runtime, expected, "README's row for {id}");
    }
}
