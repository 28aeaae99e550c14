//! better-auth's `admin` plugin: user management by roles (create, list, ban, impersonate,
//! remove…), bans enforced on every session creation, and better-auth's access-control model
//! (statements: resources and their actions; roles: the actions each grants).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

pub use super::access::Statements;
use super::access::{self, DeclaredRoles, authorizes, owned};
use super::{Declaration, at_least_one, no_amendment};
use crate::config::{Config, ConfigError};
use crate::endpoints::{
    Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint, new_password, password, query,
    status,
};
use crate::errors::{ErrorCode, error_codes};
use crate::schema::Plugin;

/// `[plugins.admin]`: better-auth's `admin({…})` options, kebab-case. `ac` and `roles` are
/// declarative: `[plugins.admin.statements]` adds resources to better-auth's `user` and
/// `session` statements, `[plugins.admin.roles.<name>]` grants a role actions of them (the
/// default roles `admin` and `user` stay unless redefined). `bannedUserMessage` is a string.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "AdminOptions")]
pub struct Options {
    /// The role of every new user, whatever creates them.
    #[serde(default = "user_role")]
    pub default_role: String,
    /// Roles whose holders are admins (impersonating them needs `impersonate-admins`).
    #[serde(default = "admin_roles")]
    #[schemars(with = "Vec<String>")]
    pub admin_roles: Spanned<Vec<String>>,
    /// Users allowed everything, whatever their role.
    #[serde(default)]
    pub admin_user_ids: Vec<String>,
    /// Seconds an impersonation session lives.
    #[serde(default = "one_hour", deserialize_with = "at_least_one")]
    pub impersonation_session_duration: u64,
    /// The reason of a ban that gives none.
    #[serde(default = "no_reason")]
    pub default_ban_reason: String,
    /// Seconds a ban without `banExpiresIn` lasts (none: for ever).
    pub default_ban_expires_in: Option<u64>,
    /// The message of `BANNED_USER`.
    #[serde(default = "banned_message")]
    pub banned_user_message: String,
    /// Admins may impersonate other admins without the `impersonate-admins` action.
    #[serde(default)]
    pub allow_impersonating_admins: bool,
    /// Resources and their actions, besides (or replacing) better-auth's `user` and `session`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    pub statements: BTreeMap<String, Spanned<Vec<String>>>,
    /// Roles and the actions they grant per resource. Declaring any makes role names checked:
    /// set-role and create-user refuse a role no table declares.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, BTreeMap<String, Vec<String>>>")]
    pub roles: DeclaredRoles,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            default_role: user_role(),
            admin_roles: admin_roles(),
            admin_user_ids: Vec::new(),
            impersonation_session_duration: one_hour(),
            default_ban_reason: no_reason(),
            default_ban_expires_in: None,
            banned_user_message: banned_message(),
            allow_impersonating_admins: false,
            statements: BTreeMap::new(),
            roles: BTreeMap::new(),
        }
    }
}

fn user_role() -> String {
    "user".to_owned()
}

fn admin_roles() -> Spanned<Vec<String>> {
    Spanned::new(0..0, vec!["admin".to_owned()])
}

fn one_hour() -> u64 {
    3600
}

fn no_reason() -> String {
    "No reason".to_owned()
}

fn banned_message() -> String {
    "You have been banned from this application. Please contact support if you believe this is an error.".to_owned()
}

/// better-auth's `defaultStatements`.
const DEFAULT_STATEMENTS: &[(&str, &[&str])] = &[
    (
        "user",
        &[
            "create",
            "list",
            "set-role",
            "ban",
            "impersonate",
            "impersonate-admins",
            "delete",
            "set-password",
            "set-email",
            "set-phone",
            "get",
            "update",
        ],
    ),
    ("session", &["list", "revoke", "delete"]),
];

/// better-auth's `adminAc`: every default action but `impersonate-admins`.
const ADMIN_GRANTS: &[(&str, &[&str])] = &[
    (
        "user",
        &[
            "create",
            "list",
            "set-role",
            "ban",
            "impersonate",
            "delete",
            "set-password",
            "set-email",
            "set-phone",
            "get",
            "update",
        ],
    ),
    ("session", &["list", "revoke", "delete"]),
];

impl Options {
    /// Every resource and its actions: better-auth's defaults, then the declared ones.
    pub fn statements(&self) -> Statements {
        access::statements(DEFAULT_STATEMENTS, &self.statements)
    }

