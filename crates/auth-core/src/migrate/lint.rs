//! Checks of hand-edited migration files, read with sqlparser: what D1 cannot run, and
//! destructive statements that do not say so (`migrate new` marks each one it writes): a dropped
//! table or column, and a column narrowed (a narrower type, or NOT NULL without a default) as the
//! statements of the folder's earlier files declared it.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Word};

use super::DESTRUCTIVE_MARK;
use super::replay::Tables;
use super::split::{self, SplitError, Statement};
use crate::sql::Dialect;

/// A statement refused, with why and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// 1-based line of the statement.
    pub line: usize,
    pub message: String,
    pub help: String,
}

/// The findings of one file read on its own, in file order.
pub fn lint(sql: &str, dialect: Dialect) -> Result<Vec<Finding>, SplitError> {
    Linter::new(dialect).file(sql)
}

/// Lints the files of one dialect folder in order, each read with the tables and columns the
/// earlier ones declared.
#[derive(Debug)]
pub struct Linter {
    dialect: Dialect,
    tables: Tables,
}

impl Linter {
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            tables: Tables::new(dialect),
        }
    }

    /// Takes the tables and columns `ddl` declares (our own DDL, such as a baseline snapshot's
    /// schema) as the state the next files are read against.
    pub fn declare(&mut self, ddl: &str) {
        for statement in split::statements(ddl, self.dialect).unwrap_or_default() {
            // Our DDL parses (a test reads every statement we generate); nothing to refuse here.
            let _ = self.tables.apply(&statement.sql);
        }
    }

    /// The findings of the next file, in file order.
    pub fn file(&mut self, sql: &str) -> Result<Vec<Finding>, SplitError> {
        let dialect = self.dialect;
        let statements = split::statements(sql, dialect)?;
        let all_words: Vec<Vec<Word>> = statements
            .iter()
            .map(|s| words(&s.sql, dialect))
            .collect::<Result<_, _>>()?;
        let mut findings = Vec::new();
        let mut previous_end = 0;
        for (index, (statement, words)) in statements.iter().zip(&all_words).enumerate() {
            let marked = sql[previous_end..statement.bytes.start].contains(DESTRUCTIVE_MARK);
            previous_end = statement.bytes.end;
            if dialect == Dialect::D1
                && let Some(finding) = d1_refusal(statement, words)
            {
                findings.push(finding);
            }
            // Every statement is replayed, marked or not: later ones are read against it.
            let narrowed = self.tables.apply(&statement.sql);
            if marked {
                continue;
            }
            let earlier = &all_words[..index];
            let later = &all_words[index + 1..];
            let mut reasons: Vec<String> = destructive(words, earlier, later).into_iter().collect();
            match narrowed {
                Ok(narrowed) => reasons.extend(narrowed.into_iter().map(|reason| {
                    format!("{reason}, but no `-- {DESTRUCTIVE_MARK}` comment says so")
                })),
                // What cannot be read cannot be shown not to narrow a column.
                Err(error) if reasons.is_empty() && is(words.first(), Keyword::ALTER) => reasons.push(format!(
                    "this alter statement cannot be read by the SQL parser ({error}), so whether it narrows a column is unknown"
                )),
                Err(_) => {}
            }
            for message in reasons {
                findings.push(Finding {
                    line: statement.line,
                    message,
                    help: format!(
                        "put `-- {DESTRUCTIVE_MARK} <what is lost>` on the line before it if the loss is meant (as `migrate new --allow-destructive` does)"
                    ),
                });
            }
        }
        Ok(findings)
    }
}

/// The statement's words (keywords and names, quoted or not), comments and literals left out.
fn words(sql: &str, dialect: Dialect) -> Result<Vec<Word>, SplitError> {
    Ok(split::tokens(sql, dialect)?
        .into_iter()
        .filter_map(|(token, _)| match token {
            Token::Word(word) => Some(word),
            _ => None,
        })
        .collect())
}

