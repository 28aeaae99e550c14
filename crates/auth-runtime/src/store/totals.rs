//! The `total` of a list page (admin's list-users, organization's list-members): better-auth
//! answers an exact `count(*)` with every page, and so do we while counting is cheap. A count
//! that takes [`SLOW_COUNT`] or longer (a million users: ~200 ms of CPU on PostgreSQL, which
//! sixteen concurrent requests on two cores cannot afford each) is shared by every request with
//! the same conditions for at most [`MAX_AGE`], recounted in the background once it is
//! [`REFRESH_AFTER`] old so that no request waits for it.
//!
//! What a shared total may miss, and what it never misses:
//! - every write this store makes to the model, or to a model it cascades to (deleting a user
//!   deletes its members), drops the shared totals of that model at once: a server's own writes
//!   are always in the totals it answers next;
//! - writes made by another server on the same database (or by hand) show in a shared total
//!   within [`MAX_AGE`] plus the time one count takes.
//!
//! Only list pages read totals from here; limits and checks (members of an organization against
//! its membership limit, the last owner) always count exactly with [`super::Store::count`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use auth_core::Schema;

/// A count at least this slow is shared; a faster one is made for every request.
pub const SLOW_COUNT: Duration = Duration::from_millis(20);
/// A shared total is answered for at most this long after its count finished.
pub const MAX_AGE: Duration = Duration::from_secs(2);
/// A shared total this old is recounted in the background while it is still answered.
pub const REFRESH_AFTER: Duration = Duration::from_secs(1);
/// At most this many shared totals (one per model and conditions); beyond, the oldest go.
const CAPACITY: usize = 1024;

/// One shared total.
#[derive(Debug, Clone, Copy)]
struct Shared {
    total: u64,
    /// When its count finished (timed from the end, so that counts slowed down by a burst of
    /// requests are not already expired when they are shared).
    counted: Instant,
    /// The model's write generation when its count started.
    generation: u64,
    /// A background recount is running.
    refreshing: bool,
}

/// What [`Totals::lookup`] found for a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lookup {
    /// A shared total to answer; `refresh`: the caller should recount it in the background.
    Shared { total: u64, refresh: bool },
    /// Count now.
    Count,
}

/// Shared totals and the write generation of every model.
#[derive(Debug)]
pub(super) struct Totals {
    /// Per model, the models whose rows a write to it may change (itself and every model that
    /// references it, transitively: `on delete cascade` and `set null`).
    affects: BTreeMap<String, Vec<String>>,
    generations: BTreeMap<String, AtomicU64>,
    shared: Mutex<HashMap<String, Shared>>,
}

impl Totals {
    pub(super) fn new(schema: &Schema) -> Self {
        let mut affects = BTreeMap::new();
        for table in &schema.tables {
            let mut reached = vec![table.model.clone()];
            let mut next = 0;
            while let Some(model) = reached.get(next).cloned() {
                next += 1;
                for other in &schema.tables {
                    let refers = other
                        .columns
                        .iter()
                        .any(|c| c.references.as_ref().is_some_and(|r| r.model == model));
                    if refers && !reached.contains(&other.model) {
                        reached.push(other.model.clone());
                    }
                }
            }
            affects.insert(table.model.clone(), reached);
        }
        let generations = schema
            .tables
            .iter()
            .map(|t| (t.model.clone(), AtomicU64::new(0)))
            .collect();
        Self {
            affects,
            generations,
            shared: Mutex::new(HashMap::new()),
        }
    }

    /// The model's write generation.
    pub(super) fn generation(&self, model: &str) -> u64 {
        self.generations
            .get(model)
            .map_or(0, |g| g.load(Ordering::SeqCst))
    }

