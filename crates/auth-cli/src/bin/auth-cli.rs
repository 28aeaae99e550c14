use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than glibc's malloc: the many small, short-lived allocations of a request (rows,
/// JSON values, log lines) cost less CPU (a list request ~30 % less, `docs/benchmarks.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Long messages (paths, lists of destructive changes) stay on one line each: easy to copy
    // and to grep.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())
    }));
    let opt = auth_cli::Opt::parse();
    let log = auth_cli::logging::install(opt.log_format);
    let stdout = std::io::stdout();
    let result = auth_cli::run(opt, &mut stdout.lock());
    // The queued log lines go out before an error.
    drop(log);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            #[expect(clippy::print_stderr, reason = "the binary reports errors on stderr")]
            {
                eprintln!("{:?}", error.into_report());
            }
            ExitCode::FAILURE
        }
    }
}
