//! [`RedisStorage`]: the secondary storage on Redis, as better-auth's `redisStorage` keeps it
//! (keys as given, or under a prefix; JSON text values; TTLs in seconds).

use std::future::Future;
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::{SecondaryStorage, StorageError, StorageFuture};

/// How long one connection attempt, and one command, may take before the request gets a 503.
const TIMEOUT: Duration = Duration::from_secs(1);

/// `INCR`, and the time to live only when the counter is new: one atomic round trip.
const INCREMENT: &str = "local n = redis.call('INCR', KEYS[1]) \
     if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end \
     return n";

/// A [`SecondaryStorage`] on Redis. The connection is opened on first use and re-opened after
/// Redis restarts; every command answers (or fails with a [`StorageError`]) within about a
/// second, so a stopped Redis never hangs a request.
pub struct RedisStorage {
    client: redis::Client,
    prefix: String,
    manager: OnceCell<ConnectionManager>,
    increment: redis::Script,
}

impl std::fmt::Debug for RedisStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStorage")
            .field("server", &self.client.get_connection_info().addr())
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStorage {
    /// A storage for `url` (`redis://[user:password@]host:port[/db]`, `rediss://…`,
    /// `redis+unix:///path`). Does not connect yet.
    pub fn new(url: &str) -> Result<Self, StorageError> {
        let client =
            redis::Client::open(url).map_err(|e| StorageError(format!("bad Redis URL: {e}")))?;
        Ok(Self {
            client,
            prefix: String::new(),
            manager: OnceCell::new(),
            increment: redis::Script::new(INCREMENT),
        })
    }

    /// The same storage with `prefix` put before every key (`"better-auth:"` shares keys with
    /// a better-auth server on `@better-auth/redis-storage`'s default).
    #[must_use]
    pub fn with_key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    async fn connection(&self) -> Result<ConnectionManager, StorageError> {
        self.manager
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(TIMEOUT))
                    .set_response_timeout(Some(TIMEOUT))
                    .set_number_of_retries(0);
                ConnectionManager::new_lazy_with_config(self.client.clone(), config)
                    .map_err(|e| StorageError(format!("Redis: {e}")))
            })
            .await
            .cloned()
    }

    /// Runs one command about `key` (given to it with the prefix) on the shared connection,
    /// once more after a connection error (the first attempt after Redis came back may meet the
    /// failed connection, and starts the new one), all within `2 × TIMEOUT`.
    fn run<'a, T, F, Fut>(&'a self, key: &str, command: F) -> StorageFuture<'a, T>
    where
        T: Send + 'a,
        F: Fn(ConnectionManager, String) -> Fut + Send + Sync + 'a,
        Fut: Future<Output = redis::RedisResult<T>> + Send + 'a,
    {
        let key = format!("{}{key}", self.prefix);
        Box::pin(async move {
            let attempts = async {
                let connection = self.connection().await?;
                match command(connection.clone(), key.clone()).await {
                    Err(error) if lost(&error) => command(connection, key).await,
                    other => other,
                }
                .map_err(|error| StorageError(format!("Redis: {error}")))
            };
            tokio::time::timeout(TIMEOUT * 2, attempts)
                .await
                .unwrap_or_else(|_| Err(StorageError("Redis did not answer in time".to_owned())))
        })
    }
}

/// The connection failed (rather than the command).
fn lost(error: &redis::RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_unrecoverable_error()
}

/// Whole seconds for `SET … EX` (at least one: Redis refuses 0).
fn seconds(ttl: Duration) -> u64 {
    ttl.as_secs().max(1)
}

