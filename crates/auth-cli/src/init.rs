//! `auth-cli init`: a commented `auth.toml` (and its JSON Schema beside it) for a dialect and
//! plugins, asked for in a terminal, then the commands that come next.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use auth_core::Dialect;
use auth_core::config::{SCHEMA_FILE, json_schema};
use auth_core::emit::{Templates, init_config};
use auth_core::schema::Plugin;

use crate::opt::{InitOpt, parse_dialect, parse_plugin};
use crate::{CliError, stdout_error};

pub(crate) fn init(opt: &InitOpt, stdout: &mut dyn Write) -> Result<(), CliError> {
    if opt.config.exists() && !opt.force {
        return Err(CliError::Exists(opt.config.clone()));
    }
    let stdin = std::io::stdin();
    let asked = opt.dialect.is_none() && opt.plugins.is_empty() && stdin.is_terminal();
    let (dialect, plugins) = if asked {
        ask(&mut stdin.lock(), stdout)?
    } else {
        (opt.dialect.unwrap_or(Dialect::Sqlite), opt.plugins.clone())
    };
    let text = init_config(dialect, opt.naming, &plugins, &Templates::embedded())?;
    write(&opt.config, &text)?;
    let schema = opt.config.with_file_name(SCHEMA_FILE);
    write(&schema, &json_schema())?;
    stdout
        .write_all(next_steps(&opt.config, &schema, dialect).as_bytes())
        .map_err(stdout_error)
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|source| CliError::Write {
        path: path.to_owned(),
        source,
    })
}

/// Asks for the dialect and the plugins until each answer is valid (an empty one takes the
/// default).
fn ask(input: &mut dyn BufRead, out: &mut dyn Write) -> Result<(Dialect, Vec<Plugin>), CliError> {
    let dialect = loop {
        let answer = prompt(
            input,
            out,
            "Database: sqlite, d1, postgres or mysql [sqlite]: ",
        )?;
        if answer.is_empty() {
            break Dialect::Sqlite;
        }
        match parse_dialect(&answer) {
            Ok(dialect) => break dialect,
            Err(error) => writeln!(out, "{error}").map_err(stdout_error)?,
        }
    };
    let plugins = loop {
        let answer = prompt(
            input,
            out,
            "Plugins, comma-separated (two-factor, admin, username, api-key, jwt, …) [none]: ",
        )?;
        let parsed: Result<Vec<Plugin>, String> = answer
            .split(',')
            .filter(|id| !id.trim().is_empty())
            .map(parse_plugin)
            .collect();
        match parsed {
            Ok(plugins) => break plugins,
            Err(error) => writeln!(out, "{error}").map_err(stdout_error)?,
        }
    };
    Ok((dialect, plugins))
}

fn prompt(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    question: &str,
) -> Result<String, CliError> {
    out.write_all(question.as_bytes()).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)?;
    let mut line = String::new();
    if input.read_line(&mut line).map_err(CliError::Prompt)? == 0 {
        return Err(CliError::Prompt(std::io::ErrorKind::UnexpectedEof.into()));
    }
    Ok(line.trim().to_owned())
}

/// What to run next, for the chosen dialect.
fn next_steps(config: &Path, schema: &Path, dialect: Dialect) -> String {
    let apply = match dialect {
        Dialect::D1 => "  wrangler d1 migrations apply <DATABASE> --local     applies them (migrations_dir = \"migrations/d1\")\n".to_owned(),
        Dialect::Sqlite => "  auth-cli migrate apply --database-url sqlite:app.db  applies them (`serve` alone keeps its own database)\n".to_owned(),
        Dialect::Postgres | Dialect::Mysql => format!(
            "  auth-cli migrate apply --database-url {}://…      applies them\n",
            dialect.as_str()
        ),
    };
    format!(
        "wrote {} and {} (its JSON Schema, for your editor)\n\
         next:\n\
         \x20 auth-cli migrate new init --dialect {d}     writes migrations/{d}/0001_init.sql\n\
         {apply}\
         \x20 auth-cli serve                                 serves the API at http://127.0.0.1:3000/api/auth\n\
         \x20 auth-cli generate --target typescript --out auth.ts   types and a client for your app\n\
         \x20 auth-cli secret >> .env                        a secret for production (AUTH_SECRET)\n",
        config.display(),
        schema.display(),
        d = dialect.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_again_until_an_answer_is_valid() {
        let mut input = "oracle\npostgres\ntwo-factr\ntwo-factor, admin\n".as_bytes();
        let mut out = Vec::new();
        let (dialect, plugins) = ask(&mut input, &mut out).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(dialect, Dialect::Postgres);
        assert_eq!(plugins, [Plugin::TwoFactor, Plugin::Admin]);
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("`two-factr` is not a plugin id"), "{text}");
        assert_eq!(text.matches("Database:").count(), 2, "{text}");
    }

    #[test]
    fn empty_answers_take_the_defaults_and_end_of_input_is_an_error() {
        let mut input = "\n\n".as_bytes();
        let (dialect, plugins) = ask(&mut input, &mut Vec::new()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((dialect, plugins), (Dialect::Sqlite, Vec::new()));
        assert!(ask(&mut "".as_bytes(), &mut Vec::new()).is_err());
    }
}
