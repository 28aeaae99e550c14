//! The server's options in `auth.toml`: base URL, trusted origins, session lifetimes, mail,
//! social providers, cookies. Checked at load, so a server never starts on a configuration that
//! cannot work (a flow that sends mail without a mailer, a provider without an id, …).

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{Config, ConfigError, IpRange, RateLimitRule, closest};

/// `[session]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Session {
    /// Keep sessions in the database when a secondary storage holds them.
    #[serde(default)]
    pub store_in_database: bool,
    /// Lifetime of a session in seconds (better-auth's `expiresIn`, 7 days).
    #[serde(default = "seven_days")]
    #[schemars(with = "u32")]
    pub expires_in: Spanned<u32>,
    /// A session is extended on use once it was last extended this many seconds ago (1 day).
    #[serde(default = "one_day")]
    #[schemars(with = "u32")]
    pub update_age: Spanned<u32>,
    /// A session is fresh for this many seconds after it was created (1 day; 0 = always fresh).
    /// Freshness counts from `createdAt`, never from `updatedAt` (B8).
    #[serde(default = "one_day")]
    #[schemars(with = "u32")]
    pub fresh_age: Spanned<u32>,
    /// Never extend sessions on use.
    #[serde(default)]
    pub disable_session_refresh: bool,
    /// Keep sessions only in the signed/encrypted cookie cache, with no session table
    /// (better-auth without a database): the cache is forced on (`jwe`, `max-age = expires-in`)
    /// and re-issued when less than 20 % of its lifetime remains. A session cannot be revoked
    /// server-side before its cookie expires.
    #[serde(default = "no")]
    #[schemars(with = "bool")]
    pub stateless: Spanned<bool>,
    /// `[session.cookie-cache]`: the session and user copied into a `session_data` cookie.
    #[serde(default)]
    pub cookie_cache: CookieCache,
}

/// `[session.cookie-cache]` (better-auth's `session.cookieCache`): get-session answers from a
/// signed or encrypted copy of the session in the `session_data` cookie while it is younger
/// than `max-age`, without reading the database.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CookieCache {
    /// Off by default (always on with `stateless = true`).
    #[serde(default = "no")]
    #[schemars(with = "bool")]
    pub enabled: Spanned<bool>,
    /// Lifetime of the cached copy in seconds (300; `expires-in` when stateless).
    #[schemars(with = "Option<u32>")]
    pub max_age: Option<Spanned<u32>>,
    /// How the copy is protected (`compact`; `jwe` when stateless).
    #[schemars(with = "Option<CookieCacheStrategy>")]
    pub strategy: Option<Spanned<CookieCacheStrategy>>,
    /// A cache written with another version is ignored: change it to invalidate every cache.
    #[serde(default = "version_one")]
    #[schemars(with = "String")]
    pub version: Spanned<String>,
}

impl Default for CookieCache {
    fn default() -> Self {
        Self {
            enabled: no(),
            max_age: None,
            strategy: None,
            version: version_one(),
        }
    }
}

/// The encodings of better-auth's `session_data` cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CookieCacheStrategy {
    /// base64url JSON with an HMAC-SHA256 signature (better-auth's default).
    Compact,
    /// An HS256 JWT.
    Jwt,
    /// An encrypted JWT (`dir`, `A256CBC-HS512`).
    Jwe,
}

fn version_one() -> Spanned<String> {
    Spanned::new(0..0, "1".to_owned())
}

impl Default for Session {
    fn default() -> Self {
        Self {
            store_in_database: false,
            expires_in: seven_days(),
            update_age: one_day(),
            fresh_age: one_day(),
            disable_session_refresh: false,
            stateless: no(),
            cookie_cache: CookieCache::default(),
        }
    }
}

