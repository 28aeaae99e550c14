//! The command line, as clap structs.

use std::path::PathBuf;

use auth_core::Dialect;
use auth_core::schema::{Naming, Plugin};
use clap::{Parser, Subcommand};

/// Authentication for Rust, compatible with better-auth: one auth.toml, every schema derived.
#[derive(Debug, Parser)]
#[command(name = "auth-cli", version, about)]
pub struct Opt {
    /// Log lines on stderr as text (coloured on a terminal only) or as one JSON object per line.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "AUTH_LOG_FORMAT",
        hide_env_values = true,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

impl From<Command> for Opt {
    /// A command with the default global options (as a program calling [`crate::run`] needs).
    fn from(command: Command) -> Self {
        Self {
            log_format: LogFormat::Text,
            command,
        }
    }
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The configuration's file name, looked for in the current folder and its parents.
pub const CONFIG_FILE: &str = "auth.toml";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented auth.toml (and auth.schema.json beside it, for your editor) for a dialect
    /// and plugins: asked for in a terminal, taken from the flags otherwise; then print the next
    /// commands.
    Init(InitOpt),
    /// Write the SQL schema for a dialect, TypeScript or Rust types with a typed client, an OpenAPI 3.1
    /// document, or a Drizzle, Prisma or Kysely schema (no database connection, no network).
    Generate(GenerateOpt),
    /// Migrations: write the next one from auth.toml (new), apply them (apply), show where each
    /// file stands (status), adopt a database created by better-auth (baseline).
    #[command(subcommand)]
    Migrate(MigrateCommand),
    /// Check auth.toml: print each social provider's callback URL and configuration warnings;
    /// with --database-url, also compare the database with it (exit 1 on drift).
    Check(CheckOpt),
    /// Serve the auth API (better-auth's REST API under /api/auth). Without --database-url, an
    /// embedded SQLite database is created and migrated in a data folder beside auth.toml.
    Serve(ServeOpt),
    /// The admin plugin: give a user a role (grant), such as the first admin's.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print a new random secret as an environment line (`AUTH_SECRET=…`), for a .env file.
    Secret,
    /// Print the shell completion script: `auth-cli completions bash > ~/.local/share/bash-completion/completions/auth-cli`.
    Completions(CompletionsOpt),
}

#[derive(Debug, clap::Args)]
pub struct InitOpt {
    /// sqlite, d1, postgres or mysql (default sqlite).
    #[arg(long, value_parser = parse_dialect)]
    pub dialect: Option<Dialect>,
    /// Plugins to enable, by better-auth's ids (two-factor, admin, …): repeat the flag or
    /// comma-join them.
    #[arg(long = "plugin", value_delimiter = ',', value_parser = parse_plugin)]
    pub plugins: Vec<Plugin>,
    /// Physical names: camel (better-auth's own, the default) or snake.
    #[arg(long, value_parser = parse_naming, default_value = "camel")]
    pub naming: Naming,
    /// The file to write.
    #[arg(long, default_value = CONFIG_FILE)]
    pub config: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct CompletionsOpt {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
}

impl Command {
    /// The `--config` of a command that reads one.
    pub fn config_mut(&mut self) -> Option<&mut PathBuf> {
        match self {
            Self::Generate(opt) => Some(&mut opt.config),
            Self::Migrate(MigrateCommand::New(opt)) => Some(&mut opt.config),
            Self::Migrate(MigrateCommand::Baseline(opt)) => Some(&mut opt.config),
            Self::Check(opt) => Some(&mut opt.config),
            Self::Serve(opt) => Some(&mut opt.config),
            Self::Admin(AdminCommand::Grant(opt)) => Some(&mut opt.config),
            Self::Migrate(
                MigrateCommand::Apply(_) | MigrateCommand::Status(_) | MigrateCommand::Lint(_),
            )
            | Self::Init(_)
            | Self::Secret
            | Self::Completions(_) => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Set a user's role (replacing the roles they had), found by email address or id.
    Grant(AdminGrantOpt),
}

#[derive(Debug, clap::Args)]
pub struct AdminGrantOpt {
    /// The user: an email address or a user id.
    pub user: String,
    /// The role, or several comma-joined (`admin`, `user,support`).
    #[arg(long)]
    pub role: String,
    /// postgres://…, mysql://… or sqlite:PATH, holding the schema of auth.toml.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// The configuration file (it must enable [plugins.admin]).
    #[arg(long, default_value = CONFIG_FILE)]
    pub config: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ServeOpt {
    /// The configuration file (default: auth.toml in this folder or the nearest parent).
    #[arg(long, default_value = CONFIG_FILE, hide_default_value = true)]
    pub config: PathBuf,
    /// postgres://…, mysql://… or sqlite:PATH, already migrated (`migrate apply`). Needs
    /// AUTH_SECRET (or BETTER_AUTH_SECRET, or a rotated BETTER_AUTH_SECRETS) in the environment.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Where the embedded database, its migrations and its generated secret live
    /// (default: .auth beside the configuration file).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// The port to listen on (0: any free port; the URL is printed).
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// Seconds a client has to send a request's headers once their first byte arrived; a slower
    /// one is disconnected.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds a connection may wait for its next request (after connecting or after a
    /// response) before it is closed; also the most any request's headers may take.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
    /// Seconds a client has to send a request's body once its headers arrived; a later body is
    /// answered 408 and the connection closed.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout: u64,
    /// Connections served at once; further ones wait in the listen backlog until one closes.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
}

#[derive(Debug, clap::Args)]
pub struct GenerateOpt {
    /// What to generate: the SQL schema, a TypeScript or Rust module (types and a client), an
    /// OpenAPI 3.1 document, a schema for better-auth's Drizzle, Prisma or Kysely adapter (sql,
    /// drizzle, prisma and kysely need --dialect), or the JSON Schema of auth.toml itself.
    #[arg(long, value_enum, default_value_t = Target::Sql)]
    pub target: Target,
    /// SQL dialect: sqlite, d1, postgres or mysql (for --target sql, drizzle, prisma, kysely).
    #[arg(long, value_parser = parse_dialect)]
    pub dialect: Option<Dialect>,
    /// The configuration file (default: auth.toml in this folder or the nearest parent).
    #[arg(long, default_value = CONFIG_FILE, hide_default_value = true)]
    pub config: PathBuf,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// A folder of minijinja templates replacing the built-in ones of the same name
    /// (drizzle.ts.jinja, schema.prisma.jinja, kysely.ts.jinja, client.ts.jinja, client.rs.jinja,
    /// rust-type.rs.jinja) and of the clients' fixed parts (client-runtime.ts, client-runtime.rs).
    #[arg(long)]
    pub templates: Option<PathBuf>,
}

/// `generate --target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    Sql,
    Typescript,
    // A Rust module: model structs and a typed async client (serde, serde_json, reqwest).
    Rust,
    Openapi,
    // A Drizzle schema (drizzle-orm's sqlite-core, pg-core or mysql-core) for drizzleAdapter.
    Drizzle,
    // A schema.prisma for prismaAdapter.
    Prisma,
    // The Kysely `Database` interface for better-auth's Kysely adapter.
    Kysely,
    // The JSON Schema of auth.toml itself (for editors; no --config needed).
    JsonSchema,
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Write the next migration: the difference between the last migration's snapshot and
    /// auth.toml (no database, no network).
    New(MigrateNewOpt),
    /// Apply the pending files of the database's dialect folder, in order.
    Apply(MigrateApplyOpt),
    /// List every file as applied, pending, partially applied, edited or missing.
    Status(MigrateStatusOpt),
    /// Adopt a database created by better-auth's own CLI (`auth migrate`): check that it holds
    /// the schema of auth.toml, then write 0001_baseline (no statements) and record it as applied.
    Baseline(MigrateBaselineOpt),
    /// Read every migration file with the SQL parser of its dialect and refuse what would go
    /// wrong: BEGIN/COMMIT/SAVEPOINT or PRAGMA foreign_keys in a D1 file; without a
    /// `-- auth:destructive` comment, a dropped table or column, or a column narrowed (a narrower
    /// type, NOT NULL without a default) from what the earlier files declared (apply runs this
    /// first).
    Lint(MigrateLintOpt),
}

#[derive(Debug, clap::Args)]
pub struct MigrateLintOpt {
    /// The migrations folder (holding sqlite/, d1/, postgres/, mysql/).
    #[arg(long, default_value = "migrations")]
    pub dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct MigrateNewOpt {
    /// A short name for the migration: lower-case letters, digits, `_` and `-`.
    pub slug: String,
    /// SQL dialect: sqlite, d1, postgres or mysql.
    #[arg(long, value_parser = parse_dialect)]
    pub dialect: Dialect,
    /// The configuration file (default: auth.toml in this folder or the nearest parent).
    #[arg(long, default_value = CONFIG_FILE, hide_default_value = true)]
    pub config: PathBuf,
    /// The migrations folder; files go to <dir>/<dialect>/.
    #[arg(long, default_value = "migrations")]
    pub dir: PathBuf,
    /// Write the migration even if it drops tables or columns, narrows types or may fail on
    /// existing rows (each such statement is marked `-- auth:destructive`).
    #[arg(long)]
    pub allow_destructive: bool,
}

#[derive(Debug, clap::Args)]
pub struct MigrateApplyOpt {
    /// sqlite:PATH (or PATH.db), postgres://…, mysql://… or mariadb://…; SQLite files are created.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// The migrations folder (holding sqlite/, postgres/, mysql/).
    #[arg(long, default_value = "migrations")]
    pub dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct MigrateStatusOpt {
    /// sqlite:PATH (or PATH.db), postgres://…, mysql://… or mariadb://….
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// The migrations folder (holding sqlite/, postgres/, mysql/).
    #[arg(long, default_value = "migrations")]
    pub dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct MigrateBaselineOpt {
    /// sqlite:PATH (or PATH.db), postgres://…, mysql://… or mariadb://…; the database must exist.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// The configuration file the database is compared with.
    #[arg(long, default_value = CONFIG_FILE)]
    pub config: PathBuf,
    /// The migrations folder; files go to <dir>/<dialect>/, which must hold no migration yet.
    #[arg(long, default_value = "migrations")]
    pub dir: PathBuf,
    /// When better-auth 1.7.0-1.7.2 left `account.issuer` behind, adopt the database anyway and
    /// write its repair (drop the index, then the column) as 0002_repair_issuer for
    /// `migrate apply`.
    #[arg(long)]
    pub repair_issuer: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckOpt {
    /// sqlite:PATH (or PATH.db), postgres://…, mysql://… or mariadb://…; without it only the
    /// configuration is checked.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The server's public URL, for the callback URLs (default: `base-url` of auth.toml, else
    /// `serve`'s default http://127.0.0.1:3000).
    #[arg(long)]
    pub base_url: Option<String>,
    /// The configuration file (default: auth.toml in this folder or the nearest parent).
    #[arg(long, default_value = CONFIG_FILE, hide_default_value = true)]
    pub config: PathBuf,
    /// Print one JSON object instead of text: {"callbacks": [...], "warnings": [...]}, with a
    /// database also "drift", "tables" and "tolerated".
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn parse_plugin(value: &str) -> Result<Plugin, String> {
    let value = value.trim();
    Plugin::ALL
        .iter()
        .copied()
        .find(|plugin| plugin.id() == value)
        .ok_or_else(|| {
            let ids: Vec<&str> = Plugin::ALL.iter().map(|p| p.id()).collect();
            format!("`{value}` is not a plugin id; plugins: {}", ids.join(", "))
        })
}

fn parse_naming(value: &str) -> Result<Naming, String> {
    match value {
        "camel" => Ok(Naming::Camel),
        "snake" => Ok(Naming::Snake),
        other => Err(format!("`{other}` is not a naming: camel or snake")),
    }
}

pub(crate) fn parse_dialect(value: &str) -> Result<Dialect, String> {
    value
        .parse()
        .map_err(|e: auth_core::sql::UnknownDialect| e.to_string())
}
