//! Dynamic access control: roles an organization creates at run time (`organizationRole`),
//! each granting actions of the declared statements, as better-auth's `dynamicAccessControl`.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::endpoints::{Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint, query};

/// `dynamic-access-control = true`, or `[plugins.organization.dynamic-access-control]` with
/// better-auth's `dynamicAccessControl` options.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum DynamicAccessControl {
    Switch(bool),
    Options(DynamicAccessControlOptions),
}

impl Default for DynamicAccessControl {
    fn default() -> Self {
        Self::Switch(false)
    }
}

/// `[plugins.organization.dynamic-access-control]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DynamicAccessControlOptions {
    /// Roles may be created per organization (the `organizationRole` table).
    pub enabled: bool,
    /// How many roles one organization may create (none: no limit).
    pub maximum_roles_per_organization: Option<u64>,
}

impl DynamicAccessControl {
    /// Are roles created per organization (the `organizationRole` table, the role endpoints)?
    pub fn enabled(&self) -> bool {
        match self {
            Self::Switch(on) => *on,
            Self::Options(options) => options.enabled,
        }
    }

    /// How many roles one organization may create; `None`: no limit.
    pub fn maximum_roles_per_organization(&self) -> Option<u64> {
        match self {
            Self::Switch(_) => None,
            Self::Options(options) => options.maximum_roles_per_organization,
        }
    }
}

/// create-role, delete-role, list-roles, get-role and update-role.
pub(super) fn endpoints() -> Vec<Endpoint> {
    use Access::Session;
    use Method::{Get, Post};
    use RequestBody::{Json, None as NoBody};
    let s = || Shape::String;
    // A stored role with its permission parsed back into a record.
    let role = || {
        Shape::Merge(vec![
            Shape::object(&[("permission", Shape::Json)]),
            Shape::model("organizationRole"),
        ])
    };
    let name_or_id = [
        ("organizationId?", s()),
        ("roleName?", s()),
        ("roleId?", s()),
    ];
    vec![
        endpoint(
            "createOrgRole",
            "/organization/create-role",
            Post,
            Session,
            Json(Shape::object(&[
                ("organizationId?", s()),
                ("role", s()),
                ("permission", Shape::Json),
                ("additionalFields?", Shape::Json),
            ])),
            Reply::Json(Shape::object(&[
                ("success", Shape::Boolean),
                ("roleData", role()),
                ("statements", Shape::Json),
            ])),
        ),
        endpoint(
            "deleteOrgRole",
            "/organization/delete-role",
            Post,
            Session,
            Json(Shape::object(&name_or_id)),
            Reply::Json(Shape::object(&[("success", Shape::Boolean)])),
        ),
        query(
            endpoint(
                "listOrgRoles",
                "/organization/list-roles",
                Get,
                Session,
                NoBody,
                Reply::Json(role().array()),
            ),
            &[("organizationId?", s())],
        ),
        query(
            endpoint(
                "getOrgRole",
                "/organization/get-role",
                Get,
                Session,
                NoBody,
                Reply::Json(role()),
            ),
            &name_or_id,
        ),
        endpoint(
            "updateOrgRole",
            "/organization/update-role",
            Post,
            Session,
            Json(Shape::object(&[
                ("organizationId?", s()),
                ("roleName?", s()),
                ("roleId?", s()),
                ("data", Shape::Json),
            ])),
            Reply::Json(Shape::object(&[
                ("success", Shape::Boolean),
                (
                    "roleData",
                    Shape::Merge(vec![
                        Shape::object(&[("permission", Shape::Json.nullable())]),
                        Shape::model("organizationRole"),
                    ]),
                ),
            ])),
        ),
    ]
}
