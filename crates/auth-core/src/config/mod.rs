//! `auth.toml`: the one declaration everything is derived from.
//!
//! Keys are kebab-case. Parsing keeps the byte span of every value that a later check may need to
//! point at, so an error in `auth.toml` always names `file:line:col`. The format is documented in
//! `templates/auth.reference.toml`.

mod error;
mod json_schema;
mod network;
mod ordered;
mod plugins;
mod recover;
mod runtime;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use toml::Spanned;

pub(crate) use error::closest;
pub use error::{ConfigError, Invalid, Location};
pub use json_schema::{SCHEMA_FILE, json_schema};
pub use network::{IpRange, unmapped};
pub use ordered::OrderedMap;
pub use plugins::{NoOptions, Plugins, SsoOptions, StripeOptions};
pub(crate) use runtime::check_origin_url;
pub use runtime::{
    AccountOptions, Advanced, BUILT_IN_PROVIDERS, ChangeEmail, CookieCache, CookieCacheStrategy,
    DeleteUser, EmailAndPassword, EmailVerification, Mailer, MailerKind, Session, Sms, SmsKind,
    SocialProvider, UserOptions, provider_credentials,
};

use crate::schema::{FieldType, IdStrategy, Naming, OnDelete};

/// A parsed `auth.toml`, with the text it came from (for error locations).
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the text came from, as given by the caller (used in error messages).
    pub path: PathBuf,
    /// The text itself.
    pub source: String,
    /// The server's public URL (`https://auth.example.com`); default `http://HOST:PORT`.
    pub base_url: Option<Spanned<String>>,
    /// Where the API is mounted; see [`Config::base_path`].
    pub base_path: Option<Spanned<String>>,
    /// Origins besides the base URL's that may call the API with cookies and be redirected to.
    pub trusted_origins: Vec<Spanned<String>>,
    pub app_name: Option<String>,
    pub database: Database,
    pub email_and_password: EmailAndPassword,
    pub email_verification: EmailVerification,
    pub session: Session,
    pub verification: StorageOptions,
    pub user: UserOptions,
    pub account: AccountOptions,
    pub mailer: Option<Spanned<Mailer>>,
    pub sms: Option<Spanned<Sms>>,
    pub social_providers: OrderedMap<Spanned<String>, Spanned<SocialProvider>>,
    pub advanced: Advanced,
    pub secondary_storage: Option<Spanned<SecondaryStorage>>,
    pub rate_limit: RateLimit,
    pub plugins: Plugins,
    pub models: OrderedMap<Spanned<String>, ModelConfig>,
}

/// The file as serde sees it; [`Config`] adds the path and the source text.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    #[schemars(with = "Option<String>")]
    base_url: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    base_path: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    trusted_origins: Vec<Spanned<String>>,
    app_name: Option<String>,
    #[serde(default)]
    database: Database,
    #[serde(default)]
    email_and_password: EmailAndPassword,
    #[serde(default)]
    email_verification: EmailVerification,
    #[serde(default)]
    session: Session,
    #[serde(default)]
    verification: StorageOptions,
    #[serde(default)]
    user: UserOptions,
    #[serde(default)]
    account: AccountOptions,
    #[schemars(with = "Option<Mailer>")]
    mailer: Option<Spanned<Mailer>>,
    #[schemars(with = "Option<Sms>")]
    sms: Option<Spanned<Sms>>,
    #[serde(default)]
    #[schemars(with = "OrderedMap<String, SocialProvider>")]
    social_providers: OrderedMap<Spanned<String>, Spanned<SocialProvider>>,
    #[serde(default)]
    advanced: Advanced,
    #[schemars(with = "Option<SecondaryStorage>")]
    secondary_storage: Option<Spanned<SecondaryStorage>>,
    #[serde(default)]
    rate_limit: RateLimit,
    #[serde(default)]
    plugins: Plugins,
    #[serde(default)]
    #[schemars(with = "OrderedMap<String, ModelConfig>")]
    models: OrderedMap<Spanned<String>, ModelConfig>,
}

/// `[database]`: how physical names and ids look.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Database {
    #[serde(default)]
    pub naming: Naming,
    #[serde(default)]
    pub id: IdStrategy,
}

/// `[verification]`: whether rows stay in the database when a secondary storage holds them
/// (better-auth's `storeInDatabase`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StorageOptions {
    #[serde(default)]
    pub store_in_database: bool,
}

