//! Invitations: invite-member (a mail of kind `invitation`, its token the invitation's id),
//! accept, reject, cancel, get-invitation, list-invitations, list-user-invitations.

use auth_core::errors::base;
use auth_core::plugins::organization::{
    EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION,
    EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION, INVITATION_LIMIT_REACHED, INVITATION_NOT_FOUND,
    INVITER_IS_NO_LONGER_A_MEMBER_OF_THE_ORGANIZATION, MEMBER_NOT_FOUND,
    ORGANIZATION_MEMBERSHIP_LIMIT_REACHED, ORGANIZATION_NOT_FOUND, ROLE_NOT_FOUND,
    USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION, USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION,
    YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION,
    YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE,
    YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION,
    YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS, YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION,
    role_list,
};
use auth_core::schema::names::{invitation, member, organization, session, user};
use http::StatusCode;
use serde_json::{Value as Json, json};

use super::{Caller, bad_request, body_roles, forbidden, membership, organization_by, query_str};
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::mail::{Invitation, Message};
use crate::routes::is_valid_email;
use crate::store::{Row, Timestamp, Value, Where, text};

const PENDING: &str = "pending";

/// The invitations of `organization_id` a member with `role` sees: none without the right to
/// invite (an invitation id is a link to join), and, as better-auth's
/// `withoutCreatorRoleInvitations`, none granting the creator role to one who lacks it.
pub(super) async fn visible(
    auth: &Auth,
    caller: &Caller,
    role: &str,
    organization_id: &str,
) -> Result<Vec<Json>, ApiError> {
    if !caller
        .grants(
            auth,
            organization_id,
            role,
            &[("invitation", "create")],
            false,
        )
        .await?
    {
        return Ok(Vec::new());
    }
    let all = auth
        .inner
        .store
        .find_many(
            invitation::MODEL,
            &[Where::eq(invitation::ORGANIZATION_ID, organization_id)],
            None,
            None,
            None,
        )
        .await?;
    Ok(all
        .iter()
        .filter(|i| caller.is_creator(role) || !caller.is_creator(&text(i, invitation::ROLE)))
        .map(|i| auth.output(invitation::MODEL, i))
        .collect())
}

fn is_live(row: &Row) -> bool {
    text(row, invitation::STATUS) == PENDING
        && row
            .get(invitation::EXPIRES_AT)
            .and_then(Value::as_date)
            .is_some_and(|at| at.millis() > Timestamp::now().millis())
}

/// The pending, unexpired invitations of `organization_id` (to `email` only, when given).
async fn pending(
    auth: &Auth,
    organization_id: &str,
    email: Option<&str>,
) -> Result<Vec<Row>, ApiError> {
    let mut conditions = vec![
        Where::eq(invitation::ORGANIZATION_ID, organization_id),
        Where::eq(invitation::STATUS, PENDING),
    ];
    if let Some(email) = email {
        conditions.push(Where::eq(invitation::EMAIL, email));
    }
    let all = auth
        .inner
        .store
        .find_many(invitation::MODEL, &conditions, None, None, None)
        .await?;
    Ok(all.into_iter().filter(is_live).collect())
}

fn expiry(caller: &Caller) -> Timestamp {
    let seconds = i64::try_from(caller.options.invitation_expires_in).unwrap_or(i64::MAX / 1000);
    Timestamp::now().plus_millis(seconds.saturating_mul(1000))
}

/// Sends the invitation mail: its link is `invitation-url` with `{id}` replaced (relative to
/// the server's origin when it starts with `/`), its token the id; the template names the
/// organization, the inviter and the role.
async fn send(auth: &Auth, caller: &Caller, row: &Row) -> Result<(), ApiError> {
    let id = text(row, invitation::ID);
    let page = caller.options.invitation_url.replace("{id}", &id);
    let url = if page.starts_with('/') {
        let origin = crate::http::origin_of(auth.api_url()).unwrap_or_default();
        format!("{origin}{page}")
    } else {
        page
    };
    let organization = organization_by(
        auth,
        organization::ID,
        &text(row, invitation::ORGANIZATION_ID),
    )
    .await?;
    let details = Invitation {
        organization_name: organization
            .map(|o| text(&o, organization::NAME))
            .unwrap_or_default(),
        inviter_name: text(&caller.session.user, user::NAME),
        inviter_email: caller.email(),
        role: text(row, invitation::ROLE),
    };
    auth.submit_mail(Message::invitation(
        text(row, invitation::EMAIL),
        url,
        id,
        details,
    ))
    .await
}

