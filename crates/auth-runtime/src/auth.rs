//! [`Auth`]: one configured server — config, schema, store, secret, cookies, trusted origins and
//! the endpoint registry it routes from.
//!
//! Layer: `Auth`, above sessions, verification values, rate limits and the request/response
//! types; below the endpoints, the plugins and the pipeline. The parts of sessions that work on a
//! request are here too: [`request_session`] and [`cookie_cache`].

pub mod builder;
mod cookie_cache;
mod request_session;

use std::sync::Arc;

use crate::router::{MissingHandler, Router};
use auth_core::endpoints::{Endpoint, endpoints};
use auth_core::serving::{Unenforced, refuse_unserved};
use auth_core::{Config, ConfigError, Dialect, Schema};

use crate::hooks::{DatabaseHooks, JwtPayload};
use crate::http::{TrustedOrigins, origin_of};
use crate::mail::{
    MailError, MailQueue, Mailer, QueuePolicy, QueueStats, TemplateError, Templates,
};
use crate::migrate::{DatabaseUrl, MigrateError};
use crate::oauth::{OAuthError, Provider, ProviderConfig, ProviderKind};
use crate::plugins::SERVED;
use crate::rate_limit::{RateLimitError, RateLimiter};
use crate::secondary::SecondaryStorage;
use crate::session::Sessions;
use crate::store::{Models, Output, Row, Store, StoreError};
use crate::verification::Verifications;
use crate::wire::cookie::{
    CookieConfig, DONT_REMEMBER, SESSION_DATA, SESSION_TOKEN, secure_cookies,
};
use crate::wire::{PasswordHasher, Secret};

/// What [`Auth::new`] needs besides the config, the store and the secret.
#[derive(Clone, Default)]
pub struct AuthOptions {
    /// The public URL when `auth.toml` has no `base-url` (`serve` passes `http://HOST:PORT`).
    pub base_url: Option<String>,
    /// Password hashing (default: one job per core).
    pub hasher: Option<PasswordHasher>,
    /// How mail leaves the server (default: from `[mailer]` in auth.toml). It is sent from a
    /// background [`MailQueue`] unless it is [inline](Mailer::inline).
    pub mailer: Option<Arc<dyn Mailer>>,
    /// Where provider credentials are read (default: the process environment).
    pub env: Option<Arc<EnvLookup>>,
    /// The key-value store for sessions, verification values and rate-limit counters (default:
    /// from `[secondary-storage]` in auth.toml).
    pub secondary_storage: Option<Arc<dyn SecondaryStorage>>,
    /// Hooks around every creation and update of a row ([`DatabaseHooks`]).
    pub hooks: DatabaseHooks,
    /// The jwt plugin's claims (default: the whole user), [`JwtPayload`].
    pub jwt_payload: Option<JwtPayload>,
}

impl std::fmt::Debug for AuthOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthOptions")
            .field("base_url", &self.base_url)
            .field("mailer", &self.mailer)
            .field("secondary_storage", &self.secondary_storage)
            .field("hooks", &self.hooks)
            .field("jwt_payload", &self.jwt_payload)
            .finish_non_exhaustive()
    }
}

