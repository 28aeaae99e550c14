use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Long messages (paths, lists of destructive changes) stay on one line each: easy to copy
    // and to grep.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())
    }));
    // Request logs and server diagnostics on stderr; RUST_LOG overrides the level.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let opt = auth_cli::Opt::parse();
    let stdout = std::io::stdout();
    match auth_cli::run(opt, &mut stdout.lock()) {
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
