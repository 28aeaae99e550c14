//! api-key at run time, as `@better-auth/api-key` 1.7.5 with keys in the database: a signed-in
//! user creates keys (shown once, stored as their SHA-256), reads, lists, updates and deletes
//! them; with `enable-session-for-api-keys`, a key in `x-api-key` stands for its owner's session
//! on every endpoint. Each use spends the key's quota (`remaining`, refilled on an interval) and
//! a slot of its rate limit with conditional updates, so that neither is exceeded however many
//! requests use one key at once, on however many servers; a key with neither has its use
//! timestamps written at most once a second.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use auth_core::endpoints::Endpoint;
use auth_core::plugins::api_key::{self as codes, Options};
use auth_core::schema::Plugin;
use auth_core::schema::names::{apikey, session, user};
use http::StatusCode;
use serde_json::{Map, Value as Json, json};

use super::Runtime;
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Body, Ctx, Reply};
use crate::routes::signed_in;
use crate::session::SessionCtx;
use crate::store::{Row, Sort, SortDirection, Timestamp, Value, Where, text, text_of};
use crate::wire::key_hash::key_hash;

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::ApiKey,
    handlers: &[
        ("createApiKey", |auth, ctx, _| {
            Box::pin(create::create(auth, ctx))
        }),
        ("getApiKey", |auth, ctx, session| {
            Box::pin(async move { get(auth, ctx, &signed_in(session)?).await })
        }),
        ("updateApiKey", |auth, ctx, _| Box::pin(update(auth, ctx))),
        ("deleteApiKey", |auth, ctx, session| {
            Box::pin(async move { delete(auth, ctx, &signed_in(session)?).await })
        }),
        ("listApiKeys", |auth, ctx, session| {
            Box::pin(async move { list(auth, ctx, &signed_in(session)?).await })
        }),
    ],
    sign_in_guard: None,
    session_guard: None,
    database_hooks: None,
    on_request: None,
    before: Some(|auth, endpoint, ctx| Box::pin(key_as_session(auth, endpoint, ctx))),
    after: None,
};

/// The configuration id of every key this server makes (better-auth's single configuration).
const DEFAULT_CONFIG: &str = "default";
/// How often, at most, a request also deletes every expired key (better-auth's 10 s).
const CLEANUP_EVERY_MS: i64 = 10_000;

fn options(auth: &Auth) -> &Options {
    auth.inner.config.plugins.api_key_options()
}

fn error(status: StatusCode, code: auth_core::errors::ErrorCode) -> ApiError {
    ApiError::base(status, code)
}

fn number(row: &Row, field: &str) -> Option<i64> {
    match row.get(field) {
        Some(Value::Integer(n)) => Some(*n),
        // A float column's value is cut to its integer part.
        Some(Value::Float(f)) if f.is_finite() => Some(*f as i64),
        _ => None,
    }
}

fn date(row: &Row, field: &str) -> Option<Timestamp> {
    row.get(field).and_then(Value::as_date)
}

/// Keys made before `configId` existed have none: they belong to the default configuration.
fn is_default_config(row: &Row) -> bool {
    matches!(text_of(row, apikey::CONFIG_ID), "" | DEFAULT_CONFIG)
}

/// better-auth's `safeJSONParse`: the value, or `null` when the text is none.
fn parse_json(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or(Json::Null)
}

/// `metadata` as the API answers it: the stored JSON, parsed twice when an old version stored it
/// double-encoded.
fn metadata_of(row: &Row) -> Json {
    match row.get(apikey::METADATA) {
        Some(Value::String(stored)) if !stored.is_empty() => match parse_json(stored) {
            Json::String(inner) => parse_json(&inner),
            parsed => parsed,
        },
        Some(Value::Json(value)) => value.clone(),
        _ => Json::Null,
    }
}

