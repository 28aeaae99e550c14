//! `check`: a live database against `auth.toml`.

use std::io::Write;

use auth_core::sql::Difference;
use auth_core::{Config, Schema, drift};
use auth_runtime::migrate::{Database, DatabaseUrl};
use serde::Serialize;

use crate::opt::CheckOpt;
use crate::{CliError, stdout_error};

/// What `check --json` prints. (Later checks add their own keys beside `drift`.)
#[derive(Debug, Serialize)]
struct Report<'a> {
    drift: &'a [Difference],
    /// Tables in the schema of `auth.toml`.
    tables: usize,
}

pub(crate) async fn check(opt: &CheckOpt, stdout: &mut dyn Write) -> Result<(), CliError> {
    let config = Config::load(&opt.config)?;
    let schema = Schema::build(&config)?;
    let url = DatabaseUrl::parse(&opt.database_url)?;
    let mut database = Database::connect(&url).await?;
    let actual = database.introspect().await;
    database.close().await;
    let drift = drift::drift(&schema, url.dialect(), &actual?);

    let out = if opt.json {
        let report = Report {
            drift: &drift.differences,
            tables: drift.tables,
        };
        let mut json = serde_json::to_string_pretty(&report)
            .map_err(|error| stdout_error(std::io::Error::other(error)))?;
        json.push('\n');
        json
    } else if drift.is_clean() {
        format!(
            "no drift: {} tables match {}\n",
            drift.tables,
            opt.config.display()
        )
    } else {
        drift.differences.iter().map(|d| format!("{d}\n")).collect()
    };
    stdout.write_all(out.as_bytes()).map_err(stdout_error)?;
    if drift.is_clean() {
        Ok(())
    } else {
        Err(CliError::Drift {
            differences: drift.differences.len(),
            config: opt.config.clone(),
        })
    }
}
