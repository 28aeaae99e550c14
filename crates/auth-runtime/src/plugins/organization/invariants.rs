//! Random sequences of organization operations by several users, through the HTTP handler,
//! with the plugin's invariants checked after every step: every organization keeps an owner;
//! the stored memberships are exactly those the successful calls made (nobody gains a role
//! nobody allowed to grant it gave them, and a plain member's role changes are refused);
//! a non-member can neither read nor change an organization; no session keeps as active an
//! organization its user is not a member of; an invitation is accepted at most once. With
//! teams: the stored team memberships are exactly those the successful calls made (a removed
//! member has left the organization's teams, a deleted organization's teams are gone), every
//! team member is a member of its organization, no session keeps as active a team its user is
//! not in, each team's `memberCount` is its number of members, and a non-member can neither
//! read nor change an organization's teams. With dynamic access control: the stored roles are
//! exactly those the successful calls created, each created by a member who held every action
//! it grants (and `ac:create`), given only in its own organization; and every member holds, as
//! has-permission answers, exactly what their role grants — nobody gains a permission they
//! were not granted by someone allowed to grant it. With admin (user 0 has the `admin` role):
//! only the admin bans, unbans and impersonates; a banned user has no live session (an
//! impersonation session of them included) and cannot sign in; an impersonation session is the
//! target's, made by the admin; stopping it deletes it and restores the admin's own session.

use std::collections::{BTreeMap, BTreeSet};

use auth_core::plugins::access;
use auth_core::schema::names::{organization_role, team, team_member, user};
use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::plugins::tests::{PASSWORD, after, call, json_of, sign_up};

const USERS: usize = 4;
const ROLES: [&str; 3] = ["member", "admin", "owner"];
/// What created roles grant: some within an admin's reach, some only an owner's.
const GRANTS: [&[(&str, &[&str])]; 6] = [
    &[("invitation", &["create"])],
    &[("member", &["update"])],
    &[
        ("member", &["create", "update", "delete"]),
        ("invitation", &["create", "cancel"]),
    ],
    &[("ac", &["create", "read"])],
    &[("organization", &["update", "delete"])],
    &[("team", &["create"]), ("member", &["update"])],
];

#[derive(Debug, Clone)]
enum Step {
    Create(usize),
    Invite(usize, usize, usize, usize),
    /// The invitation's recipient accepts it (or, when false, another user tries).
    Accept(usize, bool),
    SetRole(usize, usize, usize, usize),
    Remove(usize, usize, usize),
    Leave(usize, usize),
    Delete(usize, usize),
    SetActive(usize, usize),
    Read(usize, usize),
    CreateTeam(usize, usize),
    /// User adds a user to a team (teams by creation index).
    AddToTeam(usize, usize, usize),
    RemoveFromTeam(usize, usize, usize),
    RemoveTeam(usize, usize),
    SetActiveTeam(usize, usize),
    ReadTeam(usize, usize),
    /// User creates in an organization the role `r<n>` granting `GRANTS[g]`.
    CreateRole(usize, usize, usize, usize),
    /// User gives a member of an organization a created role (by creation index).
    AssignRole(usize, usize, usize, usize),
    /// User invites a user to an organization as a created role (by creation index).
    InviteAsRole(usize, usize, usize, usize),
    /// User bans a user (admin plugin).
    Ban(usize, usize),
    Unban(usize, usize),
    /// A user signs in with their password (refused while banned).
    SignIn(usize),
    /// User impersonates a user, from their own session.
    Impersonate(usize, usize),
    /// User stops the impersonation they started last.
    StopImpersonating(usize),
}

/// The user with the `admin` role.
const ADMIN: usize = 0;

