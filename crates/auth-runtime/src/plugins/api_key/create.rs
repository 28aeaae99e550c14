//! Creating a key, as better-auth's `/api-key/create`: over HTTP (a client request, so the
//! server-only fields are refused and the key belongs to the session's user) and on the server
//! (`Auth::create_api_key`, for any user, with the quota, refill, rate limit and permissions that
//! better-auth lets only `auth.api.createApiKey` set). Both end in one [`insert_key`].

use std::collections::BTreeMap;
use std::time::Duration;

use auth_core::errors::base;
use auth_core::plugins::api_key as codes;
use auth_core::schema::names::{apikey, user};
use http::StatusCode;
use serde_json::Value as Json;

use super::{
    DEFAULT_CONFIG, answer, body_number, check_expires_in, check_name, check_permissions,
    delete_expired_now_and_then, error, in_seconds, options, stored_key, truthy,
};
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::store::{Row, Timestamp, Value, Where};
use crate::wire::id;

/// A key to create on the server ([`Auth::create_api_key`]): better-auth's `createApiKey` body,
/// server-only fields included. Durations are better-auth's units: `expires_in` whole seconds,
/// `refill_interval` and `rate_limit_time_window` milliseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewApiKey {
    /// The key's name (`require-name` makes it mandatory).
    pub name: Option<String>,
    /// From now; at least 1 s, within `key-expiration`. `None`: `default-expires-in`.
    pub expires_in: Option<Duration>,
    /// Letters, digits, `_` and `-`. `None`: `default-prefix`.
    pub prefix: Option<String>,
    /// A JSON object or array (`enable-metadata`).
    pub metadata: Option<Json>,
    /// Uses left; `None`: unlimited.
    pub remaining: Option<u64>,
    /// Given together with `refill_interval`: `remaining` is set back to this once per interval.
    pub refill_amount: Option<u64>,
    /// Milliseconds between refills, given together with `refill_amount`.
    pub refill_interval: Option<u64>,
    /// `None`: `[plugins.api-key.rate-limit] enabled`.
    pub rate_limit_enabled: Option<bool>,
    /// `None`: `[plugins.api-key.rate-limit] time-window`.
    pub rate_limit_time_window: Option<u64>,
    /// `None`: `[plugins.api-key.rate-limit] max-requests`.
    pub rate_limit_max: Option<u64>,
    /// `{resource: [action, …]}`, checked by [`Auth::verify_api_key`].
    pub permissions: Option<BTreeMap<String, Vec<String>>>,
}

/// What [`insert_key`] takes: the body once zod's checks passed, in the body's units.
struct Checked {
    name: Option<String>,
    expires_in: Option<f64>,
    prefix: Option<String>,
    metadata: Option<Json>,
    remaining: Option<i64>,
    refill_amount: Option<i64>,
    refill_interval: Option<i64>,
    rate_limit_enabled: Option<bool>,
    rate_limit_time_window: Option<i64>,
    rate_limit_max: Option<i64>,
    permissions: Option<String>,
}

/// zod's `/^[a-zA-Z0-9_-]+$/` on `prefix`: at least one character.
fn check_prefix_format(prefix: Option<&str>) -> Result<(), ApiError> {
    let valid = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if prefix.is_some_and(|p| !valid(p)) {
        return Err(ApiError::validation(
            "[body.prefix] Invalid prefix format, must be alphanumeric and contain only underscores and hyphens.",
        ));
    }
    Ok(())
}

