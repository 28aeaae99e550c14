//! The admin endpoints on users and their sessions: create, list, get, update, set-role,
//! set-user-password, ban, unban, list-user-sessions, revoke-user-session(s), remove-user.

use auth_core::errors::base;
use auth_core::plugins::admin::{
    INVALID_ROLE_TYPE, NO_DATA_TO_UPDATE, PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER,
    USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL, USER_ID_CANNOT_BE_UPDATED,
    YOU_ARE_NOT_ALLOWED_TO_BAN_USERS, YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE,
    YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS, YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS,
    YOU_ARE_NOT_ALLOWED_TO_GET_USER, YOU_ARE_NOT_ALLOWED_TO_LIST_USERS,
    YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS, YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS,
    YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE, YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL,
    YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD, YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER,
    YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS, YOU_CANNOT_BAN_YOURSELF, YOU_CANNOT_REMOVE_YOURSELF,
};
use auth_core::schema::names::{session, user};
use http::StatusCode;
use serde_json::{Map, Value as Json, json};

use super::super::listing::{self, OPERATORS, choice, condition, count};
use super::{Admin, coerced, unbanned};
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply, status_true};
use crate::routes::{credential_account, is_valid_email, model_data};
use crate::store::{Row, StoreError, Timestamp, Value, Where};

/// The user with `id`, or 404 `USER_NOT_FOUND`.
async fn existing(auth: &Auth, id: &str) -> Result<Row, ApiError> {
    auth.inner
        .store
        .find_one(user::MODEL, &[Where::eq(user::ID, id)])
        .await?
        .ok_or_else(|| ApiError::base(StatusCode::NOT_FOUND, base::USER_NOT_FOUND))
}

/// `changes` written to the user (and their stored sessions' copies), then the user as stored.
async fn changed(auth: &Auth, id: &str, changes: Row) -> Result<Row, ApiError> {
    auth.update_user(id, changes).await?;
    existing(auth, id).await
}

fn wrapped(auth: &Auth, row: &Row) -> Reply {
    Reply::json(json!({ "user": auth.output(user::MODEL, row) }))
}

