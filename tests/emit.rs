//! `auth-cli generate --target typescript|rust|openapi`: snapshots (tests/clients.rs builds and runs
//! the generated clients); the TypeScript type-checks with
//! `tsc --strict` against response bodies a real better-auth 1.7.25 server sent, and rejects the
//! wrong shapes (B12 double nesting, B13 stringified arrays, B14 input × returned × required);
//! the OpenAPI document passes a real OpenAPI 3.1 validator and lists exactly the registry. The
//! clients' templates: their fixed parts check as sources of their own, and `--templates DIR`
//! overrides any of the clients' files.

use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use auth_core::emit::{Templates, openapi, typescript};
use auth_core::endpoints::{Method, Reply, endpoints};
use heck::ToUpperCamelCase;

fn js() -> PathBuf {
    let dir = support::root().join("tests/js");
    support::d1::ensure_installed(&dir).unwrap_or_else(|e| panic!("npm ci in tests/js: {e}"));
    dir
}

fn generated(config: &str) -> (String, serde_json::Value) {
    let schema = support::schema(config);
    let registry = endpoints(&support::config(config));
    let ts =
        typescript(&schema, &registry, &Templates::embedded()).unwrap_or_else(|e| panic!("{e}"));
    let doc = openapi(&schema, &registry, "/api/auth").unwrap_or_else(|e| panic!("{e}"));
    (ts, doc)
}

