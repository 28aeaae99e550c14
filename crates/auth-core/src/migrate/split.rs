//! Migration files split into statements by sqlparser's tokenizer for the file's dialect, so a
//! `;` inside a string, a quoted name, a comment, a PostgreSQL dollar-quoted body or a trigger's
//! `BEGIN … END` never ends a statement, and each statement is sent with its bytes unchanged.

use std::ops::Range;

use sqlparser::dialect::{self, Dialect as SqlDialect};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use crate::sql::Dialect;

/// A statement of a migration file: where it starts and its text, from its first token to its
/// last before the `;` that ends it (comments before it belong to no statement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// 1-based line of its first token.
    pub line: usize,
    /// The file's bytes of the statement, unchanged.
    pub sql: String,
    /// Where those bytes are in the file.
    pub bytes: Range<usize>,
}

/// Text the tokenizer cannot read (an unterminated string or comment, a stray quote).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct SplitError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// sqlparser's dialect for the engine a file is written for.
pub fn sql_dialect(dialect: Dialect) -> Box<dyn SqlDialect> {
    match dialect {
        Dialect::Sqlite | Dialect::D1 => Box::new(dialect::SQLiteDialect {}),
        Dialect::Postgres => Box::new(dialect::PostgreSqlDialect {}),
        Dialect::Mysql => Box::new(dialect::MySqlDialect {}),
    }
}

/// The tokens of `sql` with the byte range of each.
pub fn tokens(sql: &str, dialect: Dialect) -> Result<Vec<(Token, Range<usize>)>, SplitError> {
    let sql_dialect = sql_dialect(dialect);
    let tokens = Tokenizer::new(sql_dialect.as_ref(), sql)
        .with_unescape(false)
        .tokenize_with_location()
        .map_err(|error| SplitError {
            line: usize::try_from(error.location.line).unwrap_or(usize::MAX),
            column: usize::try_from(error.location.column).unwrap_or(usize::MAX),
            message: error.message,
        })?;
    let offsets = Offsets::new(sql);
    Ok(tokens
        .into_iter()
        .map(|TokenWithSpan { token, span }| {
            let range = offsets.byte(span.start)..offsets.byte(span.end);
            (token, range)
        })
        .collect())
}

/// Splits a migration file into its statements, in order.
pub fn statements(sql: &str, dialect: Dialect) -> Result<Vec<Statement>, SplitError> {
    let mut out = Vec::new();
    let mut current: Option<Current> = None;
    for (token, range) in tokens(sql, dialect)? {
        if matches!(token, Token::Whitespace(_)) {
            continue;
        }
        if token == Token::SemiColon && current.as_ref().is_none_or(|c| c.depth == 0) {
            if let Some(done) = current.take() {
                out.push(done.finish(sql));
            }
            continue;
        }
        current
            .get_or_insert_with(|| Current::new(sql, range.start))
            .take(&token, range.end);
    }
    out.extend(current.map(|rest| rest.finish(sql)));
    Ok(out)
}

/// The statement being read.
#[derive(Debug)]
struct Current {
    line: usize,
    start: usize,
    end: usize,
    /// Words read so far, up to the body of a routine (`CREATE … TRIGGER|FUNCTION|PROCEDURE`).
    words: usize,
    creates: bool,
    /// A trigger or routine whose body is a `BEGIN … END` block (`;` inside it end nothing).
    block: bool,
    depth: usize,
}

impl Current {
    fn new(sql: &str, start: usize) -> Self {
        Self {
            line: sql[..start].matches('\n').count() + 1,
            start,
            end: start,
            words: 0,
            creates: false,
            block: false,
            depth: 0,
        }
    }

