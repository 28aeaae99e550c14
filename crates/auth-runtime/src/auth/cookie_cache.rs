//! The cookie cache on a request's session read/write path (better-auth's `setCookieCache`, the
//! cache branch of `getSession`, and the `session_data` chunk store): the encodings themselves
//! are in [`crate::wire::cookie_cache`].
//!
//! Layer: `Auth`, since it reads and sets the cookies of a request ([`Ctx`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use serde_json::Value as Json;

use auth_core::schema::names::{session, user};

use crate::Auth;
use crate::http::Ctx;
use crate::session::SessionCtx;
use crate::store::{Row, Timestamp};
use crate::wire::cookie::{CookieAttributes, SetCookie};
use crate::wire::cookie_cache;

/// better-auth's per-cookie byte ceiling before `session_data` is split into `.0`, `.1`, …
const MAX_COOKIE_SIZE: usize = 4050;

/// How many verified `session_data` values a server remembers (about 2 KB each).
const VERIFIED_CAPACITY: usize = 1024;

/// What a genuine `session_data` value holds, kept so that the next request sending the same
/// value (every request of a signed-in client until the cache is re-issued) skips the HMAC (or
/// the decryption), both JSON reads, building the rows and writing get-session's answer: on a
/// cookie-cache hit those were most of get-session's work. Keyed by the value's exact text,
/// which carries its own signature, so only a client presenting those very bytes gets the entry
/// — as without the memo.
#[derive(Debug)]
pub(crate) struct Verified {
    /// The embedded session's token: it must equal the session cookie's.
    token: String,
    /// The embedded session's `expiresAt`, epoch milliseconds.
    session_expires_at: i64,
    /// The cache's own expiry, epoch milliseconds.
    expires_at: i64,
    session: Arc<Row>,
    user: Arc<Row>,
    /// get-session's answer for these rows, once a request asked for it.
    answer: Arc<OnceLock<Bytes>>,
}

impl Verified {
    /// As better-auth's `getSession` accepts a cache: for the request's session token, neither
    /// the cache nor the session in it expired.
    fn usable(&self, token: &str, now: i64) -> bool {
        self.token == token && self.expires_at >= now && self.session_expires_at >= now
    }
}

/// The verified values, bounded: when full it starts again from empty (a miss costs one
/// verification, never a wrong answer). Keys are hashed with foldhash rather than SipHash: a key
/// is ~1.5 KB, hashed on every cached get-session, and only values the server itself signed get
/// in, so nobody can choose keys to collide.
#[derive(Debug, Default)]
pub(crate) struct VerifiedCaches(
    Mutex<HashMap<String, Arc<Verified>, foldhash::fast::RandomState>>,
);

impl VerifiedCaches {
    fn get(&self, value: &str) -> Option<Arc<Verified>> {
        self.0.lock().ok()?.get(value).cloned()
    }

    fn insert(&self, value: String, verified: Verified) -> Arc<Verified> {
        let verified = Arc::new(verified);
        if let Ok(mut entries) = self.0.lock() {
            if entries.len() >= VERIFIED_CAPACITY {
                entries.clear();
            }
            entries.insert(value, Arc::clone(&verified));
        }
        verified
    }
}

impl Auth {
    /// The session from a usable `session_data` cookie for `token`, as better-auth's
    /// `getSession` accepts it: verified or decrypted, version matching, cache and embedded
    /// session not expired, embedded token equal to the session cookie's. A cache that is present
    /// but unusable is expired (and `None` returned, so the caller reads the database). With
    /// stateless sessions a cache with less than 20 % of its lifetime left is re-issued.
    pub(crate) fn cached_session(
        &self,
        ctx: &mut Ctx,
        token: &str,
        dont_remember: bool,
    ) -> Option<SessionCtx> {
        let inner = &self.inner;
        let value = self.session_data_value(ctx)?;
        let now = Timestamp::now().millis();
        let verified = inner
            .verified_caches
            .get(&value)
            .or_else(|| self.verify_cache(value.into_owned()));
        let Some(verified) = verified.filter(|v| v.usable(token, now)) else {
            ctx.set_cookies.push(SetCookie::expired(
                inner.session_data_cookie.clone(),
                inner.cookies.attributes(),
            ));
            return None;
        };
        let found = SessionCtx {
            session: Arc::clone(&verified.session),
            user: Arc::clone(&verified.user),
            dont_remember,
            answer: Some(Arc::clone(&verified.answer)),
        };
        // better-auth: `Math.floor(maxAge * 0.2)` seconds.
        let config = &inner.config;
        let refresh_window = i64::from(config.cookie_cache_max_age() / 5) * 1000;
        if *config.session.stateless.get_ref() && verified.expires_at - now < refresh_window {
            self.set_cookie_cache(ctx, &found.session, &found.user, false);
            self.refresh_session_cookie(ctx, &found);
        }
        Some(found)
    }

