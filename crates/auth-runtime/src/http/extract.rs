//! Your own axum routes beside the API: the request's session as extractors.
//!
//! ```no_run
//! use auth_runtime::{Auth, CurrentUser};
//! use axum::{Json, Router, routing::get};
//!
//! async fn me(CurrentUser(user): CurrentUser) -> Json<String> {
//!     Json(user.email)
//! }
//!
//! fn app(auth: Auth) -> Router {
//!     auth.router().merge(Router::new().route("/me", get(me)).with_state(auth))
//! }
//! ```
//!
//! [`CurrentUser`], [`CurrentSession`] and [`MaybeUser`] find the session as `GET /get-session`
//! does — the signed cookie, the cookie cache, and what the enabled plugins turn into a session
//! (bearer's `Authorization` header, api-key's `x-api-key`) — without extending it, once per request however many of
//! them a handler takes (the first keeps it in the request's extensions). Without a session the
//! first two answer 401 `{"code":"UNAUTHORIZED","message":"Unauthorized"}`, as the API does.
//! Their type parameters are the additional fields of `auth.toml`, as a
//! `#[derive(AuthModel)]` struct of the model (`()` reads none).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_core::endpoints::Method as RouteMethod;
use auth_core::model::{AuthModel, Map};
use auth_core::schema::names::{session, user};
use axum::extract::{FromRef, FromRequestParts};
use http::StatusCode;
use http::request::Parts;

use super::{Ctx, Query};
use crate::Auth;
use crate::error::ApiError;
use crate::store::{Row, Timestamp, Value};
use crate::wire::cookie::RequestCookies;

impl Auth {
    /// The session of a request to one of your own routes (beside [`Auth::router`]): its user
    /// row and session row (logical field names), or `None` without a valid session. Reads the
    /// request as `/get-session?disableRefresh=true` does — the enabled plugins' hooks first
    /// (bearer's `Authorization` header, api-key's `x-api-key`, which spends one use of the key),
    /// then the signed session cookie or the cookie cache is read: an expired session is deleted, a live one is not extended (there is no answer
    /// here to carry a re-issued cookie).
    ///
    /// # Errors
    /// The store or a plugin failed ([`ApiError`], as the API would answer it).
    pub async fn session_from_headers(
        &self,
        headers: &http::HeaderMap,
    ) -> Result<Option<(Row, Row)>, ApiError> {
        let cookies = headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join("; ");
        let mut ctx = Ctx::new(
            http::Method::GET,
            String::new(),
            Query::parse(Some("disableRefresh=true")),
            headers.clone(),
            RequestCookies::parse(&cookies),
            None,
        );
        // The hooks a GET /get-session runs before its session is resolved.
        if let Some((endpoint, _)) = self.inner.router.find(RouteMethod::Get, "/get-session") {
            let plugins = &self.inner.plugins;
            for hook in plugins.iter().filter_map(|r| r.on_request) {
                hook(self, endpoint, &mut ctx).await?;
            }
            for hook in plugins.iter().filter_map(|r| r.before) {
                hook(self, endpoint, &mut ctx).await?;
            }
        }
        Ok(self.session(&mut ctx).await?.map(|found| {
            (
                Arc::unwrap_or_clone(found.user),
                Arc::unwrap_or_clone(found.session),
            )
        }))
    }
}

/// The signed-in user: better-auth's core fields, `F` (the additional fields of `auth.toml`,
/// a `#[derive(AuthModel)]` struct of `user`), and every field of the row as the API answers it
/// (plugin fields included: `role`, `username`, `twoFactorEnabled`…).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct User<F = ()> {
    /// The user's id.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `email`, lower-cased as stored.
    pub email: String,
    /// `emailVerified`.
    pub email_verified: bool,
    /// `image`.
    pub image: Option<String>,
    /// `createdAt`.
    pub created_at: SystemTime,
    /// `updatedAt`.
    pub updated_at: SystemTime,
    /// The additional fields, as the derived struct.
    pub fields: F,
    /// Every field, keyed by its logical name, in better-auth's wire form.
    pub values: Map<String, serde_json::Value>,
}

/// The request's session: better-auth's core fields, `S` (the additional fields of `session`)
/// and every field of the row.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Session<S = ()> {
    /// The session's id.
    pub id: String,
    /// The session token (what the signed cookie carries).
    pub token: String,
    /// `userId`.
    pub user_id: String,
    /// `expiresAt`.
    pub expires_at: SystemTime,
    /// `ipAddress`.
    pub ip_address: Option<String>,
    /// `userAgent`.
    pub user_agent: Option<String>,
    /// `createdAt`.
    pub created_at: SystemTime,
    /// `updatedAt`.
    pub updated_at: SystemTime,
    /// The additional fields, as the derived struct.
    pub fields: S,
    /// Every field, keyed by its logical name, in better-auth's wire form.
    pub values: Map<String, serde_json::Value>,
}

/// The signed-in user; 401 without a session.
#[derive(Debug, Clone)]
pub struct CurrentUser<F = ()>(pub User<F>);

/// The signed-in user if there is one.
#[derive(Debug, Clone)]
pub struct MaybeUser<F = ()>(pub Option<User<F>>);

