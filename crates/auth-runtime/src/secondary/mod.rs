//! Secondary storage: a shared key-value store (better-auth's `secondaryStorage`) for sessions,
//! verification values and rate-limit counters — in process ([`MemoryStorage`]) or on Redis.
//!
//! Values are strings (better-auth stores JSON text), with an optional time to live.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use auth_core::config::{SecondaryStorage as StorageConfig, SecondaryStorageKind};

mod redis;

pub use self::redis::RedisStorage;

/// A boxed future borrowing the storage: the trait stays object-safe (`Arc<dyn SecondaryStorage>`).
pub type StorageFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StorageError>> + Send + 'a>>;

/// The storage could not answer (down, timed out, refused): the request gets a 503.
#[derive(Debug, thiserror::Error)]
#[error("secondary storage: {0}")]
pub struct StorageError(pub String);

/// A key-value store shared by every instance of the server.
pub trait SecondaryStorage: Send + Sync + fmt::Debug {
    /// The value at `key`, unless absent or expired.
    fn get<'a>(&'a self, key: &'a str) -> StorageFuture<'a, Option<String>>;

    /// Stores `value` at `key`, expiring after `ttl` (never without one).
    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl: Option<Duration>,
    ) -> StorageFuture<'a, ()>;

    /// Removes `key` (absent is fine).
    fn delete<'a>(&'a self, key: &'a str) -> StorageFuture<'a, ()>;

    /// The value at `key`, removed in the same step: of concurrent callers, one gets it
    /// (single-use verification values; better-auth's `getAndDelete`).
    fn get_and_delete<'a>(&'a self, key: &'a str) -> StorageFuture<'a, Option<String>>;

    /// Adds one to the counter at `key` atomically and returns the new count; a new counter
    /// starts at 1 and expires after `ttl`. Concurrent callers on any instance each see a
    /// distinct count.
    fn increment<'a>(&'a self, key: &'a str, ttl: Duration) -> StorageFuture<'a, u64>;
}

/// Keys at most this many before expired entries are swept on write.
const SWEEP_AT: usize = 100_000;

/// An in-process [`SecondaryStorage`]: one instance only, lost on restart.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Debug)]
struct Entry {
    value: String,
    expires: Option<Instant>,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|at| at > now)
    }
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Entry>, Instant) -> T) -> T {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if entries.len() >= SWEEP_AT {
            entries.retain(|_, entry| entry.live(now));
        }
        f(&mut entries, now)
    }
}

impl SecondaryStorage for MemoryStorage {
    fn get<'a>(&'a self, key: &'a str) -> StorageFuture<'a, Option<String>> {
        let value = self.with(|entries, now| {
            entries
                .get(key)
                .filter(|entry| entry.live(now))
                .map(|entry| entry.value.clone())
        });
        Box::pin(async move { Ok(value) })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl: Option<Duration>,
    ) -> StorageFuture<'a, ()> {
        self.with(|entries, now| {
            entries.insert(
                key.to_owned(),
                Entry {
                    value: value.to_owned(),
                    expires: ttl.map(|ttl| now + ttl),
                },
            );
        });
        Box::pin(async { Ok(()) })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StorageFuture<'a, ()> {
        self.with(|entries, _| entries.remove(key));
        Box::pin(async { Ok(()) })
    }

    fn get_and_delete<'a>(&'a self, key: &'a str) -> StorageFuture<'a, Option<String>> {
        let value = self.with(|entries, now| {
            entries
                .remove(key)
                .filter(|entry| entry.live(now))
                .map(|entry| entry.value)
        });
        Box::pin(async move { Ok(value) })
    }

    fn increment<'a>(&'a self, key: &'a str, ttl: Duration) -> StorageFuture<'a, u64> {
        let count = self.with(|entries, now| {
            let entry = entries
                .entry(key.to_owned())
                .and_modify(|entry| {
                    if !entry.live(now) {
                        entry.value = "0".to_owned();
                        entry.expires = Some(now + ttl);
                    }
                })
                .or_insert_with(|| Entry {
                    value: "0".to_owned(),
                    expires: Some(now + ttl),
                });
            let count = entry.value.parse::<u64>().unwrap_or(0) + 1;
            entry.value = count.to_string();
            count
        });
        Box::pin(async move { Ok(count) })
    }
}

/// The storage `[secondary-storage]` of auth.toml describes (`Config::parse` has checked that a
/// redis one has a URL).
pub fn from_config(
    config: &StorageConfig,
) -> Result<std::sync::Arc<dyn SecondaryStorage>, StorageError> {
    Ok(match (config.kind, &config.url) {
        (SecondaryStorageKind::Memory, _) => std::sync::Arc::new(MemoryStorage::new()),
        (SecondaryStorageKind::Redis, Some(url)) => {
            let prefix = config
                .key_prefix
                .as_ref()
                .map_or("", |p| p.get_ref().as_str());
            std::sync::Arc::new(RedisStorage::new(url.get_ref())?.with_key_prefix(prefix))
        }
        (SecondaryStorageKind::Redis, None) => {
            return Err(StorageError(
                "a redis secondary storage needs a URL".to_owned(),
            ));
        }
    })
}

impl From<StorageError> for crate::error::ApiError {
    fn from(error: StorageError) -> Self {
        tracing::error!(%error, "secondary storage");
        Self::unavailable("the secondary storage")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_values_expire_and_counters_count() -> Result<(), StorageError> {
        let store = MemoryStorage::new();
        store.set("a", "1", None).await?;
        store.set("b", "2", Some(Duration::from_millis(30))).await?;
        assert_eq!(store.get("a").await?.as_deref(), Some("1"));
        assert_eq!(store.get("b").await?.as_deref(), Some("2"));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(store.get("b").await?, None);
        store.delete("a").await?;
        assert_eq!(store.get("a").await?, None);
        store.set("c", "3", None).await?;
        assert_eq!(store.get_and_delete("c").await?.as_deref(), Some("3"));
        assert_eq!(store.get_and_delete("c").await?, None);
        let ttl = Duration::from_millis(30);
        assert_eq!(store.increment("n", ttl).await?, 1);
        assert_eq!(store.increment("n", ttl).await?, 2);
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(store.increment("n", ttl).await?, 1);
        Ok(())
    }
}
