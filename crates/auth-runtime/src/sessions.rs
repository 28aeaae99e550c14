//! The one place sessions are kept, as better-auth 1.7's internal adapter keeps them: rows in
//! `session`, and/or, with a secondary storage, the key `<token>` → `{"session", "user"}` (JSON,
//! expiring with the session) plus `active-sessions-<userId>` → `[{"token", "expiresAt"}]`
//! (the user's live sessions, expiring with the last of them) and
//! `revoked-sessions-before-<userId>` (sessions created before that instant are revoked).
//! Every create goes through [`Auth::create_session`], every update through
//! [`Auth::update_session`]; routes never touch session rows or keys themselves.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

use crate::Auth;
use crate::error::ApiError;
use crate::hooks::Event;
use crate::secondary::SecondaryStorage;
use crate::store::{Row, Timestamp, Value, Where};
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

fn text<'a>(row: &'a Row, field: &str) -> &'a str {
    row.get(field).and_then(Value::as_str).unwrap_or_default()
}

impl Auth {
    fn storage(&self) -> Option<&dyn SecondaryStorage> {
        self.inner.secondary.as_deref()
    }

    /// 503 when the secondary storage that would hold a new session does not answer: a sign-up
    /// checks it before writing the user, so a storage that is down does not leave an account
    /// whose retried sign-up says the email is taken (one that fails in between still does; that
    /// user can sign in once it is back).
    pub(crate) async fn check_session_storage(&self) -> Result<(), ApiError> {
        if let Some(storage) = self.storage() {
            // No user has an empty id: a read that finds nothing.
            storage.get(&active_key("")).await?;
        }
        Ok(())
    }

    fn sessions_in_database(&self) -> bool {
        self.inner.config.session_in_database()
    }

    /// A row as the secondary storage holds it: every field present, in schema order, `id`
    /// first, dates as ISO text (what `JSON.stringify` makes of better-auth's objects).
    pub(crate) fn stored_json(&self, model: &str, row: &Row) -> Json {
        let mut out = Map::new();
        if let Some(table) = self.inner.models.model(model) {
            let columns = table.columns.iter();
            for column in columns
                .clone()
                .filter(|c| c.primary_key)
                .chain(columns.filter(|c| !c.primary_key))
            {
                if let Some(value) = row.get(&column.field) {
                    out.insert(column.field.clone(), value.to_json());
                }
            }
        }
        Json::Object(out)
    }

    /// The fields of `model` found in a stored object (unknown keys and ill-typed values are
    /// left out).
    pub(crate) fn stored_row(&self, model: &str, json: &Json) -> Row {
        self.row_of(model, |field| json.get(field))
    }

