//! Teams (`[plugins.organization] teams`): create-team, update-team, remove-team, list-teams,
//! set-active-team, list-user-teams, list-team-members, add-team-member, remove-team-member;
//! and what the rest of the plugin does with teams (the default team of a new organization,
//! invitations to teams, a removed member leaving them, a deleted organization's teams).
//!
//! `team.memberCount` is kept as better-auth keeps it (synced up, a seat reserved before a
//! membership is written, released after one is deleted), and `teamMember.membershipKey` is
//! better-auth's, so that a better-auth server on the same database counts and finds the
//! memberships written here.

use auth_core::plugins::organization::{
    INVALID_TEAM_ID, NO_ACTIVE_ORGANIZATION, ORGANIZATION_NOT_FOUND, TEAM_MEMBER_LIMIT_REACHED,
    TEAM_NOT_FOUND, UNABLE_TO_REMOVE_LAST_TEAM, USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION,
    USER_IS_NOT_A_MEMBER_OF_THE_TEAM, YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION,
    YOU_ARE_NOT_ALLOWED_TO_ACCESS_THIS_ORGANIZATION,
    YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER,
    YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION,
    YOU_ARE_NOT_ALLOWED_TO_DELETE_TEAMS_IN_THIS_ORGANIZATION,
    YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_TEAM,
    YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION,
    YOU_ARE_NOT_ALLOWED_TO_REMOVE_A_TEAM_MEMBER, YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER,
    YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM, YOU_DO_NOT_HAVE_AN_ACTIVE_TEAM,
    YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS,
};
use auth_core::schema::names::{invitation, organization, session, team, team_member, user};
use http::StatusCode;
use serde_json::{Value as Json, json};

use super::{Caller, bad_request, forbidden, membership, organization_by, query_str};
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::store::{Row, StoreError, Timestamp, Value, Where, text};
use crate::wire::key_hash::key_hash;

impl Caller {
    /// The session's active team, if any.
    pub(super) fn active_team(&self) -> Option<String> {
        self.session
            .session
            .get(session::ACTIVE_TEAM_ID)
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
    }
}

/// The team `team_id`, in `organization_id` when given.
async fn team_by_id(
    auth: &Auth,
    team_id: &str,
    organization_id: Option<&str>,
) -> Result<Option<Row>, ApiError> {
    let mut conditions = vec![Where::eq(team::ID, team_id)];
    if let Some(organization_id) = organization_id {
        conditions.push(Where::eq(team::ORGANIZATION_ID, organization_id));
    }
    Ok(auth.inner.store.find_one(team::MODEL, &conditions).await?)
}

/// The teams of `organization_id`.
async fn teams_of(auth: &Auth, organization_id: &str) -> Result<Vec<Row>, ApiError> {
    Ok(auth
        .inner
        .store
        .find_many(
            team::MODEL,
            &[Where::eq(team::ORGANIZATION_ID, organization_id)],
            None,
            None,
            None,
        )
        .await?)
}

/// The teams of `organization_id` as get-full-organization answers them: better-auth's join
/// there leaves `memberCount` in, which its other team answers leave out.
pub(super) async fn listed(auth: &Auth, organization_id: &str) -> Result<Json, ApiError> {
    let teams = teams_of(auth, organization_id).await?;
    Ok(teams
        .iter()
        .map(|t| {
            let mut out = auth.output(team::MODEL, t);
            if let Json::Object(map) = &mut out {
                let count = t.get(team::MEMBER_COUNT).map_or(Json::Null, Value::to_json);
                map.insert(team::MEMBER_COUNT.into(), count);
            }
            out
        })
        .collect::<Vec<_>>()
        .into())
}

fn outputs(auth: &Auth, teams: &[Row]) -> Json {
    teams
        .iter()
        .map(|t| auth.output(team::MODEL, t))
        .collect::<Vec<_>>()
        .into()
}