fn is(word: Option<&Word>, keyword: Keyword) -> bool {
    word.is_some_and(|w| w.quote_style.is_none() && w.keyword == keyword)
}

/// D1 runs each file in a transaction of its own and ignores `PRAGMA foreign_keys`.
fn d1_refusal(statement: &Statement, words: &[Word]) -> Option<Finding> {
    let first = words.first();
    let transaction = [
        Keyword::BEGIN,
        Keyword::COMMIT,
        Keyword::END,
        Keyword::ROLLBACK,
        Keyword::SAVEPOINT,
        Keyword::RELEASE,
    ]
    .into_iter()
    .find(|k| is(first, *k))
    .or_else(|| {
        (is(first, Keyword::START) && is(words.get(1), Keyword::TRANSACTION))
            .then_some(Keyword::START)
    });
    if let Some(keyword) = transaction {
        return Some(Finding {
            line: statement.line,
            message: format!(
                "D1 refuses {keyword:?}: wrangler runs each migration file in a transaction of its own, and D1 has no BEGIN, COMMIT or SAVEPOINT"
            ),
            help: "remove it: the whole file already applies or fails as one".to_owned(),
        });
    }
    let foreign_keys = is(first, Keyword::PRAGMA)
        && words
            .get(1)
            .is_some_and(|w| w.value.eq_ignore_ascii_case("foreign_keys"));
    foreign_keys.then(|| Finding {
        line: statement.line,
        message: "PRAGMA foreign_keys does nothing on D1: foreign keys are always enforced"
            .to_owned(),
        help: "for a table rebuild, use `PRAGMA defer_foreign_keys = 1` (checked at the end of the file), as `migrate new` does".to_owned(),
    })
}

/// Why a statement loses data, if it does: `DROP TABLE` (unless the file created that table, or
/// puts another in its place by a rename: a rebuild) or `ALTER TABLE … DROP [COLUMN] <column>`.
fn destructive(words: &[Word], earlier: &[Vec<Word>], later: &[Vec<Word>]) -> Option<String> {
    let first = words.first();
    if is(first, Keyword::DROP) && is(words.get(1), Keyword::TABLE) {
        let mut names = &words[2..];
        if is(names.first(), Keyword::IF) && is(names.get(1), Keyword::EXISTS) {
            names = &names[2..];
        }
        let table = names.first()?;
        let created = earlier.iter().any(|w| creates(w, table));
        let replaced = later.iter().any(|w| renames_to(w, table));
        return (!created && !replaced).then(|| {
            format!(
                "drop table {} loses the table and all its rows, but no `-- {DESTRUCTIVE_MARK}` comment says so",
                table.value
            )
        });
    }
    if is(first, Keyword::ALTER) && is(words.get(1), Keyword::TABLE) {
        let table = &words.get(2)?.value;
        let is_name = |w: &&Word| w.quote_style.is_some() || w.keyword == Keyword::NoKeyword;
        let column = (0..words.len())
            .filter(|&at| is(words.get(at), Keyword::DROP))
            .find_map(|at| {
                if is(words.get(at + 1), Keyword::COLUMN) {
                    words.get(at + 2)
                } else {
                    words.get(at + 1).filter(is_name)
                }
            })?;
        return Some(format!(
            "alter table {table} drops column {} and its values, but no `-- {DESTRUCTIVE_MARK}` comment says so",
            column.value
        ));
    }
    None
}

/// `CREATE TABLE [IF NOT EXISTS] <table> …`.
fn creates(words: &[Word], table: &Word) -> bool {
    if !(is(words.first(), Keyword::CREATE) && is(words.get(1), Keyword::TABLE)) {
        return false;
    }
    let name = if is(words.get(2), Keyword::IF) {
        words.get(5)
    } else {
        words.get(2)
    };
    name.is_some_and(|n| n.value == table.value)
}

