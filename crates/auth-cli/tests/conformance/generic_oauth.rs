//! The generic-oauth suite (`tests/conformance/generic-oauth.mjs`: a provider declared in
//! auth.toml, used through the official client's `signIn.social`, `/callback/<id>` and
//! `linkSocial`) against our server on SQLite, PostgreSQL and MariaDB and against the real
//! better-auth, all with one real OpenID provider (`tests/oidc/provider.mjs`, started once per
//! test binary); and `generic-oauth-interop.mjs` between the two servers on one database and
//! secret: an account either made signs in on the other.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Mutex, OnceLock};

use super::*;

/// The provider's client, as `reference-server.mjs`'s `GENERIC_OAUTH=1` reads it.
const CLIENT_ID: &str = "conformance-client";
const CLIENT_SECRET: &str = "conformance-client-secret-0123456789abcdef";

/// The running provider (killed when the test binary exits and closes its stdin) and its
/// issuer; `None` without Node.
static PROVIDER: OnceLock<Option<(Mutex<Child>, String)>> = OnceLock::new();

fn issuer() -> Option<&'static str> {
    PROVIDER
        .get_or_init(|| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc");
            if !node_project_ready(&dir) {
                return None;
            }
            let mut child = Command::new("node")
                .arg(dir.join("provider.mjs"))
                .current_dir(&dir)
                .env("CLIENT_ID", CLIENT_ID)
                .env("CLIENT_SECRET", CLIENT_SECRET)
                .env("REDIRECT_URIS", "*")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("start provider.mjs: {e}"));
            let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
            let mut line = String::new();
            BufReader::new(stdout)
                .read_line(&mut line)
                .unwrap_or_else(|e| panic!("provider.mjs: {e}"));
            let info: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("provider.mjs announced {line:?}: {e}"));
            let issuer = info["issuer"]
                .as_str()
                .unwrap_or_else(|| panic!("no issuer in {line}"))
                .to_owned();
            Some((Mutex::new(child), issuer))
        })
        .as_ref()
        .map(|(_, issuer)| issuer.as_str())
}

/// auth.toml's `[plugins.generic-oauth]`, as `GENERIC_OAUTH=1` configures better-auth.
fn config() -> String {
    let discovery = issuer().map_or_else(String::new, |issuer| {
        format!("{issuer}/.well-known/openid-configuration")
    });
    format!(
        "\n[plugins.generic-oauth.providers.corp]\ndiscovery-url = \"{discovery}\"\n\
         scopes = [\"email\", \"profile\"]\nauthentication = \"basic\"\n"
    )
}

/// The environment of both servers: the client's credentials and, for better-auth, the flag.
fn env() -> Vec<(&'static str, String)> {
    let discovery = issuer().map_or_else(String::new, |issuer| {
        format!("{issuer}/.well-known/openid-configuration")
    });
    vec![
        ("GENERIC_OAUTH", "1".to_owned()),
        ("GENERIC_OAUTH_DISCOVERY_URL", discovery),
        ("CORP_CLIENT_ID", CLIENT_ID.to_owned()),
        ("CORP_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
    ]
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The suite has 12 checks.
const MIN_CHECKS: u64 = 12;

fn suite(project: &Project, server: &Running) {
    let Some(issuer) = issuer() else {
        return;
    };
    run_suite(
        "generic-oauth.mjs",
        MIN_CHECKS,
        project,
        server,
        &["--issuer", issuer],
    );
}

suite_everywhere!(
    &config(),
    suite,
    "conformance_generic_oauth",
    &borrowed(&env())
);

/// better-auth (which creates the schema) and our server on one SQLite file and secret: a user
/// signed up through the provider on either signs in on the other, to the same user and account.
#[test]
fn interop_with_better_auth() {
    if !node_ready() {
        return;
    }
    let Some(issuer) = issuer() else {
        return;
    };
    let project = suite_project(&config());
    let file = project.path().join("shared.sqlite");
    let env = env();
    let reference = better_auth_on(&project, &file, &borrowed(&env));
    let ours = project.serve_url_with(&format!("sqlite:{}", file.display()), &borrowed(&env));
    run_node(
        "generic-oauth-interop.mjs",
        &[
            "--a",
            &reference.origin,
            "--b",
            &ours.origin,
            "--issuer",
            issuer,
        ],
        &[&reference, &ours],
        6,
        project.path(),
    );
}