    /// A write to `model` finished (or failed): the totals it may have changed are stale.
    pub(super) fn written(&self, model: &str) {
        for affected in self.affects.get(model).into_iter().flatten() {
            if let Some(generation) = self.generations.get(affected) {
                generation.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    /// A shared total for `key` (a count of `model`), if one is fresh and no write made it stale.
    pub(super) fn lookup(&self, model: &str, key: &str, now: Instant) -> Lookup {
        let generation = self.generation(model);
        let mut shared = self.lock();
        let Some(entry) = shared.get_mut(key) else {
            return Lookup::Count;
        };
        let age = now.saturating_duration_since(entry.counted);
        if entry.generation != generation || age >= MAX_AGE {
            shared.remove(key);
            return Lookup::Count;
        }
        let refresh = age >= REFRESH_AFTER && !entry.refreshing;
        if refresh {
            entry.refreshing = true;
        }
        Lookup::Shared {
            total: entry.total,
            refresh,
        }
    }

    /// A count of `model` for `key` that finished at `finished`, started at `generation`, took
    /// `took`.
    pub(super) fn counted(
        &self,
        key: &str,
        total: u64,
        finished: Instant,
        generation: u64,
        took: Duration,
    ) {
        let mut shared = self.lock();
        if took < SLOW_COUNT {
            shared.remove(key);
            return;
        }
        if shared.len() >= CAPACITY && !shared.contains_key(key) {
            let oldest = shared
                .iter()
                .min_by_key(|(_, s)| s.counted)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                shared.remove(&oldest);
            }
        }
        shared.insert(
            key.to_owned(),
            Shared {
                total,
                counted: finished,
                generation,
                refreshing: false,
            },
        );
    }

    /// A background recount of `key` failed: let the next request try.
    pub(super) fn refresh_failed(&self, key: &str) {
        if let Some(entry) = self.lock().get_mut(key) {
            entry.refreshing = false;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Shared>> {
        // A panic while holding the lock leaves plain data behind: keep using it.
        self.shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals() -> Totals {
        let config = auth_core::Config::parse("auth.toml", "[plugins.organization]\n")
            .unwrap_or_else(|e| panic!("{e}"));
        Totals::new(&Schema::build(&config).unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn a_cheap_count_is_never_shared() {
        let totals = totals();
        let now = Instant::now();
        totals.counted("k", 5, now, 0, SLOW_COUNT / 2);
        assert_eq!(totals.lookup("user", "k", now), Lookup::Count);
    }

    #[test]
    fn a_slow_count_is_shared_until_it_is_old_then_recounted() {
        let totals = totals();
        let start = Instant::now();
        totals.counted("k", 7, start, totals.generation("user"), SLOW_COUNT);
        let shared = |refresh| Lookup::Shared { total: 7, refresh };
        assert_eq!(totals.lookup("user", "k", start), shared(false));
        // One request recounts in the background; the others keep the shared total meanwhile.
        let later = start + REFRESH_AFTER;
        assert_eq!(totals.lookup("user", "k", later), shared(true));
        assert_eq!(totals.lookup("user", "k", later), shared(false));
        assert_eq!(totals.lookup("user", "k", start + MAX_AGE), Lookup::Count);
    }

    #[test]
    fn a_write_drops_the_totals_it_may_change_and_no_others() {
        let totals = totals();
        let now = Instant::now();
        for (model, key) in [("user", "u"), ("member", "m"), ("verification", "v")] {
            totals.counted(key, 1, now, totals.generation(model), SLOW_COUNT);
        }
        // Deleting a user cascades to its memberships.
        totals.written("user");
        assert_eq!(totals.lookup("user", "u", now), Lookup::Count);
        assert_eq!(totals.lookup("member", "m", now), Lookup::Count);
        assert!(matches!(
            totals.lookup("verification", "v", now),
            Lookup::Shared { .. }
        ));
        // A count that started before a write is stale even if it ends after it.
        let before = totals.generation("member");
        totals.written("member");
        totals.counted("m", 1, now, before, SLOW_COUNT);
        assert_eq!(totals.lookup("member", "m", now), Lookup::Count);
    }
}