    /// Every role and what it grants: `admin` and `user` as better-auth defines them, then the
    /// declared ones (a declared `admin` or `user` replaces the default).
    pub fn roles(&self) -> BTreeMap<String, Statements> {
        let defaults = BTreeMap::from([
            ("admin".to_owned(), owned(ADMIN_GRANTS)),
            ("user".to_owned(), owned(&[("user", &[]), ("session", &[])])),
        ]);
        access::roles(defaults, &self.roles)
    }

    /// Are role names checked (better-auth's `roles` option given)?
    pub fn roles_declared(&self) -> bool {
        !self.roles.is_empty()
    }

    /// better-auth's `hasPermission`: a user listed in `admin-user-ids` may do everything;
    /// otherwise one of their roles (comma-joined; none: the default role) must grant every
    /// requested action of every requested resource. Nothing requested grants nothing.
    pub fn has_permission(&self, user_id: &str, role: Option<&str>, wanted: &Statements) -> bool {
        if self.admin_user_ids.iter().any(|id| id == user_id) {
            return true;
        }
        let roles = self.roles();
        let role = role.filter(|r| !r.is_empty()).unwrap_or(&self.default_role);
        role.split(',')
            .filter_map(|name| roles.get(name))
            .any(|grants| authorizes(grants, wanted))
    }

    /// Is the user with `role` (comma-joined; none: the default role) or `user_id` an admin?
    pub fn is_admin(&self, user_id: &str, role: Option<&str>) -> bool {
        let role = role.filter(|r| !r.is_empty()).unwrap_or(&self.default_role);
        let admin_roles = self.admin_roles.get_ref();
        role.split(',')
            .any(|r| admin_roles.iter().any(|a| a.trim() == r))
            || self.admin_user_ids.iter().any(|id| id == user_id)
    }
}

error_codes!(ERRORS {
    FAILED_TO_CREATE_USER => "Failed to create user",
    USER_ALREADY_EXISTS => "User already exists.",
    USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL => "User already exists. Use another email.",
    YOU_CANNOT_BAN_YOURSELF => "You cannot ban yourself",
    YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE => "You are not allowed to change users role",
    YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS => "You are not allowed to create users",
    YOU_ARE_NOT_ALLOWED_TO_LIST_USERS => "You are not allowed to list users",
    YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS => "You are not allowed to list users sessions",
    YOU_ARE_NOT_ALLOWED_TO_BAN_USERS => "You are not allowed to ban users",
    YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS => "You are not allowed to impersonate users",
    YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS => "You are not allowed to revoke users sessions",
    YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS => "You are not allowed to delete users",
    YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD => "You are not allowed to set users password",
    BANNED_USER => "You have been banned from this application",
    YOU_ARE_NOT_ALLOWED_TO_GET_USER => "You are not allowed to get user",
    NO_DATA_TO_UPDATE => "No data to update",
    YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS => "You are not allowed to update users",
    YOU_CANNOT_REMOVE_YOURSELF => "You cannot remove yourself",
    YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE => "You are not allowed to set a non-existent role value",
    YOU_CANNOT_IMPERSONATE_ADMINS => "You cannot impersonate admins",
    INVALID_ROLE_TYPE => "Invalid role type",
    YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL => "You are not allowed to update users email",
    YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER => "You are not allowed to update users phone number",
    PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER => "Password cannot be updated through update-user. Use the set-user-password endpoint instead",
    USER_ID_CANNOT_BE_UPDATED => "User id cannot be updated",
});

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::Admin,
    endpoints,
    amend: no_amendment,
    check,
    errors: ERRORS,
    rate_limits: &[],
};

