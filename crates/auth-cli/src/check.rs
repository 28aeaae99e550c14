//! `check`: a live database against `auth.toml`.

use std::io::Write;

use auth_core::sql::Difference;
use auth_core::{Config, Schema, adopt, drift};
use auth_runtime::migrate::{Database, DatabaseUrl};
use serde::Serialize;

use crate::baseline::BASELINE;
use crate::opt::CheckOpt;
use crate::{CliError, stdout_error};

/// What `check --json` prints. (Later checks add their own keys beside `drift`.)
#[derive(Debug, Serialize)]
struct Report<'a> {
    drift: &'a [Difference],
    /// Tables in the schema of `auth.toml`.
    tables: usize,
    /// Adopted from better-auth (`migrate baseline`): the differences of better-auth's shapes
    /// that are not drift.
    #[serde(skip_serializing_if = "Option::is_none")]
    tolerated: Option<&'a [auth_core::adopt::Tolerated]>,
}

/// A live database against a schema: the drift, and what is tolerated on a database adopted from
/// better-auth.
pub(crate) struct Findings {
    pub(crate) drift: drift::Drift,
    pub(crate) tolerated: Option<Vec<adopt::Tolerated>>,
}

pub(crate) async fn findings(schema: &Schema, url: &DatabaseUrl) -> Result<Findings, CliError> {
    let mut database = Database::connect(url).await?;
    let actual = database.introspect().await;
    let applied = database.applied().await;
    database.close().await;
    let (actual, applied) = (actual?, applied?);
    let mut drift = drift::drift(schema, url.dialect(), &actual);
    // A database adopted from better-auth keeps better-auth's shapes: they are not drift.
    let adopted = applied.first().is_some_and(|first| {
        first.version == 1 && first.name == BASELINE && first.statements_done == 0
    });
    let tolerated = adopted.then(|| {
        let adoption = adopt::adopt(schema, url.dialect(), &actual);
        drift
            .differences
            .retain(|d| !adoption.tolerated.iter().any(|t| &t.difference == d));
        adoption.tolerated
    });
    Ok(Findings { drift, tolerated })
}

pub(crate) async fn check(opt: &CheckOpt, stdout: &mut dyn Write) -> Result<(), CliError> {
    let config = Config::load(&opt.config)?;
    let schema = Schema::build(&config)?;
    let url = DatabaseUrl::parse(&opt.database_url)?;
    let Findings { drift, tolerated } = findings(&schema, &url).await?;
    let out = if opt.json {
        let report = Report {
            drift: &drift.differences,
            tables: drift.tables,
            tolerated: tolerated.as_deref(),
        };
        let mut json = serde_json::to_string_pretty(&report)
            .map_err(|error| stdout_error(std::io::Error::other(error)))?;
        json.push('\n');
        json
    } else {
        let mut out = if drift.is_clean() {
            format!(
                "no drift: {} tables match {}\n",
                drift.tables,
                opt.config.display()
            )
        } else {
            drift.differences.iter().map(|d| format!("{d}\n")).collect()
        };
        if let Some(tolerated) = &tolerated {
            out.push_str(&format!(
                "adopted from better-auth: {} tolerated difference{}\n",
                tolerated.len(),
                if tolerated.len() == 1 { "" } else { "s" }
            ));
        }
        out
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