    /// Verifies (or decrypts) a `session_data` value not seen before and, when it is genuine,
    /// of this configuration's version and whole, keeps what it holds for the next request
    /// that sends it. Expiry is not judged here: [`Verified::usable`] does, on every use.
    fn verify_cache(&self, value: String) -> Option<Arc<Verified>> {
        let inner = &self.inner;
        let config = &inner.config;
        let cache = cookie_cache::decode(
            config.cookie_cache_strategy(),
            &value,
            &inner.secret,
            Timestamp::now().millis(),
        )?;
        if cache.version() != config.session.cookie_cache.version.get_ref() {
            return None;
        }
        let (session, user) = (cache.session()?, cache.user()?);
        let text = |field| session.get(field).and_then(Json::as_str);
        let verified = Verified {
            token: text(session::TOKEN)?.to_owned(),
            session_expires_at: text(session::EXPIRES_AT)
                .and_then(Timestamp::parse_iso)?
                .millis(),
            expires_at: cache.expires_at,
            session: Arc::new(
                inner
                    .models
                    .row_of(session::MODEL, |field| session.get(field)),
            ),
            user: Arc::new(inner.models.row_of(user::MODEL, |field| user.get(field))),
            answer: Arc::default(),
        };
        Some(inner.verified_caches.insert(value, verified))
    }

    /// The request's `session_data` value, joined from its chunks when it was split.
    fn session_data_value<'c>(&self, ctx: &'c Ctx) -> Option<Cow<'c, str>> {
        let name = &self.inner.session_data_cookie;
        if let Some(value) = ctx.cookies.get(name) {
            return Some(Cow::Borrowed(value));
        }
        let mut chunks: Vec<(usize, &str)> = ctx
            .cookies
            .iter()
            .filter_map(|(cookie, value)| Some((chunk_index(name, cookie)?, value)))
            .collect();
        if chunks.is_empty() {
            return None;
        }
        chunks.sort_by_key(|(index, _)| *index);
        Some(Cow::Owned(
            chunks.into_iter().map(|(_, value)| value).collect(),
        ))
    }

    /// better-auth's `setCookieCache`: when the cache is on, writes `session_data` for this
    /// session and user (split in chunks past 4050 bytes; chunks the request carried are
    /// expired first). Its `Max-Age` is the cache's, none for a rememberMe = false session.
    pub(crate) fn set_cookie_cache(
        &self,
        ctx: &mut Ctx,
        session: &Row,
        user: &Row,
        dont_remember: bool,
    ) {
        let inner = &self.inner;
        let config = &inner.config;
        if !config.cookie_cache_enabled() {
            return;
        }
        let max_age = (!dont_remember).then(|| config.cookie_cache_max_age());
        let payload = cookie_cache::payload(
            self.output(session::MODEL, session),
            self.output(user::MODEL, user),
            Timestamp::now().millis(),
            config.session.cookie_cache.version.get_ref(),
        );
        let value = cookie_cache::encode(
            config.cookie_cache_strategy(),
            &payload,
            &inner.secret,
            Timestamp::now().millis(),
            max_age,
        );
        let attributes = CookieAttributes {
            max_age: max_age.map(u64::from),
            ..inner.cookies.attributes()
        };
        let mut cookies = self.expired_session_data_chunks(ctx);
        let name = &inner.session_data_cookie;
        let overhead = SetCookie::plain(format!("{name}.99"), "", attributes.clone())
            .to_header_value()
            .map_or(MAX_COOKIE_SIZE, |line| line.len());
        let chunk_size = MAX_COOKIE_SIZE.saturating_sub(overhead).max(1);
        let written: Vec<SetCookie> = if value.len() <= chunk_size {
            vec![SetCookie::plain(name.clone(), &value, attributes)]
        } else {
            // The value is base64url and dots: ASCII, so byte chunks are character chunks.
            value
                .as_bytes()
                .chunks(chunk_size)
                .enumerate()
                .map(|(i, chunk)| {
                    SetCookie::plain(
                        format!("{name}.{i}"),
                        &String::from_utf8_lossy(chunk),
                        attributes.clone(),
                    )
                })
                .collect()
        };
        // A chunk rewritten keeps the place of its expiry (better-auth's object of cookies).
        for cookie in written {
            match cookies.iter_mut().find(|c| c.name == cookie.name) {
                Some(slot) => *slot = cookie,
                None => cookies.push(cookie),
            }
        }
        ctx.set_cookies.extend(cookies);
    }

    /// Expiries for the `session_data` cookie and chunks the request carried (the chunk store's
    /// `clean()`).
    pub(crate) fn expired_session_data_chunks(&self, ctx: &Ctx) -> Vec<SetCookie> {
        let name = &self.inner.session_data_cookie;
        ctx.cookies
            .iter()
            .filter(|(cookie, _)| cookie == name || chunk_index(name, cookie).is_some())
            .map(|(cookie, _)| {
                SetCookie::expired(cookie.to_owned(), self.inner.cookies.attributes())
            })
            .collect()
    }
}

/// `n` when `cookie` is `<name>.<n>` (`n` a canonical non-negative integer).
fn chunk_index(name: &str, cookie: &str) -> Option<usize> {
    let suffix = cookie.strip_prefix(name)?.strip_prefix('.')?;
    let index: usize = suffix.parse().ok()?;
    (index.to_string() == suffix).then_some(index)
}
