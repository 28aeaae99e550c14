//! Rust hooks: database hooks (better-auth's `databaseHooks`), and the jwt plugin's payload
//! ([`JwtPayload`], better-auth's `jwt.definePayload`).
//!
//! Database hooks are registered in Rust: before and after the
//! creation or update of a row of a model (`user`, `session`, `account`, `verification`, or any
//! plugin model).
//!
//! - A **before** hook receives the row about to be written (for an update: the changed fields
//!   only) and returns it, changed or not; or rejects the write with an [`ApiError`], which the
//!   request answers as it is (a 4xx `{code, message}`, nothing written).
//! - An **after** hook receives the row as stored (for an update: each updated row, read back).
//!   It cannot undo the write; it is for side effects (audit logs, notifications).
//!
//! Hooks run in registration order, each before hook on the previous one's output, for every
//! write the server makes, whatever the endpoint or the storage (database or secondary storage).
//!
//! ```
//! use auth_runtime::hooks::DatabaseHooks;
//! use auth_runtime::http::ApiError;
//! use auth_runtime::store::Value;
//!
//! let hooks = DatabaseHooks::new().before_create("user", |user| async move {
//!     let email = user.get("email").and_then(Value::as_str).unwrap_or_default();
//!     if email.ends_with("@spam.example") {
//!         return Err(ApiError::new(
//!             http::StatusCode::FORBIDDEN,
//!             "EMAIL_DOMAIN_BLOCKED",
//!             "Sign-ups from this domain are not allowed",
//!         ));
//!     }
//!     Ok(user)
//! });
//! # drop(hooks);
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::error::ApiError;
use crate::store::Row;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type Before = Arc<dyn Fn(Row) -> BoxFuture<Result<Row, ApiError>> + Send + Sync>;
type After = Arc<dyn Fn(Row) -> BoxFuture<()> + Send + Sync>;

/// The write a hook runs around.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    Create,
    Update,
}

#[derive(Clone)]
enum Hook {
    Before(Before),
    After(After),
}

#[derive(Clone)]
struct Entry {
    model: String,
    event: Event,
    hook: Hook,
}

/// The hooks of one server. Build with the `before_*`/`after_*` methods and pass it to the
/// server in `AuthOptions::hooks`. Cheap to clone.
#[derive(Clone, Default)]
pub struct DatabaseHooks {
    entries: Vec<Entry>,
}

impl fmt::Debug for DatabaseHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for entry in &self.entries {
            let when = match entry.hook {
                Hook::Before(_) => "before",
                Hook::After(_) => "after",
            };
            list.entry(&format_args!("{when} {:?} {}", entry.event, entry.model));
        }
        list.finish()
    }
}

impl DatabaseHooks {
    /// No hooks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `hook` on every new row of `model` before it is written.
    pub fn before_create<F, Fut>(self, model: &str, hook: F) -> Self
    where
        F: Fn(Row) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Row, ApiError>> + Send + 'static,
    {
        self.with(model, Event::Create, before(hook))
    }

    /// Runs `hook` on every new row of `model` once it is stored.
    pub fn after_create<F, Fut>(self, model: &str, hook: F) -> Self
    where
        F: Fn(Row) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.with(model, Event::Create, after(hook))
    }

    /// Runs `hook` on the changed fields of every update of `model` before it is written.
    pub fn before_update<F, Fut>(self, model: &str, hook: F) -> Self
    where
        F: Fn(Row) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Row, ApiError>> + Send + 'static,
    {
        self.with(model, Event::Update, before(hook))
    }

    /// Runs `hook` on every row of `model` an update changed, as stored after it.
    pub fn after_update<F, Fut>(self, model: &str, hook: F) -> Self
    where
        F: Fn(Row) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.with(model, Event::Update, after(hook))
    }

    fn with(mut self, model: &str, event: Event, hook: Hook) -> Self {
        self.entries.push(Entry {
            model: model.to_owned(),
            event,
            hook,
        });
        self
    }

    /// The models hooks are registered for (checked against the schema when the server starts).
    pub(crate) fn models(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.model.as_str())
    }

    fn matching(&self, model: &str, event: Event) -> impl Iterator<Item = &Hook> {
        self.entries
            .iter()
            .filter(move |e| e.model == model && e.event == event)
            .map(|e| &e.hook)
    }

    /// Whether an after hook wants the rows an update of `model` changed.
    pub(crate) fn wants_updated_rows(&self, model: &str) -> bool {
        self.matching(model, Event::Update)
            .any(|h| matches!(h, Hook::After(_)))
    }

    /// Runs the before hooks of `event` on `model`.
    pub(crate) async fn before(
        &self,
        model: &str,
        event: Event,
        mut row: Row,
    ) -> Result<Row, ApiError> {
        for hook in self.matching(model, event) {
            if let Hook::Before(hook) = hook {
                row = hook(row).await?;
            }
        }
        Ok(row)
    }

    /// Runs the after hooks of `event` on `model` with a stored row.
    pub(crate) async fn after(&self, model: &str, event: Event, row: &Row) {
        for hook in self.matching(model, event) {
            if let Hook::After(hook) = hook {
                hook(row.clone()).await;
            }
        }
    }
}

type Payload = serde_json::Map<String, serde_json::Value>;
type DefinePayload = Arc<
    dyn Fn(serde_json::Value, serde_json::Value) -> BoxFuture<Result<Payload, ApiError>>
        + Send
        + Sync,
>;

/// The jwt plugin's payload (better-auth's `jwt.definePayload`): from the session and its user
/// as the API returns them (`get-session`'s `session` and `user`), the claims of the token
/// instead of the whole user. The plugin then adds `iat` first (unless the payload sets it),
/// `sub` (the user's id, always), and `exp`, `iss`, `aud` unless the payload sets them. An error
/// is the answer of the request that asked for the token. Pass it in `AuthOptions::jwt_payload`.
///
/// ```
/// use auth_runtime::hooks::JwtPayload;
///
/// let payload = JwtPayload::new(|_session, user| async move {
///     let mut claims = serde_json::Map::new();
///     claims.insert("email".into(), user["email"].clone());
///     claims.insert("role".into(), "member".into());
///     Ok(claims)
/// });
/// # drop(payload);
/// ```
#[derive(Clone)]
pub struct JwtPayload(DefinePayload);

impl fmt::Debug for JwtPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtPayload")
    }
}

impl JwtPayload {
    /// A hook that adds claims to (or changes) the payload of every JWT the jwt plugin signs.
    pub fn new<F, Fut>(hook: F) -> Self
    where
        F: Fn(serde_json::Value, serde_json::Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Payload, ApiError>> + Send + 'static,
    {
        Self(Arc::new(move |session, user| Box::pin(hook(session, user))))
    }

    /// The claims for `session` and `user` (as the API returns them).
    pub(crate) async fn call(
        &self,
        session: serde_json::Value,
        user: serde_json::Value,
    ) -> Result<Payload, ApiError> {
        (self.0)(session, user).await
    }
}

fn before<F, Fut>(hook: F) -> Hook
where
    F: Fn(Row) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Row, ApiError>> + Send + 'static,
{
    Hook::Before(Arc::new(move |row| Box::pin(hook(row))))
}

fn after<F, Fut>(hook: F) -> Hook
where
    F: Fn(Row) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Hook::After(Arc::new(move |row| Box::pin(hook(row))))
}
