//! better-auth's `jwt` plugin: `GET /token` signs the session's user into a JWT with a key pair
//! kept in the `jwks` table, `GET /jwks` publishes the public keys, and `get-session` answers
//! carry the token in `set-auth-jwt`.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use toml::Spanned;

use super::{Declaration, no_amendment, static_path};
use crate::config::{Config, ConfigError, check_origin_url};
use crate::endpoints::{Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint};
use crate::schema::Plugin;

/// `[plugins.jwt]`: better-auth's `jwt({…})` options, kebab-case, with its `jwks` and `jwt`
/// objects as sub-tables. `definePayload` is the Rust hook `AuthOptions::jwt_payload`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "JwtOptions")]
pub struct Options {
    #[serde(default)]
    pub jwks: Jwks,
    #[serde(default)]
    pub jwt: Jwt,
    /// `get-session` answers carry no `set-auth-jwt` header.
    #[serde(default)]
    pub disable_setting_jwt_header: bool,
}

/// `[plugins.jwt.jwks]`: the key pairs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Jwks {
    /// The algorithm (and curve or modulus) of new key pairs (default EdDSA; required with
    /// `remote-url`, as better-auth requires it).
    pub key_pair_config: Option<KeyPairConfig>,
    /// The private key is stored as plain JWK JSON instead of encrypted under the secret.
    #[serde(default)]
    pub disable_private_key_encryption: bool,
    /// Seconds a key signs before a new one is made (it stays published for `grace-period`).
    #[serde(default, deserialize_with = "some_at_least_one")]
    pub rotation_interval: Option<u64>,
    /// Seconds an expired key stays in `/jwks`.
    #[serde(default = "thirty_days")]
    pub grace_period: u64,
    /// The path of the key set, relative to the base path.
    #[serde(default = "default_jwks_path", deserialize_with = "jwks_path")]
    pub jwks_path: String,
    /// Where the keys are published instead (better-auth's `remoteUrl`): `GET /jwks` answers
    /// 404 and the key set is served elsewhere; tokens are still signed with the stored keys.
    #[schemars(with = "Option<String>")]
    pub remote_url: Option<Spanned<String>>,
}

impl Jwks {
    /// The configured key pairs, or better-auth's default (EdDSA on Ed25519).
    #[must_use]
    pub fn key_pair_config(&self) -> KeyPairConfig {
        self.key_pair_config.unwrap_or_default()
    }
}

impl Default for Jwks {
    fn default() -> Self {
        Self {
            key_pair_config: None,
            disable_private_key_encryption: false,
            rotation_interval: None,
            grace_period: thirty_days(),
            jwks_path: default_jwks_path(),
            remote_url: None,
        }
    }
}

/// `[plugins.jwt.jwt]`: the tokens.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Jwt {
    /// `iss` (default: the base URL's origin, as better-auth, whose `options.baseURL` holds
    /// the origin once the context is made).
    pub issuer: Option<String>,
    /// `aud`, one or several (default: the base URL's origin).
    pub audience: Option<Audience>,
    /// How long a token lives, as better-auth writes it (`"15m"`, `"1 hour"`, `"7d"`).
    #[serde(default = "fifteen_minutes", deserialize_with = "time_span")]
    #[schemars(with = "String", default = "fifteen_minutes_text")]
    pub expiration_time: i64,
    /// `sub` (better-auth's `getSubject`): a template of the session's fields, such as
    /// `"{user.email}"` or `"{session.id}:{user.id}"`; where a field it names is missing or
    /// null, `sub` is the user's id (as when `getSubject` returns nothing).
    pub get_subject: Option<Subject>,
}

impl Default for Jwt {
    fn default() -> Self {
        Self {
            issuer: None,
            audience: None,
            expiration_time: fifteen_minutes(),
            get_subject: None,
        }
    }
}

/// `get-subject`: text with `{user.<field>}` and `{session.<field>}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject(Vec<SubjectPart>);

impl JsonSchema for Subject {
    fn schema_name() -> Cow<'static, str> {
        "Subject".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Text with {user.<field>} and {session.<field>} placeholders.",
            "type": "string",
            "minLength": 1,
        })
    }
}

/// A piece of a [`Subject`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectPart {
    Text(String),
    User(String),
    Session(String),
}

impl Subject {
    /// The subject for a session whose fields `field(part)` reads (`User`/`Session` parts);
    /// `None` when one of them has no value.
    pub fn render(&self, field: impl Fn(&SubjectPart) -> Option<String>) -> Option<String> {
        self.0.iter().try_fold(String::new(), |mut out, part| {
            match part {
                SubjectPart::Text(text) => out.push_str(text),
                placeholder => out.push_str(&field(placeholder)?),
            }
            Some(out)
        })
    }

    fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find(['{', '}']) {
            let (before, after) = rest.split_at(open);
            if !before.is_empty() {
                parts.push(SubjectPart::Text(before.to_owned()));
            }
            let close = after
                .find('}')
                .filter(|_| after.starts_with('{'))
                .ok_or_else(|| format!("`{text}` has an unbalanced brace"))?;
            let name = &after[1..close];
            let field = |prefix: &str| {
                name.strip_prefix(prefix).filter(|field| {
                    !field.is_empty()
                        && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
            };
            parts.push(match (field("user."), field("session.")) {
                (Some(f), _) => SubjectPart::User(f.to_owned()),
                (_, Some(f)) => SubjectPart::Session(f.to_owned()),
                _ => {
                    return Err(format!(
                        "`{{{name}}}` in `{text}`: the placeholders are {{user.<field>}} and \
                         {{session.<field>}}"
                    ));
                }
            });
            rest = &after[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(SubjectPart::Text(rest.to_owned()));
        }
        if parts.is_empty() {
            return Err("get-subject cannot be empty".to_owned());
        }
        Ok(Self(parts))
    }
}

impl<'de> Deserialize<'de> for Subject {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// `aud`: a string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// better-auth's `keyPairConfig`: `{ alg = "EdDSA" }` (the default), `"ES256"`, `"ES512"`,
/// `"RS256"` or `"PS256"` (RSA with `modulus-length`, default 2048).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(tag = "alg", deny_unknown_fields)]
pub enum KeyPairConfig {
    EdDSA {
        #[serde(default)]
        crv: EdCurve,
    },
    ES256 {},
    ES512 {},
    RS256 {
        #[serde(default, rename = "modulus-length")]
        modulus_length: ModulusLength,
    },
    PS256 {
        #[serde(default, rename = "modulus-length")]
        modulus_length: ModulusLength,
    },
}

impl Default for KeyPairConfig {
    fn default() -> Self {
        Self::EdDSA {
            crv: EdCurve::Ed25519,
        }
    }
}

impl KeyPairConfig {
    /// The JWS `alg` of the keys.
    pub fn alg(self) -> &'static str {
        match self {
            Self::EdDSA { .. } => "EdDSA",
            Self::ES256 {} => "ES256",
            Self::ES512 {} => "ES512",
            Self::RS256 { .. } => "RS256",
            Self::PS256 { .. } => "PS256",
        }
    }
}

/// The curve of EdDSA keys (better-auth offers Ed25519 only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
pub enum EdCurve {
    #[default]
    Ed25519,
}

/// RSA key sizes in bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModulusLength {
    #[default]
    Bits2048,
    Bits3072,
    Bits4096,
}

impl JsonSchema for ModulusLength {
    fn schema_name() -> Cow<'static, str> {
        "ModulusLength".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "RSA key size in bits.",
            "enum": [2048, 3072, 4096],
            "default": 2048,
        })
    }
}

impl<'de> Deserialize<'de> for ModulusLength {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match u32::deserialize(deserializer)? {
            2048 => Ok(Self::Bits2048),
            3072 => Ok(Self::Bits3072),
            4096 => Ok(Self::Bits4096),
            other => Err(serde::de::Error::custom(format!(
                "modulus-length {other} is not one of 2048, 3072, 4096"
            ))),
        }
    }
}

fn thirty_days() -> u64 {
    30 * 24 * 60 * 60
}

fn fifteen_minutes() -> i64 {
    15 * 60
}

/// [`fifteen_minutes`] as `auth.toml` writes it (the JSON Schema's default).
fn fifteen_minutes_text() -> &'static str {
    "15m"
}

fn default_jwks_path() -> String {
    DEFAULT_JWKS_PATH.to_owned()
}

const DEFAULT_JWKS_PATH: &str = "/jwks";

fn some_at_least_one<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    super::at_least_one(deserializer).map(Some)
}

fn jwks_path<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    super::plain_path(deserializer, "jwks-path")
}

fn time_span<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let text = String::deserialize(deserializer)?;
    seconds(&text).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "\"{text}\" is not a duration of whole seconds such as \"15m\", \"1 hour\" or \"7d\""
        ))
    })
}

