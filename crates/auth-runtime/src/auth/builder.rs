//! [`AuthBuilder`]: a server from `auth.toml` in a few lines, as `auth-cli serve` starts one.
//!
//! ```no_run
//! # async fn run() -> Result<(), auth_runtime::BuildError> {
//! let auth = auth_runtime::Auth::builder()
//!     .config("auth.toml")
//!     .base_url("http://localhost:3000")
//!     .build()
//!     .await?;
//! let app: axum::Router = auth.router();
//! # Ok(()) }
//! ```
//!
//! Without [`AuthBuilder::database`] the database is embedded: an SQLite file in a data folder
//! (`.auth` beside `auth.toml` unless [`AuthBuilder::data_dir`] says otherwise) whose schema
//! follows `auth.toml` — the next migration is written into `<data>/migrations` (never a
//! destructive one) and every pending one applied. An external database must already hold the
//! schema of `auth.toml` (`auth-cli migrate apply`): drift is refused at build time, with the
//! differences listed. The secret comes from `BETTER_AUTH_SECRETS`, `BETTER_AUTH_SECRET` or
//! `AUTH_SECRET`, else — with the embedded database — from `auth.secret` in the data folder,
//! generated on first start.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use auth_core::migrate::files::{self, FilesError};
use auth_core::model::{AuthModel, ModelError};
use auth_core::serving::{Unenforced, refuse_unserved};
use auth_core::{Config, ConfigError, Dialect, Schema, adopt, drift};

use super::{Auth, AuthError, AuthOptions};
use crate::migrate::{Database, DatabaseUrl, MigrateError, Migrations};
use crate::plugins::SERVED;
use crate::store::Store;
use crate::wire::{Secret, SecretError};

/// The migration `auth-cli migrate baseline` records on a database better-auth created.
pub const BASELINE: &str = "0001_baseline";

/// The embedded database, in the data folder.
pub const DATABASE_FILE: &str = "auth.db";

/// The secret of the embedded database, beside it.
pub const SECRET_FILE: &str = "auth.secret";

/// Where the embedded database is kept when no data folder is given: `.auth` beside `config`.
pub fn default_data_dir(config: &Path) -> PathBuf {
    config
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(".auth")
}

/// A live database against a schema: the drift, and what is tolerated on a database adopted from
/// better-auth.
#[derive(Debug)]
pub struct Findings {
    /// The differences between the schema and the database.
    pub drift: drift::Drift,
    /// On a database adopted from better-auth: its shapes that are not drift.
    pub tolerated: Option<Vec<adopt::Tolerated>>,
    /// Plugins that guard sign-in whose data the database holds while `auth.toml` leaves them
    /// out: a server must not run on it.
    pub unenforced: Vec<Unenforced>,
}

/// Reads the database at `url` and compares it with `schema` (built from `config`).
/// `tolerate_better_auth` accepts better-auth's own shapes (no SQL defaults, its index names…)
/// even without a recorded baseline, as a server does — the runtime writes every column itself.
///
/// # Errors
/// The database cannot be reached or read.
pub async fn findings(
    config: &Config,
    schema: &Schema,
    url: &DatabaseUrl,
    tolerate_better_auth: bool,
) -> Result<Findings, AuthError> {
    let mut database = Database::connect(url).await?;
    let actual = database.introspect().await;
    let applied = database.applied().await;
    database.close().await;
    let (actual, applied) = (actual?, applied?);
    let unenforced = auth_core::serving::unenforced(config, &actual)?;
    let mut drift = drift::drift(schema, url.dialect(), &actual);
    // A database adopted from better-auth keeps better-auth's shapes: they are not drift.
    let adopted = tolerate_better_auth
        || applied.first().is_some_and(|first| {
            first.version == 1 && first.name == BASELINE && first.statements_done == 0
        });
    let tolerated = adopted.then(|| {
        let adoption = adopt::adopt(schema, url.dialect(), &actual);
        drift
            .differences
            .retain(|d| !adoption.tolerated.iter().any(|t| &t.difference == d));
        adoption.tolerated
    });
    Ok(Findings {
        drift,
        tolerated,
        unenforced,
    })
}