fn step() -> impl Strategy<Value = Step> {
    let user = 0..USERS;
    let org = 0usize..3;
    let role = 0..ROLES.len();
    let team = 0usize..5;
    prop_oneof![
        2 => user.clone().prop_map(Step::Create),
        4 => (user.clone(), org.clone(), user.clone(), role.clone())
            .prop_map(|(u, o, t, r)| Step::Invite(u, o, t, r)),
        4 => (0usize..6, proptest::bool::weighted(0.8)).prop_map(|(i, r)| Step::Accept(i, r)),
        2 => (user.clone(), org.clone(), user.clone(), role)
            .prop_map(|(u, o, t, r)| Step::SetRole(u, o, t, r)),
        3 => (user.clone(), org.clone(), user.clone()).prop_map(|(u, o, t)| Step::Remove(u, o, t)),
        1 => (user.clone(), org.clone()).prop_map(|(u, o)| Step::Leave(u, o)),
        1 => (user.clone(), org.clone()).prop_map(|(u, o)| Step::Delete(u, o)),
        1 => (user.clone(), org.clone()).prop_map(|(u, o)| Step::SetActive(u, o)),
        2 => (user.clone(), org.clone()).prop_map(|(u, o)| Step::Read(u, o)),
        2 => (user.clone(), org.clone()).prop_map(|(u, o)| Step::CreateTeam(u, o)),
        3 => (user.clone(), team.clone(), user.clone())
            .prop_map(|(u, t, v)| Step::AddToTeam(u, t, v)),
        2 => (user.clone(), team.clone(), user.clone())
            .prop_map(|(u, t, v)| Step::RemoveFromTeam(u, t, v)),
        1 => (user.clone(), team.clone()).prop_map(|(u, t)| Step::RemoveTeam(u, t)),
        2 => (user.clone(), team.clone()).prop_map(|(u, t)| Step::SetActiveTeam(u, t)),
        2 => (user.clone(), team).prop_map(|(u, t)| Step::ReadTeam(u, t)),
        3 => (user.clone(), org.clone(), 0usize..3, 0..GRANTS.len())
            .prop_map(|(u, o, n, g)| Step::CreateRole(u, o, n, g)),
        2 => (user.clone(), org.clone(), user.clone(), 0usize..6)
            .prop_map(|(u, o, t, k)| Step::AssignRole(u, o, t, k)),
        2 => (user.clone(), org.clone(), user.clone(), 0usize..6)
            .prop_map(|(u, o, t, k)| Step::InviteAsRole(u, o, t, k)),
        2 => (admin_mostly(), user.clone()).prop_map(|(u, t)| Step::Ban(u, t)),
        1 => (admin_mostly(), user.clone()).prop_map(|(u, t)| Step::Unban(u, t)),
        1 => user.clone().prop_map(Step::SignIn),
        2 => (admin_mostly(), user).prop_map(|(u, t)| Step::Impersonate(u, t)),
        2 => admin_mostly().prop_map(Step::StopImpersonating),
    ]
}

/// A user who is the admin three times out of four.
fn admin_mostly() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(ADMIN), 1 => 0..USERS]
}

/// What the successful calls made: organization → user → role.
type Model = BTreeMap<String, BTreeMap<usize, String>>;

/// Team → its organization and members.
type Teams = BTreeMap<String, (String, BTreeSet<usize>)>;

/// Created roles: organization → role name → what it grants.
type CreatedRoles = BTreeMap<String, BTreeMap<String, Statements>>;

struct World {
    auth: Auth,
    cookies: Vec<String>,
    ids: Vec<String>,
    emails: Vec<String>,
    /// Organizations created, deleted ones included (steps name them by index).
    organizations: Vec<String>,
    /// Invitations made: id and recipient.
    invitations: Vec<(String, usize)>,
    accepted: BTreeSet<String>,
    model: Model,
    /// Teams created, removed ones included (steps name them by index).
    team_ids: Vec<String>,
    teams: Teams,
    created_roles: CreatedRoles,
    /// Roles created, by creation index: organization and name.
    role_names: Vec<(String, String)>,
    /// Users banned by the successful calls.
    banned: BTreeSet<usize>,
    /// Users signed out by a ban and not signed in since (their cookies are dead).
    signed_out: BTreeSet<usize>,
    /// Impersonations started and not stopped: the admin → the target, the browser's cookies and
    /// the admin's own session when it started (the one stopping restores, even if the admin has
    /// signed in again since).
    impersonating: BTreeMap<usize, (usize, String, Option<String>)>,
}

impl World {
    async fn post(&self, user: usize, path: &str, body: Json) -> (StatusCode, Json) {
        let response = call(&self.auth, "POST", path, &self.cookies[user], Some(body)).await;
        (response.status(), json_of(&response))
    }

    async fn get(&self, user: usize, path: &str) -> StatusCode {
        call(&self.auth, "GET", path, &self.cookies[user], None)
            .await
            .status()
    }

    fn organization(&self, index: usize) -> Option<String> {
        self.organizations.get(index).cloned()
    }

    fn role(&self, org: &str, user: usize) -> Option<&str> {
        self.model.get(org)?.get(&user).map(String::as_str)
    }

