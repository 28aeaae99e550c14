//! The generated clients against our own server: the Rust module (`generate --target rust`)
//! compiles in a crate of its own (serde, serde_json, reqwest, tokio only) and its typed client
//! signs up, signs in, reads and updates the user, lists sessions and signs out against an
//! in-process `auth_runtime::Auth`; the TypeScript client does the same from Node, and every JSON
//! body our server answered type-checks (`tsc --strict`) against the generated response types.
//! Neither test skips: without cargo, node or the npm packages of tests/js it fails.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use auth_core::emit::{Templates, operation_name_of, rust, typescript};
use auth_core::endpoints::{Method, endpoints};
use heck::ToUpperCamelCase;

/// The configuration of the round trips: email and password, and additional user fields of
/// every kind the generators map (an optional string, a string array, a defaulted non-input).
const CONFIG: &str = r#"
[email-and-password]
enabled = true

[models.user.fields.nickname]
type = "string"
required = false

[models.user.fields.tags]
type = "string[]"
required = false

[models.user.fields.plan]
type = "string"
required = true
default = "free"
input = false
"#;

/// A server for `config` on 127.0.0.1:0 over a fresh SQLite file; its origin.
async fn serve(config: &str, dir: &Path) -> String {
    let config =
        auth_core::Config::parse("auth.toml", config.to_owned()).unwrap_or_else(|e| panic!("{e}"));
    support::server::serve(config, dir).await.0
}

fn module(config: &str, target: &str) -> String {
    let config =
        auth_core::Config::parse("auth.toml", config.to_owned()).unwrap_or_else(|e| panic!("{e}"));
    let schema = auth_core::Schema::build(&config).unwrap_or_else(|e| panic!("{e}"));
    let registry = endpoints(&config);
    match target {
        "rust" => rust(&schema, &registry, &Templates::embedded()),
        _ => typescript(&schema, &registry, &Templates::embedded()),
    }
    .unwrap_or_else(|e| panic!("{e}"))
}

fn example(relative: &str) -> String {
    std::fs::read_to_string(support::root().join(relative)).unwrap_or_else(|e| panic!("{e}"))
}

const CRATE_MANIFEST: &str = r#"[package]
name = "generated-client-check"
version = "0.0.0"
edition = "2024"
publish = false

# Not a member of the auth toolkit's workspace.
[workspace]

# The round trip talks plain HTTP to a loopback server: no TLS stack (rustls and aws-lc, most of
# this build's time) and no debug info to compile.
[dependencies]
serde = { version = "1", features = ["derive"] }
serde_json = "1"
reqwest = { version = "0.13", default-features = false, features = ["json"] }
tokio = { version = "1", features = ["rt", "macros"] }

[profile.dev]
debug = false
"#;

/// The round trip, in the scratch crate: panics (exit 101) on the first wrong answer.
const CRATE_MAIN: &str = r#"#![deny(warnings)]
#![allow(dead_code)]

mod auth;
mod full;
mod quickstart;

use auth::*;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), ApiError> {
    let base = std::env::args().nth(1).expect("the server's origin");
    // Outside a browser, requests carrying cookies must name a trusted origin.
    let client = Client::new(&base).with_header("origin", &base);
    let up = client
        .sign_up_email(&SignUpEmailBody {
            name: "Ada".to_owned(),
            email: "ada@example.com".to_owned(),
            password: "correct horse battery".to_owned(),
            image: None,
            callback_url: None,
            remember_me: None,
            nickname: Some("ada".to_owned()),
            tags: Some(vec!["math".to_owned(), "engines".to_owned()]),
        })
        .await?;
    let user: User = up.user;
    assert_eq!(user.email, "ada@example.com");
    assert_eq!(user.nickname.as_deref(), Some("ada"));
    assert_eq!(user.tags, Some(vec!["math".to_owned(), "engines".to_owned()]));
    assert_eq!(user.plan, "free");
    assert!(!user.email_verified);
    assert!(user.created_at.ends_with('Z'), "{}", user.created_at);
    assert!(up.token.is_some());
    assert!(client.cookie("better-auth.session_token").is_some());

    let out = client.sign_out().await?;
    assert!(out.success);
    assert_eq!(client.cookie("better-auth.session_token"), None);
    assert_eq!(client.get_session(None).await?, None);
    let denied = client.list_sessions().await.expect_err("no session");
    assert_eq!(denied.status, 401);

    let wrong = client
        .sign_in_email(&SignInEmailBody {
            email: "ada@example.com".to_owned(),
            password: "wrong password!".to_owned(),
            callback_url: None,
            remember_me: None,
        })
        .await
        .expect_err("a wrong password");
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.code.as_deref(), Some("INVALID_EMAIL_OR_PASSWORD"));

    let signed_in = client
        .sign_in_email(&SignInEmailBody {
            email: "ada@example.com".to_owned(),
            password: "correct horse battery".to_owned(),
            callback_url: None,
            remember_me: Some(true),
        })
        .await?;
    assert_eq!(signed_in.user.id, user.id);
    assert!(!signed_in.token.is_empty());

    let session = client.get_session(None).await?.expect("a session");
    assert_eq!(session.user.id, user.id);
    assert_eq!(session.session.user_id, user.id);
    assert_eq!(session.session.token, signed_in.token);

    let updated = client
        .update_user(&UpdateUserBody {
            name: Some("Ada Lovelace".to_owned()),
            nickname: Some("countess".to_owned()),
            ..UpdateUserBody::default()
        })
        .await?;
    assert!(updated.status);
    let fresh = client
        .get_session(Some(&GetSessionQuery {
            disable_cookie_cache: Some("true".to_owned()),
            ..GetSessionQuery::default()
        }))
        .await?
        .expect("a session");
    assert_eq!(fresh.user.name, "Ada Lovelace");
    assert_eq!(fresh.user.nickname.as_deref(), Some("countess"));
    assert_eq!(fresh.user.plan, "free");

    let sessions: Vec<Session> = client.list_sessions().await?;
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].token, signed_in.token);

    assert!(client.sign_out().await?.success);
    assert_eq!(client.get_session(None).await?, None);
    println!("round trip ok");
    Ok(())
}
"#;

