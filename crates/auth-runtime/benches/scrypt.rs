//! better-auth's password hash (scrypt N=16384, r=16, p=1, 64 bytes) in this crate: the time of
//! one hash on one core, then throughput of a burst through `PasswordHasher` (at most one job
//! per core).
//!
//! cargo bench -p auth-runtime --bench scrypt [-- HASHES]
//!
//! research/perf-baselines.md measured ≈ 91 ms per hash and ≈ 21.5 hashes/s on 2 cores for
//! scrypt 0.12 in release; Node 20's `crypto.scrypt` ≈ 130 ms and ≈ 15/s.

use std::time::{Duration, Instant};

use auth_runtime::wire::{PasswordHasher, password};

#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
fn main() {
    let burst: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(64);

    let _warm_up = password::hash("warm-up");
    let mut single: Vec<Duration> = (0..10)
        .map(|i| {
            let start = Instant::now();
            let _hash = password::hash(&format!("password-{i}"));
            start.elapsed()
        })
        .collect();
    single.sort();
    println!(
        "one hash, one thread: median {:.1} ms, min {:.1} ms, max {:.1} ms (10 runs)",
        ms(single[single.len() / 2]),
        ms(single[0]),
        ms(single[single.len() - 1])
    );

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
    println!(
        "burst of {burst} through PasswordHasher (limit {}): {:.2} s, {:.1} hashes/s, {failures} failed",
        hasher.limit(),
        elapsed.as_secs_f64(),
        burst as f64 / elapsed.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
