//! better-auth's `organization` plugin: organizations, their members (with roles of
//! better-auth's access-control model) and invitations by mail; with dynamic access control,
//! roles created per organization (`roles`).

mod roles;
mod teams;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::access::{self, DeclaredRoles, Statements, authorizes, owned};
use super::{Declaration, no_amendment};
use crate::config::{Config, ConfigError};
use crate::endpoints::{Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint, query};
use crate::errors::{ErrorCode, error_codes};
use crate::schema::Plugin;
pub use roles::DynamicAccessControl;
pub use teams::{DefaultTeam, Teams};

/// `[plugins.organization]`: better-auth's `organization({…})` options, kebab-case. `ac` and
/// `roles` are declarative as admin's: `[plugins.organization.statements]` adds resources to
/// better-auth's (organization, member, invitation, team, ac), `[plugins.organization.roles.<name>]`
/// grants a role actions of them (the default roles `owner`, `admin` and `member` stay unless
/// redefined). `sendInvitationEmail` is the `[mailer]` (kind `invitation`, its token the
/// invitation id, its link `invitation-url` with `{id}` replaced).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Teams: `team` and `teamMember` tables, `session.activeTeamId`, `invitation.teamId`.
    #[serde(default)]
    pub teams: Teams,
    /// Roles created per organization at run time (the `organizationRole` table):
    /// `dynamic-access-control = true`, or a table with better-auth's options.
    #[serde(default)]
    pub dynamic_access_control: DynamicAccessControl,
    /// May users create organizations?
    #[serde(default = "yes")]
    pub allow_user_to_create_organization: bool,
    /// How many organizations a user may be a member of when creating one (none: no limit).
    pub organization_limit: Option<u64>,
    /// The role of an organization's creator.
    #[serde(default = "owner")]
    pub creator_role: String,
    /// How many members an organization may have.
    #[serde(default = "hundred")]
    pub membership_limit: u64,
    /// How many pending invitations an organization may have.
    #[serde(default = "hundred")]
    pub invitation_limit: u64,
    /// Seconds an invitation stays valid.
    #[serde(default = "two_days")]
    pub invitation_expires_in: u64,
    /// Inviting someone again cancels their pending invitation instead of refusing.
    #[serde(default)]
    pub cancel_pending_invitations_on_re_invite: bool,
    /// Accepting, rejecting and reading an invitation need a verified email address.
    #[serde(default)]
    pub require_email_verification_on_invitation: bool,
    /// `/organization/delete` answers 404.
    #[serde(default)]
    pub disable_organization_deletion: bool,
    /// The link of an invitation mail, `{id}` replaced by the invitation's id (the app's page
    /// that accepts it).
    #[serde(default = "invitation_page")]
    pub invitation_url: String,
    /// Resources and their actions, besides (or replacing) better-auth's.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    pub statements: BTreeMap<String, Spanned<Vec<String>>>,
    /// Roles and the actions they grant per resource.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, BTreeMap<String, Vec<String>>>")]
    pub roles: DeclaredRoles,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            teams: Teams::default(),
            dynamic_access_control: DynamicAccessControl::default(),
            allow_user_to_create_organization: true,
            organization_limit: None,
            creator_role: owner(),
            membership_limit: hundred(),
            invitation_limit: hundred(),
            invitation_expires_in: two_days(),
            cancel_pending_invitations_on_re_invite: false,
            require_email_verification_on_invitation: false,
            disable_organization_deletion: false,
            invitation_url: invitation_page(),
            statements: BTreeMap::new(),
            roles: BTreeMap::new(),
        }
    }
}

fn yes() -> bool {
    true
}

fn owner() -> String {
    "owner".to_owned()
}

fn hundred() -> u64 {
    100
}

fn two_days() -> u64 {
    172_800
}

fn invitation_page() -> String {
    "/accept-invitation/{id}".to_owned()
}

/// better-auth's organization `defaultStatements`.
const DEFAULT_STATEMENTS: &[(&str, &[&str])] = &[
    ("organization", &["update", "delete"]),
    ("member", &["create", "update", "delete"]),
    ("invitation", &["create", "cancel"]),
    ("team", &["create", "update", "delete"]),
    ("ac", &["create", "read", "update", "delete"]),
];