    fn take(&mut self, token: &Token, end: usize) {
        self.end = end;
        let Token::Word(word) = token else {
            return;
        };
        if word.quote_style.is_some() {
            return;
        }
        self.words += 1;
        match word.keyword {
            Keyword::CREATE if self.words == 1 => self.creates = true,
            Keyword::TRIGGER | Keyword::FUNCTION | Keyword::PROCEDURE if self.creates => {
                self.block = true;
            }
            Keyword::BEGIN | Keyword::CASE if self.block => self.depth += 1,
            Keyword::END if self.block => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }

    fn finish(self, sql: &str) -> Statement {
        Statement {
            line: self.line,
            sql: sql[self.start..self.end].to_owned(),
            bytes: self.start..self.end,
        }
    }
}

/// Line and column (1-based, in characters, as the tokenizer counts them) to byte offsets.
struct Offsets<'a> {
    sql: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Offsets<'a> {
    fn new(sql: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(sql.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Self { sql, line_starts }
    }

    fn byte(&self, location: Location) -> usize {
        let line = usize::try_from(location.line.saturating_sub(1)).unwrap_or(usize::MAX);
        let Some(&start) = self.line_starts.get(line) else {
            return self.sql.len();
        };
        let column = usize::try_from(location.column.saturating_sub(1)).unwrap_or(usize::MAX);
        self.sql[start..]
            .char_indices()
            .nth(column)
            .map_or(self.sql.len(), |(at, _)| start + at)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn texts(sql: &str, dialect: Dialect) -> Vec<String> {
        statements(sql, dialect)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|s| s.sql)
            .collect()
    }

    #[test]
    fn strings_names_and_comments_keep_their_semicolons() {
        let sql = "-- header; not a statement\ncreate table \"a;b\" (\n  \"x\" text default ';' -- a; comment\n);\n/* a; block */ insert into \"a;b\" values ('it''s; fine');\n";
        assert_eq!(
            texts(sql, Dialect::Sqlite),
            [
                "create table \"a;b\" (\n  \"x\" text default ';' -- a; comment\n)",
                "insert into \"a;b\" values ('it''s; fine')",
            ]
        );
        let parts = statements(sql, Dialect::Sqlite).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((parts[0].line, parts[1].line), (2, 5));
    }

    #[test]
    fn a_postgres_dollar_quoted_body_is_one_statement() {
        let sql = "create function f() returns trigger as $body$\nbegin\n  new.\"x\" := 'a;b';\n  return new;\nend;\n$body$ language plpgsql;\nselect 1;\n";
        assert_eq!(
            texts(sql, Dialect::Postgres),
            [
                "create function f() returns trigger as $body$\nbegin\n  new.\"x\" := 'a;b';\n  return new;\nend;\n$body$ language plpgsql",
                "select 1",
            ]
        );
    }

    #[test]
    fn a_sqlite_trigger_ends_at_its_end() {
        let sql = "create trigger \"t\" after insert on \"a\" begin\n  update \"a\" set \"x\" = case when new.\"x\" is null then ';' else new.\"x\" end;\n  delete from \"b\";\nend;\ncreate table \"c\" (\"x\" text);\n";
        let parts = texts(sql, Dialect::D1);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(
            parts[0].ends_with("delete from \"b\";\nend"),
            "{}",
            parts[0]
        );
        assert_eq!(parts[1], "create table \"c\" (\"x\" text)");
    }

    #[test]
    fn mysql_reads_backslash_escapes_and_hash_comments() {
        let sql = "# a; comment\ninsert into `a` values ('x\\';y');\nselect 1";
        assert_eq!(
            texts(sql, Dialect::Mysql),
            ["insert into `a` values ('x\\';y')", "select 1"]
        );
    }

    #[test]
    fn unreadable_text_is_an_error_with_its_place() {
        let error = statements("select 1;\nselect 'oops;\n", Dialect::Postgres)
            .err()
            .unwrap_or_else(|| panic!("an unterminated string was split"));
        assert_eq!(error.line, 2, "{error}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Never a panic; every statement is its bytes of the file, in order; and every byte
        /// outside the statements is whitespace, a comment or a `;` (nothing is lost).
        #[test]
        fn the_splitter_loses_no_byte(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("create table \"t\" (\"x\" text default ';');".to_owned()),
                    Just("-- a; comment\n".to_owned()),
                    Just("/* a; block */".to_owned()),
                    Just("'it''s;'".to_owned()),
                    Just("$$ a; b $$".to_owned()),
                    Just("create trigger t after insert on a begin select 1; end;".to_owned()),
                    Just("case when 1 then 2 end".to_owned()),
                    Just("begin;".to_owned()),
                    Just("\n".to_owned()),
                    Just(";".to_owned()),
                    "[ -~\\n]{0,12}",
                ],
                0..12,
            ),
            dialect in prop_oneof![
                Just(Dialect::Sqlite),
                Just(Dialect::D1),
                Just(Dialect::Postgres),
                Just(Dialect::Mysql),
            ],
        ) {
            let sql = parts.concat();
            let Ok(split) = statements(&sql, dialect) else {
                return Ok(());
            };
            let mut covered = 0;
            for statement in &split {
                prop_assert!(statement.bytes.start >= covered);
                prop_assert_eq!(&sql[statement.bytes.clone()], statement.sql.as_str());
                prop_assert!(!statement.sql.is_empty());
                covered = statement.bytes.end;
            }
            let tokens = tokens(&sql, dialect).map_err(|e| TestCaseError::fail(e.to_string()))?;
            for (token, range) in tokens {
                let inside = split
                    .iter()
                    .any(|s| s.bytes.start <= range.start && range.end <= s.bytes.end);
                prop_assert!(
                    inside || matches!(token, Token::Whitespace(_) | Token::SemiColon),
                    "{token:?} at {range:?} is in no statement"
                );
            }
        }
    }
}
