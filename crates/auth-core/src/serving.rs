//! Whether a server may run: with every enabled plugin enforced, and never on a database holding
//! the data of a plugin that guards sign-in (two-factor, admin) while `auth.toml` leaves it out.
//!
//! The schema tools (`generate`, `migrate`, `check`, the derive) accept every plugin: an
//! application served by better-auth (on D1, say) needs the tables. Only a server refuses.

use std::fmt;

use crate::config::{Config, ConfigError, Invalid, OrderedMap};
use crate::schema::{Origin, Plugin, Schema};
use crate::sql::DbSchema;

/// Refuses `config` when it enables a plugin outside `served`, naming every such plugin at its
/// `[plugins.<id>]` line.
pub fn refuse_unserved(config: &Config, served: &[Plugin]) -> Result<(), ConfigError> {
    let mut refused: Vec<(std::ops::Range<usize>, Plugin)> = config
        .plugins
        .enabled()
        .into_iter()
        .filter(|plugin| !served.contains(plugin))
        .map(|plugin| (config.plugins.span(plugin).unwrap_or(0..0), plugin))
        .collect();
    refused.sort_by_key(|(span, _)| span.start);
    let mut all: Vec<Invalid> = refused
        .into_iter()
        .map(|(span, plugin)| {
            let missing = if plugin.guards_sign_in() {
                "its endpoints and its check on every sign-in are missing"
            } else {
                "its endpoints are missing"
            };
            Invalid::new(
                &config.path,
                &config.source,
                span,
                format!(
                    "plugin {plugin} is not served by this version: {missing}; remove it, or use generate/migrate only"
                ),
                "`generate`, `migrate` and `check` accept every plugin; `serve` runs only the plugins it enforces (README: Plugins)".to_owned(),
            )
        })
        .collect();
    match all.len() {
        0 => Ok(()),
        1 => Err(ConfigError::Invalid(Box::new(all.remove(0)))),
        _ => Err(ConfigError::Several(all)),
    }
}

/// A plugin that guards sign-in whose tables or columns a database holds while `auth.toml` does
/// not enable it: better-auth challenges or refuses some of its users, a server without the
/// plugin would let them in with a password alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unenforced {
    pub plugin: Plugin,
    /// What gives it away: `table twoFactor`, `column user.twoFactorEnabled`.
    pub found: Vec<String>,
}

impl fmt::Display for Unenforced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plugin = self.plugin;
        write!(
            f,
            "the database holds plugin {plugin}'s data ({}), which decides who may sign in, but auth.toml does not enable it: add [plugins.{plugin}] so that its rules are enforced",
            self.found.join(", ")
        )
    }
}

/// The plugins that guard sign-in whose data `actual` holds while `config` leaves them out.
/// Names are compared as `config` spells them (naming, renamed tables and columns); a column of
/// the application's own that happens to share a plugin column's name is not counted.
pub fn unenforced(config: &Config, actual: &DbSchema) -> Result<Vec<Unenforced>, ConfigError> {
    let enabled = config.plugins.enabled();
    let own = Schema::build(config)?;
    let mut out = Vec::new();
    for &plugin in Plugin::ALL {
        if !plugin.guards_sign_in() || enabled.contains(&plugin) {
            continue;
        }
        let found = footprint(config, plugin, &own)?
            .into_iter()
            .filter(|(table, column)| match (actual.tables.get(table), column) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(held), Some(column)) => held.columns.iter().any(|c| &c.name == column),
            })
            .map(|(table, column)| match column {
                Some(column) => format!("column {table}.{column}"),
                None => format!("table {table}"),
            })
            .collect::<Vec<_>>();
        if !found.is_empty() {
            out.push(Unenforced { plugin, found });
        }
    }
    Ok(out)
}

/// The physical tables (`(table, None)`) and columns (`(table, Some(column))`) `plugin` adds to
/// the schema of `config`, leaving out names that schema already has.
fn footprint(
    config: &Config,
    plugin: Plugin,
    own: &Schema,
) -> Result<Vec<(String, Option<String>)>, ConfigError> {
    let mut probe = config.clone();
    // Additional fields may share a plugin field's name (`role`); the plugin's names do not
    // depend on them, only on naming and renames.
    for (_, model) in &mut probe.models.0 {
        model.fields = OrderedMap::default();
    }
    probe.plugins.enable(plugin);
    let with = Schema::build(&probe)?;
    let origin = Origin::Plugin(plugin);
    let mut out = Vec::new();
    for table in &with.tables {
        let existing = own.table(&table.name);
        if table.origin == origin && existing.is_none() {
            out.push((table.name.clone(), None));
            continue;
        }
        for column in table.columns.iter().filter(|c| c.origin == origin) {
            if existing.is_none_or(|t| t.column(&column.name).is_none()) {
                out.push((table.name.clone(), Some(column.name.clone())));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