/// `[email-and-password]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EmailAndPassword {
    #[serde(default)]
    pub enabled: bool,
    /// Sign-in is refused (403 `EMAIL_NOT_VERIFIED`) until the address is verified; needs a mailer.
    #[serde(default = "no")]
    #[schemars(with = "bool")]
    pub require_email_verification: Spanned<bool>,
    /// Sign the user in right after sign-up (default true).
    #[serde(default = "yes")]
    pub auto_sign_in: bool,
    #[serde(default = "min_password")]
    #[schemars(with = "u32")]
    pub min_password_length: Spanned<u32>,
    #[serde(default = "max_password")]
    #[schemars(with = "u32")]
    pub max_password_length: Spanned<u32>,
    /// Password reset by mail (`/request-password-reset`, `/reset-password`); needs a mailer.
    #[serde(default = "no")]
    #[schemars(with = "bool")]
    pub reset_password: Spanned<bool>,
    /// Lifetime of a reset token in seconds (1 hour).
    #[serde(default = "one_hour")]
    pub reset_password_token_expires_in: u32,
    /// Sign the user out everywhere after a password reset.
    #[serde(default)]
    pub revoke_sessions_on_password_reset: bool,
}

impl Default for EmailAndPassword {
    fn default() -> Self {
        Self {
            enabled: false,
            require_email_verification: no(),
            auto_sign_in: true,
            min_password_length: min_password(),
            max_password_length: max_password(),
            reset_password: no(),
            reset_password_token_expires_in: 3600,
            revoke_sessions_on_password_reset: false,
        }
    }
}

/// `[email-verification]`: verification mails are sent when a `[mailer]` exists.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EmailVerification {
    /// Send a verification mail on sign-up (default: `require-email-verification`).
    #[schemars(with = "Option<bool>")]
    pub send_on_sign_up: Option<Spanned<bool>>,
    /// Send it again when an unverified user tries to sign in.
    #[serde(default)]
    pub send_on_sign_in: bool,
    /// Create a session when the link is opened.
    #[serde(default)]
    pub auto_sign_in_after_verification: bool,
    /// Lifetime of the link in seconds (1 hour).
    #[serde(default = "one_hour")]
    pub expires_in: u32,
}

impl Default for EmailVerification {
    fn default() -> Self {
        Self {
            send_on_sign_up: None,
            send_on_sign_in: false,
            auto_sign_in_after_verification: false,
            expires_in: 3600,
        }
    }
}

/// `[user]`: what users may do to their own account.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct UserOptions {
    #[serde(default)]
    pub change_email: ChangeEmail,
    #[serde(default)]
    pub delete_user: DeleteUser,
}

/// `[user.change-email]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ChangeEmail {
    #[serde(default = "no")]
    #[schemars(with = "bool")]
    pub enabled: Spanned<bool>,
    /// An unverified user's address changes at once (a verification mail goes to the new one).
    #[serde(default)]
    pub update_email_without_verification: bool,
    /// A verified user first confirms from the old address.
    #[serde(default)]
    pub send_change_email_confirmation: bool,
}

/// `[user.delete-user]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DeleteUser {
    #[serde(default)]
    pub enabled: bool,
    /// Deletion is confirmed by a link sent by mail; needs a mailer.
    #[serde(default = "no")]
    #[schemars(with = "bool")]
    pub send_delete_account_verification: Spanned<bool>,
    /// Lifetime of the link in seconds (1 day).
    #[serde(default = "one_day_plain")]
    pub delete_token_expires_in: u32,
}

impl Default for DeleteUser {
    fn default() -> Self {
        Self {
            enabled: false,
            send_delete_account_verification: no(),
            delete_token_expires_in: 86_400,
        }
    }
}

/// `[account]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AccountOptions {
    /// Let a user unlink their last account.
    #[serde(default)]
    pub allow_unlinking_all: bool,
    /// Link a social account to an existing user with the same (verified) email.
    #[serde(default = "yes")]
    pub linking: bool,
    /// Providers whose emails are trusted for linking even when they do not say "verified".
    #[serde(default)]
    pub trusted_providers: Vec<String>,
    /// `/link-social` may link an account whose email differs from the user's.
    #[serde(default)]
    pub allow_different_emails: bool,
}

