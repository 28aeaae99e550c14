//! The admin suite (`tests/conformance/admin.mjs`, better-auth's `adminClient`) against our
//! server on SQLite, PostgreSQL and MariaDB and against the real better-auth; and
//! `admin-interop.mjs` between the two on one database and secret. Each run first makes its
//! admin: a sign-up whose `list-users` is refused, `auth-cli admin grant`, then answered.

use super::*;

/// `reference-server.mjs`'s `ADMIN=1`, as auth.toml.
const ADMIN: &str = include_str!("admin.toml");

/// The admin suite has 41 checks.
const MIN_ADMIN_CHECKS: u64 = 41;

const ADMIN_EMAIL: &str = "first-admin@example.com";
const ADMIN_PASSWORD: &str = "first-admin-password";

/// The suite's arguments naming the first admin.
const ADMIN_ARGS: [&str; 4] = [
    "--admin-email",
    ADMIN_EMAIL,
    "--admin-password",
    ADMIN_PASSWORD,
];

/// Signs the first admin up on `server` (database `url`): `list-users` refuses them (403) until
/// `auth-cli admin grant` gives them the role `admin`, then answers 200.
fn first_admin(project: &Project, server: &Running, url: &str) {
    let body = serde_json::json!({
        "email": ADMIN_EMAIL,
        "password": ADMIN_PASSWORD,
        "name": "First Admin",
    })
    .to_string();
    let signed = request(&server.origin, "POST", "/sign-up/email", None, &body);
    assert_eq!(signed.status, 200, "sign-up: {}", signed.body);
    let cookie = signed
        .session_cookie()
        .unwrap_or_else(|| panic!("sign-up set no session cookie: {:?}", signed.headers));
    let before = request(
        &server.origin,
        "GET",
        "/admin/list-users",
        Some(&cookie),
        "",
    );
    assert_eq!(
        before.status, 403,
        "list-users before the grant: {}",
        before.body
    );
    assert_eq!(before.json()["code"], "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS");
    project.cli(&[
        "admin",
        "grant",
        ADMIN_EMAIL,
        "--role",
        "admin",
        "--database-url",
        url,
        "--config",
        &project.config_arg(),
    ]);
    let after = request(
        &server.origin,
        "GET",
        "/admin/list-users",
        Some(&cookie),
        "",
    );
    assert_eq!(
        after.status, 200,
        "list-users after the grant: {}",
        after.body
    );
    assert!(after.json()["total"].as_u64() >= Some(1), "{}", after.body);
}

fn admin_suite(project: &Project, server: &Running, url: &str) {
    first_admin(project, server, url);
    run_suite("admin.mjs", MIN_ADMIN_CHECKS, project, server, &ADMIN_ARGS);
}

#[test]
fn admin_official_client_sqlite() {
    if !node_ready() {
        return;
    }
    let project = suite_project(ADMIN);
    let server = project.serve_embedded();
    let url = format!("sqlite:{}", project.path().join("data/auth.db").display());
    admin_suite(&project, &server, &url);
}

/// The suite on a fresh database of engine `DB` that `migrate apply` gave the schema.
async fn admin_on<DB: support::Engine>() {
    let Some(db) = support::Server::<DB>::fresh("conformance_admin").await else {
        return;
    };
    if node_ready() {
        let project = suite_project(ADMIN);
        project.migrate(DB::DIALECT, &db.url());
        let server = project.serve_url(&db.url());
        admin_suite(&project, &server, &db.url());
    }
    db.drop().await;
}

#[tokio::test]
async fn admin_official_client_postgres() {
    admin_on::<sqlx::Postgres>().await;
}

#[tokio::test]
async fn admin_official_client_mysql() {
    admin_on::<sqlx::MySql>().await;
}

/// The same suite against better-auth 1.7.25 configured as admin.toml: it describes
/// better-auth (and `admin grant` writes a database better-auth created).
#[test]
fn admin_suite_passes_against_better_auth() {
    if !node_ready() {
        return;
    }
    let project = suite_project(ADMIN);
    let file = project.path().join("reference.sqlite");
    let reference = better_auth_on(&project, &file, &[("ADMIN", "1")]);
    admin_suite(&project, &reference, &format!("sqlite:{}", file.display()));
}

/// better-auth (which creates the schema) and our server on one SQLite file and secret: roles,
/// bans (and their expiry) and impersonations set on either are enforced on the other.
#[test]
fn admin_interop_with_better_auth() {
    if !node_ready() {
        return;
    }
    let shared = Shared::start(ADMIN, &[("ADMIN", "1")]);
    first_admin(
        &shared.project,
        &shared.reference,
        &format!("sqlite:{}", shared.db()),
    );
    shared.run("admin-interop.mjs", &ADMIN_ARGS, 8);
}
