//! better-auth's password hash (scrypt N=16384, r=16, p=1, 64 bytes), three hashers side by side
//! in one run: ours (scrypt-opt's fixed-r kernel, in a buffer reused from hash to hash), the one
//! before it (RustCrypto's `scrypt`
//! 0.12) and Node's `crypto.scrypt` (OpenSSL, what better-auth runs). Rounds are interleaved so
//! that the machine's load hits all three alike. Then the throughput of a burst: ours through
//! `PasswordHasher` (at most one job per core), Node's through its libuv pool
//! (`Promise.all` of `crypto.scrypt`, as concurrent sign-ins reach it).
//!
//! cargo bench -p auth-runtime --bench scrypt [-- HASHES]

use std::process::Command;
use std::time::{Duration, Instant};

use auth_runtime::wire::{PasswordHasher, password};

/// Hashes per hasher and round, and rounds.
const PER_ROUND: usize = 4;
const ROUNDS: usize = 3;

#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
fn main() {
    let burst: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(32);

    let _warm_up = password::hash("warm-up");
    let params = match scrypt::Params::new(14, 16, 1) {
        Ok(params) => params,
        Err(e) => {
            println!("scrypt parameters refused: {e}");
            return;
        }
    };
    let (mut ours, mut rustcrypto, mut node) = (Vec::new(), Vec::new(), Vec::new());
    let mut blocks = password::Blocks::new();
    for round in 0..ROUNDS {
        // In one buffer, as `PasswordHasher` runs hashes while sign-ins queue.
        ours.push(per_hash(|i| {
            let _hash = password::hash_with(&mut blocks, &format!("password-{round}-{i}"));
        }));
        rustcrypto.push(per_hash(|i| {
            let mut key = [0u8; 64];
            let pw = format!("password-{round}-{i}");
            let _ = scrypt::scrypt(pw.as_bytes(), b"0123456789abcdef", &params, &mut key);
        }));
        match node_ms(&format!(
            "const t = process.hrtime.bigint(); for (let i = 0; i < {PER_ROUND}; i++) \
             crypto.scryptSync('password-' + i, '0123456789abcdef', 64, {OPTIONS}); \
             console.log(Number(process.hrtime.bigint() - t) / 1e6 / {PER_ROUND});"
        )) {
            Some(ms) => node.push(Duration::from_secs_f64(ms / 1000.0)),
            None => println!("node is not available: no Node figures"),
        }
    }
    println!("one hash on one thread, median of {ROUNDS} interleaved rounds of {PER_ROUND}:");
    let ours = median(&mut ours);
    println!("  ours (scrypt-opt)      {:7.1} ms", ms(ours));
    let rustcrypto = median(&mut rustcrypto);
    println!(
        "  RustCrypto scrypt 0.12 {:7.1} ms   ours is {:.2}x faster",
        ms(rustcrypto),
        rustcrypto.as_secs_f64() / ours.as_secs_f64()
    );
    if !node.is_empty() {
        let node = median(&mut node);
        println!(
            "  Node crypto.scrypt     {:7.1} ms   ours is {:.2}x faster",
            ms(node),
            node.as_secs_f64() / ours.as_secs_f64()
        );
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            println!("cannot start a tokio runtime: {e}");
            return;
        }
    };
    let hasher = PasswordHasher::new();
    let (elapsed, failures) = runtime.block_on(async {
        let start = Instant::now();
        let mut jobs = tokio::task::JoinSet::new();
        for i in 0..burst {
            let hasher = hasher.clone();
            jobs.spawn(async move { hasher.hash(format!("password-{i}")).await });
        }
        let mut failures = 0;
        while let Some(done) = jobs.join_next().await {
            if !matches!(done, Ok(Ok(_))) {
                failures += 1;
            }
        }
        (start.elapsed(), failures)
    });
    let ours_rate = burst as f64 / elapsed.as_secs_f64();
    println!(
        "burst of {burst}: ours through PasswordHasher (limit {}) {ours_rate:.1} hashes/s, {failures} failed",
        hasher.limit(),
    );
    let node_burst = node_ms(&format!(
        "const t = process.hrtime.bigint(); Promise.all(Array.from({{ length: {burst} }}, (_, i) => \
         new Promise((ok, no) => crypto.scrypt('password-' + i, '0123456789abcdef', 64, {OPTIONS}, \
         (e, k) => e ? no(e) : ok(k))))).then(() => console.log(Number(process.hrtime.bigint() - t) / 1e6));"
    ));
    if let Some(total) = node_burst {
        let node_rate = burst as f64 / (total / 1000.0);
        println!(
            "burst of {burst}: Node crypto.scrypt (libuv pool) {node_rate:.1} hashes/s; ours is {:.2}x",
            ours_rate / node_rate
        );
    }
}

/// better-auth's `scrypt` options in Node.
const OPTIONS: &str = "{ N: 16384, r: 16, p: 1, maxmem: 128 * 16384 * 16 * 2 }";

/// The mean time of one of `PER_ROUND` runs of `hash`.
fn per_hash(mut hash: impl FnMut(usize)) -> Duration {
    let start = Instant::now();
    for i in 0..PER_ROUND {
        hash(i);
    }
    start.elapsed() / u32::try_from(PER_ROUND).unwrap_or(1)
}

/// Runs `script` in Node (with `crypto`) and reads the milliseconds it prints.
fn node_ms(script: &str) -> Option<f64> {
    let output = Command::new("node")
        .args([
            "-e",
            &format!("const crypto = require('node:crypto'); {script}"),
        ])
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

fn median(runs: &mut [Duration]) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