/// `adminAc`: everything but deleting the organization.
const ADMIN_GRANTS: &[(&str, &[&str])] = &[
    ("organization", &["update"]),
    ("member", &["create", "update", "delete"]),
    ("invitation", &["create", "cancel"]),
    ("team", &["create", "update", "delete"]),
    ("ac", &["create", "read", "update", "delete"]),
];

/// `memberAc`: reading roles only.
const MEMBER_GRANTS: &[(&str, &[&str])] = &[
    ("organization", &[]),
    ("member", &[]),
    ("invitation", &[]),
    ("team", &[]),
    ("ac", &["read"]),
];

impl Options {
    /// Every resource and its actions: better-auth's defaults, then the declared ones.
    pub fn statements(&self) -> Statements {
        access::statements(DEFAULT_STATEMENTS, &self.statements)
    }

    /// Every role and what it grants: `owner`, `admin` and `member` as better-auth defines
    /// them, then the declared ones (a declared one replaces the default of its name).
    pub fn roles(&self) -> BTreeMap<String, Statements> {
        let defaults = BTreeMap::from([
            ("owner".to_owned(), owned(DEFAULT_STATEMENTS)),
            ("admin".to_owned(), owned(ADMIN_GRANTS)),
            ("member".to_owned(), owned(MEMBER_GRANTS)),
        ]);
        access::roles(defaults, &self.roles)
    }

    /// better-auth's `hasPermission` for a member with `role` (comma-joined roles): one of the
    /// roles grants every requested action. With `creator_may_all`, the creator role may
    /// everything (update-member-role's `allowCreatorAllPermissions`).
    pub fn has_permission(&self, role: &str, wanted: &Statements, creator_may_all: bool) -> bool {
        self.has_permission_among(&self.roles(), role, wanted, creator_may_all)
    }

    /// [`Self::has_permission`] with `roles` (the organization's, dynamic ones merged in by
    /// [`access::merge_roles`]) instead of the declared ones.
    pub fn has_permission_among(
        &self,
        roles: &BTreeMap<String, Statements>,
        role: &str,
        wanted: &Statements,
        creator_may_all: bool,
    ) -> bool {
        let held = role_list(role);
        if creator_may_all && held.iter().any(|r| *r == self.creator_role) {
            return true;
        }
        held.iter()
            .filter_map(|name| roles.get(*name))
            .any(|grants| authorizes(grants, wanted))
    }

    /// Is `role` one the server knows (a default or declared role)?
    pub fn is_role(&self, role: &str) -> bool {
        self.roles().contains_key(role)
    }
}

/// better-auth's `parseRoleList`: comma-separated role names, trimmed, empty ones dropped.
pub fn role_list(roles: &str) -> Vec<&str> {
    roles
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect()
}