/// `cargo build` in `dir` (offline first, with the versions of our Cargo.lock; online when the
/// local registry lacks something); the build's output on failure.
fn cargo_build(dir: &Path, target: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut log = String::new();
    for offline in [true, false] {
        let mut command = Command::new(&cargo);
        command.arg("build").arg("--quiet");
        if offline {
            command.arg("--offline");
        }
        let output = command
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .output()
            .unwrap_or_else(|e| panic!("{cargo}: {e}"));
        if output.status.success() {
            return Ok(());
        }
        log.push_str(&format!(
            "--- cargo build{}\n{}",
            if offline { " --offline" } else { "" },
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Err(log)
}

/// The scratch crate: the generated modules of the round-trip configuration and of both
/// examples, and the round trip as its `main`; built; the path of its binary.
fn build_scratch_crate(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap_or_else(|e| panic!("{e}"));
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    };
    write(dir.join("Cargo.toml"), CRATE_MANIFEST);
    // Our lock file pins the versions the offline build finds in the local registry.
    std::fs::copy(support::root().join("Cargo.lock"), dir.join("Cargo.lock"))
        .unwrap_or_else(|e| panic!("{e}"));
    write(src.join("main.rs"), CRATE_MAIN);
    write(src.join("auth.rs"), &module(CONFIG, "rust"));
    write(
        src.join("full.rs"),
        &module(&example("examples/full/auth.toml"), "rust"),
    );
    write(
        src.join("quickstart.rs"),
        &module(&example("examples/quickstart/auth.toml"), "rust"),
    );
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("generated-client-check");
    cargo_build(dir, &target).unwrap_or_else(|e| panic!("the generated Rust does not build:\n{e}"));
    target.join("debug/generated-client-check")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_rust_compiles_and_round_trips_against_our_server() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let crate_dir = dir.path().join("client");
    let binary = tokio::task::spawn_blocking(move || build_scratch_crate(&crate_dir))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let base = serve(CONFIG, dir.path()).await;
    let output = tokio::process::Command::new(&binary)
        .arg(&base)
        .output()
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("round trip ok"),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `generate --target rust` writes the module the library emits.
#[test]
fn cli_generates_the_rust_module() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("auth.rs");
    let config = support::root().join("examples/quickstart/auth.toml");
    let opt = auth_cli::Opt::from(auth_cli::Command::Generate(auth_cli::GenerateOpt {
        target: auth_cli::Target::Rust,
        dialect: None,
        config,
        out: Some(out.clone()),
        templates: None,
    }));
    auth_cli::run(opt, &mut Vec::new()).unwrap_or_else(|e| panic!("{e}"));
    let written = std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        written,
        module(&example("examples/quickstart/auth.toml"), "rust")
    );
}

/// The TypeScript client's round trip, compiled by tsc and run by Node; prints each answer it
/// got as one JSON line `{"method", "path", "status", "body"}`.
const TS_MAIN: &str = r#"import { createAuthClient, AuthError } from "./auth.js";
import type * as A from "./auth.js";

declare const process: { argv: string[] };
const base = process.argv[2];
const jar = new Map<string, string>();
const answers: { method: string; path: string; status: number; body: string }[] = [];
async function cookieFetch(input: URL | RequestInfo, init?: RequestInit): Promise<Response> {
  const headers = new Headers(init?.headers);
  if (jar.size > 0) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
  const response = await fetch(input, { ...init, headers });
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(";");
    const at = pair.indexOf("=");
    const name = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    if (value === "" || attributes.some((a) => a.trim().toLowerCase() === "max-age=0")) jar.delete(name);
    else jar.set(name, value);
  }
  const url = new URL(String(input instanceof Request ? input.url : input));
  answers.push({ method: init?.method ?? "GET", path: url.pathname, status: response.status, body: await response.clone().text() });
  return response;
}
function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