/// Seconds in a span as better-auth's `sec()` reads it (`"15m"`, `"2 hours"`, `"1.5h"`,
/// `"30 s"`; a year is 365.25 days, a month 30): `None` for anything else, or for a span that
/// is not a whole, positive number of seconds.
pub fn seconds(text: &str) -> Option<i64> {
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(number_end);
    let unit = unit.strip_prefix(' ').unwrap_or(unit).to_ascii_lowercase();
    let valid_number = number.split('.').count() <= 2
        && number.split('.').all(|part| !part.is_empty())
        && !number.is_empty();
    if !valid_number {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let unit_seconds = match unit.as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 604_800.0,
        "mo" | "month" | "months" => 2_592_000.0,
        "y" | "yr" | "yrs" | "year" | "years" => 31_557_600.0,
        _ => return None,
    };
    let total = value * unit_seconds;
    // Whole and below 2^53: the conversion is exact.
    (total.fract() == 0.0 && (1.0..9e15).contains(&total)).then_some(total as i64)
}

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::Jwt,
    endpoints,
    amend: no_amendment,
    check,
    errors: &[],
    rate_limits: &[],
};

/// better-auth refuses `remoteUrl` without an explicit `keyPairConfig.alg` (the published
/// keys' algorithm cannot be read from the database then).
fn check(config: &Config) -> Result<(), ConfigError> {
    let jwks = &config.plugins.jwt_options().jwks;
    let Some(url) = &jwks.remote_url else {
        return Ok(());
    };
    check_origin_url(config, url, "remote-url")?;
    if jwks.key_pair_config.is_none() {
        return Err(config.error_at(
            url.span(),
            "remote-url needs key-pair-config",
            "name the published keys' algorithm: key-pair-config = { alg = \"EdDSA\" }",
        ));
    }
    Ok(())
}

