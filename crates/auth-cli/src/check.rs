//! `check`: `auth.toml` alone (callback URLs, warnings, the mail and SMS templates), and a live
//! database against it.

use std::io::Write;

use auth_core::sql::Difference;
use auth_core::{Config, Schema};
use auth_runtime::builder::{Findings, findings};
use auth_runtime::migrate::DatabaseUrl;
use serde::Serialize;

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

/// A provider's exact redirect URI (B6).
#[derive(Debug, Serialize)]
struct Callback {
    provider: String,
    url: String,
}

/// What the configuration alone tells: callback URLs to register and warnings.
fn config_findings(config: &Config, base_url: Option<&str>) -> (Vec<Callback>, Vec<String>) {
    let base = config
        .base_url
        .as_ref()
        .map(|u| u.get_ref().as_str())
        .or(base_url)
        .unwrap_or("http://127.0.0.1:3000")
        .trim_end_matches('/');
    let api = format!("{base}{}", config.base_path());
    let callbacks = config
        .social_providers
        .iter()
        .map(|(id, _)| Callback {
            provider: id.get_ref().clone(),
            url: auth_runtime::callback_url(&api, id.get_ref()),
        })
        .collect();
    let env = |name: &str| std::env::var(name).ok();
    let mut warnings: Vec<String> = config
        .social_providers
        .iter()
        .filter_map(|(id, provider)| provider.get_ref().credentials(id.get_ref(), &env).err())
        .collect();
    let session = &config.session;
    let (update_age, fresh_age) = (*session.update_age.get_ref(), *session.fresh_age.get_ref());
    if fresh_age != 0 && update_age > fresh_age {
        warnings.push(format!(
            "session update-age ({update_age} s) is longer than fresh-age ({fresh_age} s): freshness counts from a session's creation, so endpoints that need a fresh session (list-sessions, unlink-account) will ask active users to sign in again"
        ));
    }
    (callbacks, warnings)
}

/// What `check --json` prints.
#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    callbacks: &'a [Callback],
    warnings: &'a [String],
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    database: Option<Report<'a>>,
}

pub(crate) async fn check(opt: &CheckOpt, stdout: &mut dyn Write) -> Result<(), CliError> {
    let config = Config::load(&opt.config)?;
    let schema = Schema::build(&config)?;
    // The project's templates are parsed and rendered as `serve` does before it starts.
    auth_runtime::mail::Templates::for_config(&config)?;
    let (callbacks, warnings) = config_findings(&config, opt.base_url.as_deref());
    let findings = match &opt.database_url {
        Some(url) => {
            let url = DatabaseUrl::parse(url)?;
            Some(findings(&config, &schema, &url, false).await?)
        }
        None => None,
    };
    let out = if opt.json {
        let report = JsonReport {
            callbacks: &callbacks,
            warnings: &warnings,
            database: findings.as_ref().map(|f| Report {
                drift: &f.drift.differences,
                tables: f.drift.tables,
                tolerated: f.tolerated.as_deref(),
            }),
        };
        let mut json = serde_json::to_string_pretty(&report)
            .map_err(|error| stdout_error(std::io::Error::other(error)))?;
        json.push('\n');
        json
    } else {
        let mut out = String::new();
        for callback in &callbacks {
            out.push_str(&format!(
                "callback URL for {}: {} (register it with the provider exactly)\n",
                callback.provider, callback.url
            ));
        }
        for warning in &warnings {
            out.push_str(&format!("warning: {warning}\n"));
        }
        if let Some(Findings {
            drift,
            tolerated,
            unenforced,
        }) = &findings
        {
            for plugin in unenforced {
                out.push_str(&format!("serve refuses this database: {plugin}\n"));
            }
            if drift.is_clean() {
                out.push_str(&format!(
                    "no drift: {} tables match {}\n",
                    drift.tables,
                    opt.config.display()
                ));
            } else {
                for d in &drift.differences {
                    out.push_str(&format!("{d}\n"));
                }
            }
            if let Some(tolerated) = tolerated {
                out.push_str(&format!(
                    "adopted from better-auth: {} tolerated difference{}\n",
                    tolerated.len(),
                    if tolerated.len() == 1 { "" } else { "s" }
                ));
            }
        }
        out
    };
    stdout.write_all(out.as_bytes()).map_err(stdout_error)?;
    match findings {
        Some(Findings { drift, .. }) if !drift.is_clean() => Err(CliError::Drift {
            differences: drift.differences.len(),
            config: opt.config.clone(),
        }),
        _ => Ok(()),
    }
}
