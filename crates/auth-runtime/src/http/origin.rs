//! Trusted origins (better-auth's `matchesOriginPattern`) and the checks built on them: the
//! origin of state-changing requests, callback URLs, and CORS. One list feeds all three (B5).

use auth_core::errors::{ErrorCode, base};
use http::{HeaderMap, Method, header};

use crate::error::ApiError;
use crate::wire::glob::glob;

/// The origins the server trusts: its own and `trusted-origins`, normalised once.
#[derive(Debug, Clone)]
pub struct TrustedOrigins {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
enum Pattern {
    /// `https://app.example.com`: equality with a URL's origin.
    Exact(String),
    /// `https://*.example.com`: a glob over the whole origin.
    OriginGlob(String),
    /// `*.example.com`: a glob over the host, any scheme.
    HostGlob(String),
    /// `myapp://`, `exp://host/path`: scheme and prefix.
    Custom(String),
}

/// `scheme://host[:port]` of an absolute http(s) URL, lower-cased, default ports dropped
/// (`new URL(value).origin`).
pub fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    match parsed.scheme() {
        "http" | "https" => {
            let origin = parsed.origin().ascii_serialization();
            (origin != "null").then_some(origin)
        }
        _ => None,
    }
}

/// A relative URL better-auth accepts as a callback: one leading `/`, no `//`, no backslash,
/// no control characters, no encoded slash or backslash.
fn safe_relative(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    url.starts_with('/')
        && !url.starts_with("//")
        && !url.contains('\\')
        && !url.chars().any(char::is_control)
        && !lower.contains("%2f")
        && !lower.contains("%5c")
}

impl TrustedOrigins {
    /// The base URL's origin plus each configured pattern.
    pub fn new(base_url: &str, configured: &[String]) -> Self {
        let mut patterns = Vec::new();
        if let Some(origin) = origin_of(base_url) {
            patterns.push(Pattern::Exact(origin));
        }
        for value in configured {
            let value = value.trim_end_matches('/');
            let wild = value.contains(['*', '?']);
            let pattern = if wild && value.contains("://") {
                Pattern::OriginGlob(value.to_ascii_lowercase())
            } else if wild {
                Pattern::HostGlob(value.to_ascii_lowercase())
            } else if let Some(origin) = origin_of(value) {
                Pattern::Exact(origin)
            } else {
                Pattern::Custom(value.to_owned())
            };
            patterns.push(pattern);
        }
        Self { patterns }
    }

    /// Is `value` (an Origin header or an absolute URL) trusted? With `allow_relative`, safe
    /// relative paths are too (callback URLs, not the Origin header).
    pub fn allows(&self, value: &str, allow_relative: bool) -> bool {
        if value.starts_with('/') {
            return allow_relative && safe_relative(value);
        }
        let origin = origin_of(value);
        self.patterns.iter().any(|pattern| match pattern {
            Pattern::Exact(o) => origin.as_deref() == Some(o.as_str()),
            Pattern::OriginGlob(g) => origin
                .as_deref()
                .is_some_and(|o| glob(g, o) && (!ipv4_only(g) || host_is_ipv4(o))),
            Pattern::HostGlob(g) => url::Url::parse(value)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
                .is_some_and(|host| glob(g, &host)),
            Pattern::Custom(prefix) => value.starts_with(prefix.as_str()),
        })
    }

    /// The origin to echo in `Access-Control-Allow-Origin` for a request from `origin`.
    pub fn cors(&self, origin: &str) -> Option<String> {
        (!origin.starts_with('/') && self.allows(origin, false)).then(|| origin.to_owned())
    }
}

/// `http://192.168.*.*`: a pattern whose host is only digits, dots and wildcards admits only
/// IPv4 hosts.
fn ipv4_only(pattern: &str) -> bool {
    let host = pattern.split("://").nth(1).unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '*' | '?'))
}

