//! The API fuzzer: schemathesis against the OpenAPI document our server serves at
//! `/open-api/generate-schema`, with every plugin this runtime serves
//! (`tests/fixtures/fuzz/auth.toml`), once without credentials and once signed in (an API key in
//! `x-api-key` stands for its owner's session, an admin). Checks: no 5xx, every status, content
//! type and body as the document says. Each failure it found is a regression test in
//! `routes_openapi.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support;

/// The pinned version (`.ci/run` installs it).
const VERSION: &str = "4.32.5";
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";
/// At most this many cases per operation and phase: with ~90 operations and two runs, about
/// 7,000 cases.
const MAX_EXAMPLES: &str = "20";
/// Both runs together, as CI requires.
const BUDGET: Duration = Duration::from_secs(180);
const MIN_CASES: u64 = 5_000;

/// `SCHEMATHESIS` if set, else the venv `.ci/run` makes, else `st` on PATH, at the pinned
/// version; `None` when missing (the test fails, unless `AUTH_TEST_ALLOW_MISSING=1` outside CI).
fn schemathesis() -> Option<PathBuf> {
    let candidates = match std::env::var_os("SCHEMATHESIS") {
        Some(named) => vec![PathBuf::from(named)],
        None => vec![
            support::root().join("target/schemathesis/bin/st"),
            PathBuf::from("st"),
        ],
    };
    let mut tried = Vec::new();
    for candidate in candidates {
        match Command::new(&candidate).arg("--version").output() {
            Ok(out) if String::from_utf8_lossy(&out.stdout).contains(VERSION) => {
                return Some(candidate);
            }
            Ok(out) => tried.push(format!(
                "{}: {}",
                candidate.display(),
                String::from_utf8_lossy(&out.stdout).trim()
            )),
            Err(e) => tried.push(format!("{}: {e}", candidate.display())),
        }
    }
    support::unavailable(&support::service::SCHEMATHESIS, &tried.join("; "));
    None
}

/// What one run reported.
#[derive(Debug, Default)]
struct Figures {
    cases: u64,
    failures: Vec<String>,
}

/// One schemathesis run against `base` with `headers`; its figures from the ndjson events.
fn run(
    st: &Path,
    base: &str,
    headers: &[String],
    scratch: &Path,
    label: &str,
    budget: Duration,
) -> Figures {
    let events = scratch.join(format!("{label}.ndjson"));
    let mut command = Command::new(st);
    command
        .arg("run")
        .arg(format!("{base}/api/auth/open-api/generate-schema"))
        .args(["--url", &format!("{base}/api/auth")])
        .args(["--checks", CHECKS])
        .args(["--max-examples", MAX_EXAMPLES])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--seed", "20261207"])
        .args(["--generation-database", "none"])
        .args(["--workers", "2"])
        .args(["--max-redirects", "0"])
        .args(["--request-timeout", "10"])
        .args(["--suppress-health-check", "all"])
        .args(["--report", "ndjson"])
        .arg("--report-ndjson-path")
        .arg(&events)
        .args(["--no-color", "--output-truncate", "true"])
        .current_dir(scratch);
    for header in headers {
        command.args(["-H", header]);
    }
    let finished = support::d1::run(command, scratch, budget)
        .unwrap_or_else(|e| panic!("schemathesis ({label}) within {budget:?}: {e}"));
    let text =
        std::fs::read_to_string(&events).unwrap_or_else(|e| panic!("{e}\n{}", finished.text));
    let mut figures = Figures::default();
    for line in text.lines() {
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        count(&event, &mut figures);
    }
    if !finished.success && figures.failures.is_empty() {
        figures.failures.push(format!(
            "schemathesis exited with an error:\n{}",
            finished.text
        ));
    }
    figures
}

/// Adds an event's cases and failed checks to `figures`: a `ScenarioFinished` holds its cases and
/// their checks, a `NonFatalError` is an operation schemathesis could not test (a failure too).
fn count(event: &Value, figures: &mut Figures) {
    if let Some(error) = event.get("NonFatalError") {
        figures.failures.push(format!("error: {error}"));
        return;
    }
    let Some(recorder) = event.pointer("/ScenarioFinished/recorder") else {
        return;
    };
    figures.cases += recorder["cases"].as_object().map_or(0, |c| c.len() as u64);
    let label = recorder["label"].as_str().unwrap_or("?");
    let checks = recorder["checks"]
        .as_object()
        .into_iter()
        .flat_map(|c| c.values());
    for check in checks.filter_map(Value::as_array).flatten() {
        if check["status"] != "success" {
            figures.failures.push(format!("{label}: {check}"));
        }
    }
}

