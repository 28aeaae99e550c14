//! One module per plugin the runtime serves: what it declares besides its tables — its options
//! (`[plugins.<id>]`), its endpoints, its error codes, its rate-limit rules. Its tables and
//! columns are in `schema::registry::plugins`, with every other plugin's, because schema tools
//! accept all thirty plugins while the runtime serves these.
//!
//! To add a plugin: a module here with a [`Declaration`], listed in [`DECLARED`]; its options
//! type named in `config::plugins`; and its handlers in `auth-runtime`'s `plugins/<id>.rs`.

pub mod access;
pub mod admin;
pub mod anonymous;
pub mod api_key;
pub mod bearer;
pub mod email_otp;
pub mod generic_oauth;
pub mod jwt;
pub mod last_login_method;
pub mod magic_link;
pub mod multi_session;
pub mod one_time_token;
pub mod open_api;
pub mod organization;
pub mod passkey;
pub mod phone_number;
pub mod two_factor;
pub mod username;

use schemars::JsonSchema;
use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

use serde::Deserialize;

use crate::config::{Config, ConfigError};
use crate::endpoints::Endpoint;
use crate::errors::ErrorCode;
use crate::schema::Plugin;

/// How a plugin keeps its tokens in `verification` (better-auth's `storeToken`, shared by
/// one-time-token and magic-link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StoreToken {
    #[default]
    Plain,
    /// SHA-256, base64url without padding.
    Hashed,
}

/// better-auth's `rateLimit` rule of a plugin: requests to paths under `prefix` are limited to
/// `max` per `window` seconds (when the rate limiter is on and no `[rate-limit]` rule matches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateRule {
    pub prefix: &'static str,
    pub window: u32,
    pub max: u32,
}

/// What one plugin adds to the server.
#[derive(Debug, Clone, Copy)]
pub struct Declaration {
    pub plugin: Plugin,
    /// Its endpoints, for a configuration that enables it.
    pub endpoints: fn(&Config) -> Vec<Endpoint>,
    /// What it changes in other endpoints' declarations (two-factor's sign-in answer).
    pub amend: fn(&Config, &mut [Endpoint]),
    /// Its checks of the whole file (a plugin that sends mail needs a `[mailer]`).
    pub check: fn(&Config) -> Result<(), ConfigError>,
    /// Its error codes (better-auth's `$ERROR_CODES` of the plugin).
    pub errors: &'static [ErrorCode],
    pub rate_limits: &'static [RateRule],
}

/// Every plugin with a declaration, in canonical order.
pub const DECLARED: &[Declaration] = &[
    two_factor::DECLARATION,
    organization::DECLARATION,
    admin::DECLARATION,
    username::DECLARATION,
    anonymous::DECLARATION,
    phone_number::DECLARATION,
    passkey::DECLARATION,
    api_key::DECLARATION,
    jwt::DECLARATION,
    multi_session::DECLARATION,
    magic_link::DECLARATION,
    email_otp::DECLARATION,
    last_login_method::DECLARATION,
    bearer::DECLARATION,
    open_api::DECLARATION,
    generic_oauth::DECLARATION,
    one_time_token::DECLARATION,
];

/// For a plugin that declares no endpoints (it only hooks into others).
fn no_endpoints(_: &Config) -> Vec<Endpoint> {
    Vec::new()
}

/// For a plugin that changes no other endpoint's declaration.
fn no_amendment(_: &Config, _: &mut [Endpoint]) {}

/// For a plugin with no check of the whole file.
fn no_check(_: &Config) -> Result<(), ConfigError> {
    Ok(())
}

/// Refuses `plugin` at its table when there is no `[mailer]`: `what` says why it needs one.
fn needs_mailer(config: &Config, plugin: Plugin, what: &str) -> Result<(), ConfigError> {
    match config.plugins.span(plugin) {
        Some(span) if config.mailer.is_none() => Err(config.error_at(
            span,
            format!("{what}, but there is no [mailer]"),
            "add a [mailer] table: kind = \"smtp\" with url and from, or kind = \"log\" to print them during development",
        )),
        _ => Ok(()),
    }
}

/// A configured endpoint path (jwt's `jwks-path`, open-api's `path`): better-auth's rule (`/`
/// first, no `..`), and one plain path: no parameter, query or fragment.
fn plain_path<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    option: &str,
) -> Result<String, D::Error> {
    let path = String::deserialize(deserializer)?;
    let plain = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b));
    if path.len() < 2 || !path.starts_with('/') || path.contains("..") || !plain {
        return Err(serde::de::Error::custom(format!(
            "{option} must start with '/', name a path (letters, digits, '/', '-', '_', '.', '~') and not contain '..'"
        )));
    }
    Ok(path)
}

/// Endpoint paths are `&'static str`: a configured path is kept once per distinct value.
fn static_path(path: &str) -> &'static str {
    static PATHS: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut paths = PATHS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(kept) = paths.get(path) {
        return kept;
    }
    let kept: &'static str = Box::leak(path.to_owned().into_boxed_str());
    paths.insert(kept);
    kept
}

/// A count or a lifetime that must be at least 1 (refused at its line otherwise).
fn at_least_one<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let value = <u64 as serde::Deserialize>::deserialize(deserializer)?;
    if value == 0 {
        return Err(serde::de::Error::custom("must be at least 1"));
    }
    Ok(value)
}

/// An OTP's length in digits: 1 to 16 (email-otp's and phone-number's `otp-length`).
fn otp_length<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    let length = <usize as serde::Deserialize>::deserialize(deserializer)?;
    if (1..=16).contains(&length) {
        Ok(length)
    } else {
        Err(serde::de::Error::custom(format!(
            "otp-length must be between 1 and 16, not {length}"
        )))
    }
}

/// better-auth's defaults for a code sent by mail or SMS: 6 digits, 3 wrong answers, 5 minutes.
fn six_digits() -> usize {
    6
}

fn three_attempts() -> u64 {
    3
}

fn five_minutes() -> u64 {
    300
}

/// Runs the checks of the plugins `config` enables; a server runs them before it starts (the
/// schema tools accept a plugin without what it needs to run).
pub fn check(config: &Config) -> Result<(), ConfigError> {
    enabled(config).try_for_each(|d| (d.check)(config))
}

/// The rate-limit rules of the plugins `config` enables, in plugin order.
pub fn rate_rules(config: &Config) -> Vec<RateRule> {
    enabled(config)
        .flat_map(|d| d.rate_limits.iter().copied())
        .collect()
}

/// The declarations of the plugins `config` enables.
pub fn enabled(config: &Config) -> impl Iterator<Item = &'static Declaration> {
    let on = config.plugins.enabled();
    DECLARED.iter().filter(move |d| on.contains(&d.plugin))
}

#[cfg(test)]
mod tests;
