//! `auth-cli migrate baseline`: adopts a database that better-auth's own CLI created. The live
//! schema must be that of `auth.toml` up to the shapes better-auth writes differently
//! ([`auth_core::adopt`]); then `0001_baseline.sql` (comments only) and its snapshot (the schema
//! as the database holds it) are written, and version 1 is recorded as applied. Nothing else in
//! the database changes. The indexes the toolkit adds beyond better-auth's schema are left to the
//! next migration, written alongside for `auth-cli migrate apply`.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::adopt::{Adoption, adopt};
use auth_core::migrate::{Snapshot, files};
use auth_core::sql::Difference;
use auth_core::{Config, Dialect, Schema};
use auth_runtime::builder::BASELINE;
use auth_runtime::migrate::{Database, DatabaseUrl, MigrateError, Migrations};

use crate::opt::MigrateBaselineOpt;
use crate::{CliError, stdout_error};

const REPAIR_ISSUER: &str = "0002_repair_issuer";

/// The slug of the migration that creates the toolkit's own indexes a better-auth database lacks.
const TOOLKIT_INDEXES: &str = "toolkit_indexes";

pub(crate) async fn baseline(
    opt: &MigrateBaselineOpt,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let config = Config::load(&opt.config)?;
    let schema = Schema::build(&config)?;
    let url = DatabaseUrl::parse(&opt.database_url)?;
    let dialect = url.dialect();
    let folder = opt.dir.join(dialect.as_str());
    let existing = files::list(&folder)?;
    if !existing.is_empty() {
        return Err(CliError::BaselineFolder {
            dir: folder,
            files: existing.into_iter().map(|f| f.name).collect(),
        });
    }
    let mut database = Database::connect(&url).await?;
    let result = adopt_database(opt, &schema, &url, &mut database).await;
    database.close().await;
    let report = result?;
    stdout.write_all(report.as_bytes()).map_err(stdout_error)
}

/// Checks, writes the files, records the baseline; returns what to print.
async fn adopt_database(
    opt: &MigrateBaselineOpt,
    schema: &Schema,
    url: &DatabaseUrl,
    database: &mut Database,
) -> Result<String, CliError> {
    let dialect = url.dialect();
    let applied = database.applied().await?;
    if !applied.is_empty() {
        return Err(MigrateError::AlreadyManaged {
            applied: applied.into_iter().map(|r| r.name).collect(),
        }
        .into());
    }
    let actual = database.introspect().await?;
    let adoption = adopt(schema, dialect, &actual);
    if !adoption.mismatches.is_empty() || (adoption.issuer.is_some() && !opt.repair_issuer) {
        return Err(CliError::NotRecognised(refusal(opt, url, &adoption)));
    }

    let folder = opt.dir.join(dialect.as_str());
    std::fs::create_dir_all(&folder).map_err(|source| CliError::Write {
        path: folder.clone(),
        source,
    })?;
    let snapshot = serde_json::to_string_pretty(&Snapshot::new(dialect, adoption.as_found(schema)))
        .map_err(|error| CliError::Write {
            path: folder.join(format!("{BASELINE}.json")),
            source: std::io::Error::other(error),
        })?
        + "\n";
    let mut written = Vec::new();
    let result =
        write_files(opt, dialect, &adoption, &snapshot, &folder, &mut written).and_then(|()| {
            let next = files::write_next(schema, dialect, &opt.dir, TOOLKIT_INDEXES, false)?;
            if let Some(next) = &next {
                written.push(next.sql_path.clone());
                written.push(next.sql_path.with_extension("json"));
            }
            Ok(next)
        });
    let result = match result {
        Ok(next) => record(opt, dialect, database).await.map(|()| next),
        Err(error) => Err(error),
    };
    let next = match result {
        Ok(next) => next,
        Err(error) => {
            // Nothing is left behind: the folder is as it was.
            for path in written {
                let _ = std::fs::remove_file(path);
            }
            return Err(error);
        }
    };

    let mut out = format!(
        "adopted {url}: its {} tables are the schema of {}",
        adoption.tables,
        opt.config.display()
    );
    if !adoption.tolerated.is_empty() {
        let _ = write!(
            out,
            " as better-auth's CLI creates it ({} tolerated {})",
            adoption.tolerated.len(),
            plural(adoption.tolerated.len(), "difference", "differences")
        );
    }
    let _ = writeln!(
        out,
        "\nwrote {} (no statements) and its snapshot; recorded {BASELINE} as applied",
        folder.join(format!("{BASELINE}.sql")).display()
    );
    if let Some(issuer) = &adoption.issuer {
        let _ = writeln!(
            out,
            "wrote {} ({} statements): run `auth-cli migrate apply` to drop {}.{}",
            folder.join(format!("{REPAIR_ISSUER}.sql")).display(),
            issuer.repair(dialect).len(),
            issuer.table,
            auth_core::adopt::ISSUER_COLUMN
        );
    }
    if let Some(next) = next {
        let _ = writeln!(
            out,
            "wrote {} ({} statements): run `auth-cli migrate apply` to create the indexes auth-cli adds beyond better-auth's schema",
            next.sql_path.display(),
            next.statements
        );
    }
    Ok(out)
}