impl SecondaryStorage for RedisStorage {
    fn get<'a>(&'a self, key: &'a str) -> StorageFuture<'a, Option<String>> {
        self.run(key, |mut c, key| async move { c.get(key).await })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl: Option<Duration>,
    ) -> StorageFuture<'a, ()> {
        self.run(key, move |mut c, key| async move {
            match ttl {
                Some(ttl) => c.set_ex(key, value, seconds(ttl)).await,
                None => c.set(key, value).await,
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StorageFuture<'a, ()> {
        self.run(key, |mut c, key| async move { c.del(key).await })
    }

    fn get_and_delete<'a>(&'a self, key: &'a str) -> StorageFuture<'a, Option<String>> {
        self.run(key, |mut c, key| async move { c.get_del(key).await })
    }

    fn increment<'a>(&'a self, key: &'a str, ttl: Duration) -> StorageFuture<'a, u64> {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        self.run(key, move |mut c, key| async move {
            self.increment
                .key(key)
                .arg(millis)
                .invoke_async(&mut c)
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[allow(
        dead_code,
        unreachable_pub,
        reason = "these tests need one of the services"
    )]
    mod service {
        include!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/support/service.rs"
        ));
    }

    /// The shared Redis of the test services, keys under a prefix of this run; without one the
    /// test fails naming it (`None`: skipped with `AUTH_TEST_ALLOW_MISSING=1`).
    async fn shared() -> Option<(RedisStorage, String)> {
        let storage = RedisStorage::new("redis://127.0.0.1:6379").unwrap_or_else(|e| panic!("{e}"));
        if let Err(error) = storage.get("probe").await {
            service::unavailable(&service::REDIS, &error);
            return None;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Some((
            storage,
            format!("auth-runtime-test-{}-{nanos}:", std::process::id()),
        ))
    }

    /// Every operation of a prefixed storage reads and writes `<prefix><key>`, the key a
    /// storage without prefix (or better-auth's redis-storage with the same `keyPrefix`) sees.
    #[tokio::test]
    async fn a_key_prefix_is_put_before_every_key() -> Result<(), StorageError> {
        let Some((plain, run)) = shared().await else {
            return Ok(());
        };
        let prefix = format!("{run}better-auth:");
        let prefixed = RedisStorage::new("redis://127.0.0.1:6379")?.with_key_prefix(&prefix);
        let ttl = Some(Duration::from_secs(60));
        prefixed.set("token", "{\"x\":1}", ttl).await?;
        assert_eq!(plain.get("token").await?, None);
        let full = format!("{prefix}token");
        assert_eq!(plain.get(&full).await?.as_deref(), Some("{\"x\":1}"));
        plain.set(&full, "2", ttl).await?;
        assert_eq!(prefixed.get("token").await?.as_deref(), Some("2"));
        assert_eq!(
            prefixed.increment("count", Duration::from_secs(60)).await?,
            1
        );
        assert_eq!(
            plain
                .increment(&format!("{prefix}count"), Duration::from_secs(60))
                .await?,
            2
        );
        assert_eq!(
            prefixed.get_and_delete("token").await?.as_deref(),
            Some("2")
        );
        assert_eq!(plain.get(&full).await?, None);
        prefixed.delete("count").await?;
        assert_eq!(plain.get(&format!("{prefix}count")).await?, None);
        Ok(())
    }

    #[tokio::test]
    async fn values_expire_and_are_taken_once() -> Result<(), StorageError> {
        let Some((redis, prefix)) = shared().await else {
            return Ok(());
        };
        let (a, b) = (format!("{prefix}a"), format!("{prefix}b"));
        redis
            .set(&a, "{\"x\":1}", Some(Duration::from_secs(60)))
            .await?;
        redis.set(&b, "2", Some(Duration::from_millis(1))).await?;
        assert_eq!(redis.get(&a).await?.as_deref(), Some("{\"x\":1}"));
        // A sub-second TTL is one second (Redis refuses 0).
        assert_eq!(redis.get(&b).await?.as_deref(), Some("2"));
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(redis.get(&b).await?, None);
        assert_eq!(
            redis.get_and_delete(&a).await?.as_deref(),
            Some("{\"x\":1}")
        );
        assert_eq!(redis.get_and_delete(&a).await?, None);
        redis.set(&a, "3", None).await?;
        redis.delete(&a).await?;
        assert_eq!(redis.get(&a).await?, None);
        Ok(())
    }

    /// Concurrent increments each get a distinct count; the counter expires after its TTL,
    /// which later increments do not push back.
    #[tokio::test]
    async fn increments_are_atomic_and_expire() -> Result<(), StorageError> {
        let Some((redis, prefix)) = shared().await else {
            return Ok(());
        };
        let redis = Arc::new(redis);
        let key = format!("{prefix}n");
        let ttl = Duration::from_millis(1500);
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (redis, key) = (redis.clone(), key.clone());
                tokio::spawn(async move { redis.increment(&key, ttl).await })
            })
            .collect();
        let mut counts = Vec::new();
        for task in tasks {
            counts.push(task.await.map_err(|e| StorageError(e.to_string()))??);
        }
        counts.sort_unstable();
        assert_eq!(counts, (1..=20).collect::<Vec<u64>>());
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(redis.increment(&key, ttl).await?, 21);
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(redis.increment(&key, ttl).await?, 1);
        redis.delete(&key).await
    }

    #[tokio::test]
    async fn nothing_listening_is_an_error_not_a_hang() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        let redis = RedisStorage::new(&format!("redis://127.0.0.1:{port}"))
            .unwrap_or_else(|e| panic!("{e}"));
        let error = tokio::time::timeout(Duration::from_secs(30), redis.get("k"))
            .await
            .unwrap_or_else(|_| panic!("hung"));
        assert!(error.is_err(), "{error:?}");
        assert!(RedisStorage::new("http://127.0.0.1:6379").is_err());
    }
}
