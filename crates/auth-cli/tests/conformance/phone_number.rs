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

suite_everywhere!(PHONE, phone_suite, "conformance_phone", &[("PHONE", "1")]);

/// better-auth (which creates the schema) and our server on one SQLite file and secret: codes
/// either sends the other verifies, users either signs up sign in and reset on the other.
#[test]
fn phone_number_interop_with_better_auth() {
    if !node_ready() {
        return;
    }
    let shared = Shared::start(PHONE, &[("PHONE", "1")]);
    shared.run(
        "phone-number-interop.mjs",
        &["--outbox", &shared.outbox()],
        10,
    );
}