const client = createAuthClient({ baseURL: base, fetch: cookieFetch, headers: { origin: base } });
const up: A.SignUpEmailResponse = await client.signUpEmail({
  name: "Grace",
  email: "grace@example.com",
  password: "correct horse battery",
  nickname: "amazing",
  tags: ["cobol", "navy"],
});
check(up.user.email === "grace@example.com", "sign-up email");
check(up.user.plan === "free", "sign-up plan");
check(JSON.stringify(up.user.tags) === '["cobol","navy"]', "sign-up tags");
await client.signOut();
check((await client.getSession()) === null, "signed out");
try {
  await client.signInEmail({ email: "grace@example.com", password: "wrong password!" });
  check(false, "a wrong password signed in");
} catch (error) {
  const expected = client.$ERROR_CODES.INVALID_EMAIL_OR_PASSWORD;
  check(error instanceof AuthError && error.status === 401 && error.code === expected.code && error.message === expected.message, `wrong password: ${error}`);
}
const signedIn: A.SignInEmailResponse = await client.signInEmail({ email: "grace@example.com", password: "correct horse battery" });
check(signedIn.user.id === up.user.id, "sign-in user");
const session: A.GetSessionResponse = await client.getSession();
check(session !== null && session.user.id === up.user.id && session.session.token === signedIn.token, "get-session");
check((await client.updateUser({ nickname: "grace" })).status, "update-user");
check((await client.listSessions()).length === 1, "list-sessions");
check((await client.signOut()).success, "sign-out");
for (const answer of answers) console.log(JSON.stringify(answer));
console.log("round trip ok");
"#;

fn js() -> PathBuf {
    let dir = support::root().join("tests/js");
    support::d1::ensure_installed(&dir).unwrap_or_else(|e| panic!("npm ci in tests/js: {e}"));
    dir
}

fn node(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("node")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("node: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "node {args:?}:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_typescript_round_trips_and_our_answers_type_check() {
    let tsc = js().join("node_modules/typescript/bin/tsc");
    let tsc = tsc.to_str().unwrap_or_else(|| panic!("a UTF-8 path"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let project = dir.path().join("ts");
    std::fs::create_dir_all(&project).unwrap_or_else(|e| panic!("{e}"));
    let module = module(CONFIG, "typescript");
    for (name, text) in [
        ("auth.ts", module.as_str()),
        ("main.ts", TS_MAIN),
        ("package.json", "{\"type\": \"module\"}\n"),
    ] {
        std::fs::write(project.join(name), text).unwrap_or_else(|e| panic!("{e}"));
    }
    let strict = [
        "--strict",
        "--target",
        "es2022",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--lib",
        "es2022,dom",
    ];
    let mut args = vec![tsc];
    args.extend(strict);
    args.extend(["--outDir", "out", "auth.ts", "main.ts"]);
    node(&project, &args);
    let base = serve(CONFIG, dir.path()).await;
    let project_for_node = project.clone();
    let stdout = tokio::task::spawn_blocking(move || {
        node(&project_for_node, &["out/main.js", base.as_str()])
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(stdout.contains("round trip ok"), "{stdout}");

    // What our server answered, as values of the generated response types.
    let config =
        auth_core::Config::parse("auth.toml", CONFIG.to_owned()).unwrap_or_else(|e| panic!("{e}"));
    let registry = endpoints(&config);
    let mut check = String::from("import type * as A from \"./auth.js\";\n");
    let mut checked = Vec::new();
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let answer: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let method = match answer["method"].as_str() {
            Some("POST") => Method::Post,
            _ => Method::Get,
        };
        let path = answer["path"].as_str().unwrap_or_default();
        let relative = path.strip_prefix("/api/auth").unwrap_or(path);
        let endpoint = registry
            .iter()
            .find(|e| e.matches(method, relative))
            .unwrap_or_else(|| panic!("no endpoint for {line}"));
        if answer["status"] != 200 {
            continue;
        }
        let name = operation_name_of(endpoint, &registry).to_upper_camel_case();
        let body = answer["body"].as_str().unwrap_or_default();
        check.push_str(&format!(
            "export const r{}: A.{name}Response = {body};\n",
            checked.len()
        ));
        checked.push(name);
    }
    for wanted in [
        "SignUpEmail",
        "SignInEmail",
        "GetSession",
        "UpdateUser",
        "ListSessions",
        "SignOut",
    ] {
        assert!(
            checked.iter().any(|n| n == wanted),
            "no answer of {wanted}: {checked:?}"
        );
    }
    std::fs::write(project.join("answers.ts"), &check).unwrap_or_else(|e| panic!("{e}"));
    let mut args = vec![tsc];
    args.extend(strict);
    args.extend(["--noEmit", "auth.ts", "answers.ts"]);
    node(&project, &args);
    // The check can fail: a wrong answer does not type-check.
    let broken = check.replacen("\"plan\":\"free\"", "\"plan\":1", 1);
    assert_ne!(broken, check);
    std::fs::write(project.join("answers.ts"), &broken).unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new("node")
        .args(&args)
        .current_dir(&project)
        .output()
        .unwrap_or_else(|e| panic!("node: {e}"));
    assert!(!output.status.success(), "tsc accepted a wrong answer");
}
