//! admin at run time, as better-auth 1.7.25's `admin` plugin: endpoints under `/admin/` for
//! whoever holds a role granting the action (better-auth's access control: `hasPermission`),
//! bans enforced on every session creation (an expired ban is lifted there), the default role
//! given to every new user, and impersonation sessions (`impersonatedBy`) hidden from
//! `/list-sessions`.
//!
//! Every endpoint but `has-permission` answers a request without a session 401 with an empty
//! body, as better-auth's admin middleware does (it reads the session from the database).

mod impersonation;
mod users;

use auth_core::Config;
use auth_core::endpoints::Endpoint;
use auth_core::errors::ErrorCode;
use auth_core::plugins::admin::{BANNED_USER, Options, Statements};
use auth_core::schema::Plugin;
use auth_core::schema::names::{session, user};
use futures_util::future::BoxFuture;
use http::StatusCode;
use serde_json::Value as Json;

use super::Runtime;
use crate::Auth;
use crate::error::ApiError;
use crate::hooks::DatabaseHooks;
use crate::http::{Body, Ctx, Reply, ReplyBody};
use crate::session::SessionCtx;
use crate::store::{Row, Timestamp, Value, Where, text};

/// A handler-table entry running `handler` behind the admin middleware ([`guarded`]).
macro_rules! guarded {
    ($handler:path) => {
        |auth, ctx, _| Box::pin(guarded(auth, ctx, |a, c, s| Box::pin($handler(a, c, s))))
    };
}

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::Admin,
    handlers: &[
        ("setRole", guarded!(users::set_role)),
        ("getUser", guarded!(users::get)),
        ("createUser", guarded!(users::create)),
        ("adminUpdateUser", guarded!(users::update)),
        ("listUsers", guarded!(users::list)),
        ("listUserSessions", guarded!(users::list_sessions)),
        ("unbanUser", guarded!(users::unban)),
        ("banUser", guarded!(users::ban)),
        ("impersonateUser", guarded!(impersonation::start)),
        ("stopImpersonating", |auth, ctx, _| {
            Box::pin(impersonation::stop(auth, ctx))
        }),
        ("revokeUserSession", guarded!(users::revoke_session)),
        ("revokeUserSessions", guarded!(users::revoke_sessions)),
        ("removeUser", guarded!(users::remove)),
        ("setUserPassword", guarded!(users::set_password)),
        ("userHasPermission", |auth, ctx, _| {
            Box::pin(has_permission(auth, ctx))
        }),
    ],
    sign_in_guard: None,
    on_request: None,
    before: None,
    after: Some(|_, endpoint, _, reply| {
        Box::pin(async move {
            hide_impersonation_sessions(endpoint, reply);
            Ok(())
        })
    }),
    session_guard: Some(|auth, user_id| Box::pin(refuse_banned(auth, user_id))),
    database_hooks: Some(default_role),
};

/// The signed-in caller of an admin endpoint and the plugin's options.
struct Admin {
    session: SessionCtx,
    options: Options,
}

impl Admin {
    fn id(&self) -> &str {
        self.session.user_id()
    }

    /// May the caller do `action` on `resource`?
    fn may(&self, resource: &str, action: &str) -> bool {
        let wanted = Statements::from([(resource.to_owned(), vec![action.to_owned()])]);
        self.options
            .has_permission(self.id(), role_of(&self.session.user), &wanted)
    }

    /// `refusal` (403) unless the caller may do `action` on `resource`.
    fn require(&self, resource: &str, action: &str, refusal: ErrorCode) -> Result<(), ApiError> {
        if self.may(resource, action) {
            Ok(())
        } else {
            Err(ApiError::forbidden(refusal))
        }
    }
}

type AdminHandler =
    for<'a> fn(&'a Auth, &'a mut Ctx, &'a Admin) -> BoxFuture<'a, Result<Reply, ApiError>>;

/// better-auth's admin middleware: the request's session, read from the database, or a 401
/// with an empty body; then `handler`.
async fn guarded(auth: &Auth, ctx: &mut Ctx, handler: AdminHandler) -> Result<Reply, ApiError> {
    let Some(session) = auth.authoritative_session(ctx).await? else {
        return Ok(no_session());
    };
    let admin = Admin {
        session,
        options: options(auth).clone(),
    };
    handler(auth, ctx, &admin).await
}

/// better-auth's `APIError("UNAUTHORIZED")` without a body: 401, empty.
fn no_session() -> Reply {
    Reply {
        status: StatusCode::UNAUTHORIZED,
        body: ReplyBody::Empty,
        location: None,
    }
}

fn options(auth: &Auth) -> &Options {
    auth.inner.config.plugins.admin_options()
}

/// A user's `role` column (comma-joined roles), if set.
fn role_of(user: &Row) -> Option<&str> {
    user.get(user::ROLE).and_then(Value::as_str)
}

/// zod's `z.coerce.string()`: JavaScript's `String(value)` (absent is `"undefined"`).
fn coerced(body: &Body, key: &str) -> String {
    body.get(key)
        .map_or_else(|| "undefined".to_owned(), js_string)
}

