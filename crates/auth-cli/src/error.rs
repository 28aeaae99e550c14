use std::path::PathBuf;

use auth_core::ConfigError;
use auth_runtime::migrate::MigrateError;
use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Migrate(#[from] MigrateError),
    /// `check` found differences (printed on standard output).
    #[error(
        "the database differs from {} in {differences} way{}",
        config.display(),
        if *differences == 1 { "" } else { "s" }
    )]
    Drift { differences: usize, config: PathBuf },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Files(#[from] auth_core::migrate::files::FilesError),
    #[error("--target {} needs --dialect sqlite|d1|postgres|mysql", target_name(*.0))]
    MissingDialect(crate::Target),
    #[error("cannot generate: {0}")]
    Emit(String),
    #[error(transparent)]
    Template(#[from] auth_core::emit::EmitError),
    #[error("`{0}` is not a migration name: use lower-case letters, digits, `_` and `-`")]
    BadSlug(String),
    /// `migrate baseline`: the dialect folder holds migrations already.
    #[error(
        "{} already holds migrations ({}): `migrate baseline` starts a migrations folder for a database created by better-auth; nothing was written",
        dir.display(),
        files.join(", ")
    )]
    BaselineFolder { dir: PathBuf, files: Vec<String> },
    /// `migrate baseline`: the database is not the schema of `auth.toml` as better-auth creates
    /// it.
    #[error("{0}")]
    NotRecognised(String),
    #[error(transparent)]
    Secret(auth_runtime::SecretError),
    #[error("cannot serve: {0}")]
    NotServable(String),
    /// `admin grant` could not give the role.
    #[error("cannot grant the role: {0}")]
    Grant(String),
    /// `init` would replace a file.
    #[error("{} exists; nothing was written: pass --force to replace it", .0.display())]
    Exists(PathBuf),
    /// `init` could not read an answer.
    #[error("cannot read the answer: {0}")]
    Prompt(std::io::Error),
    /// A mail or SMS template does not parse or render (`check`, as `serve` at start-up).
    #[error("mail templates: {0}")]
    Templates(#[from] auth_runtime::mail::TemplateError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: std::net::SocketAddr,
        source: std::io::Error,
    },
}

impl From<auth_runtime::AuthError> for CliError {
    fn from(error: auth_runtime::AuthError) -> Self {
        match error {
            auth_runtime::AuthError::Config(error) => Self::Config(error),
            auth_runtime::AuthError::Introspect(error) => Self::Migrate(error),
            other => Self::NotServable(other.to_string()),
        }
    }
}

impl From<auth_runtime::BuildError> for CliError {
    fn from(error: auth_runtime::BuildError) -> Self {
        use auth_runtime::BuildError;
        match error {
            BuildError::Config(error) => Self::Config(error),
            BuildError::Secret(error) => Self::Secret(error),
            BuildError::Files(error) => Self::Files(error),
            BuildError::Migrate(error) => Self::Migrate(error),
            BuildError::Write { path, source } => Self::Write { path, source },
            BuildError::Auth(error) => error.into(),
            other => Self::NotServable(other.to_string()),
        }
    }
}

/// `--target`'s spelling of a target.
fn target_name(target: crate::Target) -> String {
    clap::ValueEnum::to_possible_value(&target)
        .map_or_else(String::new, |value| value.get_name().to_owned())
}

impl CliError {
    /// A report that shows the offending line of `auth.toml` with the message and the help; for
    /// several problems, one such report each under a headline that counts them (as rustc).
    pub fn into_report(self) -> miette::Report {
        match self {
            Self::Config(error) if error.location().is_some() => {
                let mut problems: Vec<ConfigDiagnostic> = error
                    .into_problems()
                    .into_iter()
                    .map(ConfigDiagnostic::new)
                    .collect();
                if problems.len() == 1 {
                    return miette::Report::new(problems.remove(0));
                }
                let path = problems
                    .first()
                    .map(|p| p.text.name().to_owned())
                    .unwrap_or_default();
                miette::Report::new(ConfigProblems {
                    headline: format!("{path}: {} problems", problems.len()),
                    problems,
                })
            }
            Self::Config(ConfigError::Read { path, message }) => miette::Report::msg(format!(
                "{}: cannot read: {message}\n\
                 help: no auth.toml here or in a parent folder: name the configuration with --config PATH, \
                 write one with `auth-cli init`, or start from an example: \
                 examples/quickstart/auth.toml (email and password, with a server ready to run) \
                 or examples/full/auth.toml (every plugin); templates/auth.reference.toml documents every key",
                path.display()
            )),
            other => miette::Report::msg(other.to_string()),
        }
    }
}

/// Several problems in one `auth.toml`, each shown at its place.
#[derive(Debug, thiserror::Error)]
#[error("{headline}")]
struct ConfigProblems {
    headline: String,
    problems: Vec<ConfigDiagnostic>,
}

impl Diagnostic for ConfigProblems {
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.problems.iter().map(|p| p as &dyn Diagnostic)))
    }
}

/// One problem in `auth.toml`, labelled at its place.
#[derive(Debug, thiserror::Error)]
#[error("{headline}")]
struct ConfigDiagnostic {
    headline: String,
    help: String,
    label: (String, std::ops::Range<usize>),
    text: NamedSource<String>,
}

impl ConfigDiagnostic {
    fn new(problem: auth_core::config::Invalid) -> Self {
        Self {
            headline: format!("{}: {}", problem.location, problem.message),
            help: problem.help,
            label: (problem.message, problem.location.span),
            text: NamedSource::new(
                problem.location.path.display().to_string(),
                problem.source_text,
            ),
        }
    }
}

impl Diagnostic for ConfigDiagnostic {
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.text)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (message, span) = &self.label;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(message.clone()),
            span.clone(),
        ))))
    }
}
