//! organization at run time, as better-auth 1.7.25's `organization` plugin: organizations
//! (`organizations`), their members (`members`) and invitations by mail (`invitations`), every
//! change checked against the caller's role in that organization with better-auth's access
//! control (`[plugins.organization.roles]`).
//!
//! Where better-auth is weak this is stricter: a member removed (or leaving, or whose
//! organization is deleted) loses it as the active organization of every session they hold,
//! not only of the session that asked.

mod invitations;
mod members;
mod organizations;
mod roles;
mod teams;

pub(crate) use roles::member_may;

use std::collections::HashMap;

use auth_core::errors::ErrorCode;
use auth_core::plugins::access::Statements;
use auth_core::plugins::organization::{Options, role_list};
use auth_core::schema::Plugin;
use auth_core::schema::names::{member, organization, session, user};
use futures_util::future::BoxFuture;
use http::StatusCode;
use serde_json::{Value as Json, json};

use super::Runtime;
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::session::SessionCtx;
use crate::store::{Output, Row, Value, Where, text, text_of};

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::Organization,
    handlers: &[
        ("createOrganization", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(organizations::create(a, c, m))
            }))
        }),
        ("updateOrganization", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(organizations::update(a, c, m))
            }))
        }),
        ("deleteOrganization", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(organizations::delete(a, c, m))
            }))
        }),
        ("setActiveOrganization", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(organizations::set_active_organization(a, c, m))
            }))
        }),
        ("getOrganization", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(organizations::get(a, c, m))
            }))
        }),
        ("getFullOrganization", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(organizations::get_full(a, c, m))
            }))
        }),
        ("listOrganizations", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(organizations::list(a, c, m))
            }))
        }),
        ("checkOrganizationSlug", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(organizations::check_slug(a, c, m))
            }))
        }),
        ("createInvitation", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(invitations::invite(a, c, m))
            }))
        }),
        ("cancelInvitation", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(invitations::cancel(a, c, m))
            }))
        }),
        ("acceptInvitation", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(invitations::accept(a, c, m))
            }))
        }),
        ("rejectInvitation", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(invitations::reject(a, c, m))
            }))
        }),
        ("getInvitation", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(invitations::get(a, c, m))
            }))
        }),
        ("listInvitations", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(invitations::list(a, c, m))
            }))
        }),
        ("listUserInvitations", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(invitations::list_of_user(a, c, m))
            }))
        }),
        ("getActiveMember", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(members::active(a, c, m))
            }))
        }),
        ("getActiveMemberRole", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(members::active_role(a, c, m))
            }))
        }),
        ("removeMember", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(members::remove(a, c, m))
            }))
        }),
        ("updateMemberRole", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(members::update_role(a, c, m))
            }))
        }),
        ("leaveOrganization", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(members::leave(a, c, m))
            }))
        }),
        ("listMembers", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(members::list(a, c, m))
            }))
        }),
        ("hasPermission", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(has_permission(a, c, m))
            }))
        }),
        ("createTeam", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(teams::create(a, c, m))
            }))
        }),
        ("listOrganizationTeams", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(teams::list(a, c, m))
            }))
        }),
        ("removeTeam", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(teams::remove(a, c, m))
            }))
        }),
        ("updateTeam", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(teams::update(a, c, m))
            }))
        }),
        ("setActiveTeam", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(teams::set_active(a, c, m))
            }))
        }),
        ("listUserTeams", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(teams::list_of_user(a, c, m))
            }))
        }),
        ("listTeamMembers", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(teams::list_members(a, c, m))
            }))
        }),
        ("addTeamMember", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(teams::add_member(a, c, m))
            }))
        }),
        ("removeTeamMember", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(teams::remove_member(a, c, m))
            }))
        }),
        ("createOrgRole", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(roles::create(a, c, m))
            }))
        }),
        ("updateOrgRole", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(roles::update(a, c, m))
            }))
        }),
        ("deleteOrgRole", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(roles::delete(a, c, m))
            }))
        }),
        ("listOrgRoles", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(roles::list(a, c, m))
            }))
        }),
        ("getOrgRole", |auth, ctx, s| {
            Box::pin(signed_in(auth, ctx, s, |a, c, m| {
                Box::pin(roles::get(a, c, m))
            }))
        }),
    ],
    sign_in_guard: None,
    on_request: None,
    before: None,
    after: None,
    session_guard: None,
    database_hooks: None,
};

