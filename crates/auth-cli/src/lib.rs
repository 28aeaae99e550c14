//! `auth-cli` as a library: [`run`] does the work, the binary only parses arguments and prints.

mod error;
pub mod opt;

use std::io::Write;

use auth_core::{Config, Schema, sql};

pub use error::CliError;
pub use opt::{Command, GenerateOpt, Opt};

/// Runs one command, writing its primary output to `stdout`.
pub fn run(opt: Opt, stdout: &mut dyn Write) -> Result<(), CliError> {
    match opt.command {
        Command::Generate(generate) => run_generate(&generate, stdout),
    }
}

fn run_generate(opt: &GenerateOpt, stdout: &mut dyn Write) -> Result<(), CliError> {
    let config = Config::load(&opt.config)?;
    let schema = Schema::build(&config)?;
    let sql = sql::render_schema(&schema, opt.dialect);
    match &opt.out {
        Some(path) => std::fs::write(path, sql).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        }),
        None => stdout
            .write_all(sql.as_bytes())
            .map_err(|source| CliError::Write {
                path: "<stdout>".into(),
                source,
            }),
    }
}
