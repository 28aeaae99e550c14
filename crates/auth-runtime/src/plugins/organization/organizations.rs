//! Organizations: create, update, delete, set-active, get, get-full, list, check-slug.

use auth_core::plugins::organization::{
    ORGANIZATION_ALREADY_EXISTS, ORGANIZATION_DELETION_DISABLED, ORGANIZATION_NOT_FOUND,
    ORGANIZATION_SLUG_ALREADY_TAKEN, USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION,
    YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION,
    YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION,
    YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION,
    YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS,
};
use auth_core::schema::names::{invitation, member, organization, session};
use http::StatusCode;
use serde_json::{Map, Value as Json, json};

use super::{
    Caller, bad_request, deactivate_everywhere, forbidden, membership, non_empty, organization_by,
    query_str, set_active, users_of, with_users,
};
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::store::{Row, StoreError, Timestamp, Value, Where, text};

/// An organization as better-auth answers it after writing it: `metadata` parsed back into
/// an object, and left out when there is none.
fn written(auth: &Auth, row: &Row) -> Json {
    let mut out = auth.output(organization::MODEL, row);
    if let Json::Object(map) = &mut out {
        let parsed = map
            .get(organization::METADATA)
            .and_then(Json::as_str)
            .and_then(|m| serde_json::from_str::<Json>(m).ok());
        match parsed {
            Some(metadata) => map.insert(organization::METADATA.into(), metadata),
            None => map.remove(organization::METADATA),
        };
    }
    out
}

/// `metadata` of a body: an object, stored as its JSON text (zod's `z.record`).
fn metadata(body: &Map<String, Json>) -> Result<Option<Value>, ApiError> {
    match body.get("metadata") {
        None => Ok(None),
        Some(Json::Object(map)) => Ok(Some(Value::String(Json::Object(map.clone()).to_string()))),
        Some(_) => Err(ApiError::validation(
            "[body.metadata] Invalid input: expected record",
        )),
    }
}

/// `logo` of a body: a string, `null`, or absent (zod's `nullish`).
fn logo(body: &Map<String, Json>) -> Result<Option<Value>, ApiError> {
    match body.get("logo") {
        None => Ok(None),
        Some(Json::Null) => Ok(Some(Value::Null)),
        Some(Json::String(s)) => Ok(Some(Value::String(s.clone()))),
        Some(_) => Err(ApiError::validation(
            "[body.logo] Invalid input: expected string",
        )),
    }
}

fn body_map(ctx: &Ctx) -> Map<String, Json> {
    ["name", "slug", "logo", "metadata"]
        .iter()
        .filter_map(|k| ctx.body.get(k).map(|v| ((*k).to_owned(), v.clone())))
        .collect()
}

pub(super) async fn create(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let name = non_empty(ctx, "name")?.to_owned();
    let slug = non_empty(ctx, "slug")?.to_owned();
    let given = body_map(ctx);
    let logo = logo(&given)?;
    let metadata = metadata(&given)?;
    let keep_active = ctx
        .body
        .opt_bool("keepCurrentActiveOrganization")?
        .unwrap_or(false);
    let options = &caller.options;
    if !options.allow_user_to_create_organization {
        return Err(forbidden(YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION));
    }
    let store = &auth.inner.store;
    if let Some(limit) = options.organization_limit {
        let held = store
            .count(member::MODEL, &[Where::eq(member::USER_ID, caller.id())])
            .await?;
        if held >= limit {
            return Err(forbidden(
                YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS,
            ));
        }
    }
    if organization_by(auth, organization::SLUG, &slug)
        .await?
        .is_some()
    {
        return Err(bad_request(ORGANIZATION_ALREADY_EXISTS));
    }
    let mut row = Row::new();
    row.insert(organization::NAME.into(), Value::String(name));
    row.insert(organization::SLUG.into(), Value::String(slug));
    if let Some(logo) = logo {
        row.insert(organization::LOGO.into(), logo);
    }
    if let Some(metadata) = metadata {
        row.insert(organization::METADATA.into(), metadata);
    }
    row.insert(
        organization::CREATED_AT.into(),
        Value::Date(Timestamp::now()),
    );
    // Two creations of one slug at once: the unique index decides, as the check above would.
    let created = match store.insert(organization::MODEL, row).await {
        Err(StoreError::UniqueViolation { .. }) => {
            return Err(bad_request(ORGANIZATION_ALREADY_EXISTS));
        }
        other => other?,
    };
    let organization_id = text(&created, organization::ID);
    let mut owner = Row::new();
    owner.insert(
        member::ORGANIZATION_ID.into(),
        Value::String(organization_id.clone()),
    );
    owner.insert(member::USER_ID.into(), Value::from(caller.id()));
    owner.insert(
        member::ROLE.into(),
        Value::String(options.creator_role.clone()),
    );
    owner.insert(member::CREATED_AT.into(), Value::Date(Timestamp::now()));
    let owner = store.insert(member::MODEL, owner).await?;
    let default_team = super::teams::create_default(auth, caller, &created).await?;
    if !keep_active {
        let mut changes = Row::new();
        changes.insert(
            session::ACTIVE_ORGANIZATION_ID.into(),
            Value::String(organization_id.clone()),
        );
        if let Some(team_id) = default_team {
            changes.insert(session::ACTIVE_TEAM_ID.into(), Value::String(team_id));
        }
        super::update_session(auth, ctx, caller, changes).await?;
    }
    let mut out = written(auth, &created);
    if let Json::Object(map) = &mut out {
        map.insert(
            "members".into(),
            json!([auth.output(member::MODEL, &owner)]),
        );
    }
    Ok(Reply::json(out))
}

