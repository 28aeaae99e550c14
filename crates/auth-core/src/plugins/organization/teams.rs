//! The organization plugin's teams (better-auth's `teams: {…}` options): `[plugins.organization]
//! teams = true`, or `[plugins.organization.teams]` with its options; and their endpoints.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::endpoints::{Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint, query};

/// `teams = true`, or `[plugins.organization.teams]`: better-auth's `teams: {…}`, kebab-case.
#[derive(Debug, Clone, Default)]
pub struct Teams {
    /// The `team` and `teamMember` tables, `session.activeTeamId`, `invitation.teamId`, the team
    /// endpoints.
    pub enabled: bool,
    /// How many teams an organization may have (none: no limit).
    pub maximum_teams: Option<u64>,
    /// How many members a team may have (none: no limit).
    pub maximum_members_per_team: Option<u64>,
    /// May the last team of an organization be removed?
    pub allow_removing_all_teams: bool,
    /// A team named as the organization, with its creator in it, is created with it.
    pub default_team: DefaultTeam,
}

/// The table form of [`Teams`].
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct TeamOptions {
    /// Teams are on.
    #[serde(default)]
    enabled: bool,
    /// How many teams an organization may have (none: no limit).
    maximum_teams: Option<u64>,
    /// How many members a team may have (none: no limit).
    maximum_members_per_team: Option<u64>,
    /// May the last team of an organization be removed?
    #[serde(default)]
    allow_removing_all_teams: bool,
    /// `[plugins.organization.teams.default-team]`.
    #[serde(default)]
    default_team: DefaultTeam,
}

impl JsonSchema for Teams {
    fn schema_name() -> Cow<'static, str> {
        "Teams".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let options = generator.subschema_for::<TeamOptions>();
        json_schema!({
            "description": "`true`, or a table of team options.",
            "anyOf": [{ "type": "boolean" }, options],
        })
    }
}

/// `[plugins.organization.teams.default-team]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DefaultTeam {
    /// Off: an organization is created without a team.
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl Default for DefaultTeam {
    fn default() -> Self {
        Self { enabled: true }
    }
}

fn yes() -> bool {
    true
}

impl From<TeamOptions> for Teams {
    fn from(options: TeamOptions) -> Self {
        Self {
            enabled: options.enabled,
            maximum_teams: options.maximum_teams,
            maximum_members_per_team: options.maximum_members_per_team,
            allow_removing_all_teams: options.allow_removing_all_teams,
            default_team: options.default_team,
        }
    }
}

impl<'de> Deserialize<'de> for Teams {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Either;
        impl<'de> Visitor<'de> for Either {
            type Value = Teams;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true, false or a table of team options")
            }

            fn visit_bool<E: de::Error>(self, enabled: bool) -> Result<Teams, E> {
                Ok(Teams {
                    enabled,
                    ..Teams::default()
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Teams, A::Error> {
                TeamOptions::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Teams::from)
            }
        }
        deserializer.deserialize_any(Either)
    }
}

/// The team endpoints, as better-auth 1.7.25 declares them.
pub(super) fn endpoints() -> Vec<Endpoint> {
    use Access::Session;
    use Method::{Get, Post};
    use RequestBody::{Json, None as NoBody};
    let s = || Shape::String;
    let team = || Shape::model("team");
    let team_member = || Shape::model("teamMember");
    let message = || Reply::Json(Shape::object(&[("message", s())]));
    let membership = || {
        Json(Shape::object(&[
            ("teamId", s()),
            ("userId", s()),
            ("organizationId?", s()),
        ]))
    };
    vec![
        endpoint(
            "createTeam",
            "/organization/create-team",
            Post,
            Session,
            Json(Shape::object(&[("name", s()), ("organizationId?", s())])),
            Reply::Json(team()),
        ),
        query(
            endpoint(
                "listOrganizationTeams",
                "/organization/list-teams",
                Get,
                Session,
                NoBody,
                Reply::Json(team().array()),
            ),
            &[("organizationId?", s())],
        ),
        endpoint(
            "removeTeam",
            "/organization/remove-team",
            Post,
            Session,
            Json(Shape::object(&[("teamId", s()), ("organizationId?", s())])),
            message(),
        ),
        endpoint(
            "updateTeam",
            "/organization/update-team",
            Post,
            Session,
            Json(Shape::object(&[
                ("teamId", s()),
                (
                    "data",
                    Shape::object(&[("name?", s()), ("organizationId?", s())]),
                ),
            ])),
            Reply::Json(team()),
        ),
        endpoint(
            "setActiveTeam",
            "/organization/set-active-team",
            Post,
            Session,
            Json(Shape::object(&[("teamId?", s().nullable())])),
            Reply::Json(team().nullable()),
        ),
        query(
            endpoint(
                "listUserTeams",
                "/organization/list-user-teams",
                Get,
                Session,
                NoBody,
                Reply::Json(team().array()),
            ),
            &[("userId?", s()), ("organizationId?", s())],
        ),
        query(
            endpoint(
                "listTeamMembers",
                "/organization/list-team-members",
                Get,
                Session,
                NoBody,
                Reply::Json(team_member().array()),
            ),
            &[("teamId?", s())],
        ),
        endpoint(
            "addTeamMember",
            "/organization/add-team-member",
            Post,
            Session,
            membership(),
            Reply::Json(team_member()),
        ),
        endpoint(
            "removeTeamMember",
            "/organization/remove-team-member",
            Post,
            Session,
            membership(),
            message(),
        ),
    ]
}
