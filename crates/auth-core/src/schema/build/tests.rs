use crate::config::{Config, CookieCacheStrategy};
use crate::schema::{OnDelete, Origin, Plugin, Schema};

fn build(source: &str) -> Schema {
    match Config::parse("auth.toml", source).and_then(|c| Schema::build(&c)) {
        Ok(schema) => schema,
        Err(error) => panic!("{error}\n{:?}", error.help()),
    }
}

fn error(source: &str) -> String {
    match Config::parse("auth.toml", source).and_then(|c| Schema::build(&c)) {
        Ok(_) => panic!("expected an error for:\n{source}"),
        Err(error) => format!("{error}\nhelp: {}", error.help().unwrap_or_default()),
    }
}

#[test]
fn core_only() {
    let schema = build("");
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["user", "session", "account", "verification"]);
}

#[test]
fn every_plugin_id_enables_its_plugin() {
    for plugin in Plugin::ALL {
        let schema = build(&format!("[plugins.{}]\n", plugin.id()));
        assert_eq!(schema.plugins, [*plugin]);
    }
}

#[test]
fn plugin_columns_follow_canonical_order_not_file_order() {
    let a = build("[plugins.admin]\n[plugins.two-factor]\n");
    let b = build("[plugins.two-factor]\n[plugins.admin]\n");
    assert_eq!(a, b);
    let user = a.model("user").map(|t| {
        t.columns
            .iter()
            .map(|c| c.field.as_str())
            .collect::<Vec<_>>()
    });
    assert_eq!(
        user.unwrap_or_default()[7..],
        [
            "twoFactorEnabled",
            "role",
            "banned",
            "banReason",
            "banExpires"
        ]
    );
}

#[test]
fn additional_fields_keep_declaration_order() {
    let schema = build(
        "[models.user.fields.zeta]\ntype = \"string\"\n[models.user.fields.alpha]\ntype = \"number\"\n",
    );
    let user = schema.model("user").map(|t| {
        t.columns
            .iter()
            .map(|c| c.field.clone())
            .collect::<Vec<_>>()
    });
    let user = user.unwrap_or_default();
    assert_eq!(user[user.len() - 2..], ["zeta", "alpha"]);
}

#[test]
fn referenced_tables_come_first() {
    let schema = build(
        "[plugins.organization]\n[models.user.fields.tenantId]\ntype = \"string\"\nreferences = { model = \"organization\", on-delete = \"set null\" }\n",
    );
    let position = |name: &str| schema.tables.iter().position(|t| t.name == name);
    assert!(position("organization") < position("user"));
    let tenant = schema
        .model("user")
        .and_then(|t| t.field("tenantId"))
        .and_then(|c| c.references.clone());
    assert_eq!(
        tenant.map(|r| (r.table, r.on_delete)),
        Some(("organization".to_owned(), OnDelete::SetNull))
    );
    assert!(schema.deferred_references().is_empty());
}

#[test]
fn reference_cycles_are_deferred() {
    let schema = build(
        "[plugins.organization]\n\
         [models.user.fields.tenantId]\ntype = \"string\"\nreferences = { model = \"organization\", on-delete = \"set null\" }\n\
         [models.organization.fields.ownerId]\ntype = \"string\"\nreferences = { model = \"user\", on-delete = \"set null\" }\n",
    );
    assert_eq!(schema.deferred_references().len(), 1);
}

#[test]
fn snake_naming_and_renames() {
    let schema = build(
        "[database]\nnaming = \"snake\"\n[plugins.passkey]\n[models.user]\ntable = \"users\"\n[models.user.columns]\nemail = \"email_address\"\n",
    );
    let users = schema.table("users");
    assert!(users.and_then(|t| t.column("email_address")).is_some());
    assert!(users.and_then(|t| t.column("email_verified")).is_some());
    let passkey = schema.table("passkey");
    assert!(passkey.and_then(|t| t.column("credential_id")).is_some());
    let session = schema.table("session");
    assert_eq!(
        session
            .and_then(|t| t.column("user_id"))
            .and_then(|c| c.references.clone())
            .map(|r| r.table),
        Some("users".to_owned())
    );
    assert!(session.is_some_and(|t| t.indexes.iter().any(|i| i.name == "session_user_id_idx")));
}

