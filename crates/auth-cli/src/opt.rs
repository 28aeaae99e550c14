//! The command line, as clap structs.

use std::path::PathBuf;

use auth_core::Dialect;
use clap::{Parser, Subcommand};

/// Authentication for Rust, compatible with better-auth: one auth.toml, every schema derived.
#[derive(Debug, Parser)]
#[command(name = "auth-cli", version, about)]
pub struct Opt {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the complete SQL schema for a dialect (no database connection, no network).
    Generate(GenerateOpt),
}

#[derive(Debug, clap::Args)]
pub struct GenerateOpt {
    /// SQL dialect: sqlite, d1, postgres or mysql.
    #[arg(long, value_parser = parse_dialect)]
    pub dialect: Dialect,
    /// The configuration file.
    #[arg(long, default_value = "auth.toml")]
    pub config: PathBuf,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn parse_dialect(value: &str) -> Result<Dialect, String> {
    value
        .parse()
        .map_err(|e: auth_core::sql::UnknownDialect| e.to_string())
}