/// A role or a list of roles (better-auth's `string | string[]`); `None` for anything else.
fn role_list(value: &Json) -> Option<Vec<String>> {
    match value {
        Json::String(role) => Some(vec![role.clone()]),
        Json::Array(items) => items
            .iter()
            .map(|r| r.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

/// `role` of a body as its schema takes it: a string or an array of strings.
fn body_roles(value: &Json) -> Result<Vec<String>, ApiError> {
    role_list(value).ok_or_else(|| {
        ApiError::validation("[body.role] Invalid input: expected string or array of strings")
    })
}

/// Roles given inside `data` (any JSON): each must be a string, and a declared role when
/// roles are declared.
fn data_roles(admin: &Admin, value: &Json) -> Result<String, ApiError> {
    let roles = role_list(value).ok_or_else(|| ApiError::bad_request(INVALID_ROLE_TYPE))?;
    declared_roles(admin, &roles)?;
    Ok(roles.join(","))
}

/// With `[plugins.admin.roles]`, every role must be one of them.
fn declared_roles(admin: &Admin, roles: &[String]) -> Result<(), ApiError> {
    let options = &admin.options;
    if options.roles_declared() {
        let known = options.roles();
        if roles.iter().any(|r| !known.contains_key(r)) {
            return Err(ApiError::bad_request(
                YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE,
            ));
        }
    }
    Ok(())
}

/// An optional object of the body (zod's `z.record`).
fn object<'a>(ctx: &'a Ctx, key: &str) -> Result<Option<&'a Map<String, Json>>, ApiError> {
    match ctx.body.get(key) {
        None => Ok(None),
        Some(Json::Object(map)) => Ok(Some(map)),
        Some(_) => Err(ApiError::validation(format!(
            "[body.{key}] Invalid input: expected record"
        ))),
    }
}

const BAN_FIELDS: [&str; 3] = [user::BANNED, user::BAN_REASON, user::BAN_EXPIRES];

pub(super) async fn set_role(auth: &Auth, ctx: &mut Ctx, admin: &Admin) -> Result<Reply, ApiError> {
    let user_id = coerced(&ctx.body, "userId");
    let roles = match ctx.body.get("role") {
        Some(value) => body_roles(value)?,
        None => {
            return Err(ApiError::validation(
                "[body.role] Invalid input: expected string, received undefined",
            ));
        }
    };
    admin.require("user", "set-role", YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE)?;
    declared_roles(admin, &roles)?;
    existing(auth, &user_id).await?;
    let mut changes = Row::new();
    changes.insert(user::ROLE.into(), Value::String(roles.join(",")));
    Ok(wrapped(auth, &changed(auth, &user_id, changes).await?))
}

pub(super) async fn get(auth: &Auth, ctx: &mut Ctx, admin: &Admin) -> Result<Reply, ApiError> {
    let id = ctx.query.required("id")?.to_owned();
    admin.require("user", "get", YOU_ARE_NOT_ALLOWED_TO_GET_USER)?;
    let found = existing(auth, &id).await?;
    Ok(Reply::json(auth.output(user::MODEL, &found)))
}

pub(super) async fn create(auth: &Auth, ctx: &mut Ctx, admin: &Admin) -> Result<Reply, ApiError> {
    let body = &ctx.body;
    let email = body.str("email")?.to_lowercase();
    let name = body.str("name")?.to_owned();
    let password = body.opt_str("password")?.map(str::to_owned);
    let body_roles = match body.get("role") {
        Some(value) => Some(body_roles(value)?),
        None => None,
    };
    let mut data = object(ctx, "data")?.cloned().unwrap_or_default();
    admin.require("user", "create", YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS)?;
    let data_role = data.remove(user::ROLE);
    let role = match (body_roles, data_role) {
        (Some(roles), _) => {
            admin.require("user", "set-role", YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE)?;
            declared_roles(admin, &roles)?;
            roles.join(",")
        }
        (None, Some(value)) => {
            admin.require("user", "set-role", YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE)?;
            data_roles(admin, &value)?
        }
        (None, None) => admin.options.default_role.clone(),
    };
    if BAN_FIELDS.iter().any(|f| data.contains_key(*f)) {
        admin.require("user", "ban", YOU_ARE_NOT_ALLOWED_TO_BAN_USERS)?;
    }
    if !is_valid_email(&email) {
        return Err(ApiError::bad_request(base::INVALID_EMAIL));
    }
    if let Some(password) = &password {
        auth.check_password_length(password, false)?;
    }
    if auth.find_user_by_email(&email).await?.is_some() {
        return Err(ApiError::bad_request(USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL));
    }
    let mut row = model_data(auth, user::MODEL, &data)?;
    row.insert(user::EMAIL.into(), Value::String(email));
    row.insert(user::NAME.into(), Value::String(name));
    row.insert(user::ROLE.into(), Value::String(role));
    let created = match password.filter(|p| !p.is_empty()) {
        Some(password) => {
            let hash = auth.hash_password(&password).await?;
            auth.create_user_with_account(ctx, row, credential_account(hash))
                .await?
        }
        None => match auth.inner.store.insert(user::MODEL, row).await {
            Err(StoreError::UniqueViolation { .. }) => {
                return Err(ApiError::bad_request(USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL));
            }
            inserted => inserted?,
        },
    };
    Ok(wrapped(auth, &created))
}

pub(super) async fn update(auth: &Auth, ctx: &mut Ctx, admin: &Admin) -> Result<Reply, ApiError> {
    let user_id = coerced(&ctx.body, "userId");
    let Some(mut data) = object(ctx, "data")?.cloned() else {
        return Err(ApiError::validation(
            "[body.data] Invalid input: expected record, received undefined",
        ));
    };
    admin.require("user", "update", YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS)?;
    if data.is_empty() {
        return Err(ApiError::bad_request(NO_DATA_TO_UPDATE));
    }
    if data.contains_key("password") {
        return Err(ApiError::bad_request(
            PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER,
        ));
    }
    if data.contains_key(user::ID) {
        return Err(ApiError::bad_request(USER_ID_CANNOT_BE_UPDATED));
    }
    if let Some(value) = data.get(user::ROLE).cloned() {
        admin.require("user", "set-role", YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE)?;
        data.insert(user::ROLE.into(), Json::String(data_roles(admin, &value)?));
    }
    let bans = data.get(user::BANNED) == Some(&Json::Bool(true));
    if BAN_FIELDS.iter().any(|f| data.contains_key(*f)) {
        admin.require("user", "ban", YOU_ARE_NOT_ALLOWED_TO_BAN_USERS)?;
        if bans && user_id == admin.id() {
            return Err(ApiError::bad_request(YOU_CANNOT_BAN_YOURSELF));
        }
    }
    if data.contains_key(user::EMAIL) || data.contains_key(user::EMAIL_VERIFIED) {
        admin.require("user", "set-email", YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL)?;
        if let Some(value) = data.get(user::EMAIL) {
            let email = super::js_string(value).to_lowercase();
            if !is_valid_email(&email) {
                return Err(ApiError::bad_request(base::INVALID_EMAIL));
            }
            let taken = auth.find_user_by_email(&email).await?;
            if taken.is_some_and(|u| u.get(user::ID).and_then(Value::as_str) != Some(&user_id)) {
                return Err(ApiError::bad_request(USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL));
            }
            data.insert(user::EMAIL.into(), Json::String(email));
        }
    }
    if data.contains_key(user::PHONE_NUMBER) || data.contains_key(user::PHONE_NUMBER_VERIFIED) {
        admin.require(
            "user",
            "set-phone",
            YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER,
        )?;
    }
    existing(auth, &user_id).await?;
    let changes = model_data(auth, user::MODEL, &data)?;
    let updated = changed(auth, &user_id, changes).await?;
    if bans {
        auth.sessions().delete_of_user(&user_id).await?;
    }
    Ok(Reply::json(auth.output(user::MODEL, &updated)))
}

pub(super) async fn list(auth: &Auth, ctx: &mut Ctx, admin: &Admin) -> Result<Reply, ApiError> {
    let search_field = choice(ctx, "searchField", &["email", "name"])?;
    let search_operator = choice(
        ctx,
        "searchOperator",
        &["contains", "starts_with", "ends_with"],
    )?;
    let direction = choice(ctx, "sortDirection", &["asc", "desc"])?;
    let filter_operator = choice(ctx, "filterOperator", &OPERATORS)?;
    admin.require("user", "list", YOU_ARE_NOT_ALLOWED_TO_LIST_USERS)?;
    let none = || Reply::json(json!({ "users": [], "total": 0 }));
    let mut conditions = Vec::new();
    if let Some(value) = ctx.query.get("searchValue").filter(|v| !v.is_empty()) {
        let field = search_field.unwrap_or(user::EMAIL);
        let op = search_operator.unwrap_or("contains");
        match condition(auth, user::MODEL, field, op, value) {
            Some(c) => conditions.push(c),
            None => return Ok(none()),
        }
    }
    if let Some(value) = ctx.query.get("filterValue") {
        let field = ctx
            .query
            .get("filterField")
            .filter(|f| !f.is_empty())
            .unwrap_or(user::EMAIL);
        match condition(
            auth,
            user::MODEL,
            field,
            filter_operator.unwrap_or("eq"),
            value,
        ) {
            Some(c) => conditions.push(c),
            None => return Ok(none()),
        }
    }
    let Ok(sort) = listing::sort(auth, user::MODEL, ctx.query.get("sortBy"), direction) else {
        return Ok(none());
    };
    let (limit, offset) = (count(ctx, "limit"), count(ctx, "offset"));
    let store = &auth.inner.store;
    let users = store
        .find_many(user::MODEL, &conditions, sort.as_ref(), limit, offset)
        .await?;
    let total = store.list_total(user::MODEL, &conditions).await?;
    let mut answer = Map::new();
    answer.insert(
        "users".into(),
        users
            .iter()
            .map(|u| auth.output(user::MODEL, u))
            .collect::<Vec<_>>()
            .into(),
    );
    answer.insert("total".into(), total.into());
    if let Some(limit) = limit {
        answer.insert("limit".into(), limit.into());
    }
    if let Some(offset) = offset {
        answer.insert("offset".into(), offset.into());
    }
    Ok(Reply::json(Json::Object(answer)))
}

pub(super) async fn list_sessions(
    auth: &Auth,
    ctx: &mut Ctx,
    admin: &Admin,
) -> Result<Reply, ApiError> {
    let user_id = coerced(&ctx.body, "userId");
    admin.require(
        "session",
        "list",
        YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS,
    )?;
    let sessions = auth.sessions().list(&user_id).await?;
    let sessions: Vec<Json> = sessions
        .iter()
        .map(|s| auth.output(session::MODEL, s))
        .collect();
    Ok(Reply::json(json!({ "sessions": sessions })))
}

pub(super) async fn unban(auth: &Auth, ctx: &mut Ctx, admin: &Admin) -> Result<Reply, ApiError> {
    let user_id = coerced(&ctx.body, "userId");
    admin.require("user", "ban", YOU_ARE_NOT_ALLOWED_TO_BAN_USERS)?;
    existing(auth, &user_id).await?;
    Ok(wrapped(auth, &changed(auth, &user_id, unbanned()).await?))
}

pub(super) async fn ban(auth: &Auth, ctx: &mut Ctx, admin: &Admin) -> Result<Reply, ApiError> {
    let body = &ctx.body;
    let user_id = coerced(body, "userId");
    let reason = body.opt_str("banReason")?.map(str::to_owned);
    let expires_in = match body.get("banExpiresIn") {
        None => None,
        Some(Json::Number(n)) => n.as_f64(),
        Some(_) => {
            return Err(ApiError::validation(
                "[body.banExpiresIn] Invalid input: expected number",
            ));
        }
    };
    admin.require("user", "ban", YOU_ARE_NOT_ALLOWED_TO_BAN_USERS)?;
    existing(auth, &user_id).await?;
    if user_id == admin.id() {
        return Err(ApiError::bad_request(YOU_CANNOT_BAN_YOURSELF));
    }
    let options = &admin.options;
    // better-auth's `x || default`: an empty reason and a zero lifetime count as none.
    let reason = reason
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| options.default_ban_reason.clone());
    let seconds = expires_in.filter(|s| *s != 0.0 && s.is_finite()).or(options
        .default_ban_expires_in
        .filter(|s| *s != 0)
        .map(|s| s as f64));
    let mut changes = Row::new();
    changes.insert(user::BANNED.into(), Value::Boolean(true));
    changes.insert(user::BAN_REASON.into(), Value::String(reason));
    changes.insert(
        user::BAN_EXPIRES.into(),
        seconds.map_or(Value::Null, |s| {
            Value::Date(Timestamp::now().plus_millis((s * 1000.0) as i64))
        }),
    );
    let banned = changed(auth, &user_id, changes).await?;
    auth.sessions().delete_of_user(&user_id).await?;
    Ok(wrapped(auth, &banned))
}