/// Every action a role grants is one a statement declares, and every admin role is a role (as
/// better-auth refuses `adminRoles` it has no role for).
fn check(config: &Config) -> Result<(), ConfigError> {
    let options = config.plugins.admin_options();
    access::check_roles(
        config,
        "plugins.admin",
        &options.statements(),
        &options.roles,
    )?;
    let roles = options.roles();
    let admin_roles = &options.admin_roles;
    if let Some(unknown) = admin_roles
        .get_ref()
        .iter()
        .find(|r| !roles.keys().any(|k| k.eq_ignore_ascii_case(r)))
    {
        return Err(config.error_at(
            admin_roles.span(),
            format!("admin role `{unknown}` is not a role"),
            format!(
                "declare it as [plugins.admin.roles.{unknown}], or use one of: {}",
                roles.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    Ok(())
}

fn endpoints(config: &Config) -> Vec<Endpoint> {
    use Access::Public;
    use Method::{Get, Post};
    use RequestBody::{Json, None as NoBody};
    let s = || Shape::String;
    let user = || Shape::model("user");
    let session = || Shape::model("session");
    let wrapped_user = || Reply::Json(Shape::object(&[("user", user())]));
    let success = || Reply::Json(Shape::object(&[("success", Shape::Boolean)]));
    let user_id = || Json(Shape::object(&[("userId", s())]));
    // better-auth's admin middleware answers a request without a session 401 with an empty
    // body: the handlers read the session themselves.
    let mut all = vec![
        endpoint(
            "setRole",
            "/admin/set-role",
            Post,
            Public,
            Json(Shape::object(&[("userId", s()), ("role", Shape::Json)])),
            wrapped_user(),
        ),
        query(
            endpoint(
                "getUser",
                "/admin/get-user",
                Get,
                Public,
                NoBody,
                Reply::Json(user()),
            ),
            &[("id", s())],
        ),
        endpoint(
            "createUser",
            "/admin/create-user",
            Post,
            Public,
            Json(Shape::object(&[
                ("email", Shape::Email),
                ("password?", password(config)),
                ("name", s()),
                ("role?", Shape::Json),
                ("data?", Shape::Json),
            ])),
            wrapped_user(),
        ),
        endpoint(
            "adminUpdateUser",
            "/admin/update-user",
            Post,
            Public,
            Json(Shape::object(&[("userId", s()), ("data", Shape::Json)])),
            Reply::Json(user()),
        ),
        query(
            endpoint(
                "listUsers",
                "/admin/list-users",
                Get,
                Public,
                NoBody,
                Reply::Json(Shape::object(&[
                    ("users", user().array()),
                    ("total", Shape::Number),
                    ("limit?", Shape::Number),
                    ("offset?", Shape::Number),
                ])),
            ),
            &[
                ("searchValue?", s()),
                ("searchField?", s()),
                ("searchOperator?", s()),
                ("limit?", s()),
                ("offset?", s()),
                ("sortBy?", s()),
                ("sortDirection?", s()),
                ("filterField?", s()),
                ("filterValue?", s()),
                ("filterOperator?", s()),
            ],
        ),
        endpoint(
            "listUserSessions",
            "/admin/list-user-sessions",
            Post,
            Public,
            user_id(),
            Reply::Json(Shape::object(&[("sessions", session().array())])),
        ),
        endpoint(
            "unbanUser",
            "/admin/unban-user",
            Post,
            Public,
            user_id(),
            wrapped_user(),
        ),
        endpoint(
            "banUser",
            "/admin/ban-user",
            Post,
            Public,
            Json(Shape::object(&[
                ("userId", s()),
                ("banReason?", s()),
                ("banExpiresIn?", Shape::Number),
            ])),
            wrapped_user(),
        ),
        endpoint(
            "impersonateUser",
            "/admin/impersonate-user",
            Post,
            Public,
            user_id(),
            Reply::Json(Shape::object(&[("session", session()), ("user", user())])),
        ),
        endpoint(
            "stopImpersonating",
            "/admin/stop-impersonating",
            Post,
            Public,
            NoBody,
            Reply::Json(Shape::object(&[("session", session()), ("user", user())])),
        ),
        endpoint(
            "revokeUserSession",
            "/admin/revoke-user-session",
            Post,
            Public,
            Json(Shape::object(&[("sessionToken", s())])),
            success(),
        ),
        endpoint(
            "revokeUserSessions",
            "/admin/revoke-user-sessions",
            Post,
            Public,
            user_id(),
            success(),
        ),
        endpoint(
            "removeUser",
            "/admin/remove-user",
            Post,
            Public,
            user_id(),
            success(),
        ),
        endpoint(
            "setUserPassword",
            "/admin/set-user-password",
            Post,
            Public,
            Json(Shape::object(&[
                ("newPassword", new_password(config)),
                ("userId", s()),
            ])),
            status(),
        ),
        endpoint(
            "userHasPermission",
            "/admin/has-permission",
            Post,
            Public,
            Json(Shape::object(&[
                ("userId?", s()),
                ("role?", s()),
                ("permissions", Shape::Json),
            ])),
            Reply::Json(Shape::object(&[
                ("error", s().nullable()),
                ("success", Shape::Boolean),
            ])),
        ),
    ];
    for endpoint in &mut all {
        endpoint.plugin = Some(Plugin::Admin);
        endpoint.bare_unauthorized = true;
    }
    all
}
