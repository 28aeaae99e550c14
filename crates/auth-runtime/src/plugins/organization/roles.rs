//! Dynamic access control, as better-auth 1.7.25's `dynamicAccessControl`: roles an
//! organization creates at run time (`organizationRole`: its name and a `permission` record of
//! the declared statements), create-role, update-role, delete-role, list-roles and get-role;
//! and the roles every permission check of the plugin reads (`of_organization`), the stored
//! ones merged into the declared ones.

use std::collections::BTreeMap;

use auth_core::errors::ErrorCode;
use auth_core::plugins::access::{self, Statements};
use auth_core::plugins::organization::{
    CANNOT_DELETE_A_PRE_DEFINED_ROLE, INVALID_RESOURCE, NO_ACTIVE_ORGANIZATION,
    ROLE_IS_ASSIGNED_TO_MEMBERS, ROLE_NAME_IS_ALREADY_TAKEN, ROLE_NOT_FOUND, TOO_MANY_ROLES,
    YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION, YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE,
    YOU_ARE_NOT_ALLOWED_TO_DELETE_A_ROLE, YOU_ARE_NOT_ALLOWED_TO_LIST_A_ROLE,
    YOU_ARE_NOT_ALLOWED_TO_READ_A_ROLE, YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE,
    YOU_MUST_BE_IN_AN_ORGANIZATION_TO_CREATE_A_ROLE, role_list,
};
use auth_core::schema::Origin;
use auth_core::schema::names::{member, organization_role};
use serde_json::{Map, Value as Json, json};

use super::{Caller, bad_request, forbidden, membership, query_str};
use crate::Auth;
use crate::error::ApiError;
use crate::http::{Body, Ctx, Reply};
use crate::routes::model_input;
use crate::store::{Row, Timestamp, Value, Where, text};

/// Every role of `organization_id` and what it grants: the declared ones, then (with dynamic
/// access control) the organization's stored roles merged in, as better-auth's `hasPermission`
/// reads them. A stored role whose permission is not a record of actions grants nothing.
pub(super) async fn of_organization(
    auth: &Auth,
    caller_options: &auth_core::plugins::organization::Options,
    organization_id: &str,
) -> Result<BTreeMap<String, Statements>, ApiError> {
    let mut roles = caller_options.roles();
    if !caller_options.dynamic_access_control.enabled() {
        return Ok(roles);
    }
    let stored = stored_roles(auth, organization_id, &[]).await?;
    let parsed = stored.iter().filter_map(|row| {
        let name = text(row, organization_role::ROLE);
        match permission_of(row) {
            Some(grants) => Some((name, grants)),
            None => {
                tracing::error!(role = %name, organization_id, "a stored role's permission is not a record of actions; it grants nothing");
                None
            }
        }
    });
    access::merge_roles(&mut roles, parsed.collect::<Vec<_>>());
    Ok(roles)
}

/// May the member `user_id` of `organization_id` do all of `wanted`? `None` when they are not a
/// member. For guards outside the plugin's endpoints (`RequirePermission`).
pub(crate) async fn member_may(
    auth: &Auth,
    user_id: &str,
    organization_id: &str,
    wanted: &Statements,
) -> Result<Option<bool>, ApiError> {
    let Some(held) = membership(auth, user_id, organization_id).await? else {
        return Ok(None);
    };
    let options = auth.inner.config.plugins.organization_options();
    let roles = of_organization(auth, options, organization_id).await?;
    Ok(Some(options.has_permission_among(
        &roles,
        &text(&held, member::ROLE),
        wanted,
        false,
    )))
}

/// The stored roles of `organization_id`, narrowed by `more`.
async fn stored_roles(
    auth: &Auth,
    organization_id: &str,
    more: &[Where],
) -> Result<Vec<Row>, ApiError> {
    let mut conditions = vec![Where::eq(
        organization_role::ORGANIZATION_ID,
        organization_id,
    )];
    conditions.extend(more.iter().cloned());
    Ok(auth
        .inner
        .store
        .find_many(organization_role::MODEL, &conditions, None, None, None)
        .await?)
}