/// `[secondary-storage]`: a key-value store for sessions, verification values and rate-limit
/// counters.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SecondaryStorage {
    pub kind: SecondaryStorageKind,
    /// Connection URL (`redis://127.0.0.1:6379`), for `kind = "redis"`.
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    /// Put before every key, for `kind = "redis"` (none by default, as better-auth's own keys;
    /// `@better-auth/redis-storage` uses `"better-auth:"`).
    #[schemars(with = "Option<String>")]
    pub key_prefix: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SecondaryStorageKind {
    Memory,
    Redis,
}

/// `[rate-limit]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RateLimit {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "spanned_default::<RateLimitStorage>")]
    #[schemars(with = "RateLimitStorage")]
    pub storage: Spanned<RateLimitStorage>,
    /// Window in seconds.
    #[serde(default = "default_window")]
    #[schemars(with = "u32")]
    pub window: Spanned<u32>,
    /// Requests allowed per window.
    #[serde(default = "default_max")]
    #[schemars(with = "u32")]
    pub max: Spanned<u32>,
    /// Rules per path (relative to the base path), exact (`"/get-session"`) or a glob
    /// (`"/sign-in/*"`, `"/admin/**"`); the first that matches a path wins over the default and
    /// the built-in rules.
    #[serde(default)]
    #[schemars(with = "OrderedMap<String, RateLimitRule>")]
    pub rules: OrderedMap<Spanned<String>, Spanned<RateLimitRule>>,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            enabled: true,
            storage: spanned_default(),
            window: default_window(),
            max: default_max(),
            rules: OrderedMap::default(),
        }
    }
}

/// One `[rate-limit.rules]` entry: `{ window = 60, max = 5 }`, or `false` to exempt the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitRule {
    /// `max` requests per `window` seconds.
    Limit { window: u32, max: u32 },
    /// Not rate limited.
    Exempt,
}

impl JsonSchema for RateLimitRule {
    fn schema_name() -> Cow<'static, str> {
        "RateLimitRule".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "`{ window = <seconds>, max = <requests> }`, or `false` to exempt the path.",
            "oneOf": [
                {
                    "type": "object",
                    "properties": {
                        "window": { "type": "integer", "minimum": 1 },
                        "max": { "type": "integer", "minimum": 1 },
                    },
                    "required": ["window", "max"],
                    "additionalProperties": false,
                },
                { "const": false },
            ],
        })
    }
}

impl<'de> Deserialize<'de> for RateLimitRule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Limit {
            window: u32,
            max: u32,
        }

        struct RuleVisitor;

        impl<'de> serde::de::Visitor<'de> for RuleVisitor {
            type Value = RateLimitRule;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "`{ window = <seconds>, max = <requests> }`, or `false` to exempt the path",
                )
            }

            fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<RateLimitRule, E> {
                if value {
                    Err(E::invalid_value(serde::de::Unexpected::Bool(true), &self))
                } else {
                    Ok(RateLimitRule::Exempt)
                }
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RateLimitRule, A::Error> {
                let limit = Limit::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RateLimitRule::Limit {
                    window: limit.window,
                    max: limit.max,
                })
            }
        }

        deserializer.deserialize_any(RuleVisitor)
    }
}

/// A default value: its span is empty, nothing in the file points at it.
fn spanned_default<T: Default>() -> Spanned<T> {
    Spanned::new(0..0, T::default())
}

fn yes() -> bool {
    true
}

fn default_window() -> Spanned<u32> {
    Spanned::new(0..0, 10)
}

fn default_max() -> Spanned<u32> {
    Spanned::new(0..0, 100)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RateLimitStorage {
    #[default]
    Memory,
    Database,
    SecondaryStorage,
}

/// `[models.<model>]`: renames and additional fields of one model.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ModelConfig {
    /// Physical table name.
    #[schemars(with = "Option<String>")]
    pub table: Option<Spanned<String>>,
    /// Physical column names for existing fields: `{ email = "email_address" }`.
    #[serde(default)]
    #[schemars(with = "OrderedMap<String, String>")]
    pub columns: OrderedMap<Spanned<String>, Spanned<String>>,
    /// Additional fields, in declaration order.
    #[serde(default)]
    #[schemars(with = "OrderedMap<String, FieldConfig>")]
    pub fields: OrderedMap<Spanned<String>, FieldConfig>,
}

