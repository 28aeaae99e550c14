//! better-auth 1.7's schema as data: the core tables and what every plugin adds, field by field
//! (`getAuthTables` of better-auth 1.7.7/1.7.25 with `@better-auth/*` 1.7.5–1.7.6 plugin packages).
//!
//! Differences from better-auth are deliberate and few: required creation/update timestamps
//! default to the current time in SQL ([`field::timestamp`]), static defaults are SQL defaults
//! too, and a few indexes our own queries need at scale are added ([`crate::schema::IndexKind::Toolkit`]).
//! Everything else — names, types, nullability, uniqueness, indexes, references — is
//! better-auth's.

pub(crate) mod field;
mod plugins;

use serde_json::json;

use crate::config::{Config, RateLimitStorage};
use crate::schema::{Origin, Plugin};
use field::{Extension, ModelDef, boolean, date, number, string, timestamp};

/// Everything the configuration puts into the schema before additional fields: owned tables in
/// better-auth's creation order, and the columns plugins add to tables they do not own.
#[derive(Debug, Default)]
pub(crate) struct Contributions {
    pub(crate) models: Vec<ModelDef>,
    pub(crate) extensions: Vec<Extension>,
}

impl Contributions {
    pub(crate) fn collect(config: &Config) -> Self {
        let mut all = Self {
            models: core_models(config),
            extensions: Vec::new(),
        };
        for plugin in config.plugins.enabled() {
            plugins::contribute(plugin, config, &mut all);
        }
        if *config.rate_limit.storage.get_ref() == RateLimitStorage::Database {
            all.models.push(rate_limit());
        }
        all
    }
}

fn core_models(config: &Config) -> Vec<ModelDef> {
    let mut models = vec![
        ModelDef::new(
            "user",
            Origin::Core,
            vec![
                string("name").sortable(),
                string("email").unique().sortable(),
                boolean("emailVerified").default(json!(false)).no_input(),
                string("image").optional(),
                date("createdAt").now(),
                date("updatedAt").now().on_update(),
            ],
        )
        // admin's list-users, newest or oldest first.
        .toolkit_index(&["createdAt"]),
    ];
    if config.session_in_database() {
        models.push(ModelDef::new(
            "session",
            Origin::Core,
            vec![
                date("expiresAt"),
                string("token").unique(),
                date("createdAt").now(),
                timestamp("updatedAt").on_update(),
                string("ipAddress").optional(),
                string("userAgent").optional(),
                string("userId").references("user", "id").index(),
            ],
        ));
    }
    models.push(ModelDef::new(
        "account",
        Origin::Core,
        vec![
            string("accountId"),
            string("providerId"),
            string("userId").references("user", "id").index(),
            string("accessToken").optional().hidden(),
            string("refreshToken").optional().hidden(),
            string("idToken").optional().hidden(),
            date("accessTokenExpiresAt").optional().hidden(),
            date("refreshTokenExpiresAt").optional().hidden(),
            string("scope").optional(),
            string("password").optional().hidden(),
            date("createdAt").now(),
            timestamp("updatedAt").on_update(),
        ],
    ));
    if config.verification_in_database() {
        models.push(ModelDef::new(
            "verification",
            Origin::Core,
            vec![
                string("identifier").index(),
                string("value"),
                date("expiresAt"),
                date("createdAt").now(),
                date("updatedAt").now().on_update(),
            ],
        ));
    }
    models
}

/// `rateLimit`, only with `rate-limit.storage = "database"`.
fn rate_limit() -> ModelDef {
    ModelDef::new(
        "rateLimit",
        Origin::Core,
        vec![
            string("key").unique(),
            number("count"),
            number("lastRequest").bigint(),
        ],
    )
}

/// The logical models a plugin can own, for error messages about `[models.<name>]`.
pub(crate) fn plugin_owning(model: &str) -> Option<Plugin> {
    plugins::OWNED_MODELS
        .iter()
        .find(|(name, _)| *name == model)
        .map(|(_, plugin)| *plugin)
}