impl Default for AccountOptions {
    fn default() -> Self {
        Self {
            allow_unlinking_all: false,
            linking: true,
            trusted_providers: Vec::new(),
            allow_different_emails: false,
        }
    }
}

/// `[mailer]`: how mail leaves the server.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Mailer {
    pub kind: MailerKind,
    /// `smtp://host:port`, `smtp://user:pass@host:587?tls=required`, `smtps://host:465`.
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    /// Sender address.
    pub from: Option<String>,
    /// `kind = "log"`: also append each mail as a JSON line to this file.
    pub path: Option<String>,
    /// Mails waiting for the relay at most (default 1024); one more is refused. `kind = "log"`
    /// writes in the request and queues nothing.
    #[schemars(with = "Option<u32>")]
    pub queue_capacity: Option<Spanned<u32>>,
    /// A folder (relative to auth.toml) whose templates replace the embedded ones of the same
    /// name, mail and SMS (`mail/verify-email.html.jinja`, `sms/sms-otp.txt.jinja`, …).
    pub templates: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MailerKind {
    /// Real mail through an SMTP relay.
    Smtp,
    /// Development: log every mail's link instead of sending it.
    Log,
}

/// `[sms]`: how text messages (the phone-number plugin's codes) leave the server. They go
/// through the same bounded background queue as mail, with its retries.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Sms {
    pub kind: SmsKind,
    /// `kind = "log"`: also append each message as a JSON line to this file.
    pub path: Option<String>,
    /// `kind = "webhook"`: each message is POSTed to this http(s) URL as JSON.
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    /// `kind = "webhook"`: the environment variable whose value is sent as `Authorization`.
    pub authorization_env: Option<String>,
    /// `kind = "webhook"`: seconds one attempt may take (default 10).
    #[schemars(with = "Option<u32>")]
    pub timeout: Option<Spanned<u32>>,
    /// Delivery attempts per message, the first included (default 5).
    #[schemars(with = "Option<u32>")]
    pub attempts: Option<Spanned<u32>>,
    /// Messages waiting for the gateway at most (default 1024); one more is refused.
    #[schemars(with = "Option<u32>")]
    pub queue_capacity: Option<Spanned<u32>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SmsKind {
    /// Development: log every message instead of sending it.
    Log,
    /// A JSON POST to the project's gateway (Twilio, Vonage or in-house behind a small relay).
    Webhook,
}

/// `[social-providers.<id>]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SocialProvider {
    /// The environment variable holding the client id (default `<ID>_CLIENT_ID`).
    pub client_id_env: Option<String>,
    /// The environment variable holding the client secret (default `<ID>_CLIENT_SECRET`).
    pub client_secret_env: Option<String>,
    /// Scopes requested on top of the provider's defaults.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Only the scopes listed here.
    #[serde(default)]
    pub disable_default_scopes: bool,
    /// A generic OpenID Connect provider: its issuer (discovery at
    /// `<issuer>/.well-known/openid-configuration`). Required for ids that are not built in.
    #[schemars(with = "Option<String>")]
    pub issuer: Option<Spanned<String>>,
    /// Microsoft: the tenant (default `common`).
    pub tenant_id: Option<String>,
}

/// Social providers known by id.
pub const BUILT_IN_PROVIDERS: &[&str] = &["github", "google", "microsoft", "discord", "apple"];

