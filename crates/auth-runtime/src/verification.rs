//! The one place verification values are kept (email verification, password reset, change
//! email, delete-user tokens, OAuth `auth-state:` rows), as better-auth 1.7's internal adapter
//! keeps them: rows in `verification`, and/or, with a secondary storage, the key
//! `verification:<identifier>` → the row as JSON, expiring with it. Every create goes through
//! [`Verifications::create`].
//!
//! The rule every mailed or stored token follows (core and plugins): it names the user it was
//! issued to (the row's value, or a JWT's `userId`) and is refused for anyone else, so a token
//! of a deleted account never reaches whoever registers the same address afterwards.
//!
//! Layer: verification values, beside sessions, above the store and the secondary storage; it
//! knows no `Auth` and no request.

use std::sync::Arc;
use std::time::Duration;

use auth_core::Config;
use auth_core::schema::names::verification;
use serde_json::Value as Json;

use crate::error::ApiError;
use crate::hooks::Event;
use crate::secondary::SecondaryStorage;
use crate::session::ttl_until;
use crate::store::{Models, Row, Sort, Store, Timestamp, Value, Where, text};

/// The rows of a value in `verification`.
fn by_identifier(identifier: &str) -> [Where; 1] {
    [Where::eq(verification::IDENTIFIER, identifier)]
}

fn key(identifier: &str) -> String {
    format!("verification:{identifier}")
}

/// The instant until which values under `<prefix>…` holding `value` are revoked, when they live
/// only in the secondary storage (which cannot list them).
fn revoked_key(prefix: &str, value: &str) -> String {
    format!("verification-revoked-before:{prefix}{value}")
}

/// Not past its `expiresAt`.
pub(crate) fn live(row: &Row) -> bool {
    row.get(verification::EXPIRES_AT)
        .and_then(Value::as_date)
        .is_some_and(|at| at.millis() > Timestamp::now().millis())
}

/// The verification values of one server: where they are kept and how.
#[derive(Debug, Clone)]
pub(crate) struct Verifications {
    store: Store,
    secondary: Option<Arc<dyn SecondaryStorage>>,
    models: Models,
    /// Rows in `verification` (no secondary storage, or `store-in-database`).
    in_database: bool,
}

impl Verifications {
    /// The verification values `config` describes, kept in `store` and/or `secondary`, their
    /// fields from `models`.
    pub(crate) fn new(
        config: &Config,
        store: Store,
        secondary: Option<Arc<dyn SecondaryStorage>>,
        models: Models,
    ) -> Self {
        Self {
            store,
            secondary,
            models,
            in_database: config.verification_in_database(),
        }
    }

    fn parse(&self, text: &str) -> Option<Row> {
        let json = serde_json::from_str::<Json>(text).ok()?;
        Some(self.models.stored_row(verification::MODEL, &json))
    }

    /// Stores a value under `identifier` until `expires_at`.
    pub(crate) async fn create(
        &self,
        identifier: &str,
        value: &str,
        expires_at: Timestamp,
    ) -> Result<(), ApiError> {
        let now = Timestamp::now();
        let mut row = Row::new();
        row.insert(verification::IDENTIFIER.into(), Value::from(identifier));
        row.insert(verification::VALUE.into(), Value::from(value));
        row.insert(verification::EXPIRES_AT.into(), Value::Date(expires_at));
        row.insert(verification::CREATED_AT.into(), Value::Date(now));
        row.insert(verification::UPDATED_AT.into(), Value::Date(now));
        let hooks = self.store.hooks();
        let created = if self.in_database {
            self.store.insert(verification::MODEL, row).await?
        } else {
            hooks
                .before(verification::MODEL, Event::Create, row)
                .await?
        };
        if let Some(storage) = self.secondary.as_deref()
            && let Some(ttl) = ttl_until(expires_at.millis(), now.millis())
        {
            let json = self
                .models
                .stored_json(verification::MODEL, &created)
                .to_string();
            storage.set(&key(identifier), &json, Some(ttl)).await?;
        }
        if !self.in_database {
            hooks
                .after(verification::MODEL, Event::Create, &created)
                .await;
        }
        Ok(())
    }

