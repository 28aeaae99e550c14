//! Every problem of a file at once, as rustc reports them: after a problem, the lines it is on
//! are blanked (turned to spaces, so every offset and line number stays) and the file is parsed
//! again, until it parses or nothing new turns up.

use std::ops::Range;
use std::path::Path;

use super::{ConfigError, Invalid, Location};

/// Parses at most, enough for any real file; bounds the work on a pathological one.
const MOST_PROBLEMS: usize = 50;

/// `first` and the problems found after it by parsing `source` again with `parse` on the
/// problems' lines blanked, in file order, each located in the original `source`.
pub(super) fn every_problem(
    path: &Path,
    source: &str,
    first: ConfigError,
    parse: impl Fn(String) -> Result<(), ConfigError>,
) -> ConfigError {
    if matches!(first, ConfigError::Read { .. }) {
        return first;
    }
    let mut problems: Vec<Invalid> = Vec::new();
    let mut blanked: Vec<Range<usize>> = Vec::new();
    let mut text = source.to_owned();
    let mut error = first;
    for _ in 0..MOST_PROBLEMS {
        let mut progressed = false;
        for mut problem in error.into_problems() {
            let span = problem.location.span.clone();
            let repeated = problems
                .iter()
                .any(|p| p.location.span == span && p.message == problem.message);
            // Found on lines blanked before, or a table that misses a key only because its line
            // was blanked (`missing field` at the table's header).
            let lines = lines_of(&text, &span);
            let consequence = blanked.iter().any(|b| lines.contains(&b.start));
            if repeated {
                continue;
            }
            // Not reported, but blanked too: what follows it is still checked.
            let before = text.clone();
            blanked.push(blank(&mut text, &span));
            progressed |= text != before;
            if consequence {
                continue;
            }
            problem.location = Location::new(path, source, span);
            source.clone_into(&mut problem.source_text);
            problems.push(problem);
        }
        if !progressed {
            break;
        }
        match parse(text.clone()) {
            Ok(()) => break,
            Err(next) => error = next,
        }
    }
    problems.sort_by_key(|p| p.location.span.start);
    match problems.len() {
        1 => ConfigError::Invalid(Box::new(problems.remove(0))),
        _ => ConfigError::Several(problems),
    }
}

/// The byte range of the lines holding `span`; on a table header, the whole table, up to the
/// next header.
fn lines_of(text: &str, span: &Range<usize>) -> Range<usize> {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(span.start);
    let end = floor(span.end).max(start);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |i| from + i);
    let mut range_end = line_end(end);
    let is_header = |line: &str| line.trim_start().starts_with('[');
    if is_header(&text[line_start..line_end(line_start)]) {
        let mut next = range_end;
        while next < text.len() {
            let line = next + 1;
            if line >= text.len() || is_header(&text[line..line_end(line)]) {
                break;
            }
            next = line_end(line);
        }
        range_end = next;
    }
    line_start..range_end
}

/// Turns the lines holding `span` to spaces (a table header takes its whole table with it, so
/// that the table's keys do not land in the table above) and returns the byte range blanked.
fn blank(text: &mut String, span: &Range<usize>) -> Range<usize> {
    let range = lines_of(text, span);
    let blanked: String = text
        .char_indices()
        .map(|(i, c)| {
            if range.contains(&i) && c != '\n' {
                " ".repeat(c.len_utf8())
            } else {
                c.to_string()
            }
        })
        .collect();
    *text = blanked;
    range
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_lines_and_keeps_offsets() {
        let mut text = "a = 1\nbé = x\nc = 3\n".to_owned();
        let range = blank(&mut text, &(9..10));
        assert_eq!(text, "a = 1\n       \nc = 3\n");
        assert_eq!(range, 6..13);
    }

    #[test]
    fn a_header_takes_its_table() {
        let mut text = "[a]\nx = 1\n[b]\ny = 2\nz = 3\n[c]\n".to_owned();
        blank(&mut text, &(11..12));
        assert_eq!(text, "[a]\nx = 1\n   \n     \n     \n[c]\n");
    }
}