/// The names among `names` that `organization_id` has stored roles of.
pub(super) async fn stored_names(
    auth: &Auth,
    organization_id: &str,
    names: &[&str],
) -> Result<Vec<String>, ApiError> {
    let values = names.iter().map(|n| Value::from(*n));
    let found = stored_roles(
        auth,
        organization_id,
        &[Where::is_in(organization_role::ROLE, values)],
    )
    .await?;
    Ok(found
        .iter()
        .map(|r| text(r, organization_role::ROLE))
        .collect())
}

/// A stored role's `permission` (JSON text) as statements.
fn permission_of(row: &Row) -> Option<Statements> {
    let stored = row.get(organization_role::PERMISSION)?.as_str()?;
    access::from_json(&serde_json::from_str(stored).ok()?)
}

/// A stored role as better-auth answers it: its permission parsed back into a record.
fn answer(auth: &Auth, row: &Row) -> Json {
    let mut out = auth.output(organization_role::MODEL, row);
    if let Json::Object(map) = &mut out {
        let parsed = row
            .get(organization_role::PERMISSION)
            .and_then(Value::as_str)
            .and_then(|p| serde_json::from_str::<Json>(p).ok())
            .unwrap_or(Json::Null);
        map.insert(organization_role::PERMISSION.into(), parsed);
    }
    out
}

/// better-auth's `normalizeRoleName`.
fn normalized(name: &str) -> String {
    name.to_lowercase()
}

/// A `permission` record of `{resource: [actions]}` (zod's `z.record(z.string(),
/// z.array(z.string()))`) at `key`.
fn permission_at(value: Option<&Json>, key: &str) -> Result<Option<Statements>, ApiError> {
    match value {
        None => Ok(None),
        Some(given) => access::from_json(given).map(Some).ok_or_else(|| {
            ApiError::validation(format!(
                "[{key}] Invalid input: expected record of arrays of strings"
            ))
        }),
    }
}

/// The organization a role endpoint acts on: `organizationId` (JavaScript's `given ?? active`;
/// an empty one is none), with `missing` when there is none.
fn organization_of(
    caller: &Caller,
    given: Option<&str>,
    missing: ErrorCode,
) -> Result<String, ApiError> {
    given
        .map(str::to_owned)
        .or_else(|| caller.active())
        .filter(|id| !id.is_empty())
        .ok_or_else(|| bad_request(missing))
}

/// The caller's role in `organization_id` (403 when not a member), refused with `refusal`
/// unless it grants `action` on `ac`; with the organization's roles.
async fn role_manager(
    auth: &Auth,
    caller: &Caller,
    organization_id: &str,
    action: &str,
    refusal: ErrorCode,
) -> Result<(String, BTreeMap<String, Statements>), ApiError> {
    let Some(held) = membership(auth, caller.id(), organization_id).await? else {
        return Err(forbidden(YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION));
    };
    let role = text(&held, member::ROLE);
    let roles = of_organization(auth, &caller.options, organization_id).await?;
    let wanted = Statements::from([("ac".to_owned(), vec![action.to_owned()])]);
    if !caller
        .options
        .has_permission_among(&roles, &role, &wanted, false)
    {
        return Err(forbidden(refusal));
    }
    Ok((role, roles))
}