impl SocialProvider {
    /// The client id and secret of provider `id` read from `env`, or the warning `serve` logs
    /// and `check` prints when one of them is missing.
    pub fn credentials(
        &self,
        id: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(String, String), String> {
        provider_credentials(
            id,
            self.client_id_env.as_deref(),
            self.client_secret_env.as_deref(),
            env,
        )
    }
}

/// A provider's client id and secret from `env`: the variables `id_env` and `secret_env`, by
/// default `<ID>_CLIENT_ID` and `<ID>_CLIENT_SECRET`; or the warning to log when one is missing.
pub fn provider_credentials(
    id: &str,
    id_env: Option<&str>,
    secret_env: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, String), String> {
    let upper = id.to_ascii_uppercase().replace('-', "_");
    let id_var = id_env.map_or_else(|| format!("{upper}_CLIENT_ID"), str::to_owned);
    let secret_var = secret_env.map_or_else(|| format!("{upper}_CLIENT_SECRET"), str::to_owned);
    match (env(&id_var), env(&secret_var)) {
        (Some(client_id), Some(client_secret)) => Ok((client_id, client_secret)),
        _ => Err(format!(
            "{id_var} or {secret_var} is not set: sign-in with {id} is off"
        )),
    }
}

/// `[advanced]`: cookies, CSRF and client addresses.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Advanced {
    /// Cookie names are `<prefix>.<cookie>` (default `better-auth`).
    #[serde(default = "cookie_prefix")]
    pub cookie_prefix: String,
    /// `__Secure-` cookies; default: when the base URL is https.
    pub use_secure_cookies: Option<bool>,
    /// Turns off the origin checks of state-changing requests. Only for tests.
    #[serde(default)]
    pub disable_csrf_check: bool,
    /// Request headers trusted to carry the client address (default `x-forwarded-for`).
    #[serde(default = "ip_headers")]
    pub ip_address_headers: Vec<String>,
    /// The proxies whose `ip-address-headers` are believed (better-auth's
    /// `ipAddress.trustedProxies`): from any other TCP peer the peer address is the client's.
    /// Default: loopback.
    #[serde(default = "IpRange::loopback")]
    pub trusted_proxies: Vec<IpRange>,
    /// Do not record client addresses in sessions.
    #[serde(default)]
    pub disable_ip_tracking: bool,
}

impl Default for Advanced {
    fn default() -> Self {
        Self {
            cookie_prefix: cookie_prefix(),
            use_secure_cookies: None,
            disable_csrf_check: false,
            ip_address_headers: ip_headers(),
            trusted_proxies: IpRange::loopback(),
            disable_ip_tracking: false,
        }
    }
}

impl Default for ChangeEmail {
    fn default() -> Self {
        Self {
            enabled: no(),
            update_email_without_verification: false,
            send_change_email_confirmation: false,
        }
    }
}

fn no() -> Spanned<bool> {
    Spanned::new(0..0, false)
}

fn yes() -> bool {
    true
}

fn seven_days() -> Spanned<u32> {
    Spanned::new(0..0, 604_800)
}

fn one_day() -> Spanned<u32> {
    Spanned::new(0..0, 86_400)
}

fn one_day_plain() -> u32 {
    86_400
}

fn one_hour() -> u32 {
    3600
}

fn min_password() -> Spanned<u32> {
    Spanned::new(0..0, 8)
}

fn max_password() -> Spanned<u32> {
    Spanned::new(0..0, 128)
}

fn cookie_prefix() -> String {
    "better-auth".to_owned()
}

fn ip_headers() -> Vec<String> {
    vec!["x-forwarded-for".to_owned()]
}

impl Config {
    /// Where the API is mounted (default `/api/auth`).
    pub fn base_path(&self) -> &str {
        self.base_path
            .as_ref()
            .map_or("/api/auth", |p| p.get_ref().as_str())
    }

    /// Is the `session_data` cookie cache on (always with stateless sessions)?
    pub fn cookie_cache_enabled(&self) -> bool {
        *self.session.stateless.get_ref() || *self.session.cookie_cache.enabled.get_ref()
    }

    /// The cookie cache's lifetime in seconds: `max-age`, else `expires-in` when stateless,
    /// else 300.
    pub fn cookie_cache_max_age(&self) -> u32 {
        match &self.session.cookie_cache.max_age {
            Some(max_age) => *max_age.get_ref(),
            None if *self.session.stateless.get_ref() => *self.session.expires_in.get_ref(),
            None => 300,
        }
    }

