//! What to run, decided from the folder and the bookkeeping rows alone (no database here).

use std::fmt;
use std::path::PathBuf;

use super::{MigrateError, Migration, Migrations, Record};

/// A file to run: all of it, or (MySQL) the statements after those an earlier run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step<'a> {
    /// The file.
    pub migration: &'a Migration,
    /// `Some(n)`: a bookkeeping row exists and `n` statements are done.
    pub resume_after: Option<usize>,
}

/// A disagreement between the folder and the database that stops `apply` before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// An applied file whose text changed since.
    Edited {
        /// The file.
        path: PathBuf,
        /// When it was applied.
        applied_at: String,
    },
    /// An applied version with no file.
    Missing {
        /// Where the file would be (`<dir>/<name>.sql`, with the name recorded when applied).
        path: PathBuf,
        /// When it was applied.
        applied_at: String,
    },
    /// A pending file numbered below an applied one.
    OutOfOrder {
        /// The pending file.
        path: PathBuf,
        /// The name of the applied file numbered above it.
        applied: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Edited { path, applied_at } => write!(
                f,
                "{} was edited after it was applied ({applied_at}): its checksum differs from the \
                 recorded one; restore the file and put the change in a new migration",
                path.display()
            ),
            Self::Missing { path, applied_at } => write!(
                f,
                "{} was applied ({applied_at}) but is missing: restore it",
                path.display()
            ),
            Self::OutOfOrder { path, applied } => write!(
                f,
                "{} is pending but numbered below {applied}, which is already applied: renumber it \
                 after {applied}",
                path.display()
            ),
        }
    }
}

/// The files still to run, in version order, or every reason not to run any.
pub fn plan<'a>(
    migrations: &'a Migrations,
    records: &[Record],
) -> Result<Vec<Step<'a>>, MigrateError> {
    let mut problems = Vec::new();
    let mut steps = Vec::new();
    let highest = records.iter().max_by_key(|r| r.version);
    for record in records {
        if !migrations.files.iter().any(|m| m.version == record.version) {
            problems.push(Problem::Missing {
                path: migrations.dir.join(format!("{}.sql", record.name)),
                applied_at: record.applied_at.clone(),
            });
        }
    }
    for migration in &migrations.files {
        match records.iter().find(|r| r.version == migration.version) {
            Some(record) if record.checksum != migration.checksum => {
                problems.push(Problem::Edited {
                    path: migration.path.clone(),
                    applied_at: record.applied_at.clone(),
                });
            }
            Some(record) if record.complete => {}
            Some(record) => steps.push(Step {
                migration,
                resume_after: Some(record.statements_done.min(migration.statements.len())),
            }),
            None => match highest {
                Some(highest) if highest.version > migration.version => {
                    problems.push(Problem::OutOfOrder {
                        path: migration.path.clone(),
                        applied: highest.name.clone(),
                    });
                }
                _ => steps.push(Step {
                    migration,
                    resume_after: None,
                }),
            },
        }
    }
    problems.sort_by_key(|p| match p {
        Problem::Edited { path, .. }
        | Problem::Missing { path, .. }
        | Problem::OutOfOrder { path, .. } => path.clone(),
    });
    if problems.is_empty() {
        Ok(steps)
    } else {
        Err(MigrateError::Refused { problems })
    }
}

/// One line of `migrate status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file's version.
    pub version: u32,
    /// The file's name without `.sql`.
    pub name: String,
    /// Where it stands.
    pub state: State,
}

/// Where a file stands in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Applied completely.
    Applied {
        /// When.
        applied_at: String,
    },
    /// Not applied yet.
    Pending,
    /// Pending, but numbered below `applied`: `apply` refuses it.
    OutOfOrder {
        /// The name of the applied file numbered above it.
        applied: String,
    },
    /// MySQL: `done` of `total` statements ran; `apply` resumes it.
    Partial {
        /// Statements done.
        done: usize,
        /// Statements in the file.
        total: usize,
        /// When the first statement ran.
        started_at: String,
    },
    /// Applied, then edited: `apply` refuses.
    Edited {
        /// When it was applied.
        applied_at: String,
    },
    /// Applied, and the file is gone: `apply` refuses.
    Missing {
        /// When it was applied.
        applied_at: String,
    },
}

impl State {
    /// Applied, or waiting to be applied, with nothing for `apply` to refuse.
    pub fn is_ok(&self) -> bool {
        matches!(
            self,
            Self::Applied { .. } | Self::Pending | Self::Partial { .. }
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Applied { applied_at } => write!(f, "applied {applied_at}"),
            Self::Pending => f.write_str("pending"),
            Self::OutOfOrder { applied } => write!(
                f,
                "pending, but numbered below {applied}, which is applied: `migrate apply` refuses; renumber it"
            ),
            Self::Partial {
                done,
                total,
                started_at,
            } => write!(
                f,
                "partially applied: {done} of {total} statements (started {started_at}); `migrate apply` resumes it"
            ),
            Self::Edited { applied_at } => write!(
                f,
                "edited after it was applied ({applied_at}): the checksum differs; `migrate apply` refuses"
            ),
            Self::Missing { applied_at } => write!(
                f,
                "applied {applied_at}, but the file is missing: `migrate apply` refuses"
            ),
        }
    }
}

