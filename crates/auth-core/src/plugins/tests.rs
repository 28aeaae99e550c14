use super::*;

#[test]
fn declarations_are_in_canonical_order_with_unique_endpoint_ids() {
    let plugins: Vec<Plugin> = DECLARED.iter().map(|d| d.plugin).collect();
    let mut sorted = plugins.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(plugins, sorted);
    let mut text = String::new();
    for d in DECLARED {
        text.push_str(&format!("[plugins.{}]\n", d.plugin));
    }
    let config = Config::parse(
        "auth.toml",
        format!("[email-and-password]\nenabled = true\n{text}"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let all = crate::endpoints::endpoints(&config);
    for d in DECLARED {
        for endpoint in (d.endpoints)(&config) {
            assert_eq!(endpoint.plugin, Some(d.plugin), "{}", endpoint.id);
            assert!(
                endpoint.path.starts_with('/'),
                "{} {}",
                endpoint.id,
                endpoint.path
            );
            let same: Vec<_> = all.iter().filter(|e| e.id == endpoint.id).collect();
            assert!(
                same.iter().all(|e| e.path == endpoint.path),
                "{} names one path",
                endpoint.id
            );
        }
        for code in d.errors {
            assert!(
                code.code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{}",
                code.code
            );
        }
    }
}

/// A TOTP of more than 8 digits cannot be computed: refused at load, at its line.
#[test]
fn totp_digits_are_checked_at_load() {
    let error = Config::parse("auth.toml", "[plugins.two-factor.totp]\ndigits = 12\n")
        .err()
        .unwrap_or_else(|| panic!("12 digits accepted"));
    let text = error.to_string();
    assert!(text.starts_with("auth.toml:2:"), "{text}");
    assert!(text.contains("digits must be between 1 and 8"), "{text}");
}

/// Access control is checked at load, at the line of the grant: an action or a resource no
/// statement declares, an admin role that is no role.
#[test]
fn admin_access_control_is_checked_at_load() {
    for (text, line, message) in [
        (
            "[plugins.admin.roles.support]\nuser = [\"list\", \"fly\"]\n",
            2,
            "role `support` grants `fly` on `user`, an action no statement declares",
        ),
        (
            "[plugins.admin.roles.support]\nreport = [\"read\"]\n",
            2,
            "role `support` grants actions on `report`, which no statement declares",
        ),
        (
            "[plugins.admin]\nadmin-roles = [\"admin\", \"owner\"]\n",
            2,
            "admin role `owner` is not a role",
        ),
    ] {
        let config = Config::parse("auth.toml", text).unwrap_or_else(|e| panic!("{e}"));
        let error = check(&config)
            .err()
            .unwrap_or_else(|| panic!("accepted: {text}"));
        let shown = error.to_string();
        assert!(shown.starts_with(&format!("auth.toml:{line}:")), "{shown}");
        assert!(shown.contains(message), "{shown}");
    }
    let declared = "[plugins.admin.statements]\nreport = [\"read\"]\n[plugins.admin.roles.support]\nreport = [\"read\"]\n[plugins.admin]\nadmin-roles = [\"admin\", \"support\"]\n";
    let config = Config::parse("auth.toml", declared).unwrap_or_else(|e| panic!("{e}"));
    check(&config).unwrap_or_else(|e| panic!("{e}"));
}

/// generic-oauth's providers: an id fit for a callback URL and not a social provider's, http(s)
/// URLs, and a way to the authorization and token endpoints; each refused at its line.
#[test]
fn generic_oauth_providers_are_checked_at_load() {
    let table = "[plugins.generic-oauth.providers";
    for (text, line, message) in [
        (
            format!("{table}.corp]\nauthorization-url = \"https://id.example/authorize\"\n"),
            1,
            "provider `corp` has neither discovery-url nor authorization-url and token-url",
        ),
        (
            format!("{table}.corp]\ndiscovery-url = \"ftp://id.example\"\n"),
            2,
            "discovery-url `ftp://id.example` is not an http(s) URL",
        ),
        (
            format!("{table}.github]\ndiscovery-url = \"https://id.example\"\n"),
            1,
            "provider id `github` is a social provider's",
        ),
        (
            format!("{table}.\"a/b\"]\ndiscovery-url = \"https://id.example\"\n"),
            1,
            "provider id `a/b` must be letters, digits, `-` or `_`",
        ),
    ] {
        let config = Config::parse("auth.toml", text.as_str()).unwrap_or_else(|e| panic!("{e}"));
        let error = check(&config)
            .err()
            .unwrap_or_else(|| panic!("accepted: {text}"));
        let shown = error.to_string();
        assert!(shown.starts_with(&format!("auth.toml:{line}:")), "{shown}");
        assert!(shown.contains(message), "{shown}");
    }
    let text = format!(
        "{table}.corp]\nauthorization-url = \"https://id.example/authorize\"\n\
         token-url = \"https://id.example/token\"\nauthentication = \"basic\"\npkce = false\n"
    );
    let config = Config::parse("auth.toml", text.as_str()).unwrap_or_else(|e| panic!("{e}"));
    check(&config).unwrap_or_else(|e| panic!("{e}"));
    let options = config.plugins.generic_oauth_options();
    let (_, corp) = options
        .providers
        .iter()
        .next()
        .unwrap_or_else(|| panic!("no provider"));
    assert!(!corp.get_ref().pkce);
    let error = Config::parse(
        "auth.toml",
        format!("{table}.corp]\nauthentication = \"jwt\"\n"),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(error.starts_with("auth.toml:2:"), "{error}");
}

/// better-auth's `hasPermission`: every requested action of every requested resource, by one
/// of the comma-joined roles; `admin-user-ids` may do everything; nothing requested is refused.
#[test]
fn admin_permissions_are_better_auths() {
    let text = "[plugins.admin]\nadmin-user-ids = [\"root\"]\n[plugins.admin.statements]\nreport = [\"read\", \"export\"]\n[plugins.admin.roles.support]\nuser = [\"list\", \"ban\"]\nreport = [\"read\"]\n";
    let config = Config::parse("auth.toml", text).unwrap_or_else(|e| panic!("{e}"));
    let options = config.plugins.admin_options();
    let wanted = |pairs: &[(&str, &[&str])]| -> admin::Statements {
        pairs
            .iter()
            .map(|(r, a)| ((*r).to_owned(), a.iter().map(|x| (*x).to_owned()).collect()))
            .collect()
    };
    let may = |role: Option<&str>, pairs: &[(&str, &[&str])]| {
        options.has_permission("u", role, &wanted(pairs))
    };
    assert!(may(Some("support"), &[("user", &["list", "ban"])]));
    assert!(!may(Some("support"), &[("user", &["list", "create"])]));
    assert!(!may(
        Some("support"),
        &[("user", &["list"]), ("session", &["list"])]
    ));
    assert!(may(Some("user,support"), &[("report", &["read"])]));
    assert!(!may(Some("support"), &[("report", &["export"])]));
    assert!(may(
        Some("admin"),
        &[
            ("user", &["create", "impersonate"]),
            ("session", &["revoke"])
        ]
    ));
    assert!(!may(Some("admin"), &[("user", &["impersonate-admins"])]));
    assert!(
        !may(None, &[("user", &["list"])]),
        "the default role `user` grants nothing"
    );
    assert!(!may(Some("admin"), &[]));
    assert!(!may(Some("admin"), &[("user", &[])]));
    assert!(options.has_permission("root", None, &wanted(&[("report", &["export"])])));
    assert!(options.is_admin("u", Some("user,admin")));
    assert!(options.is_admin("root", None));
    assert!(!options.is_admin("u", Some("support")));
}

/// Organization roles: better-auth's `owner`, `admin` and `member`, declared roles over
/// declared statements, the creator role's `allowCreatorAllPermissions`.
#[test]
fn organization_permissions_are_better_auths() {
    let text = "[plugins.organization.statements]\nproject = [\"create\", \"share\"]\n[plugins.organization.roles.lead]\nproject = [\"create\"]\nmember = [\"create\"]\n";
    let config = Config::parse("auth.toml", text).unwrap_or_else(|e| panic!("{e}"));
    let options = config.plugins.organization_options();
    let may = |role: &str, resource: &str, action: &str| {
        let wanted = admin::Statements::from([(resource.to_owned(), vec![action.to_owned()])]);
        options.has_permission(role, &wanted, false)
    };
    assert!(may("owner", "organization", "delete"));
    assert!(!may("admin", "organization", "delete"));
    assert!(may("admin", "invitation", "create"));
    assert!(!may("member", "member", "create"));
    assert!(may("member", "ac", "read"));
    assert!(may("lead", "project", "create"));
    assert!(!may("lead", "project", "share"));
    assert!(
        may("member, lead", "member", "create"),
        "comma-joined roles"
    );
    assert!(!may("emperor", "ac", "read"));
    let anything = admin::Statements::from([("project".to_owned(), vec!["share".to_owned()])]);
    assert!(options.has_permission("owner", &anything, true));
    assert!(!options.has_permission("admin", &anything, true));
    assert!(options.is_role("lead") && options.is_role("owner") && !options.is_role("emperor"));
}

/// A role granting what no statement declares, a creator role that is no role, and
/// invitations without a mailer are refused at their line.
#[test]
fn organization_options_are_checked_at_their_line() {
    for (text, line, message) in [
        (
            "[mailer]\nkind = \"log\"\n[plugins.organization.roles.lead]\nproject = [\"create\"]\n",
            4,
            "no statement declares",
        ),
        (
            "[mailer]\nkind = \"log\"\n[plugins.organization]\ncreator-role = \"boss\"\n",
            3,
            "creator-role `boss` is not a role",
        ),
        ("[plugins.organization]\n", 1, "no [mailer]"),
    ] {
        let config = Config::parse("auth.toml", text).unwrap_or_else(|e| panic!("{e}"));
        let error = check(&config)
            .err()
            .unwrap_or_else(|| panic!("accepted: {text}"));
        let shown = error.to_string();
        assert!(shown.starts_with(&format!("auth.toml:{line}:")), "{shown}");
        assert!(shown.contains(message), "{shown}");
    }
}

/// `teams = true` and `[plugins.organization.teams]` (better-auth's `teams: {…}`) both turn
/// teams on; the table's options are read, a misspelt one is refused at its line.
#[test]
fn organization_teams_are_a_switch_or_a_table() {
    let options = |text: &str| {
        let config = Config::parse("auth.toml", format!("[mailer]\nkind = \"log\"\n{text}"))
            .unwrap_or_else(|e| panic!("{e}"));
        check(&config).unwrap_or_else(|e| panic!("{e}"));
        config.plugins.organization_options().teams.clone()
    };
    let off = options("[plugins.organization]\n");
    assert!(!off.enabled && off.default_team.enabled);
    let on = options("[plugins.organization]\nteams = true\n");
    assert!(on.enabled && on.maximum_teams.is_none() && !on.allow_removing_all_teams);
    let table = options(
        "[plugins.organization.teams]\nenabled = true\nmaximum-teams = 3\n\
         maximum-members-per-team = 2\nallow-removing-all-teams = true\n\
         default-team = { enabled = false }\n",
    );
    assert!(table.enabled && table.allow_removing_all_teams && !table.default_team.enabled);
    assert_eq!(
        (table.maximum_teams, table.maximum_members_per_team),
        (Some(3), Some(2))
    );
    let error = Config::parse(
        "auth.toml",
        "[plugins.organization.teams]\nenabled = true\nmaximum-team = 3\n",
    )
    .err()
    .unwrap_or_else(|| panic!("a misspelt option was accepted"))
    .to_string();
    assert!(error.contains("maximum-team"), "{error}");
    assert!(error.starts_with("auth.toml:"), "{error}");
}

/// Dynamic access control: `true` or a table with better-auth's options; its endpoints only when
/// on; stored roles merged into the declared ones (a stored role of a declared name adds to
/// it), resources no statement declares found.
#[test]
fn dynamic_access_control_options_and_merged_roles() {
    let parse = |text: &str| {
        Config::parse("auth.toml", format!("[mailer]\nkind = \"log\"\n{text}"))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let off = parse("[plugins.organization]\n");
    let on = parse("[plugins.organization]\ndynamic-access-control = true\n");
    let table = parse(
        "[plugins.organization.dynamic-access-control]\nenabled = true\nmaximum-roles-per-organization = 4\n",
    );
    for (config, enabled, maximum) in [
        (&off, false, None),
        (&on, true, None),
        (&table, true, Some(4)),
    ] {
        let dac = &config.plugins.organization_options().dynamic_access_control;
        assert_eq!(
            (dac.enabled(), dac.maximum_roles_per_organization()),
            (enabled, maximum)
        );
        assert!(check(config).is_ok());
        let routes = (organization::DECLARATION.endpoints)(config);
        assert_eq!(
            routes.iter().any(|e| e.path == "/organization/create-role"),
            enabled
        );
    }
    let wrong = "[mailer]\nkind = \"log\"\n[plugins.organization.dynamic-access-control]\nenabled = true\nmaximum = 4\n";
    assert!(Config::parse("auth.toml", wrong).is_err(), "unknown key");

    let options = on.plugins.organization_options();
    let mut roles = options.roles();
    let stored = |pairs: &[(&str, &[&str])]| access::owned(pairs);
    access::merge_roles(
        &mut roles,
        [
            (
                "member".to_owned(),
                stored(&[("invitation", &["create"]), ("ac", &["read"])]),
            ),
            ("editor".to_owned(), stored(&[("member", &["create"])])),
        ],
    );
    let wanted = |resource: &str, action: &str| {
        admin::Statements::from([(resource.to_owned(), vec![action.to_owned()])])
    };
    assert!(options.has_permission_among(&roles, "member", &wanted("invitation", "create"), false));
    assert!(!options.has_permission("member", &wanted("invitation", "create"), false));
    assert_eq!(
        roles["member"]["ac"],
        vec!["read".to_owned()],
        "no duplicate action"
    );
    assert!(options.has_permission_among(&roles, "editor", &wanted("member", "create"), false));
    assert!(!options.has_permission_among(&roles, "editor", &wanted("member", "delete"), false));
    let asked = stored(&[("project", &["read"]), ("member", &["create"])]);
    assert_eq!(
        access::unknown_resources(&options.statements(), &asked),
        vec!["project"]
    );
}