pub(super) async fn update(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let data = match ctx.body.get("data") {
        Some(Json::Object(map)) => map.clone(),
        _ => {
            return Err(ApiError::validation(
                "[body.data] Invalid input: expected object",
            ));
        }
    };
    let mut changes = Row::new();
    for key in ["name", "slug"] {
        match data.get(key) {
            None => {}
            Some(Json::String(s)) if !s.is_empty() => {
                changes.insert(key.to_owned(), Value::String(s.clone()));
            }
            Some(_) => {
                return Err(ApiError::validation(format!(
                    "[body.data.{key}] Invalid input: expected a non-empty string"
                )));
            }
        }
    }
    if let Some(logo) = logo(&data)? {
        changes.insert(organization::LOGO.into(), logo);
    }
    if let Some(metadata) = metadata(&data)? {
        changes.insert(organization::METADATA.into(), metadata);
    }
    let given = ctx.body.opt_str("organizationId")?;
    let Some(organization_id) = caller.organization_or_active(given) else {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    };
    let Some(found) = membership(auth, caller.id(), &organization_id).await? else {
        return Err(bad_request(USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION));
    };
    let role = text(&found, member::ROLE);
    if !caller
        .grants(
            auth,
            &organization_id,
            &role,
            &[("organization", "update")],
            false,
        )
        .await?
    {
        return Err(forbidden(YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION));
    }
    if let Some(Value::String(slug)) = changes.get(organization::SLUG)
        && let Some(other) = organization_by(auth, organization::SLUG, slug).await?
        && text(&other, organization::ID) != organization_id
    {
        return Err(bad_request(ORGANIZATION_SLUG_ALREADY_TAKEN));
    }
    let store = &auth.inner.store;
    let at = [Where::eq(organization::ID, organization_id.as_str())];
    match store.update(organization::MODEL, &at, changes).await {
        Err(StoreError::UniqueViolation { .. }) => {
            return Err(bad_request(ORGANIZATION_SLUG_ALREADY_TAKEN));
        }
        other => other?,
    };
    let Some(updated) = store.find_one(organization::MODEL, &at).await? else {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    };
    Ok(Reply::json(written(auth, &updated)))
}

pub(super) async fn delete(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    if caller.options.disable_organization_deletion {
        return Err(ApiError::base(
            StatusCode::NOT_FOUND,
            ORGANIZATION_DELETION_DISABLED,
        ));
    }
    let organization_id = ctx.body.str("organizationId")?.to_owned();
    if organization_id.is_empty() {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    }
    let Some(found) = membership(auth, caller.id(), &organization_id).await? else {
        return Err(bad_request(USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION));
    };
    let role = text(&found, member::ROLE);
    if !caller
        .grants(
            auth,
            &organization_id,
            &role,
            &[("organization", "delete")],
            false,
        )
        .await?
    {
        return Err(forbidden(YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION));
    }
    let Some(deleted) = organization_by(auth, organization::ID, &organization_id).await? else {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    };
    let store = &auth.inner.store;
    let members = store
        .find_many(
            member::MODEL,
            &[Where::eq(member::ORGANIZATION_ID, organization_id.as_str())],
            None,
            None,
            None,
        )
        .await?;
    store
        .delete(
            member::MODEL,
            &[Where::eq(member::ORGANIZATION_ID, organization_id.as_str())],
        )
        .await?;
    store
        .delete(
            invitation::MODEL,
            &[Where::eq(
                invitation::ORGANIZATION_ID,
                organization_id.as_str(),
            )],
        )
        .await?;
    let teams = super::teams::delete_all(auth, caller, &organization_id).await?;
    store
        .delete(
            organization::MODEL,
            &[Where::eq(organization::ID, organization_id.as_str())],
        )
        .await?;
    for held in &members {
        deactivate_everywhere(auth, &text(held, member::USER_ID), &organization_id).await?;
    }
    let changes = super::leaving(caller, &organization_id, &teams);
    if !changes.is_empty() {
        super::update_session(auth, ctx, caller, changes).await?;
    }
    Ok(Reply::json(auth.output(organization::MODEL, &deleted)))
}