    /// The cookie cache's encoding: `strategy`, else `jwe` when stateless, else `compact`.
    pub fn cookie_cache_strategy(&self) -> CookieCacheStrategy {
        match &self.session.cookie_cache.strategy {
            Some(strategy) => *strategy.get_ref(),
            None if *self.session.stateless.get_ref() => CookieCacheStrategy::Jwe,
            None => CookieCacheStrategy::Compact,
        }
    }

    /// This configuration with `stateless` off: its schema has the session model that
    /// stateless sessions carry in their cookie.
    #[must_use]
    pub fn with_stored_sessions(&self) -> Self {
        let mut stored = self.clone();
        stored.session.stateless = no();
        stored
    }

    /// Are verification mails sent on sign-up?
    pub fn send_verification_on_sign_up(&self) -> bool {
        self.mailer.is_some()
            && self.email_verification.send_on_sign_up.as_ref().map_or(
                *self.email_and_password.require_email_verification.get_ref(),
                |s| *s.get_ref(),
            )
    }

    /// The checks that need the whole file: flows that send mail need a mailer (B7), lengths and
    /// lifetimes that cannot work, URLs that do not parse, providers without a kind.
    pub(super) fn check_runtime(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.base_url {
            check_origin_url(self, url, "base-url")?;
        }
        if let Some(path) = &self.base_path {
            let p = path.get_ref();
            if !p.starts_with('/') || p.ends_with('/') || p.contains("//") {
                return Err(self.error_at(
                    path.span(),
                    format!("base-path `{p}` must start with `/` and not end with one"),
                    "for example base-path = \"/api/auth\"",
                ));
            }
        }
        for origin in &self.trusted_origins {
            check_trusted_origin(self, origin)?;
        }
        let needs_mail = [
            (
                &self.email_and_password.require_email_verification,
                "require-email-verification sends verification mails",
            ),
            (
                &self.email_and_password.reset_password,
                "reset-password sends reset links by mail",
            ),
            (
                &self.user.delete_user.send_delete_account_verification,
                "send-delete-account-verification sends a confirmation link by mail",
            ),
        ];
        if self.mailer.is_none() {
            for (flag, what) in needs_mail {
                if *flag.get_ref() {
                    return Err(self.error_at(
                        flag.span(),
                        format!("{what}, but there is no [mailer]"),
                        "add a [mailer] table: kind = \"smtp\" with url and from, or kind = \"log\" to print the links during development",
                    ));
                }
            }
            let change = &self.user.change_email;
            if *change.enabled.get_ref() && !change.update_email_without_verification {
                return Err(self.error_at(
                    change.enabled.span(),
                    "change-email confirms the new address by mail, but there is no [mailer]",
                    "add a [mailer] table, or set update-email-without-verification = true (only unverified users can then change their address)",
                ));
            }
            if let Some(on) = &self.email_verification.send_on_sign_up
                && *on.get_ref()
            {
                return Err(self.error_at(
                    on.span(),
                    "send-on-sign-up sends verification mails, but there is no [mailer]",
                    "add a [mailer] table: kind = \"smtp\" with url and from, or kind = \"log\"",
                ));
            }
        }
        if let Some(mailer) = &self.mailer {
            let m = mailer.get_ref();
            if m.kind == MailerKind::Smtp && (m.url.is_none() || m.from.is_none()) {
                return Err(self.error_at(
                    mailer.span(),
                    "an smtp mailer needs `url` and `from`",
                    "url = \"smtp://127.0.0.1:25\"\nfrom = \"auth@example.com\"",
                ));
            }
            if let Some(capacity) = m.queue_capacity.as_ref().filter(|c| *c.get_ref() == 0) {
                return Err(self.error_at(
                    capacity.span(),
                    "queue-capacity must be at least 1",
                    "leave it out for the default (1024 mails)",
                ));
            }
        }
        if let Some(sms) = &self.sms {
            self.check_sms(sms)?;
        }
        let ep = &self.email_and_password;
        let (min, max) = (&ep.min_password_length, &ep.max_password_length);
        if *min.get_ref() == 0 || max.get_ref() < min.get_ref() {
            let span = if *min.get_ref() == 0 {
                min.span()
            } else {
                max.span()
            };
            return Err(self.error_at(
                span,
                "password lengths must satisfy 1 <= min-password-length <= max-password-length",
                "better-auth's defaults are 8 and 128",
            ));
        }
        let session = &self.session;
        if *session.expires_in.get_ref() == 0 {
            return Err(self.error_at(
                session.expires_in.span(),
                "expires-in must be at least one second",
                "better-auth's default is 604800 (7 days)",
            ));
        }
        if *session.expires_in.get_ref() > 400 * 86_400 {
            return Err(self.error_at(
                session.expires_in.span(),
                "expires-in is longer than the 400 days a browser keeps a cookie",
                "use at most 34560000",
            ));
        }
        self.check_cookie_cache()?;
        for (id, provider) in self.social_providers.iter() {
            let name = id.get_ref();
            let known = BUILT_IN_PROVIDERS.contains(&name.as_str());
            let p = provider.get_ref();
            if let Some(issuer) = &p.issuer {
                check_origin_url(self, issuer, "issuer")?;
            } else if !known {
                let candidates: Vec<String> =
                    BUILT_IN_PROVIDERS.iter().map(|s| (*s).to_owned()).collect();
                let help = match closest(name, &candidates) {
                    Some(guess) => format!(
                        "did you mean `{guess}`? Otherwise set `issuer` to use a generic OpenID Connect provider"
                    ),
                    None => format!(
                        "built-in providers: {}; any other id needs `issuer = \"https://…\"` (OpenID Connect discovery)",
                        BUILT_IN_PROVIDERS.join(", ")
                    ),
                };
                return Err(self.error_at(
                    id.span(),
                    format!("unknown social provider `{name}`"),
                    help,
                ));
            }
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(self.error_at(
                    id.span(),
                    format!("provider id `{name}` must be letters, digits, `-` or `_`"),
                    "it becomes part of the callback URL /callback/<id>",
                ));
            }
        }
        check_rate_limit(self)
    }
}

