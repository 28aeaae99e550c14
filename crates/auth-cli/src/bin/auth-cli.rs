use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
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