fn endpoints(config: &Config) -> Vec<Endpoint> {
    let options = config.plugins.jwt_options();
    let s = || Shape::String;
    let key = Shape::object(&[
        ("kid", s()),
        ("kty", s()),
        ("alg", s()),
        ("crv?", s()),
        ("x?", s()),
        ("y?", s()),
        ("n?", s()),
        ("e?", s()),
    ]);
    let mut all = vec![
        endpoint(
            "getJwks",
            static_path(&options.jwks.jwks_path),
            Method::Get,
            Access::Public,
            RequestBody::None,
            Reply::Json(Shape::object(&[("keys", key.array())])),
        ),
        endpoint(
            "getToken",
            "/token",
            Method::Get,
            Access::Session,
            RequestBody::None,
            Reply::Json(Shape::object(&[("token", s())])),
        ),
    ];
    for endpoint in &mut all {
        endpoint.plugin = Some(Plugin::Jwt);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_default_expiration_is_the_default() {
        assert_eq!(seconds(fifteen_minutes_text()), Some(fifteen_minutes()));
    }

    #[test]
    fn spans_read_as_better_auth_reads_them() {
        for (text, want) in [
            ("15m", Some(900)),
            ("1 hour", Some(3600)),
            ("2 Hours", Some(7200)),
            ("1.5h", Some(5400)),
            ("7d", Some(604_800)),
            ("1w", Some(604_800)),
            ("1mo", Some(2_592_000)),
            ("1y", Some(31_557_600)),
            ("30 s", Some(30)),
            ("0.5s", None),
            ("0s", None),
            ("15", None),
            ("m", None),
            ("1..5m", None),
            ("15 minutes ago", None),
            ("-15m", None),
            ("15  m", None),
        ] {
            assert_eq!(seconds(text), want, "{text}");
        }
    }

    fn options(text: &str) -> Result<Options, String> {
        Config::parse("auth.toml", format!("[plugins.jwt]\n{text}"))
            .map(|c| c.plugins.jwt_options().clone())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn options_parse_with_better_auths_defaults() {
        let defaults = options("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(defaults.jwks.key_pair_config().alg(), "EdDSA");
        assert_eq!(defaults.jwt.expiration_time, 900);
        assert_eq!(defaults.jwks.grace_period, 2_592_000);
        assert_eq!(defaults.jwks.jwks_path, "/jwks");
        let set = options(
            "[plugins.jwt.jwks]\njwks-path = \"/.well-known/jwks.json\"\nrotation-interval = 60\n\
             key-pair-config = { alg = \"RS256\", modulus-length = 3072 }\n\
             [plugins.jwt.jwt]\nexpiration-time = \"1 hour\"\naudience = [\"a\", \"b\"]\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            set.jwks.key_pair_config,
            Some(KeyPairConfig::RS256 {
                modulus_length: ModulusLength::Bits3072
            })
        );
        assert_eq!(set.jwks.rotation_interval, Some(60));
        assert_eq!(set.jwt.expiration_time, 3600);
        assert_eq!(
            set.jwt.audience,
            Some(Audience::Many(vec!["a".into(), "b".into()]))
        );
        for (bad, says) in [
            ("[plugins.jwt.jwks]\njwks-path = \"jwks\"\n", "jwks-path"),
            ("[plugins.jwt.jwks]\njwks-path = \"/a/../b\"\n", "jwks-path"),
            ("[plugins.jwt.jwks]\njwks-path = \"/:id\"\n", "jwks-path"),
            (
                "[plugins.jwt.jwks]\nkey-pair-config = { alg = \"HS256\" }\n",
                "HS256",
            ),
            (
                "[plugins.jwt.jwks]\nkey-pair-config = { alg = \"ES256\", crv = \"P-256\" }\n",
                "crv",
            ),
            (
                "[plugins.jwt.jwks]\nkey-pair-config = { alg = \"RS256\", modulus-length = 1024 }\n",
                "1024",
            ),
            ("[plugins.jwt.jwt]\nexpiration-time = \"soon\"\n", "soon"),
            ("[plugins.jwt.jwks]\nrotation-interval = 0\n", "at least 1"),
            ("disable-setting-jwt-headers = true\n", "unknown key"),
            (
                "[plugins.jwt.jwt]\nget-subject = \"{email}\"\n",
                "placeholders",
            ),
            (
                "[plugins.jwt.jwt]\nget-subject = \"{user.}\"\n",
                "placeholders",
            ),
            (
                "[plugins.jwt.jwt]\nget-subject = \"{user.id\"\n",
                "unbalanced",
            ),
            (
                "[plugins.jwt.jwt]\nget-subject = \"user.id}\"\n",
                "unbalanced",
            ),
            ("[plugins.jwt.jwt]\nget-subject = \"\"\n", "empty"),
        ] {
            let error = options(bad)
                .err()
                .unwrap_or_else(|| panic!("accepted {bad}"));
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    /// As better-auth: `remote-url` needs an explicit `key-pair-config`, and is an http(s) URL.
    #[test]
    fn a_remote_key_set_is_checked() {
        for (text, says) in [
            (
                "[plugins.jwt.jwks]\nremote-url = \"https://keys.example.com/jwks\"\n",
                Some("remote-url needs key-pair-config"),
            ),
            (
                "[plugins.jwt.jwks]\nremote-url = \"keys\"\nkey-pair-config = { alg = \"EdDSA\" }\n",
                Some("not an http(s) URL"),
            ),
            (
                "[plugins.jwt.jwks]\nremote-url = \"https://keys.example.com/jwks\"\n\
                 key-pair-config = { alg = \"EdDSA\" }\n",
                None,
            ),
        ] {
            let config = Config::parse("auth.toml", text).unwrap_or_else(|e| panic!("{e}"));
            let error = check(&config).err().map(|e| e.to_string());
            match says {
                Some(says) => assert!(
                    error.as_deref().is_some_and(|e| e.contains(says)),
                    "{text}: {error:?}"
                ),
                None => assert_eq!(error, None, "{text}"),
            }
        }
    }

    #[test]
    fn subjects_fill_the_session_s_fields_or_give_way() {
        let set = options(
            "[plugins.jwt.jwks]\nremote-url = \"https://keys.example.com/jwks\"\n\
             key-pair-config = { alg = \"ES256\" }\n\
             [plugins.jwt.jwt]\nget-subject = \"{session.id}:{user.email}!\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let subject = set.jwt.get_subject.unwrap_or_else(|| panic!("no subject"));
        let field = |part: &SubjectPart| match part {
            SubjectPart::User(f) if f == "email" => Some("jo@example.com".to_owned()),
            SubjectPart::Session(f) if f == "id" => Some("s1".to_owned()),
            _ => None,
        };
        assert_eq!(subject.render(field).as_deref(), Some("s1:jo@example.com!"));
        assert_eq!(subject.render(|_| None), None);
    }

    #[test]
    fn the_key_set_path_is_configurable() {
        let config = Config::parse(
            "auth.toml",
            "[plugins.jwt.jwks]\njwks-path = \"/.well-known/jwks.json\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let paths: Vec<&str> = endpoints(&config).iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/.well-known/jwks.json", "/token"]);
        assert!(std::ptr::eq(
            static_path("/.well-known/jwks.json"),
            static_path("/.well-known/jwks.json")
        ));
    }
}