fn js_string(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Null => "null".to_owned(),
        Json::Array(items) => items
            .iter()
            .map(|item| match item {
                Json::Null => String::new(),
                other => js_string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Json::Object(_) => "[object Object]".to_owned(),
        Json::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
            _ => n.to_string(),
        },
        Json::Bool(b) => b.to_string(),
    }
}

/// better-auth's session hook: a banned user gets no session (`BANNED_USER`, 403, with
/// `banned-user-message`), unless the ban has expired, which lifts it.
async fn refuse_banned(auth: &Auth, user_id: &str) -> Result<(), ApiError> {
    let Some(found) = auth
        .inner
        .store
        .find_one(user::MODEL, &[Where::eq(user::ID, user_id)])
        .await?
    else {
        return Ok(());
    };
    if found.get(user::BANNED).and_then(Value::as_bool) != Some(true) {
        return Ok(());
    }
    let expired = found
        .get(user::BAN_EXPIRES)
        .and_then(Value::as_date)
        .is_some_and(|at| at.millis() < Timestamp::now().millis());
    if expired {
        auth.update_user(user_id, unbanned()).await?;
        return Ok(());
    }
    Err(ApiError::coded(
        StatusCode::FORBIDDEN,
        BANNED_USER,
        options(auth).banned_user_message.clone(),
    ))
}

/// The changes that lift a ban.
fn unbanned() -> Row {
    let mut changes = Row::new();
    changes.insert(user::BANNED.into(), Value::Boolean(false));
    changes.insert(user::BAN_REASON.into(), Value::Null);
    changes.insert(user::BAN_EXPIRES.into(), Value::Null);
    changes
}

/// better-auth's user hook: every new user gets `default-role` unless the row has a role.
fn default_role(config: &Config, hooks: DatabaseHooks) -> DatabaseHooks {
    let role = config.plugins.admin_options().default_role.clone();
    hooks.before_create(user::MODEL, move |mut row| {
        let role = role.clone();
        async move {
            if row.get(user::ROLE).is_none_or(Value::is_null) {
                row.insert(user::ROLE.into(), Value::String(role));
            }
            Ok(row)
        }
    })
}

/// The user a role was granted to (`auth-cli admin grant`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    /// The user's id.
    pub id: String,
    /// Their email.
    pub email: String,
}

impl Auth {
    /// Sets the role (comma-joined roles) of the user with this email address or id, as
    /// `set-role` does without an admin: for the first admin. With `[plugins.admin.roles]`,
    /// every role must be declared.
    pub async fn grant_role(&self, who: &str, role: &str) -> Result<Granted, ApiError> {
        let options = options(self);
        let known = options.roles();
        if options.roles_declared() && role.split(',').any(|r| !known.contains_key(r)) {
            return Err(ApiError::bad_request(
                auth_core::plugins::admin::YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE,
            ));
        }
        let store = &self.inner.store;
        let found = match store
            .find_one(user::MODEL, &[Where::eq(user::ID, who)])
            .await?
        {
            Some(found) => Some(found),
            None => self.find_user_by_email(who).await?,
        };
        let Some(found) = found else {
            return Err(ApiError::base(
                StatusCode::NOT_FOUND,
                auth_core::errors::base::USER_NOT_FOUND,
            ));
        };
        let id = text(&found, user::ID);
        let mut changes = Row::new();
        changes.insert(user::ROLE.into(), Value::String(role.to_owned()));
        self.update_user(&id, changes).await?;
        Ok(Granted {
            email: text(&found, user::EMAIL),
            id,
        })
    }
}

/// `/list-sessions` never shows impersonation sessions.
fn hide_impersonation_sessions(endpoint: &Endpoint, reply: &mut Reply) {
    if endpoint.path != "/list-sessions" {
        return;
    }
    if let ReplyBody::Json(Json::Array(sessions)) = &mut reply.body {
        sessions.retain(|s| {
            s.get(session::IMPERSONATED_BY)
                .is_none_or(|by| by.is_null() || by == "")
        });
    }
}

/// `POST /admin/has-permission`: may the caller (or, on the server API, the given user or
/// role) do all of `permissions`? 200 either way.
async fn has_permission(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let wanted = match ctx.body.get("permissions") {
        Some(Json::Object(map)) => map
            .iter()
            .map(|(resource, actions)| match actions {
                Json::Array(items) => items
                    .iter()
                    .map(|a| a.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .map(|actions| (resource.clone(), actions)),
                _ => None,
            })
            .collect::<Option<Statements>>()
            .ok_or_else(|| {
                ApiError::validation("[body.permissions] Invalid input: expected array")
            })?,
        None | Some(Json::Null) => {
            return Err(ApiError::message_only(
                StatusCode::BAD_REQUEST,
                "invalid permission check. no permission(s) were passed.",
            ));
        }
        Some(_) => {
            return Err(ApiError::validation(
                "[body.permissions] Invalid input: expected record",
            ));
        }
    };
    let Some(session) = auth.authoritative_session(ctx).await? else {
        return Ok(no_session());
    };
    let success = options(auth).has_permission(session.user_id(), role_of(&session.user), &wanted);
    Ok(Reply::json(
        serde_json::json!({ "error": null, "success": success }),
    ))
}

#[cfg(test)]
mod tests;
