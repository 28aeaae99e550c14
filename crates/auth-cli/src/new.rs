//! `auth-cli migrate new`: the difference between the last migration's snapshot and `auth.toml`,
//! written as the next `NNNN_<slug>.sql` with its snapshot. Offline: no database, no network.

use std::io::Write;
use std::path::{Path, PathBuf};

use auth_core::migrate::{Snapshot, files, plan};
use auth_core::{Config, Dialect, Schema};

use crate::opt::MigrateNewOpt;
use crate::{CliError, stdout_error};

pub(crate) fn new(opt: &MigrateNewOpt, stdout: &mut dyn Write) -> Result<(), CliError> {
    let valid = !opt.slug.is_empty()
        && opt
            .slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !valid {
        return Err(CliError::BadSlug(opt.slug.clone()));
    }
    let config = Config::load(&opt.config)?;
    let folder = opt.dir.join(opt.dialect.as_str());
    let Some(written) = write_next(
        &config,
        opt.dialect,
        &opt.dir,
        &opt.slug,
        opt.allow_destructive,
    )?
    else {
        return writeln!(
            stdout,
            "nothing to do: {} already matches {}",
            folder.display(),
            opt.config.display()
        )
        .map_err(stdout_error);
    };
    writeln!(
        stdout,
        "wrote {} ({} statements)",
        written.sql_path.display(),
        written.statements
    )
    .map_err(stdout_error)?;
    for reason in written.destructive {
        writeln!(stdout, "  destructive: {reason}").map_err(stdout_error)?;
    }
    Ok(())
}

/// A migration [`write_next`] wrote.
pub(crate) struct Written {
    pub(crate) sql_path: PathBuf,
    pub(crate) statements: usize,
    pub(crate) destructive: Vec<String>,
}

/// Writes the difference between the last snapshot of `<dir>/<dialect>` and `config` as the next
/// migration; `None` when there is none. Destructive plans are refused unless allowed.
pub(crate) fn write_next(
    config: &Config,
    dialect: Dialect,
    dir: &Path,
    slug: &str,
    allow_destructive: bool,
) -> Result<Option<Written>, CliError> {
    let schema = Schema::build(config)?;
    let folder = dir.join(dialect.as_str());
    let existing = files::list(&folder)?;
    let previous = match existing.last() {
        Some(last) => {
            let snapshot = files::read_snapshot(last)?;
            if snapshot.dialect != dialect {
                return Err(CliError::SnapshotDialect {
                    path: last.snapshot_path.clone(),
                    found: snapshot.dialect,
                    expected: dialect,
                });
            }
            Some(snapshot.schema)
        }
        None => None,
    };
    let migration = plan(previous.as_ref(), &schema, dialect);
    if migration.is_empty() {
        return Ok(None);
    }
    let destructive: Vec<String> = migration
        .destructive()
        .into_iter()
        .map(str::to_owned)
        .collect();
    if !destructive.is_empty() && !allow_destructive {
        return Err(CliError::Destructive {
            reasons: destructive,
        });
    }
    let version = existing.last().map_or(1, |last| last.version + 1);
    let name = format!("{version:04}_{slug}");
    let sql_path = folder.join(format!("{name}.sql"));
    let snapshot_path = folder.join(format!("{name}.json"));
    let write = |path: &Path, text: String| {
        std::fs::write(path, text).map_err(|source| CliError::Write {
            path: path.to_owned(),
            source,
        })
    };
    std::fs::create_dir_all(&folder).map_err(|source| CliError::Write {
        path: folder.clone(),
        source,
    })?;
    let snapshot = Snapshot::new(dialect, schema);
    let json = serde_json::to_string_pretty(&snapshot).map_err(|error| CliError::Write {
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