/// `ALTER TABLE <other> RENAME TO <table>`.
fn renames_to(words: &[Word], table: &Word) -> bool {
    is(words.first(), Keyword::ALTER)
        && words.windows(3).any(|w| {
            is(Some(&w[0]), Keyword::RENAME)
                && is(Some(&w[1]), Keyword::TO)
                && w[2].value == table.value
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(sql: &str, dialect: Dialect) -> Vec<(usize, String)> {
        lint(sql, dialect)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|f| (f.line, f.message))
            .collect()
    }

    #[test]
    fn d1_refuses_transactions_and_foreign_keys_pragmas() {
        let sql = "create table \"a\" (\"x\" text);\nBEGIN;\nsavepoint s;\npragma foreign_keys = off;\npragma defer_foreign_keys = 1;\ncommit;\n";
        let found = messages(sql, Dialect::D1);
        assert_eq!(
            found.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
            [2, 3, 4, 6],
            "{found:?}"
        );
        assert!(
            found[0].1.contains("BEGIN") || found[0].1.contains("Begin"),
            "{found:?}"
        );
        assert!(found[2].1.contains("foreign_keys"), "{found:?}");
        assert!(messages(sql, Dialect::Sqlite).is_empty());
    }

    #[test]
    fn unmarked_drops_are_refused_and_marked_ones_pass() {
        let sql = "drop table \"passkey\";\n-- auth:destructive drops column user.plan\nalter table \"user\" drop column \"plan\";\nalter table `user` drop `tier`;\nalter table \"user\" drop constraint \"x\";\nalter table \"user\" alter column \"y\" drop not null;\n";
        let found = messages(sql, Dialect::Postgres);
        assert_eq!(
            found.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
            [1, 4],
            "{found:?}"
        );
        assert!(found[0].1.contains("passkey"), "{found:?}");
        assert!(found[1].1.contains("tier"), "{found:?}");
    }

    #[test]
    fn a_rebuild_drops_nothing() {
        let sql = "create table \"_keep\" as select * from \"session\";\ncreate table \"_new_user\" (\"id\" text);\ndrop table \"user\";\nalter table \"_new_user\" rename to \"user\";\ndrop table \"_keep\";\n";
        assert!(messages(sql, Dialect::Sqlite).is_empty());
    }

    #[test]
    fn narrowing_is_judged_against_the_earlier_files() {
        let create = "create table \"user\" (\"id\" text not null primary key, \"plan\" text);\n";
        let narrow = "alter table \"user\" add column \"n\" integer;\n\nalter table \"user\" alter column \"plan\" type varchar(8);\n-- auth:destructive meant\nalter table \"user\" alter column \"n\" type smallint;\nalter table \"user\" alter column \"plan\" set not null;\n";
        let mut linter = Linter::new(Dialect::Postgres);
        assert!(
            linter
                .file(create)
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );
        let found: Vec<(usize, String)> = linter
            .file(narrow)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|f| (f.line, f.message))
            .collect();
        assert_eq!(
            found.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
            [3, 6],
            "{found:?}"
        );
        assert!(
            found[0]
                .1
                .starts_with("changes user.plan from text to varchar(8)"),
            "{found:?}"
        );
        assert!(
            found[0]
                .1
                .ends_with("but no `-- auth:destructive` comment says so"),
            "{found:?}"
        );
        assert!(
            found[1].1.starts_with("makes user.plan required"),
            "{found:?}"
        );
        // Read alone, the file's table is unknown: nothing to judge it by.
        assert!(messages(narrow, Dialect::Postgres).is_empty());
    }

    #[test]
    fn an_unreadable_alter_is_refused_unless_marked() {
        let sql = "alter table \"user\" frobnicate \"plan\";\n-- auth:destructive meant\nalter table \"user\" frobnicate \"plan\";\n";
        let found = messages(sql, Dialect::Postgres);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 1);
        assert!(found[0].1.contains("cannot be read"), "{found:?}");
    }
}