/// The signed-in caller of an organization endpoint and the plugin's options.
struct Caller {
    session: SessionCtx,
    options: Options,
}

impl Caller {
    fn id(&self) -> &str {
        self.session.user_id()
    }

    fn email(&self) -> String {
        text(&self.session.user, user::EMAIL)
    }

    /// The session's active organization, if any.
    fn active(&self) -> Option<String> {
        self.session
            .session
            .get(session::ACTIVE_ORGANIZATION_ID)
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
    }

    /// `given` when it is a non-empty id (JavaScript's `given || active`), else the active
    /// organization.
    fn organization_or_active(&self, given: Option<&str>) -> Option<String> {
        given
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .or_else(|| self.active())
    }

    /// Does a member of `organization_id` with `role` hold every action of `wanted`? With
    /// `creator_may_all`, the creator role may everything. The organization's stored roles
    /// count (dynamic access control).
    async fn grants(
        &self,
        auth: &Auth,
        organization_id: &str,
        role: &str,
        wanted: &[(&str, &str)],
        creator_may_all: bool,
    ) -> Result<bool, ApiError> {
        let mut statements = Statements::new();
        for (resource, action) in wanted {
            statements
                .entry((*resource).to_owned())
                .or_default()
                .push((*action).to_owned());
        }
        let roles = roles::of_organization(auth, &self.options, organization_id).await?;
        Ok(self
            .options
            .has_permission_among(&roles, role, &statements, creator_may_all))
    }

    /// better-auth's refusal of roles neither declared nor stored for `organization_id`:
    /// `ROLE_NOT_FOUND: a, b`.
    async fn unknown_roles(
        &self,
        auth: &Auth,
        organization_id: &str,
        roles: &[String],
    ) -> Result<Option<String>, ApiError> {
        let mut unknown: Vec<&str> = roles
            .iter()
            .filter(|r| !self.options.is_role(r))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() && self.options.dynamic_access_control.enabled() {
            let stored = roles::stored_names(auth, organization_id, &unknown).await?;
            unknown.retain(|r| !stored.iter().any(|s| s == r));
        }
        Ok((!unknown.is_empty()).then(|| {
            format!(
                "{}: {}",
                auth_core::plugins::organization::ROLE_NOT_FOUND.code,
                unknown.join(", ")
            )
        }))
    }

    /// Is `role` (comma-joined) the creator role, or one of them?
    fn is_creator(&self, role: &str) -> bool {
        role_list(role).contains(&self.options.creator_role.as_str())
    }
}

type Handler =
    for<'a> fn(&'a Auth, &'a mut Ctx, &'a Caller) -> BoxFuture<'a, Result<Reply, ApiError>>;

/// better-auth's `orgSessionMiddleware`: a session, or 401; then `handler`.
async fn signed_in(
    auth: &Auth,
    ctx: &mut Ctx,
    session: Option<SessionCtx>,
    handler: Handler,
) -> Result<Reply, ApiError> {
    let Some(session) = session else {
        return Err(ApiError::unauthorized());
    };
    let caller = Caller {
        session,
        options: auth.inner.config.plugins.organization_options().clone(),
    };
    handler(auth, ctx, &caller).await
}

/// The membership of `user_id` in `organization_id`.
async fn membership(
    auth: &Auth,
    user_id: &str,
    organization_id: &str,
) -> Result<Option<Row>, ApiError> {
    Ok(auth
        .inner
        .store
        .find_one(
            member::MODEL,
            &[
                Where::eq(member::USER_ID, user_id),
                Where::eq(member::ORGANIZATION_ID, organization_id),
            ],
        )
        .await?)
}