/// What a build did on the way, in order ([`AuthBuilder::build_reporting`]); [`AuthBuilder::build`]
/// logs each at INFO. `Display` is the line `auth-cli serve` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Startup {
    /// No secret in the environment: one was generated into this file.
    SecretGenerated(PathBuf),
    /// No secret in the environment: it was read from this file.
    SecretRead(PathBuf),
    /// The embedded database's next migration was written.
    MigrationWritten(PathBuf),
    /// A migration was applied to the embedded database (its summary line).
    MigrationApplied(String),
    /// The external database has better-auth's own schema, with this many tolerated differences.
    BetterAuthSchema {
        /// The database's URL.
        url: String,
        /// How many of its shapes differ from ours in ways that are not drift.
        tolerated: usize,
    },
}

impl fmt::Display for Startup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SecretGenerated(path) => write!(
                f,
                "generated a secret in {} (set AUTH_SECRET to use your own)",
                path.display()
            ),
            Self::SecretRead(path) => write!(f, "read the secret from {}", path.display()),
            Self::MigrationWritten(path) => write!(f, "wrote {}", path.display()),
            Self::MigrationApplied(line) => f.write_str(line),
            Self::BetterAuthSchema { url, tolerated } => write!(
                f,
                "{url} has better-auth's own schema ({tolerated} tolerated difference{}); `auth-cli migrate baseline` adopts it for migrations",
                if *tolerated == 1 { "" } else { "s" }
            ),
        }
    }
}

/// Why [`AuthBuilder::build`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No [`AuthBuilder::config`] was given.
    #[error("no configuration: call `.config(\"auth.toml\")` (or `.with_config(config)`)")]
    NoConfig,
    /// The configuration does not load or validate.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The secret is missing, too short or better-auth's built-in default.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The embedded database's migrations folder cannot be read.
    #[error(transparent)]
    Files(#[from] FilesError),
    /// Migrating the embedded database failed.
    #[error(transparent)]
    Migrate(#[from] MigrateError),
    /// A file of the data folder (the generated secret) cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The external database does not hold the schema of `auth.toml`.
    #[error(
        "{url} does not hold the schema of {}:\n{}\nrun `auth-cli migrate apply` (or `auth-cli check` for details)",
        config.display(),
        differences.iter().map(|d| format!("  - {d}")).collect::<Vec<_>>().join("\n")
    )]
    Drift {
        /// The database's URL.
        url: String,
        /// The configuration file.
        config: PathBuf,
        /// Each difference, one line each.
        differences: Vec<String>,
    },
    /// A struct given to [`AuthBuilder::check_model`] does not fit the schema of `auth.toml`.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The server cannot be built from the loaded configuration.
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// Where the server keeps its data.
#[derive(Debug, Clone)]
enum Storage {
    /// An SQLite file in this folder (the default folder when `None`).
    Embedded(Option<PathBuf>),
    /// A database that already has the schema.
    External(String),
}

/// Where the secret comes from.
#[derive(Debug, Clone)]
enum SecretSource {
    /// The environment, else (embedded database) the data folder's secret file.
    EnvOrFile,
    /// The environment only.
    Env,
    Given(Secret),
}

/// Builds an [`Auth`] from `auth.toml`: see the [module](self) documentation.
#[derive(Debug)]
#[must_use]
pub struct AuthBuilder {
    config: Option<ConfigSource>,
    storage: Storage,
    secret: SecretSource,
    options: AuthOptions,
    /// [`AuthModel::check_against`] of every struct given to [`AuthBuilder::check_model`].
    models: Vec<ModelCheck>,
}

/// One struct's [`AuthModel::check_against`].
type ModelCheck = fn(&Schema) -> Result<(), ModelError>;

