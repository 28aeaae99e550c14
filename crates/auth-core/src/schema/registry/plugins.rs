//! What each plugin adds. Field order is better-auth's: it decides column order.

use serde_json::json;

use super::Contributions;
use super::field::{
    Extension, FieldDef, ModelDef, boolean, date, json, number, string, strings, timestamp,
};
use crate::config::Config;
use crate::schema::{OnDelete, Origin, Plugin};

/// Every table a plugin may own, with its owner (for "enable the plugin" hints).
pub(super) const OWNED_MODELS: &[(&str, Plugin)] = &[
    ("twoFactor", Plugin::TwoFactor),
    ("organization", Plugin::Organization),
    ("organizationRole", Plugin::Organization),
    ("team", Plugin::Organization),
    ("teamMember", Plugin::Organization),
    ("member", Plugin::Organization),
    ("invitation", Plugin::Organization),
    ("passkey", Plugin::Passkey),
    ("apikey", Plugin::ApiKey),
    ("jwks", Plugin::Jwt),
    ("oauthClient", Plugin::OauthProvider),
    ("oauthResource", Plugin::OauthProvider),
    ("oauthClientResource", Plugin::OauthProvider),
    ("oauthRefreshToken", Plugin::OauthProvider),
    ("oauthAccessToken", Plugin::OauthProvider),
    ("oauthConsent", Plugin::OauthProvider),
    ("oauthClientAssertion", Plugin::OauthProvider),
    ("ssoProvider", Plugin::Sso),
    ("subscription", Plugin::Stripe),
    ("deviceCode", Plugin::DeviceAuthorization),
    ("walletAddress", Plugin::Siwe),
];