#[test]
fn snapshots() {
    for (case, config) in [
        ("quickstart", "examples/quickstart/auth.toml"),
        ("full", "examples/full/auth.toml"),
    ] {
        let (ts, doc) = generated(config);
        insta::assert_snapshot!(format!("{case}__typescript"), ts);
        insta::assert_json_snapshot!(format!("{case}__openapi"), doc);
        let schema = support::schema(config);
        let module = auth_core::emit::rust(
            &schema,
            &endpoints(&support::config(config)),
            &Templates::embedded(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        insta::assert_snapshot!(format!("{case}__rust"), module);
    }
}

/// `tsc --strict --noEmit` over the generated module and `check.ts`; the compiler's output on
/// failure.
fn tsc(module: &str, check: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("auth.ts"), module).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("check.ts"), check).unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new("node")
        .arg(js().join("node_modules/typescript/bin/tsc"))
        .args([
            "--strict", "--noEmit", "--target", "es2022", "--module", "nodenext",
        ])
        .args([
            "--moduleResolution",
            "nodenext",
            "--lib",
            "es2022,dom",
            "auth.ts",
            "check.ts",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("node: {e}"));
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}\n--- check.ts\n{check}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// 200 JSON answers of the transcript, with the operation they answer.
fn recorded_bodies() -> Vec<(String, String)> {
    let config = support::config("examples/quickstart/auth.toml");
    let registry = endpoints(&config);
    let path = support::root().join("tests/fixtures/better-auth-1.7/transcript.txt");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    for block in text.split("\n### ").skip(1) {
        let lines: Vec<&str> = block.lines().collect();
        let Some(request) = lines
            .iter()
            .find(|l| l.starts_with("> ") && l.ends_with("HTTP/1.1"))
        else {
            continue;
        };
        let mut parts = request[2..].split_whitespace();
        let method = match parts.next() {
            Some("GET") => Method::Get,
            Some("POST") => Method::Post,
            _ => continue,
        };
        let target = parts.next().unwrap_or_default();
        let Some(relative) = target
            .split('?')
            .next()
            .and_then(|p| p.strip_prefix("/api/auth"))
        else {
            continue;
        };
        let ok = lines.iter().any(|l| l.starts_with("< HTTP/1.1 200"));
        let json = lines.contains(&"< content-type: application/json");
        let body = lines
            .iter()
            .skip_while(|l| !l.starts_with("--- body:"))
            .nth(1)
            .copied()
            .unwrap_or_default();
        let Some(endpoint) = registry.iter().find(|e| e.matches(method, relative)) else {
            continue;
        };
        if ok && json && matches!(endpoint.reply, Reply::Json(_) | Reply::JsonOrRedirect(_)) {
            let name =
                auth_core::emit::operation_name_of(endpoint, &registry).to_upper_camel_case();
            out.push((name, body.to_owned()));
        }
    }
    out
}

#[test]
fn typescript_accepts_what_better_auth_sent_and_rejects_wrong_shapes() {
    let (module, _) = generated("examples/quickstart/auth.toml");
    let bodies = recorded_bodies();
    assert!(bodies.len() >= 30, "{}", bodies.len());
    let mut check = String::from("import type * as A from \"./auth\";\n");
    for (i, (name, body)) in bodies.iter().enumerate() {
        check.push_str(&format!("export const r{i}: A.{name}Response = {body};\n"));
    }
    check.push_str(concat!(
        "// B12: a list answer nested once more is not the type.\n",
        "// @ts-expect-error\n",
        "export const nested: A.ListSessionsResponse = { sessions: [] };\n",
        "// @ts-expect-error dates are strings on the wire\n",
        "export const when: A.User[\"createdAt\"] = 1;\n",
    ));
    tsc(&module, &check).unwrap_or_else(|e| panic!("{e}"));
    // The same file must fail when an answer is wrong: the check can fail.
    let broken = check.replacen("\"emailVerified\":false", "\"emailVerified\":\"no\"", 1);
    assert!(tsc(&module, &broken).is_err(), "tsc accepted a wrong body");
}

/// B13 and B14 at the type level: `string[]` is an array, not a string; `input` decides request
/// bodies, `returned` decides response types, `required` decides optionality — independently.
#[test]
fn b13_b14_field_flags_in_generated_types() {
    let mut config = String::from("[email-and-password]\nenabled = true\n");
    let mut checks = String::from(concat!(
        "import type * as A from \"./auth\";\n",
        "type Has<T, K extends string> = K extends keyof T ? true : false;\n",
        "type Optional<T, K extends keyof T> = {} extends Pick<T, K> ? true : false;\n",
    ));
    for input in [true, false] {
        for returned in [true, false] {
            for required in [true, false] {
                let name = format!(
                    "f{}{}{}",
                    u8::from(input),
                    u8::from(returned),
                    u8::from(required)
                );
                config.push_str(&format!(
                    "[models.user.fields.{name}]\ntype = \"string\"\ninput = {input}\nreturned = {returned}\nrequired = {required}\n{}",
                    if required && !input { "default = \"x\"\n" } else { "" }
                ));
                checks.push_str(&format!(
                    "export const {name}_out: Has<A.User, \"{name}\"> = {returned};\n"
                ));
                checks.push_str(&format!(
                    "export const {name}_in: Has<A.SignUpEmailBody, \"{name}\"> = {input};\n"
                ));
                checks.push_str(&format!(
                    "export const {name}_update: Has<A.UpdateUserBody, \"{name}\"> = {input};\n"
                ));
                if input {
                    checks.push_str(&format!(
                        "export const {name}_optional: Optional<A.SignUpEmailBody, \"{name}\"> = {};\n",
                        !required
                    ));
                    checks.push_str(&format!("export const {name}_update_optional: Optional<A.UpdateUserBody, \"{name}\"> = true;\n"));
                }
            }
        }
    }
    config.push_str("[models.user.fields.tags]\ntype = \"string[]\"\n");
    checks.push_str(concat!(
        "export const tags: A.User[\"tags\"] = [\"a\", \"b\"];\n",
        "// @ts-expect-error B13: never the JSON text of the array\n",
        "export const stringified: A.User[\"tags\"] = '[\"a\",\"b\"]';\n",
    ));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("auth.toml");
    std::fs::write(&path, &config).unwrap_or_else(|e| panic!("{e}"));
    let parsed = auth_core::Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let schema = auth_core::Schema::build(&parsed).unwrap_or_else(|e| panic!("{e}"));
    let module = typescript(&schema, &endpoints(&parsed), &Templates::embedded())
        .unwrap_or_else(|e| panic!("{e}"));
    tsc(&module, &checks).unwrap_or_else(|e| panic!("{e}"));
}

fn validate(js: &Path, document: &serde_json::Value) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, document.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new("node")
        .arg(js.join("validate-openapi.mjs"))
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("node: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

#[test]
fn openapi_is_valid_3_1_and_lists_exactly_the_registry() {
    let js = js();
    for config in [
        "examples/quickstart/auth.toml",
        "examples/full/auth.toml",
        "templates/auth.reference.toml",
    ] {
        let (_, doc) = generated(config);
        validate(&js, &doc).unwrap_or_else(|e| panic!("{config}: {e}"));
        let registry = endpoints(&support::config(config));
        let wanted: BTreeSet<(String, String)> = registry
            .iter()
            .map(|e| {
                let path = e
                    .path
                    .split('/')
                    .map(|s| {
                        s.strip_prefix(':')
                            .map_or(s.to_owned(), |p| format!("{{{p}}}"))
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                (path, e.method.as_str().to_ascii_lowercase())
            })
            .collect();
        let listed: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .flat_map(|(path, item)| {
                        item.as_object()
                            .into_iter()
                            .flat_map(move |ops| ops.keys().map(move |m| (path.clone(), m.clone())))
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(wanted, listed, "{config}");
    }
    let (_, mut broken) = generated("examples/quickstart/auth.toml");
    broken["openapi"] = serde_json::json!("3.1.0");
    broken["paths"]["/ok"]["get"]["responses"] = serde_json::json!("none");
    assert!(
        validate(&js, &broken).is_err(),
        "the validator accepted a broken document"
    );
}

/// The fixed parts of the clients are sources of their own: `client-runtime.ts` type-checks
/// alone under `tsc --strict`, `client-runtime.rs` is as rustfmt writes it (it is also compiled
/// and linted with the workspace, as `it::client_runtime`); and both reach the rendered modules
/// verbatim.
#[test]
fn fixed_client_parts_compile_and_lint_as_themselves() {
    let templates = support::root().join("templates");
    let runtime_ts = std::fs::read_to_string(templates.join("client-runtime.ts"))
        .unwrap_or_else(|e| panic!("{e}"));
    tsc(&runtime_ts, "export {};\n").unwrap_or_else(|e| panic!("client-runtime.ts: {e}"));
    let broken = runtime_ts.replacen("status: number;", "status: numbr;", 1);
    assert!(
        tsc(&broken, "export {};\n").is_err(),
        "tsc accepted a broken runtime"
    );

    let rustfmt = |path: &Path| {
        Command::new("rustfmt")
            .args(["--check", "--edition", "2024"])
            .arg(path)
            .output()
            .unwrap_or_else(|e| panic!("rustfmt: {e}"))
    };
    let runtime_rs = templates.join("client-runtime.rs");
    let checked = rustfmt(&runtime_rs);
    assert!(
        checked.status.success(),
        "client-runtime.rs is not rustfmt-clean:\n{}",
        String::from_utf8_lossy(&checked.stdout)
    );
    let text = std::fs::read_to_string(&runtime_rs).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let unformatted = dir.path().join("client-runtime.rs");
    std::fs::write(&unformatted, text.replacen("        Self {\n            status: 0,\n            code: None,\n            message,\n        }", "        Self { status: 0, code: None, message }", 1))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !rustfmt(&unformatted).status.success(),
        "rustfmt accepted a change"
    );

    let schema = support::schema("examples/quickstart/auth.toml");
    let registry = endpoints(&support::config("examples/quickstart/auth.toml"));
    let ts =
        typescript(&schema, &registry, &Templates::embedded()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        ts.contains(&runtime_ts),
        "the TypeScript client lacks its runtime"
    );
    let rs = auth_core::emit::rust(&schema, &registry, &Templates::embedded())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(rs.contains(&text), "the Rust client lacks its runtime");
}

/// `--templates DIR` overrides the clients' templates as the ORM ones: a copy of
/// `client.ts.jinja` changed, the fixed `client-runtime.rs` changed, and `rust-type.rs.jinja`
/// (included by `client.rs.jinja`) changed each show in what `generate` writes; the others stay
/// built in; a broken template is a typed error naming it.
#[test]
fn client_templates_can_be_overridden() {
    let config = support::root().join("examples/quickstart/auth.toml");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let generate = |target| {
        let mut out = Vec::new();
        auth_cli::run(
            auth_cli::Opt::from(auth_cli::Command::Generate(auth_cli::GenerateOpt {
                target,
                dialect: None,
                config: config.clone(),
                out: None,
                templates: Some(dir.path().to_owned()),
            })),
            &mut out,
        )
        .map(|()| String::from_utf8_lossy(&out).into_owned())
        .map_err(|e| e.to_string())
    };
    let built_in = |name: &str| {
        std::fs::read_to_string(support::root().join("templates").join(name))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let schema = support::schema("examples/quickstart/auth.toml");
    let registry = endpoints(&support::config("examples/quickstart/auth.toml"));
    let ts =
        typescript(&schema, &registry, &Templates::embedded()).unwrap_or_else(|e| panic!("{e}"));
    let rs = auth_core::emit::rust(&schema, &registry, &Templates::embedded())
        .unwrap_or_else(|e| panic!("{e}"));
    // Nothing overridden yet: the embedded templates are the repository's files.
    assert_eq!(
        generate(auth_cli::Target::Typescript).as_deref(),
        Ok(ts.as_str())
    );
    assert_eq!(generate(auth_cli::Target::Rust).as_deref(), Ok(rs.as_str()));

    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"));
    };
    write(
        "client.ts.jinja",
        &built_in("client.ts.jinja").replace(
            "export interface {{ model.name }}<D = string> {",
            "export interface {{ model.name }}<D = Date> {",
        ),
    );
    let changed = generate(auth_cli::Target::Typescript).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(changed, ts.replace("<D = string> {", "<D = Date> {"));
    assert_ne!(changed, ts);

    write(
        "client-runtime.rs",
        &built_in("client-runtime.rs").replace(
            "base_path: \"/api/auth\".to_owned(),",
            "base_path: \"/auth\".to_owned(),",
        ),
    );
    write(
        "rust-type.rs.jinja",
        &built_in("rust-type.rs.jinja").replace(
            "pub type {{ type.name }} = {{ type.type }};",
            "pub type {{ type.name }} = {{ type.type }}; // overridden",
        ),
    );
    let changed = generate(auth_cli::Target::Rust).unwrap_or_else(|e| panic!("{e}"));
    let expected: String = rs
        .replace(
            "base_path: \"/api/auth\".to_owned(),",
            "base_path: \"/auth\".to_owned(),",
        )
        .lines()
        .map(|line| {
            if line.starts_with("pub type ") {
                format!("{line} // overridden\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    assert_ne!(changed, rs);
    assert_eq!(changed, expected);

    write("client.rs.jinja", "{% for type in models %}");
    let error = generate(auth_cli::Target::Rust).err().unwrap_or_default();
    assert!(
        error.starts_with("template client.rs.jinja: "),
        "a broken template: {error:?}"
    );
}