    async fn run(&mut self, step: &Step) {
        match *step {
            Step::Create(u) => {
                if self.signed_out.contains(&u) {
                    return;
                }
                let slug = format!("org-{}", self.organizations.len());
                let (status, body) = self
                    .post(
                        u,
                        "/organization/create",
                        json!({ "name": slug, "slug": slug }),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{body}");
                let id = body["id"].as_str().unwrap_or_default().to_owned();
                self.model
                    .insert(id.clone(), BTreeMap::from([(u, "owner".to_owned())]));
                // Its default team, with its creator in it.
                for row in self.stored(team::MODEL).await {
                    if text(&row, team::ORGANIZATION_ID) == id {
                        let team_id = text(&row, team::ID);
                        self.teams
                            .insert(team_id.clone(), (id.clone(), BTreeSet::from([u])));
                        self.team_ids.push(team_id);
                    }
                }
                self.organizations.push(id);
            }
            Step::Invite(u, o, t, r) => {
                let Some(org) = self.organization(o) else {
                    return;
                };
                let body =
                    json!({ "email": self.emails[t], "role": ROLES[r], "organizationId": org });
                let (status, answer) = self.post(u, "/organization/invite-member", body).await;
                if status == StatusCode::OK {
                    let role = self.role(&org, u);
                    assert!(
                        self.may(&org, u, "invitation", "create"),
                        "{u} ({role:?}) invited to {org}"
                    );
                    assert!(
                        ROLES[r] != "owner" || role == Some("owner"),
                        "owner invited by {role:?}"
                    );
                    self.invitations
                        .push((answer["id"].as_str().unwrap_or_default().to_owned(), t));
                }
            }
            Step::Accept(i, by_recipient) => {
                let Some((id, recipient)) = self.invitations.get(i).cloned() else {
                    return;
                };
                let u = if by_recipient {
                    recipient
                } else {
                    (recipient + 1) % USERS
                };
                let (status, answer) = self
                    .post(
                        u,
                        "/organization/accept-invitation",
                        json!({ "invitationId": id }),
                    )
                    .await;
                if status == StatusCode::OK {
                    assert_eq!(u, recipient, "{id} accepted by another user");
                    assert!(
                        self.accepted.insert(id.clone()),
                        "invitation {id} accepted twice"
                    );
                    let org = answer["member"]["organizationId"]
                        .as_str()
                        .unwrap_or_default();
                    let role = answer["member"]["role"].as_str().unwrap_or_default();
                    self.model
                        .entry(org.to_owned())
                        .or_default()
                        .entry(u)
                        .or_insert_with(|| role.to_owned());
                }
            }
            Step::SetRole(u, o, t, r) => {
                let Some(org) = self.organization(o) else {
                    return;
                };
                let Some(member_id) = self.member_id(&org, t).await else {
                    return;
                };
                let body =
                    json!({ "memberId": member_id, "role": ROLES[r], "organizationId": org });
                let (status, _) = self.post(u, "/organization/update-member-role", body).await;
                if status == StatusCode::OK {
                    let role = self.role(&org, u);
                    assert!(
                        self.may(&org, u, "member", "update"),
                        "{u} ({role:?}) changed a role in {org}"
                    );
                    self.model
                        .entry(org)
                        .or_default()
                        .insert(t, ROLES[r].to_owned());
                }
            }
            Step::Remove(u, o, t) => {
                let Some(org) = self.organization(o) else {
                    return;
                };
                let body = json!({ "memberIdOrEmail": self.emails[t], "organizationId": org });
                let (status, _) = self.post(u, "/organization/remove-member", body).await;
                if status == StatusCode::OK {
                    let role = self.role(&org, u);
                    assert!(
                        self.may(&org, u, "member", "delete"),
                        "{u} ({role:?}) removed a member of {org}"
                    );
                    self.leave_teams(&org, t);
                    self.model.entry(org).or_default().remove(&t);
                }
            }
            Step::Leave(u, o) => {
                let Some(org) = self.organization(o) else {
                    return;
                };
                let (status, _) = self
                    .post(u, "/organization/leave", json!({ "organizationId": org }))
                    .await;
                if status == StatusCode::OK {
                    self.leave_teams(&org, u);
                    self.model.entry(org).or_default().remove(&u);
                }
            }
            Step::Delete(u, o) => {
                let Some(org) = self.organization(o) else {
                    return;
                };
                let (status, _) = self
                    .post(u, "/organization/delete", json!({ "organizationId": org }))
                    .await;
                if status == StatusCode::OK {
                    let role = self.role(&org, u);
                    assert!(
                        self.may(&org, u, "organization", "delete"),
                        "{u} ({role:?}) deleted {org}"
                    );
                    self.teams.retain(|_, (of, _)| *of != org);
                    self.created_roles.remove(&org);
                    self.model.remove(&org);
                }
            }
            Step::SetActive(u, o) => {
                let Some(org) = self.organization(o) else {
                    return;
                };
                let (status, _) = self
                    .post(
                        u,
                        "/organization/set-active",
                        json!({ "organizationId": org }),
                    )
                    .await;
                assert_eq!(
                    status == StatusCode::OK,
                    self.role(&org, u).is_some() && !self.signed_out.contains(&u),
                    "set-active of {u} in {org}: {status}"
                );
            }
            Step::Read(u, o) => {
                let Some(org) = self.organization(o) else {
                    return;
                };
                if self.role(&org, u).is_some()
                    || !self.model.contains_key(&org)
                    || self.signed_out.contains(&u)
                {
                    return;
                }
                for path in [
                    format!("/organization/get-full-organization?organizationId={org}"),
                    format!("/organization/list-members?organizationId={org}"),
                    format!("/organization/list-invitations?organizationId={org}"),
                ] {
                    assert_eq!(
                        self.get(u, &path).await,
                        StatusCode::FORBIDDEN,
                        "{u}: {path}"
                    );
                }
                let (status, _) = self
                    .post(
                        u,
                        "/organization/update",
                        json!({ "organizationId": org, "data": { "name": "x" } }),
                    )
                    .await;
                assert_eq!(status, StatusCode::BAD_REQUEST, "{u} updated {org}");
            }
            Step::CreateTeam(u, o) => {
                let Some(org) = self.organization(o) else {
                    return;
                };
                let body = json!({ "name": "t", "organizationId": org });
                let (status, answer) = self.post(u, "/organization/create-team", body).await;
                if status == StatusCode::OK {
                    let role = self.role(&org, u);
                    assert!(
                        self.may(&org, u, "team", "create"),
                        "{u} ({role:?}) created a team in {org}"
                    );
                    let id = answer["id"].as_str().unwrap_or_default().to_owned();
                    self.teams.insert(id.clone(), (org, BTreeSet::new()));
                    self.team_ids.push(id);
                }
            }
            Step::AddToTeam(u, t, v) | Step::RemoveFromTeam(u, t, v) => {
                let Some((team_id, org)) = self.team(t) else {
                    return;
                };
                let adding = matches!(step, Step::AddToTeam(..));
                let path = if adding {
                    "/organization/add-team-member"
                } else {
                    "/organization/remove-team-member"
                };
                let body =
                    json!({ "teamId": team_id, "userId": self.ids[v], "organizationId": org });
                let (status, _) = self.post(u, path, body).await;
                if status == StatusCode::OK {
                    let role = self.role(&org, u);
                    let action = if adding { "update" } else { "delete" };
                    assert!(
                        self.may(&org, u, "member", action),
                        "{u} ({role:?}) changed team {team_id}"
                    );
                    assert!(self.role(&org, v).is_some(), "{v} put in {team_id}");
                    if let Some((_, members)) = self.teams.get_mut(&team_id) {
                        if adding {
                            members.insert(v);
                        } else {
                            members.remove(&v);
                        }
                    }
                }
            }
            Step::RemoveTeam(u, t) => {
                let Some((team_id, org)) = self.team(t) else {
                    return;
                };
                let body = json!({ "teamId": team_id, "organizationId": org });
                let (status, _) = self.post(u, "/organization/remove-team", body).await;
                if status == StatusCode::OK {
                    let role = self.role(&org, u);
                    assert!(
                        self.may(&org, u, "team", "delete"),
                        "{u} ({role:?}) removed team {team_id}"
                    );
                    self.teams.remove(&team_id);
                }
            }
            Step::SetActiveTeam(u, t) => {
                let Some((team_id, _)) = self.team(t) else {
                    return;
                };
                let body = json!({ "teamId": team_id });
                let (status, _) = self.post(u, "/organization/set-active-team", body).await;
                if status == StatusCode::OK {
                    assert!(self.in_team(&team_id, u), "{u} made {team_id} active");
                }
            }
            Step::ReadTeam(u, t) => {
                let Some((team_id, org)) = self.team(t) else {
                    return;
                };
                if self.role(&org, u).is_some() || self.signed_out.contains(&u) {
                    return;
                }
                for (path, refused) in [
                    (
                        format!("/organization/list-team-members?teamId={team_id}"),
                        StatusCode::BAD_REQUEST,
                    ),
                    (
                        format!("/organization/list-teams?organizationId={org}"),
                        StatusCode::FORBIDDEN,
                    ),
                    (
                        format!("/organization/list-user-teams?organizationId={org}"),
                        StatusCode::FORBIDDEN,
                    ),
                ] {
                    assert_eq!(self.get(u, &path).await, refused, "{u}: {path}");
                }
                for (path, body) in [
                    (
                        "/organization/update-team",
                        json!({ "teamId": team_id, "data": { "name": "x", "organizationId": org } }),
                    ),
                    (
                        "/organization/add-team-member",
                        json!({ "teamId": team_id, "userId": self.ids[u], "organizationId": org }),
                    ),
                    (
                        "/organization/remove-team",
                        json!({ "teamId": team_id, "organizationId": org }),
                    ),
                ] {
                    let (status, _) = self.post(u, path, body).await;
                    assert!(status.is_client_error(), "{u}: {path} answered {status}");
                }
            }
            Step::CreateRole(u, o, n, g) => self.create_role(u, o, n, g).await,
            Step::AssignRole(u, o, t, k) | Step::InviteAsRole(u, o, t, k) => {
                let assigning = matches!(step, Step::AssignRole(..));
                self.give_role(u, o, t, k, assigning).await;
            }
            Step::Ban(u, t) | Step::Unban(u, t) => {
                let banning = matches!(step, Step::Ban(..));
                let path = if banning {
                    "/admin/ban-user"
                } else {
                    "/admin/unban-user"
                };
                let (status, body) = self.post(u, path, json!({ "userId": self.ids[t] })).await;
                if status != StatusCode::OK {
                    return;
                }
                assert_eq!(u, ADMIN, "{u} {path} {t}: {body}");
                if banning {
                    assert_ne!(u, t, "the admin banned themself");
                    self.banned.insert(t);
                    self.signed_out.insert(t);
                    self.impersonating.retain(|_, (target, _, _)| *target != t);
                } else {
                    self.banned.remove(&t);
                }
            }
            Step::SignIn(t) => {
                let body = json!({ "email": self.emails[t], "password": PASSWORD });
                let response = call(&self.auth, "POST", "/sign-in/email", "", Some(body)).await;
                let banned = self.banned.contains(&t);
                if banned {
                    assert_eq!(
                        response.status(),
                        StatusCode::FORBIDDEN,
                        "banned {t} signed in"
                    );
                    assert_eq!(json_of(&response)["code"], "BANNED_USER");
                } else {
                    assert_eq!(response.status(), StatusCode::OK, "{t} could not sign in");
                    self.cookies[t] = after("", &response);
                    self.signed_out.remove(&t);
                }
            }
            Step::Impersonate(u, t) => {
                let body = json!({ "userId": self.ids[t] });
                let response = call(
                    &self.auth,
                    "POST",
                    "/admin/impersonate-user",
                    &self.cookies[u],
                    Some(body),
                )
                .await;
                if response.status() != StatusCode::OK {
                    return;
                }
                assert_eq!(u, ADMIN, "{u} impersonated {t}");
                assert_ne!(t, ADMIN, "the admin impersonated an admin");
                assert!(!self.banned.contains(&t), "{t} impersonated while banned");
                let own = self.session_id(&self.cookies[u]).await;
                let jar = after(&self.cookies[u], &response);
                let (acting, by) = self.whoami(&jar).await;
                assert_eq!(acting.as_deref(), Some(self.ids[t].as_str()));
                assert_eq!(by.as_deref(), Some(self.ids[u].as_str()));
                self.impersonating.insert(u, (t, jar, own));
            }
            Step::StopImpersonating(u) => {
                let Some((t, jar, own)) = self.impersonating.remove(&u) else {
                    return;
                };
                let impersonation = self.session_id(&jar).await;
                let response =
                    call(&self.auth, "POST", "/admin/stop-impersonating", &jar, None).await;
                assert_eq!(
                    response.status(),
                    StatusCode::OK,
                    "stopping {u}'s impersonation of {t}: {}",
                    json_of(&response)
                );
                let restored = after(&jar, &response);
                assert_eq!(
                    self.whoami(&restored).await,
                    (Some(self.ids[u].clone()), None)
                );
                assert_eq!(
                    self.session_id(&restored).await,
                    own,
                    "not the admin's own session"
                );
                assert!(impersonation.is_some());
                assert_eq!(
                    self.session_id(&jar).await,
                    None,
                    "the impersonation lives on"
                );
            }
        }
    }

    /// Does `user`'s role in `org` grant `action` on `resource`, as the model knows the
    /// declared roles and the roles created there?
    fn may(&self, org: &str, user: usize, resource: &str, action: &str) -> bool {
        let Some(role) = self.role(org, user) else {
            return false;
        };
        let options = self.auth.inner.config.plugins.organization_options();
        let mut roles = options.roles();
        roles.extend(self.created_roles.get(org).cloned().unwrap_or_default());
        let wanted = Statements::from([(resource.to_owned(), vec![action.to_owned()])]);
        options.has_permission_among(&roles, role, &wanted, false)
    }

    async fn create_role(&mut self, u: usize, o: usize, n: usize, g: usize) {
        let Some(org) = self.organization(o) else {
            return;
        };
        let name = format!("r{n}");
        let grants = access::owned(GRANTS[g]);
        let body = json!({ "role": name, "permission": grants, "organizationId": org });
        let (status, answer) = self.post(u, "/organization/create-role", body).await;
        assert!(!status.is_server_error(), "create-role: {answer}");
        if status != StatusCode::OK {
            return;
        }
        let role = self.role(&org, u).map(str::to_owned);
        assert!(
            self.may(&org, u, "ac", "create"),
            "{u} ({role:?}) created a role in {org}"
        );
        for (resource, actions) in &grants {
            for action in actions {
                assert!(
                    self.may(&org, u, resource, action),
                    "{u} ({role:?}) granted {resource}:{action}, which they lack, in {org}"
                );
            }
        }
        let roles = self.created_roles.entry(org.clone()).or_default();
        assert!(
            roles.insert(name.clone(), grants).is_none(),
            "{name} created twice in {org}"
        );
        self.role_names.push((org, name));
    }

    /// `u` gives `t` the created role `k` in organization `o`: by update-member-role when
    /// `assigning`, else by invitation.
    async fn give_role(&mut self, u: usize, o: usize, t: usize, k: usize, assigning: bool) {
        let (Some(org), Some((_, name))) = (self.organization(o), self.role_names.get(k).cloned())
        else {
            return;
        };
        let (status, answer) = if assigning {
            let Some(member_id) = self.member_id(&org, t).await else {
                return;
            };
            let body = json!({ "memberId": member_id, "role": name, "organizationId": org });
            self.post(u, "/organization/update-member-role", body).await
        } else {
            let body = json!({ "email": self.emails[t], "role": name, "organizationId": org });
            self.post(u, "/organization/invite-member", body).await
        };
        assert!(!status.is_server_error(), "{answer}");
        if status != StatusCode::OK {
            return;
        }
        let role = self.role(&org, u).map(str::to_owned);
        let (resource, action) = if assigning {
            ("member", "update")
        } else {
            ("invitation", "create")
        };
        assert!(
            self.may(&org, u, resource, action),
            "{u} ({role:?}) gave {name} in {org}"
        );
        assert!(
            self.created_roles
                .get(&org)
                .is_some_and(|roles| roles.contains_key(&name)),
            "{name}, no role of {org}, given there"
        );
        if assigning {
            self.model.entry(org).or_default().insert(t, name);
        } else {
            let id = answer["id"].as_str().unwrap_or_default().to_owned();
            self.invitations.push((id, t));
        }
    }

    /// The stored roles are the model's; every member holds, as has-permission answers, what
    /// their role grants in the model, and not one action more.
    async fn check_roles(&self, steps: &[Step]) {
        let mut stored = CreatedRoles::new();
        for row in self.stored(organization_role::MODEL).await {
            let permission = row
                .get(organization_role::PERMISSION)
                .and_then(Value::as_str)
                .and_then(|p| serde_json::from_str(p).ok())
                .and_then(|p| access::from_json(&p));
            stored
                .entry(text(&row, organization_role::ORGANIZATION_ID))
                .or_default()
                .insert(
                    text(&row, organization_role::ROLE),
                    permission.unwrap_or_default(),
                );
        }
        assert_eq!(stored, self.created_roles, "roles after {steps:?}");
        let statements = self
            .auth
            .inner
            .config
            .plugins
            .organization_options()
            .statements();
        let every: Vec<(&String, &String)> = statements
            .iter()
            .flat_map(|(resource, actions)| actions.iter().map(move |a| (resource, a)))
            .collect();
        for (org, members) in &self.model {
            // A banned (signed-out) user has no session to ask with.
            for &user in members.keys().filter(|u| !self.signed_out.contains(u)) {
                let (held, lacked): (Vec<_>, Vec<_>) = every
                    .iter()
                    .partition(|(resource, action)| self.may(org, user, resource, action));
                let mut granted = Statements::new();
                for (resource, action) in held {
                    granted
                        .entry((*resource).clone())
                        .or_default()
                        .push((*action).clone());
                }
                let lacked = lacked.first().map(|(resource, action)| {
                    Statements::from([((*resource).clone(), vec![(*action).clone()])])
                });
                for (permissions, expected) in [(Some(granted), true), (lacked, false)] {
                    let Some(permissions) = permissions.filter(|p| !p.is_empty()) else {
                        continue;
                    };
                    let body = json!({ "permissions": permissions, "organizationId": org });
                    let (status, answer) =
                        self.post(user, "/organization/has-permission", body).await;
                    assert_eq!(status, StatusCode::OK, "{answer}");
                    assert_eq!(
                        answer["success"],
                        json!(expected),
                        "{user} in {org} asking {permissions:?} after {steps:?}"
                    );
                }
            }
        }
    }

    /// get-session with `jar`: its user, and who impersonates them.
    async fn whoami(&self, jar: &str) -> (Option<String>, Option<String>) {
        let answer = json_of(&call(&self.auth, "GET", "/get-session", jar, None).await);
        let text = |v: &Json| v.as_str().map(str::to_owned);
        (
            text(&answer["user"]["id"]),
            text(&answer["session"]["impersonatedBy"]),
        )
    }

    /// get-session with `jar`: its session's id.
    async fn session_id(&self, jar: &str) -> Option<String> {
        let answer = json_of(&call(&self.auth, "GET", "/get-session", jar, None).await);
        answer["session"]["id"].as_str().map(str::to_owned)
    }

    /// A banned user has no live session, an impersonation session included, and is stored as
    /// banned; every impersonation in progress is a live session of its target, by the admin.
    async fn check_admin(&self, steps: &[Step]) {
        for (u, id) in self.ids.iter().enumerate() {
            let stored = self
                .auth
                .inner
                .store
                .find_one(user::MODEL, &[Where::eq(user::ID, id.as_str())])
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .and_then(|row| row.get(user::BANNED).and_then(Value::as_bool));
            assert_eq!(
                stored.unwrap_or(false),
                self.banned.contains(&u),
                "banned flag of {u} after {steps:?}"
            );
            if self.banned.contains(&u) {
                let sessions = self
                    .auth
                    .sessions()
                    .list(id)
                    .await
                    .unwrap_or_else(|e| panic!("{e:?}"));
                assert!(
                    sessions.is_empty(),
                    "banned user {u} has {} live sessions after {steps:?}",
                    sessions.len()
                );
            }
        }
        for (admin, (target, jar, _)) in &self.impersonating {
            assert_eq!(
                self.whoami(jar).await,
                (
                    Some(self.ids[*target].clone()),
                    Some(self.ids[*admin].clone())
                ),
                "impersonation of {target} by {admin} after {steps:?}"
            );
        }
    }

    /// A live team by creation index, and its organization.
    fn team(&self, index: usize) -> Option<(String, String)> {
        let id = self.team_ids.get(index)?;
        let (org, _) = self.teams.get(id)?;
        Some((id.clone(), org.clone()))
    }

    fn in_team(&self, team_id: &str, user: usize) -> bool {
        self.teams
            .get(team_id)
            .is_some_and(|(_, members)| members.contains(&user))
    }

    /// `user` leaves every team of `org`.
    fn leave_teams(&mut self, org: &str, user: usize) {
        for (of, members) in self.teams.values_mut() {
            if of == org {
                members.remove(&user);
            }
        }
    }

    async fn stored(&self, model: &str) -> Vec<Row> {
        self.auth
            .inner
            .store
            .find_many(model, &[], None, None, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn user_of(&self, id: &str) -> usize {
        self.ids.iter().position(|u| u == id).unwrap_or(usize::MAX)
    }

    /// The stored teams and their members are the model's; each team's `memberCount` counts
    /// its members; every team member is a member of the team's organization.
    async fn check_teams(&self, steps: &[Step]) {
        let mut stored = Teams::new();
        for row in self.stored(team::MODEL).await {
            stored.insert(
                text(&row, team::ID),
                (text(&row, team::ORGANIZATION_ID), BTreeSet::new()),
            );
            let count = row.get(team::MEMBER_COUNT).and_then(Value::as_i64);
            let members = self
                .stored(team_member::MODEL)
                .await
                .iter()
                .filter(|m| text(m, team_member::TEAM_ID) == text(&row, team::ID))
                .count();
            assert_eq!(
                count,
                i64::try_from(members).ok(),
                "memberCount of {} after {steps:?}",
                text(&row, team::ID)
            );
        }
        for row in self.stored(team_member::MODEL).await {
            let user = self.user_of(&text(&row, team_member::USER_ID));
            if let Some((_, members)) = stored.get_mut(&text(&row, team_member::TEAM_ID)) {
                members.insert(user);
            }
        }
        assert_eq!(stored, self.teams, "teams after {steps:?}");
        for (team_id, (org, members)) in &stored {
            for user in members {
                assert!(
                    self.role(org, *user).is_some(),
                    "{user} in {team_id} outside {org} after {steps:?}"
                );
            }
        }
    }

    async fn member_id(&self, org: &str, user: usize) -> Option<String> {
        self.auth
            .inner
            .store
            .find_one(
                member::MODEL,
                &[
                    Where::eq(member::ORGANIZATION_ID, org),
                    Where::eq(member::USER_ID, self.ids[user].as_str()),
                ],
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|m| text(&m, member::ID))
    }

    /// The stored memberships are the model's; every organization has an owner; no session
    /// has an organization of which its user is not a member as the active one.
    async fn check(&self, steps: &[Step]) {
        self.check_teams(steps).await;
        self.check_roles(steps).await;
        self.check_admin(steps).await;
        let store = &self.auth.inner.store;
        let rows = store
            .find_many(member::MODEL, &[], None, None, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut stored = Model::new();
        for row in &rows {
            let user = self
                .ids
                .iter()
                .position(|id| *id == text(row, member::USER_ID))
                .unwrap_or(usize::MAX);
            stored
                .entry(text(row, member::ORGANIZATION_ID))
                .or_default()
                .insert(user, text(row, member::ROLE));
        }
        let expected: Model = self
            .model
            .iter()
            .filter(|(_, members)| !members.is_empty())
            .map(|(org, members)| (org.clone(), members.clone()))
            .collect();
        assert_eq!(stored, expected, "memberships after {steps:?}");
        for (org, members) in &stored {
            assert!(
                members.values().any(|r| role_list(r).contains(&"owner")),
                "{org} has no owner after {steps:?}"
            );
        }
        for (user, id) in self.ids.iter().enumerate() {
            for held in self
                .auth
                .sessions()
                .list(id)
                .await
                .unwrap_or_else(|e| panic!("{e:?}"))
            {
                if let Some(active) = held
                    .get(session::ACTIVE_ORGANIZATION_ID)
                    .and_then(Value::as_str)
                {
                    assert!(
                        self.role(active, user).is_some(),
                        "user {user} keeps {active} active after {steps:?}"
                    );
                }
                if let Some(active) = held.get(session::ACTIVE_TEAM_ID).and_then(Value::as_str) {
                    assert!(
                        self.in_team(active, user),
                        "user {user} keeps team {active} active after {steps:?}"
                    );
                }
            }
        }
    }
}

/// Plays `steps` on a fresh server with four signed-up users, checking after every step.
async fn play(steps: &[Step]) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let text = "[email-and-password]\nenabled = true\n[plugins.organization]\nteams = true\n\
                dynamic-access-control = true\n[plugins.admin]\n[rate-limit]\nenabled = false\n";
    let auth = crate::plugins::tests::server(dir.path(), text).await;
    let mut world = World {
        auth,
        cookies: Vec::new(),
        ids: Vec::new(),
        emails: Vec::new(),
        organizations: Vec::new(),
        invitations: Vec::new(),
        accepted: BTreeSet::new(),
        model: Model::new(),
        team_ids: Vec::new(),
        teams: Teams::new(),
        created_roles: CreatedRoles::new(),
        role_names: Vec::new(),
        banned: BTreeSet::new(),
        signed_out: BTreeSet::new(),
        impersonating: BTreeMap::new(),
    };
    for n in 0..USERS {
        let email = format!("u{n}@example.com");
        let (cookie, id) = sign_up(&world.auth, &email).await;
        world.cookies.push(cookie);
        world.ids.push(id);
        world.emails.push(email);
    }
    let mut role = Row::new();
    role.insert(user::ROLE.into(), Value::String("admin".to_owned()));
    world
        .auth
        .inner
        .store
        .update(
            user::MODEL,
            &[Where::eq(user::ID, world.ids[ADMIN].as_str())],
            role,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for (done, step) in steps.iter().enumerate() {
        world.run(step).await;
        world.check(&steps[..=done]).await;
    }
}

/// Sequences kept as regression cases: a member removed by another, an owner demoted and
/// promoted, an organization deleted under its members, an invitation accepted twice; an
/// admin refused a role granting what they lack, a member given a role that lets them create
/// roles, a role given in another organization, and roles deleted with their organization.
#[tokio::test]
async fn kept_sequences_hold() {
    use Step::*;
    for steps in [
        vec![
            Create(0),
            Invite(0, 0, 1, 0),
            Accept(0, true),
            Remove(0, 0, 1),
        ],
        vec![
            Create(0),
            Invite(0, 0, 1, 1),
            Accept(0, true),
            SetRole(1, 0, 0, 0),
            SetRole(0, 0, 1, 2),
            SetRole(0, 0, 0, 0),
            Leave(1, 0),
            Read(1, 0),
        ],
        vec![
            Create(2),
            Invite(2, 0, 3, 0),
            Accept(0, false),
            Accept(0, true),
            Accept(0, true),
            Delete(2, 0),
            SetActive(3, 0),
        ],
        vec![
            Create(0),
            Invite(0, 0, 1, 0),
            Accept(0, true),
            CreateTeam(0, 0),
            AddToTeam(0, 1, 1),
            SetActiveTeam(1, 1),
            ReadTeam(2, 1),
            Remove(0, 0, 1),
            SetActiveTeam(1, 1),
            Delete(0, 0),
        ],
        vec![
            Create(0),
            Invite(0, 0, 1, 1),
            Accept(0, true),
            Invite(0, 0, 2, 0),
            Accept(1, true),
            CreateRole(1, 0, 0, 4),
            CreateRole(1, 0, 0, 3),
            AssignRole(1, 0, 2, 0),
            CreateRole(2, 0, 1, 3),
            CreateRole(2, 0, 2, 0),
            Create(3),
            InviteAsRole(3, 1, 2, 0),
            InviteAsRole(1, 0, 3, 1),
            Accept(2, true),
            Delete(0, 0),
        ],
        vec![
            Create(1),
            Impersonate(0, 1),
            Ban(0, 1),
            StopImpersonating(0),
            SignIn(1),
            SetActive(1, 0),
            Impersonate(0, 1),
            Unban(0, 1),
            Ban(1, 2),
            Impersonate(0, 1),
            SignIn(1),
            Impersonate(0, 2),
            StopImpersonating(0),
            Read(1, 0),
        ],
        // Stopping restores the session the admin impersonated from, not a newer one.
        vec![Impersonate(0, 1), SignIn(0), StopImpersonating(0)],
    ] {
        play(&steps).await;
    }
}

#[test]
fn organization_invariants_hold_under_random_sequences() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let config = ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(steps in proptest::collection::vec(step(), 1..24))| {
        rt.block_on(play(&steps));
    });
}
