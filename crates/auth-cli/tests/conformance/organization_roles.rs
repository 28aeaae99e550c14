//! The dynamic access control suite (`tests/conformance/organization-roles.mjs`,
//! `organizationClient({ dynamicAccessControl: { enabled: true } })`) against our server on
//! SQLite, PostgreSQL and MariaDB and against the real better-auth; and
//! `organization-roles-interop.mjs` between the two on one database and secret: a role created
//! (or changed) on either is enforced by the other.

use super::*;

/// `reference-server.mjs`'s `ORGANIZATION=1 DYNAMIC_ACCESS_CONTROL=1`, as auth.toml.
const ROLES: &str = include_str!("organization-roles.toml");

const ENV: &[(&str, &str)] = &[("ORGANIZATION", "1"), ("DYNAMIC_ACCESS_CONTROL", "1")];

/// The suite has 12 checks.
const MIN_ROLES_CHECKS: u64 = 12;

fn roles_suite(project: &Project, server: &Running) {
    run_suite(
        "organization-roles.mjs",
        MIN_ROLES_CHECKS,
        project,
        server,
        &[],
    );
}

suite_everywhere!(ROLES, roles_suite, "conformance_org_roles", ENV);

/// better-auth (which creates the schema) and our server on one SQLite file and secret.
#[test]
fn organization_roles_interop_with_better_auth() {
    if !node_ready() {
        return;
    }
    let project = suite_project(ROLES);
    let file = project.path().join("shared.sqlite");
    let reference = better_auth_on(&project, &file, ENV);
    let ours = project.serve_url(&format!("sqlite:{}", file.display()));
    run_node(
        "organization-roles-interop.mjs",
        &["--a", &reference.origin, "--b", &ours.origin],
        &[&reference, &ours],
        10,
        project.path(),
    );
}
