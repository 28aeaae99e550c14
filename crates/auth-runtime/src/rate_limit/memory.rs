//! Counters in this process: better-auth's memory store, bounded.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::{Decision, Limit, retry_after};

/// Keys kept at most. Past it, expired counters go first, then the tenth that moved least
/// recently: memory stays bounded whatever paths and addresses clients send.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Default)]
pub(super) struct Counters {
    entries: Mutex<HashMap<String, Counter>>,
}

#[derive(Debug, Clone, Copy)]
struct Counter {
    count: u32,
    /// When the last accepted request came (ms since the epoch).
    last: i64,
    window_ms: i64,
}

impl Counter {
    fn live(&self, now: i64) -> bool {
        now - self.last < self.window_ms
    }
}

impl Counters {
    /// better-auth's algorithm: a counter idle for a whole window starts again at 1; a counter
    /// at `max` refuses (and does not move); otherwise it counts and moves `last` to now.
    pub(super) fn consume(&self, key: &str, limit: Limit, now: i64) -> Decision {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let window_ms = limit.window_ms();
        if let Some(counter) = entries.get_mut(key).filter(|c| c.live(now)) {
            if counter.count >= limit.max {
                return Decision::Rejected {
                    retry_after: retry_after(counter.last, limit, now),
                };
            }
            counter.count += 1;
            counter.last = now;
            counter.window_ms = window_ms;
            return Decision::Allowed;
        }
        if entries.len() >= MAX_KEYS && !entries.contains_key(key) {
            evict(&mut entries, now);
        }
        entries.insert(
            key.to_owned(),
            Counter {
                count: 1,
                last: now,
                window_ms,
            },
        );
        Decision::Allowed
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

fn evict(entries: &mut HashMap<String, Counter>, now: i64) {
    entries.retain(|_, counter| counter.live(now));
    if entries.len() < MAX_KEYS {
        return;
    }
    let mut lasts: Vec<i64> = entries.values().map(|c| c.last).collect();
    let tenth = lasts.len() / 10;
    let (_, cutoff, _) = lasts.select_nth_unstable(tenth);
    let cutoff = *cutoff;
    entries.retain(|_, counter| counter.last > cutoff);
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Limit = Limit { window: 10, max: 3 };

    #[test]
    fn better_auths_algorithm() {
        let counters = Counters::default();
        for _ in 0..3 {
            assert_eq!(counters.consume("k", LIMIT, 1_000), Decision::Allowed);
        }
        assert_eq!(
            counters.consume("k", LIMIT, 4_000),
            Decision::Rejected { retry_after: 7 }
        );
        // A refusal does not move the counter: it resets a window after the last accepted one.
        assert_eq!(counters.consume("k", LIMIT, 11_000), Decision::Allowed);
        assert_eq!(counters.consume("other", LIMIT, 11_000), Decision::Allowed);
    }

    #[test]
    fn bounded() {
        // Windows long enough that nothing expires: eviction has to make room.
        const LIMIT: Limit = Limit {
            window: 1_000_000,
            max: 3,
        };
        let counters = Counters::default();
        for now in 0..MAX_KEYS as i64 + 5 {
            counters.consume(&format!("k{now}"), LIMIT, now);
        }
        assert!(counters.len() <= MAX_KEYS, "{}", counters.len());
        assert!(counters.len() >= MAX_KEYS * 8 / 10);
        // The newest key survived eviction and still counts.
        let newest = format!("k{}", MAX_KEYS + 4);
        let now = MAX_KEYS as i64 + 5;
        counters.consume(&newest, LIMIT, now);
        counters.consume(&newest, LIMIT, now);
        assert!(matches!(
            counters.consume(&newest, LIMIT, now),
            Decision::Rejected { .. }
        ));
    }
}
