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
    #[error("--target sql needs --dialect sqlite|d1|postgres|mysql")]
    MissingDialect,
    #[error("cannot generate: {0}")]
    Emit(String),
    #[error("`{0}` is not a migration name: use lower-case letters, digits, `_` and `-`")]
    BadSlug(String),
    #[error(
        "the migration is destructive and was not written:\n{}\nchange auth.toml (a default, a backfill) or re-run with --allow-destructive",
        reasons.iter().map(|r| format!("  - {r}")).collect::<Vec<_>>().join("\n")
    )]
    Destructive { reasons: Vec<String> },
    #[error("{}: it is a {found} snapshot, in the {expected} folder", path.display())]
    SnapshotDialect {
        path: PathBuf,
        found: auth_core::Dialect,
        expected: auth_core::Dialect,
    },
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
    Secret(auth_runtime::wire::SecretError),
    #[error("cannot serve: {0}")]
    NotServable(String),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: std::net::SocketAddr,
        source: std::io::Error,
    },
}

impl CliError {
    /// A report that shows the offending line of `auth.toml` with the message and the help.
    pub fn into_report(self) -> miette::Report {
        match self {
            Self::Config(error) if error.location().is_some() => {
                let headline = error.to_string();
                miette::Report::new(ConfigDiagnostic::new(headline, error.into_problems()))
            }
            other => miette::Report::msg(other.to_string()),
        }
    }
}

/// Problems in one `auth.toml`, each labelled at its place.
#[derive(Debug, thiserror::Error)]
#[error("{headline}")]
struct ConfigDiagnostic {
    headline: String,
    help: String,
    labels: Vec<(String, std::ops::Range<usize>)>,
    text: NamedSource<String>,
}

impl ConfigDiagnostic {
    fn new(headline: String, all: Vec<auth_core::config::Invalid>) -> Self {
        let (path, text, help) = all.first().map_or_else(Default::default, |first| {
            (
                first.location.path.display().to_string(),
                first.source_text.clone(),
                first.help.clone(),
            )
        });
        Self {
            headline,
            help,
            labels: all
                .into_iter()
                .map(|i| (i.message, i.location.span))
                .collect(),
            text: NamedSource::new(path, text),
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
        Some(Box::new(self.labels.iter().map(|(message, span)| {
            LabeledSpan::new_with_span(Some(message.clone()), span.clone())
        })))
    }
}
