//! Where sessions live, as better-auth 1.7's internal adapter keeps them: rows in `session`,
//! and/or, with a secondary storage, the key `<token>` → `{"session", "user"}` (JSON, expiring
//! with the session) plus `active-sessions-<userId>` → `[{"token", "expiresAt"}]` (the user's
//! live sessions, expiring with the last of them) and `revoked-sessions-before-<userId>`
//! (sessions created before that instant are revoked). Every create goes through
//! [`Sessions::create`], every update through [`Sessions::update`]; routes never touch session
//! rows or keys themselves.
//!
//! Layer: sessions, above the store and the secondary storage; it knows no `Auth`, no request
//! and no cookie.

use std::sync::Arc;
use std::time::Duration;

use auth_core::Config;
use auth_core::schema::names::{account, session, user};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::error::ApiError;
use crate::hooks::Event;
use crate::secondary::SecondaryStorage;
use crate::store::{Models, Row, Store, Timestamp, Value, Where, text};
use crate::wire::id;

/// One entry of `active-sessions-<userId>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Reference {
    token: String,
    #[serde(rename = "expiresAt")]
    expires_at: i64,
}

fn active_key(user_id: &str) -> String {
    format!("active-sessions-{user_id}")
}

fn revoked_key(user_id: &str) -> String {
    format!("revoked-sessions-before-{user_id}")
}

/// better-auth's `getTTLSeconds`: whole seconds until `expires_at`, `None` when none are left.
pub(crate) fn ttl_until(expires_at: i64, now: i64) -> Option<Duration> {
    let seconds = (expires_at - now).div_euclid(1000);
    u64::try_from(seconds)
        .ok()
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
}

fn millis(row: &Row, field: &str) -> i64 {
    row.get(field)
        .and_then(Value::as_date)
        .map_or(0, Timestamp::millis)
}

/// The sessions of one server: where they are kept and how.
#[derive(Debug, Clone)]
pub(crate) struct Sessions {
    store: Store,
    secondary: Option<Arc<dyn SecondaryStorage>>,
    models: Models,
    /// Rows in `session` (not stateless, and no secondary storage or `store-in-database`).
    in_database: bool,
    /// `[session] expires-in`, seconds: the longest a session lives.
    expires_in: u32,
}

