//! The migrations folder: `<dir>/<dialect>/NNNN_<slug>.sql`, each with the schema snapshot it
//! leads to in `NNNN_<slug>.json`. wrangler reads only the `.sql` files, in the same order, so the
//! D1 folder is a valid `migrations_dir` as it is.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::lint::Finding;
use super::split::{self, SplitError, Statement};
use crate::Dialect;
use crate::schema::Schema;

/// What a migration's `.json` file holds: the whole schema after it, and who wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// `auth-cli <version>`.
    pub generator: String,
    pub dialect: Dialect,
    pub schema: Schema,
}

impl Snapshot {
    pub fn new(dialect: Dialect, schema: Schema) -> Self {
        Self {
            generator: format!("auth-cli {}", crate::VERSION),
            dialect,
            schema,
        }
    }
}

/// One migration file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFile {
    /// The number before the first `_`.
    pub version: u32,
    /// The file name without `.sql` (`0002_add_admin`).
    pub name: String,
    pub sql_path: PathBuf,
    /// `NNNN_<slug>.json` beside it.
    pub snapshot_path: PathBuf,
}

/// A problem with the migrations folder.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilesError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: a migration file must be named NNNN_<slug>.sql", path.display())]
    BadName { path: PathBuf },
    #[error("{} and {} have the same number", first.display(), second.display())]
    DuplicateVersion { first: PathBuf, second: PathBuf },
    #[error("{}: cannot read the snapshot: {message}", path.display())]
    Snapshot { path: PathBuf, message: String },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: it is a {found} snapshot, in the {expected} folder", path.display())]
    SnapshotDialect {
        path: PathBuf,
        found: Dialect,
        expected: Dialect,
    },
    #[error("{}:{}:{}: cannot read the SQL: {}", path.display(), error.line, error.column, error.message)]
    Sql { path: PathBuf, error: SplitError },
    /// `migrate lint` (and `migrate apply` before it applies anything) refused statements.
    #[error(
        "{} refused in the migration files:\n{}",
        if refused.len() == 1 { "1 statement".to_owned() } else { format!("{} statements", refused.len()) },
        refused.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    )]
    Refused { refused: Vec<Refused> },
    /// [`write_next`] was not allowed a destructive migration.
    #[error(
        "the migration is destructive and was not written:\n{}\nchange auth.toml (a default, a backfill) or re-run with --allow-destructive",
        reasons.iter().map(|r| format!("  - {r}")).collect::<Vec<_>>().join("\n")
    )]
    Destructive { reasons: Vec<String> },
}

/// The `.sql` migrations of one dialect folder, ordered by number (none if the folder is absent).
pub fn list(dialect_dir: &Path) -> Result<Vec<MigrationFile>, FilesError> {
    let io = |source| FilesError::Io {
        path: dialect_dir.to_owned(),
        source,
    };
    let entries = match std::fs::read_dir(dialect_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(io(error)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(io)?.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".sql"))
        else {
            continue;
        };
        let version = name
            .split_once('_')
            .and_then(|(number, slug)| (!slug.is_empty()).then_some(number))
            .and_then(|number| number.parse::<u32>().ok())
            .ok_or_else(|| FilesError::BadName { path: path.clone() })?;
        files.push(MigrationFile {
            version,
            name: name.to_owned(),
            snapshot_path: path.with_extension("json"),
            sql_path: path,
        });
    }
    files.sort_by_key(|f| f.version);
    for pair in files.windows(2) {
        if pair[0].version == pair[1].version {
            return Err(FilesError::DuplicateVersion {
                first: pair[0].sql_path.clone(),
                second: pair[1].sql_path.clone(),
            });
        }
    }
    Ok(files)
}

/// Reads a migration's snapshot.
pub fn read_snapshot(file: &MigrationFile) -> Result<Snapshot, FilesError> {
    let text = std::fs::read_to_string(&file.snapshot_path).map_err(|source| FilesError::Io {
        path: file.snapshot_path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|error| FilesError::Snapshot {
        path: file.snapshot_path.clone(),
        message: error.to_string(),
    })
}

/// A migration [`write_next`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub sql_path: PathBuf,
    pub statements: usize,
    /// Why it is destructive (empty when it is not).
    pub destructive: Vec<String>,
}

