//! A real browser: Debian's Chromium, driven by playwright-core from `tests/browser` (the shared
//! harness: one browser launch, `auth-cli serve` on a free port, the app page on its exact origin
//! with better-auth's official client bundled by esbuild). The quickstart's documented set-up —
//! server on `localhost`, app on `http://localhost:5173` — signs in, reloads and keeps its session.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support;

/// One browser run: Chromium's start, the server's, bundling, and every step of the page.
const BUDGET: Duration = Duration::from_secs(90);

fn browser_project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

/// Chromium (`CHROMIUM`, default `/usr/bin/chromium`), or `None` when missing (the test fails
/// unless `AUTH_TEST_ALLOW_MISSING=1`).
fn chromium() -> Option<PathBuf> {
    let path =
        std::env::var_os("CHROMIUM").map_or_else(|| "/usr/bin/chromium".into(), PathBuf::from);
    if path.is_file() {
        return Some(path);
    }
    support::unavailable(
        &support::service::CHROMIUM,
        &format!("{} does not exist", path.display()),
    );
    None
}

/// Runs one scenario of `tests/browser` with `args` and more of its environment (`env`), and
/// returns its JSON report (`{checks, failed, ms}`).
pub(super) fn scenario(
    script: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Option<serde_json::Value> {
    let project = browser_project();
    if !super::node_project_ready(&project) {
        return None;
    }
    let chromium = chromium()?;
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut command = Command::new("node");
    command
        .arg(script)
        .args(args)
        .current_dir(&project)
        .env("AUTH_CLI", env!("CARGO_BIN_EXE_auth-cli"))
        .env("CHROMIUM", chromium)
        .env_remove("AUTH_SECRET")
        .env_remove("BETTER_AUTH_SECRET")
        .env_remove("BETTER_AUTH_SECRETS")
        .env_remove("DATABASE_URL")
        .envs(env.iter().copied());
    let finished = support::d1::run(command, scratch.path(), BUDGET)
        .unwrap_or_else(|e| panic!("{script} within {BUDGET:?}: {e}"));
    let report = finished
        .text
        .lines()
        .find_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|value| value.get("checks").is_some());
    assert!(finished.success, "{}", finished.text);
    Some(report.unwrap_or_else(|| panic!("no report from {script}:\n{}", finished.text)))
}

#[test]
fn the_quickstart_signs_in_and_keeps_its_session_in_chromium() {
    let Some(report) = scenario("quickstart.mjs", &[], &[]) else {
        return;
    };
    assert_eq!(report["failed"], 0, "{report:#}");
    let checks = report["checks"].as_array().map_or(0, Vec::len);
    assert!(checks >= 10, "{report:#}");
}

/// The open-api plugin's reference page renders offline (every request leaving loopback blocked:
/// there is none) and lists every operation of the document; the Scalar bundle in the binary is
/// the pinned npm package's. The screenshot is kept in `target/browser/reference.png`.
#[test]
fn the_reference_page_renders_offline_in_chromium() {
    let screenshot =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser/reference.png");
    std::fs::create_dir_all(screenshot.parent().unwrap_or(Path::new(".")))
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_file(&screenshot);
    let Some(report) = scenario(
        "reference.mjs",
        &[],
        &[
            ("SCALAR_VERSION", auth_runtime::plugins::SCALAR_VERSION),
            ("SCALAR_SHA256", auth_runtime::plugins::SCALAR_SHA256),
            ("SCREENSHOT", screenshot.to_str().unwrap_or_default()),
        ],
    ) else {
        return;
    };
    assert_eq!(report["failed"], 0, "{report:#}");
    assert!(
        report["checks"].as_array().map_or(0, Vec::len) >= 10,
        "{report:#}"
    );
    assert!(
        screenshot.is_file(),
        "no screenshot at {}",
        screenshot.display()
    );
}

/// Without Chromium the test above fails, naming Chromium and how to install it (it does not pass
/// having done nothing); `AUTH_TEST_ALLOW_MISSING=1` makes it a skip that says so.
#[test]
fn a_missing_chromium_fails_the_test_with_its_name() {
    let run = |allow: bool| {
        support::service::run_test_alone(
            "conformance::browser::the_quickstart_signs_in_and_keeps_its_session_in_chromium",
            |command| {
                command
                    .env("CHROMIUM", "/nonexistent/chromium")
                    .env_remove("CI")
                    .env_remove(support::service::ALLOW_MISSING);
                if allow {
                    command.env(support::service::ALLOW_MISSING, "1");
                }
            },
        )
    };
    let (passed, text) = run(false);
    assert!(!passed, "{text}");
    assert!(
        text.contains("Chromium (/usr/bin/chromium) is unavailable"),
        "{text}"
    );
    assert!(text.contains("apt-get install"), "{text}");
    let (passed, text) = run(true);
    assert!(passed, "{text}");
    assert!(text.contains("SKIPPED"), "{text}");
}