/// `[rate-limit]`: windows and maxima of at least one, rule paths starting with `/`.
fn check_rate_limit(config: &Config) -> Result<(), ConfigError> {
    let limits = &config.rate_limit;
    for (value, key) in [(&limits.window, "window"), (&limits.max, "max")] {
        if *value.get_ref() == 0 {
            return Err(config.error_at(
                value.span(),
                format!("[rate-limit] {key} must be at least 1"),
                "better-auth's defaults are window = 10 (seconds) and max = 100; set enabled = false to turn rate limiting off",
            ));
        }
    }
    for (path, rule) in limits.rules.iter() {
        let p = path.get_ref();
        if !p.starts_with('/') || p.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(config.error_at(
                path.span(),
                format!("rate-limit rule `{p}` is not a path"),
                "paths are relative to the base path and start with `/`: \"/sign-in/email\", \"/sign-in/*\", \"/admin/**\"",
            ));
        }
        if let RateLimitRule::Limit { window, max } = rule.get_ref()
            && (*window == 0 || *max == 0)
        {
            return Err(config.error_at(
                rule.span(),
                format!("rate-limit rule `{p}` needs window and max of at least 1"),
                "write `false` to exempt the path from rate limiting",
            ));
        }
    }
    Ok(())
}

impl Config {
    /// `[session.cookie-cache]` and `stateless`: lifetimes a cookie can hold, a version, and
    /// stateless sessions that do not also ask for server-side storage.
    fn check_cookie_cache(&self) -> Result<(), ConfigError> {
        let session = &self.session;
        let cache = &session.cookie_cache;
        if let Some(max_age) = &cache.max_age {
            let seconds = *max_age.get_ref();
            if seconds == 0 || seconds > 400 * 86_400 {
                return Err(self.error_at(
                    max_age.span(),
                    "max-age must be between 1 second and the 400 days a browser keeps a cookie",
                    "better-auth's default is 300 (5 minutes)",
                ));
            }
        }
        if cache.version.get_ref().is_empty() {
            return Err(self.error_at(
                cache.version.span(),
                "version must not be empty",
                "better-auth's default is version = \"1\"",
            ));
        }
        let stateless = &session.stateless;
        if !*stateless.get_ref() {
            return Ok(());
        }
        if !*cache.enabled.get_ref() && cache.enabled.span() != (0..0) {
            return Err(self.error_at(
                cache.enabled.span(),
                "stateless sessions live only in the cookie cache, which cannot be turned off",
                "remove `enabled = false` from [session.cookie-cache], or remove `stateless = true`",
            ));
        }
        if session.store_in_database {
            return Err(self.error_at(
                stateless.span(),
                "stateless sessions are kept in no database, but store-in-database = true",
                "remove one of `stateless = true` and `store-in-database = true`",
            ));
        }
        if let Some(storage) = &self.secondary_storage {
            return Err(self.error_at(
                storage.span(),
                "stateless sessions are kept in cookies only, not in a [secondary-storage]",
                "remove `stateless = true` from [session], or remove [secondary-storage]",
            ));
        }
        Ok(())
    }
}