impl Sessions {
    /// The sessions `config` describes, kept in `store` and/or `secondary`, their fields (and
    /// the user's) from `models`.
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
            in_database: config.session_in_database(),
            expires_in: *config.session.expires_in.get_ref(),
        }
    }

    fn storage(&self) -> Option<&dyn SecondaryStorage> {
        self.secondary.as_deref()
    }

    /// 503 when the secondary storage that would hold a new session does not answer: a sign-up
    /// checks it before writing the user, so a storage that is down does not leave an account
    /// whose retried sign-up says the email is taken (one that fails in between still does; that
    /// user can sign in once it is back).
    pub(crate) async fn check_storage(&self) -> Result<(), ApiError> {
        if let Some(storage) = self.storage() {
            // No user has an empty id: a read that finds nothing.
            storage.get(&active_key("")).await?;
        }
        Ok(())
    }

    /// Stores a new session (`token`, `userId`, `expiresAt`, …): in the database when sessions
    /// live there (which gives it its id), in the secondary storage when there is one.
    /// Database hooks run around it wherever it is kept.
    pub(crate) async fn create(&self, mut row: Row) -> Result<Row, ApiError> {
        let hooks = self.store.hooks();
        let created = if self.in_database {
            self.store.insert(session::MODEL, row).await?
        } else {
            row.insert(session::ID.into(), Value::String(id::generate()));
            hooks.before(session::MODEL, Event::Create, row).await?
        };
        if let Some(storage) = self.storage() {
            let user_id: &str = &text(&created, session::USER_ID);
            let token = text(&created, session::TOKEN);
            let expires_at = millis(&created, session::EXPIRES_AT);
            let now = Timestamp::now().millis();
            let mut references = self.references(storage, user_id).await?;
            references.retain(|r| r.expires_at > now && r.token != token);
            references.push(Reference {
                token: token.clone(),
                expires_at,
            });
            self.set_references(storage, user_id, references, now)
                .await?;
            let user = self
                .store
                .find_one(user::MODEL, &[Where::eq(user::ID, user_id)])
                .await?;
            if let Some(ttl) = ttl_until(expires_at, now) {
                let user = user.map_or(Json::Null, |u| self.models.stored_json(user::MODEL, &u));
                let session = self.models.stored_json(session::MODEL, &created);
                let value = json!({ "session": session, "user": user });
                storage.set(&token, &value.to_string(), Some(ttl)).await?;
            }
            if !self.in_database {
                hooks.after(session::MODEL, Event::Create, &created).await;
            }
        }
        Ok(created)
    }

    /// The session with `token` and its user: from the secondary storage when there is one
    /// (falling back to the database when sessions are kept there too), else from the
    /// database. Expired sessions are returned: the caller decides.
    pub(crate) async fn find(&self, token: &str) -> Result<Option<(Row, Row)>, ApiError> {
        if let Some(storage) = self.storage() {
            match storage.get(token).await? {
                Some(raw) => {
                    let Ok(stored) = serde_json::from_str::<Json>(&raw) else {
                        return Ok(None);
                    };
                    let (Some(session), Some(user)) = (stored.get("session"), stored.get("user"))
                    else {
                        return Ok(None);
                    };
                    let session = self.models.stored_row(session::MODEL, session);
                    if self.is_revoked(storage, &session).await? {
                        return Ok(None);
                    }
                    return Ok(Some((session, self.models.stored_row(user::MODEL, user))));
                }
                None if !self.in_database => return Ok(None),
                None => {}
            }
        }
        Ok(self.store.session_with_user(token).await?)
    }

    /// Applies `changes` to the session with `token`; `false` when there is no such session.
    pub(crate) async fn update(&self, token: &str, changes: Row) -> Result<bool, ApiError> {
        let hooks = self.store.hooks();
        let changes = if self.in_database {
            changes // the store runs the hooks
        } else {
            hooks.before(session::MODEL, Event::Update, changes).await?
        };
        let mut found = false;
        if let Some(storage) = self.storage()
            && let Some(raw) = storage.get(token).await?
            && let Ok(stored) = serde_json::from_str::<Json>(&raw)
            && let Some(session) = stored.get("session")
        {
            let mut session = self.models.stored_row(session::MODEL, session);
            session.extend(changes.clone());
            let user_id = text(&session, session::USER_ID);
            let expires_at = millis(&session, session::EXPIRES_AT);
            let now = Timestamp::now().millis();
            if let Some(ttl) = ttl_until(expires_at, now) {
                let value = json!({
                    "session": self.models.stored_json(session::MODEL, &session),
                    "user": stored.get("user").cloned().unwrap_or(Json::Null),
                });
                storage.set(token, &value.to_string(), Some(ttl)).await?;
                let mut references = self.references(storage, &user_id).await?;
                references.retain(|r| r.token != token && r.expires_at > now);
                references.push(Reference {
                    token: token.to_owned(),
                    expires_at,
                });
                self.set_references(storage, &user_id, references, now)
                    .await?;
            }
            if !self.in_database {
                hooks.after(session::MODEL, Event::Update, &session).await;
            }
            found = true;
        }
        if self.in_database {
            found = self
                .store
                .update(session::MODEL, &[Where::eq(session::TOKEN, token)], changes)
                .await?
                > 0;
        }
        Ok(found)
    }

    /// Ends the session with `token` (sign-out, revoke-session, an expired session).
    pub(crate) async fn delete(&self, token: &str) -> Result<(), ApiError> {
        if let Some(storage) = self.storage() {
            if let Some(raw) = storage.get(token).await?
                && let Some(user_id) = serde_json::from_str::<Json>(&raw)
                    .ok()
                    .as_ref()
                    .and_then(|s| s.pointer("/session/userId"))
                    .and_then(Json::as_str)
            {
                let now = Timestamp::now().millis();
                let mut references = self.references(storage, user_id).await?;
                references.retain(|r| r.expires_at > now && r.token != token);
                self.set_references(storage, user_id, references, now)
                    .await?;
            }
            storage.delete(token).await?;
        }
        if self.in_database {
            self.store
                .delete(session::MODEL, &[Where::eq(session::TOKEN, token)])
                .await?;
        }
        Ok(())
    }

    /// The user's live sessions (list-sessions, revoke-other-sessions).
    pub(crate) async fn list(&self, user_id: &str) -> Result<Vec<Row>, ApiError> {
        let now = Timestamp::now();
        match self.storage() {
            Some(storage) if !self.in_database => {
                let mut sessions = Vec::new();
                for (_, session) in self.stored_sessions(storage, user_id).await? {
                    let session = self.models.stored_row(session::MODEL, &session);
                    if !self.is_revoked(storage, &session).await? {
                        sessions.push(session);
                    }
                }
                Ok(sessions)
            }
            // Stateless: the server knows no session but the request's.
            None if !self.in_database => Ok(Vec::new()),
            _ => Ok(self
                .store
                .find_many(
                    session::MODEL,
                    &[
                        Where::eq(session::USER_ID, user_id),
                        Where::gt(session::EXPIRES_AT, Value::Date(now)),
                    ],
                    None,
                    None,
                    None,
                )
                .await?),
        }
    }

    /// Ends every session of the user (revoke-sessions, a password change or reset).
    pub(crate) async fn delete_of_user(&self, user_id: &str) -> Result<(), ApiError> {
        let references = match self.storage() {
            Some(storage) => self.references(storage, user_id).await?,
            None => Vec::new(),
        };
        if self.in_database {
            self.store
                .delete(session::MODEL, &[Where::eq(session::USER_ID, user_id)])
                .await?;
        }
        match self.storage() {
            Some(storage) => {
                self.forget_cached_sessions(storage, user_id, &references)
                    .await
            }
            None => Ok(()),
        }
    }

    /// Deletes a user with its sessions and accounts (explicitly: a database adopted from
    /// better-auth may lack the cascading foreign keys).
    pub(crate) async fn delete_user(&self, user_id: &str) -> Result<(), ApiError> {
        let store = &self.store;
        let references = match self.storage() {
            Some(storage) => self.references(storage, user_id).await?,
            None => Vec::new(),
        };
        if self.in_database {
            store
                .delete(session::MODEL, &[Where::eq(session::USER_ID, user_id)])
                .await?;
        }
        store
            .delete(account::MODEL, &[Where::eq(account::USER_ID, user_id)])
            .await?;
        let deleted = store
            .delete(user::MODEL, &[Where::eq(user::ID, user_id)])
            .await?;
        if let Some(storage) = self.storage()
            && deleted > 0
        {
            self.forget_cached_sessions(storage, user_id, &references)
                .await?;
        }
        Ok(())
    }

    /// After a change to the user: copies the user into each of their sessions kept in the
    /// secondary storage (better-auth's `refreshUserSessions`).
    pub(crate) async fn refresh_user(&self, user_id: &str) -> Result<(), ApiError> {
        let store = &self.store;
        let Some(storage) = self.storage() else {
            return Ok(());
        };
        let Some(user) = store
            .find_one(user::MODEL, &[Where::eq(user::ID, user_id)])
            .await?
        else {
            return Ok(());
        };
        let user = self.models.stored_json(user::MODEL, &user);
        let now = Timestamp::now().millis();
        for (token, session) in self.stored_sessions(storage, user_id).await? {
            let expires_at = session
                .get(session::EXPIRES_AT)
                .and_then(Json::as_str)
                .and_then(Timestamp::parse_iso)
                .map_or(0, Timestamp::millis);
            // better-auth sets the key even with no time left (it then never expires): keep
            // it bounded instead.
            let ttl = ttl_until(expires_at, now).unwrap_or(Duration::from_secs(1));
            let value = json!({ "session": session, "user": user });
            storage.set(&token, &value.to_string(), Some(ttl)).await?;
        }
        Ok(())
    }

    /// The user's live sessions the secondary storage holds, each once: its token and the
    /// stored session (JSON).
    async fn stored_sessions(
        &self,
        storage: &dyn SecondaryStorage,
        user_id: &str,
    ) -> Result<Vec<(String, Json)>, ApiError> {
        let now = Timestamp::now().millis();
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for reference in self.references(storage, user_id).await? {
            if reference.expires_at <= now || !seen.insert(reference.token.clone()) {
                continue;
            }
            let Some(raw) = storage.get(&reference.token).await? else {
                continue;
            };
            if let Some(session) = serde_json::from_str::<Json>(&raw)
                .ok()
                .and_then(|s| s.get("session").cloned())
            {
                out.push((reference.token, session));
            }
        }
        Ok(out)
    }

    async fn references(
        &self,
        storage: &dyn SecondaryStorage,
        user_id: &str,
    ) -> Result<Vec<Reference>, ApiError> {
        Ok(storage
            .get(&active_key(user_id))
            .await?
            .and_then(|raw| serde_json::from_str(&raw).ok())
            .unwrap_or_default())
    }

    /// Stores the list sorted by expiry, expiring with its last session; deletes it when empty.
    async fn set_references(
        &self,
        storage: &dyn SecondaryStorage,
        user_id: &str,
        mut references: Vec<Reference>,
        now: i64,
    ) -> Result<(), ApiError> {
        references.sort_by_key(|r| r.expires_at);
        let key = active_key(user_id);
        let last = references.last().map_or(0, |r| r.expires_at);
        match ttl_until(last, now) {
            Some(ttl) => {
                let list = serde_json::to_string(&references).unwrap_or_default();
                storage.set(&key, &list, Some(ttl)).await?;
            }
            None => storage.delete(&key).await?,
        }
        Ok(())
    }

    /// Created before the user's `revoked-sessions-before` instant.
    async fn is_revoked(
        &self,
        storage: &dyn SecondaryStorage,
        session: &Row,
    ) -> Result<bool, ApiError> {
        let before = storage
            .get(&revoked_key(&text(session, session::USER_ID)))
            .await?
            .and_then(|t| t.trim().parse::<f64>().ok());
        Ok(before.is_some_and(|before| (millis(session, session::CREATED_AT) as f64) < before))
    }

    /// Marks every session of the user created until now as revoked, deletes the listed ones
    /// and prunes the list.
    async fn forget_cached_sessions(
        &self,
        storage: &dyn SecondaryStorage,
        user_id: &str,
        references: &[Reference],
    ) -> Result<(), ApiError> {
        let now = Timestamp::now().millis();
        let key = revoked_key(user_id);
        let previous = storage
            .get(&key)
            .await?
            .and_then(|t| t.trim().parse::<f64>().ok())
            .map_or(0, |t| t as i64);
        let revoked_at = now.max(previous);
        let lifetime = u64::from(self.expires_in).max(86_400);
        storage
            .set(
                &key,
                &revoked_at.to_string(),
                Some(Duration::from_secs(lifetime)),
            )
            .await?;
        let deleted: std::collections::HashSet<&str> =
            references.iter().map(|r| r.token.as_str()).collect();
        for token in &deleted {
            storage.delete(token).await?;
        }
        let mut current = self.references(storage, user_id).await?;
        current.retain(|r| r.expires_at > now && !deleted.contains(r.token.as_str()));
        self.set_references(storage, user_id, current, now).await
    }
}
