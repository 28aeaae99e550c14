//! better-auth's cookies: names, signed values, `Set-Cookie` lines and the `Cookie` header.
//!
//! better-auth names cookies `<prefix>.<cookie>` (prefix `better-auth` unless
//! `advanced.cookiePrefix`), adds `__Secure-` when secure cookies are on, signs
//! `session_token`, `dont_remember` and `state` with HMAC-SHA256 over the secret, and
//! serialises them through better-call 1.4.5 (`research/better-auth-wire.md` §3).

mod header;
mod set_cookie;
mod signed;

pub use header::{RequestCookies, decode_value};
pub use set_cookie::{CookieAttributes, CookieError, MAX_AGE_LIMIT, SameSite, SetCookie};
pub use signed::{sign, signature, verify_signed};

/// JavaScript's `encodeURIComponent`, as better-auth encodes cookie values and URL parameters.
pub fn encode_uri_component(value: &str) -> String {
    super::js::encode_uri_component(value)
}

/// JavaScript's `decodeURIComponent`: `None` where it throws.
#[must_use]
pub fn decode_uri_component(value: &str) -> Option<String> {
    super::js::decode_uri_component(value)
}

use super::Secret;

/// better-auth's default `advanced.cookiePrefix`.
pub const DEFAULT_PREFIX: &str = "better-auth";
/// Prepended to every cookie name when secure cookies are on.
pub const SECURE_PREFIX: &str = "__Secure-";
/// The session token cookie (signed): `<token>.<signature>`.
pub const SESSION_TOKEN: &str = "session_token";
/// The cookie cache (`session.cookieCache`).
pub const SESSION_DATA: &str = "session_data";
/// The signed `true` that marks a rememberMe = false session.
pub const DONT_REMEMBER: &str = "dont_remember";

/// Whether better-auth turns secure cookies on (`createCookieGetter`):
/// `advanced.useSecureCookies` if set, else whether `baseURL` starts with `https://`, else
/// `NODE_ENV === "production"`.
#[must_use]
pub fn secure_cookies(
    use_secure_cookies: Option<bool>,
    base_url: Option<&str>,
    production: bool,
) -> bool {
    match (use_secure_cookies, base_url) {
        (Some(secure), _) => secure,
        (None, Some(url)) => url.starts_with("https://"),
        (None, None) => production,
    }
}

/// How an application's cookies are named and which attributes they carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieConfig {
    prefix: String,
    secure: bool,
    domain: Option<String>,
}

impl CookieConfig {
    /// Cookies named `<prefix>.<cookie>` (an empty prefix means [`DEFAULT_PREFIX`], as
    /// better-auth's `cookiePrefix || "better-auth"`), `__Secure-` and `Secure` when `secure`.
    #[must_use]
    pub fn new(prefix: &str, secure: bool) -> Self {
        let prefix = if prefix.is_empty() {
            DEFAULT_PREFIX
        } else {
            prefix
        };
        Self {
            prefix: prefix.to_owned(),
            secure,
            domain: None,
        }
    }

    /// better-auth's defaults for a `baseURL`: prefix `better-auth`, secure iff the URL starts
    /// with `https://`.
    #[must_use]
    pub fn for_base_url(base_url: &str) -> Self {
        Self::new(DEFAULT_PREFIX, secure_cookies(None, Some(base_url), false))
    }

    /// Adds `Domain=<domain>` to every cookie (`advanced.crossSubDomainCookies`).
    #[must_use]
    pub fn with_domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Whether cookies are `__Secure-` and `Secure`.
    #[must_use]
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The full name of one of better-auth's cookies, e.g. `__Secure-better-auth.session_token`.
    /// Reading is by this exact name: better-auth ignores an `__Secure-` cookie sent to a
    /// non-secure configuration and the other way round.
    #[must_use]
    pub fn name(&self, cookie: &str) -> String {
        let secure = if self.secure { SECURE_PREFIX } else { "" };
        format!("{secure}{}.{cookie}", self.prefix)
    }