/// The membership of `user_id` in `team_id`.
async fn team_membership(
    auth: &Auth,
    team_id: &str,
    user_id: &str,
) -> Result<Option<Row>, ApiError> {
    Ok(auth
        .inner
        .store
        .find_one(
            team_member::MODEL,
            &[
                Where::eq(team_member::TEAM_ID, team_id),
                Where::eq(team_member::USER_ID, user_id),
            ],
        )
        .await?)
}

/// better-auth's `membershipKey`: SHA-256 of `JSON.stringify([teamId, userId])`, base64url.
fn membership_key(team_id: &str, user_id: &str) -> String {
    key_hash(&json!([team_id, user_id]).to_string())
}

/// The counter change on `team_row`, keeping its `updatedAt` (better-auth's `incrementOne`
/// leaves it alone).
fn counter_only(team_row: &Row) -> Row {
    let mut keep = Row::new();
    keep.insert(
        team::UPDATED_AT.into(),
        team_row
            .get(team::UPDATED_AT)
            .cloned()
            .unwrap_or(Value::Null),
    );
    keep
}

/// Gives `count` seats of `team_row` back (never below zero).
async fn release(auth: &Auth, team_row: &Row, count: u64) -> Result<(), ApiError> {
    let id = text(team_row, team::ID);
    for _ in 0..count {
        auth.inner
            .store
            .decrement(
                team::MODEL,
                &[
                    Where::eq(team::ID, id.as_str()),
                    Where::gte(team::MEMBER_COUNT, 1i64),
                ],
                team::MEMBER_COUNT,
                counter_only(team_row),
            )
            .await?;
    }
    Ok(())
}

/// The membership with `key`, else of `user_id` in `team_id` (better-auth's
/// `findTeamMemberByKeyOrPair`: rows written without a key are found too).
async fn existing(
    auth: &Auth,
    key: &str,
    team_id: &str,
    user_id: &str,
) -> Result<Option<Row>, ApiError> {
    let by_key = auth
        .inner
        .store
        .find_one(
            team_member::MODEL,
            &[Where::eq(team_member::MEMBERSHIP_KEY, key)],
        )
        .await?;
    match by_key {
        Some(found) => Ok(Some(found)),
        None => team_membership(auth, team_id, user_id).await,
    }
}

/// Puts `user_id` in `team_row` (or finds them there): better-auth's `findOrCreateTeamMember`,
/// or with `limit` its `addTeamMemberWithLimit` (`None`: the team is full).
async fn join(
    auth: &Auth,
    team_row: &Row,
    user_id: &str,
    limit: Option<u64>,
) -> Result<Option<Row>, ApiError> {
    let store = &auth.inner.store;
    let team_id = text(team_row, team::ID);
    let key = membership_key(&team_id, user_id);
    if let Some(found) = existing(auth, &key, &team_id, user_id).await? {
        return Ok(Some(found));
    }
    // Rows written by a server that kept no count: the counter catches up first.
    let held = store
        .count(
            team_member::MODEL,
            &[Where::eq(team_member::TEAM_ID, team_id.as_str())],
        )
        .await?;
    let held = i64::try_from(held).unwrap_or(i64::MAX);
    let mut synced = counter_only(team_row);
    synced.insert(team::MEMBER_COUNT.into(), Value::Integer(held));
    store
        .update(
            team::MODEL,
            &[
                Where::eq(team::ID, team_id.as_str()),
                Where::lt(team::MEMBER_COUNT, held),
            ],
            synced,
        )
        .await?;
    let mut seat = vec![Where::eq(team::ID, team_id.as_str())];
    if let Some(limit) = limit {
        seat.push(Where::lt(
            team::MEMBER_COUNT,
            i64::try_from(limit).unwrap_or(i64::MAX),
        ));
    }
    if store
        .increment(
            team::MODEL,
            &seat,
            team::MEMBER_COUNT,
            counter_only(team_row),
        )
        .await?
        == 0
    {
        return Ok(None);
    }
    let mut row = Row::new();
    row.insert(team_member::TEAM_ID.into(), Value::String(team_id.clone()));
    row.insert(team_member::USER_ID.into(), Value::from(user_id));
    row.insert(
        team_member::MEMBERSHIP_KEY.into(),
        Value::String(key.clone()),
    );
    row.insert(
        team_member::CREATED_AT.into(),
        Value::Date(Timestamp::now()),
    );
    match store.insert(team_member::MODEL, row).await {
        Ok(created) => Ok(Some(created)),
        // Joined meanwhile by another request: that membership, and the seat back.
        Err(StoreError::UniqueViolation { .. }) => {
            release(auth, team_row, 1).await?;
            existing(auth, &key, &team_id, user_id).await
        }
        Err(error) => {
            release(auth, team_row, 1).await?;
            Err(error.into())
        }
    }
}