/// `[models.<model>.fields.<name>]`: an additional field.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FieldConfig {
    #[serde(rename = "type")]
    #[schemars(with = "FieldType")]
    pub ty: Spanned<FieldType>,
    /// NOT NULL. Defaults to false (unlike better-auth's TypeScript API, where it defaults to true).
    #[serde(default = "spanned_default::<bool>")]
    #[schemars(with = "bool")]
    pub required: Spanned<bool>,
    /// A static value of the field's type, or `"now"` for dates.
    #[schemars(with = "Option<serde_json::Value>")]
    pub default: Option<Spanned<toml::Value>>,
    /// May clients set it (sign-up, update-user)? Default true.
    pub input: Option<bool>,
    /// Is it part of responses? Default true.
    pub returned: Option<bool>,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub index: bool,
    #[serde(default)]
    pub sortable: bool,
    /// `bigint` column for a number.
    #[serde(default = "spanned_default::<bool>")]
    #[schemars(with = "bool")]
    pub bigint: Spanned<bool>,
    /// Physical column name.
    #[schemars(with = "Option<String>")]
    pub column: Option<Spanned<String>>,
    #[schemars(with = "Option<ReferenceConfig>")]
    pub references: Option<Spanned<ReferenceConfig>>,
    /// The field's previous name: `migrate new` renames the column instead of dropping the old
    /// one and adding this one (renames are never guessed).
    #[schemars(with = "Option<String>")]
    pub renamed_from: Option<Spanned<String>>,
}

/// `references = { model = "organization", field = "id", on-delete = "set null" }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReferenceConfig {
    #[schemars(with = "String")]
    pub model: Spanned<String>,
    #[serde(default = "id_field")]
    #[schemars(with = "String")]
    pub field: Spanned<String>,
    #[serde(default = "spanned_default::<OnDelete>")]
    #[schemars(with = "OnDelete")]
    pub on_delete: Spanned<OnDelete>,
}

fn id_field() -> Spanned<String> {
    Spanned::new(0..0, crate::schema::LOGICAL_ID.to_owned())
}

impl Config {
    /// Reads and parses a file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let source = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_owned(),
            message: error.to_string(),
        })?;
        Self::parse(path, source)
    }

    /// Parses `auth.toml` text; `path` is only used to name the file in errors. A file with
    /// several problems reports all of them ([`ConfigError::Several`]), in file order.
    pub fn parse(path: impl AsRef<Path>, source: impl Into<String>) -> Result<Self, ConfigError> {
        let path = path.as_ref().to_owned();
        let source = source.into();
        match Self::parse_once(path.clone(), source.clone()) {
            Ok(config) => Ok(config),
            Err(first) => Err(recover::every_problem(&path, &source, first, |text| {
                Self::parse_once(path.clone(), text).map(drop)
            })),
        }
    }

    /// Parses and checks the text, stopping at its first problem.
    fn parse_once(path: PathBuf, source: String) -> Result<Self, ConfigError> {
        let file: File = toml::from_str(&source)
            .map_err(|error| ConfigError::from_toml(&path, &source, &error))?;
        let config = Self {
            path,
            source,
            base_url: file.base_url,
            base_path: file.base_path,
            trusted_origins: file.trusted_origins,
            app_name: file.app_name,
            database: file.database,
            email_and_password: file.email_and_password,
            email_verification: file.email_verification,
            session: file.session,
            verification: file.verification,
            user: file.user,
            account: file.account,
            mailer: file.mailer,
            sms: file.sms,
            social_providers: file.social_providers,
            advanced: file.advanced,
            secondary_storage: file.secondary_storage,
            rate_limit: file.rate_limit,
            plugins: file.plugins,
            models: file.models,
        };
        config.check_runtime()?;
        Ok(config)
    }

    /// A semantic error at a span of this file.
    pub fn error_at(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> ConfigError {
        ConfigError::at(&self.path, &self.source, span, message.into(), help.into())
    }

    /// Sessions live in the database unless a secondary storage holds them or they are
    /// stateless (only in the cookie cache).
    pub fn session_in_database(&self) -> bool {
        !*self.session.stateless.get_ref()
            && (self.secondary_storage.is_none() || self.session.store_in_database)
    }

    /// Verification values live in the database unless a secondary storage holds them.
    pub fn verification_in_database(&self) -> bool {
        self.secondary_storage.is_none() || self.verification.store_in_database
    }
}
