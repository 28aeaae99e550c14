//! better-auth's access-control model, shared by admin and organization: statements (resources
//! and their actions), roles granting subsets of them, declared in `auth.toml` and checked at
//! load against the statements.

use std::collections::BTreeMap;

use toml::Spanned;

use crate::config::{Config, ConfigError};

/// Resource → actions (better-auth's `Statements`).
pub type Statements = BTreeMap<String, Vec<String>>;

/// Declared roles: role → resource → actions, as `[plugins.<id>.roles.<role>]` tables.
pub type DeclaredRoles = BTreeMap<String, BTreeMap<String, Spanned<Vec<String>>>>;

/// Owned statements from a constant list.
pub fn owned(list: &[(&str, &[&str])]) -> Statements {
    list.iter()
        .map(|(resource, actions)| {
            let actions = actions.iter().map(|a| (*a).to_owned()).collect();
            ((*resource).to_owned(), actions)
        })
        .collect()
}

/// `defaults`, then the declared statements (a declared resource replaces a default one).
pub fn statements(
    defaults: &[(&str, &[&str])],
    declared: &BTreeMap<String, Spanned<Vec<String>>>,
) -> Statements {
    let mut all = owned(defaults);
    for (resource, actions) in declared {
        all.insert(resource.clone(), actions.get_ref().clone());
    }
    all
}

/// `defaults`, then the declared roles (a declared role replaces a default of its name).
pub fn roles(
    defaults: BTreeMap<String, Statements>,
    declared: &DeclaredRoles,
) -> BTreeMap<String, Statements> {
    let mut all = defaults;
    for (name, grants) in declared {
        let grants = grants
            .iter()
            .map(|(resource, actions)| (resource.clone(), actions.get_ref().clone()))
            .collect();
        all.insert(name.clone(), grants);
    }
    all
}

/// `roles` with `extra` grants merged in: an extra role of a known name adds its actions to
/// that role's (better-auth's `hasPermission` with dynamic access control), a new name is added.
pub fn merge_roles(
    roles: &mut BTreeMap<String, Statements>,
    extra: impl IntoIterator<Item = (String, Statements)>,
) {
    for (name, grants) in extra {
        let merged = roles.entry(name).or_default();
        for (resource, actions) in grants {
            let held = merged.entry(resource).or_default();
            for action in actions {
                if !held.contains(&action) {
                    held.push(action);
                }
            }
        }
    }
}

/// The resources of `wanted` that no statement declares (better-auth's `INVALID_RESOURCE`).
pub fn unknown_resources<'a>(statements: &Statements, wanted: &'a Statements) -> Vec<&'a str> {
    wanted
        .keys()
        .filter(|resource| !statements.contains_key(*resource))
        .map(String::as_str)
        .collect()
}

/// better-auth's `role.authorize` with the `AND` connector: every requested resource granted,
/// each with all its requested actions (an empty list grants nothing).
pub fn authorizes(grants: &Statements, wanted: &Statements) -> bool {
    !wanted.is_empty()
        && wanted.iter().all(|(resource, actions)| {
            grants.get(resource).is_some_and(|allowed| {
                !actions.is_empty() && actions.iter().all(|a| allowed.contains(a))
            })
        })
}

/// Every action a declared role grants is one a statement declares; refused at its line
/// otherwise. `section` names the plugin's table (`plugins.admin`).
pub fn check_roles(
    config: &Config,
    section: &str,
    statements: &Statements,
    declared: &DeclaredRoles,
) -> Result<(), ConfigError> {
    for (role, grants) in declared {
        for (resource, actions) in grants {
            let Some(known) = statements.get(resource) else {
                return Err(config.error_at(
                    actions.span(),
                    format!("role `{role}` grants actions on `{resource}`, which no statement declares"),
                    format!(
                        "declare it: [{section}.statements] {resource} = [\"…\"], or use one of: {}",
                        statements.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            if let Some(unknown) = actions.get_ref().iter().find(|a| !known.contains(a)) {
                return Err(config.error_at(
                    actions.span(),
                    format!("role `{role}` grants `{unknown}` on `{resource}`, an action no statement declares"),
                    format!("`{resource}` declares: {}", known.join(", ")),
                ));
            }
        }
    }
    Ok(())
}

/// Parses a `permissions` record (`{resource: [actions]}`) from JSON; `None` when it is not one.
pub fn from_json(value: &serde_json::Value) -> Option<Statements> {
    value
        .as_object()?
        .iter()
        .map(|(resource, actions)| {
            actions
                .as_array()?
                .iter()
                .map(|a| a.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .map(|actions| (resource.clone(), actions))
        })
        .collect()
}
