//! The api-key suite (`tests/conformance/api-key.mjs`: better-auth's official client with
//! `apiKeyClient` from `@better-auth/api-key` 1.7.5) against our server on SQLite, PostgreSQL and
//! MariaDB and against the real better-auth; and `api-key-interop.mjs` between the two on one
//! database and secret.

use super::*;

/// `reference-server.mjs`'s `API_KEY=1`, as auth.toml.
const API_KEY: &str = include_str!("api-key.toml");

/// The api-key suite has 17 checks.
const MIN_API_KEY_CHECKS: u64 = 17;

fn api_key_suite(project: &Project, server: &Running) {
    run_suite("api-key.mjs", MIN_API_KEY_CHECKS, project, server, &[]);
}

suite_everywhere!(
    API_KEY,
    api_key_suite,
    "conformance_api_key",
    &[("API_KEY", "1")]
);

/// better-auth (which creates the schema) and our server on one SQLite file and secret: keys
/// made on either authenticate on the other, uses, quotas and rate limits are counted in one row,
/// keys are renamed, disabled and deleted across servers.
#[test]
fn api_key_interop_with_better_auth() {
    if !node_ready() {
        return;
    }
    let shared = Shared::start(API_KEY, &[("API_KEY", "1")]);
    shared.run("api-key-interop.mjs", &["--db", &shared.db()], 10);
}
