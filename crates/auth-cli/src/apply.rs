//! `migrate apply` and `migrate status`: the migrations folder against a live database.

use std::io::Write;

use auth_core::Dialect;
use auth_core::migrate::files::{self, FilesError};
use auth_runtime::migrate::{self, Database, DatabaseUrl, Migrations, State};

use crate::opt::{MigrateApplyOpt, MigrateLintOpt, MigrateStatusOpt};
use crate::{CliError, stdout_error};

/// `migrate lint`: every dialect folder of `--dir`.
pub(crate) fn lint(opt: &MigrateLintOpt, stdout: &mut dyn Write) -> Result<(), CliError> {
    let mut refused = Vec::new();
    let mut read = 0;
    for dialect in Dialect::ALL {
        let dir = opt.dir.join(dialect.as_str());
        read += files::list(&dir)?.len();
        refused.extend(files::lint_folder(&dir, dialect)?);
    }
    if !refused.is_empty() {
        return Err(FilesError::Refused { refused }.into());
    }
    writeln!(
        stdout,
        "{read} migration file{} read, nothing refused",
        if read == 1 { "" } else { "s" }
    )
    .map_err(stdout_error)
}

pub(crate) async fn apply(opt: &MigrateApplyOpt, stdout: &mut dyn Write) -> Result<(), CliError> {
    let url = DatabaseUrl::parse(&opt.database_url)?;
    let migrations = Migrations::load(&opt.dir, url.dialect())?;
    // Nothing is applied from a folder that holds a refused statement.
    let refused = files::lint_folder(&migrations.dir, url.dialect())?;
    if !refused.is_empty() {
        return Err(FilesError::Refused { refused }.into());
    }
    let mut database = Database::connect_or_create(&url).await?;
    // Each file is reported as soon as it is done, so a later failure leaves the list on stdout.
    let mut written = Ok(());
    let result = database
        .apply(&migrations, &mut |applied| {
            if written.is_ok() {
                written = writeln!(stdout, "{applied}");
            }
        })
        .await;
    database.close().await;
    let summary = result?;
    written.map_err(stdout_error)?;
    let line = if migrations.files.is_empty() {
        format!(
            "nothing to apply: {} holds no migrations",
            migrations.dir.display()
        )
    } else {
        summary.to_string()
    };
    writeln!(stdout, "{line}").map_err(stdout_error)
}

pub(crate) async fn status(opt: &MigrateStatusOpt, stdout: &mut dyn Write) -> Result<(), CliError> {
    let url = DatabaseUrl::parse(&opt.database_url)?;
    let migrations = Migrations::load(&opt.dir, url.dialect())?;
    let mut out = String::new();
    let entries = match &url {
        // Nothing to read, and reading must not create it.
        DatabaseUrl::Sqlite(path) if !path.exists() => {
            out.push_str(&format!(
                "{url} does not exist yet: `migrate apply` creates it\n"
            ));
            migrate::status(&migrations, &[])
        }
        _ => {
            let mut database = Database::connect(&url).await?;
            let result = database.status(&migrations).await;
            database.close().await;
            result?
        }
    };
    if entries.is_empty() {
        out.push_str(&format!(
            "no migrations: {} holds none and {url} has applied none\n",
            migrations.dir.display()
        ));
    }
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    let mut tally = [0usize; 4];
    for entry in &entries {
        out.push_str(&format!("{:width$}  {}\n", entry.name, entry.state));
        let slot = match entry.state {
            State::Applied { .. } => 0,
            State::Pending => 1,
            State::Partial { .. } => 2,
            State::OutOfOrder { .. } | State::Edited { .. } | State::Missing { .. } => 3,
        };
        tally[slot] += 1;
    }
    if !entries.is_empty() {
        let [applied, pending, partial, problems] = tally;
        out.push_str(&format!(
            "{applied} applied, {pending} pending, {partial} partially applied, {problems} refused by `migrate apply`\n"
        ));
    }
    stdout.write_all(out.as_bytes()).map_err(stdout_error)
}
