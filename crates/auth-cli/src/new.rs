//! `auth-cli migrate new`: the difference between the last migration's snapshot and `auth.toml`,
//! written as the next `NNNN_<slug>.sql` with its snapshot. Offline: no database, no network.

use auth_core::migrate::files;
use auth_core::{Config, Schema};
use std::io::Write;

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
    let schema = Schema::build(&config)?;
    let Some(written) = files::write_next(
        &schema,
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