/// Sends `request` and reads its JSON answer.
pub(crate) async fn json_answer(request: reqwest::RequestBuilder) -> Value {
    let answer = request.send().await.unwrap_or_else(|e| panic!("{e}"));
    answer.json().await.unwrap_or_else(|e| panic!("{e}"))
}

/// Signs a user up (an admin, by the fixture's default role) and makes an API key for them.
pub(crate) async fn api_key(base: &str) -> String {
    let http = reqwest::Client::new();
    let signed_up = http
        .post(format!("{base}/api/auth/sign-up/email"))
        .header("origin", base)
        .json(
            &json!({"email": "fuzz@example.com", "password": "fuzz-password-123", "name": "Fuzz"}),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(signed_up.status().is_success(), "{signed_up:?}");
    let cookie: Vec<String> = signed_up
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next().map(str::to_owned))
        .collect();
    let created = json_answer(
        http.post(format!("{base}/api/auth/api-key/create"))
            .header("origin", base)
            .header("cookie", cookie.join("; "))
            .json(&json!({"name": "fuzz"})),
    )
    .await;
    created["key"]
        .as_str()
        .unwrap_or_else(|| panic!("no key: {created}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(
    clippy::print_stderr,
    reason = "the fuzzer's figures (cases, failures, time) are the run's report"
)]
async fn schemathesis_finds_no_server_error_and_no_schema_violation() {
    let Some(st) = schemathesis() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = support::config("tests/fixtures/fuzz/auth.toml");
    let (base, _auth) = support::server::serve(config, dir.path()).await;
    let key = api_key(&base).await;
    let started = Instant::now();
    let scratch = dir.path().to_owned();
    let (anonymous, signed_in) = tokio::task::spawn_blocking(move || {
        let anonymous = run(&st, &base, &[], &scratch, "anonymous", BUDGET);
        let left = BUDGET.saturating_sub(started.elapsed());
        let signed_in = run(
            &st,
            &base,
            &[format!("x-api-key: {key}")],
            &scratch,
            "signed-in",
            left,
        );
        (anonymous, signed_in)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let elapsed = started.elapsed();
    let cases = anonymous.cases + signed_in.cases;
    let failures: Vec<&String> = anonymous
        .failures
        .iter()
        .chain(&signed_in.failures)
        .collect();
    eprintln!(
        "schemathesis {VERSION}: {cases} cases ({} anonymous, {} signed in), {} failures, {:.1} s",
        anonymous.cases,
        signed_in.cases,
        failures.len(),
        elapsed.as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(cases >= MIN_CASES, "only {cases} cases");
    assert!(elapsed <= BUDGET, "{elapsed:?}");
}

/// In CI, a missing schemathesis fails the test above, naming it and how to install it (it does
/// not pass having done nothing); outside CI, `AUTH_TEST_ALLOW_MISSING=1` makes it a skip.
#[test]
fn a_missing_schemathesis_fails_in_ci() {
    let run = |ci: bool| {
        support::service::run_test_alone(
            "routes_openapi::fuzz::schemathesis_finds_no_server_error_and_no_schema_violation",
            |command| {
                command
                    .env("SCHEMATHESIS", "/nonexistent/st")
                    .env(support::service::ALLOW_MISSING, "1");
                if ci {
                    command.env("CI", "true");
                } else {
                    command.env_remove("CI");
                }
            },
        )
    };
    let (passed, text) = run(true);
    assert!(!passed, "{text}");
    assert!(
        text.contains("schemathesis 4.32.5") && text.contains("is unavailable"),
        "{text}"
    );
    assert!(text.contains("pip install schemathesis==4.32.5"), "{text}");
    let (passed, text) = run(false);
    assert!(passed, "{text}");
    assert!(text.contains("SKIPPED"), "{text}");
}
