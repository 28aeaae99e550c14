//! better-auth's `apiKey` plugin (`@better-auth/api-key` 1.7.5): keys a signed-in user creates,
//! lists, renames, disables and deletes, each with its own quota (`remaining`, refilled on an
//! interval) and rate limit; a key in `x-api-key` stands for its owner's session on every
//! endpoint when `enable-session-for-api-keys` is on. Verifying a key with permissions is on the
//! server only (`Auth::verify_api_key`): better-auth routes no `POST /api-key/verify`.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use super::{Declaration, no_amendment};
use crate::config::Config;
use crate::endpoints::{Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint, query};
use crate::errors::{ErrorCode, error_codes};
use crate::schema::Plugin;

/// `[plugins.api-key]`: better-auth's `apiKey({…})` options, kebab-case, with its defaults.
/// Keys are kept in the database (better-auth's `storage: "database"`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "ApiKeyOptions")]
pub struct Options {
    /// The request headers a key is read from, first one present wins (a name or a list).
    #[serde(default = "x_api_key", deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany")]
    pub api_key_headers: Vec<String>,
    /// Random letters after the prefix (0 means better-auth's 64).
    #[serde(default = "sixty_four")]
    pub default_key_length: usize,
    /// Put before every key created without a `prefix` of its own.
    #[serde(default)]
    pub default_prefix: Option<String>,
    #[serde(default = "thirty_two")]
    pub maximum_prefix_length: usize,
    #[serde(default = "one")]
    pub minimum_prefix_length: usize,
    #[serde(default = "thirty_two")]
    pub maximum_name_length: usize,
    #[serde(default = "one")]
    pub minimum_name_length: usize,
    /// `create` refuses a key without a name (400 `NAME_REQUIRED`).
    #[serde(default)]
    pub require_name: bool,
    /// Keys may carry `metadata` (a JSON object); otherwise `create` refuses it (400
    /// `METADATA_DISABLED`) and `update` ignores it.
    #[serde(default)]
    pub enable_metadata: bool,
    /// Keys are stored as given instead of as their SHA-256 (base64url, no padding).
    #[serde(default)]
    pub disable_key_hashing: bool,
    /// A key in one of `api-key-headers` stands for its owner's session on every endpoint.
    #[serde(default)]
    pub enable_session_for_api_keys: bool,
    #[serde(default)]
    pub key_expiration: KeyExpiration,
    #[serde(default)]
    pub rate_limit: KeyRateLimit,
    #[serde(default)]
    pub starting_characters_config: StartingCharacters,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            api_key_headers: x_api_key(),
            default_key_length: sixty_four(),
            default_prefix: None,
            maximum_prefix_length: thirty_two(),
            minimum_prefix_length: one(),
            maximum_name_length: thirty_two(),
            minimum_name_length: one(),
            require_name: false,
            enable_metadata: false,
            disable_key_hashing: false,
            enable_session_for_api_keys: false,
            key_expiration: KeyExpiration::default(),
            rate_limit: KeyRateLimit::default(),
            starting_characters_config: StartingCharacters::default(),
        }
    }
}

impl Options {
    /// The random part's length (better-auth's `defaultKeyLength || 64`).
    pub fn key_length(&self) -> usize {
        if self.default_key_length == 0 {
            sixty_four()
        } else {
            self.default_key_length
        }
    }
}

/// `[plugins.api-key.key-expiration]`: bounds of a key's `expiresIn`. better-auth compares the
/// seconds a client gives with these bounds in **days**.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KeyExpiration {
    /// Seconds a key lives when `create` gives no `expiresIn` (none: it never expires).
    #[serde(default)]
    pub default_expires_in: Option<u64>,
    /// `create` and `update` refuse any `expiresIn` (400 `KEY_DISABLED_EXPIRATION`).
    #[serde(default)]
    pub disable_custom_expires_time: bool,
    /// Days.
    #[serde(default = "one_year")]
    pub max_expires_in: f64,
    /// Days.
    #[serde(default = "one_day")]
    pub min_expires_in: f64,
}

impl Default for KeyExpiration {
    fn default() -> Self {
        Self {
            default_expires_in: None,
            disable_custom_expires_time: false,
            max_expires_in: one_year(),
            min_expires_in: one_day(),
        }
    }
}

/// `[plugins.api-key.rate-limit]`: each key's own limit, written on the key when it is created.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KeyRateLimit {
    /// Off: no key is limited, whatever its row says.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Milliseconds.
    #[serde(default = "one_day_in_ms")]
    pub time_window: u64,
    #[serde(default = "ten")]
    pub max_requests: u64,
}