/// A key as the API answers it: every field, `metadata` and `permissions` parsed, and the
/// stored `key` (a hash) replaced by `shown` (the plaintext, in `create`'s answer) or left out.
fn answer(auth: &Auth, row: &Row, shown: Option<&str>) -> Json {
    let mut out = match auth.output(apikey::MODEL, row) {
        Json::Object(map) => map,
        _ => Map::new(),
    };
    match shown {
        Some(key) => {
            out.insert(apikey::KEY.into(), key.into());
        }
        None => {
            out.shift_remove(apikey::KEY);
        }
    }
    let permissions = match row.get(apikey::PERMISSIONS) {
        Some(Value::String(stored)) if !stored.is_empty() => parse_json(stored),
        _ => Json::Null,
    };
    out.insert(apikey::PERMISSIONS.into(), permissions);
    out.insert(apikey::METADATA.into(), metadata_of(row));
    Json::Object(out)
}

/// JavaScript truthiness of a body value (`if (metadata)`).
fn truthy(value: Option<&Json>) -> bool {
    match value {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(Json::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Json::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// A number of the body (zod's `z.number()`, `.min(min)`): absent, or `null` when `nullable`.
fn body_number(
    body: &Body,
    key: &str,
    nullable: bool,
    min: Option<f64>,
) -> Result<Option<f64>, ApiError> {
    let value = match body.get(key) {
        None => return Ok(None),
        Some(Json::Null) if nullable => return Ok(None),
        Some(Json::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(other) => {
            return Err(ApiError::validation(format!(
                "[body.{key}] Invalid input: expected number, received {}",
                kind(other)
            )));
        }
    };
    if let Some(min) = min.filter(|min| value < *min) {
        return Err(ApiError::validation(format!(
            "[body.{key}] Too small: expected number to be >={min}"
        )));
    }
    Ok(Some(value))
}

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// zod's `z.record(z.string(), z.array(z.string()))`; `null` too when `nullable`.
fn check_permissions(body: &Body, nullable: bool) -> Result<(), ApiError> {
    let record = match body.get("permissions") {
        None => return Ok(()),
        Some(Json::Null) if nullable => return Ok(()),
        Some(Json::Object(record)) => record,
        Some(other) => {
            return Err(ApiError::validation(format!(
                "[body.permissions] Invalid input: expected record, received {}",
                kind(other)
            )));
        }
    };
    for (resource, actions) in record {
        let valid = actions
            .as_array()
            .is_some_and(|a| a.iter().all(Json::is_string));
        if !valid {
            return Err(ApiError::validation(format!(
                "[body.permissions.{resource}] Invalid input: expected array of strings, received {}",
                kind(actions)
            )));
        }
    }
    Ok(())
}

/// `expiresIn` (seconds) against `key-expiration`, which better-auth counts in days.
fn check_expires_in(options: &Options, seconds: f64) -> Result<(), ApiError> {
    let expiration = &options.key_expiration;
    if expiration.disable_custom_expires_time {
        return Err(ApiError::bad_request(codes::KEY_DISABLED_EXPIRATION));
    }
    let days = seconds / 86_400.0;
    if expiration.min_expires_in > days {
        return Err(ApiError::bad_request(codes::EXPIRES_IN_IS_TOO_SMALL));
    }
    if expiration.max_expires_in < days {
        return Err(ApiError::bad_request(codes::EXPIRES_IN_IS_TOO_LARGE));
    }
    Ok(())
}

fn check_name(options: &Options, name: &str) -> Result<(), ApiError> {
    let length = name.encode_utf16().count();
    if !(options.minimum_name_length..=options.maximum_name_length).contains(&length) {
        return Err(ApiError::bad_request(codes::INVALID_NAME_LENGTH));
    }
    Ok(())
}

/// `seconds` from now, as better-auth's `getDate(seconds, "sec")`.
fn in_seconds(now: Timestamp, seconds: f64) -> Timestamp {
    now.plus_millis((seconds * 1000.0) as i64)
}

/// What a key is stored as: its SHA-256 (base64url, no padding), or itself with
/// `disable-key-hashing`.
fn stored_key(options: &Options, key: &str) -> String {
    if options.disable_key_hashing {
        key.to_owned()
    } else {
        key_hash(key)
    }
}

/// The key `id` of the default configuration owned by `owner`, or 404 `KEY_NOT_FOUND` (also for
/// another user's key).
async fn owned_key(auth: &Auth, id: &str, owner: &str) -> Result<Row, ApiError> {
    auth.inner
        .store
        .find_one(apikey::MODEL, &[Where::eq(apikey::ID, id)])
        .await?
        .filter(|row| is_default_config(row) && text_of(row, apikey::REFERENCE_ID) == owner)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, codes::KEY_NOT_FOUND))
}

async fn get(auth: &Auth, ctx: &Ctx, session: &SessionCtx) -> Result<Reply, ApiError> {
    let id = ctx.query.required("id")?;
    let row = owned_key(auth, id, session.user_id()).await?;
    delete_expired_now_and_then(auth).await;
    Ok(Reply::json(answer(auth, &row, None)))
}

async fn update(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let options = options(auth);
    let body = &ctx.body;
    let key_id = body.str("keyId")?.to_owned();
    body.opt_str("configId")?;
    let name = body.opt_str("name")?.map(str::to_owned);
    let enabled = body.opt_bool("enabled")?;
    body_number(body, "remaining", false, Some(1.0))?;
    for key in [
        "refillAmount",
        "refillInterval",
        "rateLimitTimeWindow",
        "rateLimitMax",
    ] {
        body_number(body, key, false, None)?;
    }
    let expires_in = if body.get("expiresIn") == Some(&Json::Null) {
        Some(None)
    } else {
        body_number(body, "expiresIn", false, Some(1.0))?.map(Some)
    };
    body.opt_bool("rateLimitEnabled")?;
    check_permissions(body, true)?;
    let metadata = body.get("metadata").cloned();
    // `userId` is zod's `z.coerce.string()`.
    let claimed_user = body.get("userId").map(|user_id| match user_id {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    });
    let server_only = [
        "refillAmount",
        "refillInterval",
        "rateLimitMax",
        "rateLimitTimeWindow",
        "rateLimitEnabled",
        "remaining",
        "permissions",
    ]
    .iter()
    .any(|k| body.has(k));
    let session = auth
        .authoritative_session(ctx)
        .await?
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED_SESSION))?;
    if claimed_user.is_some_and(|claimed| !claimed.is_empty() && claimed != session.user_id()) {
        return Err(error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED_SESSION));
    }
    if server_only {
        return Err(ApiError::bad_request(codes::SERVER_ONLY_PROPERTY));
    }
    let row = owned_key(auth, &key_id, session.user_id()).await?;
    let mut changes = Row::new();
    if let Some(name) = name {
        check_name(options, &name)?;
        changes.insert(apikey::NAME.into(), name.into());
    }
    if let Some(enabled) = enabled {
        changes.insert(apikey::ENABLED.into(), enabled.into());
    }
    if let Some(expires_in) = expires_in {
        if options.key_expiration.disable_custom_expires_time {
            return Err(ApiError::bad_request(codes::KEY_DISABLED_EXPIRATION));
        }
        if let Some(seconds) = expires_in {
            check_expires_in(options, seconds)?;
        }
        let expires_at = expires_in.map(|seconds| in_seconds(Timestamp::now(), seconds));
        changes.insert(apikey::EXPIRES_AT.into(), expires_at.into());
    }
    if let Some(metadata) = metadata.filter(|_| options.enable_metadata) {
        if !matches!(metadata, Json::Object(_) | Json::Array(_) | Json::Null) {
            return Err(ApiError::bad_request(codes::INVALID_METADATA_TYPE));
        }
        changes.insert(apikey::METADATA.into(), metadata.to_string().into());
    }
    if changes.is_empty() {
        return Err(ApiError::bad_request(codes::NO_VALUES_TO_UPDATE));
    }
    // better-auth's update leaves `updatedAt` as it was (only a use of the key moves it).
    if let Some(updated_at) = row.get(apikey::UPDATED_AT) {
        changes.insert(apikey::UPDATED_AT.into(), updated_at.clone());
    }
    let store = &auth.inner.store;
    let by_id = [Where::eq(apikey::ID, key_id.as_str())];
    store.update(apikey::MODEL, &by_id, changes).await?;
    let row = store
        .find_one(apikey::MODEL, &by_id)
        .await?
        .ok_or_else(|| error(StatusCode::NOT_FOUND, codes::KEY_NOT_FOUND))?;
    delete_expired_now_and_then(auth).await;
    Ok(Reply::json(answer(auth, &row, None)))
}