pub(super) async fn revoke_session(
    auth: &Auth,
    ctx: &mut Ctx,
    admin: &Admin,
) -> Result<Reply, ApiError> {
    let token = ctx.body.str("sessionToken")?.to_owned();
    admin.require(
        "session",
        "revoke",
        YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS,
    )?;
    auth.sessions().delete(&token).await?;
    Ok(Reply::json(json!({ "success": true })))
}

pub(super) async fn revoke_sessions(
    auth: &Auth,
    ctx: &mut Ctx,
    admin: &Admin,
) -> Result<Reply, ApiError> {
    let user_id = coerced(&ctx.body, "userId");
    admin.require(
        "session",
        "revoke",
        YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS,
    )?;
    auth.sessions().delete_of_user(&user_id).await?;
    Ok(Reply::json(json!({ "success": true })))
}

pub(super) async fn remove(auth: &Auth, ctx: &mut Ctx, admin: &Admin) -> Result<Reply, ApiError> {
    let user_id = coerced(&ctx.body, "userId");
    admin.require("user", "delete", YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS)?;
    if user_id == admin.id() {
        return Err(ApiError::bad_request(YOU_CANNOT_REMOVE_YOURSELF));
    }
    existing(auth, &user_id).await?;
    auth.sessions().delete_user(&user_id).await?;
    Ok(Reply::json(json!({ "success": true })))
}

pub(super) async fn set_password(
    auth: &Auth,
    ctx: &mut Ctx,
    admin: &Admin,
) -> Result<Reply, ApiError> {
    let password = ctx.body.str("newPassword")?.to_owned();
    if password.is_empty() {
        return Err(ApiError::validation(
            "[body.newPassword] newPassword cannot be empty",
        ));
    }
    let user_id = coerced(&ctx.body, "userId");
    if user_id.is_empty() {
        return Err(ApiError::validation("[body.userId] userId cannot be empty"));
    }
    admin.require(
        "user",
        "set-password",
        YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD,
    )?;
    auth.check_password_length(&password, true)?;
    existing(auth, &user_id).await?;
    let hash = auth.hash_password(&password).await?;
    auth.store_credential_password(&user_id, hash).await?;
    Ok(status_true())
}
