//! The phone-number suite (`tests/conformance/phone-number.mjs`, better-auth's
//! `phoneNumberClient`) against our server on SQLite, PostgreSQL and MariaDB and against the real
//! better-auth (`reference-server.mjs` with `PHONE=1`); and `phone-number-interop.mjs` between the
//! two on one database and secret. Codes are read from the SMS lines in the outbox file.

use super::*;

/// `reference-server.mjs`'s `PHONE=1`, as auth.toml.
const PHONE: &str = include_str!("phone-number.toml");

/// The phone-number suite has 28 checks.
const MIN_PHONE_CHECKS: u64 = 28;

fn phone_suite(project: &Project, server: &Running) {
    run_suite("phone-number.mjs", MIN_PHONE_CHECKS, project, server, &[]);
}

#[test]
fn phone_number_official_client_sqlite() {
    on_sqlite(PHONE, phone_suite);
}

#[tokio::test]
async fn phone_number_official_client_postgres() {
    on_database::<sqlx::Postgres>("conformance_phone", PHONE, phone_suite).await;
}

#[tokio::test]
async fn phone_number_official_client_mysql() {
    on_database::<sqlx::MySql>("conformance_phone", PHONE, phone_suite).await;
}

/// The same suite against better-auth 1.7.25 with the same plugin: it describes better-auth.
#[test]
fn phone_number_suite_passes_against_better_auth() {
    if !node_ready() {
        return;
    }
    let project = suite_project(PHONE);
    let file = project.path().join("reference.sqlite");
    let reference = Running::better_auth(
        &file,
        &outbox(&project),
        true,
        project.path(),
        &[("PHONE", "1")],
    );
    phone_suite(&project, &reference);
}

/// better-auth (which creates the schema) and our server on one SQLite file and secret: codes
/// either sends the other verifies, users either signs up sign in and reset on the other.
#[test]
fn phone_number_interop_with_better_auth() {
    if !node_ready() {
        return;
    }
    let project = suite_project(PHONE);
    let file = project.path().join("shared.sqlite");
    let outbox = outbox(&project);
    let reference = Running::better_auth(&file, &outbox, true, project.path(), &[("PHONE", "1")]);
    let ours = project.serve_url(&format!("sqlite:{}", file.display()));
    let outbox = outbox.display().to_string();
    run_node(
        "phone-number-interop.mjs",
        &[
            "--a",
            &reference.origin,
            "--b",
            &ours.origin,
            "--outbox",
            &outbox,
        ],
        &[&reference, &ours],
        10,
        project.path(),
    );
}
