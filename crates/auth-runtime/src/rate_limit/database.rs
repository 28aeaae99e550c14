//! Counters in the `rateLimit` table, shared by every server on the database. Each step is one
//! conditional statement (insert of a new key, reset of an idle counter, increment below `max`),
//! so concurrent requests on any number of servers are counted exactly.

use crate::store::{Row, Store, StoreError, Value, Where};

use super::{Decision, Limit, LimitError, retry_after};

const MODEL: &str = "rateLimit";

/// Rounds of read-then-conditional-write before giving up under contention (each lost round
/// means another request moved the counter, so this is only reached under pathological load).
const ATTEMPTS: usize = 16;

fn last_request(row: &Row) -> Result<i64, StoreError> {
    row.get("lastRequest")
        .and_then(Value::as_i64)
        .ok_or_else(|| StoreError::Decode {
            model: MODEL.to_owned(),
            field: "lastRequest".to_owned(),
            found: format!("{:?}", row.get("lastRequest")),
        })
}

fn counter(count: i64, now: i64) -> Row {
    let mut row = Row::new();
    row.insert("count".into(), Value::Integer(count));
    row.insert("lastRequest".into(), Value::Integer(now));
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
    let by_key = || Where::eq("key", key);
    for _ in 0..ATTEMPTS {
        let Some(row) = store.find_one(MODEL, &[by_key()]).await? else {
            let mut row = counter(1, now);
            row.insert("key".into(), Value::from(key));
            match store.insert(MODEL, row).await {
                Ok(_) => return Ok(Decision::Allowed),
                // Another request created it first: count against its row.
                Err(StoreError::UniqueViolation { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        };
        let last = last_request(&row)?;
        if now - last >= window {
            let idle = [by_key(), Where::lte("lastRequest", last)];
            if store.update(MODEL, &idle, counter(1, now)).await? == 1 {
                prune(store, now, longest_window);
                return Ok(Decision::Allowed);
            }
            continue;
        }
        let mut moved = Row::new();
        moved.insert("lastRequest".into(), Value::Integer(now));
        let below_max = [
            by_key(),
            Where::gt("lastRequest", now - window),
            Where::lt("count", i64::from(limit.max)),
        ];
        if store.increment(MODEL, &below_max, "count", moved).await? == 1 {
            return Ok(Decision::Allowed);
        }
        let Some(fresh) = store.find_one(MODEL, &[by_key()]).await? else {
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
            .delete(MODEL, &[Where::lt("lastRequest", cutoff)])
            .await
        {
            tracing::warn!(%error, "pruning idle rate-limit counters");
        }
    });
}
