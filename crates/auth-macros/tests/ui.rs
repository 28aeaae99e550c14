//! trybuild cases for every attribute form (`tests/ui/pass`) and every mismatch
//! (`tests/ui/fail`), against the configs in `tests/ui/config`.

use std::path::{Path, PathBuf};

#[cfg(run_ui_tests)]
#[test]
fn ui() {
    stage_configs();
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}

#[cfg(not(run_ui_tests))]
#[test]
#[expect(
    clippy::print_stderr,
    reason = "the skip must be visible in the test output"
)]
fn ui() {
    eprintln!(
        "skipped: the UI tests' .stderr files were recorded with rustc 1.95.0 (see build.rs)"
    );
}

/// trybuild compiles the cases in a crate of its own under `target/tests/trybuild/auth-macros`,
/// whose `CARGO_MANIFEST_DIR` is where the derive looks for `auth.toml`: put the configs there.
#[cfg_attr(
    not(run_ui_tests),
    expect(dead_code, reason = "only the UI tests stage configs")
)]
fn stage_configs() {
    let project = target_dir().join("tests/trybuild/auth-macros");
    let configs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/config");
    copy_dir(&configs, &project).unwrap_or_else(|error| {
        panic!(
            "cannot stage {} in {}: {error}",
            configs.display(),
            project.display()
        )
    });
}

#[cfg_attr(
    not(run_ui_tests),
    expect(dead_code, reason = "only the UI tests stage configs")
)]
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// `target/` (this test runs as `target/<profile>/deps/ui-<hash>`), as trybuild finds it.
#[cfg_attr(
    not(run_ui_tests),
    expect(dead_code, reason = "only the UI tests stage configs")
)]
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_owned()))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}
