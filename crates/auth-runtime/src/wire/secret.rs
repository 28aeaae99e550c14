//! The secret that signs cookies (better-auth's `secret` option, `BETTER_AUTH_SECRET`,
//! `AUTH_SECRET`), or a rotated one (`secrets`, `BETTER_AUTH_SECRETS`).

use std::fmt;

use hmac::{Hmac, KeyInit};
use sha2::Sha256;

/// better-auth's built-in fallback secret, used when none is configured (refused in production
/// by better-auth, always refused here).
pub const BETTER_AUTH_DEFAULT_SECRET: &str = "better-auth-secret-12345678901234567890";

/// The shortest secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// The environment variables read, in better-auth's order: the first non-empty one wins.
pub const SECRET_ENV_VARS: [&str; 2] = ["BETTER_AUTH_SECRET", "AUTH_SECRET"];

/// Versioned secrets, newest first (`2:new-secret,1:old-secret`): read before
/// [`SECRET_ENV_VARS`], as better-auth does.
pub const VERSIONED_SECRETS_ENV: &str = "BETTER_AUTH_SECRETS";

/// A validated signing secret: at least 32 bytes and not better-auth's built-in default.
///
/// Its UTF-8 bytes are the HMAC key, as in better-auth. After a rotation
/// ([`VERSIONED_SECRETS_ENV`]) it is the newest version, and the older ones only decrypt what
/// they encrypted (JWE cookie caches), as in better-auth: everything signed (session cookies,
/// compact and JWT caches) must be signed by the newest. `Debug` never shows it.
#[derive(Clone)]
pub struct Secret {
    current: String,
    /// HMAC-SHA256 keyed with `current`, its key schedule (two SHA-256 blocks) done once; boxed,
    /// as it is larger than the rest.
    keyed: Box<Hmac<Sha256>>,
    /// The newest secret's version when the secrets are versioned (`BETTER_AUTH_SECRETS`).
    version: Option<u64>,
    older: Vec<(u64, String)>,
}

/// Why a secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// None of `BETTER_AUTH_SECRETS`, `BETTER_AUTH_SECRET` and `AUTH_SECRET` is set (or all are
    /// empty).
    #[error(
        "no secret configured: set BETTER_AUTH_SECRET (or AUTH_SECRET) to a random string of at \
         least 32 bytes, e.g. the output of `openssl rand -base64 32`; an existing better-auth \
         deployment must reuse its secret (or its BETTER_AUTH_SECRETS) or every session cookie \
         becomes invalid"
    )]
    Missing,
    /// The secret is better-auth's public built-in default.
    #[error(
        "{source_name} is better-auth's built-in default secret, which is public: anyone could \
         sign session cookies; set it to a random string of at least 32 bytes"
    )]
    BuiltInDefault {
        /// Where the secret came from (an environment variable or `secret`).
        source_name: String,
    },
    /// `BETTER_AUTH_SECRETS` is not a list of `<version>:<secret>`.
    #[error(
        "{VERSIONED_SECRETS_ENV}: {0}; write `<version>:<secret>` entries separated by commas, \
         newest first (for example `2:<new secret>,1:<old secret>`)"
    )]
    Versioned(String),
    /// The secret is shorter than [`MIN_SECRET_BYTES`].
    #[error(
        "{source_name} is {len} bytes long; use at least 32 random bytes (e.g. `openssl rand \
         -base64 32`)"
    )]
    TooShort {
        /// Where the secret came from (an environment variable or `secret`).
        source_name: String,
        /// The secret's length in bytes.
        len: usize,
    },
}

impl Secret {
    /// A new random secret: 64 characters from a cryptographic generator (as `serve` writes
    /// beside an embedded database and `auth-cli secret` prints).
    pub fn generate() -> String {
        super::id::generate_with_len(64)
    }

    /// Validates a secret given directly (better-auth's `secret` option).
    ///
    /// # Errors
    /// [`SecretError::BuiltInDefault`] for `better-auth-secret-12345678901234567890`,
    /// [`SecretError::TooShort`] below 32 bytes.
    pub fn new(secret: impl Into<String>) -> Result<Self, SecretError> {
        Self::validate(secret.into(), "secret")
    }