#[derive(Debug)]
enum ConfigSource {
    File(PathBuf),
    Loaded(Box<Config>),
}

impl Auth {
    /// A builder: `Auth::builder().config("auth.toml").build().await?`.
    pub fn builder() -> AuthBuilder {
        AuthBuilder {
            config: None,
            storage: Storage::Embedded(None),
            secret: SecretSource::EnvOrFile,
            options: AuthOptions::default(),
            models: Vec::new(),
        }
    }
}

impl AuthBuilder {
    /// The `auth.toml` to load.
    pub fn config(mut self, path: impl Into<PathBuf>) -> Self {
        self.config = Some(ConfigSource::File(path.into()));
        self
    }

    /// A configuration already loaded.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = Some(ConfigSource::Loaded(Box::new(config)));
        self
    }

    /// An external database (`postgres://…`, `mysql://…`, `sqlite:PATH`) that already holds the
    /// schema of `auth.toml`.
    pub fn database(mut self, url: impl Into<String>) -> Self {
        self.storage = Storage::External(url.into());
        self
    }

    /// The embedded database, in `dir` (created if absent) instead of `.auth` beside `auth.toml`.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.storage = Storage::Embedded(Some(dir.into()));
        self
    }

    /// The secret from the environment only (`BETTER_AUTH_SECRETS`, `BETTER_AUTH_SECRET`,
    /// `AUTH_SECRET`), never from the data folder's file.
    pub fn secret_from_env(mut self) -> Self {
        self.secret = SecretSource::Env;
        self
    }

    /// This secret.
    pub fn secret(mut self, secret: Secret) -> Self {
        self.secret = SecretSource::Given(secret);
        self
    }

    /// The public URL when `auth.toml` has no `base-url`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.options.base_url = Some(url.into());
        self
    }

    /// Everything else ([`AuthOptions`]: hasher, mailer, hooks, secondary storage…); a base URL
    /// given before is kept unless `options` has one.
    pub fn options(mut self, options: AuthOptions) -> Self {
        let base_url = options.base_url.clone().or(self.options.base_url.take());
        self.options = AuthOptions {
            base_url,
            ..options
        };
        self
    }

    /// Checks at build time that `M`, a `#[derive(AuthModel)]` struct the compiler checked
    /// against one `auth.toml`, fits the configuration loaded at run time.
    pub fn check_model<M: AuthModel>(mut self) -> Self {
        self.models.push(M::check_against);
        self
    }

    /// Loads the config, prepares the database and the secret, and builds the server. What it
    /// did on the way is logged at INFO.
    ///
    /// # Errors
    /// A config error (with its location), a secret missing or weak, a database that cannot be
    /// reached, migrated or that drifted from `auth.toml`, a plugin that is not served.
    pub async fn build(self) -> Result<Auth, BuildError> {
        let (auth, events) = self.build_reporting().await?;
        for event in events {
            tracing::info!("{event}");
        }
        Ok(auth)
    }

    /// [`AuthBuilder::build`], returning what it did instead of logging it.
    ///
    /// # Errors
    /// As [`AuthBuilder::build`].
    pub async fn build_reporting(self) -> Result<(Auth, Vec<Startup>), BuildError> {
        let config = match self.config.ok_or(BuildError::NoConfig)? {
            ConfigSource::File(path) => Config::load(path)?,
            ConfigSource::Loaded(config) => *config,
        };
        // Before anything is created or migrated: a plugin we do not enforce is never served.
        refuse_unserved(&config, SERVED)?;
        let schema = Schema::build(&config)?;
        for check in &self.models {
            check(&schema)?;
        }
        let mut events = Vec::new();
        let data = match &self.storage {
            Storage::Embedded(dir) => {
                let dir = dir
                    .clone()
                    .unwrap_or_else(|| default_data_dir(&config.path));
                std::fs::create_dir_all(&dir).map_err(|source| BuildError::Write {
                    path: dir.clone(),
                    source,
                })?;
                Some(dir)
            }
            Storage::External(_) => None,
        };
        let secret = match self.secret {
            SecretSource::Given(secret) => secret,
            SecretSource::Env => Secret::from_env()?,
            SecretSource::EnvOrFile => env_or_file_secret(data.as_deref(), &mut events)?,
        };
        let auth = match (&self.storage, data) {
            (Storage::External(url), _) => {
                let url = DatabaseUrl::parse(url)?;
                refuse_drift(&config, &schema, &url, &mut events).await?;
                let store = Store::connect(&schema, url.dialect(), &url.to_string())
                    .await
                    .map_err(AuthError::from)?;
                Auth::new(config, store, secret, self.options)?
            }
            (Storage::Embedded(_), dir) => {
                let dir = dir.unwrap_or_default();
                let url = DatabaseUrl::Sqlite(dir.join(DATABASE_FILE));
                migrate_embedded(&schema, &dir, &url, &mut events).await?;
                Auth::connect(
                    config,
                    Dialect::Sqlite,
                    &url.to_string(),
                    secret,
                    self.options,
                )
                .await?
            }
        };
        Ok((auth, events))
    }
}