/// [`join`] with the configured limit; 403 `TEAM_MEMBER_LIMIT_REACHED` when the team is full.
async fn join_or_refuse(
    auth: &Auth,
    caller: &Caller,
    team_row: &Row,
    user_id: &str,
) -> Result<Row, ApiError> {
    let limit = caller.options.teams.maximum_members_per_team;
    join(auth, team_row, user_id, limit)
        .await?
        .ok_or_else(|| forbidden(TEAM_MEMBER_LIMIT_REACHED))
}

/// Clears the active team of every session of `user_id` whose active team is one of `teams`.
async fn deactivate_teams(auth: &Auth, user_id: &str, teams: &[String]) -> Result<(), ApiError> {
    if teams.is_empty() {
        return Ok(());
    }
    for held in auth.sessions().list(user_id).await? {
        let active = held.get(session::ACTIVE_TEAM_ID).and_then(Value::as_str);
        if active.is_some_and(|id| teams.iter().any(|t| t == id)) {
            let mut changes = Row::new();
            changes.insert(session::ACTIVE_TEAM_ID.into(), Value::Null);
            auth.sessions()
                .update(&text(&held, session::TOKEN), changes)
                .await?;
        }
    }
    Ok(())
}

/// Takes `user_id` out of `team_row` (every session of theirs loses it as the active team).
async fn leave(auth: &Auth, team_row: &Row, user_id: &str) -> Result<(), ApiError> {
    let team_id = text(team_row, team::ID);
    let deleted = auth
        .inner
        .store
        .delete(
            team_member::MODEL,
            &[
                Where::eq(team_member::TEAM_ID, team_id.as_str()),
                Where::eq(team_member::USER_ID, user_id),
            ],
        )
        .await?;
    release(auth, team_row, deleted).await?;
    deactivate_teams(auth, user_id, &[team_id]).await
}

/// A member leaving `organization_id` leaves its teams; returns the ids of its teams (none
/// when teams are off).
pub(super) async fn leave_all(
    auth: &Auth,
    caller: &Caller,
    user_id: &str,
    organization_id: &str,
) -> Result<Vec<String>, ApiError> {
    if !caller.options.teams.enabled {
        return Ok(Vec::new());
    }
    let teams = teams_of(auth, organization_id).await?;
    for team_row in &teams {
        leave(auth, team_row, user_id).await?;
    }
    Ok(teams.iter().map(|t| text(t, team::ID)).collect())
}

/// Deletes the teams of `organization_id` and their memberships (no session keeps one of them
/// active); returns their ids (none when teams are off).
pub(super) async fn delete_all(
    auth: &Auth,
    caller: &Caller,
    organization_id: &str,
) -> Result<Vec<String>, ApiError> {
    if !caller.options.teams.enabled {
        return Ok(Vec::new());
    }
    let teams = teams_of(auth, organization_id).await?;
    for team_row in &teams {
        delete_team(auth, &text(team_row, team::ID)).await?;
    }
    Ok(teams.iter().map(|t| text(t, team::ID)).collect())
}

/// Deletes team `team_id` and its memberships; its members' sessions lose it as active team.
async fn delete_team(auth: &Auth, team_id: &str) -> Result<(), ApiError> {
    let store = &auth.inner.store;
    let at = [Where::eq(team_member::TEAM_ID, team_id)];
    let members = store
        .find_many(team_member::MODEL, &at, None, None, None)
        .await?;
    store.delete(team_member::MODEL, &at).await?;
    store
        .delete(team::MODEL, &[Where::eq(team::ID, team_id)])
        .await?;
    let gone = [team_id.to_owned()];
    for held in &members {
        deactivate_teams(auth, &text(held, team_member::USER_ID), &gone).await?;
    }
    Ok(())
}

