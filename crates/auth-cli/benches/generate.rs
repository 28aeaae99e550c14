//! `auth-cli generate` for the full plugin set, as whole processes: start, parse, build, render,
//! write, exit. Prints per-dialect wall time (mean, p50, p95, max over N runs) and peak RSS.
//!
//! cargo bench -p auth-cli --bench generate [-- RUNS]
//!
//! better-auth's CLI needs about 2.3 s and 190 MB for the same output on the project machine.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = root.join("examples/full/auth.toml");
    let binary = env!("CARGO_BIN_EXE_auth-cli");
    println!("auth-cli generate --config examples/full/auth.toml, {runs} runs per dialect");
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>10} {:>12}",
        "dialect", "mean ms", "p50 ms", "p95 ms", "max ms", "peak RSS MB"
    );
    for dialect in ["sqlite", "d1", "postgres", "mysql"] {
        let mut times: Vec<Duration> = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            let status = Command::new(binary)
                .args(["generate", "--dialect", dialect, "--config"])
                .arg(&config)
                .stdout(Stdio::null())
                .status();
            times.push(start.elapsed());
            match status {
                Ok(s) if s.success() => {}
                other => panic!("auth-cli failed: {other:?}"),
            }
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mean = times.iter().map(|d| ms(*d)).sum::<f64>() / runs as f64;
        println!(
            "{dialect:<10} {mean:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>12}",
            ms(times[runs / 2]),
            ms(times[runs * 95 / 100]),
            ms(times[runs - 1]),
            peak_rss_mb(binary, dialect, &config).map_or("n/a".to_owned(), |mb| format!("{mb:.1}"))
        );
    }
}

/// Peak resident set of one run, from GNU time's `%M` (Debian package `time`) when installed.
fn peak_rss_mb(binary: &str, dialect: &str, config: &Path) -> Option<f64> {
    let output = Command::new("/usr/bin/time")
        .args([
            "-f",
            "%M",
            binary,
            "generate",
            "--dialect",
            dialect,
            "--config",
        ])
        .arg(config)
        .stdout(Stdio::null())
        .output();
    output
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()?
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map(|kb| kb / 1024.0)
}