    /// better-auth's default attributes: `Path=/; HttpOnly; SameSite=Lax`, plus `Secure` and
    /// `Domain` when configured; no `Max-Age`.
    #[must_use]
    pub fn attributes(&self) -> CookieAttributes {
        CookieAttributes {
            max_age: None,
            domain: self.domain.clone(),
            path: Some("/".to_owned()),
            expires: None,
            http_only: true,
            secure: self.secure,
            same_site: Some(SameSite::Lax),
            partitioned: false,
        }
    }

    /// The session token cookie better-auth sets on sign-in and refresh: the signed token with
    /// `Max-Age=<expires_in>` (`session.expiresIn`, default 604800), or without `Max-Age` for a
    /// rememberMe = false session (`None`).
    #[must_use]
    pub fn session_token_cookie(
        &self,
        token: &str,
        secret: &Secret,
        max_age: Option<u64>,
    ) -> SetCookie {
        let attributes = CookieAttributes {
            max_age,
            ..self.attributes()
        };
        SetCookie::signed(self.name(SESSION_TOKEN), token, secret, attributes)
    }

    /// The `dont_remember` cookie of a rememberMe = false sign-in: the signed string `true`,
    /// without `Max-Age`.
    #[must_use]
    pub fn dont_remember_cookie(&self, secret: &Secret) -> SetCookie {
        SetCookie::signed(self.name(DONT_REMEMBER), "true", secret, self.attributes())
    }