/// `http(s)://host[:port]` (a base URL may carry a path).
impl Config {
    /// A webhook needs its URL; counts and lifetimes are at least 1.
    fn check_sms(&self, sms: &Spanned<Sms>) -> Result<(), ConfigError> {
        let s = sms.get_ref();
        match (&s.kind, &s.url) {
            (SmsKind::Webhook, None) => {
                return Err(self.error_at(
                    sms.span(),
                    "an sms webhook needs `url`",
                    "url = \"https://sms-gateway.example.com/send\"",
                ));
            }
            (SmsKind::Webhook, Some(url)) => check_origin_url(self, url, "url")?,
            (SmsKind::Log, _) => {}
        }
        for (value, key) in [
            (&s.timeout, "timeout"),
            (&s.attempts, "attempts"),
            (&s.queue_capacity, "queue-capacity"),
        ] {
            if let Some(zero) = value.as_ref().filter(|v| *v.get_ref() == 0) {
                return Err(self.error_at(
                    zero.span(),
                    format!("{key} must be at least 1"),
                    "leave it out for the default",
                ));
            }
        }
        Ok(())
    }
}

pub(crate) fn check_origin_url(
    config: &Config,
    url: &Spanned<String>,
    key: &str,
) -> Result<(), ConfigError> {
    let value = url.get_ref();
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| {
        let host = r.split('/').next().unwrap_or_default();
        !host.is_empty() && !host.contains(['?', '#', '@', ' '])
    });
    if ok {
        Ok(())
    } else {
        Err(config.error_at(
            url.span(),
            format!("{key} `{value}` is not an http(s) URL"),
            "for example \"https://auth.example.com\"",
        ))
    }
}

/// An origin (`https://app.example.com`), a pattern with `*`/`?`
/// (`https://*.example.com`, `*.example.com`) or a custom scheme (`myapp://`).
fn check_trusted_origin(config: &Config, origin: &Spanned<String>) -> Result<(), ConfigError> {
    let value = origin.get_ref();
    let bad = value.is_empty()
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
        || value.starts_with('/');
    if bad {
        return Err(config.error_at(
            origin.span(),
            format!("trusted origin `{value}` is not an origin"),
            "use \"https://app.example.com\", \"https://*.example.com\" or \"myapp://\"",
        ));
    }
    if let Some(rest) = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        && rest.trim_end_matches('/').contains('/')
    {
        return Err(config.error_at(
            origin.span(),
            format!("trusted origin `{value}` has a path; origins are scheme://host[:port]"),
            format!(
                "use \"{}\"",
                &value[..value.len() - rest.len() + rest.find('/').unwrap_or(rest.len())]
            ),
        ));
    }
    Ok(())
}
