//! A use of an API key, as better-auth's `validateApiKey`: the checks (enabled, unexpired,
//! permissions), then its quota and a slot of its rate limit, each taken by a conditional update
//! on what was read; and the server-only `Auth::verify_api_key` and
//! `Auth::delete_expired_api_keys`.

use std::collections::BTreeMap;

use auth_core::errors::base;
use auth_core::plugins::api_key::{self as codes, Options};
use auth_core::schema::names::apikey;
use http::StatusCode;
use serde_json::{Value as Json, json};

use super::{
    answer, date, delete_expired_now_and_then, error, number, options, parse_json, stored_key,
};
use crate::Auth;
use crate::error::ApiError;
use crate::store::{Row, Timestamp, Value, Where, text};

/// Rounds of the rate limit's compare-and-set before the request is refused (each lost round
/// means another request took a slot; far more rounds than a window has slots means something
/// is wrong, and the key is not used).
const RATE_LIMIT_ROUNDS: usize = 100;

/// How long a use may leave `lastRequest` and `updatedAt` as they are, when nothing enforces
/// access with them (no quota, no rate limit): a use less than this after the last one they
/// record writes nothing, so a busy key costs a write per second, not one per request.
const TIMESTAMP_PRECISION_MS: i64 = 1_000;

/// How better-auth's `evaluateRateLimit` treats a key, before looking at its window.
#[derive(Debug, Clone, Copy)]
enum RateLimit {
    /// Off (for every key, or for this one): a use only moves `lastRequest`.
    Off,
    /// On, but the key has no window or no maximum: a use writes nothing for it.
    Unset,
    /// A window of `window` ms allowing `max` requests.
    Window { window: i64, max: i64 },
}

impl RateLimit {
    fn of(options: &Options, row: &Row) -> Self {
        if !options.rate_limit.enabled {
            Self::Off
        } else {
            Self::of_window(row)
        }
    }

    /// [`RateLimit::of`] with rate limiting on for every key.
    fn of_window(row: &Row) -> Self {
        if row.get(apikey::RATE_LIMIT_ENABLED) == Some(&Value::Boolean(false)) {
            return Self::Off;
        }
        match (
            number(row, apikey::RATE_LIMIT_TIME_WINDOW),
            number(row, apikey::RATE_LIMIT_MAX),
        ) {
            (Some(window), Some(max)) => Self::Window { window, max },
            _ => Self::Unset,
        }
    }

    /// Whether a use without quota would only move timestamps already less than
    /// [`TIMESTAMP_PRECISION_MS`] old: `updatedAt`, and `lastRequest` when rate limiting is off.
    fn timestamps_are_recent(self, row: &Row) -> bool {
        let now = Timestamp::now().millis();
        let recent = |field: &str| {
            date(row, field)
                .is_some_and(|at| (0..TIMESTAMP_PRECISION_MS).contains(&(now - at.millis())))
        };
        match self {
            Self::Off => recent(apikey::UPDATED_AT) && recent(apikey::LAST_REQUEST),
            Self::Unset => recent(apikey::UPDATED_AT),
            Self::Window { .. } => false,
        }
    }
}

/// Does a key's `permissions` (JSON `{resource: [action, …]}`) grant every action asked for?
/// (better-auth's `role(permissions).authorize(asked)`.)
fn grants(stored: &Json, asked: &BTreeMap<String, Vec<String>>) -> bool {
    asked.iter().all(|(resource, actions)| {
        stored
            .get(resource)
            .and_then(Json::as_array)
            .is_some_and(|allowed| {
                actions
                    .iter()
                    .all(|a| allowed.iter().any(|x| x.as_str() == Some(a)))
            })
    })
}

impl Auth {
    /// Verifies an API key on the server, as better-auth's server-only `auth.api.verifyApiKey`
    /// (no HTTP route: `POST /api-key/verify` is 404, as in better-auth): the key must exist, be
    /// enabled and unexpired, grant every action of `permissions` (`{resource: [action, …]}`),
    /// and have quota and rate-limit room left; the use is counted as a request with the key
    /// would count it. `Ok` is the key as `/api-key/get` shows it; `Err` carries better-auth's
    /// code (`INVALID_API_KEY`, `KEY_DISABLED`, `KEY_EXPIRED` and the key deleted, `KEY_NOT_FOUND`
    /// for missing permissions, `USAGE_EXCEEDED`, `RATE_LIMITED` with `details.tryAgainIn`), or
    /// 404 `NOT_FOUND` when the api-key plugin is not enabled.
    pub async fn verify_api_key(
        &self,
        key: &str,
        permissions: Option<&BTreeMap<String, Vec<String>>>,
    ) -> Result<Json, ApiError> {
        let options = self.api_key_options()?;
        let row = self.use_api_key(options, key, permissions).await?;
        delete_expired_now_and_then(self).await;
        Ok(answer(self, &row, None))
    }

