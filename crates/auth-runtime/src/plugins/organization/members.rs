//! Members: get-active-member, get-active-member-role, list-members, update-member-role,
//! remove-member, leave.

use auth_core::plugins::organization::{
    MEMBER_NOT_FOUND, NO_ACTIVE_ORGANIZATION, ORGANIZATION_NOT_FOUND, ROLE_NOT_FOUND,
    YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION, YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER,
    YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER, YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER,
    YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER,
};
use auth_core::schema::names::{member, organization, user};
use http::StatusCode;
use serde_json::json;

use super::super::listing::{OPERATORS, choice, condition, count, sort};
use super::{
    Caller, bad_request, body_roles, deactivate_everywhere, forbidden, member_with_user,
    membership, organization_by, query_str, users_of, with_user, with_users,
};
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::store::{Row, Value, Where, text};

/// The members of `organization_id` holding the creator role.
async fn creators(auth: &Auth, caller: &Caller, organization_id: &str) -> Result<usize, ApiError> {
    let all = auth
        .inner
        .store
        .find_many(
            member::MODEL,
            &[Where::eq(member::ORGANIZATION_ID, organization_id)],
            None,
            None,
            None,
        )
        .await?;
    Ok(all
        .iter()
        .filter(|m| caller.is_creator(&text(m, member::ROLE)))
        .count())
}

/// The organization a member read names (`organizationSlug`, else `organizationId`, else the
/// active one); 400 when there is none, 403 when the caller is not a member. Returns it and
/// the caller's membership.
async fn member_scope(auth: &Auth, ctx: &Ctx, caller: &Caller) -> Result<(String, Row), ApiError> {
    let mut organization_id = caller.organization_or_active(query_str(ctx, "organizationId"));
    if let Some(slug) = query_str(ctx, "organizationSlug").filter(|s| !s.is_empty()) {
        let Some(found) = organization_by(auth, organization::SLUG, slug).await? else {
            return Err(bad_request(ORGANIZATION_NOT_FOUND));
        };
        organization_id = Some(text(&found, organization::ID));
    }
    let Some(organization_id) = organization_id else {
        return Err(bad_request(NO_ACTIVE_ORGANIZATION));
    };
    let Some(held) = membership(auth, caller.id(), &organization_id).await? else {
        return Err(forbidden(YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION));
    };
    Ok((organization_id, held))
}

pub(super) async fn active(auth: &Auth, _: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let Some(organization_id) = caller.active() else {
        return Err(bad_request(NO_ACTIVE_ORGANIZATION));
    };
    let Some(held) = membership(auth, caller.id(), &organization_id).await? else {
        return Err(bad_request(MEMBER_NOT_FOUND));
    };
    Ok(Reply::json_of(&with_user(
        auth,
        &held,
        &caller.session.user,
    )))
}

pub(super) async fn active_role(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
) -> Result<Reply, ApiError> {
    let (organization_id, held) = member_scope(auth, ctx, caller).await?;
    let role = match query_str(ctx, "userId").filter(|u| !u.is_empty()) {
        None => text(&held, member::ROLE),
        Some(other) => match membership(auth, other, &organization_id).await? {
            Some(found) => text(&found, member::ROLE),
            None => return Err(forbidden(YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION)),
        },
    };
    Ok(Reply::json(json!({ "role": role })))
}

/// list-members' answer.
#[derive(serde::Serialize)]
struct Page<T> {
    members: Vec<T>,
    total: u64,
}

pub(super) async fn list(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let direction = choice(ctx, "sortDirection", &["asc", "desc"])?;
    let filter_operator = choice(ctx, "filterOperator", &OPERATORS)?;
    let (organization_id, _) = member_scope(auth, ctx, caller).await?;
    let mut conditions = vec![Where::eq(member::ORGANIZATION_ID, organization_id.as_str())];
    let none = || Reply::json(json!({ "members": [], "total": 0 }));
    if let Some(field) = query_str(ctx, "filterField").filter(|f| !f.is_empty()) {
        let value = query_str(ctx, "filterValue").unwrap_or_default();
        // The organization is the caller's: a filter may narrow it, never widen it.
        match condition(
            auth,
            member::MODEL,
            field,
            filter_operator.unwrap_or("eq"),
            value,
        ) {
            Some(c) => conditions.push(c),
            None => return Ok(none()),
        }
    }
    let Ok(order) = sort(auth, member::MODEL, query_str(ctx, "sortBy"), direction) else {
        return Ok(none());
    };
    let limit = count(ctx, "limit").unwrap_or(caller.options.membership_limit);
    let offset = count(ctx, "offset");
    let store = &auth.inner.store;
    let members = store
        .find_many(
            member::MODEL,
            &conditions,
            order.as_ref(),
            Some(limit),
            offset,
        )
        .await?;
    let total = store.list_total(member::MODEL, &conditions).await?;
    let users = users_of(auth, &members).await?;
    Ok(Reply::json_of(&Page {
        members: with_users(auth, &members, &users),
        total,
    }))
}