fn host_is_ipv4(origin: &str) -> bool {
    url::Url::parse(origin)
        .ok()
        .is_some_and(|u| matches!(u.host(), Some(url::Host::Ipv4(_))))
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// better-auth's origin middleware for requests that change state (not GET/HEAD/OPTIONS):
/// with any `Cookie` header, the `Origin` (else `Referer`) must be trusted; on sign-in and
/// sign-up also whenever the browser sent `Sec-Fetch-*` headers or an Origin.
pub(super) fn check_request_origin(
    trusted: &TrustedOrigins,
    method: &Method,
    headers: &HeaderMap,
    request_origin: &str,
    form_csrf: bool,
) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let has_cookie = headers.contains_key(header::COOKIE);
    let origin_header = header_str(headers, "origin").or_else(|| header_str(headers, "referer"));
    if !has_cookie && form_csrf {
        let site = header_str(headers, "sec-fetch-site");
        let mode = header_str(headers, "sec-fetch-mode");
        let fetch_metadata =
            site.is_some() || mode.is_some() || headers.contains_key("sec-fetch-dest");
        if fetch_metadata {
            if site == Some("cross-site") && mode == Some("navigate") {
                return Err(ApiError::forbidden(
                    base::CROSS_SITE_NAVIGATION_LOGIN_BLOCKED,
                ));
            }
        } else if origin_header.is_none() {
            return Ok(());
        }
    } else if !has_cookie {
        return Ok(());
    }
    let origin = match origin_header {
        Some("null") if header_str(headers, "sec-fetch-site") == Some("same-origin") => {
            request_origin
        }
        Some(value) if value != "null" => value,
        _ => return Err(ApiError::forbidden(base::MISSING_OR_NULL_ORIGIN)),
    };
    if trusted.allows(origin, false) {
        Ok(())
    } else {
        Err(ApiError::forbidden(base::INVALID_ORIGIN))
    }
}

/// The callback URLs a request may carry (body or query), each with its error code.
pub(crate) const CALLBACK_KEYS: [(&str, ErrorCode); 4] = [
    ("callbackURL", base::INVALID_CALLBACK_URL),
    ("redirectTo", base::INVALID_REDIRECT_URL),
    ("errorCallbackURL", base::INVALID_ERROR_CALLBACK_URL),
    ("newUserCallbackURL", base::INVALID_NEW_USER_CALLBACK_URL),
];

/// A callback URL must be a trusted origin or a safe relative path: 403 otherwise.
pub(crate) fn check_callback(
    trusted: &TrustedOrigins,
    value: &str,
    code: ErrorCode,
) -> Result<(), ApiError> {
    if trusted.allows(value, true) {
        Ok(())
    } else {
        Err(ApiError::forbidden(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted() -> TrustedOrigins {
        TrustedOrigins::new(
            "http://127.0.0.1:3000/api/auth",
            &[
                "http://localhost:3000".to_owned(),
                "https://*.example.com".to_owned(),
                "*.example.org".to_owned(),
                "http://192.168.*.*".to_owned(),
                "myapp://".to_owned(),
            ],
        )
    }

    #[test]
    fn origins_and_wildcards() {
        let t = trusted();
        assert!(t.allows("http://127.0.0.1:3000", false));
        assert!(t.allows("http://localhost:3000/some/page", false));
        assert!(!t.allows("http://localhost:3001", false));
        assert!(t.allows("https://app.example.com", false));
        assert!(t.allows("https://deep.sub.example.com", false));
        assert!(!t.allows("http://app.example.com", false));
        assert!(!t.allows("https://example.com.evil.test", false));
        assert!(!t.allows("https://evilexample.com", false));
        assert!(t.allows("http://a.example.org", false));
        assert!(t.allows("http://192.168.1.20", false));
        assert!(t.allows("myapp://callback", false));
        assert!(!t.allows("https://evil.test", false));
        assert!(!t.allows("null", false));
    }

    #[test]
    fn relative_callbacks() {
        let t = trusted();
        assert!(t.allows("/dashboard", true));
        assert!(!t.allows("/dashboard", false));
        assert!(!t.allows("//evil.test", true));
        assert!(!t.allows("/\\evil.test", true));
        assert!(!t.allows("/%2F%2Fevil.test", true));
    }

    #[test]
    fn cookie_bearing_posts_need_a_trusted_origin() {
        let t = trusted();
        let mut headers = HeaderMap::new();
        let check = |h: &HeaderMap, form: bool| {
            check_request_origin(&t, &Method::POST, h, "http://127.0.0.1:3000", form)
                .map_err(|e| e.code.unwrap_or_default())
        };
        assert_eq!(check(&headers, false), Ok(()));
        assert_eq!(check(&headers, true), Ok(()));
        headers.insert(
            "cookie",
            "theme=dark".parse().unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(check(&headers, false), Err("MISSING_OR_NULL_ORIGIN"));
        headers.insert(
            "origin",
            "https://evil.test"
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(check(&headers, false), Err("INVALID_ORIGIN"));
        headers.insert(
            "origin",
            "https://app.example.com"
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(check(&headers, false), Ok(()));
        let mut fetch = HeaderMap::new();
        fetch.insert(
            "sec-fetch-mode",
            "cors".parse().unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(check(&fetch, true), Err("MISSING_OR_NULL_ORIGIN"));
        assert_eq!(check(&fetch, false), Ok(()));
        fetch.insert(
            "sec-fetch-site",
            "cross-site".parse().unwrap_or_else(|e| panic!("{e}")),
        );
        fetch.insert(
            "sec-fetch-mode",
            "navigate".parse().unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(
            check(&fetch, true),
            Err("CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")
        );
    }
}