/// Every file, and every applied version without one, in version order.
pub fn status(migrations: &Migrations, records: &[Record]) -> Vec<Entry> {
    let highest = records.iter().max_by_key(|r| r.version);
    let mut entries: Vec<Entry> = migrations
        .files
        .iter()
        .map(|migration| {
            let record = records.iter().find(|r| r.version == migration.version);
            let state = match record {
                Some(r) if r.checksum != migration.checksum => State::Edited {
                    applied_at: r.applied_at.clone(),
                },
                Some(r) if r.complete => State::Applied {
                    applied_at: r.applied_at.clone(),
                },
                Some(r) => State::Partial {
                    done: r.statements_done,
                    total: migration.statements.len(),
                    started_at: r.applied_at.clone(),
                },
                None => match highest {
                    Some(h) if h.version > migration.version => State::OutOfOrder {
                        applied: h.name.clone(),
                    },
                    _ => State::Pending,
                },
            };
            Entry {
                version: migration.version,
                name: migration.name.clone(),
                state,
            }
        })
        .collect();
    entries.extend(
        records
            .iter()
            .filter(|r| !migrations.files.iter().any(|m| m.version == r.version))
            .map(|r| Entry {
                version: r.version,
                name: r.name.clone(),
                state: State::Missing {
                    applied_at: r.applied_at.clone(),
                },
            }),
    );
    entries.sort_by_key(|e| e.version);
    entries
}

#[cfg(test)]
mod tests {
    use auth_core::Dialect;
    use auth_core::migrate::files;

    use super::*;

    fn migration(version: u32, text: &str) -> Migration {
        let name = format!("{version:04}_m");
        Migration {
            version,
            path: PathBuf::from(format!("m/{name}.sql")),
            name,
            checksum: files::checksum(text),
            statements: auth_core::migrate::statements(text, Dialect::Mysql)
                .unwrap_or_else(|e| panic!("{e}")),
        }
    }

    fn folder(files: Vec<Migration>) -> Migrations {
        Migrations {
            dialect: Dialect::Mysql,
            dir: PathBuf::from("m"),
            files,
        }
    }

    fn record(m: &Migration, done: usize, complete: bool) -> Record {
        Record {
            version: m.version,
            name: m.name.clone(),
            checksum: m.checksum.clone(),
            applied_at: "2025-01-01T00:00:00.000Z".to_owned(),
            statements_done: done,
            complete,
        }
    }

    fn refused(result: Result<Vec<Step<'_>>, MigrateError>) -> Vec<Problem> {
        match result {
            Err(MigrateError::Refused { problems }) => problems,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn pending_files_run_in_order_and_partial_ones_resume() {
        let folder = folder(vec![
            migration(1, "a;\n"),
            migration(2, "b;\nc;\nd;\n"),
            migration(3, "e;\n"),
        ]);
        let records = [
            record(&folder.files[0], 1, true),
            record(&folder.files[1], 2, false),
        ];
        let steps = plan(&folder, &records).unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<(u32, Option<usize>)> = steps
            .iter()
            .map(|s| (s.migration.version, s.resume_after))
            .collect();
        assert_eq!(got, [(2, Some(2)), (3, None)]);
        let states: Vec<String> = status(&folder, &records)
            .iter()
            .map(|e| e.state.to_string())
            .collect();
        assert!(states[0].starts_with("applied 2025"), "{states:?}");
        assert!(
            states[1].starts_with("partially applied: 2 of 3"),
            "{states:?}"
        );
        assert_eq!(states[2], "pending");
    }

    #[test]
    fn refuses_edited_missing_and_out_of_order_files_all_at_once() {
        let applied = [
            migration(1, "a;\n"),
            migration(2, "b;\n"),
            migration(4, "d;\n"),
        ];
        let records: Vec<Record> = applied.iter().map(|m| record(m, 1, true)).collect();
        let folder = folder(vec![
            migration(1, "a; -- edited\n"),
            migration(3, "c;\n"),
            applied[2].clone(),
            migration(5, "e;\n"),
        ]);
        let problems = refused(plan(&folder, &records));
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 3, "{text:#?}");
        assert!(text[0].starts_with("m/0001_m.sql was edited"), "{text:#?}");
        assert!(
            text[1].starts_with("m/0002_m.sql was applied (2025"),
            "{text:#?}"
        );
        assert!(
            text[2].contains("0003_m.sql is pending but numbered below 0004_m"),
            "{text:#?}"
        );
        let states: Vec<(u32, bool)> = status(&folder, &records)
            .iter()
            .map(|e| (e.version, e.state.is_ok()))
            .collect();
        assert_eq!(
            states,
            [(1, false), (2, false), (3, false), (4, true), (5, true)]
        );
    }

    #[test]
    fn an_up_to_date_database_has_no_steps() {
        let folder = folder(vec![migration(1, "a;\n")]);
        let records = [record(&folder.files[0], 1, true)];
        assert_eq!(plan(&folder, &records).map(|s| s.len()).ok(), Some(0));
        assert_eq!(plan(&folder, &[]).map(|s| s.len()).ok(), Some(1));
    }
}
