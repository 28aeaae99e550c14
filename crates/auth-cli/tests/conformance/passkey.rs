//! Passkeys in Chromium (`tests/browser/passkey.mjs`: the DevTools protocol's virtual
//! authenticator, better-auth's `passkeyClient`): sign up, register, sign out, sign in with the
//! passkey, list, rename, delete — against our server on SQLite, PostgreSQL and MariaDB and
//! against the real better-auth (`reference-server.mjs`'s `PASSKEY=1`); and interop on one
//! SQLite file: a passkey registered on either server signs in on the other.
//!
//! Not `suite_everywhere!`: the page is on a free `http://localhost` port (a secure context whose
//! host is the RP ID), so the servers also trust `http://localhost:*`, which the suite's shared
//! `trusted-origins` does not; the rest of the configuration is the suite's.

use super::*;

/// `reference-server.mjs`'s `PASSKEY=1`, as auth.toml.
const PASSKEY: &str = include_str!("passkey.toml");
const ENV: &[(&str, &str)] = &[("PASSKEY", "1")];

/// One server's run has 19 checks, an interop run (both directions) 37.
const MIN_CHECKS: usize = 19;
const MIN_INTEROP_CHECKS: usize = 37;

/// The suite's configuration, trusting the page's origin, with the passkey plugin.
fn project() -> Project {
    let config = CONFIG.replacen(
        "trusted-origins = [",
        "trusted-origins = [\"http://localhost:*\", ",
        1,
    );
    assert_ne!(
        config, CONFIG,
        "the suite's configuration has trusted-origins"
    );
    Project::new(&format!("{config}{PASSKEY}"))
}

/// `passkey.mjs` against `a` (and, for interop, `b`): every check passed, at least `min`.
fn in_chromium(a: &Running, b: Option<&Running>, min: usize) {
    let mut args = vec!["--a", a.origin.as_str()];
    if let Some(b) = b {
        args.extend(["--b", b.origin.as_str()]);
    }
    let Some(report) = browser::scenario("passkey.mjs", &args, &[]) else {
        return;
    };
    let logs = || format!("{}\n{}", a.log(), b.map(Running::log).unwrap_or_default());
    assert_eq!(report["failed"], 0, "{report:#}\n{}", logs());
    let checks = report["checks"].as_array().map_or(0, Vec::len);
    assert!(checks >= min, "{report:#}");
}

#[test]
fn passkeys_in_chromium_sqlite() {
    if !node_ready() {
        return;
    }
    let project = project();
    let server = project.serve_embedded();
    in_chromium(&server, None, MIN_CHECKS);
}

async fn on_engine<DB: support::Engine>() {
    let Some(db) = support::Server::<DB>::fresh("conformance_passkey").await else {
        return;
    };
    if node_ready() {
        let project = project();
        project.migrate(DB::DIALECT, &db.url());
        let server = project.serve_url(&db.url());
        in_chromium(&server, None, MIN_CHECKS);
    }
    db.drop().await;
}

#[tokio::test]
async fn passkeys_in_chromium_postgres() {
    on_engine::<sqlx::Postgres>().await;
}

#[tokio::test]
async fn passkeys_in_chromium_mysql() {
    on_engine::<sqlx::MySql>().await;
}

/// The same page describes better-auth.
#[test]
fn passkeys_in_chromium_against_better_auth() {
    if !node_ready() {
        return;
    }
    let project = project();
    let reference = better_auth_on(&project, &project.path().join("reference.sqlite"), ENV);
    in_chromium(&reference, None, MIN_CHECKS);
}

/// better-auth (which creates the schema) and our server on one SQLite file and secret: a
/// passkey registered on better-auth signs in on ours and is renamed and deleted there, then the
/// reverse.
#[test]
fn passkey_interop_with_better_auth() {
    if !node_ready() {
        return;
    }
    let project = project();
    let file = project.path().join("shared.sqlite");
    let reference = better_auth_on(&project, &file, ENV);
    let ours = project.serve_url(&format!("sqlite:{}", file.display()));
    in_chromium(&reference, Some(&ours), MIN_INTEROP_CHECKS);
}
