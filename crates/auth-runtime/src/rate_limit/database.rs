//! Counters in the `rateLimit` table, shared by every server on the database. Each step is one
//! conditional statement (insert of a new key, reset of an idle counter, increment below `max`),
//! so concurrent requests on any number of servers are counted exactly.

use auth_core::schema::names::rate_limit;

use crate::store::{Row, Store, StoreError, Value, Where};

use super::{Decision, Limit, LimitError, retry_after};

/// Rounds of read-then-conditional-write before giving up under contention (each lost round
/// means another request moved the counter, so this is only reached under pathological load).
const ATTEMPTS: usize = 16;

fn last_request(row: &Row) -> Result<i64, StoreError> {
    row.get(rate_limit::LAST_REQUEST)
        .and_then(Value::as_i64)
        .ok_or_else(|| StoreError::Decode {
            model: rate_limit::MODEL.to_owned(),
            field: rate_limit::LAST_REQUEST.to_owned(),
            found: format!("{:?}", row.get(rate_limit::LAST_REQUEST)),
        })
}

fn counter(count: i64, now: i64) -> Row {
    let mut row = Row::new();
    row.insert(rate_limit::COUNT.into(), Value::Integer(count));
    row.insert(rate_limit::LAST_REQUEST.into(), Value::Integer(now));
    row
}

/// better-auth's algorithm (see the memory store) on the table.
pub(super) async fn consume(
    store: &Store,
    key: &str,
    limit: Limit,
    now: i64,
    longest_window: u32,
) -> Result<Decision, LimitError> {
    let window = limit.window_ms();
    let by_key = || Where::eq(rate_limit::KEY, key);
    for _ in 0..ATTEMPTS {
        let Some(row) = store.find_one(rate_limit::MODEL, &[by_key()]).await? else {
            let mut row = counter(1, now);
            row.insert(rate_limit::KEY.into(), Value::from(key));
            match store.insert(rate_limit::MODEL, row).await {
                Ok(_) => return Ok(Decision::Allowed),
                // Another request created it first: count against its row.
                Err(StoreError::UniqueViolation { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        };
        let last = last_request(&row)?;
        if now - last >= window {
            let idle = [by_key(), Where::lte(rate_limit::LAST_REQUEST, last)];
            if store
                .update(rate_limit::MODEL, &idle, counter(1, now))
                .await?
                == 1
            {
                prune(store, now, longest_window);
                return Ok(Decision::Allowed);
            }
            continue;
        }
        let mut moved = Row::new();
        moved.insert(rate_limit::LAST_REQUEST.into(), Value::Integer(now));
        let below_max = [
            by_key(),
            Where::gt(rate_limit::LAST_REQUEST, now - window),
            Where::lt(rate_limit::COUNT, i64::from(limit.max)),
        ];
        if store
            .increment(rate_limit::MODEL, &below_max, rate_limit::COUNT, moved)
            .await?
            == 1
        {
            return Ok(Decision::Allowed);
        }
        let Some(fresh) = store.find_one(rate_limit::MODEL, &[by_key()]).await? else {
            continue;
        };
        let last = last_request(&fresh)?;
        if now - last >= window {
            continue;
        }
        return Ok(Decision::Rejected {
            retry_after: retry_after(last, limit, now),
        });
    }
    Err(LimitError::Contention)
}

/// Deletes counters idle for longer than the longest window, in the background (a failure is
/// only logged: the rows are merely dead weight).
fn prune(store: &Store, now: i64, longest_window: u32) {
    let store = store.clone();
    let cutoff = now - i64::from(longest_window) * 1000;
    tokio::spawn(async move {
        if let Err(error) = store
            .delete(
                rate_limit::MODEL,
                &[Where::lt(rate_limit::LAST_REQUEST, cutoff)],
            )
            .await
        {
            tracing::warn!(%error, "pruning idle rate-limit counters");
        }
    });
}
