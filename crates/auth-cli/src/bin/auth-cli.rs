use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than glibc's malloc, which took about 30 % of the server's CPU on list requests
/// (many small rows and JSON values); README, "Benchmarks". scrypt's buffers bypass it
/// (auth-scrypt's `Blocks`).
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
