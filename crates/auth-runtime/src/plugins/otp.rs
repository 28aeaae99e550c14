//! What email-otp and phone-number share: a code of digits kept in `verification` as
//! `<code>:<wrong answers so far>` (the code plain, hashed or encrypted), and better-auth's
//! atomic check of a code against it.

use auth_core::errors::ErrorCode;
use auth_core::plugins::email_otp::StoreOtp;
use auth_core::schema::names::verification;
use subtle::ConstantTimeEq;

use crate::Auth;
use crate::error::ApiError;
use crate::store::{Row, Timestamp, Value, text};
use crate::verification::live;
use crate::wire::id;
use crate::wire::key_hash::key_hash;
use crate::wire::symmetric;

/// How a plugin keeps and checks its codes, and the errors it answers with.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rules {
    pub(super) length: usize,
    /// Seconds a code lives.
    pub(super) expires_in: u64,
    pub(super) allowed_attempts: u64,
    pub(super) store: StoreOtp,
    pub(super) errors: Errors,
}

/// The error codes of a check: each plugin declares its own.
#[derive(Debug, Clone, Copy)]
pub(super) struct Errors {
    /// No code kept (email-otp: `INVALID_OTP`, phone-number: `OTP_NOT_FOUND`).
    pub(super) missing: ErrorCode,
    pub(super) expired: ErrorCode,
    pub(super) invalid: ErrorCode,
    pub(super) too_many: ErrorCode,
}

/// What a right code leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OnSuccess {
    /// Gone (the code did its job).
    Consume,
    /// Put back as it was (a check before the real use).
    Restore,
}

impl Rules {
    /// The value kept for `code` (better-auth's `storeOTP`).
    pub(super) fn stored_form(&self, auth: &Auth, code: &str) -> String {
        match self.store {
            StoreOtp::Plain => code.to_owned(),
            StoreOtp::Hashed => key_hash(code),
            StoreOtp::Encrypted => symmetric::encrypt(&auth.inner.secret, code),
        }
    }

    /// Does `given` match the kept `stored` (compared in constant time)?
    pub(super) fn matches_stored(&self, auth: &Auth, stored: &str, given: &str) -> bool {
        let (expected, given) = match self.store {
            StoreOtp::Plain => (stored.to_owned(), given.to_owned()),
            StoreOtp::Hashed => (stored.to_owned(), key_hash(given)),
            StoreOtp::Encrypted => match symmetric::decrypt(&auth.inner.secret, stored) {
                Ok(code) => (code, given.to_owned()),
                Err(_) => return false,
            },
        };
        !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
    }

    /// When a code made now expires.
    pub(super) fn expiry(&self) -> Timestamp {
        let seconds = i64::try_from(self.expires_in).unwrap_or(i64::MAX / 1000);
        Timestamp::now().plus_millis(seconds.saturating_mul(1000))
    }

    /// A new code of `length` digits.
    pub(super) fn generate(&self) -> String {
        id::generate_digits(self.length)
    }

    /// A new code kept under `identifier` for `expires-in` seconds, with no attempt made.
    pub(super) async fn store_new_code(
        &self,
        auth: &Auth,
        identifier: &str,
    ) -> Result<String, ApiError> {
        let code = self.generate();
        let stored = self.stored_form(auth, &code);
        // better-auth adds a row beside the earlier codes' and reads the latest; two codes sent
        // within one millisecond would tie there, and an earlier code has no use once a new one
        // is sent: they go first.
        let verifications = auth.verifications();
        verifications.remove(identifier).await?;
        verifications
            .create(identifier, &format!("{stored}:0"), self.expiry())
            .await?;
        Ok(code)
    }

    /// better-auth's atomic check: an expired code is removed (400 `expired`); the row is taken,
    /// so concurrent checks cannot both compare a guess (a loser: 400 `invalid`); a row that has
    /// used its attempts stays gone (403 `too_many`); a wrong code is put back with one more
    /// attempt and its expiry (400 `invalid`).
    pub(super) async fn check(
        &self,
        auth: &Auth,
        identifier: &str,
        given: &str,
        on_success: OnSuccess,
    ) -> Result<(), ApiError> {
        let verifications = auth.verifications();
        match verifications.find(identifier).await? {
            None => return Err(ApiError::bad_request(self.errors.missing)),
            Some(row) if !live(&row) => {
                verifications.remove(identifier).await?;
                return Err(ApiError::bad_request(self.errors.expired));
            }
            Some(_) => {}
        }
        let Some(taken) = verifications.consume(identifier).await?.filter(live) else {
            return Err(ApiError::bad_request(self.errors.invalid));
        };
        let value = text(&taken, verification::VALUE);
        let (stored, attempts) = split_value(&value);
        if attempts >= self.allowed_attempts {
            return Err(ApiError::forbidden(self.errors.too_many));
        }
        if !self.matches_stored(auth, stored, given) {
            verifications
                .create(
                    identifier,
                    &format!("{stored}:{}", attempts + 1),
                    expires_at(&taken),
                )
                .await?;
            return Err(ApiError::bad_request(self.errors.invalid));
        }
        if on_success == OnSuccess::Restore {
            // A code sent meanwhile wins; this one is not put back over it.
            if verifications.find(identifier).await?.is_some() {
                return Err(ApiError::bad_request(self.errors.invalid));
            }
            verifications
                .create(identifier, &value, expires_at(&taken))
                .await?;
        }
        Ok(())
    }
}

/// A row's value `<code>:<attempts>` split at its last colon; a value without one has made no
/// attempt, an unreadable count is as many as `u64` holds (the code is dead).
pub(super) fn split_value(value: &str) -> (&str, u64) {
    match value.rsplit_once(':') {
        None => (value, 0),
        Some((code, "")) => (code, 0),
        Some((code, attempts)) => (code, attempts.parse().unwrap_or(u64::MAX)),
    }
}

fn expires_at(row: &Row) -> Timestamp {
    row.get(verification::EXPIRES_AT)
        .and_then(Value::as_date)
        .unwrap_or_else(Timestamp::now)
}