    /// The value stored under `identifier` (the latest created), expired or not.
    pub(crate) async fn find(&self, identifier: &str) -> Result<Option<Row>, ApiError> {
        if let Some(storage) = self.secondary.as_deref() {
            if let Some(row) = storage
                .get(&key(identifier))
                .await?
                .and_then(|text| self.parse(&text))
            {
                return Ok(Some(row));
            }
            if !self.in_database {
                return Ok(None);
            }
        }
        // The latest, as better-auth's: a code sent again is a second row under one identifier.
        Ok(self
            .store
            .find_many(
                verification::MODEL,
                &by_identifier(identifier),
                Some(&Sort::desc(verification::CREATED_AT)),
                Some(1),
                None,
            )
            .await?
            .pop())
    }

    /// Takes the value under `identifier`, expired or not: it is gone afterwards, and of
    /// concurrent callers on any instance exactly one gets it. Without the database that is
    /// the storage's atomic get-and-delete; with it, [`Verifications::remove`] decides.
    pub(crate) async fn consume(&self, identifier: &str) -> Result<Option<Row>, ApiError> {
        if let Some(storage) = self.secondary.as_deref()
            && !self.in_database
        {
            return Ok(storage
                .get_and_delete(&key(identifier))
                .await?
                .and_then(|text| self.parse(&text)));
        }
        let Some(row) = self.find(identifier).await? else {
            return Ok(None);
        };
        Ok(self.remove(identifier).await?.then_some(row))
    }

    /// Removes the value under `identifier`; `true` for the one caller of any concurrent ones
    /// that removed it (the database's delete, or the storage's get-and-delete, decides:
    /// better-auth reads and deletes in two steps, so concurrent requests could all use one
    /// token).
    pub(crate) async fn remove(&self, identifier: &str) -> Result<bool, ApiError> {
        let storage = self.secondary.as_deref();
        if let Some(storage) = storage
            && !self.in_database
        {
            return Ok(storage.get_and_delete(&key(identifier)).await?.is_some());
        }
        let removed = self
            .store
            .delete(verification::MODEL, &by_identifier(identifier))
            .await?;
        if let Some(storage) = storage {
            storage.delete(&key(identifier)).await?;
        }
        Ok(removed > 0)
    }

    /// Revokes every value under an identifier starting with `prefix` that holds `value` (a
    /// user's reset tokens), `lifetime` seconds being the longest such a value lives. Rows are
    /// deleted with their cached copies; values only in the secondary storage cannot be listed,
    /// so the instant is kept there and [`Verifications::is_revoked`] refuses older ones.
    pub(crate) async fn revoke(
        &self,
        prefix: &str,
        value: &str,
        lifetime: u32,
    ) -> Result<(), ApiError> {
        let storage = self.secondary.as_deref();
        if let Some(storage) = storage
            && !self.in_database
        {
            let now = Timestamp::now().millis().to_string();
            let ttl = Duration::from_secs(u64::from(lifetime).max(1));
            storage
                .set(&revoked_key(prefix, value), &now, Some(ttl))
                .await?;
            return Ok(());
        }
        let filter = [
            Where::starts_with(verification::IDENTIFIER, prefix),
            Where::eq(verification::VALUE, value),
        ];
        if let Some(storage) = storage {
            let rows = self
                .store
                .find_many(verification::MODEL, &filter, None, None, None)
                .await?;
            for row in rows {
                storage
                    .delete(&key(&text(&row, verification::IDENTIFIER)))
                    .await?;
            }
        }
        self.store.delete(verification::MODEL, &filter).await?;
        Ok(())
    }

    /// Whether `row` (under an identifier starting with `prefix`) was created no later than a
    /// [`Verifications::revoke`] of its prefix and value; only asked of the secondary
    /// storage, since revoked rows are gone from the database.
    pub(crate) async fn is_revoked(&self, prefix: &str, row: &Row) -> Result<bool, ApiError> {
        let Some(storage) = self.secondary.as_deref() else {
            return Ok(false);
        };
        if self.in_database {
            return Ok(false);
        }
        let before = storage
            .get(&revoked_key(prefix, &text(row, verification::VALUE)))
            .await?
            .and_then(|t| t.trim().parse::<i64>().ok());
        let created = row
            .get(verification::CREATED_AT)
            .and_then(Value::as_date)
            .map_or(0, Timestamp::millis);
        Ok(before.is_some_and(|before| created <= before))
    }
}