async fn delete(auth: &Auth, ctx: &Ctx, session: &SessionCtx) -> Result<Reply, ApiError> {
    let key_id = ctx.body.str("keyId")?;
    ctx.body.opt_str("configId")?;
    if session.user.get(user::BANNED) == Some(&Value::Boolean(true)) {
        return Err(error(StatusCode::UNAUTHORIZED, codes::USER_BANNED));
    }
    owned_key(auth, key_id, session.user_id()).await?;
    auth.inner
        .store
        .delete(apikey::MODEL, &[Where::eq(apikey::ID, key_id)])
        .await?;
    delete_expired_now_and_then(auth).await;
    Ok(Reply::json(json!({ "success": true })))
}

/// zod's `z.coerce.number().int().nonnegative()` on a query parameter.
fn query_count(ctx: &Ctx, key: &str) -> Result<Option<usize>, ApiError> {
    let Some(text) = ctx.query.get(key) else {
        return Ok(None);
    };
    let trimmed = text.trim();
    // `Number("")` is 0.
    let value = if trimmed.is_empty() {
        0.0
    } else {
        trimmed.parse::<f64>().unwrap_or(f64::NAN)
    };
    if !value.is_finite() {
        return Err(ApiError::validation(format!(
            "[query.{key}] Invalid input: expected number, received NaN"
        )));
    }
    if value.fract() != 0.0 {
        return Err(ApiError::validation(format!(
            "[query.{key}] Invalid input: expected int, received number"
        )));
    }
    if value < 0.0 {
        return Err(ApiError::validation(format!(
            "[query.{key}] Too small: expected number to be >=0"
        )));
    }
    // A whole, non-negative number; past `usize::MAX` the cast saturates.
    Ok(Some(value as usize))
}