pub(super) async fn update_role(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
) -> Result<Reply, ApiError> {
    let member_id = ctx.body.str("memberId")?.to_owned();
    let roles = body_roles(ctx)?;
    let given = ctx.body.opt_str("organizationId")?;
    if roles.is_empty() {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "Bad Request",
        ));
    }
    let Some(organization_id) = caller.organization_or_active(given) else {
        return Err(bad_request(NO_ACTIVE_ORGANIZATION));
    };
    let Some(updater) = membership(auth, caller.id(), &organization_id).await? else {
        return Err(bad_request(MEMBER_NOT_FOUND));
    };
    let store = &auth.inner.store;
    let target = if text(&updater, member::ID) == member_id {
        updater.clone()
    } else {
        match store
            .find_one(member::MODEL, &[Where::eq(member::ID, member_id.as_str())])
            .await?
        {
            Some(found) => found,
            None => return Err(bad_request(MEMBER_NOT_FOUND)),
        }
    };
    if text(&target, member::ORGANIZATION_ID) != organization_id {
        return Err(forbidden(YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER));
    }
    let updater_role = text(&updater, member::ROLE);
    let updater_is_creator = caller.is_creator(&updater_role);
    let sets_creator = roles.contains(&caller.options.creator_role);
    if (caller.is_creator(&text(&target, member::ROLE)) || sets_creator) && !updater_is_creator {
        return Err(forbidden(YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER));
    }
    if updater_is_creator
        && text(&updater, member::ID) == text(&target, member::ID)
        && !sets_creator
        && creators(auth, caller, &organization_id).await? <= 1
    {
        return Err(bad_request(
            YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER,
        ));
    }
    if !caller
        .grants(
            auth,
            &organization_id,
            &updater_role,
            &[("member", "update")],
            true,
        )
        .await?
    {
        return Err(forbidden(YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER));
    }
    if let Some(message) = caller.unknown_roles(auth, &organization_id, &roles).await? {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            ROLE_NOT_FOUND,
            message,
        ));
    }
    let mut changes = Row::new();
    changes.insert(member::ROLE.into(), Value::String(roles.join(",")));
    let at = [Where::eq(member::ID, member_id.as_str())];
    store.update(member::MODEL, &at, changes).await?;
    let Some(updated) = store.find_one(member::MODEL, &at).await? else {
        return Err(bad_request(MEMBER_NOT_FOUND));
    };
    Ok(Reply::json(auth.output(member::MODEL, &updated)))
}

/// Deletes the membership `held` and its user's memberships of the organization's teams, and
/// clears the organization and its teams as the active ones of every session of its user (and
/// the caller's cookie cache when it is the caller's).
async fn delete_member(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
    held: &Row,
) -> Result<(), ApiError> {
    let organization_id = text(held, member::ORGANIZATION_ID);
    let user_id = text(held, member::USER_ID);
    auth.inner
        .store
        .delete(
            member::MODEL,
            &[Where::eq(member::ID, text(held, member::ID).as_str())],
        )
        .await?;
    let teams = super::teams::leave_all(auth, caller, &user_id, &organization_id).await?;
    deactivate_everywhere(auth, &user_id, &organization_id).await?;
    let changes = super::leaving(caller, &organization_id, &teams);
    if user_id == caller.id() && !changes.is_empty() {
        super::update_session(auth, ctx, caller, changes).await?;
    }
    Ok(())
}

pub(super) async fn remove(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let who = ctx.body.str("memberIdOrEmail")?.to_owned();
    let given = ctx.body.opt_str("organizationId")?;
    let Some(organization_id) = caller.organization_or_active(given) else {
        return Err(bad_request(NO_ACTIVE_ORGANIZATION));
    };
    let Some(remover) = membership(auth, caller.id(), &organization_id).await? else {
        return Err(bad_request(MEMBER_NOT_FOUND));
    };
    let store = &auth.inner.store;
    let target = if who.contains('@') {
        match auth.find_user_by_email(&who.to_lowercase()).await? {
            Some(found) => membership(auth, &text(&found, user::ID), &organization_id).await?,
            None => None,
        }
    } else {
        store
            .find_one(member::MODEL, &[Where::eq(member::ID, who.as_str())])
            .await?
    };
    let Some(target) = target else {
        return Err(bad_request(MEMBER_NOT_FOUND));
    };
    if caller.is_creator(&text(&target, member::ROLE))
        && (!caller.is_creator(&text(&remover, member::ROLE))
            || creators(auth, caller, &organization_id).await? <= 1)
    {
        return Err(bad_request(
            YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER,
        ));
    }
    let remover_role = text(&remover, member::ROLE);
    if !caller
        .grants(
            auth,
            &organization_id,
            &remover_role,
            &[("member", "delete")],
            false,
        )
        .await?
    {
        return Err(ApiError::base(
            StatusCode::UNAUTHORIZED,
            YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER,
        ));
    }
    if text(&target, member::ORGANIZATION_ID) != organization_id {
        return Err(bad_request(MEMBER_NOT_FOUND));
    }
    delete_member(auth, ctx, caller, &target).await?;
    Ok(Reply::json(
        json!({ "member": auth.output(member::MODEL, &target) }),
    ))
}

pub(super) async fn leave(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let organization_id = ctx.body.str("organizationId")?.to_owned();
    let Some(held) = membership(auth, caller.id(), &organization_id).await? else {
        return Err(bad_request(MEMBER_NOT_FOUND));
    };
    if caller.is_creator(&text(&held, member::ROLE))
        && creators(auth, caller, &organization_id).await? <= 1
    {
        return Err(bad_request(
            YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER,
        ));
    }
    let answer = member_with_user(auth, &held)
        .await?
        .unwrap_or_else(|| auth.output(member::MODEL, &held));
    delete_member(auth, ctx, caller, &held).await?;
    Ok(Reply::json(answer))
}