/// The invitation `id`, if it is still pending and unexpired.
async fn live(auth: &Auth, id: &str) -> Result<Option<Row>, ApiError> {
    Ok(auth
        .inner
        .store
        .find_one(invitation::MODEL, &[Where::eq(invitation::ID, id)])
        .await?
        .filter(is_live))
}

fn is_recipient(caller: &Caller, row: &Row) -> bool {
    text(row, invitation::EMAIL).to_lowercase() == caller.email().to_lowercase()
}

fn email_verified(caller: &Caller) -> bool {
    caller
        .session
        .user
        .get(user::EMAIL_VERIFIED)
        .and_then(Value::as_bool)
        == Some(true)
}

pub(super) async fn invite(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let email = ctx.body.str("email")?.to_lowercase();
    let roles = body_roles(ctx)?;
    let given = ctx.body.opt_str("organizationId")?;
    let resend = ctx.body.opt_bool("resend")?.unwrap_or(false);
    let Some(organization_id) = caller.organization_or_active(given) else {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    };
    if !is_valid_email(&email) {
        return Err(bad_request(base::INVALID_EMAIL));
    }
    let Some(inviter) = membership(auth, caller.id(), &organization_id).await? else {
        return Err(bad_request(MEMBER_NOT_FOUND));
    };
    let inviter_role = text(&inviter, member::ROLE);
    if !caller
        .grants(
            auth,
            &organization_id,
            &inviter_role,
            &[("invitation", "create")],
            false,
        )
        .await?
    {
        return Err(forbidden(
            YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION,
        ));
    }
    if roles.is_empty() {
        return Err(bad_request(ROLE_NOT_FOUND));
    }
    if let Some(message) = caller.unknown_roles(auth, &organization_id, &roles).await? {
        return Err(ApiError::message_only(StatusCode::BAD_REQUEST, message));
    }
    let inviter_is_creator = caller.is_creator(&inviter_role);
    if !inviter_is_creator && roles.contains(&caller.options.creator_role) {
        return Err(forbidden(YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE));
    }
    if let Some(existing) = auth.find_user_by_email(&email).await?
        && membership(auth, &text(&existing, user::ID), &organization_id)
            .await?
            .is_some()
    {
        return Err(bad_request(USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION));
    }
    let already = pending(auth, &organization_id, Some(&email)).await?;
    let cancel_previous = caller.options.cancel_pending_invitations_on_re_invite;
    if !already.is_empty() && !resend && !cancel_previous {
        return Err(bad_request(USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION));
    }
    if organization_by(auth, organization::ID, &organization_id)
        .await?
        .is_none()
    {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    }
    let store = &auth.inner.store;
    if let (Some(existing), true) = (already.first(), resend) {
        if !inviter_is_creator && caller.is_creator(&text(existing, invitation::ROLE)) {
            return Err(forbidden(YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE));
        }
        let mut changes = Row::new();
        changes.insert(invitation::EXPIRES_AT.into(), Value::Date(expiry(caller)));
        let id = text(existing, invitation::ID);
        store
            .update(
                invitation::MODEL,
                &[Where::eq(invitation::ID, id.as_str())],
                changes.clone(),
            )
            .await?;
        let mut updated = existing.clone();
        updated.extend(changes);
        send(auth, caller, &updated).await?;
        return Ok(Reply::json(auth.output(invitation::MODEL, &updated)));
    }
    if let (Some(existing), true) = (already.first(), cancel_previous) {
        set_status(auth, &text(existing, invitation::ID), "canceled", None).await?;
    }
    let open = pending(auth, &organization_id, None).await?;
    if open.len() as u64 >= caller.options.invitation_limit {
        return Err(forbidden(INVITATION_LIMIT_REACHED));
    }
    let teams = super::teams::invited_to(auth, ctx, caller, &organization_id).await?;
    let mut row = Row::new();
    row.insert(invitation::STATUS.into(), Value::from(PENDING));
    row.insert(invitation::EXPIRES_AT.into(), Value::Date(expiry(caller)));
    row.insert(invitation::CREATED_AT.into(), Value::Date(Timestamp::now()));
    row.insert(invitation::INVITER_ID.into(), Value::from(caller.id()));
    row.insert(invitation::ROLE.into(), Value::String(roles.join(",")));
    row.insert(invitation::EMAIL.into(), Value::String(email));
    row.insert(
        invitation::ORGANIZATION_ID.into(),
        Value::String(organization_id),
    );
    if caller.options.teams.enabled {
        row.insert(
            invitation::TEAM_ID.into(),
            teams.map_or(Value::Null, Value::String),
        );
    }
    let created = store.insert(invitation::MODEL, row).await?;
    send(auth, caller, &created).await?;
    Ok(Reply::json(auth.output(invitation::MODEL, &created)))
}