async fn list(auth: &Auth, ctx: &Ctx, session: &SessionCtx) -> Result<Reply, ApiError> {
    let limit = query_count(ctx, "limit")?;
    let offset = query_count(ctx, "offset")?;
    let direction = match ctx.query.get("sortDirection") {
        None | Some("asc") => SortDirection::Asc,
        Some("desc") => SortDirection::Desc,
        Some(_) => {
            return Err(ApiError::validation(
                "[query.sortDirection] Invalid option: expected one of \"asc\"|\"desc\"",
            ));
        }
    };
    if ctx.query.get("organizationId").is_some() {
        // Organization-owned keys need the organization plugin, which this server does not
        // serve (better-auth answers 500 here).
        return Err(ApiError::bad_request(codes::ORGANIZATION_PLUGIN_REQUIRED));
    }
    let sort = match ctx.query.get("sortBy") {
        None => None,
        Some(field) => {
            let known = auth
                .schema()
                .model(apikey::MODEL)
                .is_some_and(|t| t.columns.iter().any(|c| c.field == field));
            if !known {
                return Err(ApiError::validation(format!(
                    "[query.sortBy] {field} is not a field of an API key"
                )));
            }
            Some(Sort {
                field: field.to_owned(),
                direction,
            })
        }
    };
    let config = ctx.query.get("configId");
    let rows = auth
        .inner
        .store
        .find_many(
            apikey::MODEL,
            &[Where::eq(apikey::REFERENCE_ID, session.user_id())],
            sort.as_ref(),
            None,
            None,
        )
        .await?;
    let rows: Vec<Row> = rows
        .into_iter()
        .filter(|row| match config {
            None => true,
            Some("" | DEFAULT_CONFIG) => is_default_config(row),
            Some(config) => text_of(row, apikey::CONFIG_ID) == config,
        })
        .collect();
    let total = rows.len();
    let keys: Vec<Json> = rows
        .iter()
        .skip(offset.unwrap_or(0))
        .take(limit.unwrap_or(usize::MAX))
        .map(|row| answer(auth, row, None))
        .collect();
    delete_expired_now_and_then(auth).await;
    let mut out = json!({ "apiKeys": keys, "total": total });
    if let Some(limit) = limit {
        out["limit"] = limit.into();
    }
    if let Some(offset) = offset {
        out["offset"] = offset.into();
    }
    Ok(Reply::json(out))
}

