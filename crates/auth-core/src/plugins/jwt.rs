//! better-auth's `jwt` plugin: `GET /token` signs the session's user into a JWT with a key pair
//! kept in the `jwks` table, `GET /jwks` publishes the public keys, and `get-session` answers
//! carry the token in `set-auth-jwt`.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

use super::{Declaration, no_amendment, static_path};
use crate::config::Config;
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
    /// The algorithm (and curve or modulus) of new key pairs.
    #[serde(default)]
    pub key_pair_config: KeyPairConfig,
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
}

impl Default for Jwks {
    fn default() -> Self {
        Self {
            key_pair_config: KeyPairConfig::default(),
            disable_private_key_encryption: false,
            rotation_interval: None,
            grace_period: thirty_days(),
            jwks_path: default_jwks_path(),
        }
    }
}

/// `[plugins.jwt.jwt]`: the tokens.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Jwt {
    /// `iss` (default: the base URL).
    pub issuer: Option<String>,
    /// `aud`, one or several (default: the base URL).
    pub audience: Option<Audience>,
    /// How long a token lives, as better-auth writes it (`"15m"`, `"1 hour"`, `"7d"`).
    #[serde(default = "fifteen_minutes", deserialize_with = "time_span")]
    #[schemars(with = "String", default = "fifteen_minutes_text")]
    pub expiration_time: i64,
}

impl Default for Jwt {
    fn default() -> Self {
        Self {
            issuer: None,
            audience: None,
            expiration_time: fifteen_minutes(),
        }
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
    check: super::no_check,
    errors: &[],
    rate_limits: &[],
};

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
        assert_eq!(defaults.jwks.key_pair_config.alg(), "EdDSA");
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
            KeyPairConfig::RS256 {
                modulus_length: ModulusLength::Bits3072
            }
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
        ] {
            let error = options(bad)
                .err()
                .unwrap_or_else(|| panic!("accepted {bad}"));
            assert!(error.contains(says), "{bad}: {error}");
        }
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