#[test]
fn secondary_storage_url_must_be_redis() {
    let message = error("[secondary-storage]\nkind = \"redis\"\nurl = \"http://127.0.0.1:6379\"\n");
    assert!(
        message.contains("`http://127.0.0.1:6379` is not a Redis URL"),
        "{message}"
    );
    assert!(message.contains("redis://"), "{message}");
    let message = error("[secondary-storage]\nkind = \"redis\"\n");
    assert!(message.contains("needs a URL"), "{message}");
    build("[secondary-storage]\nkind = \"redis\"\nurl = \"rediss://u:p@h:6380/2\"\n");
}

#[test]
fn secondary_storage_drops_session_and_verification() {
    let schema = build("[secondary-storage]\nkind = \"memory\"\n[plugins.admin]\n");
    assert!(schema.model("session").is_none());
    assert!(schema.model("verification").is_none());
    let schema = build(
        "[secondary-storage]\nkind = \"memory\"\n[session]\nstore-in-database = true\n[plugins.admin]\n",
    );
    assert!(
        schema
            .model("session")
            .and_then(|t| t.field("impersonatedBy"))
            .is_some()
    );
}

#[test]
fn rate_limit_table_only_in_database_storage() {
    assert!(build("").model("rateLimit").is_none());
    let schema = build("[rate-limit]\nstorage = \"database\"\n");
    assert_eq!(
        schema.tables.last().map(|t| t.name.as_str()),
        Some("rateLimit")
    );
}

#[test]
fn plugin_options_change_tables() {
    let schema = build("[plugins.organization]\n");
    assert!(schema.model("team").is_none());
    assert!(
        schema
            .model("invitation")
            .and_then(|t| t.field("teamId"))
            .is_none()
    );
    let schema = build("[plugins.organization]\nteams = true\ndynamic-access-control = true\n");
    assert!(schema.model("teamMember").is_some());
    assert!(schema.model("organizationRole").is_some());
    assert!(
        schema
            .model("session")
            .and_then(|t| t.field("activeTeamId"))
            .is_some()
    );
    let schema = build(
        "[plugins.organization]\n[plugins.stripe]\nsubscription = true\norganization = true\n",
    );
    assert!(schema.model("subscription").is_some());
    assert_eq!(
        schema
            .model("organization")
            .and_then(|t| t.field("stripeCustomerId"))
            .map(|c| c.origin),
        Some(Origin::Plugin(Plugin::Stripe))
    );
}

#[test]
fn collisions_are_errors() {
    let message = error("[plugins.admin]\n[models.user.fields.role]\ntype = \"string\"\n");
    assert!(message.starts_with("auth.toml:2:"), "{message}");
    assert!(
        message.contains("already defined by the admin plugin"),
        "{message}"
    );
    let message = error("[models.user.fields.email]\ntype = \"string\"\n");
    assert!(
        message.contains("already defined by better-auth's core"),
        "{message}"
    );
    let message = error("[models.user.fields.nick]\ntype = \"string\"\ncolumn = \"name\"\n");
    assert!(message.contains("would both be column `name`"), "{message}");
    let message = error("[models.user]\ntable = \"session\"\n");
    assert!(
        message.contains("would both be table `session`"),
        "{message}"
    );
}

#[test]
fn reference_errors() {
    let message = error(
        "[models.user.fields.tenantId]\ntype = \"string\"\nreferences = { model = \"organization\" }\n",
    );
    assert!(message.starts_with("auth.toml:3:"), "{message}");
    assert!(message.contains("add [plugins.organization]"), "{message}");
    let message = error(
        "[models.user.fields.x]\ntype = \"string\"\nreferences = { model = \"session\", field = \"userId\" }\n",
    );
    assert!(message.contains("is not unique"), "{message}");
    let message = error(
        "[models.user.fields.x]\ntype = \"string\"\nrequired = true\nreferences = { model = \"session\", on-delete = \"set null\" }\n",
    );
    assert!(message.contains("set null"), "{message}");
    let message = error("[secondary-storage]\nkind = \"memory\"\n[plugins.oauth-provider]\n");
    assert!(message.starts_with("auth.toml:3:"), "{message}");
    assert!(message.contains("store-in-database"), "{message}");
}