/// better-auth's `deleteAllExpiredApiKeys` as the endpoints run it: at most every 10 s (per
/// process, as better-auth's), failures logged.
async fn delete_expired_now_and_then(auth: &Auth) {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = Timestamp::now().millis();
    let last = LAST.load(Ordering::Relaxed);
    if now - last < CLEANUP_EVERY_MS
        || LAST
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    if let Err(error) = auth.delete_expired_api_keys().await {
        tracing::error!(?error, "deleting expired API keys");
    }
}

/// The key of a request, from the first of `api-key-headers` it carries.
fn request_key(options: &Options, ctx: &Ctx) -> Option<String> {
    options.api_key_headers.iter().find_map(|name| {
        ctx.headers
            .get(name.as_str())
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .filter(|v| !v.is_empty())
    })
}

/// `enable-session-for-api-keys`: a key in the request stands for its owner's session, without
/// a cookie; `/get-session` answers it at once. Every use is a verification (quota, rate limit).
async fn key_as_session(auth: &Auth, endpoint: &Endpoint, ctx: &mut Ctx) -> Result<(), ApiError> {
    let options = options(auth);
    if !options.enable_session_for_api_keys {
        return Ok(());
    }
    let Some(key) = request_key(options, ctx) else {
        return Ok(());
    };
    if key.encode_utf16().count() < options.key_length() {
        return Err(error(StatusCode::FORBIDDEN, codes::INVALID_API_KEY));
    }
    let row = auth.use_api_key(options, &key, None).await?;
    delete_expired_now_and_then(auth).await;
    let owner = text(&row, apikey::REFERENCE_ID);
    let user_row = auth
        .inner
        .store
        .find_one(user::MODEL, &[Where::eq(user::ID, owner.as_str())])
        .await?
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                codes::INVALID_REFERENCE_ID_FROM_API_KEY,
            )
        })?;
    let now = Timestamp::now();
    // better-auth adds `session.expiresIn` (seconds) as milliseconds when the key never expires.
    let expires_at = date(&row, apikey::EXPIRES_AT).unwrap_or_else(|| {
        now.plus_millis(i64::from(*auth.inner.config.session.expires_in.get_ref()))
    });
    let agent = ctx
        .headers
        .get(http::header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let fields: [(&str, Value); 8] = [
        (session::ID, text(&row, apikey::ID).into()),
        (session::TOKEN, key.into()),
        (session::USER_ID, owner.into()),
        (session::USER_AGENT, agent.into()),
        (session::IP_ADDRESS, ctx.client_ip.clone().into()),
        (session::CREATED_AT, now.into()),
        (session::UPDATED_AT, now.into()),
        (session::EXPIRES_AT, expires_at.into()),
    ];
    let session: Row = fields
        .into_iter()
        .map(|(field, value)| (field.to_owned(), value))
        .collect();
    if endpoint.path == "/get-session" {
        // As a stored session reads: every returned field of the model, `null` when the key's
        // session has none (`impersonatedBy`, additional fields), as the document says.
        ctx.hook_answer = Some(Reply::json(json!({
            "user": auth.output(user::MODEL, &user_row),
            "session": auth.output(session::MODEL, &session),
        })));
    }
    ctx.plugin_session = Some(SessionCtx {
        session: Arc::new(session),
        user: Arc::new(user_row),
        dont_remember: false,
        answer: None,
    });
    Ok(())
}

mod create;
mod usage;

pub use create::NewApiKey;

#[cfg(test)]
mod tests;
