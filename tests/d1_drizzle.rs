//! The real better-auth 1.7.25 with `drizzleAdapter` and the Drizzle schema `auth-cli generate
//! --target drizzle --dialect d1` writes, in a Cloudflare Worker on D1 (`examples/d1-drizzle`,
//! run by `wrangler dev --local`), on the migration `auth-cli migrate new` writes, with
//! `naming = "snake"` and nothing mapped in better-auth's options: sign-up (with a username),
//! sign-in by username, two-factor enabled and verified (its own table, read back through
//! Drizzle on the next sign-in), then the rows read from the D1 file under their snake_case
//! names.
//!
//! Needs Node 20 and npm (the test runs `npm ci` in `examples/d1-drizzle` itself). Without them it
//! fails under `CI=true` and is skipped, loudly, elsewhere.

use crate::support;

use std::path::Path;
use std::time::{Duration, Instant};

use auth_cli::{Command, GenerateOpt, Opt, Target};
use auth_core::Dialect;
use serde_json::{Value, json};
use support::d1;
use support::worker::{Client, Worker, apply, copy_project, migrate_new, persisted_database};

/// The whole run: `npm ci` when the example is not installed yet, generation, `wrangler d1
/// migrations apply`, `wrangler dev`'s start and the requests (about 15 s on an idle machine).
const BUDGET: Duration = Duration::from_secs(300);

const EMAIL: &str = "ada@example.com";
const USERNAME: &str = "ada_lovelace";
const PASSWORD: &str = "correct horse battery staple";

/// Fails when the run so far has taken longer than [`BUDGET`].
#[derive(Debug)]
struct Budget(Instant);

impl Budget {
    /// Prints the time spent so far (`--nocapture` shows where a slow run spends it).
    #[expect(clippy::print_stderr, reason = "the figures of a slow run")]
    fn check(&self, step: &str) {
        let spent = self.0.elapsed();
        eprintln!("d1_drizzle: {step} done after {spent:.1?}");
        assert!(
            spent < BUDGET,
            "{step}: {spent:?} spent, over the budget of {BUDGET:?}"
        );
    }
}

