//! The commented `auth.toml` that `auth-cli init` writes, rendered from `auth.toml.jinja`.

use serde::Serialize;

use super::templates::Template;
use super::{EmitError, Templates};
use crate::schema::{Naming, Plugin};
use crate::sql::Dialect;

/// A starting `auth.toml` for `dialect`, with `plugins` enabled (their defaults) and a mailer
/// that logs (so that every flow that mails works in development).
pub fn init_config(
    dialect: Dialect,
    naming: Naming,
    plugins: &[Plugin],
    templates: &Templates,
) -> Result<String, EmitError> {
    #[derive(Serialize)]
    struct Context {
        dialect: &'static str,
        naming: Naming,
        plugins: Vec<&'static str>,
    }
    templates.render(
        Template::InitConfig,
        Context {
            dialect: dialect.as_str(),
            naming,
            plugins: plugins.iter().map(|p| p.id()).collect(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::schema::Schema;

    #[test]
    fn every_dialect_and_plugin_gives_a_file_that_builds() {
        for dialect in Dialect::ALL {
            for naming in [Naming::Camel, Naming::Snake] {
                let text = init_config(dialect, naming, Plugin::ALL, &Templates::embedded())
                    .unwrap_or_else(|e| panic!("{e}"));
                let config = Config::parse("auth.toml", &text)
                    .unwrap_or_else(|e| panic!("{dialect}: {e}\n{text}"));
                assert_eq!(config.plugins.enabled(), Plugin::ALL.to_vec());
                assert_eq!(config.database.naming, naming);
                assert!(text.starts_with("#:schema ./auth.schema.json\n"));
                Schema::build(&config).unwrap_or_else(|e| panic!("{dialect}: {e}"));
            }
        }
        let bare = init_config(Dialect::Sqlite, Naming::Camel, &[], &Templates::embedded())
            .unwrap_or_else(|e| panic!("{e}"));
        let config = Config::parse("auth.toml", &bare).unwrap_or_else(|e| panic!("{e}\n{bare}"));
        assert!(config.plugins.enabled().is_empty());
        assert!(config.mailer.is_some());
    }
}