/// A count as the `apikey` table's integer columns hold it.
fn stored(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Auth {
    /// Creates an API key for the user `user_id` on the server, as better-auth's
    /// `auth.api.createApiKey({ body: { userId, … } })` without request headers: the server-only
    /// fields of [`NewApiKey`] (quota, refill, rate limit, permissions) are accepted, which
    /// `POST /api-key/create` refuses with `SERVER_ONLY_PROPERTY`. `Ok` is the key as
    /// `/api-key/create` answers it, the plaintext `key` included (shown this once). `Err`:
    /// better-auth's codes (`REFILL_AMOUNT_AND_INTERVAL_REQUIRED`, `EXPIRES_IN_IS_TOO_SMALL`,
    /// `INVALID_NAME_LENGTH`, …), 404 `USER_NOT_FOUND` for an unknown user, 404 `NOT_FOUND`
    /// when the api-key plugin is not enabled.
    pub async fn create_api_key(&self, user_id: &str, key: NewApiKey) -> Result<Json, ApiError> {
        self.api_key_options()?;
        check_prefix_format(key.prefix.as_deref())?;
        let expires_in = key.expires_in.map(|d| d.as_secs_f64());
        if expires_in.is_some_and(|seconds| seconds < 1.0) {
            return Err(ApiError::validation(
                "[body.expiresIn] Too small: expected number to be >=1",
            ));
        }
        if key.refill_amount == Some(0) {
            return Err(ApiError::validation(
                "[body.refillAmount] Too small: expected number to be >=1",
            ));
        }
        let owner = self
            .inner
            .store
            .find_one(user::MODEL, &[Where::eq(user::ID, user_id)])
            .await?;
        if owner.is_none() {
            return Err(ApiError::base(StatusCode::NOT_FOUND, base::USER_NOT_FOUND));
        }
        let permissions = key
            .permissions
            .map(|p| serde_json::to_string(&p).unwrap_or_default());
        let checked = Checked {
            name: key.name,
            expires_in,
            prefix: key.prefix,
            metadata: key.metadata,
            remaining: key.remaining.map(stored),
            refill_amount: key.refill_amount.map(stored),
            refill_interval: key.refill_interval.map(stored),
            rate_limit_enabled: key.rate_limit_enabled,
            rate_limit_time_window: key.rate_limit_time_window.map(stored),
            rate_limit_max: key.rate_limit_max.map(stored),
            permissions,
        };
        insert_key(self, user_id, checked).await
    }
}

/// `POST /api-key/create`: a client request, so every server-only field is refused and the key
/// is the session's user's.
pub(super) async fn create(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body = &ctx.body;
    body.opt_str("configId")?;
    let name = body.opt_str("name")?.map(str::to_owned);
    let expires_in = body_number(body, "expiresIn", true, Some(1.0))?;
    let prefix = body.opt_str("prefix")?.map(str::to_owned);
    check_prefix_format(prefix.as_deref())?;
    let remaining = body_number(body, "remaining", true, Some(0.0))?;
    body_number(body, "refillAmount", false, Some(1.0))?;
    for key in ["refillInterval", "rateLimitTimeWindow", "rateLimitMax"] {
        body_number(body, key, false, None)?;
    }
    body.opt_bool("rateLimitEnabled")?;
    check_permissions(body, false)?;
    let server_only = [
        "refillAmount",
        "refillInterval",
        "rateLimitMax",
        "rateLimitTimeWindow",
        "rateLimitEnabled",
        "permissions",
    ];
    if server_only.iter().any(|k| body.has(k)) || remaining.is_some() {
        return Err(ApiError::bad_request(codes::SERVER_ONLY_PROPERTY));
    }
    // `userId` is zod's `z.coerce.string()`: any value counts.
    if body.has("userId") {
        return Err(error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED_SESSION));
    }
    let metadata = body.get("metadata").cloned();
    let session = auth
        .authoritative_session(ctx)
        .await?
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED_SESSION))?;
    let checked = Checked {
        name,
        expires_in,
        prefix,
        metadata,
        remaining: None,
        refill_amount: None,
        refill_interval: None,
        rate_limit_enabled: None,
        rate_limit_time_window: None,
        rate_limit_max: None,
        permissions: None,
    };
    Ok(Reply::json(
        insert_key(auth, session.user_id(), checked).await?,
    ))
}

