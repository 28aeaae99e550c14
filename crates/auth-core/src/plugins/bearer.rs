//! better-auth's `bearer` plugin: `Authorization: Bearer <token>` stands for the session cookie,
//! and every answer that sets the session cookie also carries it in `set-auth-token`.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Declaration, no_amendment, no_endpoints};
use crate::schema::Plugin;

/// `[plugins.bearer]`: better-auth's `bearer({…})` options, kebab-case.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "BearerOptions")]
pub struct Options {
    /// Only the signed form (`<token>.<signature>`) is accepted, never the bare token.
    #[serde(default)]
    pub require_signature: bool,
}

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::Bearer,
    endpoints: no_endpoints,
    amend: no_amendment,
    check: super::no_check,
    errors: &[],
    rate_limits: &[],
};