pub(super) fn contribute(plugin: Plugin, config: &Config, out: &mut Contributions) {
    let origin = Origin::Plugin(plugin);
    let mut extend = |model: &'static str, fields: Vec<FieldDef>| {
        out.extensions.push(Extension {
            model,
            plugin,
            fields,
        });
    };
    let mut tables = Vec::new();
    match plugin {
        Plugin::TwoFactor => {
            extend(
                "user",
                vec![
                    boolean("twoFactorEnabled")
                        .optional()
                        .default(json!(false))
                        .no_input(),
                ],
            );
            tables.push(ModelDef::new(
                "twoFactor",
                origin,
                vec![
                    string("secret").hidden().index(),
                    string("backupCodes").hidden(),
                    string("userId").hidden().references("user", "id").index(),
                    boolean("verified")
                        .optional()
                        .default(json!(true))
                        .no_input(),
                    number("failedVerificationCount")
                        .optional()
                        .default(json!(0))
                        .no_input()
                        .hidden(),
                    date("lockedUntil").optional().no_input().hidden(),
                ],
            ));
        }
        Plugin::Organization => {
            let options = config.plugins.organization_options();
            let mut session = vec![string("activeOrganizationId").optional().no_input()];
            if options.teams.enabled {
                session.push(string("activeTeamId").optional().no_input());
            }
            if config.session_in_database() {
                extend("session", session);
            }
            tables.push(ModelDef::new(
                "organization",
                origin,
                vec![
                    string("name").sortable(),
                    string("slug").unique().sortable().index(),
                    string("logo").optional(),
                    timestamp("createdAt"),
                    string("metadata").optional(),
                ],
            ));
            if options.dynamic_access_control.enabled() {
                tables.push(ModelDef::new(
                    "organizationRole",
                    origin,
                    vec![
                        string("organizationId")
                            .references("organization", "id")
                            .index(),
                        string("role").index(),
                        string("permission"),
                        timestamp("createdAt"),
                        date("updatedAt").optional().on_update(),
                    ],
                ));
            }
            if options.teams.enabled {
                tables.push(ModelDef::new(
                    "team",
                    origin,
                    vec![
                        string("name"),
                        number("memberCount").default(json!(0)).no_input().hidden(),
                        string("organizationId")
                            .references("organization", "id")
                            .index(),
                        timestamp("createdAt"),
                        date("updatedAt").optional().on_update(),
                    ],
                ));
                tables.push(ModelDef::new(
                    "teamMember",
                    origin,
                    vec![
                        string("teamId").references("team", "id").index(),
                        string("userId").references("user", "id").index(),
                        string("membershipKey")
                            .optional()
                            .unique()
                            .no_input()
                            .hidden(),
                        date("createdAt").optional(),
                    ],
                ));
            }
            tables.push(
                ModelDef::new(
                    "member",
                    origin,
                    vec![
                        string("organizationId")
                            .references("organization", "id")
                            .index(),
                        string("userId").references("user", "id").index(),
                        string("role").sortable().default(json!("member")),
                        timestamp("createdAt"),
                    ],
                )
                // list-members of one organization, sorted by creation and paged.
                .toolkit_index(&["organizationId", "createdAt"]),
            );
            let mut invitation = vec![
                string("organizationId")
                    .references("organization", "id")
                    .index(),
                string("email").sortable().index(),
                string("role").optional().sortable(),
            ];
            if options.teams.enabled {
                // Not a foreign key: it may hold several comma-joined team ids.
                invitation.push(string("teamId").optional().sortable());
            }
            invitation.extend([
                string("status").sortable().default(json!("pending")),
                date("expiresAt"),
                timestamp("createdAt"),
                string("inviterId").references("user", "id"),
            ]);
            tables.push(ModelDef::new("invitation", origin, invitation));
        }
        Plugin::Admin => {
            extend(
                "user",
                vec![
                    string("role").optional().no_input(),
                    boolean("banned")
                        .optional()
                        .default(json!(false))
                        .no_input(),
                    string("banReason").optional().no_input(),
                    date("banExpires").optional().no_input(),
                ],
            );
            if config.session_in_database() {
                extend(
                    "session",
                    vec![string("impersonatedBy").optional().no_input()],
                );
            }
        }
        Plugin::Username => extend(
            "user",
            vec![
                string("username").optional().sortable().unique(),
                string("displayUsername").optional(),
            ],
        ),
        Plugin::Anonymous => extend(
            "user",
            vec![
                boolean("isAnonymous")
                    .optional()
                    .no_input()
                    .default(json!(false)),
            ],
        ),
        Plugin::PhoneNumber => extend(
            "user",
            vec![
                string("phoneNumber").optional().unique().sortable(),
                boolean("phoneNumberVerified").optional().no_input(),
            ],
        ),
        Plugin::Passkey => tables.push(ModelDef::new(
            "passkey",
            origin,
            vec![
                string("name").optional(),
                string("publicKey"),
                string("userId").references("user", "id").index(),
                string("credentialID").index(),
                number("counter"),
                string("deviceType"),
                boolean("backedUp"),
                string("transports").optional(),
                date("createdAt").optional(),
                string("aaguid").optional(),
            ],
        )),
        Plugin::ApiKey => tables.push(ModelDef::new(
            "apikey",
            origin,
            vec![
                string("configId")
                    .default(json!("default"))
                    .no_input()
                    .index(),
                string("name").optional().no_input(),
                string("start").optional().no_input(),
                // The owner (a user or an organization): deliberately not a foreign key.
                string("referenceId").no_input().index(),
                string("prefix").optional().no_input(),
                string("key").no_input().index(),
                number("refillInterval").optional().no_input(),
                number("refillAmount").optional().no_input(),
                date("lastRefillAt").optional().no_input(),
                boolean("enabled")
                    .optional()
                    .no_input()
                    .default(json!(true)),
                boolean("rateLimitEnabled")
                    .optional()
                    .no_input()
                    .default(json!(true)),
                number("rateLimitTimeWindow")
                    .optional()
                    .no_input()
                    .default(json!(86_400_000)),
                number("rateLimitMax")
                    .optional()
                    .no_input()
                    .default(json!(10)),
                number("requestCount")
                    .optional()
                    .no_input()
                    .default(json!(0)),
                number("remaining").optional().no_input(),
                date("lastRequest").optional().no_input(),
                date("expiresAt").optional().no_input(),
                timestamp("createdAt").no_input(),
                timestamp("updatedAt").no_input().on_update(),
                string("permissions").optional().no_input(),
                string("metadata").optional(),
            ],
        )),
        Plugin::Jwt => tables.push(ModelDef::new(
            "jwks",
            origin,
            vec![
                string("publicKey"),
                string("privateKey"),
                timestamp("createdAt"),
                date("expiresAt").optional(),
                string("alg").optional(),
                string("crv").optional(),
            ],
        )),
        Plugin::OauthProvider => tables.extend(oauth_provider(origin)),
        Plugin::Sso => {
            let mut fields = vec![
                string("issuer"),
                string("oidcConfig").optional(),
                string("samlConfig").optional(),
                string("userId").references("user", "id"),
                string("providerId").unique(),
                string("organizationId").optional(),
                string("domain"),
            ];
            if config.plugins.sso_options().domain_verification {
                fields.push(boolean("domainVerified").optional());
            }
            tables.push(ModelDef::new("ssoProvider", origin, fields));
        }
        Plugin::Stripe => {
            let options = config.plugins.stripe_options();
            // better-auth leaves it settable by clients (no `input: false`); a user could point
            // their account at someone else's Stripe customer. Here only the server sets it.
            extend(
                "user",
                vec![string("stripeCustomerId").optional().no_input()],
            );
            if options.organization {
                extend(
                    "organization",
                    vec![string("stripeCustomerId").optional().no_input()],
                );
            }
            if options.subscription {
                tables.push(ModelDef::new(
                    "subscription",
                    origin,
                    vec![
                        string("plan"),
                        string("referenceId"),
                        string("stripeCustomerId").optional(),
                        string("stripeSubscriptionId").optional(),
                        string("status").default(json!("incomplete")),
                        date("periodStart").optional(),
                        date("periodEnd").optional(),
                        date("trialStart").optional(),
                        date("trialEnd").optional(),
                        boolean("cancelAtPeriodEnd")
                            .optional()
                            .default(json!(false)),
                        date("cancelAt").optional(),
                        date("canceledAt").optional(),
                        date("endedAt").optional(),
                        number("seats").optional(),
                        string("billingInterval").optional(),
                        string("stripeScheduleId").optional(),
                    ],
                ));
            }
        }
        Plugin::DeviceAuthorization => tables.push(
            ModelDef::new(
                "deviceCode",
                origin,
                vec![
                    string("deviceCode"),
                    string("userCode"),
                    string("userId").optional(),
                    date("expiresAt"),
                    string("status"),
                    date("lastPolledAt").optional(),
                    number("pollingInterval").optional(),
                    string("clientId").optional(),
                    string("scope").optional(),
                ],
            )
            .unique_index(&["deviceCode"])
            .unique_index(&["userCode"]),
        ),
        Plugin::Siwe => tables.push(ModelDef::new(
            "walletAddress",
            origin,
            vec![
                string("userId").references("user", "id").index(),
                string("address"),
                number("chainId"),
                boolean("isPrimary").default(json!(false)),
                timestamp("createdAt"),
            ],
        )),
        Plugin::LastLoginMethod => {
            if config.plugins.last_login_method_options().store_in_database {
                extend(
                    "user",
                    vec![string("lastLoginMethod").optional().no_input()],
                );
            }
        }
        Plugin::MultiSession
        | Plugin::MagicLink
        | Plugin::EmailOtp
        | Plugin::Bearer
        | Plugin::OpenApi
        | Plugin::GenericOauth
        | Plugin::OneTap
        | Plugin::OneTimeToken
        | Plugin::CustomSession
        | Plugin::Captcha
        | Plugin::HaveIBeenPwned
        | Plugin::OauthProxy => {}
    }
    out.models.extend(tables);
}

