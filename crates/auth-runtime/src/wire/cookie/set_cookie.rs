//! `Set-Cookie` lines as better-call 1.4.5's `serializeCookie` writes them.

use time::OffsetDateTime;

use super::super::{Secret, js, time as wire_time};
use super::sign;

/// The longest `Max-Age` (and `Expires` distance) better-call accepts: 400 days in seconds.
pub const MAX_AGE_LIMIT: u64 = 34_560_000;

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax` (better-auth's default).
    Lax,
    /// `SameSite=None` (forces `Secure`).
    None,
}

impl SameSite {
    fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "Strict",
            Self::Lax => "Lax",
            Self::None => "None",
        }
    }
}

/// A cookie's attributes, as better-auth's `CookieOptions`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CookieAttributes {
    /// `Max-Age` in seconds; `None` for a browser-session cookie.
    pub max_age: Option<u64>,
    /// `Domain`.
    pub domain: Option<String>,
    /// `Path`.
    pub path: Option<String>,
    /// `Expires`, written as `toUTCString()`.
    pub expires: Option<OffsetDateTime>,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `Secure`.
    pub secure: bool,
    /// `SameSite`.
    pub same_site: Option<SameSite>,
    /// `Partitioned` (forces `Secure`).
    pub partitioned: bool,
}

/// A cookie better-call would refuse to serialise (it throws).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CookieError {
    /// `Max-Age` above 400 days.
    #[error("cookie `{name}`: Max-Age {max_age} is more than 400 days (34560000 seconds)")]
    MaxAgeTooLong {
        /// The cookie's name.
        name: String,
        /// The refused value.
        max_age: u64,
    },
    /// `Expires` more than 400 days ahead.
    #[error("cookie `{name}`: Expires is more than 400 days in the future")]
    ExpiresTooFar {
        /// The cookie's name.
        name: String,
    },
}

/// One `Set-Cookie` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    /// The cookie's name, prefixes included.
    pub name: String,
    /// The value exactly as written on the wire (already encoded).
    pub value: String,
    /// Its attributes.
    pub attributes: CookieAttributes,
}

impl SetCookie {
    /// A cookie whose value is written as given (it must already be a valid cookie value).
    #[must_use]
    pub fn new(
        name: impl Into<String>,
        wire_value: impl Into<String>,
        attributes: CookieAttributes,
    ) -> Self {
        Self {
            name: name.into(),
            value: wire_value.into(),
            attributes,
        }
    }

    /// better-call's `setCookie`: the value `encodeURIComponent`-ed.
    #[must_use]
    pub fn plain(name: impl Into<String>, value: &str, attributes: CookieAttributes) -> Self {
        Self::new(name, js::encode_uri_component(value), attributes)
    }

    /// better-call's `setSignedCookie`: the value signed with [`sign`](super::sign).
    #[must_use]
    pub fn signed(
        name: impl Into<String>,
        value: &str,
        secret: &Secret,
        attributes: CookieAttributes,
    ) -> Self {
        Self::new(name, sign(value, secret), attributes)
    }

    /// better-auth's `expireCookie`: the same attributes, an empty value and `Max-Age=0`.
    #[must_use]
    pub fn expired(name: impl Into<String>, attributes: CookieAttributes) -> Self {
        let attributes = CookieAttributes {
            max_age: Some(0),
            ..attributes
        };
        Self::new(name, "", attributes)
    }

    /// The header value, in better-call's order:
    /// `name=value; Max-Age=N; Domain=…; Path=…; Expires=…; HttpOnly; Secure; SameSite=…; Partitioned`.
    ///
    /// As better-call's `resolveCookie`, a name starting with `__Secure-` (any case) forces
    /// `Secure`; `__Host-` forces `Secure`, `Path=/` and no `Domain`; `SameSite=None` and
    /// `Partitioned` force `Secure`.
    ///
    /// # Errors
    /// Where better-call throws: [`CookieError::MaxAgeTooLong`] above 400 days,
    /// [`CookieError::ExpiresTooFar`] for `Expires` more than 400 days from now.
    pub fn to_header_value(&self) -> Result<String, CookieError> {
        let mut attributes = self.attributes.clone();
        let lower = self.name.to_ascii_lowercase();
        if lower.starts_with("__host-") {
            attributes.secure = true;
            attributes.path = Some("/".to_owned());
            attributes.domain = None;
        } else if lower.starts_with("__secure-") {
            attributes.secure = true;
        }
        if attributes.partitioned || attributes.same_site == Some(SameSite::None) {
            attributes.secure = true;
        }

        let mut out = format!("{}={}", self.name, self.value);
        if let Some(max_age) = attributes.max_age {
            if max_age > MAX_AGE_LIMIT {
                return Err(CookieError::MaxAgeTooLong {
                    name: self.name.clone(),
                    max_age,
                });
            }
            out.push_str(&format!("; Max-Age={max_age}"));
        }
        if let Some(domain) = attributes.domain.as_deref().filter(|d| !d.is_empty()) {
            out.push_str(&format!("; Domain={domain}"));
        }
        if let Some(path) = attributes.path.as_deref().filter(|p| !p.is_empty()) {
            out.push_str(&format!("; Path={path}"));
        }
        if let Some(expires) = attributes.expires {
            let ahead = expires - OffsetDateTime::now_utc();
            if ahead.whole_milliseconds() > i128::from(MAX_AGE_LIMIT) * 1000 {
                return Err(CookieError::ExpiresTooFar {
                    name: self.name.clone(),
                });
            }
            out.push_str(&format!(
                "; Expires={}",
                wire_time::format_http_date(expires)
            ));
        }
        if attributes.http_only {
            out.push_str("; HttpOnly");
        }
        if attributes.secure {
            out.push_str("; Secure");
        }
        if let Some(same_site) = attributes.same_site {
            out.push_str(&format!("; SameSite={}", same_site.as_str()));
        }
        if attributes.partitioned {
            out.push_str("; Partitioned");
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::datetime;

    #[test]
    fn writes_every_attribute_in_better_calls_order() {
        let cookie = SetCookie::plain(
            "better-auth.session_data",
            "a b;c",
            CookieAttributes {
                max_age: Some(300),
                domain: Some("example.com".into()),
                path: Some("/".into()),
                expires: Some(datetime!(2026-11-28 08:16:29.226 UTC)),
                http_only: true,
                secure: false,
                same_site: Some(SameSite::Strict),
                partitioned: true,
            },
        );
        assert_eq!(
            cookie.to_header_value(),
            Ok("better-auth.session_data=a%20b%3Bc; Max-Age=300; Domain=example.com; Path=/; Expires=Sat, 28 Nov 2026 08:16:29 GMT; HttpOnly; Secure; SameSite=Strict; Partitioned".to_owned())
        );
    }

    #[test]
    fn prefixes_and_same_site_none_force_attributes() {
        let attributes = CookieAttributes {
            domain: Some("example.com".into()),
            path: Some("/app".into()),
            ..CookieAttributes::default()
        };
        let host = SetCookie::new("__Host-x", "1", attributes.clone());
        assert_eq!(
            host.to_header_value(),
            Ok("__Host-x=1; Path=/; Secure".to_owned())
        );
        let secure = SetCookie::new("__secure-x", "1", CookieAttributes::default());
        assert_eq!(
            secure.to_header_value(),
            Ok("__secure-x=1; Secure".to_owned())
        );
        let none = SetCookie::new(
            "x",
            "1",
            CookieAttributes {
                same_site: Some(SameSite::None),
                ..CookieAttributes::default()
            },
        );
        assert_eq!(
            none.to_header_value(),
            Ok("x=1; Secure; SameSite=None".to_owned())
        );
    }

    #[test]
    fn refuses_more_than_400_days() {
        let at_limit = CookieAttributes {
            max_age: Some(MAX_AGE_LIMIT),
            ..CookieAttributes::default()
        };
        assert!(SetCookie::new("x", "1", at_limit).to_header_value().is_ok());
        let too_long = CookieAttributes {
            max_age: Some(MAX_AGE_LIMIT + 1),
            ..CookieAttributes::default()
        };
        assert!(matches!(
            SetCookie::new("x", "1", too_long).to_header_value(),
            Err(CookieError::MaxAgeTooLong { .. })
        ));
        let far = CookieAttributes {
            expires: Some(OffsetDateTime::now_utc() + Duration::days(401)),
            ..CookieAttributes::default()
        };
        assert!(matches!(
            SetCookie::new("x", "1", far).to_header_value(),
            Err(CookieError::ExpiresTooFar { .. })
        ));
    }
}