#[test]
fn field_errors() {
    let message = error("[models.user.fields.n]\ntype = \"number\"\ndefault = \"x\"\n");
    assert!(message.starts_with("auth.toml:3:11"), "{message}");
    let message = error("[models.user.fields.n]\ntype = \"string\"\nbigint = true\n");
    assert!(message.contains("bigint applies to numbers"), "{message}");
    let message = error("[models.user.fields.n]\ntype = \"json\"\nunique = true\n");
    assert!(message.contains("cannot be unique"), "{message}");
    let message =
        error("[models.user.fields.n]\ntype = \"string\"\nrequired = true\ninput = false\n");
    assert!(
        message.contains("no request could ever create a row"),
        "{message}"
    );
    let message = error("[models.user.fields.\"bad name\"]\ntype = \"string\"\n");
    assert!(message.contains("not a valid field name"), "{message}");
    let message = error("[models.user]\ntable = \"_cf_users\"\n");
    assert!(message.contains("reserves"), "{message}");
}

#[test]
fn model_errors() {
    let message = error("[models.organization]\ntable = \"orgs\"\n");
    assert!(message.contains("add [plugins.organization]"), "{message}");
    let message = error("[models.usr]\ntable = \"x\"\n");
    assert!(message.contains("unknown model `usr`"), "{message}");
    let message = error("[models.user.columns]\nemial = \"x\"\n");
    assert!(message.contains("has no field `emial`"), "{message}");
    let message = error("[plugins.stripe]\norganization = true\n");
    assert!(
        message.contains("organization plugin is not enabled"),
        "{message}"
    );
}

#[test]
fn stateless_sessions_keep_no_session_table() {
    let schema = build("[session]\nstateless = true\n");
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["user", "account", "verification"]);
}

#[test]
fn cookie_cache_defaults_follow_stateless() {
    let parse = |source: &str| Config::parse("auth.toml", source).unwrap_or_else(|e| panic!("{e}"));
    let off = parse("");
    assert!(!off.cookie_cache_enabled());
    assert_eq!(off.cookie_cache_max_age(), 300);
    assert_eq!(off.cookie_cache_strategy(), CookieCacheStrategy::Compact);
    let stateless = parse("[session]\nstateless = true\nexpires-in = 3600\n");
    assert!(stateless.cookie_cache_enabled());
    assert_eq!(stateless.cookie_cache_max_age(), 3600);
    assert_eq!(stateless.cookie_cache_strategy(), CookieCacheStrategy::Jwe);
    let set = parse(
        "[session.cookie-cache]\nenabled = true\nmax-age = 60\nstrategy = \"jwt\"\nversion = \"2\"\n",
    );
    assert!(set.cookie_cache_enabled());
    assert_eq!(set.cookie_cache_max_age(), 60);
    assert_eq!(set.cookie_cache_strategy(), CookieCacheStrategy::Jwt);
    assert_eq!(set.session.cookie_cache.version.get_ref(), "2");
}

#[test]
fn cookie_cache_errors_point_at_the_key() {
    insta::assert_snapshot!(
        [
            "[session.cookie-cache]\nmax-age = 0\n",
            "[session.cookie-cache]\nstrategy = \"jws\"\n",
            "[session.cookie-cache]\nversion = \"\"\n",
            "[session]\nstateless = true\n[session.cookie-cache]\nenabled = false\n",
            "[session]\nstateless = true\nstore-in-database = true\n",
            "[session]\nstateless = true\n[secondary-storage]\nkind = \"memory\"\n",
        ]
        .map(error)
        .join("\n---\n")
    );
}
