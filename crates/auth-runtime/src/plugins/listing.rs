//! Listing rows by query parameters, as better-auth's list endpoints take them (admin's
//! list-users, organization's list-members): enums, limit and offset, filters and sorting.

use auth_core::schema::FieldType;

use crate::Auth;
use crate::error::ApiError;
use crate::http::Ctx;
use crate::store::{Op, Sort, SortDirection, Timestamp, Value, Where};

/// A query parameter that must be one of `allowed` (zod's `z.enum`).
pub(super) fn choice<'a>(
    ctx: &'a Ctx,
    key: &str,
    allowed: &[&str],
) -> Result<Option<&'a str>, ApiError> {
    match ctx.query.get(key) {
        Some(value) if !allowed.contains(&value) => Err(ApiError::validation(format!(
            "[query.{key}] Invalid option: expected one of {}",
            allowed
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join("|")
        ))),
        other => Ok(other),
    }
}

/// JavaScript's `Number(value) || undefined` for `limit` and `offset`: a positive whole number.
pub(super) fn count(ctx: &Ctx, key: &str) -> Option<u64> {
    let number: f64 = ctx.query.get(key)?.trim().parse().ok()?;
    (number.is_finite() && number >= 1.0).then(|| number.trunc() as u64)
}

/// A condition on a field of `model` from query text, or `None` when the field is not one of
/// the model's scalar fields, the value does not fit it, or a text operator meets a field that is
/// not text (better-auth then answers no rows).
pub(super) fn condition(
    auth: &Auth,
    model: &str,
    field: &str,
    op: &str,
    value: &str,
) -> Option<Where> {
    let column = auth.inner.models.model(model)?.column(field)?;
    let typed = match column.ty {
        FieldType::String => Value::String(value.to_owned()),
        FieldType::Boolean => Value::Boolean(value.parse().ok()?),
        FieldType::Number => match value.parse::<i64>() {
            Ok(i) => Value::Integer(i),
            Err(_) => Value::Float(value.parse().ok().filter(|f: &f64| f.is_finite())?),
        },
        FieldType::Date => Value::Date(Timestamp::parse_iso(value)?),
        _ => return None,
    };
    let text = column.ty == FieldType::String;
    let op = match op {
        "eq" => Op::Eq(typed),
        "ne" => Op::Ne(typed),
        "lt" => Op::Lt(typed),
        "lte" => Op::Lte(typed),
        "gt" => Op::Gt(typed),
        "gte" => Op::Gte(typed),
        "in" => Op::In(vec![typed]),
        "not_in" => Op::NotIn(vec![typed]),
        "contains" if text => Op::Contains(value.to_owned()),
        "starts_with" if text => Op::StartsWith(value.to_owned()),
        "ends_with" if text => Op::EndsWith(value.to_owned()),
        _ => return None,
    };
    Some(Where::new(field, op))
}

pub(super) const OPERATORS: [&str; 11] = [
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "ends_with",
];

/// `sortBy` on a field of `model` in `direction` (`desc`, else ascending); `Err` when the
/// field is not one of the model's (better-auth then answers no rows).
pub(super) fn sort(
    auth: &Auth,
    model: &str,
    field: Option<&str>,
    direction: Option<&str>,
) -> Result<Option<Sort>, ()> {
    let Some(field) = field.filter(|f| !f.is_empty()) else {
        return Ok(None);
    };
    let known = auth
        .inner
        .models
        .model(model)
        .is_some_and(|t| t.column(field).is_some());
    if !known {
        return Err(());
    }
    Ok(Some(Sort {
        field: field.to_owned(),
        direction: if direction == Some("desc") {
            SortDirection::Desc
        } else {
            SortDirection::Asc
        },
    }))
}