/// better-auth's `checkForInvalidResources` then `checkIfMemberHasPermission`: every resource
/// is declared, and the caller's role holds every action it grants (one cannot hand out what
/// one lacks); else 403 `refusal` with `missingPermissions` (`resource:action`).
fn may_grant(
    caller: &Caller,
    roles: &BTreeMap<String, Statements>,
    role: &str,
    permission: &Statements,
    refusal: ErrorCode,
) -> Result<(), ApiError> {
    if !access::unknown_resources(&caller.options.statements(), permission).is_empty() {
        return Err(bad_request(INVALID_RESOURCE));
    }
    let missing: Vec<String> = permission
        .iter()
        .flat_map(|(resource, actions)| actions.iter().map(move |a| (resource, a)))
        .filter(|(resource, action)| {
            let one = Statements::from([((*resource).clone(), vec![(*action).clone()])]);
            !caller
                .options
                .has_permission_among(roles, role, &one, false)
        })
        .map(|(resource, action)| format!("{resource}:{action}"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(forbidden(refusal).with_field("missingPermissions", json!(missing)))
    }
}

/// A role name of the declared ones (`owner`, `admin`, `member` and `[…roles.<name>]`) or of
/// a stored role of `organization_id`: 400 `ROLE_NAME_IS_ALREADY_TAKEN`.
async fn refuse_taken(
    auth: &Auth,
    caller: &Caller,
    organization_id: &str,
    name: &str,
) -> Result<(), ApiError> {
    if caller.options.is_role(name)
        || !stored_names(auth, organization_id, &[name])
            .await?
            .is_empty()
    {
        return Err(bad_request(ROLE_NAME_IS_ALREADY_TAKEN));
    }
    Ok(())
}

/// The additional fields of `organizationRole` in `given` (an object), as `model_input` reads
/// a body: only the fields auth.toml declares; the plugin's own (`permission`, `role`, …) are
/// the endpoint's to read. `creating`: a required one without default must be given (400
/// `MISSING_FIELD`, where better-auth's database would refuse the row).
fn additional_fields(auth: &Auth, given: Option<&Json>, creating: bool) -> Result<Row, ApiError> {
    let given = match given {
        None => Map::new(),
        Some(Json::Object(map)) => map.clone(),
        Some(_) => {
            return Err(ApiError::validation(
                "[body.additionalFields] Invalid input: expected object",
            ));
        }
    };
    let declared: Vec<_> = auth
        .inner
        .models
        .model(organization_role::MODEL)
        .map(|t| {
            t.columns
                .iter()
                .filter(|c| c.origin == Origin::Config)
                .collect()
        })
        .unwrap_or_default();
    let only_declared = given
        .into_iter()
        .filter(|(k, _)| declared.iter().any(|c| c.field == *k))
        .collect();
    // Partial: the plugin's own required fields are set by the server, not read here.
    let row = model_input(auth, organization_role::MODEL, &Body(only_declared), true)?;
    let missing = declared.iter().find(|c| {
        creating && c.input && c.required && c.default.is_none() && !row.contains_key(&c.field)
    });
    if let Some(column) = missing {
        return Err(ApiError::coded(
            http::StatusCode::BAD_REQUEST,
            auth_core::errors::base::MISSING_FIELD,
            format!("{} is required", column.field),
        ));
    }
    Ok(row)
}

/// `roleName` or `roleId` of a body or query (zod's union of two non-empty strings) as the
/// condition finding the role.
fn name_or_id(name: Option<&str>, id: Option<&str>, at: &str) -> Result<Where, ApiError> {
    match (name.filter(|n| !n.is_empty()), id.filter(|i| !i.is_empty())) {
        (Some(name), _) => Ok(Where::eq(organization_role::ROLE, name)),
        (None, Some(id)) => Ok(Where::eq(organization_role::ID, id)),
        (None, None) => Err(ApiError::validation(format!(
            "[{at}] Invalid input: expected a non-empty roleName or roleId"
        ))),
    }
}

/// The stored role of `organization_id` matching `condition`, or 400 `ROLE_NOT_FOUND`.
async fn stored_role(
    auth: &Auth,
    organization_id: &str,
    condition: &Where,
) -> Result<Row, ApiError> {
    stored_roles(auth, organization_id, std::slice::from_ref(condition))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| bad_request(ROLE_NOT_FOUND))
}