/// The signed-in user and their session; 401 without a session.
#[derive(Debug, Clone)]
pub struct CurrentSession<F = (), S = ()> {
    /// The user.
    pub user: User<F>,
    /// Their session.
    pub session: Session<S>,
}

/// The session this request resolved to, kept in its extensions by the first extractor.
#[derive(Clone)]
struct Resolved(Arc<Option<(Row, Row)>>);

pub(super) async fn resolved(
    parts: &mut Parts,
    auth: &Auth,
) -> Result<Arc<Option<(Row, Row)>>, ApiError> {
    if let Some(Resolved(found)) = parts.extensions.get::<Resolved>() {
        return Ok(found.clone());
    }
    let found = Arc::new(auth.session_from_headers(&parts.headers).await?);
    parts.extensions.insert(Resolved(found.clone()));
    Ok(found)
}

/// `a == b`, at compile time.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

fn text(row: &Row, field: &str) -> String {
    row.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn optional_text(row: &Row, field: &str) -> Option<String> {
    row.get(field).and_then(Value::as_str).map(str::to_owned)
}

fn time(row: &Row, field: &str) -> SystemTime {
    let millis = row
        .get(field)
        .and_then(Value::as_date)
        .map_or(0, Timestamp::millis);
    match u64::try_from(millis) {
        Ok(after) => SystemTime::UNIX_EPOCH + Duration::from_millis(after),
        Err(_) => SystemTime::UNIX_EPOCH - Duration::from_millis(millis.unsigned_abs()),
    }
}

/// The row's additional fields as `F`, and every value in wire form. A row that does not fit
/// `F` (the struct compiled against another `auth.toml`) is a server error, never a session.
fn fields<F: AuthModel>(row: &Row) -> Result<(F, Map<String, serde_json::Value>), ApiError> {
    let values: Map<String, serde_json::Value> = row
        .iter()
        .map(|(field, value)| (field.clone(), value.to_json()))
        .collect();
    let fields = F::from_values(&values).map_err(|error| {
        tracing::error!(%error, "a session's row does not fit the extractor's struct");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
            "The session's fields do not match the application's types",
        )
    })?;
    Ok((fields, values))
}

impl<F: AuthModel> User<F> {
    pub(super) fn from_row(row: &Row) -> Result<Self, ApiError> {
        const {
            assert!(
                F::MODEL.is_empty() || same(F::MODEL, user::MODEL),
                "the fields of CurrentUser<F> must be a #[derive(AuthModel)] struct of `user`"
            );
        }
        let (fields, values) = fields(row)?;
        Ok(Self {
            id: text(row, user::ID),
            name: text(row, user::NAME),
            email: text(row, user::EMAIL),
            email_verified: row
                .get(user::EMAIL_VERIFIED)
                .and_then(Value::as_bool)
                .unwrap_or(false),
            image: optional_text(row, user::IMAGE),
            created_at: time(row, user::CREATED_AT),
            updated_at: time(row, user::UPDATED_AT),
            fields,
            values,
        })
    }
}

impl<S: AuthModel> Session<S> {
    fn from_row(row: &Row) -> Result<Self, ApiError> {
        const {
            assert!(
                S::MODEL.is_empty() || same(S::MODEL, session::MODEL),
                "the session fields of CurrentSession<F, S> must be a #[derive(AuthModel)] struct of `session`"
            );
        }
        let (fields, values) = fields(row)?;
        Ok(Self {
            id: text(row, session::ID),
            token: text(row, session::TOKEN),
            user_id: text(row, session::USER_ID),
            expires_at: time(row, session::EXPIRES_AT),
            ip_address: optional_text(row, session::IP_ADDRESS),
            user_agent: optional_text(row, session::USER_AGENT),
            created_at: time(row, session::CREATED_AT),
            updated_at: time(row, session::UPDATED_AT),
            fields,
            values,
        })
    }
}

impl<St, F> FromRequestParts<St> for MaybeUser<F>
where
    Auth: FromRef<St>,
    St: Send + Sync,
    F: AuthModel + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_ref(state);
        match resolved(parts, &auth).await?.as_ref() {
            Some((user, _)) => Ok(Self(Some(User::from_row(user)?))),
            None => Ok(Self(None)),
        }
    }
}

impl<St, F> FromRequestParts<St> for CurrentUser<F>
where
    Auth: FromRef<St>,
    St: Send + Sync,
    F: AuthModel + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        match MaybeUser::from_request_parts(parts, state).await? {
            MaybeUser(Some(user)) => Ok(Self(user)),
            MaybeUser(None) => Err(ApiError::unauthorized()),
        }
    }
}

impl<St, F, S> FromRequestParts<St> for CurrentSession<F, S>
where
    Auth: FromRef<St>,
    St: Send + Sync,
    F: AuthModel + Send,
    S: AuthModel + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_ref(state);
        match resolved(parts, &auth).await?.as_ref() {
            Some((user, session)) => Ok(Self {
                user: User::from_row(user)?,
                session: Session::from_row(session)?,
            }),
            None => Err(ApiError::unauthorized()),
        }
    }
}