/// `@better-auth/oauth-provider` 1.7: clients, resources, tokens, consents, assertion replay.
fn oauth_provider(origin: Origin) -> Vec<ModelDef> {
    let client = || {
        string("clientId")
            .references("oauthClient", "clientId")
            .index()
    };
    let session = || {
        string("sessionId")
            .optional()
            .references("session", "id")
            .on_delete(OnDelete::SetNull)
            .index()
    };
    vec![
        ModelDef::new(
            "oauthClient",
            origin,
            vec![
                string("clientId").unique(),
                string("clientSecret").optional(),
                string("clientDiscoveryId").optional(),
                boolean("disabled").optional().default(json!(false)),
                boolean("skipConsent").optional(),
                boolean("enableEndSession").optional(),
                string("subjectType").optional(),
                strings("scopes").optional(),
                strings("clientCredentialsScopes")
                    .optional()
                    .default(json!([])),
                string("userId").optional().references("user", "id").index(),
                date("createdAt").optional(),
                date("updatedAt").optional(),
                string("name").optional(),
                string("uri").optional(),
                string("icon").optional(),
                strings("contacts").optional(),
                string("tos").optional(),
                string("policy").optional(),
                string("softwareId").optional(),
                string("softwareVersion").optional(),
                string("softwareStatement").optional(),
                strings("redirectUris"),
                strings("postLogoutRedirectUris").optional(),
                string("backchannelLogoutUri").optional(),
                boolean("backchannelLogoutSessionRequired").optional(),
                string("tokenEndpointAuthMethod").optional(),
                string("applicationType").optional(),
                string("jwks").optional(),
                string("jwksUri").optional(),
                strings("grantTypes").optional(),
                strings("responseTypes").optional(),
                boolean("requirePKCE").optional(),
                boolean("dpopBoundAccessTokens")
                    .optional()
                    .default(json!(false)),
                string("referenceId").optional(),
                json("metadata").optional(),
            ],
        ),
        ModelDef::new(
            "oauthResource",
            origin,
            vec![
                string("identifier").unique(),
                string("name"),
                number("accessTokenTtl").optional(),
                number("refreshTokenTtl").optional(),
                string("signingAlgorithm").optional(),
                string("signingKeyId").optional(),
                strings("allowedScopes").optional(),
                json("customClaims").optional(),
                boolean("dpopBoundAccessTokensRequired")
                    .optional()
                    .default(json!(false)),
                boolean("disabled").optional().default(json!(false)),
                date("createdAt").optional(),
                date("updatedAt").optional(),
                number("policyVersion").optional().default(json!(1)),
                json("metadata").optional(),
            ],
        ),
        ModelDef::new(
            "oauthClientResource",
            origin,
            vec![
                client(),
                string("resourceId")
                    .references("oauthResource", "identifier")
                    .index(),
                json("metadata").optional(),
                date("createdAt").optional(),
            ],
        )
        .unique_index(&["clientId", "resourceId"]),
        ModelDef::new(
            "oauthRefreshToken",
            origin,
            vec![
                string("token").unique(),
                client(),
                session(),
                string("userId").references("user", "id").index(),
                string("referenceId").optional(),
                string("authorizationCodeId").optional().index(),
                strings("resources").optional(),
                strings("requestedUserInfoClaims").optional(),
                date("expiresAt"),
                timestamp("createdAt"),
                date("revoked").optional(),
                date("rotatedAt").optional(),
                string("rotationReplayResponse").optional(),
                date("rotationReplayExpiresAt").optional(),
                date("authTime").optional(),
                json("confirmation").optional(),
                strings("scopes"),
            ],
        ),
        ModelDef::new(
            "oauthAccessToken",
            origin,
            vec![
                string("token").unique(),
                client(),
                session(),
                string("userId").optional().references("user", "id").index(),
                string("referenceId").optional(),
                string("authorizationCodeId").optional().index(),
                strings("resources").optional(),
                strings("requestedUserInfoClaims").optional(),
                string("refreshId")
                    .optional()
                    .references("oauthRefreshToken", "id")
                    .index(),
                date("expiresAt"),
                timestamp("createdAt"),
                date("revoked").optional(),
                json("confirmation").optional(),
                strings("scopes"),
            ],
        ),
        ModelDef::new(
            "oauthConsent",
            origin,
            vec![
                client(),
                string("userId").optional().references("user", "id").index(),
                string("referenceId").optional(),
                strings("resources").optional(),
                strings("requestedUserInfoClaims").optional(),
                strings("scopes"),
                timestamp("createdAt"),
                timestamp("updatedAt").on_update(),
            ],
        ),
        ModelDef::new("oauthClientAssertion", origin, vec![date("expiresAt")]),
    ]
}
