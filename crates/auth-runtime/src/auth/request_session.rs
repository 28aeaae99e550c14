//! The session of a request, as better-auth finds and starts it: the signed `session_token`
//! cookie, sliding expiry (`update-age`), remember-me, and freshness from `createdAt` (B8).
//!
//! Layer: `Auth`, since it works on a request ([`Ctx`]) and its cookies; where sessions are kept
//! is below, in [`Sessions`](crate::session::Sessions).

use std::sync::Arc;

use auth_core::schema::names::{session, user};

use crate::Auth;
use crate::error::ApiError;
use crate::http::Ctx;
use crate::session::SessionCtx;
use crate::store::{Row, Timestamp, Value, Where, text};
use crate::wire::id;

/// A rememberMe = false session lives one day, whatever `expires-in` says.
const DONT_REMEMBER_SECONDS: i64 = 86_400;

fn date(row: &Row, field: &str) -> Option<Timestamp> {
    row.get(field).and_then(Value::as_date)
}

impl Auth {
    /// The request's session, as better-auth's `getSession` finds it: no or badly signed cookie →
    /// none, silently; a usable cookie cache answers without the database (unless
    /// `?disableCookieCache`); a well-signed cookie without a live row → none, and the session
    /// cookies are expired (an expired row is deleted); a live row is extended when it was last
    /// extended more than `update-age` ago (not for rememberMe = false sessions, not with
    /// `?disableRefresh`), and its cookie re-issued; a row read re-issues the cookie cache.
    pub(crate) async fn session(&self, ctx: &mut Ctx) -> Result<Option<SessionCtx>, ApiError> {
        self.read_session(ctx, true).await
    }

    /// The session for sensitive work (better-auth's `getAuthoritativeSessionFromCtx`): read
    /// from the database, never from the cookie cache, unless sessions are stateless (the cache
    /// is then the only record).
    pub(crate) async fn authoritative_session(
        &self,
        ctx: &mut Ctx,
    ) -> Result<Option<SessionCtx>, ApiError> {
        self.read_session(ctx, self.stateless()).await
    }

    async fn read_session(
        &self,
        ctx: &mut Ctx,
        use_cache: bool,
    ) -> Result<Option<SessionCtx>, ApiError> {
        if let Some(found) = &ctx.plugin_session {
            return Ok(Some(found.clone()));
        }
        let inner = &self.inner;
        let cache_enabled = inner.config.cookie_cache_enabled();
        let token = ctx.cookies.get_signed(&inner.session_cookie, &inner.secret);
        if !cache_enabled {
            // A cache left from when the feature was on is cleared.
            let stale = self.expired_session_data_chunks(ctx);
            ctx.set_cookies.extend(stale);
        }
        let Some(token) = token else {
            return Ok(None);
        };
        let dont_remember = ctx
            .cookies
            .get_signed(&inner.dont_remember_cookie, &inner.secret)
            .is_some();
        if cache_enabled
            && use_cache
            && !ctx.query.flag("disableCookieCache")
            && let Some(found) = self.cached_session(ctx, &token, dont_remember)
        {
            return Ok(Some(found));
        }
        if self.stateless() {
            self.expire_session_cookies(ctx);
            return Ok(None);
        }
        let Some((mut session, user)) = self.sessions().find(&token).await? else {
            self.expire_session_cookies(ctx);
            return Ok(None);
        };
        let now = Timestamp::now();
        let expires_at = date(&session, session::EXPIRES_AT);
        if expires_at.is_none_or(|at| at.millis() <= now.millis()) {
            self.sessions().delete(&token).await?;
            self.expire_session_cookies(ctx);
            return Ok(None);
        }
        let options = &inner.config.session;
        let expires_in = i64::from(*options.expires_in.get_ref()) * 1000;
        let update_age = i64::from(*options.update_age.get_ref()) * 1000;
        let due =
            expires_at.is_some_and(|at| at.millis() - expires_in + update_age <= now.millis());
        if due
            && !dont_remember
            && !options.disable_session_refresh
            && !ctx.query.flag("disableRefresh")
        {
            let mut changes = Row::new();
            changes.insert(
                session::EXPIRES_AT.into(),
                Value::Date(now.plus_millis(expires_in)),
            );
            changes.insert(session::UPDATED_AT.into(), Value::Date(now));
            if !self.sessions().update(&token, changes.clone()).await? {
                self.expire_session_cookies(ctx);
                return Err(ApiError::base(
                    http::StatusCode::UNAUTHORIZED,
                    auth_core::errors::base::FAILED_TO_GET_SESSION,
                ));
            }
            session.extend(changes);
            self.set_session_cookie(ctx, &token, false);
            self.set_cookie_cache(ctx, &session, &user, false);
        } else if !dont_remember && !ctx.query.flag("disableRefresh") {
            self.set_cookie_cache(ctx, &session, &user, false);
        }
        Ok(Some(SessionCtx {
            session: Arc::new(session),
            user: Arc::new(user),
            dont_remember,
            answer: None,
        }))
    }

