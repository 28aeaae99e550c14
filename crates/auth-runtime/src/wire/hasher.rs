//! Password hashing off the async executor, at most one scrypt job per core.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Semaphore;

use super::password::{self, Blocks, PasswordError};

/// Runs [`password::hash`] and [`password::verify`] on tokio's blocking pool, admitting at most
/// `limit` jobs at once (default: the number of available cores).
///
/// One scrypt hash takes ~0.1 s of a core and a 16 MiB buffer. Spawning one blocking task per
/// request without a limit grows the blocking pool under a burst of sign-ins: on the 2-core
/// project machine 16 connections drove it to ~30 threads, 581 MiB peak RSS and *lower*
/// throughput (`research/perf-baselines.md`); a semaphore at the core count kept 106 MiB and
/// full throughput. Waiting requests queue on the semaphore, not in the pool.
///
/// A job that ends while others wait hands its 32 MiB scrypt buffer ([`Blocks`]) to the next
/// one: under a burst no hash allocates (a third of a hash's time), and at most `limit` buffers
/// exist, as before. When nothing waits the buffer is freed, so an idle server holds none.
///
/// Cheap to clone; clones share the limit. Needs a tokio runtime.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    limit: usize,
    /// Jobs admitted or waiting for a permit.
    queued: Arc<AtomicUsize>,
    /// Buffers handed on by jobs that ended while others were queued.
    spare: Arc<Mutex<Vec<Blocks>>>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordHasher {
    /// A hasher admitting as many concurrent jobs as there are available cores
    /// (`std::thread::available_parallelism`, 1 if unknown).
    #[must_use]
    pub fn new() -> Self {
        Self::with_limit(std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
    }

    /// A hasher admitting at most `limit` concurrent jobs (at least 1).
    #[must_use]
    pub fn with_limit(limit: usize) -> Self {
        let limit = limit.max(1);
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            queued: Arc::new(AtomicUsize::new(0)),
            spare: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The most jobs that run at once.
    #[must_use]
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// [`password::hash`] on the blocking pool.
    ///
    /// # Errors
    /// [`PasswordError::Task`] if the blocking task panicked or the runtime is shutting down.
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        self.run(move |blocks| password::hash_with(blocks, &password))
            .await
    }

    /// [`password::verify`] on the blocking pool.
    ///
    /// # Errors
    /// As [`password::verify`], and [`PasswordError::Task`] as for [`PasswordHasher::hash`].
    pub async fn verify(&self, stored: String, password: String) -> Result<bool, PasswordError> {
        self.run(move |blocks| password::verify_with(blocks, &stored, &password))
            .await?
    }

    /// Runs `job` on the blocking pool once a permit is free, in a spare buffer or a new one.
    /// The permit moves into the job, so it is held until scrypt finishes even if the caller's
    /// future is dropped (a client that disconnects does not free a slot while its hash still
    /// runs).
    pub(crate) async fn run<T, F>(&self, job: F) -> Result<T, PasswordError>
    where
        F: FnOnce(&mut Blocks) -> T + Send + 'static,
        T: Send + 'static,
    {
        let queued = Queued::enter(&self.queued);
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| PasswordError::Task(e.to_string()))?;
        let spare = Arc::clone(&self.spare);
        tokio::task::spawn_blocking(move || {
            let mut blocks = take(&spare).unwrap_or_default();
            let result = job(&mut blocks);
            // Another job is queued: it takes this buffer instead of allocating one. The last
            // job frees this buffer and any left over.
            let mut spare = spare.lock().unwrap_or_else(PoisonError::into_inner);
            if queued.others() > 0 {
                spare.push(blocks);
            } else {
                spare.clear();
            }
            drop(spare);
            drop(queued);
            drop(permit);
            result
        })
        .await
        .map_err(|e| PasswordError::Task(e.to_string()))
    }
}

fn take(spare: &Mutex<Vec<Blocks>>) -> Option<Blocks> {
    spare.lock().unwrap_or_else(PoisonError::into_inner).pop()
}

/// One job counted in [`PasswordHasher::queued`] from its call until its hash ends (or its
/// caller gives up waiting for a permit).
struct Queued(Arc<AtomicUsize>);

impl Queued {
    fn enter(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(count))
    }

    /// Jobs queued besides this one.
    fn others(&self) -> usize {
        self.0.load(Ordering::SeqCst).saturating_sub(1)
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn at_most_limit_hashes_run_at_once() {
        let hasher = PasswordHasher::new();
        let limit = hasher.limit();
        assert!(limit >= 1);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut jobs = tokio::task::JoinSet::new();
        for i in 0..32 {
            let (hasher, running, peak) = (hasher.clone(), Arc::clone(&running), Arc::clone(&peak));
            jobs.spawn(async move {
                hasher
                    .run(move |blocks| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        let stored = password::hash_with(blocks, &format!("password-{i}"));
                        running.fetch_sub(1, Ordering::SeqCst);
                        stored
                    })
                    .await
            });
        }
        let mut hashes = Vec::new();
        while let Some(joined) = jobs.join_next().await {
            match joined {
                Ok(Ok(stored)) => hashes.push(stored),
                other => panic!("hash job failed: {other:?}"),
            }
        }
        assert_eq!(hashes.len(), 32);
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak <= limit, "{peak} jobs ran at once, limit {limit}");
        assert!(peak >= 1);
        // Buffers were handed on during the burst; once idle, none is kept.
        assert_eq!(hasher.queued.load(Ordering::SeqCst), 0);
        assert!(
            take(&hasher.spare).is_none(),
            "an idle hasher keeps a buffer"
        );
    }

    #[tokio::test]
    async fn a_limit_of_one_serialises_and_results_come_back() {
        let hasher = PasswordHasher::with_limit(0);
        assert_eq!(hasher.limit(), 1);
        let stored = hasher.hash("password1234".to_owned()).await;
        let stored = stored.unwrap_or_else(|e| panic!("{e}"));
        let ok = hasher
            .verify(stored.clone(), "password1234".to_owned())
            .await;
        assert_eq!(ok, Ok(true));
        let wrong = hasher.verify(stored, "password123".to_owned()).await;
        assert_eq!(wrong, Ok(false));
        let malformed = hasher
            .verify("nope".to_owned(), "password1234".to_owned())
            .await;
        assert!(matches!(
            malformed,
            Err(PasswordError::MalformedHash { .. })
        ));
    }

    #[tokio::test]
    async fn a_cancelled_caller_keeps_its_slot_until_the_job_ends() {
        let hasher = PasswordHasher::with_limit(1);
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let first = tokio::spawn({
            let hasher = hasher.clone();
            async move {
                hasher
                    .run(move |_| {
                        let _ = started_tx.send(());
                        let _ = release_rx.recv();
                    })
                    .await
            }
        });
        tokio::task::spawn_blocking(move || started_rx.recv())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        first.abort();
        // The aborted caller's job still runs, so no permit is free.
        assert_eq!(hasher.permits.available_permits(), 0);
        let _ = release_tx.send(());
        let _ = hasher.run(|_| ()).await;
        assert_eq!(hasher.permits.available_permits(), 1);
    }
}