pub(super) async fn create(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let given = ctx.body.opt_str("organizationId")?;
    let name = normalized(ctx.body.str("role")?);
    let Some(permission) = permission_at(ctx.body.get("permission"), "body.permission")? else {
        return Err(ApiError::validation(
            "[body.permission] Invalid input: expected record, received undefined",
        ));
    };
    let extra = additional_fields(auth, ctx.body.get("additionalFields"), true)?;
    let organization_id = organization_of(
        caller,
        given,
        YOU_MUST_BE_IN_AN_ORGANIZATION_TO_CREATE_A_ROLE,
    )?;
    if caller.options.is_role(&name) {
        return Err(bad_request(ROLE_NAME_IS_ALREADY_TAKEN));
    }
    let (role, roles) = role_manager(
        auth,
        caller,
        &organization_id,
        "create",
        YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE,
    )
    .await?;
    if let Some(maximum) = caller
        .options
        .dynamic_access_control
        .maximum_roles_per_organization()
    {
        let held = auth
            .inner
            .store
            .count(
                organization_role::MODEL,
                &[Where::eq(
                    organization_role::ORGANIZATION_ID,
                    organization_id.as_str(),
                )],
            )
            .await?;
        if held >= maximum {
            return Err(bad_request(TOO_MANY_ROLES));
        }
    }
    may_grant(
        caller,
        &roles,
        &role,
        &permission,
        YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE,
    )?;
    refuse_taken(auth, caller, &organization_id, &name).await?;
    let given_permission = ctx.body.get("permission").cloned().unwrap_or(Json::Null);
    let mut row = extra;
    row.insert(
        organization_role::ORGANIZATION_ID.into(),
        Value::String(organization_id),
    );
    row.insert(organization_role::ROLE.into(), Value::String(name));
    row.insert(
        organization_role::PERMISSION.into(),
        Value::String(given_permission.to_string()),
    );
    row.insert(
        organization_role::CREATED_AT.into(),
        Value::Date(Timestamp::now()),
    );
    // better-auth's adapter sets `updatedAt` on update only (it has no default).
    row.insert(organization_role::UPDATED_AT.into(), Value::Null);
    let created = auth
        .inner
        .store
        .insert(organization_role::MODEL, row)
        .await?;
    Ok(Reply::json(json!({
        "success": true,
        "roleData": answer(auth, &created),
        "statements": given_permission,
    })))
}

pub(super) async fn update(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let given = ctx.body.opt_str("organizationId")?;
    let data = match ctx.body.get("data") {
        Some(Json::Object(map)) => map.clone(),
        other => {
            return Err(ApiError::validation(format!(
                "[body.data] Invalid input: expected object, received {}",
                if other.is_some() {
                    "another type"
                } else {
                    "undefined"
                }
            )));
        }
    };
    let condition = name_or_id(
        ctx.body.opt_str("roleName")?,
        ctx.body.opt_str("roleId")?,
        "body",
    )?;
    let permission = permission_at(data.get("permission"), "body.data.permission")?;
    let new_name = match data.get("roleName") {
        None => None,
        Some(Json::String(name)) => Some(normalized(name)),
        Some(_) => {
            return Err(ApiError::validation(
                "[body.data.roleName] Invalid input: expected string",
            ));
        }
    };
    let extra = additional_fields(auth, Some(&Json::Object(data.clone())), false)?;
    let organization_id = organization_of(caller, given, NO_ACTIVE_ORGANIZATION)?;
    let (role, roles) = role_manager(
        auth,
        caller,
        &organization_id,
        "update",
        YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE,
    )
    .await?;
    let found = stored_role(auth, &organization_id, &condition).await?;
    let mut changes = extra;
    if let Some(permission) = &permission {
        may_grant(
            caller,
            &roles,
            &role,
            permission,
            YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE,
        )?;
        let given = data.get("permission").cloned().unwrap_or(Json::Null);
        changes.insert(
            organization_role::PERMISSION.into(),
            Value::String(given.to_string()),
        );
    }
    if let Some(name) = &new_name {
        refuse_taken(auth, caller, &organization_id, name).await?;
        changes.insert(organization_role::ROLE.into(), Value::String(name.clone()));
    }
    let mut answered = found.clone();
    answered.extend(changes.clone());
    if !changes.is_empty() {
        let at = [
            Where::eq(organization_role::ORGANIZATION_ID, organization_id.as_str()),
            condition,
        ];
        auth.inner
            .store
            .update(organization_role::MODEL, &at, changes)
            .await?;
    }
    Ok(Reply::json(json!({
        "success": true,
        "roleData": answer(auth, &answered),
    })))
}