    /// What better-auth's `deleteSessionCookie` sends on sign-out and on an invalid session:
    /// `session_token`, `session_data` and `dont_remember`, each empty with `Max-Age=0`.
    #[must_use]
    pub fn expire_session_cookies(&self) -> [SetCookie; 3] {
        [SESSION_TOKEN, SESSION_DATA, DONT_REMEMBER]
            .map(|cookie| SetCookie::expired(self.name(cookie), self.attributes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const CAPTURE_SECRET: &str = "dev-only-secret-0123456789abcdefghijklmnopqrstuvwxyz";

    pub(super) fn secret() -> Secret {
        Secret::new(CAPTURE_SECRET).unwrap_or_else(|e| panic!("{e}"))
    }

    fn header(cookie: &SetCookie) -> String {
        cookie.to_header_value().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn names_follow_prefix_and_scheme() {
        let http = CookieConfig::for_base_url("http://127.0.0.1:3000");
        assert_eq!(http.name(SESSION_TOKEN), "better-auth.session_token");
        assert_eq!(http.name(SESSION_DATA), "better-auth.session_data");
        assert_eq!(http.name(DONT_REMEMBER), "better-auth.dont_remember");
        let https = CookieConfig::for_base_url("https://auth.example.com");
        assert_eq!(
            https.name(SESSION_TOKEN),
            "__Secure-better-auth.session_token"
        );
        assert_eq!(
            CookieConfig::new("my-app", false).name(SESSION_TOKEN),
            "my-app.session_token"
        );
        assert_eq!(
            CookieConfig::new("", false).name(SESSION_TOKEN),
            "better-auth.session_token"
        );
    }

    #[test]
    fn secure_cookies_follow_better_auths_precedence() {
        assert!(secure_cookies(Some(true), Some("http://x"), false));
        assert!(!secure_cookies(Some(false), Some("https://x"), true));
        assert!(secure_cookies(None, Some("https://x"), false));
        assert!(!secure_cookies(None, Some("http://x"), true));
        assert!(secure_cookies(None, None, true));
        assert!(!secure_cookies(None, None, false));
    }

    #[test]
    fn reproduces_recorded_set_cookie_lines() {
        let http = CookieConfig::for_base_url("http://127.0.0.1:3000");
        let secret = secret();
        // captures/transcript.txt, sign-up (line 12).
        assert_eq!(
            header(&http.session_token_cookie(
                "eQhQI1FrPGTGXj6gOOdvJPxaXqxwGRZ7",
                &secret,
                Some(604_800)
            )),
            "better-auth.session_token=eQhQI1FrPGTGXj6gOOdvJPxaXqxwGRZ7.SHjaiN7Q4ZZHaMpWvV6u%2FhrVLCP4OQkpim%2BImIunLiA%3D; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
        );
        // Sign-in with rememberMe: false (lines 142-143).
        assert_eq!(
            header(&http.session_token_cookie("29rNH827Xz3imkMR7x05dPl7bfXs0wzy", &secret, None)),
            "better-auth.session_token=29rNH827Xz3imkMR7x05dPl7bfXs0wzy.00fQDilUquVTmoybjwH8AZcND89oSI1VkYNZkzQ0bmA%3D; Path=/; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            header(&http.dont_remember_cookie(&secret)),
            "better-auth.dont_remember=true.NT8bNM4c98JAzVwDcRGABOKeOoq0HmrUd%2B8%2F3hR74IM%3D; Path=/; HttpOnly; SameSite=Lax"
        );
        // The OAuth state cookie (line 756).
        let state = SetCookie::signed(
            http.name("state"),
            "Eaqilw9jQLeuwPfxOla5QOKH_o_FkB1R",
            &secret,
            CookieAttributes {
                max_age: Some(300),
                ..http.attributes()
            },
        );
        assert_eq!(
            header(&state),
            "better-auth.state=Eaqilw9jQLeuwPfxOla5QOKH_o_FkB1R.lOv51dCAz7cjMjSpFwwqRTwCcep4odwtaN48YZtB%2BnY%3D; Max-Age=300; Path=/; HttpOnly; SameSite=Lax"
        );
        // Sign-out (lines 858-860).
        let expired: Vec<String> = http.expire_session_cookies().iter().map(header).collect();
        assert_eq!(
            expired,
            [
                "better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
                "better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
                "better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
            ]
        );
    }

    #[test]
    fn reproduces_recorded_secure_set_cookie_lines() {
        // captures/experiments.txt §5: baseURL https://auth.example.com, rememberMe: false.
        let https = CookieConfig::for_base_url("https://auth.example.com");
        let secret = secret();
        assert_eq!(
            header(&https.session_token_cookie("0IoDUrT5bPx4Hi7CZj8uhBHDZoXaaA1p", &secret, None)),
            "__Secure-better-auth.session_token=0IoDUrT5bPx4Hi7CZj8uhBHDZoXaaA1p.dhYVrMHu5cLo%2BEPrJPV2zpjofOV8o0%2FklIF7aa4ooQ8%3D; Path=/; HttpOnly; Secure; SameSite=Lax"
        );
        assert_eq!(
            header(&https.dont_remember_cookie(&secret)),
            "__Secure-better-auth.dont_remember=true.NT8bNM4c98JAzVwDcRGABOKeOoq0HmrUd%2B8%2F3hR74IM%3D; Path=/; HttpOnly; Secure; SameSite=Lax"
        );
    }

    #[test]
    fn reads_back_what_it_sets() {
        let config =
            CookieConfig::for_base_url("https://auth.example.com").with_domain("example.com");
        let secret = secret();
        let set =
            config.session_token_cookie("sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV", &secret, Some(604_800));
        assert_eq!(
            header(&set),
            "__Secure-better-auth.session_token=sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV.000TLtiQr%2FcXwvRH5VYJt66qWhoUmhX8yZsn0dKnANI%3D; Max-Age=604800; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax"
        );
        let request = RequestCookies::parse(&format!("{}={}", set.name, set.value));
        assert_eq!(
            request
                .get_signed(&config.name(SESSION_TOKEN), &secret)
                .as_deref(),
            Some("sykAvWfuwoTRap1DyYe3dmPVnlcqCQQV")
        );
        // Read by exact name: the non-secure configuration does not see it.
        let http = CookieConfig::for_base_url("http://auth.example.com");
        assert_eq!(request.get_signed(&http.name(SESSION_TOKEN), &secret), None);
    }
}