    /// Fresh: created less than `fresh-age` ago (0 = always). Never from `updatedAt` (B8).
    pub(crate) fn is_fresh(&self, session: &SessionCtx) -> bool {
        let fresh_age = i64::from(*self.inner.config.session.fresh_age.get_ref()) * 1000;
        fresh_age == 0
            || date(&session.session, session::CREATED_AT)
                .is_some_and(|created| Timestamp::now().millis() - created.millis() < fresh_age)
    }

    /// Signs `user_id` in: a new session row (token of 32 characters; one day when not
    /// remembered) with the request's address and user agent, its cookie (and `dont_remember`
    /// when not remembered; a remembered sign-in clears one left by an earlier sign-in). Returns
    /// the token.
    pub(crate) async fn start_session(
        &self,
        ctx: &mut Ctx,
        user_id: &str,
        remember: bool,
    ) -> Result<String, ApiError> {
        let lifetime = if remember {
            i64::from(*self.inner.config.session.expires_in.get_ref())
        } else {
            DONT_REMEMBER_SECONDS
        };
        self.start_session_with(ctx, user_id, remember, lifetime, Row::new())
            .await
    }

    /// [`Self::start_session`] with a lifetime of its own (seconds) and more session fields
    /// (admin's impersonation: `impersonatedBy`, one hour).
    pub(crate) async fn start_session_with(
        &self,
        ctx: &mut Ctx,
        user_id: &str,
        remember: bool,
        lifetime: i64,
        fields: Row,
    ) -> Result<String, ApiError> {
        let row = self.insert_session(ctx, user_id, lifetime, fields).await?;
        let token = text(&row, session::TOKEN);
        self.set_session_cookie(ctx, &token, !remember);
        if self.inner.config.cookie_cache_enabled()
            && let Some(user) = self
                .inner
                .store
                .find_one(user::MODEL, &[Where::eq(user::ID, user_id)])
                .await?
        {
            self.set_cookie_cache(ctx, &row, &user, !remember);
        }
        let dont_remember = &self.inner.dont_remember_cookie;
        if remember && ctx.cookies.get(dont_remember).is_some() {
            ctx.set_cookies
                .push(crate::wire::cookie::SetCookie::expired(
                    dont_remember.clone(),
                    self.inner.cookies.attributes(),
                ));
        }
        ctx.new_session = Some(row);
        Ok(token)
    }

    /// better-auth's `setSessionCookie` on a session that exists already (switching to it,
    /// handing it to another client), non-persistent when the request carries `dont_remember`:
    /// see [`Self::set_session`].
    pub(crate) fn adopt_session(&self, ctx: &mut Ctx, session: &Row, user: &Row) {
        let inner = &self.inner;
        let dont_remember = ctx
            .cookies
            .get_signed(&inner.dont_remember_cookie, &inner.secret)
            .is_some();
        self.set_session(ctx, session, user, dont_remember);
    }

    /// better-auth's `setSessionCookie` with `dontRememberMe` given: the session's cookie (and
    /// `dont_remember`, or its expiry when the request carries one), the cookie cache, and
    /// `ctx.new_session` (better-auth counts it as new, so multi-session adds its cookie).
    pub(crate) fn set_session(
        &self,
        ctx: &mut Ctx,
        session: &Row,
        user: &Row,
        dont_remember: bool,
    ) {
        let inner = &self.inner;
        self.set_session_cookie(ctx, &text(session, session::TOKEN), dont_remember);
        let carried = ctx
            .cookies
            .get_signed(&inner.dont_remember_cookie, &inner.secret)
            .is_some();
        if !dont_remember && carried {
            ctx.set_cookies
                .push(crate::wire::cookie::SetCookie::expired(
                    inner.dont_remember_cookie.clone(),
                    inner.cookies.attributes(),
                ));
        }
        if inner.config.cookie_cache_enabled() {
            self.set_cookie_cache(ctx, session, user, dont_remember);
        }
        ctx.new_session = Some(session.clone());
    }