    /// Deletes every API key past its expiry (better-auth's server-only
    /// `auth.api.deleteAllExpiredApiKeys`; requests also do it, at most every 10 s); returns how
    /// many. 404 `NOT_FOUND` when the api-key plugin is not enabled.
    pub async fn delete_expired_api_keys(&self) -> Result<u64, ApiError> {
        self.api_key_options()?;
        Ok(self
            .inner
            .store
            .delete(
                apikey::MODEL,
                &[
                    Where::lt(apikey::EXPIRES_AT, Timestamp::now()),
                    Where::ne(apikey::EXPIRES_AT, Value::Null),
                ],
            )
            .await?)
    }

    pub(super) fn api_key_options(&self) -> Result<&Options, ApiError> {
        if self.inner.config.plugins.api_key.is_none() {
            return Err(ApiError::coded(
                StatusCode::NOT_FOUND,
                base::NOT_FOUND,
                "the api-key plugin is not enabled: add [plugins.api-key] to auth.toml",
            ));
        }
        Ok(options(self))
    }

    /// better-auth's `validateApiKey`: the key's row after this use was counted, or why the key
    /// is refused.
    pub(super) async fn use_api_key(
        &self,
        options: &Options,
        key: &str,
        permissions: Option<&BTreeMap<String, Vec<String>>>,
    ) -> Result<Row, ApiError> {
        let store = &self.inner.store;
        let invalid = || error(StatusCode::UNAUTHORIZED, codes::INVALID_API_KEY);
        let row = store
            .find_one(
                apikey::MODEL,
                &[Where::eq(apikey::KEY, stored_key(options, key))],
            )
            .await?
            .ok_or_else(invalid)?;
        let by_id = [Where::eq(apikey::ID, text(&row, apikey::ID))];
        if row.get(apikey::ENABLED) == Some(&Value::Boolean(false)) {
            return Err(error(StatusCode::UNAUTHORIZED, codes::KEY_DISABLED));
        }
        if date(&row, apikey::EXPIRES_AT).is_some_and(|at| at.millis() < Timestamp::now().millis())
        {
            store.delete(apikey::MODEL, &by_id).await?;
            return Err(error(StatusCode::UNAUTHORIZED, codes::KEY_EXPIRED));
        }
        if let Some(asked) = permissions {
            let stored = match row.get(apikey::PERMISSIONS) {
                Some(Value::String(text)) => parse_json(text),
                _ => Json::Null,
            };
            if !stored.is_object() || !grants(&stored, asked) {
                return Err(error(StatusCode::UNAUTHORIZED, codes::KEY_NOT_FOUND));
            }
        }
        let exhausted = || error(StatusCode::TOO_MANY_REQUESTS, codes::USAGE_EXCEEDED);
        if number(&row, apikey::REMAINING) == Some(0)
            && number(&row, apikey::REFILL_AMOUNT).is_none()
        {
            store.delete(apikey::MODEL, &by_id).await?;
            return Err(exhausted());
        }
        let id = text(&row, apikey::ID);
        let rate_limit = RateLimit::of(options, &row);
        if number(&row, apikey::REMAINING).is_none() && rate_limit.timestamps_are_recent(&row) {
            // Neither quota nor rate limit applies: the use would only move timestamps that a
            // use (here or on another server) moved less than a second ago.
            return Ok(row);
        }
        // Each write of this use is one conditional statement that answers the row as it left
        // it, and moves `updatedAt` (an `on_update_now` field) as better-auth's final update does.
        // A use whose quota was claimed stands even if a concurrent request that found the quota
        // spent has deleted the row since (better-auth refuses it, so that fewer uses than the
        // quota pass); with neither quota nor rate limit, a key deleted since it was read is
        // refused.
        let spent = if number(&row, apikey::REMAINING).is_some() {
            Some(self.spend_quota(&row, &id).await?.ok_or_else(exhausted)?)
        } else {
            None
        };
        let limited = self.take_rate_limit_slot(rate_limit, row, &id).await?;
        match limited.or(spent) {
            Some(used) => Ok(used),
            None => store
                .update_by_id(apikey::MODEL, &id, &[], None, Row::new())
                .await?
                .ok_or_else(invalid),
        }
    }

