//! UI tests compare compiler output byte for byte, and that text changes between compiler
//! versions: run them only on the toolchain their `.stderr` files were recorded with (askama's
//! gate). Elsewhere `tests/ui.rs` says it skipped them.

use std::process::Command;

/// The compiler the `.stderr` files under `tests/ui/fail` were recorded with.
const RECORDED_WITH: &str = "rustc 1.95.0 ";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(run_ui_tests)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=RUSTC");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .unwrap_or_default();
    if version.starts_with(RECORDED_WITH) {
        println!("cargo::rustc-cfg=run_ui_tests");
    }
}
