//! `auth-cli` as a library: [`run`] does the work, the binary only parses arguments and prints.

mod accept;
mod admin;
mod apply;
mod baseline;
mod check;
mod error;
mod init;
pub mod logging;
mod new;
pub mod opt;
mod serve;

use std::io::Write;
use std::path::{Path, PathBuf};

use auth_core::emit::Templates;
use auth_core::{Config, Schema, sql};

pub use error::CliError;
pub use opt::{
    AdminCommand, AdminGrantOpt, CheckOpt, Command, CompletionsOpt, GenerateOpt, InitOpt,
    LogFormat, MigrateApplyOpt, MigrateBaselineOpt, MigrateCommand, MigrateLintOpt, MigrateNewOpt,
    MigrateStatusOpt, Opt, ServeOpt, Target,
};

/// Runs one command, writing its primary output to `stdout`.
pub fn run(mut opt: Opt, stdout: &mut dyn Write) -> Result<(), CliError> {
    if let Some(config) = opt.command.config_mut() {
        *config = discover(config);
    }
    match opt.command {
        Command::Init(init) => init::init(&init, stdout),
        Command::Generate(generate) => run_generate(&generate, stdout),
        Command::Migrate(MigrateCommand::New(new)) => new::new(&new, stdout),
        Command::Migrate(MigrateCommand::Apply(apply)) => block_on(apply::apply(&apply, stdout)),
        Command::Migrate(MigrateCommand::Status(status)) => {
            block_on(apply::status(&status, stdout))
        }
        Command::Migrate(MigrateCommand::Lint(lint)) => apply::lint(&lint, stdout),
        Command::Migrate(MigrateCommand::Baseline(baseline)) => {
            block_on(baseline::baseline(&baseline, stdout))
        }
        Command::Check(check) => block_on(check::check(&check, stdout)),
        Command::Admin(AdminCommand::Grant(grant)) => block_on(admin::grant(&grant, stdout)),
        Command::Secret => writeln!(stdout, "AUTH_SECRET={}", auth_runtime::Secret::generate())
            .map_err(stdout_error),
        Command::Completions(completions) => {
            let mut command = <Opt as clap::CommandFactory>::command();
            clap_complete::generate(completions.shell, &mut command, "auth-cli", stdout);
            Ok(())
        }
        Command::Serve(serve) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(CliError::Runtime)?
            .block_on(serve::serve(&serve, stdout)),
    }
}

/// `auth.toml` named without a folder (the default) is looked for in the current folder, then in
/// each parent, as cargo finds `Cargo.toml`; any other path is taken as given.
fn discover(config: &Path) -> PathBuf {
    if config != Path::new(opt::CONFIG_FILE) || config.exists() {
        return config.to_owned();
    }
    std::env::current_dir()
        .ok()
        .and_then(|here| {
            here.ancestors()
                .map(|dir| dir.join(opt::CONFIG_FILE))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_else(|| config.to_owned())
}

/// Database work is async (sqlx); the CLI runs it on a runtime of its own, one command at a time.
fn block_on<T>(work: impl Future<Output = Result<T, CliError>>) -> Result<T, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?
        .block_on(work)
}

fn stdout_error(source: std::io::Error) -> CliError {
    CliError::Write {
        path: "<stdout>".into(),
        source,
    }
}

fn run_generate(opt: &GenerateOpt, stdout: &mut dyn Write) -> Result<(), CliError> {
    // The schema of auth.toml itself: no auth.toml is read.
    if opt.target == Target::JsonSchema {
        return write_generated(opt, &auth_core::config::json_schema(), stdout);
    }
    let config = Config::load(&opt.config)?;
    let schema = Schema::build(&config)?;
    let endpoints = auth_core::endpoints::endpoints(&config);
    let templates = opt
        .templates
        .as_deref()
        .map_or_else(Templates::embedded, Templates::overridden_by);
    let text = match (opt.target, opt.dialect) {
        (Target::Sql, Some(dialect)) => sql::render_schema(&schema, dialect),
        (Target::Drizzle, Some(dialect)) => auth_core::emit::drizzle(&schema, dialect, &templates)?,
        (Target::Prisma, Some(dialect)) => auth_core::emit::prisma(&schema, dialect, &templates)?,
        (Target::Kysely, Some(dialect)) => auth_core::emit::kysely(&schema, dialect, &templates)?,
        (Target::Sql | Target::Drizzle | Target::Prisma | Target::Kysely, None) => {
            return Err(CliError::MissingDialect(opt.target));
        }
        (Target::Typescript, _) => auth_core::emit::typescript(&schema, &endpoints, &templates)?,
        (Target::Rust, _) => auth_core::emit::rust(&schema, &endpoints, &templates)?,
        (Target::Openapi, _) => {
            let document = auth_core::emit::openapi(&schema, &endpoints, "/api/auth")
                .map_err(CliError::Emit)?;
            serde_json::to_string_pretty(&document).map_err(|e| CliError::Emit(e.to_string()))?
                + "\n"
        }
        (Target::JsonSchema, _) => unreachable!("the JSON Schema needs no configuration"),
    };
    write_generated(opt, &text, stdout)
}

/// To `--out`, else to standard output.
fn write_generated(opt: &GenerateOpt, text: &str, stdout: &mut dyn Write) -> Result<(), CliError> {
    match &opt.out {
        Some(path) => std::fs::write(path, text).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        }),
        None => stdout.write_all(text.as_bytes()).map_err(stdout_error),
    }
}