/// The organization with `field` = `value` (its id or slug).
async fn organization_by(auth: &Auth, field: &str, value: &str) -> Result<Option<Row>, ApiError> {
    Ok(auth
        .inner
        .store
        .find_one(organization::MODEL, &[Where::eq(field, value)])
        .await?)
}

/// A member as better-auth answers it: its fields, then `user` (the user's id, name, email and
/// image), serialised straight into the answer.
struct MemberWithUser<'a> {
    member: Output<'a>,
    user: &'a Row,
}

impl serde::Serialize for MemberWithUser<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(None)?;
        self.member.entries(&mut map)?;
        map.serialize_entry("user", &UserOfMember(self.user))?;
        map.end()
    }
}

/// The part of a user a member carries.
struct UserOfMember<'a>(&'a Row);

impl serde::Serialize for UserOfMember<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let row = self.0;
        let mut map = serializer.serialize_map(Some(4))?;
        for field in [user::ID, user::NAME, user::EMAIL] {
            map.serialize_entry(field, text_of(row, field))?;
        }
        map.serialize_entry(user::IMAGE, &row.get(user::IMAGE))?;
        map.end()
    }
}

fn with_user<'a>(auth: &'a Auth, member_row: &'a Row, user_row: &'a Row) -> MemberWithUser<'a> {
    MemberWithUser {
        member: auth.output_of(member::MODEL, member_row),
        user: user_row,
    }
}

/// The users of `members`, in one query (for [`with_users`]).
async fn users_of(auth: &Auth, members: &[Row]) -> Result<Vec<Row>, ApiError> {
    let ids = members
        .iter()
        .map(|m| Value::String(text(m, member::USER_ID)));
    Ok(auth
        .inner
        .store
        .find_many(
            user::MODEL,
            &[Where::is_in(user::ID, ids)],
            None,
            None,
            None,
        )
        .await?)
}

/// Members with their users (from [`users_of`]), in their order; a member whose user is gone is
/// left out.
fn with_users<'a>(auth: &'a Auth, members: &'a [Row], users: &'a [Row]) -> Vec<MemberWithUser<'a>> {
    let by_id: HashMap<&str, &Row> = users
        .iter()
        .filter_map(|u| Some((u.get(user::ID)?.as_str()?, u)))
        .collect();
    members
        .iter()
        .filter_map(|m| {
            let user = by_id.get(m.get(member::USER_ID)?.as_str()?)?;
            Some(with_user(auth, m, user))
        })
        .collect()
}

/// `member_row` with its user, or `None` when the user is gone.
async fn member_with_user(auth: &Auth, member_row: &Row) -> Result<Option<Json>, ApiError> {
    let user_id = text(member_row, member::USER_ID);
    let found = auth
        .inner
        .store
        .find_one(user::MODEL, &[Where::eq(user::ID, user_id.as_str())])
        .await?;
    Ok(found.and_then(|u| serde_json::to_value(with_user(auth, member_row, &u)).ok()))
}

/// Sets (or, with `None`, clears) the caller's active organization, in the stored session and
/// in the cookie cache.
async fn set_active(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
    organization_id: Option<&str>,
) -> Result<(), ApiError> {
    let mut changes = Row::new();
    changes.insert(
        session::ACTIVE_ORGANIZATION_ID.into(),
        organization_id.map_or(Value::Null, Value::from),
    );
    update_session(auth, ctx, caller, changes).await
}

/// Writes `changes` to the caller's session, stored and in the cookie cache.
async fn update_session(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
    changes: Row,
) -> Result<(), ApiError> {
    auth.sessions()
        .update(caller.session.token(), changes.clone())
        .await?;
    let mut stored = Row::clone(&caller.session.session);
    stored.extend(changes);
    auth.set_cookie_cache(
        ctx,
        &stored,
        &caller.session.user,
        caller.session.dont_remember,
    );
    Ok(())
}

