use super::*;
use crate::Dialect;
use crate::sql::expected;

fn config(text: &str) -> Config {
    Config::parse("auth.toml", text).unwrap_or_else(|e| panic!("{e}"))
}

fn every_plugin() -> String {
    Plugin::ALL
        .iter()
        .map(|plugin| format!("[plugins.{plugin}]\n"))
        .collect()
}

#[test]
fn every_plugin_outside_the_served_set_is_refused_at_its_line() {
    let config = config(&format!(
        "[email-and-password]\nenabled = true\n\n{}",
        every_plugin()
    ));
    let error = refuse_unserved(&config, &[])
        .err()
        .unwrap_or_else(|| panic!("refused"));
    let ConfigError::Several(all) = &error else {
        panic!("one error per plugin: {error}")
    };
    assert_eq!(all.len(), Plugin::ALL.len());
    insta::assert_snapshot!(error.to_string());

    // A served plugin leaves the list; the others stay.
    let served = [Plugin::TwoFactor, Plugin::Admin];
    let Err(ConfigError::Several(rest)) = refuse_unserved(&config, &served) else {
        panic!("the others are still refused")
    };
    assert_eq!(rest.len(), Plugin::ALL.len() - served.len());
    assert!(rest.iter().all(|i| !i.message.contains("two-factor")));
    assert!(refuse_unserved(&config, Plugin::ALL).is_ok());
}

#[test]
fn one_unserved_plugin_points_at_its_table() {
    let config =
        config("[email-and-password]\nenabled = true\n\n# 2FA\n\n\n[plugins.two-factor]\n");
    let error = refuse_unserved(&config, &[])
        .err()
        .unwrap_or_else(|| panic!("refused"));
    assert_eq!(
        error.to_string(),
        "auth.toml:7:1: plugin two-factor is not served by this version: its endpoints and its check on every sign-in are missing; remove it, or use generate/migrate only"
    );
    let inline =
        Config::parse("auth.toml", "plugins = { admin = {} }\n").unwrap_or_else(|e| panic!("{e}"));
    let error = refuse_unserved(&inline, &[])
        .err()
        .unwrap_or_else(|| panic!("refused"));
    assert!(error.to_string().starts_with("auth.toml:1:"), "{error}");
}

/// What the database of `with` holds, checked against `config`.
fn found(with: &str, config_text: &str) -> Vec<Unenforced> {
    let held = expected(
        &Schema::build(&config(with)).unwrap_or_else(|e| panic!("{e}")),
        Dialect::Postgres,
    );
    unenforced(&config(config_text), &held).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_database_with_guarding_plugins_is_refused_without_them() {
    let both = "[plugins.two-factor]\n[plugins.admin]\n";
    let found = found(both, "");
    insta::assert_snapshot!(
        found
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(
        found.iter().map(|u| u.plugin).collect::<Vec<_>>(),
        [Plugin::TwoFactor, Plugin::Admin]
    );
}

#[test]
fn enabled_plugins_and_other_plugins_data_are_not_findings() {
    let both = "[plugins.two-factor]\n[plugins.admin]\n[plugins.organization]\n";
    assert_eq!(found(both, both), []);
    // Organization's data guards nothing at sign-in.
    assert_eq!(found("[plugins.organization]\n", ""), []);
    // One of the two is enough to be refused.
    assert_eq!(
        found(both, "[plugins.admin]\n")
            .iter()
            .map(|u| u.plugin)
            .collect::<Vec<_>>(),
        [Plugin::TwoFactor]
    );
}

#[test]
fn names_follow_the_configuration() {
    let snake = "[database]\nnaming = \"snake\"\n[models.user]\ntable = \"users\"\n";
    let found = found(&format!("{snake}[plugins.admin]\n"), snake);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].found.contains(&"column users.banned".to_owned()),
        "{:?}",
        found[0].found
    );
    // The database of a differently named schema holds none of these names.
    assert_eq!(
        super::tests::found("[plugins.admin]\n", snake),
        [],
        "camelCase tables are not the snake_case configuration's"
    );
}

#[test]
fn an_own_field_named_like_a_plugin_field_is_not_a_finding() {
    let own = "[models.user.fields.role]\ntype = \"string\"\n";
    assert_eq!(found(own, own), []);
}