    /// Stores a new session of `user_id` once every enabled plugin's session guard lets it
    /// (a banned user gets none, whatever signs them in).
    async fn insert_session(
        &self,
        ctx: &Ctx,
        user_id: &str,
        lifetime: i64,
        fields: Row,
    ) -> Result<Row, ApiError> {
        for guard in self.inner.plugins.iter().filter_map(|r| r.session_guard) {
            guard(self, user_id).await?;
        }
        let now = Timestamp::now();
        let mut row = fields;
        row.insert(session::TOKEN.into(), Value::String(id::generate()));
        row.insert(session::USER_ID.into(), Value::String(user_id.to_owned()));
        row.insert(
            session::EXPIRES_AT.into(),
            Value::Date(now.plus_millis(lifetime * 1000)),
        );
        row.insert(session::CREATED_AT.into(), Value::Date(now));
        row.insert(session::UPDATED_AT.into(), Value::Date(now));
        row.insert(
            session::IP_ADDRESS.into(),
            Value::String(ctx.client_ip.clone().unwrap_or_default()),
        );
        let agent = ctx
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        row.insert(session::USER_AGENT.into(), Value::String(agent.to_owned()));
        self.sessions().create(row).await
    }

    /// Sets the session cookie (and `dont_remember` when not remembered).
    fn set_session_cookie(&self, ctx: &mut Ctx, token: &str, dont_remember: bool) {
        let inner = &self.inner;
        let max_age =
            (!dont_remember).then(|| u64::from(*inner.config.session.expires_in.get_ref()));
        ctx.set_cookies.push(
            inner
                .cookies
                .session_token_cookie(token, &inner.secret, max_age),
        );
        if dont_remember {
            ctx.set_cookies
                .push(inner.cookies.dont_remember_cookie(&inner.secret));
        }
    }

    /// After a change to the session or its user: re-issues the session cookie (see
    /// [`Self::refresh_session_cookie`]) and the cookie cache with `session_row` and the user as
    /// stored now (better-auth's `setSessionCookie` after update-user, change-email, …).
    pub(crate) async fn refresh_session_cookies(
        &self,
        ctx: &mut Ctx,
        current: &SessionCtx,
        session_row: &Row,
    ) -> Result<(), ApiError> {
        self.refresh_session_cookie(ctx, current);
        if self.inner.config.cookie_cache_enabled() {
            let user = self
                .inner
                .store
                .find_one(user::MODEL, &[Where::eq(user::ID, current.user_id())])
                .await?
                .unwrap_or_else(|| Row::clone(&current.user));
            self.set_cookie_cache(ctx, session_row, &user, current.dont_remember);
        }
        Ok(())
    }

    /// Re-issues the current session's cookie, keeping it non-persistent when it was.
    pub(crate) fn refresh_session_cookie(&self, ctx: &mut Ctx, session: &SessionCtx) {
        let max_age = (!session.dont_remember)
            .then(|| u64::from(*self.inner.config.session.expires_in.get_ref()));
        let inner = &self.inner;
        ctx.set_cookies.push(inner.cookies.session_token_cookie(
            session.token(),
            &inner.secret,
            max_age,
        ));
    }

    /// Expires `session_token`, `session_data` (and the chunks the request carried) and
    /// `dont_remember`, in better-auth's `deleteSessionCookie` order.
    pub(crate) fn expire_session_cookies(&self, ctx: &mut Ctx) {
        let [token, data, dont_remember] = self.inner.cookies.expire_session_cookies();
        let chunks = self.expired_session_data_chunks(ctx);
        ctx.set_cookies.extend([token, data]);
        ctx.set_cookies.extend(chunks);
        ctx.set_cookies.push(dont_remember);
    }

    /// Are sessions kept only in the cookie cache (`[session] stateless`)?
    pub(crate) fn stateless(&self) -> bool {
        *self.inner.config.session.stateless.get_ref()
    }
}