/// Clears `organization_id` as the active organization of every session of `user_id` (a
/// removed member keeps no way into it; their teams they left with it).
async fn deactivate_everywhere(
    auth: &Auth,
    user_id: &str,
    organization_id: &str,
) -> Result<(), ApiError> {
    for held in auth.sessions().list(user_id).await? {
        let active = held
            .get(session::ACTIVE_ORGANIZATION_ID)
            .and_then(Value::as_str);
        if active == Some(organization_id) {
            let mut changes = Row::new();
            changes.insert(session::ACTIVE_ORGANIZATION_ID.into(), Value::Null);
            auth.sessions()
                .update(&text(&held, session::TOKEN), changes)
                .await?;
        }
    }
    Ok(())
}

/// What the caller's own session loses when they leave `organization_id` (whose teams are
/// `teams`): the organization and the team, where active. Empty when neither is.
fn leaving(caller: &Caller, organization_id: &str, teams: &[String]) -> Row {
    let mut changes = Row::new();
    if caller.active().as_deref() == Some(organization_id) {
        changes.insert(session::ACTIVE_ORGANIZATION_ID.into(), Value::Null);
    }
    if caller
        .active_team()
        .is_some_and(|active| teams.contains(&active))
    {
        changes.insert(session::ACTIVE_TEAM_ID.into(), Value::Null);
    }
    changes
}

fn bad_request(code: ErrorCode) -> ApiError {
    ApiError::bad_request(code)
}

fn forbidden(code: ErrorCode) -> ApiError {
    ApiError::forbidden(code)
}

/// An optional string of the query.
fn query_str<'a>(ctx: &'a Ctx, key: &str) -> Option<&'a str> {
    ctx.query.get(key)
}

/// A required string of the body that must not be empty (zod's `z.string().min(1)`).
fn non_empty<'a>(ctx: &'a Ctx, key: &str) -> Result<&'a str, ApiError> {
    let value = ctx.body.str(key)?;
    if value.is_empty() {
        return Err(ApiError::validation(format!(
            "[body.{key}] Too small: expected string to have >=1 characters"
        )));
    }
    Ok(value)
}

/// `role` of a body: a string or an array of strings (better-auth's `string | string[]`), as
/// the list of its role names.
fn body_roles(ctx: &Ctx) -> Result<Vec<String>, ApiError> {
    let invalid =
        || ApiError::validation("[body.role] Invalid input: expected string or array of strings");
    let names: Vec<String> = match ctx.body.get("role") {
        Some(Json::String(role)) => vec![role.clone()],
        Some(Json::Array(items)) => items
            .iter()
            .map(|r| r.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(invalid)?,
        _ => return Err(invalid()),
    };
    Ok(names
        .iter()
        .flat_map(|r| role_list(r))
        .map(str::to_owned)
        .collect())
}

/// `POST /organization/has-permission`: may the caller, as a member of the given or active
/// organization, do all of `permissions` (or the deprecated `permission`)? 200 either way.
async fn has_permission(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let given = match (ctx.body.get("permissions"), ctx.body.get("permission")) {
        (Some(wanted), None) | (None, Some(wanted)) => wanted,
        _ => {
            return Err(ApiError::validation(
                "Invalid input: give exactly one of permissions and permission",
            ));
        }
    };
    let wanted = auth_core::plugins::access::from_json(given).ok_or_else(|| {
        ApiError::validation(
            "[body.permissions] Invalid input: expected record of arrays of strings",
        )
    })?;
    let given_org = ctx.body.opt_str("organizationId")?;
    let Some(organization_id) = caller.organization_or_active(given_org) else {
        return Err(bad_request(
            auth_core::plugins::organization::NO_ACTIVE_ORGANIZATION,
        ));
    };
    let Some(found) = membership(auth, caller.id(), &organization_id).await? else {
        return Err(ApiError::base(
            StatusCode::UNAUTHORIZED,
            auth_core::plugins::organization::USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION,
        ));
    };
    let roles = roles::of_organization(auth, &caller.options, &organization_id).await?;
    let success =
        caller
            .options
            .has_permission_among(&roles, &text(&found, member::ROLE), &wanted, false);
    Ok(Reply::json(json!({ "error": null, "success": success })))
}

#[cfg(test)]
mod invariants;
#[cfg(test)]
mod tests;