pub(super) async fn delete(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let given = ctx.body.opt_str("organizationId")?;
    let name = ctx.body.opt_str("roleName")?.map(str::to_owned);
    let condition = name_or_id(name.as_deref(), ctx.body.opt_str("roleId")?, "body")?;
    let organization_id = organization_of(caller, given, NO_ACTIVE_ORGANIZATION)?;
    role_manager(
        auth,
        caller,
        &organization_id,
        "delete",
        YOU_ARE_NOT_ALLOWED_TO_DELETE_A_ROLE,
    )
    .await?;
    if name.as_deref().is_some_and(|n| caller.options.is_role(n)) {
        return Err(bad_request(CANNOT_DELETE_A_PRE_DEFINED_ROLE));
    }
    let found = stored_role(auth, &organization_id, &condition).await?;
    let role = text(&found, organization_role::ROLE);
    let store = &auth.inner.store;
    let holders = store
        .find_many(
            member::MODEL,
            &[
                Where::eq(member::ORGANIZATION_ID, organization_id.as_str()),
                Where::contains(member::ROLE, role.as_str()),
            ],
            None,
            None,
            None,
        )
        .await?;
    if holders
        .iter()
        .any(|m| role_list(&text(m, member::ROLE)).contains(&role.as_str()))
    {
        return Err(bad_request(ROLE_IS_ASSIGNED_TO_MEMBERS));
    }
    store
        .delete(
            organization_role::MODEL,
            &[
                Where::eq(organization_role::ORGANIZATION_ID, organization_id.as_str()),
                Where::eq(
                    organization_role::ID,
                    text(&found, organization_role::ID).as_str(),
                ),
            ],
        )
        .await?;
    Ok(Reply::json(json!({ "success": true })))
}

pub(super) async fn list(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let organization_id = organization_of(
        caller,
        query_str(ctx, "organizationId"),
        NO_ACTIVE_ORGANIZATION,
    )?;
    role_manager(
        auth,
        caller,
        &organization_id,
        "read",
        YOU_ARE_NOT_ALLOWED_TO_LIST_A_ROLE,
    )
    .await?;
    let roles = stored_roles(auth, &organization_id, &[]).await?;
    let answered: Vec<Json> = roles.iter().map(|r| answer(auth, r)).collect();
    Ok(Reply::json(answered.into()))
}

pub(super) async fn get(auth: &Auth, ctx: &mut Ctx, caller: &Caller) -> Result<Reply, ApiError> {
    let condition = name_or_id(
        query_str(ctx, "roleName"),
        query_str(ctx, "roleId"),
        "query",
    )?;
    let organization_id = organization_of(
        caller,
        query_str(ctx, "organizationId"),
        NO_ACTIVE_ORGANIZATION,
    )?;
    role_manager(
        auth,
        caller,
        &organization_id,
        "read",
        YOU_ARE_NOT_ALLOWED_TO_READ_A_ROLE,
    )
    .await?;
    let found = stored_role(auth, &organization_id, &condition).await?;
    Ok(Reply::json(answer(auth, &found)))
}