    /// A row of `model` from JSON values by field (`get`): every field of the schema that is
    /// present and has its type, converted as the API reads it.
    pub(crate) fn row_of<'a>(&self, model: &str, get: impl Fn(&str) -> Option<&'a Json>) -> Row {
        let mut row = Row::new();
        if let Some(table) = self.inner.models.model(model) {
            for column in &table.columns {
                if let Some(value) = get(&column.field).and_then(|v| Value::from_json(column.ty, v))
                {
                    row.insert(column.field.clone(), value);
                }
            }
        }
        row
    }

    /// Stores a new session (`token`, `userId`, `expiresAt`, …): in the database when sessions
    /// live there (which gives it its id), in the secondary storage when there is one.
    /// Database hooks run around it wherever it is kept.
    pub(crate) async fn create_session(&self, mut row: Row) -> Result<Row, ApiError> {
        let hooks = self.inner.store.hooks();
        let in_database = self.sessions_in_database();
        let created = if in_database {
            self.inner.store.insert("session", row).await?
        } else {
            row.insert("id".into(), Value::String(id::generate()));
            hooks.before("session", Event::Create, row).await?
        };
        if let Some(storage) = self.storage() {
            let user_id = text(&created, "userId");
            let token = text(&created, "token");
            let expires_at = millis(&created, "expiresAt");
            let now = Timestamp::now().millis();
            let mut references = self.references(storage, user_id).await?;
            references.retain(|r| r.expires_at > now && r.token != token);
            references.push(Reference {
                token: token.to_owned(),
                expires_at,
            });
            self.set_references(storage, user_id, references, now)
                .await?;
            let user = self
                .inner
                .store
                .find_one("user", &[Where::eq("id", user_id)])
                .await?;
            if let Some(ttl) = ttl_until(expires_at, now) {
                let user = user.map_or(Json::Null, |u| self.stored_json("user", &u));
                let value =
                    json!({ "session": self.stored_json("session", &created), "user": user });
                storage.set(token, &value.to_string(), Some(ttl)).await?;
            }
            if !in_database {
                hooks.after("session", Event::Create, &created).await;
            }
        }
        Ok(created)
    }

    /// The session with `token` and its user: from the secondary storage when there is one
    /// (falling back to the database when sessions are kept there too), else from the
    /// database. Expired sessions are returned: the caller decides.
    pub(crate) async fn find_session(&self, token: &str) -> Result<Option<(Row, Row)>, ApiError> {
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
                    let session = self.stored_row("session", session);
                    if self.is_revoked(storage, &session).await? {
                        return Ok(None);
                    }
                    return Ok(Some((session, self.stored_row("user", user))));
                }
                None if !self.sessions_in_database() => return Ok(None),
                None => {}
            }
        }
        Ok(self.inner.store.session_with_user(token).await?)
    }

    /// Applies `changes` to the session with `token`; `false` when there is no such session.
    pub(crate) async fn update_session(&self, token: &str, changes: Row) -> Result<bool, ApiError> {
        let hooks = self.inner.store.hooks();
        let in_database = self.sessions_in_database();
        let changes = if in_database {
            changes // the store runs the hooks
        } else {
            hooks.before("session", Event::Update, changes).await?
        };
        let mut found = false;
        if let Some(storage) = self.storage()
            && let Some(raw) = storage.get(token).await?
            && let Ok(stored) = serde_json::from_str::<Json>(&raw)
            && let Some(session) = stored.get("session")
        {
            let mut session = self.stored_row("session", session);
            session.extend(changes.clone());
            let user_id = text(&session, "userId").to_owned();
            let expires_at = millis(&session, "expiresAt");
            let now = Timestamp::now().millis();
            if let Some(ttl) = ttl_until(expires_at, now) {
                let value = json!({
                    "session": self.stored_json("session", &session),
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
            if !in_database {
                hooks.after("session", Event::Update, &session).await;
            }
            found = true;
        }
        if self.sessions_in_database() {
            found = self
                .inner
                .store
                .update("session", &[Where::eq("token", token)], changes)
                .await?
                > 0;
        }
        Ok(found)
    }

    /// Ends the session with `token` (sign-out, revoke-session, an expired session).
    pub(crate) async fn delete_session(&self, token: &str) -> Result<(), ApiError> {
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
        if self.sessions_in_database() {
            self.inner
                .store
                .delete("session", &[Where::eq("token", token)])
                .await?;
        }
        Ok(())
    }

    /// The user's live sessions (list-sessions, revoke-other-sessions).
    pub(crate) async fn list_sessions(&self, user_id: &str) -> Result<Vec<Row>, ApiError> {
        let now = Timestamp::now();
        match self.storage() {
            Some(storage) if !self.sessions_in_database() => {
                let mut sessions = Vec::new();
                for (_, session) in self.stored_sessions(storage, user_id).await? {
                    let session = self.stored_row("session", &session);
                    if !self.is_revoked(storage, &session).await? {
                        sessions.push(session);
                    }
                }
                Ok(sessions)
            }
            // Stateless: the server knows no session but the request's.
            None if !self.sessions_in_database() => Ok(Vec::new()),
            _ => Ok(self
                .inner
                .store
                .find_many(
                    "session",
                    &[
                        Where::eq("userId", user_id),
                        Where::gt("expiresAt", Value::Date(now)),
                    ],
                    None,
                    None,
                    None,
                )
                .await?),
        }
    }

    /// Ends every session of the user (revoke-sessions, a password change or reset).
    pub(crate) async fn delete_user_sessions(&self, user_id: &str) -> Result<(), ApiError> {
        let references = match self.storage() {
            Some(storage) => self.references(storage, user_id).await?,
            None => Vec::new(),
        };
        if self.sessions_in_database() {
            self.inner
                .store
                .delete("session", &[Where::eq("userId", user_id)])
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
        let store = &self.inner.store;
        let references = match self.storage() {
            Some(storage) => self.references(storage, user_id).await?,
            None => Vec::new(),
        };
        if self.sessions_in_database() {
            store
                .delete("session", &[Where::eq("userId", user_id)])
                .await?;
        }
        store
            .delete("account", &[Where::eq("userId", user_id)])
            .await?;
        let deleted = store.delete("user", &[Where::eq("id", user_id)]).await?;
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
    pub(crate) async fn refresh_user_sessions(&self, user_id: &str) -> Result<(), ApiError> {
        let store = &self.inner.store;
        let Some(storage) = self.storage() else {
            return Ok(());
        };
        let Some(user) = store.find_one("user", &[Where::eq("id", user_id)]).await? else {
            return Ok(());
        };
        let user = self.stored_json("user", &user);
        let now = Timestamp::now().millis();
        for (token, session) in self.stored_sessions(storage, user_id).await? {
            let expires_at = session
                .get("expiresAt")
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
            .get(&revoked_key(text(session, "userId")))
            .await?
            .and_then(|t| t.trim().parse::<f64>().ok());
        Ok(before.is_some_and(|before| (millis(session, "createdAt") as f64) < before))
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
        let lifetime = u64::from(*self.inner.config.session.expires_in.get_ref()).max(86_400);
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