impl Default for KeyRateLimit {
    fn default() -> Self {
        Self {
            enabled: true,
            time_window: one_day_in_ms(),
            max_requests: ten(),
        }
    }
}

/// `[plugins.api-key.starting-characters-config]`: the key's first characters kept in `start`,
/// so that a user can tell keys apart.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StartingCharacters {
    #[serde(default = "yes")]
    pub should_store: bool,
    #[serde(default = "six")]
    pub characters_length: usize,
}

impl Default for StartingCharacters {
    fn default() -> Self {
        Self {
            should_store: true,
            characters_length: six(),
        }
    }
}

fn x_api_key() -> Vec<String> {
    vec!["x-api-key".to_owned()]
}

/// A header name or a list of them.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let names = match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(name) => vec![name],
        OneOrMany::Many(names) => names,
    };
    if names.is_empty() || names.iter().any(|n| http_header_name(n).is_none()) {
        return Err(serde::de::Error::custom(
            "expected a header name or a non-empty list of header names",
        ));
    }
    Ok(names.iter().filter_map(|n| http_header_name(n)).collect())
}

/// A header name as lower-case token characters (what HTTP allows), or `None`.
fn http_header_name(name: &str) -> Option<String> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    valid.then(|| name.to_ascii_lowercase())
}

fn sixty_four() -> usize {
    64
}

fn thirty_two() -> usize {
    32
}

fn one() -> usize {
    1
}

fn six() -> usize {
    6
}

fn ten() -> u64 {
    10
}

fn yes() -> bool {
    true
}

fn one_year() -> f64 {
    365.0
}

fn one_day() -> f64 {
    1.0
}

fn one_day_in_ms() -> u64 {
    86_400_000
}

error_codes!(ERRORS {
    INVALID_METADATA_TYPE => "metadata must be an object or undefined",
    REFILL_AMOUNT_AND_INTERVAL_REQUIRED => "refillAmount is required when refillInterval is provided",
    REFILL_INTERVAL_AND_AMOUNT_REQUIRED => "refillInterval is required when refillAmount is provided",
    USER_BANNED => "User is banned",
    UNAUTHORIZED_SESSION => "Unauthorized or invalid session",
    KEY_NOT_FOUND => "API Key not found",
    KEY_DISABLED => "API Key is disabled",
    KEY_EXPIRED => "API Key has expired",
    USAGE_EXCEEDED => "API Key has reached its usage limit",
    KEY_NOT_RECOVERABLE => "API Key is not recoverable",
    EXPIRES_IN_IS_TOO_SMALL => "The expiresIn is smaller than the predefined minimum value.",
    EXPIRES_IN_IS_TOO_LARGE => "The expiresIn is larger than the predefined maximum value.",
    INVALID_REMAINING => "The remaining count is either too large or too small.",
    INVALID_PREFIX_LENGTH => "The prefix length is either too large or too small.",
    INVALID_NAME_LENGTH => "The name length is either too large or too small.",
    METADATA_DISABLED => "Metadata is disabled.",
    RATE_LIMIT_EXCEEDED => "Rate limit exceeded.",
    NO_VALUES_TO_UPDATE => "No values to update.",
    KEY_DISABLED_EXPIRATION => "Custom key expiration values are disabled.",
    INVALID_API_KEY => "Invalid API key.",
    INVALID_USER_ID_FROM_API_KEY => "The user id from the API key is invalid.",
    INVALID_REFERENCE_ID_FROM_API_KEY => "The reference id from the API key is invalid.",
    INVALID_API_KEY_GETTER_RETURN_TYPE => "API Key getter returned an invalid key type. Expected string.",
    SERVER_ONLY_PROPERTY => "The property you're trying to set can only be set from the server auth instance only.",
    FAILED_TO_UPDATE_API_KEY => "Failed to update API key",
    NAME_REQUIRED => "API Key name is required.",
    ORGANIZATION_ID_REQUIRED => "Organization ID is required for organization-owned API keys.",
    USER_NOT_MEMBER_OF_ORGANIZATION => "You are not a member of the organization that owns this API key.",
    INSUFFICIENT_API_KEY_PERMISSIONS => "You do not have permission to perform this action on organization API keys.",
    NO_DEFAULT_API_KEY_CONFIGURATION_FOUND => "No default api-key configuration found.",
    ORGANIZATION_PLUGIN_REQUIRED => "Organization plugin is required for organization-owned API keys. Please install and configure the organization plugin.",
    // What the per-key rate limit answers (not in better-auth's table, which lists
    // RATE_LIMIT_EXCEEDED).
    RATE_LIMITED => "Rate limit exceeded.",
});

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::ApiKey,
    endpoints,
    amend: no_amendment,
    check: super::no_check,
    errors: ERRORS,
    rate_limits: &[],
};