/// Writes the difference between the last snapshot of `<dir>/<dialect>` and `schema` as the next
/// migration `NNNN_<slug>.sql` with its snapshot; `None` when there is none. A destructive plan
/// is refused ([`FilesError::Destructive`]) unless allowed.
pub fn write_next(
    schema: &Schema,
    dialect: Dialect,
    dir: &Path,
    slug: &str,
    allow_destructive: bool,
) -> Result<Option<Written>, FilesError> {
    let folder = dir.join(dialect.as_str());
    let existing = list(&folder)?;
    let previous = match existing.last() {
        Some(last) => {
            let snapshot = read_snapshot(last)?;
            if snapshot.dialect != dialect {
                return Err(FilesError::SnapshotDialect {
                    path: last.snapshot_path.clone(),
                    found: snapshot.dialect,
                    expected: dialect,
                });
            }
            Some(snapshot.schema)
        }
        None => None,
    };
    let migration = super::plan(previous.as_ref(), schema, dialect);
    if migration.is_empty() {
        return Ok(None);
    }
    let destructive: Vec<String> = migration
        .destructive()
        .into_iter()
        .map(str::to_owned)
        .collect();
    if !destructive.is_empty() && !allow_destructive {
        return Err(FilesError::Destructive {
            reasons: destructive,
        });
    }
    let version = existing.last().map_or(1, |last| last.version + 1);
    let name = format!("{version:04}_{slug}");
    let sql_path = folder.join(format!("{name}.sql"));
    let snapshot_path = folder.join(format!("{name}.json"));
    let write = |path: &Path, text: String| {
        std::fs::write(path, text).map_err(|source| FilesError::Write {
            path: path.to_owned(),
            source,
        })
    };
    std::fs::create_dir_all(&folder).map_err(|source| FilesError::Write {
        path: folder.clone(),
        source,
    })?;
    let snapshot = Snapshot::new(dialect, schema.clone());
    let json = serde_json::to_string_pretty(&snapshot).map_err(|error| FilesError::Write {
        path: snapshot_path.clone(),
        source: std::io::Error::other(error),
    })?;
    // The snapshot first: a `.json` without its `.sql` is ignored, the reverse would not be.
    write(&snapshot_path, json + "\n")?;
    write(&sql_path, migration.render(&name))?;
    Ok(Some(Written {
        sql_path,
        statements: migration.steps.len(),
        destructive,
    }))
}

/// Reads a migration's SQL and splits it into statements for `dialect`.
pub fn read_sql(path: &Path, dialect: Dialect) -> Result<(String, Vec<Statement>), FilesError> {
    let text = std::fs::read_to_string(path).map_err(|source| FilesError::Io {
        path: path.to_owned(),
        source,
    })?;
    let statements = split::statements(&text, dialect).map_err(|error| FilesError::Sql {
        path: path.to_owned(),
        error,
    })?;
    Ok((text, statements))
}

/// What [`lint`](super::lint) refuses in the files of a dialect folder, file by file, each read
/// after the ones before it.
pub fn lint_folder(dialect_dir: &Path, dialect: Dialect) -> Result<Vec<Refused>, FilesError> {
    let mut refused = Vec::new();
    let mut linter = super::lint::Linter::new(dialect);
    for file in list(dialect_dir)? {
        let (text, statements) = read_sql(&file.sql_path, dialect)?;
        if statements.is_empty() && file.snapshot_path.exists() {
            // A baseline holds no statement: the tables it adopted are its snapshot's.
            let snapshot = read_snapshot(&file)?;
            linter.declare(&crate::sql::render_schema(&snapshot.schema, dialect));
            continue;
        }
        let findings = linter.file(&text).map_err(|error| FilesError::Sql {
            path: file.sql_path.clone(),
            error,
        })?;
        refused.extend(findings.into_iter().map(|finding| Refused {
            path: file.sql_path.clone(),
            finding,
        }));
    }
    Ok(refused)
}

/// A statement of a migration file that [`lint_folder`] refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub path: PathBuf,
    pub finding: Finding,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}\n  help: {}",
            self.path.display(),
            self.finding.line,
            self.finding.message,
            self.finding.help
        )
    }
}

/// The checksum recorded for an applied file: SHA-256 of its bytes, lower-case hex.
pub fn checksum(sql: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(sql.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_differ_for_edits() {
        assert_ne!(checksum("a;"), checksum("a; "));
        assert_eq!(checksum("").len(), 64);
        assert!(checksum("").starts_with("e3b0c442"));
    }

    #[test]
    fn listing_orders_and_rejects_bad_names() {
        let dir = std::env::temp_dir().join(format!("auth-core-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        for name in ["0010_b.sql", "0002_a.sql", "0002_a.json", "notes.txt"] {
            std::fs::write(dir.join(name), "").unwrap_or_else(|e| panic!("{e}"));
        }
        let names: Vec<String> = list(&dir)
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, ["0002_a", "0010_b"]);
        std::fs::write(dir.join("x.sql"), "").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(list(&dir), Err(FilesError::BadName { .. })));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