/// better-auth's checks of a create body past zod and the session, then the new row: the key's
/// answer with its plaintext.
async fn insert_key(auth: &Auth, owner: &str, key: Checked) -> Result<Json, ApiError> {
    let options = options(auth);
    if truthy(key.metadata.as_ref()) {
        if !options.enable_metadata {
            return Err(ApiError::bad_request(codes::METADATA_DISABLED));
        }
        if !matches!(key.metadata, Some(Json::Object(_) | Json::Array(_))) {
            return Err(ApiError::bad_request(codes::INVALID_METADATA_TYPE));
        }
    }
    // JavaScript truthiness: an interval or amount of 0 is none.
    let refill_amount = key.refill_amount.filter(|n| *n != 0);
    let refill_interval = key.refill_interval.filter(|n| *n != 0);
    match (refill_amount, refill_interval) {
        (Some(_), None) => {
            return Err(ApiError::bad_request(
                codes::REFILL_AMOUNT_AND_INTERVAL_REQUIRED,
            ));
        }
        (None, Some(_)) => {
            return Err(ApiError::bad_request(
                codes::REFILL_INTERVAL_AND_AMOUNT_REQUIRED,
            ));
        }
        _ => {}
    }
    if let Some(seconds) = key.expires_in {
        check_expires_in(options, seconds)?;
    }
    if let Some(prefix) = key.prefix.as_deref() {
        let length = prefix.len();
        if !(options.minimum_prefix_length..=options.maximum_prefix_length).contains(&length) {
            return Err(ApiError::bad_request(codes::INVALID_PREFIX_LENGTH));
        }
    }
    match key.name.as_deref().filter(|n| !n.is_empty()) {
        Some(name) => check_name(options, name)?,
        None if options.require_name => return Err(ApiError::bad_request(codes::NAME_REQUIRED)),
        None => {}
    }
    delete_expired_now_and_then(auth).await;
    let key_prefix = key
        .prefix
        .as_deref()
        .or(options.default_prefix.as_deref())
        .unwrap_or_default();
    let plaintext = format!("{key_prefix}{}", id::generate_letters(options.key_length()));
    let starting = &options.starting_characters_config;
    let start = starting.should_store.then(|| {
        plaintext
            .chars()
            .take(starting.characters_length)
            .collect::<String>()
    });
    let now = Timestamp::now();
    let expires_at = match key.expires_in {
        Some(seconds) => Some(in_seconds(now, seconds)),
        None => options
            .key_expiration
            .default_expires_in
            .map(|seconds| in_seconds(now, seconds as f64)),
    };
    let stored_metadata = key.metadata.clone().filter(|m| truthy(Some(m)));
    let rate_limit = &options.rate_limit;
    let mut row = Row::new();
    let mut set = |field: &str, value: Value| {
        row.insert(field.to_owned(), value);
    };
    set(apikey::CONFIG_ID, DEFAULT_CONFIG.into());
    set(apikey::CREATED_AT, now.into());
    set(apikey::UPDATED_AT, now.into());
    set(apikey::NAME, key.name.into());
    set(
        apikey::PREFIX,
        key.prefix.or_else(|| options.default_prefix.clone()).into(),
    );
    set(apikey::START, start.into());
    set(apikey::KEY, stored_key(options, &plaintext).into());
    set(apikey::ENABLED, true.into());
    set(apikey::EXPIRES_AT, expires_at.into());
    set(apikey::REFERENCE_ID, owner.into());
    set(apikey::LAST_REFILL_AT, Value::Null);
    set(apikey::LAST_REQUEST, Value::Null);
    // better-auth stores the metadata JSON-encoded, `null` included.
    set(
        apikey::METADATA,
        stored_metadata.unwrap_or(Json::Null).to_string().into(),
    );
    set(
        apikey::RATE_LIMIT_MAX,
        key.rate_limit_max
            .unwrap_or_else(|| stored(rate_limit.max_requests))
            .into(),
    );
    set(
        apikey::RATE_LIMIT_TIME_WINDOW,
        key.rate_limit_time_window
            .unwrap_or_else(|| stored(rate_limit.time_window))
            .into(),
    );
    // better-auth's `remaining ?? refillAmount ?? null` after zod's `default(null)`: only a
    // given `remaining` counts.
    set(apikey::REMAINING, key.remaining.into());
    set(apikey::REFILL_AMOUNT, key.refill_amount.into());
    set(apikey::REFILL_INTERVAL, key.refill_interval.into());
    set(
        apikey::RATE_LIMIT_ENABLED,
        key.rate_limit_enabled.unwrap_or(rate_limit.enabled).into(),
    );
    set(apikey::REQUEST_COUNT, 0i64.into());
    set(apikey::PERMISSIONS, key.permissions.into());
    let row = auth.inner.store.insert(apikey::MODEL, row).await?;
    let mut out = answer(auth, &row, Some(&plaintext));
    out["metadata"] = key.metadata.unwrap_or(Json::Null);
    Ok(out)
}