error_codes!(ERRORS {
    YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION => "You are not allowed to create a new organization",
    YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS => "You have reached the maximum number of organizations",
    ORGANIZATION_ALREADY_EXISTS => "Organization already exists",
    ORGANIZATION_SLUG_ALREADY_TAKEN => "Organization slug already taken",
    ORGANIZATION_NOT_FOUND => "Organization not found",
    USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION => "User is not a member of the organization",
    YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION => "You are not allowed to update this organization",
    YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION => "You are not allowed to delete this organization",
    NO_ACTIVE_ORGANIZATION => "No active organization",
    USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION => "User is already a member of this organization",
    MEMBER_NOT_FOUND => "Member not found",
    ROLE_NOT_FOUND => "Role not found",
    YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER => "You cannot leave the organization as the only owner",
    YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER => "You cannot leave the organization without an owner",
    YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER => "You are not allowed to delete this member",
    YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION => "You are not allowed to invite users to this organization",
    USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION => "User is already invited to this organization",
    INVITATION_NOT_FOUND => "Invitation not found",
    YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION => "You are not the recipient of the invitation",
    EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION => "Email verification required before accepting or rejecting invitation",
    EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION => "Email verification required to view or list invitations for the session email",
    YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION => "You are not allowed to cancel this invitation",
    YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS => "You are not allowed to list invitations for this organization",
    INVITER_IS_NO_LONGER_A_MEMBER_OF_THE_ORGANIZATION => "Inviter is no longer a member of the organization",
    YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE => "You are not allowed to invite a user with this role",
    YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER => "You are not allowed to update this member",
    ORGANIZATION_MEMBERSHIP_LIMIT_REACHED => "Organization membership limit reached",
    INVITATION_LIMIT_REACHED => "Invitation limit reached",
    YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION => "You are not a member of this organization",
    ORGANIZATION_DELETION_DISABLED => "Organization deletion is disabled",
    TEAM_NOT_FOUND => "Team not found",
    YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS => "You have reached the maximum number of teams",
    UNABLE_TO_REMOVE_LAST_TEAM => "Unable to remove last team",
    YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION => "You are not allowed to create teams in this organization",
    YOU_ARE_NOT_ALLOWED_TO_DELETE_TEAMS_IN_THIS_ORGANIZATION => "You are not allowed to delete teams in this organization",
    YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM => "You are not allowed to update this team",
    YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_TEAM => "You are not allowed to delete this team",
    TEAM_MEMBER_LIMIT_REACHED => "Team member limit reached",
    USER_IS_NOT_A_MEMBER_OF_THE_TEAM => "User is not a member of the team",
    YOU_DO_NOT_HAVE_AN_ACTIVE_TEAM => "You do not have an active team",
    YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER => "You are not allowed to create a new member",
    YOU_ARE_NOT_ALLOWED_TO_REMOVE_A_TEAM_MEMBER => "You are not allowed to remove a team member",
    YOU_ARE_NOT_ALLOWED_TO_ACCESS_THIS_ORGANIZATION => "You are not allowed to access this organization as an owner",
    INVALID_TEAM_ID => "Team id contains a reserved character",
    YOU_MUST_BE_IN_AN_ORGANIZATION_TO_CREATE_A_ROLE => "You must be in an organization to create a role",
    YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE => "You are not allowed to create a role",
    YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE => "You are not allowed to update a role",
    YOU_ARE_NOT_ALLOWED_TO_DELETE_A_ROLE => "You are not allowed to delete a role",
    YOU_ARE_NOT_ALLOWED_TO_READ_A_ROLE => "You are not allowed to read a role",
    YOU_ARE_NOT_ALLOWED_TO_LIST_A_ROLE => "You are not allowed to list a role",
    TOO_MANY_ROLES => "This organization has too many roles",
    INVALID_RESOURCE => "The provided permission includes an invalid resource",
    ROLE_NAME_IS_ALREADY_TAKEN => "That role name is already taken",
    CANNOT_DELETE_A_PRE_DEFINED_ROLE => "Cannot delete a pre-defined role",
    ROLE_IS_ASSIGNED_TO_MEMBERS => "Cannot delete a role that is assigned to members. Please reassign the members to a different role first",
});

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::Organization,
    endpoints,
    amend: no_amendment,
    check,
    errors: ERRORS,
    rate_limits: &[],
};

/// Declared roles grant declared actions; invitations need a `[mailer]`; the creator role is a
/// role.
fn check(config: &Config) -> Result<(), ConfigError> {
    let options = config.plugins.organization_options();
    access::check_roles(
        config,
        "plugins.organization",
        &options.statements(),
        &options.roles,
    )?;
    let span = config.plugins.span(Plugin::Organization).unwrap_or(0..0);
    if !options.is_role(&options.creator_role) {
        return Err(config.error_at(
            span,
            format!("creator-role `{}` is not a role", options.creator_role),
            "use owner, admin or member, or declare it as [plugins.organization.roles.<name>]",
        ));
    }
    super::needs_mailer(
        config,
        Plugin::Organization,
        "organization invitations are sent by mail",
    )
}

