//! The organization suite (`tests/conformance/organization.mjs`, better-auth's
//! `organizationClient`) against our server on SQLite, PostgreSQL and MariaDB and against the
//! real better-auth; and `organization-interop.mjs` between the two on one database and secret:
//! organizations, members and invitations made on either are listed and usable on the other,
//! and a role set by either is enforced by the other.

use super::*;

/// `reference-server.mjs`'s `ORGANIZATION=1`, as auth.toml.
const ORGANIZATION: &str = include_str!("organization.toml");

/// The organization suite has 39 checks.
const MIN_ORGANIZATION_CHECKS: u64 = 39;

fn organization_suite(project: &Project, server: &Running) {
    run_suite(
        "organization.mjs",
        MIN_ORGANIZATION_CHECKS,
        project,
        server,
        &[],
    );
}

suite_everywhere!(
    ORGANIZATION,
    organization_suite,
    "conformance_organization",
    &[("ORGANIZATION", "1")]
);

/// better-auth (which creates the schema) and our server on one SQLite file and secret.
#[test]
fn organization_interop_with_better_auth() {
    if !node_ready() {
        return;
    }
    Shared::start(ORGANIZATION, &[("ORGANIZATION", "1")]).run("organization-interop.mjs", &[], 14);
}

/// The teams suite (`tests/conformance/organization-teams.mjs`, `organizationClient({ teams:
/// { enabled: true } })`) on SQLite, PostgreSQL and MariaDB and against the real better-auth;
/// and `organization-teams-interop.mjs`: a team made on either server is listed and usable on
/// the other.
mod teams {
    use super::*;

    /// `reference-server.mjs`'s `ORGANIZATION=1 ORGANIZATION_TEAMS=1`, as auth.toml.
    const TEAMS: &str = include_str!("organization-teams.toml");

    const ENV: &[(&str, &str)] = &[("ORGANIZATION", "1"), ("ORGANIZATION_TEAMS", "1")];

    /// The teams suite has 21 checks.
    const MIN_TEAMS_CHECKS: u64 = 21;

    fn teams_suite(project: &Project, server: &Running) {
        run_suite(
            "organization-teams.mjs",
            MIN_TEAMS_CHECKS,
            project,
            server,
            &[],
        );
    }

    suite_everywhere!(TEAMS, teams_suite, "conformance_organization_teams", ENV);

    /// better-auth (which creates the schema) and our server on one SQLite file and secret.
    #[test]
    fn teams_interop_with_better_auth() {
        if !node_ready() {
            return;
        }
        Shared::start(TEAMS, ENV).run("organization-teams-interop.mjs", &[], 8);
    }
}
