//! better-auth's `genericOAuth`: its providers (`[plugins.generic-oauth.providers.<id>]`) join
//! the social providers when the server is built ([`ProviderConfig::generic`]), and are served
//! by the core's `sign-in/social`, `callback/:id` and `link-social` — better-auth 1.7.25 gives
//! the plugin no endpoints of its own.
//!
//! [`ProviderConfig::generic`]: crate::oauth::ProviderConfig::generic

use auth_core::schema::Plugin;

use super::Runtime;

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::GenericOauth,
    handlers: &[],
    sign_in_guard: None,
    on_request: None,
    before: None,
    after: None,
    session_guard: None,
    database_hooks: None,
};