/// A key as the API answers it (`key` only in `create`'s answer).
fn api_key(with_key: bool) -> Shape {
    let s = || Shape::String;
    let n = || Shape::Number.nullable();
    let d = || Shape::Date.nullable();
    let mut properties = vec![
        ("configId", s()),
        ("name", s().nullable()),
        ("start", s().nullable()),
        ("referenceId", s()),
        ("prefix", s().nullable()),
        ("refillInterval", n()),
        ("refillAmount", n()),
        ("lastRefillAt", d()),
        ("enabled", Shape::Boolean),
        ("rateLimitEnabled", Shape::Boolean),
        ("rateLimitTimeWindow", n()),
        ("rateLimitMax", n()),
        ("requestCount", Shape::Number),
        ("remaining", n()),
        ("lastRequest", d()),
        ("expiresAt", d()),
        ("createdAt", Shape::Date),
        ("updatedAt", Shape::Date),
        ("permissions", Shape::Json),
        ("metadata", Shape::Json),
        ("id", s()),
    ];
    if with_key {
        properties.push(("key", s()));
    }
    Shape::object(&properties)
}

fn endpoints(_: &Config) -> Vec<Endpoint> {
    use Access::{Public, Session};
    use Method::{Get, Post};
    let s = || Shape::String;
    let n = || Shape::Number;
    let permissions = || Shape::Json;
    let mut all = vec![
        // Both read the session themselves: without one they answer 401 UNAUTHORIZED_SESSION.
        endpoint(
            "createApiKey",
            "/api-key/create",
            Post,
            Public,
            RequestBody::Json(Shape::object(&[
                ("configId?", s()),
                ("name?", s()),
                ("expiresIn?", n().nullable()),
                ("prefix?", s()),
                ("remaining?", n().nullable()),
                ("metadata?", Shape::Json),
                ("refillAmount?", n()),
                ("refillInterval?", n()),
                ("rateLimitTimeWindow?", n()),
                ("rateLimitMax?", n()),
                ("rateLimitEnabled?", Shape::Boolean),
                ("permissions?", permissions()),
                ("userId?", s()),
                ("organizationId?", s()),
            ])),
            Reply::Json(api_key(true)),
        ),
        query(
            endpoint(
                "getApiKey",
                "/api-key/get",
                Get,
                Session,
                RequestBody::None,
                Reply::Json(api_key(false)),
            ),
            &[("id", s()), ("configId?", s())],
        ),
        endpoint(
            "updateApiKey",
            "/api-key/update",
            Post,
            Public,
            RequestBody::Json(Shape::object(&[
                ("keyId", s()),
                ("configId?", s()),
                ("userId?", s()),
                ("name?", s()),
                ("enabled?", Shape::Boolean),
                ("remaining?", n()),
                ("refillAmount?", n()),
                ("refillInterval?", n()),
                ("metadata?", Shape::Json),
                ("expiresIn?", n().nullable()),
                ("rateLimitEnabled?", Shape::Boolean),
                ("rateLimitTimeWindow?", n()),
                ("rateLimitMax?", n()),
                ("permissions?", permissions().nullable()),
            ])),
            Reply::Json(api_key(false)),
        ),
        endpoint(
            "deleteApiKey",
            "/api-key/delete",
            Post,
            Session,
            RequestBody::Json(Shape::object(&[("keyId", s()), ("configId?", s())])),
            Reply::Json(Shape::object(&[("success", Shape::Boolean)])),
        ),
        query(
            endpoint(
                "listApiKeys",
                "/api-key/list",
                Get,
                Session,
                RequestBody::None,
                Reply::Json(Shape::object(&[
                    ("apiKeys", api_key(false).array()),
                    ("total", n()),
                    ("limit?", n()),
                    ("offset?", n()),
                ])),
            ),
            &[
                ("configId?", s()),
                ("organizationId?", s()),
                ("limit?", s()),
                ("offset?", s()),
                ("sortBy?", s()),
                ("sortDirection?", s()),
            ],
        ),
    ];
    for endpoint in &mut all {
        endpoint.plugin = Some(Plugin::ApiKey);
    }
    all
}