    /// Reads the secret from the process environment in better-auth's order: the rotated list
    /// `BETTER_AUTH_SECRETS` ([`Secret::versioned`]), else `BETTER_AUTH_SECRET`, else
    /// `AUTH_SECRET` (an empty variable counts as unset, as JavaScript's `||` does).
    ///
    /// # Errors
    /// [`SecretError::Missing`] when none is set, otherwise as [`Secret::versioned`] or
    /// [`Secret::new`].
    pub fn from_env() -> Result<Self, SecretError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Secret::from_env`] over any variable lookup (a map in tests, a config layer).
    ///
    /// # Errors
    /// As [`Secret::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SecretError> {
        if let Some(list) = lookup(VERSIONED_SECRETS_ENV).filter(|v| !v.is_empty()) {
            return Self::versioned(&list);
        }
        for name in SECRET_ENV_VARS {
            if let Some(value) = lookup(name).filter(|v| !v.is_empty()) {
                return Self::validate(value, name);
            }
        }
        Err(SecretError::Missing)
    }

    /// Rotated secrets as better-auth's `BETTER_AUTH_SECRETS` lists them: `<version>:<secret>`
    /// entries separated by commas, newest first, versions distinct non-negative integers. The
    /// first signs; the others only decrypt.
    ///
    /// # Errors
    /// [`SecretError::Versioned`] for a malformed list, otherwise as [`Secret::new`] for the
    /// newest secret.
    pub fn versioned(list: &str) -> Result<Self, SecretError> {
        let mut secrets: Vec<(u64, String)> = Vec::new();
        for (position, entry) in list.split(',').map(str::trim).enumerate() {
            // Never quote an entry: it may be a secret.
            let Some((version, value)) = entry.split_once(':') else {
                return Err(SecretError::Versioned(format!(
                    "entry {} has no `<version>:`",
                    position + 1
                )));
            };
            let version = version.trim();
            let number = version
                .parse::<u64>()
                .ok()
                .filter(|_| version.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    SecretError::Versioned(format!(
                        "version `{version}` is not a non-negative integer"
                    ))
                })?;
            let value = value.trim();
            if value.is_empty() {
                return Err(SecretError::Versioned(format!(
                    "version {number} has an empty secret"
                )));
            }
            if secrets.iter().any(|(seen, _)| *seen == number) {
                return Err(SecretError::Versioned(format!(
                    "version {number} appears twice"
                )));
            }
            secrets.push((number, value.to_owned()));
        }
        let mut secrets = secrets.into_iter();
        let Some((version, newest)) = secrets.next() else {
            return Err(SecretError::Versioned("no entry".to_owned()));
        };
        let mut secret = Self::validate(
            newest,
            &format!("{VERSIONED_SECRETS_ENV} (version {version})"),
        )?;
        secret.version = Some(version);
        secret.older = secrets.collect();
        Ok(secret)
    }

    fn validate(secret: String, source_name: &str) -> Result<Self, SecretError> {
        if secret == BETTER_AUTH_DEFAULT_SECRET {
            return Err(SecretError::BuiltInDefault {
                source_name: source_name.to_owned(),
            });
        }
        if secret.len() < MIN_SECRET_BYTES {
            return Err(SecretError::TooShort {
                source_name: source_name.to_owned(),
                len: secret.len(),
            });
        }
        // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
        let Ok(keyed) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
            unreachable!("HMAC-SHA256 accepts keys of any length")
        };
        Ok(Self {
            current: secret,
            keyed: Box::new(keyed),
            version: None,
            older: Vec::new(),
        })
    }

    /// The HMAC key: the (newest) secret's UTF-8 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.current.as_bytes()
    }

    /// An HMAC-SHA256 keyed with [`Secret::as_bytes`], ready for the message: what signs
    /// cookies, cookie caches and JWTs.
    #[must_use]
    pub fn mac(&self) -> Hmac<Sha256> {
        Hmac::clone(&self.keyed)
    }

    /// The older versions of a rotated secret, newest first: they decrypt, never sign.
    pub fn older(&self) -> impl Iterator<Item = &[u8]> {
        self.older.iter().map(|(_, secret)| secret.as_bytes())
    }

    /// The newest secret's version, when the secrets are versioned.
    #[must_use]
    pub fn version(&self) -> Option<u64> {
        self.version
    }

    /// The secret of `version`, newest or older.
    #[must_use]
    pub fn of_version(&self, version: u64) -> Option<&[u8]> {
        if self.version == Some(version) {
            return Some(self.current.as_bytes());
        }
        self.older
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, secret)| secret.as_bytes())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<redacted>, {} older)", self.older.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The secret of the reference server that recorded `research/captures/`.
    const CAPTURE_SECRET: &str = "dev-only-secret-0123456789abcdefghijklmnopqrstuvwxyz";

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn accepts_a_long_secret() {
        let secret = Secret::new(CAPTURE_SECRET);
        assert!(matches!(&secret, Ok(s) if s.as_bytes() == CAPTURE_SECRET.as_bytes()));
        assert!(Secret::new("x".repeat(32)).is_ok());
    }

    #[test]
    fn refuses_the_default_and_short_secrets() {
        assert_eq!(
            Secret::new(BETTER_AUTH_DEFAULT_SECRET).err(),
            Some(SecretError::BuiltInDefault {
                source_name: "secret".into()
            })
        );
        assert_eq!(
            Secret::new("x".repeat(31)).err(),
            Some(SecretError::TooShort {
                source_name: "secret".into(),
                len: 31
            })
        );
        // Bytes, not characters: 16 × "é" is 32 bytes.
        assert!(Secret::new("é".repeat(16)).is_ok());
    }

    #[test]
    fn reads_better_auth_secret_before_auth_secret() {
        let both = lookup(&[
            ("BETTER_AUTH_SECRET", CAPTURE_SECRET),
            ("AUTH_SECRET", "short"),
        ]);
        assert!(Secret::from_lookup(both).is_ok());
        let empty_first = lookup(&[("BETTER_AUTH_SECRET", ""), ("AUTH_SECRET", CAPTURE_SECRET)]);
        assert!(Secret::from_lookup(empty_first).is_ok());
        let short = lookup(&[("AUTH_SECRET", "short")]);
        assert_eq!(
            Secret::from_lookup(short).err(),
            Some(SecretError::TooShort {
                source_name: "AUTH_SECRET".into(),
                len: 5
            })
        );
        let default = lookup(&[("BETTER_AUTH_SECRET", BETTER_AUTH_DEFAULT_SECRET)]);
        let err = Secret::from_lookup(default).err();
        assert!(err.is_some_and(|e| {
            e.to_string()
                .starts_with("BETTER_AUTH_SECRET is better-auth's")
        }));
        assert_eq!(
            Secret::from_lookup(lookup(&[])).err(),
            Some(SecretError::Missing)
        );
    }

    #[test]
    fn reads_rotated_secrets_first_and_signs_with_the_newest() {
        let old = "an-old-secret-that-is-long-enough-0123456789";
        let list = format!("2:{CAPTURE_SECRET}, 1:{old}");
        let vars = [
            ("BETTER_AUTH_SECRETS", list.as_str()),
            (
                "BETTER_AUTH_SECRET",
                "another-secret-that-is-long-enough-0123456789",
            ),
        ];
        let vars = lookup(&vars);
        let secret = Secret::from_lookup(vars).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(secret.as_bytes(), CAPTURE_SECRET.as_bytes());
        assert_eq!(secret.older().collect::<Vec<_>>(), [old.as_bytes()]);
        // An empty list counts as unset.
        let empty = lookup(&[("BETTER_AUTH_SECRETS", ""), ("AUTH_SECRET", CAPTURE_SECRET)]);
        let secret = Secret::from_lookup(empty).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(secret.older().count(), 0);
        // Older secrets are not held to the length rule; the newest is.
        assert!(Secret::versioned(&format!("3:{CAPTURE_SECRET},0:short")).is_ok());
        assert_eq!(
            Secret::versioned(&format!("1:short,0:{CAPTURE_SECRET}")).err(),
            Some(SecretError::TooShort {
                source_name: "BETTER_AUTH_SECRETS (version 1)".into(),
                len: 5
            })
        );
    }

    #[test]
    fn refuses_malformed_rotated_secrets_without_showing_them() {
        for (list, expected) in [
            (
                format!("2:{CAPTURE_SECRET},{CAPTURE_SECRET}"),
                "entry 2 has no `<version>:`",
            ),
            (
                format!("v2:{CAPTURE_SECRET}"),
                "version `v2` is not a non-negative integer",
            ),
            (
                format!("-1:{CAPTURE_SECRET}"),
                "version `-1` is not a non-negative integer",
            ),
            ("2: ".to_owned(), "version 2 has an empty secret"),
            (format!("1:{CAPTURE_SECRET},1:x"), "version 1 appears twice"),
        ] {
            let error = Secret::versioned(&list).err();
            assert_eq!(
                error,
                Some(SecretError::Versioned(expected.to_owned())),
                "{list}"
            );
            let text = error.map(|e| e.to_string()).unwrap_or_default();
            assert!(text.starts_with("BETTER_AUTH_SECRETS: "), "{text}");
            assert!(!text.contains(&CAPTURE_SECRET[4..]), "{text}");
        }
    }

    #[test]
    fn debug_does_not_leak_the_secret() {
        let shown = format!("{:?}", Secret::new(CAPTURE_SECRET));
        assert!(!shown.contains("dev-only"), "{shown}");
    }
}
