//! [`Auth`]: one configured server — config, schema, store, secret, cookies, trusted origins and
//! the endpoint registry it routes from.

use std::sync::Arc;

use auth_core::endpoints::{Endpoint, endpoints};
use auth_core::{Config, ConfigError, Dialect, Schema};

use crate::http::{TrustedOrigins, origin_of};
use crate::mail::{MailError, Mailer};
use crate::store::{Store, StoreError};
use crate::wire::cookie::{CookieConfig, secure_cookies};
use crate::wire::{PasswordHasher, Secret};

/// What [`Auth::new`] needs besides the config, the store and the secret.
#[derive(Clone, Default)]
pub struct AuthOptions {
    /// The public URL when `auth.toml` has no `base-url` (`serve` passes `http://HOST:PORT`).
    pub base_url: Option<String>,
    /// Password hashing (default: one job per core).
    pub hasher: Option<PasswordHasher>,
    /// How mail leaves the server (default: from `[mailer]` in auth.toml).
    pub mailer: Option<Arc<dyn Mailer>>,
}

impl std::fmt::Debug for AuthOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthOptions")
            .field("base_url", &self.base_url)
            .field("mailer", &self.mailer)
            .finish_non_exhaustive()
    }
}

/// Why a server cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "no base URL: set `base-url` in auth.toml (for example \"https://auth.example.com\")"
    )]
    NoBaseUrl,
    #[error("base URL `{0}` is not an http(s) URL")]
    BadBaseUrl(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("mailer: {0}")]
    Mailer(#[from] MailError),
}

/// A configured auth server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Auth {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) schema: Schema,
    pub(crate) store: Store,
    pub(crate) secret: Secret,
    pub(crate) hasher: PasswordHasher,
    pub(crate) cookies: CookieConfig,
    pub(crate) trusted: TrustedOrigins,
    /// `scheme://host[:port]` of the base URL.
    pub(crate) base_origin: String,
    /// The base URL with the base path: `http://127.0.0.1:3000/api/auth`.
    pub(crate) api_url: String,
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) mailer: Option<Arc<dyn Mailer>>,
}

impl Auth {
    /// Builds the schema from `config` and connects to `url` (`sqlite:PATH`, `postgres://…`,
    /// `mysql://…`). The database must already have the schema (`auth-cli migrate apply`).
    pub async fn connect(
        config: Config,
        dialect: Dialect,
        url: &str,
        secret: Secret,
        options: AuthOptions,
    ) -> Result<Self, AuthError> {
        let schema = Schema::build(&config)?;
        let store = Store::connect(&schema, dialect, url).await?;
        Self::new(config, store, secret, options)
    }

    /// A server over an existing store (built from the same config's schema).
    pub fn new(
        config: Config,
        store: Store,
        secret: Secret,
        options: AuthOptions,
    ) -> Result<Self, AuthError> {
        let schema = Schema::build(&config)?;
        let base_url = config
            .base_url
            .as_ref()
            .map(|u| u.get_ref().clone())
            .or(options.base_url)
            .ok_or(AuthError::NoBaseUrl)?;
        let base_origin =
            origin_of(&base_url).ok_or_else(|| AuthError::BadBaseUrl(base_url.clone()))?;
        let configured: Vec<String> = config
            .trusted_origins
            .iter()
            .map(|o| o.get_ref().clone())
            .collect();
        let trusted = TrustedOrigins::new(&base_url, &configured);
        let secure = secure_cookies(config.advanced.use_secure_cookies, Some(&base_url), false);
        let cookies = CookieConfig::new(&config.advanced.cookie_prefix, secure);
        let api_url = format!("{base_origin}{}", config.base_path());
        let endpoints = endpoints(&config)
            .into_iter()
            .filter(|e| crate::routes::route(e.method, e.path).is_some())
            .collect();
        let mailer = match options.mailer {
            Some(mailer) => Some(mailer),
            None => config
                .mailer
                .as_ref()
                .map(|m| crate::mail::from_config(m.get_ref()))
                .transpose()?,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                schema,
                store,
                secret,
                hasher: options.hasher.unwrap_or_default(),
                cookies,
                trusted,
                base_origin,
                api_url,
                endpoints,
                mailer,
                config,
            }),
        })
    }

    /// Where the API is mounted (`/api/auth`).
    pub fn base_path(&self) -> &str {
        self.inner.config.base_path()
    }

    /// The API's public URL (`http://127.0.0.1:3000/api/auth`).
    pub fn api_url(&self) -> &str {
        &self.inner.api_url
    }

    /// The store the server reads and writes.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The Schema IR every query is built from.
    pub fn schema(&self) -> &Schema {
        &self.inner.schema
    }

    /// The endpoints this server routes, from the registry.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.inner.endpoints
    }

    /// The origins this server trusts (also for CORS).
    pub fn trusted_origins(&self) -> &TrustedOrigins {
        &self.inner.trusted
    }
}