/// The default team of a new organization, with its creator in it (better-auth's
/// `teams.defaultTeam`); its id, `None` when teams or the default team are off.
pub(super) async fn create_default(
    auth: &Auth,
    caller: &Caller,
    created: &Row,
) -> Result<Option<String>, ApiError> {
    let teams = &caller.options.teams;
    if !teams.enabled || !teams.default_team.enabled {
        return Ok(None);
    }
    let mut row = Row::new();
    row.insert(
        team::NAME.into(),
        Value::String(text(created, organization::NAME)),
    );
    row.insert(
        team::ORGANIZATION_ID.into(),
        Value::String(text(created, organization::ID)),
    );
    row.insert(team::CREATED_AT.into(), Value::Date(Timestamp::now()));
    // better-auth writes no `updatedAt` for the default team.
    row.insert(team::UPDATED_AT.into(), Value::Null);
    let team_row = auth.inner.store.insert(team::MODEL, row).await?;
    join(auth, &team_row, caller.id(), None).await?;
    Ok(Some(text(&team_row, team::ID)))
}

/// The teams an invitation names (`teamId`: one id or a list), checked to be teams of
/// `organization_id` with a free seat; stored comma-joined. `None` when it names none or
/// teams are off.
pub(super) async fn invited_to(
    auth: &Auth,
    ctx: &Ctx,
    caller: &Caller,
    organization_id: &str,
) -> Result<Option<String>, ApiError> {
    if !caller.options.teams.enabled {
        return Ok(None);
    }
    let invalid =
        || ApiError::validation("[body.teamId] Invalid input: expected string or array of strings");
    let ids: Vec<String> = match ctx.body.get("teamId") {
        // JavaScript's `if (body.teamId)`: absent, null and "" name no team.
        None | Some(Json::Null) => return Ok(None),
        Some(Json::String(id)) if id.is_empty() => return Ok(None),
        Some(Json::String(id)) => vec![id.clone()],
        Some(Json::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(invalid)?,
        Some(_) => return Err(invalid()),
    };
    if ids.iter().any(|id| id.contains(',')) {
        return Err(bad_request(INVALID_TEAM_ID));
    }
    let mut found = Vec::with_capacity(ids.len());
    for id in &ids {
        match team_by_id(auth, id, Some(organization_id)).await? {
            Some(row) => found.push(row),
            None => return Err(bad_request(TEAM_NOT_FOUND)),
        }
    }
    if let Some(limit) = caller.options.teams.maximum_members_per_team {
        for row in &found {
            let members = auth
                .inner
                .store
                .count(
                    team_member::MODEL,
                    &[Where::eq(
                        team_member::TEAM_ID,
                        text(row, team::ID).as_str(),
                    )],
                )
                .await?;
            if members >= limit {
                return Err(forbidden(TEAM_MEMBER_LIMIT_REACHED));
            }
        }
    }
    Ok((!ids.is_empty()).then(|| ids.join(",")))
}

/// Accepting an invitation to teams: the new member joins each (403 when one is full, 400
/// when one is gone); the team to make active when it names exactly one.
pub(super) async fn accept_into(
    auth: &Auth,
    caller: &Caller,
    accepted: &Row,
) -> Result<Option<String>, ApiError> {
    if !caller.options.teams.enabled {
        return Ok(None);
    }
    let joined = text(accepted, invitation::TEAM_ID);
    let ids: Vec<&str> = joined.split(',').filter(|id| !id.is_empty()).collect();
    let organization_id = text(accepted, invitation::ORGANIZATION_ID);
    for id in &ids {
        let Some(team_row) = team_by_id(auth, id, Some(&organization_id)).await? else {
            return Err(bad_request(TEAM_NOT_FOUND));
        };
        join_or_refuse(auth, caller, &team_row, caller.id()).await?;
    }
    Ok(match ids.as_slice() {
        [only] => Some((*only).to_owned()),
        _ => None,
    })
}

/// `body.organizationId`, else the active organization; 400 `NO_ACTIVE_ORGANIZATION`.
fn scope(caller: &Caller, given: Option<&str>) -> Result<String, ApiError> {
    caller
        .organization_or_active(given)
        .ok_or_else(|| bad_request(NO_ACTIVE_ORGANIZATION))
}

pub(super) async fn create(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let name = ctx.body.str("name")?.to_owned();
    let organization_id = scope(caller, ctx.body.opt_str("organizationId")?)?;
    let Some(held) = membership(auth, caller.id(), &organization_id).await? else {
        return Err(forbidden(
            YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION,
        ));
    };
    if !caller
        .grants(
            auth,
            &organization_id,
            &text(&held, auth_core::schema::names::member::ROLE),
            &[("team", "create")],
            false,
        )
        .await?
    {
        return Err(forbidden(
            YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION,
        ));
    }
    if let Some(maximum) = caller.options.teams.maximum_teams.filter(|m| *m > 0) {
        let existing = auth
            .inner
            .store
            .count(
                team::MODEL,
                &[Where::eq(team::ORGANIZATION_ID, organization_id.as_str())],
            )
            .await?;
        if existing >= maximum {
            return Err(bad_request(YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS));
        }
    }
    if organization_by(auth, organization::ID, &organization_id)
        .await?
        .is_none()
    {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    }
    let now = Timestamp::now();
    let mut row = Row::new();
    row.insert(team::NAME.into(), Value::String(name));
    row.insert(team::ORGANIZATION_ID.into(), Value::String(organization_id));
    row.insert(team::CREATED_AT.into(), Value::Date(now));
    row.insert(team::UPDATED_AT.into(), Value::Date(now));
    let created = auth.inner.store.insert(team::MODEL, row).await?;
    Ok(Reply::json(auth.output(team::MODEL, &created)))
}

pub(super) async fn remove(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let team_id = ctx.body.str("teamId")?.to_owned();
    let organization_id = scope(caller, ctx.body.opt_str("organizationId")?)?;
    let held = membership(auth, caller.id(), &organization_id).await?;
    let Some(held) = held.filter(|_| caller.active_team().as_deref() != Some(team_id.as_str()))
    else {
        return Err(forbidden(YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_TEAM));
    };
    if !caller
        .grants(
            auth,
            &organization_id,
            &text(&held, auth_core::schema::names::member::ROLE),
            &[("team", "delete")],
            false,
        )
        .await?
    {
        return Err(forbidden(
            YOU_ARE_NOT_ALLOWED_TO_DELETE_TEAMS_IN_THIS_ORGANIZATION,
        ));
    }
    if team_by_id(auth, &team_id, Some(&organization_id))
        .await?
        .is_none()
    {
        return Err(bad_request(TEAM_NOT_FOUND));
    }
    if !caller.options.teams.allow_removing_all_teams
        && teams_of(auth, &organization_id).await?.len() <= 1
    {
        return Err(bad_request(UNABLE_TO_REMOVE_LAST_TEAM));
    }
    if organization_by(auth, organization::ID, &organization_id)
        .await?
        .is_none()
    {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    }
    delete_team(auth, &team_id).await?;
    forget_in_invitations(auth, &organization_id, &team_id).await?;
    Ok(Reply::json(
        json!({ "message": "Team removed successfully." }),
    ))
}

/// Pending invitations of `organization_id` no longer name the removed team `team_id`.
async fn forget_in_invitations(
    auth: &Auth,
    organization_id: &str,
    team_id: &str,
) -> Result<(), ApiError> {
    let store = &auth.inner.store;
    let pending = store
        .find_many(
            invitation::MODEL,
            &[
                Where::eq(invitation::ORGANIZATION_ID, organization_id),
                Where::eq(invitation::STATUS, "pending"),
            ],
            None,
            None,
            None,
        )
        .await?;
    for row in &pending {
        let named = text(row, invitation::TEAM_ID);
        let ids: Vec<&str> = named.split(',').filter(|id| !id.is_empty()).collect();
        if !ids.contains(&team_id) {
            continue;
        }
        let rest: Vec<&str> = ids.into_iter().filter(|id| *id != team_id).collect();
        let mut changes = Row::new();
        changes.insert(
            invitation::TEAM_ID.into(),
            if rest.is_empty() {
                Value::Null
            } else {
                Value::String(rest.join(","))
            },
        );
        store
            .update(
                invitation::MODEL,
                &[Where::eq(
                    invitation::ID,
                    text(row, invitation::ID).as_str(),
                )],
                changes,
            )
            .await?;
    }
    Ok(())
}

pub(super) async fn update(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let team_id = ctx.body.str("teamId")?.to_owned();
    let Some(Json::Object(data)) = ctx.body.get("data") else {
        return Err(ApiError::validation(
            "[body.data] Invalid input: expected object",
        ));
    };
    let name = match data.get("name") {
        None => None,
        Some(Json::String(name)) if !name.is_empty() => Some(name.clone()),
        Some(_) => {
            return Err(ApiError::validation(
                "[body.data.name] Invalid input: expected a non-empty string",
            ));
        }
    };
    let given = match data.get("organizationId") {
        None => None,
        Some(Json::String(id)) => Some(id.clone()),
        Some(_) => {
            return Err(ApiError::validation(
                "[body.data.organizationId] Invalid input: expected string",
            ));
        }
    };
    let organization_id = scope(caller, given.as_deref())?;
    let held = membership(auth, caller.id(), &organization_id).await?;
    let allowed = match held {
        Some(m) => {
            caller
                .grants(
                    auth,
                    &organization_id,
                    &text(&m, auth_core::schema::names::member::ROLE),
                    &[("team", "update")],
                    false,
                )
                .await?
        }
        None => false,
    };
    if !allowed {
        return Err(forbidden(YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM));
    }
    if team_by_id(auth, &team_id, Some(&organization_id))
        .await?
        .is_none()
    {
        return Err(bad_request(TEAM_NOT_FOUND));
    }
    if organization_by(auth, organization::ID, &organization_id)
        .await?
        .is_none()
    {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    }
    let mut changes = Row::new();
    if let Some(name) = name {
        changes.insert(team::NAME.into(), Value::String(name));
    }
    let store = &auth.inner.store;
    let at = [Where::eq(team::ID, team_id.as_str())];
    store.update(team::MODEL, &at, changes).await?;
    let Some(updated) = store.find_one(team::MODEL, &at).await? else {
        return Err(bad_request(TEAM_NOT_FOUND));
    };
    Ok(Reply::json(auth.output(team::MODEL, &updated)))
}

pub(super) async fn list(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let organization_id = scope(caller, query_str(ctx, "organizationId"))?;
    if membership(auth, caller.id(), &organization_id)
        .await?
        .is_none()
    {
        return Err(forbidden(YOU_ARE_NOT_ALLOWED_TO_ACCESS_THIS_ORGANIZATION));
    }
    Ok(Reply::json(outputs(
        auth,
        &teams_of(auth, &organization_id).await?,
    )))
}

pub(super) async fn set_active(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
) -> Result<Reply, ApiError> {
    let given = ctx.body.get("teamId").cloned();
    let team_id = match given {
        Some(Json::Null) => {
            if caller.active_team().is_some() {
                set_active_team(auth, ctx, caller, None).await?;
            }
            return Ok(Reply::json(Json::Null));
        }
        Some(Json::String(id)) if !id.is_empty() => id,
        None | Some(Json::String(_)) => match caller.active_team() {
            Some(active) => active,
            None => return Ok(Reply::json(Json::Null)),
        },
        Some(_) => {
            return Err(ApiError::validation(
                "[body.teamId] Invalid input: expected string",
            ));
        }
    };
    let Some(organization_id) = caller.active() else {
        return Err(bad_request(NO_ACTIVE_ORGANIZATION));
    };
    let Some(found) = team_by_id(auth, &team_id, Some(&organization_id)).await? else {
        return Err(bad_request(TEAM_NOT_FOUND));
    };
    if team_membership(auth, &team_id, caller.id())
        .await?
        .is_none()
    {
        return Err(forbidden(USER_IS_NOT_A_MEMBER_OF_THE_TEAM));
    }
    set_active_team(auth, ctx, caller, Some(&team_id)).await?;
    Ok(Reply::json(auth.output(team::MODEL, &found)))
}

/// Sets (or clears) the caller's active team, in the stored session and the cookie cache.
async fn set_active_team(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
    team_id: Option<&str>,
) -> Result<(), ApiError> {
    let mut changes = Row::new();
    changes.insert(
        session::ACTIVE_TEAM_ID.into(),
        team_id.map_or(Value::Null, Value::from),
    );
    super::update_session(auth, ctx, caller, changes).await
}

/// The teams `user_id` is in, as better-auth lists them (in membership order).
async fn teams_of_user(auth: &Auth, user_id: &str) -> Result<Vec<Row>, ApiError> {
    let store = &auth.inner.store;
    let memberships = store
        .find_many(
            team_member::MODEL,
            &[Where::eq(team_member::USER_ID, user_id)],
            None,
            None,
            None,
        )
        .await?;
    let teams = store
        .find_many(
            team::MODEL,
            &[Where::is_in(
                team::ID,
                memberships
                    .iter()
                    .map(|m| Value::String(text(m, team_member::TEAM_ID))),
            )],
            None,
            None,
            None,
        )
        .await?;
    Ok(memberships
        .iter()
        .filter_map(|m| {
            let id = text(m, team_member::TEAM_ID);
            teams.iter().find(|t| text(t, team::ID) == id).cloned()
        })
        .collect())
}

pub(super) async fn list_of_user(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
) -> Result<Reply, ApiError> {
    let target = query_str(ctx, "userId")
        .filter(|u| !u.is_empty())
        .unwrap_or(caller.id())
        .to_owned();
    let explicit = query_str(ctx, "organizationId").filter(|o| !o.is_empty());
    let organization_id = caller.organization_or_active(explicit);
    let in_organization = |teams: Vec<Row>, organization_id: &str| -> Vec<Row> {
        teams
            .into_iter()
            .filter(|t| text(t, team::ORGANIZATION_ID) == organization_id)
            .collect()
    };
    if target != caller.id() {
        let Some(organization_id) = organization_id else {
            return Err(bad_request(NO_ACTIVE_ORGANIZATION));
        };
        let Some(held) = membership(auth, caller.id(), &organization_id).await? else {
            return Err(forbidden(YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION));
        };
        if !caller
            .grants(
                auth,
                &organization_id,
                &text(&held, auth_core::schema::names::member::ROLE),
                &[("member", "update")],
                false,
            )
            .await?
        {
            return Err(forbidden(YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER));
        }
        if membership(auth, &target, &organization_id).await?.is_none() {
            return Err(bad_request(USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION));
        }
        let teams = in_organization(teams_of_user(auth, &target).await?, &organization_id);
        return Ok(Reply::json(outputs(auth, &teams)));
    }
    if let Some(organization_id) = explicit {
        if membership(auth, caller.id(), organization_id)
            .await?
            .is_none()
        {
            return Err(forbidden(YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION));
        }
        let teams = in_organization(teams_of_user(auth, caller.id()).await?, organization_id);
        return Ok(Reply::json(outputs(auth, &teams)));
    }
    // Every team of the caller's, in organizations they are still a member of.
    let mut mine = Vec::new();
    for team_row in teams_of_user(auth, caller.id()).await? {
        let organization_id = text(&team_row, team::ORGANIZATION_ID);
        if membership(auth, caller.id(), &organization_id)
            .await?
            .is_some()
        {
            mine.push(team_row);
        }
    }
    Ok(Reply::json(outputs(auth, &mine)))
}

pub(super) async fn list_members(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
) -> Result<Reply, ApiError> {
    let Some(team_id) = query_str(ctx, "teamId")
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .or_else(|| caller.active_team())
    else {
        return Err(bad_request(YOU_DO_NOT_HAVE_AN_ACTIVE_TEAM));
    };
    let Some(found) = team_by_id(auth, &team_id, None).await? else {
        return Err(bad_request(TEAM_NOT_FOUND));
    };
    let organization_id = text(&found, team::ORGANIZATION_ID);
    if membership(auth, caller.id(), &organization_id)
        .await?
        .is_none()
        || team_membership(auth, &team_id, caller.id())
            .await?
            .is_none()
    {
        return Err(bad_request(USER_IS_NOT_A_MEMBER_OF_THE_TEAM));
    }
    let members = auth
        .inner
        .store
        .find_many(
            team_member::MODEL,
            &[Where::eq(team_member::TEAM_ID, team_id.as_str())],
            None,
            None,
            None,
        )
        .await?;
    Ok(Reply::json(
        members
            .iter()
            .map(|m| auth.output(team_member::MODEL, m))
            .collect::<Vec<_>>()
            .into(),
    ))
}

/// `userId` of a body: a string, or a number as its text (zod's `z.coerce.string()`).
fn body_user_id(ctx: &Ctx) -> Result<String, ApiError> {
    match ctx.body.get("userId") {
        Some(Json::String(id)) => Ok(id.clone()),
        Some(Json::Number(n)) => Ok(n.to_string()),
        Some(Json::Bool(b)) => Ok(b.to_string()),
        _ => Err(ApiError::validation(
            "[body.userId] Invalid input: expected string",
        )),
    }
}

/// The parts add-team-member and remove-team-member share: the organization, the caller's
/// right (`member:<action>`, else 403 `refusal`), the target's membership, the team, the user.
async fn team_change(
    auth: &Auth,
    ctx: &Ctx,
    caller: &Caller,
    action: &str,
    refusal: auth_core::errors::ErrorCode,
) -> Result<(Row, String), ApiError> {
    let team_id = ctx.body.str("teamId")?.to_owned();
    let user_id = body_user_id(ctx)?;
    let organization_id = scope(caller, ctx.body.opt_str("organizationId")?)?;
    let Some(held) = membership(auth, caller.id(), &organization_id).await? else {
        return Err(bad_request(USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION));
    };
    if !caller
        .grants(
            auth,
            &organization_id,
            &text(&held, auth_core::schema::names::member::ROLE),
            &[("member", action)],
            false,
        )
        .await?
    {
        return Err(forbidden(refusal));
    }
    if membership(auth, &user_id, &organization_id)
        .await?
        .is_none()
    {
        return Err(bad_request(USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION));
    }
    let Some(team_row) = team_by_id(auth, &team_id, Some(&organization_id)).await? else {
        return Err(bad_request(TEAM_NOT_FOUND));
    };
    if organization_by(auth, organization::ID, &organization_id)
        .await?
        .is_none()
    {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    }
    if auth
        .inner
        .store
        .find_one(user::MODEL, &[Where::eq(user::ID, user_id.as_str())])
        .await?
        .is_none()
    {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "User not found",
        ));
    }
    Ok((team_row, user_id))
}

pub(super) async fn add_member(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
) -> Result<Reply, ApiError> {
    let (team_row, user_id) = team_change(
        auth,
        ctx,
        caller,
        "update",
        YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER,
    )
    .await?;
    let joined = join_or_refuse(auth, caller, &team_row, &user_id).await?;
    Ok(Reply::json(auth.output(team_member::MODEL, &joined)))
}

pub(super) async fn remove_member(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
) -> Result<Reply, ApiError> {
    let (team_row, user_id) = team_change(
        auth,
        ctx,
        caller,
        "delete",
        YOU_ARE_NOT_ALLOWED_TO_REMOVE_A_TEAM_MEMBER,
    )
    .await?;
    if team_membership(auth, &text(&team_row, team::ID), &user_id)
        .await?
        .is_none()
    {
        return Err(bad_request(USER_IS_NOT_A_MEMBER_OF_THE_TEAM));
    }
    leave(auth, &team_row, &user_id).await?;
    if user_id == caller.id() && caller.active_team() == Some(text(&team_row, team::ID)) {
        set_active_team(auth, ctx, caller, None).await?;
    }
    Ok(Reply::json(
        json!({ "message": "Team member removed successfully." }),
    ))
}

#[cfg(test)]
mod tests;