/// Sets the status of invitation `id` (only while it is `from`, when given: one request wins
/// a race); the invitation as it is then, `None` when it changed nothing.
async fn set_status(
    auth: &Auth,
    id: &str,
    status: &str,
    from: Option<&str>,
) -> Result<Option<Row>, ApiError> {
    let mut conditions = vec![Where::eq(invitation::ID, id)];
    if let Some(from) = from {
        conditions.push(Where::eq(invitation::STATUS, from));
    }
    let mut changes = Row::new();
    changes.insert(invitation::STATUS.into(), Value::from(status));
    let store = &auth.inner.store;
    if store
        .update(invitation::MODEL, &conditions, changes)
        .await?
        == 0
    {
        return Ok(None);
    }
    Ok(store
        .find_one(invitation::MODEL, &[Where::eq(invitation::ID, id)])
        .await?)
}

/// An invitation id may be guessed only with a custom id generator; then (or with the option)
/// acting on one needs a verified email address.
fn needs_verified_email(caller: &Caller) -> bool {
    caller.options.require_email_verification_on_invitation
}

pub(super) async fn accept(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let id = ctx.body.str("invitationId")?.to_owned();
    let Some(found) = live(auth, &id).await? else {
        return Err(bad_request(INVITATION_NOT_FOUND));
    };
    if !is_recipient(caller, &found) {
        return Err(forbidden(YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION));
    }
    if needs_verified_email(caller) && !email_verified(caller) {
        return Err(forbidden(
            EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION,
        ));
    }
    let organization_id = text(&found, invitation::ORGANIZATION_ID);
    let store = &auth.inner.store;
    let members = store
        .count(
            member::MODEL,
            &[Where::eq(member::ORGANIZATION_ID, organization_id.as_str())],
        )
        .await?;
    if organization_by(auth, organization::ID, &organization_id)
        .await?
        .is_none()
    {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    }
    if members >= caller.options.membership_limit {
        return Err(forbidden(ORGANIZATION_MEMBERSHIP_LIMIT_REACHED));
    }
    // Only the request that moves it out of `pending` goes on: accepted at most once.
    let Some(accepted) = set_status(auth, &id, "accepted", Some(PENDING)).await? else {
        return Err(bad_request(INVITATION_NOT_FOUND));
    };
    let active_team = match super::teams::accept_into(auth, caller, &accepted).await {
        Ok(team) => team,
        Err(error) => {
            set_status(auth, &id, PENDING, Some("accepted")).await?;
            return Err(error);
        }
    };
    let joined = match membership(auth, caller.id(), &organization_id).await? {
        // Already a member (added meanwhile): the invitation joins nobody twice.
        Some(held) => held,
        None => {
            let mut row = Row::new();
            row.insert(
                member::ORGANIZATION_ID.into(),
                Value::String(organization_id.clone()),
            );
            row.insert(member::USER_ID.into(), Value::from(caller.id()));
            let roles = text(&accepted, invitation::ROLE);
            row.insert(
                member::ROLE.into(),
                Value::String(role_list(&roles).join(",")),
            );
            row.insert(member::CREATED_AT.into(), Value::Date(Timestamp::now()));
            match store.insert(member::MODEL, row).await {
                Ok(created) => created,
                Err(error) => {
                    set_status(auth, &id, PENDING, Some("accepted")).await?;
                    return Err(error.into());
                }
            }
        }
    };
    let mut changes = Row::new();
    changes.insert(
        session::ACTIVE_ORGANIZATION_ID.into(),
        Value::String(organization_id),
    );
    if let Some(team_id) = active_team {
        changes.insert(session::ACTIVE_TEAM_ID.into(), Value::String(team_id));
    }
    super::update_session(auth, ctx, caller, changes).await?;
    Ok(Reply::json(json!({
        "invitation": auth.output(invitation::MODEL, &accepted),
        "member": auth.output(member::MODEL, &joined),
    })))
}

pub(super) async fn reject(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let id = ctx.body.str("invitationId")?.to_owned();
    let found = auth
        .inner
        .store
        .find_one(invitation::MODEL, &[Where::eq(invitation::ID, id.as_str())])
        .await?
        .filter(|i| text(i, invitation::STATUS) == PENDING);
    let Some(found) = found else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            INVITATION_NOT_FOUND,
            "Invitation not found!",
        ));
    };
    if !is_recipient(caller, &found) {
        return Err(forbidden(YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION));
    }
    if needs_verified_email(caller) && !email_verified(caller) {
        return Err(forbidden(
            EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION,
        ));
    }
    if organization_by(
        auth,
        organization::ID,
        &text(&found, invitation::ORGANIZATION_ID),
    )
    .await?
    .is_none()
    {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    }
    let rejected = set_status(auth, &id, "rejected", Some(PENDING)).await?;
    Ok(Reply::json(json!({
        "invitation": rejected.map_or(Json::Null, |r| auth.output(invitation::MODEL, &r)),
        "member": null,
    })))
}