fn write_files(
    opt: &MigrateBaselineOpt,
    dialect: Dialect,
    adoption: &Adoption,
    snapshot: &str,
    folder: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<(), CliError> {
    let mut write = |name: &str, extension: &str, text: &str| {
        let path = folder.join(format!("{name}.{extension}"));
        // `create_new`: never overwrite a file another run wrote meanwhile.
        let result = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut file| file.write_all(text.as_bytes()));
        match result {
            Ok(()) => {
                written.push(path);
                Ok(())
            }
            Err(source) => Err(CliError::Write { path, source }),
        }
    };
    // The snapshot first: a `.json` without its `.sql` is ignored, the reverse would not be.
    write(BASELINE, "json", snapshot)?;
    write(BASELINE, "sql", &baseline_sql(opt, dialect, adoption))?;
    if let Some(issuer) = &adoption.issuer {
        let mut sql = format!(
            "-- @generated by auth-cli {} for {dialect}: migration {REPAIR_ISSUER}; do not edit, create a new migration instead\n\
             -- Repairs what better-auth 1.7.0-1.7.2 left behind: the index over {table}.{column}, then the column.\n",
            auth_core::VERSION,
            table = issuer.table,
            column = auth_core::adopt::ISSUER_COLUMN,
        );
        for statement in issuer.repair(dialect) {
            let _ = write!(sql, "\n{statement}\n");
        }
        write(REPAIR_ISSUER, "json", snapshot)?;
        write(REPAIR_ISSUER, "sql", &sql)?;
    }
    Ok(())
}

async fn record(
    opt: &MigrateBaselineOpt,
    dialect: Dialect,
    database: &mut Database,
) -> Result<(), CliError> {
    let migrations = Migrations::load(&opt.dir, dialect)?;
    let Some(baseline) = migrations.files.iter().find(|m| m.name == BASELINE) else {
        return Err(CliError::Write {
            path: migrations.dir.join(format!("{BASELINE}.sql")),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    };
    database.record_baseline(baseline).await?;
    Ok(())
}

/// `0001_baseline.sql`: a header and comments, no statement.
fn baseline_sql(opt: &MigrateBaselineOpt, dialect: Dialect, adoption: &Adoption) -> String {
    let mut out = format!(
        "-- @generated by auth-cli {} for {dialect}: migration {BASELINE}; do not edit, create a new migration instead\n\
         --\n\
         -- Baseline: this file holds no statement. The database was created by better-auth's own CLI\n\
         -- (`auth migrate`) and adopted by `auth-cli migrate baseline` on {} from {}:\n\
         -- it holds the schema of {BASELINE}.json, and nothing in it was changed.\n\
         -- Later migrations start from that snapshot.\n",
        auth_core::VERSION,
        utc_now(),
        opt.config.display(),
    );
    if !adoption.tolerated.is_empty() {
        let _ = write!(
            out,
            "--\n-- {} tolerated {} (shapes better-auth's CLI writes; `auth-cli check` accepts them):\n",
            adoption.tolerated.len(),
            plural(adoption.tolerated.len(), "difference", "differences")
        );
        for tolerated in &adoption.tolerated {
            let _ = writeln!(out, "--   - {tolerated}");
        }
    }
    if let Some(issuer) = &adoption.issuer {
        let _ = write!(
            out,
            "--\n-- Still to repair, by {REPAIR_ISSUER}: {issuer}.\n"
        );
    }
    out
}

/// Why baseline refused, and what to do.
fn refusal(opt: &MigrateBaselineOpt, url: &DatabaseUrl, adoption: &Adoption) -> String {
    let dialect = url.dialect();
    let problems = adoption.mismatches.len() + usize::from(adoption.issuer.is_some());
    let mut out = format!(
        "{url} is not the schema of {} as better-auth's CLI creates it ({problems} {}); nothing was written:",
        opt.config.display(),
        plural(problems, "problem", "problems")
    );
    for mismatch in &adoption.mismatches {
        let _ = write!(out, "\n  - {mismatch}");
    }
    if let Some(issuer) = &adoption.issuer {
        let _ = write!(
            out,
            "\n  - {issuer}.\n    Repair it in this order: drop the index, then drop the column (or make it nullable):"
        );
        for statement in issuer.repair(dialect) {
            let _ = write!(out, "\n        {statement}");
        }
        let _ = write!(
            out,
            "\n    or re-run with --repair-issuer to adopt the database and write these statements as {REPAIR_ISSUER} for `auth-cli migrate apply`."
        );
    }
    let has = |f: fn(&Difference) -> bool| adoption.mismatches.iter().any(f);
    if has(|d| {
        matches!(
            d,
            Difference::MissingTable { .. } | Difference::MissingColumn { .. }
        )
    }) {
        out.push_str(
            "\nhelp: auth.toml asks for tables or columns the database lacks: let better-auth's CLI create them first (`auth migrate` with the same plugins), or remove them from auth.toml",
        );
    }
    if has(|d| {
        matches!(
            d,
            Difference::ExtraTable { .. } | Difference::ExtraColumn { .. }
        )
    }) {
        out.push_str(
            "\nhelp: the database has tables or columns auth.toml does not declare: enable the plugins that own them, or declare the columns as additional fields",
        );
    }
    if has(|d| matches!(d, Difference::MissingForeignKey { .. })) && dialect == Dialect::Mysql {
        out.push_str(
            "\nhelp: MySQL up to 8.4 ignores better-auth's inline `references`: add the missing foreign keys by hand",
        );
    }
    out
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// The current time in UTC, ISO-8601 to the second (`2026-11-28T08:16:29Z`).
fn utc_now() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (never negative here).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc_now;

    #[test]
    fn utc_now_is_iso_8601() {
        let now = utc_now();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.starts_with("20") && now.ends_with('Z'), "{now}");
        assert_eq!(&now[10..11], "T");
    }
}
