//! The plugin suite (`tests/conformance/plugins.mjs`: two-factor, username, anonymous,
//! magic-link, email-otp, bearer, multi-session, one-time-token, last-login-method through better-auth's
//! client plugins)
//! against our server on SQLite, PostgreSQL and MariaDB and against the real better-auth; and
//! `plugins-interop.mjs` between the two on one database and secret.

use super::*;

/// `reference-server.mjs`'s `PLUGINS=1`, as auth.toml (its appName is the TOTP issuer).
const PLUGINS: &str = include_str!("plugins.toml");

/// The plugin suite has 128 checks.
const MIN_PLUGIN_CHECKS: u64 = 128;

fn plugin_suite(project: &Project, server: &Running) {
    run_suite("plugins.mjs", MIN_PLUGIN_CHECKS, project, server, &[]);
}

suite_everywhere!(
    PLUGINS,
    plugin_suite,
    "conformance_plugins",
    &[("PLUGINS", "1")]
);

/// better-auth (which creates the schema) and our server on one SQLite file and secret: 2FA
/// enabled on either challenges on both, TOTP secrets and backup codes cross, usernames,
/// one-time tokens, device sessions, anonymous linking, bearer tokens, magic links and email codes too.
#[test]
fn plugins_interop_with_better_auth() {
    if !node_ready() {
        return;
    }
    let shared = Shared::start(PLUGINS, &[("PLUGINS", "1")]);
    shared.run("plugins-interop.mjs", &["--outbox", &shared.outbox()], 30);
}