#[test]
fn better_auth_drizzle_adapter_runs_on_d1_with_our_schema_and_migrations() {
    let budget = Budget(Instant::now());
    let example = support::root().join("examples/d1-drizzle");
    if let Err(error) = d1::ensure_installed(&example) {
        support::unavailable(&support::service::NODE, &error);
        return;
    }
    budget.check("npm ci");
    let scratch = tempfile::Builder::new()
        .prefix("auth-d1-drizzle-")
        .tempdir()
        .unwrap_or_else(|e| panic!("temporary directory: {e}"));
    let project = scratch.path().join("project");
    copy_project(&example, &project);
    let state = scratch.path().join("state");

    // 1. The Drizzle schema and the migration, both written by auth-cli now (a schema or
    //    migrations left in the example by a run by hand are replaced).
    let schema_file = project.join("src/schema.ts");
    let _ = std::fs::remove_file(&schema_file);
    let _ = std::fs::remove_dir_all(project.join("migrations"));
    generate_drizzle(&project, &schema_file);
    let schema_text = std::fs::read_to_string(&schema_file)
        .unwrap_or_else(|e| panic!("{}: {e}", schema_file.display()));
    assert!(
        schema_text.contains(r#"export const twoFactor = sqliteTable("two_factor", {"#),
        "{schema_text}"
    );
    migrate_new(&project, "init");
    apply(&example, &project, &state, scratch.path());
    budget.check("generate, migrate new, wrangler d1 migrations apply");

    // 2. better-auth through drizzleAdapter in workerd.
    let worker = Worker::start(&example, &project, &state, scratch.path(), &[]);
    budget.check("wrangler dev");
    let mut client = Client::new(worker.port);
    let signed_up = client.post(
        "/api/auth/sign-up/email",
        &json!({
            "email": EMAIL, "password": PASSWORD, "name": "Ada Lovelace", "username": USERNAME
        }),
    );
    let user_id = text(&signed_up["user"]["id"]);
    assert_eq!(signed_up["user"]["username"], USERNAME, "{signed_up}");

    let mut client = Client::new(worker.port);
    let signed_in = client.post(
        "/api/auth/sign-in/username",
        &json!({ "username": USERNAME, "password": PASSWORD }),
    );
    assert_eq!(signed_in["user"]["id"], user_id.as_str(), "{signed_in}");
    let session = client.get("/api/auth/get-session");
    assert_eq!(session["user"]["id"], user_id.as_str(), "{session}");
    assert_eq!(session["user"]["twoFactorEnabled"], false, "{session}");

    // The plugin's table: enable writes the secret, verify reads it back and marks the user.
    let enabled = client.post(
        "/api/auth/two-factor/enable",
        &json!({ "password": PASSWORD }),
    );
    let uri = text(&enabled["totpURI"]);
    let verified = client.post(
        "/api/auth/two-factor/verify-totp",
        &json!({ "code": totp_code(&uri) }),
    );
    // better-auth answers with the user as the session held it; the row is checked below.
    assert!(verified["token"].is_string(), "{verified}");
    // The next sign-in stops at the second factor: better-auth read `two_factor_enabled`.
    let mut client = Client::new(worker.port);
    let challenged = client.post(
        "/api/auth/sign-in/email",
        &json!({ "email": EMAIL, "password": PASSWORD }),
    );
    assert_eq!(challenged["twoFactorRedirect"], true, "{challenged}");
    budget.check("requests");
    drop(worker);

    // 3. What better-auth wrote, read from the D1 file under the physical names.
    let database = persisted_database(&state);
    let connection =
        rusqlite::Connection::open(&database).unwrap_or_else(|e| panic!("open D1 file: {e}"));
    let schema = auth_core::Config::load(project.join("auth.toml"))
        .map_err(|e| e.to_string())
        .and_then(|config| auth_core::Schema::build(&config).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| panic!("auth.toml: {e}"));
    support::assert_matches_ir(
        &schema,
        Dialect::D1,
        &support::introspect_sqlite(&connection),
        "examples/d1-drizzle after better-auth wrote to it",
    );
    let row = |sql: &str| -> Vec<String> {
        connection
            .query_row(sql, [&user_id], |row| {
                (0..row.as_ref().column_count())
                    .map(|i| {
                        row.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect()
            })
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    assert_eq!(
        row(
            "select email, username, display_username, email_verified, two_factor_enabled \
             from user where id = ?1"
        ),
        [
            format!("Text({EMAIL:?})"),
            format!("Text({USERNAME:?})"),
            format!("Text({USERNAME:?})"),
            "Integer(0)".to_owned(),
            "Integer(1)".to_owned(),
        ]
    );
    assert_eq!(
        row("select count(*), min(verified), min(length(secret) > 0), \
             min(length(backup_codes) > 0) from two_factor where user_id = ?1"),
        ["Integer(1)", "Integer(1)", "Integer(1)", "Integer(1)"]
    );
    assert_eq!(
        row(
            "select count(*) from account where user_id = ?1 and provider_id = 'credential' \
             and password is not null"
        ),
        ["Integer(1)"]
    );
    // Dates as better-auth writes them on SQLite: ISO-8601 text with milliseconds and `Z`.
    let created = row(
        "select created_at, typeof(created_at) from session where user_id = ?1 \
                       order by created_at limit 1",
    );
    assert_eq!(created[1], r#"Text("text")"#, "{created:?}");
    assert!(
        created[0].len() == r#"Text("2026-01-01T00:00:00.000Z")"#.len()
            && created[0].ends_with(r#"Z")"#),
        "{created:?}"
    );
    budget.check("rows read back");
}

/// `auth-cli generate --target drizzle --dialect d1 --config auth.toml --out src/schema.ts` in
/// the project copy.
fn generate_drizzle(project: &Path, out: &Path) {
    let opt = Opt::from(Command::Generate(GenerateOpt {
        target: Target::Drizzle,
        dialect: Some(Dialect::D1),
        config: project.join("auth.toml"),
        out: Some(out.to_owned()),
        templates: None,
    }));
    auth_cli::run(opt, &mut Vec::new())
        .unwrap_or_else(|e| panic!("auth-cli generate --target drizzle: {e}"));
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_owned()
}

/// The current code of an `otpauth://totp/…?secret=<base32>&digits=…&period=…` URI.
fn totp_code(uri: &str) -> String {
    let query = uri
        .split_once('?')
        .map(|(_, query)| query)
        .unwrap_or_else(|| panic!("no query in {uri}"));
    let parameter = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {uri}"))
    };
    let number = |name: &str| {
        parameter(name)
            .parse::<u64>()
            .unwrap_or_else(|e| panic!("{name} in {uri}: {e}"))
    };
    let key = base32::decode(
        base32::Alphabet::Rfc4648 { padding: false },
        parameter("secret"),
    )
    .unwrap_or_else(|| panic!("secret of {uri} is not base32"));
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(u8::try_from(number("digits")).unwrap_or_else(|e| panic!("{e}")))
        .with_step_duration(number("period"))
        .with_secret(key)
        .build_noncompliant()
        .generate_current()
        .to_string()
}
