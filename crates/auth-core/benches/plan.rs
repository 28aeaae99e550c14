//! Planning speed: `Schema::build` and `migrate::plan` for the full plugin set, in process.
//!
//! cargo bench -p auth-core --bench plan

use std::hint::black_box;
use std::time::{Duration, Instant};

use auth_core::migrate::plan;
use auth_core::{Config, Dialect, Schema};

fn schema(source: &str) -> Schema {
    match Config::parse("auth.toml", source).and_then(|c| Schema::build(&c)) {
        Ok(schema) => schema,
        Err(error) => panic!("{error}"),
    }
}

/// Median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let full = std::fs::read_to_string(root.join("examples/full/auth.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let core = "[email-and-password]\nenabled = true\n";
    let runs = 500;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("median of {runs} runs, milliseconds");
    println!(
        "parse + build the full plugin set: {:.3}",
        ms(median(runs, || {
            black_box(schema(black_box(&full)));
        }))
    );
    let (from, to) = (schema(core), schema(&full));
    let snake = schema(&format!("[database]\nnaming = \"snake\"\n{full}"));
    println!(
        "{:<10} {:>14} {:>16} {:>18}",
        "dialect", "create all", "core -> full", "camel -> snake"
    );
    for dialect in Dialect::ALL {
        let create = median(runs, || {
            black_box(plan(None, black_box(&to), dialect).render("0001"));
        });
        let alter = median(runs, || {
            black_box(plan(Some(black_box(&from)), black_box(&to), dialect).render("0002"));
        });
        let rename = median(runs, || {
            black_box(plan(Some(black_box(&to)), black_box(&snake), dialect).render("0003"));
        });
        println!(
            "{:<10} {:>14.3} {:>16.3} {:>18.3}",
            dialect.as_str(),
            ms(create),
            ms(alter),
            ms(rename)
        );
    }
}
