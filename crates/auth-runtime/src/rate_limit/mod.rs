//! Rate limiting as better-auth 1.7.25 does it: checked on every request under the base path
//! before routing (unknown paths count too), keyed by `<client ip>|<path>`, with better-auth's
//! default and built-in rules and the `[rate-limit.rules]` of auth.toml.
//!
//! Counters live in memory (per process), in the `rateLimit` table (shared by every server on
//! the database) or in the secondary storage. When the storage cannot answer within
//! [`TIMEOUT`], the request is refused with 503 (fail closed): an attacker who can slow the
//! storage down must not also switch brute-force protection off.
//!
//! Layer: beside sessions and verification values, above the store and the secondary storage;
//! it knows no `Auth` (its own [`RateLimitError`] is what `AuthError` converts from) and no HTTP
//! types.

mod database;
mod memory;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use auth_core::config::{RateLimit, RateLimitRule, RateLimitStorage};
use auth_core::plugins::RateRule;

use crate::secondary::{SecondaryStorage, StorageError};
use crate::store::{Store, StoreError, Timestamp};
use crate::wire::glob::glob;

/// How long a counter may take before the request is refused with 503.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(5);

/// The key prefix of every client whose address is unknown (better-auth's).
const NO_TRUSTED_IP: &str = "no-trusted-ip";

/// `max` requests per `window` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limit {
    pub(crate) window: u32,
    pub(crate) max: u32,
}

impl Limit {
    fn window_ms(self) -> i64 {
        i64::from(self.window) * 1000
    }
}

/// What the counter decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Allowed,
    /// Refused; the client may retry after this many seconds.
    Rejected {
        retry_after: u64,
    },
}

/// Why the limiter `[rate-limit]` describes cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    /// `storage = "secondary-storage"` with no secondary storage given.
    #[error(
        "[rate-limit] storage = \"secondary-storage\", but the server was given no secondary storage"
    )]
    NoSecondaryStorage,
}

/// Why a counter could not be consulted.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LimitError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the counter kept changing under concurrent requests")]
    Contention,
    #[error("no answer within {} s", TIMEOUT.as_secs())]
    Timeout,
}

/// better-auth's built-in rules, by path (relative to the base path).
fn special(path: &str) -> Option<Limit> {
    let sign = ["/sign-in", "/sign-up", "/change-password", "/change-email"];
    let mail = [
        "/request-password-reset",
        "/send-verification-email",
        "/email-otp/send-verification-otp",
        "/email-otp/request-password-reset",
    ];
    if sign.iter().any(|prefix| path.starts_with(prefix)) {
        Some(Limit { window: 10, max: 3 })
    } else if mail.contains(&path) || path.starts_with("/forget-password") {
        Some(Limit { window: 60, max: 3 })
    } else {
        None
    }
}

/// A rule path of auth.toml against a request path: exact, or with `*` a glob where `*` and `?`
/// stay within one `/` segment and a `**` segment spans any number of them (better-auth's
/// `wildcardMatch`).
fn path_matches(pattern: &str, path: &str) -> bool {
    fn segments(pattern: &[&str], path: &[&str]) -> bool {
        match pattern.split_first() {
            None => path.is_empty(),
            Some((&"**", rest)) => (0..=path.len()).any(|skip| segments(rest, &path[skip..])),
            Some((first, rest)) => path
                .split_first()
                .is_some_and(|(segment, more)| glob(first, segment) && segments(rest, more)),
        }
    }
    if !pattern.contains('*') {
        return pattern == path;
    }
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    segments(&pattern, &path)
}

/// Where counters are kept.
#[derive(Debug)]
enum Counters {
    Memory(memory::Counters),
    Database {
        longest_window: u32,
    },
    /// The server's secondary storage (checked present when the limiter is built).
    Secondary,
}