/// Reads one environment variable.
pub type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Why a server cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The configuration does not validate.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No base URL is configured or given.
    #[error("no base URL: set `base-url` in auth.toml (for example \"https://auth.example.com\")")]
    NoBaseUrl,
    /// The base URL is not an http(s) URL.
    #[error("base URL `{0}` is not an http(s) URL")]
    BadBaseUrl(String),
    /// The database could not be opened or read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The mailer could not be set up (an SMTP URL that does not parse, say).
    #[error("mailer: {0}")]
    Mailer(#[from] MailError),
    /// A mail or SMS template does not parse or render.
    #[error("mail templates: {0}")]
    Templates(#[from] TemplateError),
    /// A social provider's configuration is incomplete or its discovery failed.
    #[error("social provider: {0}")]
    Provider(#[from] OAuthError),
    /// The secondary storage (Redis) could not be reached.
    #[error(transparent)]
    SecondaryStorage(#[from] crate::secondary::StorageError),
    /// The rate limiter's configuration cannot be served.
    #[error(transparent)]
    RateLimit(#[from] RateLimitError),
    /// The database holds the data of plugins that guard sign-in, and auth.toml leaves them out.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Unenforced(Vec<Unenforced>),
    /// An endpoint of the registry has no handler (a plugin declared more than it serves).
    #[error(transparent)]
    MissingHandler(#[from] MissingHandler),
    /// The database's tables could not be read to check for [`AuthError::Unenforced`].
    #[error("cannot read the database's tables: {0}")]
    Introspect(#[from] MigrateError),
}

/// The social providers of `config`, then generic-oauth's, whose client id and secret are in
/// the environment; the others are left out with a warning (sign-in with them answers `PROVIDER_NOT_FOUND`).
fn providers(
    config: &Config,
    api_url: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Provider>, AuthError> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .map_err(|e| OAuthError::Config(format!("HTTP client: {e}")))?;
    let mut out = Vec::new();
    for (id, provider) in config.social_providers.iter() {
        let (id, provider) = (id.get_ref(), provider.get_ref());
        let (client_id, client_secret) = match provider.credentials(id, env) {
            Ok(credentials) => credentials,
            Err(warning) => {
                tracing::warn!(provider = %id, "{warning}");
                continue;
            }
        };
        let kind = match (&provider.issuer, id.as_str()) {
            (Some(issuer), _) => ProviderKind::Oidc {
                issuer: issuer.get_ref().clone(),
            },
            (None, "github") => ProviderKind::Github,
            (None, "google") => ProviderKind::Google,
            (None, "microsoft") => ProviderKind::Microsoft {
                tenant: provider
                    .tenant_id
                    .clone()
                    .unwrap_or_else(|| "common".to_owned()),
            },
            (None, "discord") => ProviderKind::Discord,
            (None, "apple") => ProviderKind::Apple,
            // `Config::parse` refuses other ids without an issuer.
            (None, other) => {
                return Err(OAuthError::Config(format!("unknown provider {other}")).into());
            }
        };
        let mut settings = ProviderConfig::new(
            id.clone(),
            kind,
            client_id,
            client_secret,
            callback_url(api_url, id),
        );
        settings.scopes = provider.scopes.clone();
        settings.disable_default_scopes = provider.disable_default_scopes;
        out.push(Provider::new(settings, http.clone())?);
    }
    let generic = config.plugins.generic_oauth_options();
    for (id, provider) in generic.providers.iter() {
        let (id, provider) = (id.get_ref(), provider.get_ref());
        // With private_key_jwt the private JWK stands where the secret would.
        let key_env = provider.private_key_jwk_env(id);
        let credentials = match auth_core::config::provider_credentials(
            id,
            provider.client_id_env.as_deref(),
            key_env.as_deref().or(provider.client_secret_env.as_deref()),
            env,
        ) {
            Ok(credentials) => credentials,
            Err(warning) => {
                tracing::warn!(provider = %id, "{warning}");
                continue;
            }
        };
        let settings =
            ProviderConfig::generic(id, provider, credentials, callback_url(api_url, id))?;
        out.push(Provider::new(settings, http.clone())?);
    }
    Ok(out)
}

/// The exact redirect URI a provider must have registered: `<api url>/callback/<id>` (B6).
pub fn callback_url(api_url: &str, provider: &str) -> String {
    format!("{api_url}/callback/{provider}")
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
    /// The schema with `session` and `verification` even when they are kept outside the
    /// database: the fields of every model the API reads and writes.
    pub(crate) models: Models,
    pub(crate) store: Store,
    pub(crate) secret: Secret,
    pub(crate) hasher: PasswordHasher,
    pub(crate) cookies: CookieConfig,
    /// The names get-session reads on every request, computed once.
    pub(crate) session_cookie: String,
    pub(crate) dont_remember_cookie: String,
    pub(crate) session_data_cookie: String,
    pub(crate) trusted: TrustedOrigins,
    /// `scheme://host[:port]` of the base URL.
    pub(crate) base_origin: String,
    /// The base URL with the base path: `http://127.0.0.1:3000/api/auth`.
    pub(crate) api_url: String,
    /// The registry's endpoints (core's and the enabled plugins') with their handlers.
    pub(crate) router: Router,
    /// The enabled plugins' runtimes, in plugin order (their hooks run on every request).
    pub(crate) plugins: Vec<&'static crate::plugins::Runtime>,
    pub(crate) mailer: Option<MailQueue>,
    /// How text messages leave (`[sms]`), through a queue of their own.
    pub(crate) sms: Option<MailQueue>,
    /// The words of mails and text messages (`[mailer] templates`).
    pub(crate) templates: Templates,
    /// Social providers whose credentials are set.
    pub(crate) providers: Vec<Provider>,
    pub(crate) secondary: Option<Arc<dyn SecondaryStorage>>,
    pub(crate) sessions: Sessions,
    pub(crate) verifications: Verifications,
    /// `None` when `[rate-limit]` is off.
    pub(crate) rate_limiter: Option<RateLimiter>,
    pub(crate) jwt_payload: Option<JwtPayload>,
    /// `session_data` values verified already, with what they hold.
    pub(crate) verified_caches: cookie_cache::VerifiedCaches,
}

impl Auth {
    /// Builds the schema from `config` and connects to `url` (`sqlite:PATH`, `postgres://…`,
    /// `mysql://…`). The database must already have the schema (`auth-cli migrate apply`), and
    /// must not hold the data of a plugin that guards sign-in unless `config` enables it
    /// ([`AuthError::Unenforced`]: a database shared with better-auth where two-factor or bans are
    /// in use).
    pub async fn connect(
        config: Config,
        dialect: Dialect,
        url: &str,
        secret: Secret,
        options: AuthOptions,
    ) -> Result<Self, AuthError> {
        refuse_unserved(&config, SERVED)?;
        let schema = Schema::build(&config)?;
        let store = Store::connect(&schema, dialect, url).await?;
        let found = builder::findings(&config, &schema, &DatabaseUrl::parse(url)?, true).await?;
        if !found.unenforced.is_empty() {
            return Err(AuthError::Unenforced(found.unenforced));
        }
        Self::new(config, store, secret, options)
    }

    /// A server over an existing store (built from the same config's schema).
    ///
    /// Refuses a config that enables a plugin this runtime does not serve
    /// ([`SERVED`](crate::plugins::SERVED)). Unlike [`Auth::connect`] it cannot look into the
    /// database: a store on a database shared with better-auth is checked with
    /// [`Auth::connect`] (or `auth-cli serve`).
    pub fn new(
        config: Config,
        store: Store,
        secret: Secret,
        options: AuthOptions,
    ) -> Result<Self, AuthError> {
        refuse_unserved(&config, SERVED)?;
        auth_core::plugins::check(&config)?;
        let schema = Schema::build(&config)?;
        let models = Models::new(
            if config.session_in_database() && config.verification_in_database() {
                schema.clone()
            } else {
                // Sessions or verification values kept outside the database still have
                // better-auth's fields: the schema as if they were in it describes them.
                let mut all = config.with_stored_sessions();
                all.session.store_in_database = true;
                all.verification.store_in_database = true;
                Schema::build(&all)?
            },
        );
        // Hooks may name models kept outside the database (sessions in a secondary storage).
        if let Some(unknown) = options.hooks.models().find(|m| models.model(m).is_none()) {
            return Err(StoreError::UnknownModel(unknown.to_owned()).into());
        }
        let hooks = crate::plugins::enabled(&schema.plugins)
            .filter_map(|r| r.database_hooks)
            .fold(options.hooks, |hooks, add| add(&config, hooks));
        let store = store.with_hooks(hooks);
        let secondary = match (options.secondary_storage, &config.secondary_storage) {
            (Some(storage), _) => Some(storage),
            (None, Some(storage)) => Some(crate::secondary::from_config(storage.get_ref())?),
            (None, None) => None,
        };
        let mut rate_limiter = RateLimiter::new(
            &config.rate_limit,
            auth_core::plugins::rate_rules(&config),
            secondary.as_ref(),
        )?;
        if rate_limiter.is_some() && config.advanced.disable_ip_tracking {
            tracing::warn!(
                "[advanced] disable-ip-tracking is set: without client addresses requests are not rate limited (as in better-auth)"
            );
            rate_limiter = None;
        }
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
        let mut handlers = vec![crate::routes::HANDLERS];
        let plugins: Vec<_> = crate::plugins::enabled(&schema.plugins).collect();
        handlers.extend(plugins.iter().map(|r| r.handlers));
        let router = Router::new(endpoints(&config), &handlers)?;
        let mailer = match options.mailer {
            Some(mailer) => Some(mailer),
            None => config
                .mailer
                .as_ref()
                .map(|m| crate::mail::from_config(m.get_ref()))
                .transpose()?,
        };
        let policy = config
            .mailer
            .as_ref()
            .map_or_else(QueuePolicy::default, |m| {
                QueuePolicy::from_config(m.get_ref())
            });
        let mailer = mailer.map(|mailer| MailQueue::new(mailer, policy));
        let process_env = |name: &str| std::env::var(name).ok();
        let env: &dyn Fn(&str) -> Option<String> = match &options.env {
            Some(env) => env.as_ref(),
            None => &process_env,
        };
        let providers = providers(&config, &api_url, env)?;
        let sms = config
            .sms
            .as_ref()
            .map(|sms| {
                let sms = sms.get_ref();
                crate::mail::sms_from_config(sms, env)
                    .map(|sender| MailQueue::new(sender, QueuePolicy::from_sms(sms)))
            })
            .transpose()?;
        let templates = Templates::for_config(&config)?;
        let session_cookie = cookies.name(SESSION_TOKEN);
        let dont_remember_cookie = cookies.name(DONT_REMEMBER);
        let session_data_cookie = cookies.name(SESSION_DATA);
        let sessions = Sessions::new(&config, store.clone(), secondary.clone(), models.clone());
        let verifications =
            Verifications::new(&config, store.clone(), secondary.clone(), models.clone());
        Ok(Self {
            inner: Arc::new(Inner {
                providers,
                session_cookie,
                dont_remember_cookie,
                session_data_cookie,
                schema,
                store,
                secret,
                hasher: options.hasher.unwrap_or_default(),
                cookies,
                trusted,
                base_origin,
                api_url,
                router,
                plugins,
                mailer,
                sms,
                templates,
                secondary,
                models,
                sessions,
                verifications,
                rate_limiter,
                jwt_payload: options.jwt_payload,
                verified_caches: cookie_cache::VerifiedCaches::default(),
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

    /// Where the sessions are kept.
    pub(crate) fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    /// Where the verification values are kept.
    pub(crate) fn verifications(&self) -> &Verifications {
        &self.inner.verifications
    }

    /// A row as the API returns it ([`Output`]), as a JSON value.
    pub(crate) fn output(&self, model: &str, row: &Row) -> serde_json::Value {
        self.inner.models.output(model, row)
    }

    /// A row as the API returns it, to be serialised straight into a response.
    pub(crate) fn output_of<'a>(&'a self, model: &str, row: &'a Row) -> Output<'a> {
        self.inner.models.output_of(model, row)
    }

    /// The Schema IR every query is built from.
    pub fn schema(&self) -> &Schema {
        &self.inner.schema
    }

    /// The endpoints this server routes, from the registry.
    pub fn endpoints(&self) -> &[Endpoint] {
        self.inner.router.endpoints()
    }

    /// The origins this server trusts (also for CORS).
    pub fn trusted_origins(&self) -> &TrustedOrigins {
        &self.inner.trusted
    }

    /// What the mail queue has sent, given up and refused so far (`None` without a mailer).
    pub fn mail_stats(&self) -> Option<QueueStats> {
        self.inner.mailer.as_ref().map(MailQueue::stats)
    }

    /// Stops taking mail and waits up to `within` for queued mail to leave
    /// ([`MailQueue::drain`]); mail still queued then is logged as lost. Call it once the HTTP
    /// server has stopped (`auth-cli serve` does): a mail-sending request after it answers 503.
    /// Text messages (`[sms]`) are drained the same way, at the same time.
    pub async fn shutdown(&self, within: std::time::Duration) -> Option<QueueStats> {
        async fn drain(
            queue: Option<&MailQueue>,
            within: std::time::Duration,
        ) -> Option<QueueStats> {
            match queue {
                Some(queue) => Some(queue.drain(within).await),
                None => None,
            }
        }
        let (mail, _) = futures_util::future::join(
            drain(self.inner.mailer.as_ref(), within),
            drain(self.inner.sms.as_ref(), within),
        )
        .await;
        mail
    }
}