pub(super) async fn cancel(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let id = ctx.body.str("invitationId")?.to_owned();
    let Some(found) = auth
        .inner
        .store
        .find_one(invitation::MODEL, &[Where::eq(invitation::ID, id.as_str())])
        .await?
    else {
        return Err(bad_request(INVITATION_NOT_FOUND));
    };
    let organization_id = text(&found, invitation::ORGANIZATION_ID);
    let Some(held) = membership(auth, caller.id(), &organization_id).await? else {
        return Err(bad_request(MEMBER_NOT_FOUND));
    };
    let role = text(&held, member::ROLE);
    if !caller
        .grants(
            auth,
            &organization_id,
            &role,
            &[("invitation", "cancel")],
            false,
        )
        .await?
    {
        return Err(forbidden(YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION));
    }
    if organization_by(auth, organization::ID, &organization_id)
        .await?
        .is_none()
    {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    }
    let canceled = set_status(auth, &id, "canceled", None).await?;
    Ok(Reply::json(canceled.map_or(Json::Null, |r| {
        auth.output(invitation::MODEL, &r)
    })))
}

pub(super) async fn get(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let id = ctx.query.required("id")?.to_owned();
    let Some(found) = live(auth, &id).await? else {
        return Err(bad_request(INVITATION_NOT_FOUND));
    };
    if !is_recipient(caller, &found) {
        return Err(forbidden(YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION));
    }
    if needs_verified_email(caller) && !email_verified(caller) {
        return Err(forbidden(EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION));
    }
    let organization_id = text(&found, invitation::ORGANIZATION_ID);
    let Some(org) = organization_by(auth, organization::ID, &organization_id).await? else {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    };
    let inviter_id = text(&found, invitation::INVITER_ID);
    let inviter = match membership(auth, &inviter_id, &organization_id).await? {
        Some(_) => {
            auth.inner
                .store
                .find_one(user::MODEL, &[Where::eq(user::ID, inviter_id.as_str())])
                .await?
        }
        None => None,
    };
    let Some(inviter) = inviter else {
        return Err(bad_request(
            INVITER_IS_NO_LONGER_A_MEMBER_OF_THE_ORGANIZATION,
        ));
    };
    let mut out = auth.output(invitation::MODEL, &found);
    if let Json::Object(map) = &mut out {
        map.insert(
            "organizationName".into(),
            text(&org, organization::NAME).into(),
        );
        map.insert(
            "organizationSlug".into(),
            text(&org, organization::SLUG).into(),
        );
        map.insert("inviterEmail".into(), text(&inviter, user::EMAIL).into());
    }
    Ok(Reply::json(out))
}

pub(super) async fn list(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let Some(organization_id) = caller.organization_or_active(query_str(ctx, "organizationId"))
    else {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "Organization ID is required",
        ));
    };
    let Some(held) = membership(auth, caller.id(), &organization_id).await? else {
        return Err(ApiError::message_only(
            StatusCode::FORBIDDEN,
            "You are not a member of this organization",
        ));
    };
    let role = text(&held, member::ROLE);
    if !caller
        .grants(
            auth,
            &organization_id,
            &role,
            &[("invitation", "create")],
            false,
        )
        .await?
    {
        return Err(forbidden(YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS));
    }
    let visible = visible(auth, caller, &role, &organization_id).await?;
    Ok(Reply::json(visible.into()))
}

pub(super) async fn list_of_user(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
) -> Result<Reply, ApiError> {
    if query_str(ctx, "email").is_some() {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "User email cannot be passed for client side API calls.",
        ));
    }
    if !email_verified(caller) {
        return Err(forbidden(EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION));
    }
    let store = &auth.inner.store;
    let mine = store
        .find_many(
            invitation::MODEL,
            &[
                Where::eq(invitation::EMAIL, caller.email().to_lowercase()),
                Where::eq(invitation::STATUS, PENDING),
            ],
            None,
            None,
            None,
        )
        .await?;
    let mut out = Vec::with_capacity(mine.len());
    for row in &mine {
        let name = organization_by(
            auth,
            organization::ID,
            &text(row, invitation::ORGANIZATION_ID),
        )
        .await?
        .map(|o| text(&o, organization::NAME));
        let mut item = auth.output(invitation::MODEL, row);
        if let (Json::Object(map), Some(name)) = (&mut item, name) {
            map.insert("organizationName".into(), name.into());
        }
        out.push(item);
    }
    Ok(Reply::json(out.into()))
}