/// The configured limiter of one server.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    default: Limit,
    /// `[rate-limit.rules]` in declaration order; `None` exempts the path.
    rules: Vec<(String, Option<Limit>)>,
    /// The enabled plugins' rules (`/two-factor/` prefixes), after the custom ones.
    plugin_rules: Vec<RateRule>,
    counters: Counters,
    warned: AtomicBool,
}

impl RateLimiter {
    /// The limiter `[rate-limit]` describes, or `None` when it is off. `Err` when it counts in a
    /// secondary storage the server was not given.
    pub(crate) fn new(
        config: &RateLimit,
        plugin_rules: Vec<RateRule>,
        secondary: Option<&Arc<dyn SecondaryStorage>>,
    ) -> Result<Option<Self>, RateLimitError> {
        if !config.enabled {
            return Ok(None);
        }
        let default = Limit {
            window: *config.window.get_ref(),
            max: *config.max.get_ref(),
        };
        let rules: Vec<(String, Option<Limit>)> = config
            .rules
            .iter()
            .map(|(path, rule)| {
                let limit = match *rule.get_ref() {
                    RateLimitRule::Limit { window, max } => Some(Limit { window, max }),
                    RateLimitRule::Exempt => None,
                };
                (path.get_ref().clone(), limit)
            })
            .collect();
        let counters = match config.storage.get_ref() {
            RateLimitStorage::Memory => Counters::Memory(memory::Counters::default()),
            RateLimitStorage::Database => Counters::Database {
                // Rows older than the longest window are dead whatever their path.
                longest_window: rules
                    .iter()
                    .filter_map(|(_, limit)| limit.map(|l| l.window))
                    .chain(plugin_rules.iter().map(|r| r.window))
                    .chain([default.window, 60])
                    .max()
                    .unwrap_or(default.window),
            },
            RateLimitStorage::SecondaryStorage => {
                secondary.ok_or(RateLimitError::NoSecondaryStorage)?;
                Counters::Secondary
            }
        };
        Ok(Some(Self {
            default,
            rules,
            plugin_rules,
            counters,
            warned: AtomicBool::new(false),
        }))
    }

    /// The limit of a path: a custom rule, else an enabled plugin's, else a built-in one, else
    /// the default; `None` when a custom rule exempts it.
    fn limit(&self, path: &str) -> Option<Limit> {
        if let Some((_, custom)) = self.rules.iter().find(|(p, _)| path_matches(p, path)) {
            return *custom;
        }
        let plugin = self
            .plugin_rules
            .iter()
            .find(|rule| path.starts_with(rule.prefix))
            .map(|rule| Limit {
                window: rule.window,
                max: rule.max,
            });
        Some(plugin.or_else(|| special(path)).unwrap_or(self.default))
    }

    /// Counts one request to `path` (relative to the base path) from `ip`. Without an address
    /// the request counts in better-auth's shared `no-trusted-ip` bucket.
    pub(crate) async fn check(
        &self,
        store: &Store,
        secondary: Option<&Arc<dyn SecondaryStorage>>,
        ip: Option<&str>,
        path: &str,
    ) -> Result<Decision, LimitError> {
        let path = match path.trim_end_matches('/') {
            "" => "/",
            trimmed => trimmed,
        };
        let Some(limit) = self.limit(path) else {
            return Ok(Decision::Allowed);
        };
        if ip.is_none() && !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "rate limiting found no client address (no trusted header, no peer address): all such clients share one bucket per path; set [advanced] ip-address-headers to the header your proxy sets"
            );
        }
        let key = format!("{}|{path}", ip.unwrap_or(NO_TRUSTED_IP));
        let count = async {
            let now = Timestamp::now().millis();
            match &self.counters {
                Counters::Memory(counters) => Ok(counters.consume(&key, limit, now)),
                Counters::Database { longest_window } => {
                    database::consume(store, &key, limit, now, *longest_window).await
                }
                Counters::Secondary => {
                    let storage =
                        secondary.ok_or_else(|| StorageError("no secondary storage".to_owned()))?;
                    let ttl = Duration::from_secs(u64::from(limit.window));
                    let count = storage.increment(&key, ttl).await?;
                    Ok(if count <= u64::from(limit.max) {
                        Decision::Allowed
                    } else {
                        Decision::Rejected {
                            retry_after: u64::from(limit.window),
                        }
                    })
                }
            }
        };
        tokio::time::timeout(TIMEOUT, count)
            .await
            .map_err(|_| LimitError::Timeout)?
    }
}

