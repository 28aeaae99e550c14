//! The secret that signs cookies (better-auth's `secret` option, `BETTER_AUTH_SECRET`,
//! `AUTH_SECRET`).

use std::fmt;

/// better-auth's built-in fallback secret, used when none is configured (refused in production
/// by better-auth, always refused here).
pub const BETTER_AUTH_DEFAULT_SECRET: &str = "better-auth-secret-12345678901234567890";

/// The shortest secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// The environment variables read, in better-auth's order: the first non-empty one wins.
pub const SECRET_ENV_VARS: [&str; 2] = ["BETTER_AUTH_SECRET", "AUTH_SECRET"];

/// A validated signing secret: at least 32 bytes and not better-auth's built-in default.
///
/// Its UTF-8 bytes are the HMAC key, as in better-auth. `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(String);

/// Why a secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Neither `BETTER_AUTH_SECRET` nor `AUTH_SECRET` is set (or both are empty).
    #[error(
        "no secret configured: set BETTER_AUTH_SECRET (or AUTH_SECRET) to a random string of at \
         least 32 bytes, e.g. the output of `openssl rand -base64 32`; an existing better-auth \
         deployment must reuse its secret or every session cookie becomes invalid"
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
    /// Validates a secret given directly (better-auth's `secret` option).
    ///
    /// # Errors
    /// [`SecretError::BuiltInDefault`] for `better-auth-secret-12345678901234567890`,
    /// [`SecretError::TooShort`] below 32 bytes.
    pub fn new(secret: impl Into<String>) -> Result<Self, SecretError> {
        Self::validate(secret.into(), "secret")
    }

    /// Reads the secret from the process environment: `BETTER_AUTH_SECRET`, else `AUTH_SECRET`
    /// (better-auth's order; an empty variable counts as unset, as JavaScript's `||` does).
    ///
    /// # Errors
    /// [`SecretError::Missing`] when neither is set, otherwise as [`Secret::new`].
    pub fn from_env() -> Result<Self, SecretError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Secret::from_env`] over any variable lookup (a map in tests, a config layer).
    ///
    /// # Errors
    /// As [`Secret::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SecretError> {
        for name in SECRET_ENV_VARS {
            if let Some(value) = lookup(name).filter(|v| !v.is_empty()) {
                return Self::validate(value, name);
            }
        }
        Err(SecretError::Missing)
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
        Ok(Self(secret))
    }

    /// The HMAC key: the secret's UTF-8 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
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
    fn debug_does_not_leak_the_secret() {
        let shown = format!("{:?}", Secret::new(CAPTURE_SECRET));
        assert!(!shown.contains("dev-only"), "{shown}");
    }
}