fn endpoints(config: &Config) -> Vec<Endpoint> {
    use Access::Session;
    use Method::{Get, Post};
    use RequestBody::{Json, None as NoBody};
    let s = || Shape::String;
    let organization = || Shape::model("organization");
    let member = || Shape::model("member");
    let invitation = || Shape::model("invitation");
    let member_user = || {
        Shape::Merge(vec![
            member(),
            Shape::object(&[(
                "user",
                Shape::object(&[
                    ("id", s()),
                    ("name", s()),
                    ("email", s()),
                    ("image", s().nullable()),
                ]),
            )]),
        ])
    };
    let roles = || Shape::OneOf(vec![s(), s().array()]);
    // Create and update answer `metadata` parsed (absent when there is none); the other
    // answers carry it as stored, JSON text.
    let parsed_metadata = || Shape::object(&[("metadata?", Shape::Json)]);
    let org_query = || vec![("organizationId?", s()), ("organizationSlug?", s())];
    let teams_on = config.plugins.organization_options().teams.enabled;
    // get-full-organization's teams, when teams are on.
    let mut full_parts = vec![
        organization(),
        Shape::object(&[
            ("members", member_user().array()),
            ("invitations", invitation().array()),
        ]),
    ];
    let mut invite_body = vec![
        ("email", s()),
        ("role", roles()),
        ("organizationId?", s()),
        ("resend?", Shape::Boolean),
    ];
    if teams_on {
        invite_body.push(("teamId?", Shape::OneOf(vec![s(), s().array()])));
        // better-auth's join leaves the seat counter in.
        let counted = Shape::Merge(vec![
            Shape::model("team"),
            Shape::object(&[("memberCount", Shape::Number)]),
        ]);
        full_parts.push(Shape::object(&[("teams", counted.array())]));
    }
    let mut all = vec![
        endpoint(
            "createOrganization",
            "/organization/create",
            Post,
            Session,
            Json(Shape::object(&[
                ("name", s()),
                ("slug", s()),
                ("logo?", s().nullable()),
                ("metadata?", Shape::Json),
                ("keepCurrentActiveOrganization?", Shape::Boolean),
            ])),
            Reply::Json(Shape::Merge(vec![
                parsed_metadata(),
                organization(),
                Shape::object(&[("members", member().array())]),
            ])),
        ),
        endpoint(
            "updateOrganization",
            "/organization/update",
            Post,
            Session,
            Json(Shape::object(&[
                ("data", Shape::Json),
                ("organizationId?", s()),
            ])),
            Reply::Json(Shape::Merge(vec![parsed_metadata(), organization()])),
        ),
        endpoint(
            "deleteOrganization",
            "/organization/delete",
            Post,
            Session,
            Json(Shape::object(&[("organizationId", s())])),
            Reply::Json(organization()),
        ),
        endpoint(
            "setActiveOrganization",
            "/organization/set-active",
            Post,
            Session,
            Json(Shape::object(&[
                ("organizationId?", s().nullable()),
                ("organizationSlug?", s()),
            ])),
            Reply::Json(organization().nullable()),
        ),
        query(
            endpoint(
                "getOrganization",
                "/organization/get-organization",
                Get,
                Session,
                NoBody,
                Reply::Json(organization().nullable()),
            ),
            &org_query(),
        ),
        query(
            endpoint(
                "getFullOrganization",
                "/organization/get-full-organization",
                Get,
                Session,
                NoBody,
                Reply::Json(Shape::Merge(full_parts).nullable()),
            ),
            &[
                ("organizationId?", s()),
                ("organizationSlug?", s()),
                ("membersLimit?", s()),
            ],
        ),
        endpoint(
            "listOrganizations",
            "/organization/list",
            Get,
            Session,
            NoBody,
            Reply::Json(organization().array()),
        ),
        endpoint(
            "checkOrganizationSlug",
            "/organization/check-slug",
            Post,
            Session,
            Json(Shape::object(&[("slug", s())])),
            Reply::Json(Shape::object(&[("status", Shape::Boolean)])),
        ),
        endpoint(
            "createInvitation",
            "/organization/invite-member",
            Post,
            Session,
            Json(Shape::object(&invite_body)),
            Reply::Json(invitation()),
        ),
        endpoint(
            "cancelInvitation",
            "/organization/cancel-invitation",
            Post,
            Session,
            Json(Shape::object(&[("invitationId", s())])),
            Reply::Json(invitation().nullable()),
        ),
        endpoint(
            "acceptInvitation",
            "/organization/accept-invitation",
            Post,
            Session,
            Json(Shape::object(&[("invitationId", s())])),
            Reply::Json(Shape::object(&[
                ("invitation", invitation()),
                ("member", member()),
            ])),
        ),
        endpoint(
            "rejectInvitation",
            "/organization/reject-invitation",
            Post,
            Session,
            Json(Shape::object(&[("invitationId", s())])),
            Reply::Json(Shape::object(&[
                ("invitation", invitation().nullable()),
                ("member", Shape::Json),
            ])),
        ),
        query(
            endpoint(
                "getInvitation",
                "/organization/get-invitation",
                Get,
                Session,
                NoBody,
                Reply::Json(Shape::Merge(vec![
                    invitation(),
                    Shape::object(&[
                        ("organizationName", s()),
                        ("organizationSlug", s()),
                        ("inviterEmail", s()),
                    ]),
                ])),
            ),
            &[("id", s())],
        ),
        query(
            endpoint(
                "listInvitations",
                "/organization/list-invitations",
                Get,
                Session,
                NoBody,
                Reply::Json(invitation().array()),
            ),
            &[("organizationId?", s())],
        ),
        endpoint(
            "listUserInvitations",
            "/organization/list-user-invitations",
            Get,
            Session,
            NoBody,
            Reply::Json(
                Shape::Merge(vec![
                    invitation(),
                    Shape::object(&[("organizationName", s())]),
                ])
                .array(),
            ),
        ),
        endpoint(
            "getActiveMember",
            "/organization/get-active-member",
            Get,
            Session,
            NoBody,
            Reply::Json(member_user()),
        ),
        query(
            endpoint(
                "getActiveMemberRole",
                "/organization/get-active-member-role",
                Get,
                Session,
                NoBody,
                Reply::Json(Shape::object(&[("role", s())])),
            ),
            &[
                ("userId?", s()),
                ("organizationId?", s()),
                ("organizationSlug?", s()),
            ],
        ),
        endpoint(
            "removeMember",
            "/organization/remove-member",
            Post,
            Session,
            Json(Shape::object(&[
                ("memberIdOrEmail", s()),
                ("organizationId?", s()),
            ])),
            Reply::Json(Shape::object(&[("member", member())])),
        ),
        endpoint(
            "updateMemberRole",
            "/organization/update-member-role",
            Post,
            Session,
            Json(Shape::object(&[
                ("role", roles()),
                ("memberId", s()),
                ("organizationId?", s()),
            ])),
            Reply::Json(member()),
        ),
        endpoint(
            "leaveOrganization",
            "/organization/leave",
            Post,
            Session,
            Json(Shape::object(&[("organizationId", s())])),
            Reply::Json(member_user()),
        ),
        query(
            endpoint(
                "listMembers",
                "/organization/list-members",
                Get,
                Session,
                NoBody,
                Reply::Json(Shape::object(&[
                    ("members", member_user().array()),
                    ("total", Shape::Number),
                ])),
            ),
            &[
                ("limit?", s()),
                ("offset?", s()),
                ("sortBy?", s()),
                ("sortDirection?", s()),
                ("filterField?", s()),
                ("filterValue?", s()),
                ("filterOperator?", s()),
                ("organizationId?", s()),
                ("organizationSlug?", s()),
            ],
        ),
        endpoint(
            "hasPermission",
            "/organization/has-permission",
            Post,
            Session,
            Json(Shape::object(&[
                ("organizationId?", s()),
                ("permissions", Shape::Json),
            ])),
            Reply::Json(Shape::object(&[
                ("error", s().nullable()),
                ("success", Shape::Boolean),
            ])),
        ),
    ];
    if teams_on {
        all.extend(teams::endpoints());
    }
    if config
        .plugins
        .organization_options()
        .dynamic_access_control
        .enabled()
    {
        all.extend(roles::endpoints());
    }
    for endpoint in &mut all {
        endpoint.plugin = Some(Plugin::Organization);
    }
    all
}