/// Seconds until a counter last moved at `last` (ms) resets: `ceil(last + window - now)`.
fn retry_after(last: i64, limit: Limit, now: i64) -> u64 {
    let remaining = last + limit.window_ms() - now;
    u64::try_from((remaining + 999).div_euclid(1000)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_exact_paths_and_globs() {
        assert!(path_matches("/get-session", "/get-session"));
        assert!(!path_matches("/get-session", "/get-session/x"));
        assert!(path_matches("/sign-in/*", "/sign-in/email"));
        assert!(!path_matches("/sign-in/*", "/sign-in/email/x"));
        assert!(!path_matches("/sign-in/*", "/sign-up/email"));
        assert!(path_matches("/admin/**", "/admin/a/b/c"));
        assert!(path_matches("/**/email", "/sign-in/email"));
        assert!(path_matches("/sign-*", "/sign-out"));
        assert!(!path_matches("/sign-*", "/sign-out/x"));
    }

    #[test]
    fn built_in_rules() {
        let ten = Some(Limit { window: 10, max: 3 });
        let sixty = Some(Limit { window: 60, max: 3 });
        assert_eq!(special("/sign-in/email"), ten);
        assert_eq!(special("/sign-up/email"), ten);
        assert_eq!(special("/change-email"), ten);
        assert_eq!(special("/request-password-reset"), sixty);
        assert_eq!(special("/forget-password/email-otp"), sixty);
        assert_eq!(special("/get-session"), None);
        assert_eq!(special("/request-password-reset/x"), None);
    }

    /// A custom rule wins over a plugin's rule, which wins over the built-in ones and the default.
    #[test]
    fn plugin_rules_come_after_custom_ones() {
        let config = auth_core::Config::parse(
            "auth.toml",
            "[plugins.two-factor]\n[rate-limit]\nenabled = true\nwindow = 60\nmax = 100\n\n[rate-limit.rules]\n\"/two-factor/enable\" = { window = 5, max = 1 }\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let limiter = RateLimiter::new(
            &config.rate_limit,
            auth_core::plugins::rate_rules(&config),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the limiter is on"));
        assert_eq!(
            limiter.limit("/two-factor/enable"),
            Some(Limit { window: 5, max: 1 })
        );
        assert_eq!(
            limiter.limit("/two-factor/verify-totp"),
            Some(Limit { window: 10, max: 3 })
        );
        assert_eq!(
            limiter.limit("/get-session"),
            Some(Limit {
                window: 60,
                max: 100
            })
        );
    }

    #[test]
    fn secondary_counters_need_a_secondary_storage() {
        let config = auth_core::Config::parse(
            "auth.toml",
            "[secondary-storage]\nkind = \"memory\"\n[rate-limit]\nstorage = \"secondary-storage\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            RateLimiter::new(&config.rate_limit, Vec::new(), None),
            Err(RateLimitError::NoSecondaryStorage)
        ));
        let storage: Arc<dyn SecondaryStorage> = Arc::new(crate::secondary::MemoryStorage::new());
        assert!(matches!(
            RateLimiter::new(&config.rate_limit, Vec::new(), Some(&storage)),
            Ok(Some(_))
        ));
    }

    #[test]
    fn retry_after_rounds_up() {
        let limit = Limit { window: 10, max: 3 };
        assert_eq!(retry_after(1_000, limit, 1_000), 10);
        assert_eq!(retry_after(1_000, limit, 1_001), 10);
        assert_eq!(retry_after(1_000, limit, 10_999), 1);
        assert_eq!(retry_after(1_000, limit, 11_000), 0);
    }
}