    /// Takes one from `remaining`, refilling it first when `refillInterval` has passed since the
    /// last refill (one request wins the refill: it is conditional on the `lastRefillAt` read).
    /// The row as spent, or `None` when nothing is left.
    async fn spend_quota(&self, row: &Row, id: &str) -> Result<Option<Row>, ApiError> {
        let store = &self.inner.store;
        let now = Timestamp::now();
        let refill = (
            number(row, apikey::REFILL_INTERVAL).filter(|n| *n != 0),
            number(row, apikey::REFILL_AMOUNT).filter(|n| *n != 0),
        );
        if let (Some(interval), Some(amount)) = refill {
            let last_refill = date(row, apikey::LAST_REFILL_AT);
            let since = last_refill
                .or_else(|| date(row, apikey::CREATED_AT))
                .map_or(i64::MAX, |at| now.millis() - at.millis());
            if since > interval {
                let observed = [Where::eq(apikey::LAST_REFILL_AT, last_refill)];
                let mut refilled = Row::new();
                refilled.insert(apikey::REMAINING.into(), (amount - 1).into());
                refilled.insert(apikey::LAST_REFILL_AT.into(), now.into());
                let won = store
                    .update_by_id(apikey::MODEL, id, &observed, None, refilled)
                    .await?;
                if won.is_some() {
                    return Ok(won);
                }
            }
        }
        let left = [Where::gt(apikey::REMAINING, 0i64)];
        Ok(store
            .update_by_id(
                apikey::MODEL,
                id,
                &left,
                Some((apikey::REMAINING, -1)),
                Row::new(),
            )
            .await?)
    }

    /// Takes a slot of the key's rate limit (better-auth's `consumeRateLimit`): each step is a
    /// conditional update on what was read (the window's start, `requestCount < max`), re-read
    /// and retried when another request changed the row first. The row as updated (`None` when
    /// the key has no window or no maximum, so nothing is written, or when rate limiting is off
    /// and the row is gone), or 429 `RATE_LIMITED` with `details.tryAgainIn` (ms) when the
    /// window is full.
    async fn take_rate_limit_slot(
        &self,
        mut rate_limit: RateLimit,
        mut row: Row,
        id: &str,
    ) -> Result<Option<Row>, ApiError> {
        let store = &self.inner.store;
        for _ in 0..RATE_LIMIT_ROUNDS {
            let now = Timestamp::now();
            let mut changes = Row::new();
            changes.insert(apikey::LAST_REQUEST.into(), now.into());
            let taken = match rate_limit {
                // Rate limiting off: only `lastRequest` moves, whoever else uses the key.
                RateLimit::Off => {
                    return Ok(store
                        .update_by_id(apikey::MODEL, id, &[], None, changes)
                        .await?);
                }
                RateLimit::Unset => return Ok(None),
                RateLimit::Window { window, max } => {
                    self.rate_limit_step(&row, id, now, window, max, changes)
                        .await?
                }
            };
            if let Some(taken) = taken {
                return Ok(Some(taken));
            }
            row = store
                .find_one(apikey::MODEL, &[Where::eq(apikey::ID, id)])
                .await?
                .ok_or_else(|| error(StatusCode::UNAUTHORIZED, codes::INVALID_API_KEY))?;
            rate_limit = RateLimit::of_window(&row);
        }
        Err(ApiError::unavailable("the API key's rate limit"))
    }

    /// One conditional step of the rate limit on the row as read: a new window, or one more
    /// request in the current one. The row as updated, `None` when another request changed the
    /// row first, 429 `RATE_LIMITED` when the window is full.
    async fn rate_limit_step(
        &self,
        row: &Row,
        id: &str,
        now: Timestamp,
        window: i64,
        max: i64,
        mut changes: Row,
    ) -> Result<Option<Row>, ApiError> {
        let store = &self.inner.store;
        let window_start = now.plus_millis(-window);
        let guard = match date(row, apikey::LAST_REQUEST) {
            None => Where::eq(apikey::LAST_REQUEST, Value::Null),
            Some(last) if now.millis() - last.millis() > window => {
                Where::lte(apikey::LAST_REQUEST, window_start)
            }
            Some(last) => {
                if number(row, apikey::REQUEST_COUNT).unwrap_or(0) >= max {
                    let try_again_in = window - (now.millis() - last.millis());
                    return Err(
                        ApiError::base(StatusCode::TOO_MANY_REQUESTS, codes::RATE_LIMITED)
                            .with_details(json!({ "tryAgainIn": try_again_in })),
                    );
                }
                let guards = [
                    Where::gt(apikey::LAST_REQUEST, window_start),
                    Where::lt(apikey::REQUEST_COUNT, max),
                ];
                return Ok(store
                    .update_by_id(
                        apikey::MODEL,
                        id,
                        &guards,
                        Some((apikey::REQUEST_COUNT, 1)),
                        changes,
                    )
                    .await?);
            }
        };
        changes.insert(apikey::REQUEST_COUNT.into(), 1i64.into());
        Ok(store
            .update_by_id(apikey::MODEL, id, &[guard], None, changes)
            .await?)
    }
}