/// The secret from the environment; else, with a data folder, from its secret file, generated
/// (readable by its owner only) on first start.
fn env_or_file_secret(
    data: Option<&Path>,
    events: &mut Vec<Startup>,
) -> Result<Secret, BuildError> {
    match Secret::from_env() {
        Ok(secret) => return Ok(secret),
        Err(SecretError::Missing) => {}
        Err(error) => return Err(error.into()),
    }
    let Some(data) = data else {
        return Err(SecretError::Missing.into());
    };
    let path = data.join(SECRET_FILE);
    let io = |source| BuildError::Write {
        path: path.clone(),
        source,
    };
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(io)?;
        let secret = Secret::new(text.trim().to_owned())?;
        events.push(Startup::SecretRead(path));
        return Ok(secret);
    }
    let value = Secret::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(io)?;
    file.write_all(value.as_bytes()).map_err(io)?;
    let secret = Secret::new(value)?;
    events.push(Startup::SecretGenerated(path));
    Ok(secret)
}

/// Brings the embedded database to `schema`: the next migration (refused when destructive) is
/// written to `<data>/migrations`, then every pending one applied.
async fn migrate_embedded(
    schema: &Schema,
    data: &Path,
    url: &DatabaseUrl,
    events: &mut Vec<Startup>,
) -> Result<(), BuildError> {
    let dir = data.join("migrations");
    if let Some(written) = files::write_next(schema, Dialect::Sqlite, &dir, "auto", false)? {
        events.push(Startup::MigrationWritten(written.sql_path));
    }
    let migrations = Migrations::load(&dir, Dialect::Sqlite)?;
    let mut database = Database::connect_or_create(url).await?;
    let result = database
        .apply(&migrations, &mut |applied| {
            events.push(Startup::MigrationApplied(applied.to_string()));
        })
        .await;
    database.close().await;
    result?;
    Ok(())
}

/// Refuses an external database that drifted from `schema` or holds the data of a plugin that
/// guards sign-in while `config` leaves it out.
async fn refuse_drift(
    config: &Config,
    schema: &Schema,
    url: &DatabaseUrl,
    events: &mut Vec<Startup>,
) -> Result<(), BuildError> {
    let found = findings(config, schema, url, true).await?;
    if !found.unenforced.is_empty() {
        return Err(AuthError::Unenforced(found.unenforced).into());
    }
    if !found.drift.is_clean() {
        return Err(BuildError::Drift {
            url: url.to_string(),
            config: config.path.clone(),
            differences: found
                .drift
                .differences
                .iter()
                .map(ToString::to_string)
                .collect(),
        });
    }
    if let Some(tolerated) = found.tolerated.filter(|t| !t.is_empty()) {
        events.push(Startup::BetterAuthSchema {
            url: url.to_string(),
            tolerated: tolerated.len(),
        });
    }
    Ok(())
}