pub(super) async fn set_active_organization(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
) -> Result<Reply, ApiError> {
    if matches!(ctx.body.get("organizationId"), Some(Json::Null)) {
        if caller.active().is_some() {
            set_active(auth, ctx, caller, None).await?;
        }
        return Ok(Reply::json(Json::Null));
    }
    let by_id = ctx.body.opt_str("organizationId")?.map(str::to_owned);
    let by_slug = ctx.body.opt_str("organizationSlug")?.map(str::to_owned);
    let organization_id = match (by_id.filter(|id| !id.is_empty()), by_slug) {
        (Some(id), _) => id,
        (None, Some(slug)) if !slug.is_empty() => {
            match organization_by(auth, organization::SLUG, &slug).await? {
                Some(found) => text(&found, organization::ID),
                None => return Err(bad_request(ORGANIZATION_NOT_FOUND)),
            }
        }
        _ => match caller.active() {
            Some(active) => active,
            None => return Ok(Reply::json(Json::Null)),
        },
    };
    if membership(auth, caller.id(), &organization_id)
        .await?
        .is_none()
    {
        set_active(auth, ctx, caller, None).await?;
        return Err(forbidden(USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION));
    }
    let Some(found) = organization_by(auth, organization::ID, &organization_id).await? else {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    };
    set_active(auth, ctx, caller, Some(&organization_id)).await?;
    Ok(Reply::json(auth.output(organization::MODEL, &found)))
}

/// The organization a read names (`organizationSlug`, else `organizationId`, else the active
/// one), `Ok(None)` when none is named; 400 when it does not exist, and 403 (clearing the
/// active organization) when the caller is not a member.
async fn readable(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
) -> Result<Option<(Row, Row)>, ApiError> {
    let (field, value) = match (
        query_str(ctx, "organizationSlug").filter(|s| !s.is_empty()),
        query_str(ctx, "organizationId").filter(|s| !s.is_empty()),
    ) {
        (Some(slug), _) => (organization::SLUG, slug.to_owned()),
        (None, Some(id)) => (organization::ID, id.to_owned()),
        (None, None) => match caller.active() {
            Some(active) => (organization::ID, active),
            None => return Ok(None),
        },
    };
    let Some(found) = organization_by(auth, field, &value).await? else {
        return Err(bad_request(ORGANIZATION_NOT_FOUND));
    };
    let Some(held) = membership(auth, caller.id(), &text(&found, organization::ID)).await? else {
        set_active(auth, ctx, caller, None).await?;
        return Err(forbidden(USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION));
    };
    Ok(Some((found, held)))
}

pub(super) async fn get(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    Ok(Reply::json(match readable(auth, ctx, caller).await? {
        Some((found, _)) => auth.output(organization::MODEL, &found),
        None => Json::Null,
    }))
}

pub(super) async fn get_full(
    auth: &Auth,
    ctx: &mut Ctx,
    caller: &Caller,
) -> Result<Reply, ApiError> {
    // better-auth's `parseInt(text)`: a number that does not parse (NaN) sets no limit.
    let members_limit = query_str(ctx, "membersLimit")
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|n| n.is_finite() && *n >= 1.0)
        .map(|n| n.trunc() as u64);
    let Some((found, held)) = readable(auth, ctx, caller).await? else {
        return Ok(Reply::json(Json::Null));
    };
    let organization_id = text(&found, organization::ID);
    let store = &auth.inner.store;
    let limit = members_limit.unwrap_or(caller.options.membership_limit);
    let members = store
        .find_many(
            member::MODEL,
            &[Where::eq(member::ORGANIZATION_ID, organization_id.as_str())],
            None,
            Some(limit),
            None,
        )
        .await?;
    let users = users_of(auth, &members).await?;
    // Only a map with non-string keys fails to convert.
    let members = serde_json::to_value(with_users(auth, &members, &users)).unwrap_or_default();
    let role = text(&held, member::ROLE);
    let invitations = super::invitations::visible(auth, caller, &role, &organization_id).await?;
    let mut out = auth.output(organization::MODEL, &found);
    let teams = if caller.options.teams.enabled {
        Some(super::teams::listed(auth, &organization_id).await?)
    } else {
        None
    };
    if let Json::Object(map) = &mut out {
        map.insert("invitations".into(), invitations.into());
        map.insert("members".into(), members);
        if let Some(teams) = teams {
            map.insert("teams".into(), teams);
        }
    }
    Ok(Reply::json(out))
}

pub(super) async fn list(auth: &Auth, _: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let store = &auth.inner.store;
    let held = store
        .find_many(
            member::MODEL,
            &[Where::eq(member::USER_ID, caller.id())],
            None,
            None,
            None,
        )
        .await?;
    let organizations = store
        .find_many(
            organization::MODEL,
            &[Where::is_in(
                organization::ID,
                held.iter()
                    .map(|m| Value::String(text(m, member::ORGANIZATION_ID))),
            )],
            None,
            None,
            None,
        )
        .await?;
    Ok(Reply::json(
        organizations
            .iter()
            .map(|o| auth.output(organization::MODEL, o))
            .collect::<Vec<_>>()
            .into(),
    ))
}

pub(super) async fn check_slug(auth: &Auth, ctx: &mut Ctx, _: &Caller) -> Result<Reply, ApiError> {
    let slug = ctx.body.str("slug")?.to_owned();
    if organization_by(auth, organization::SLUG, &slug)
        .await?
        .is_some()
    {
        return Err(bad_request(ORGANIZATION_SLUG_ALREADY_TAKEN));
    }
    Ok(Reply::json(json!({ "status": true })))
}
