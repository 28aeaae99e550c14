//! Request input beyond the fixed properties: the settable fields of a model (additional and
//! plugin fields, from the Schema IR) and email syntax.

use auth_core::endpoints::MAX_EMAIL_LENGTH;
use auth_core::errors::base;
use auth_core::schema::{FieldType, Origin};
use serde_json::Value as Json;

use crate::Auth;
use crate::http::{ApiError, Body};
use crate::store::{Row, Value};

/// zod 4's `z.email()`: `local@domain.tld`, where the local part has no leading dot and no
/// `..`, the domain is dot-separated labels and the last label has at least two letters; and
/// at most [`MAX_EMAIL_LENGTH`] bytes.
pub(crate) fn is_valid_email(email: &str) -> bool {
    if email.len() > MAX_EMAIL_LENGTH {
        return false;
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && !local.starts_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '+' | '-' | '.'))
        && local
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-'));
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, rest)) = labels.split_last() else {
        return false;
    };
    local_ok
        && !rest.is_empty()
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && rest.iter().all(|label| {
            label
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn invalid(key: &str, want: &str, got: &Json) -> ApiError {
    let got = match got {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    };
    ApiError::validation(format!(
        "[body.{key}] Invalid input: expected {want}, received {got}"
    ))
}

/// A JSON body value as a field of type `ty`.
fn convert(key: &str, ty: FieldType, value: &Json) -> Result<Value, ApiError> {
    Value::from_json(ty, value).ok_or_else(|| invalid(key, ty.as_str(), value))
}

/// The model's settable fields found in the body — additional and plugin fields, never the
/// core ones the endpoint handles itself. `input = false` fields are dropped when they have a
/// default and refused otherwise (400 `FIELD_NOT_ALLOWED`); on create (`partial = false`) a
/// required field without default must be present. `input` governs writes, `returned` reads:
/// independent (B14).
pub(crate) fn model_input(
    auth: &Auth,
    model: &str,
    body: &Body,
    partial: bool,
) -> Result<Row, ApiError> {
    let mut row = Row::new();
    let Some(table) = auth.inner.models.model(model) else {
        return Ok(row);
    };
    for column in table
        .columns
        .iter()
        .filter(|c| c.origin != Origin::Core && !c.primary_key)
    {
        let key = column.field.as_str();
        let given = body.get(key);
        if !column.input {
            if given.is_some_and(|v| !v.is_null()) && (partial || column.default.is_none()) {
                return Err(ApiError::coded(
                    http::StatusCode::BAD_REQUEST,
                    base::FIELD_NOT_ALLOWED,
                    format!("{key} is not allowed to be set"),
                ));
            }
            continue;
        }
        match given {
            Some(value) => {
                let value = convert(key, column.ty, value)?;
                if value.is_null() && column.required {
                    return Err(invalid(key, column.ty.as_str(), &Json::Null));
                }
                row.insert(key.to_owned(), value);
            }
            None if !partial && column.required && column.default.is_none() => {
                return Err(ApiError::coded(
                    http::StatusCode::BAD_REQUEST,
                    base::MISSING_FIELD,
                    format!("{key} is required"),
                ));
            }
            None => {}
        }
    }
    Ok(row)
}

/// The fields of `model` in a map written by the server on an admin's behalf (admin's `data`):
/// any field but the primary key, whatever its `input` flag, as better-auth's `createUser` and
/// `updateUser` write what they are given; keys that name no field are left out.
pub(crate) fn model_data(
    auth: &Auth,
    model: &str,
    data: &serde_json::Map<String, Json>,
) -> Result<Row, ApiError> {
    let mut row = Row::new();
    let Some(table) = auth.inner.models.model(model) else {
        return Ok(row);
    };
    for column in table.columns.iter().filter(|c| !c.primary_key) {
        if let Some(value) = data.get(&column.field) {
            let key = format!("data.{}", column.field);
            row.insert(column.field.clone(), convert(&key, column.ty, value)?);
        }
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use auth_core::endpoints::EMAIL_PATTERN;
    use proptest::prelude::*;

    use super::is_valid_email;

    proptest! {
        /// The OpenAPI document's pattern describes what this function takes: every address
        /// the pattern generates is accepted (repetitions bounded, so addresses stay under the
        /// length limit the document states as `maxLength`).
        #[test]
        fn the_documented_pattern_is_accepted(
            email in proptest::string::string_regex(&bounded(EMAIL_PATTERN))
                .unwrap_or_else(|e| panic!("{e}"))
        ) {
            prop_assert!(is_valid_email(&email), "{}", email);
        }
    }

    /// `pattern` without anchors and with its repetitions bounded (at most 80 characters).
    fn bounded(pattern: &str) -> String {
        pattern
            .trim_start_matches('^')
            .trim_end_matches('$')
            .replace("]+", "]{1,8}")
            .replace("]*", "]{0,8}")
            .replace(")*", "){0,4}")
            .replace(")+", "){1,4}")
            .replace("{2,}", "{2,8}")
    }

    #[test]
    fn email_syntax_follows_zod() {
        for ok in [
            "a@b.co",
            "alice.b+tag@mail.example.com",
            "o'neil@x-y.org",
            "a_b@c-.io",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "@b.co",
            "a@",
            "a@b",
            "a@b.c",
            ".a@b.co",
            "a..b@c.co",
            "a.@b.co",
            "a@-b.co",
            "a b@c.co",
            "a@b.c0",
            "a@b..co",
            "a@@b.co",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
        let longest = format!("{}@{}.co", "a".repeat(64), "b".repeat(186));
        assert_eq!(longest.len(), 254);
        assert!(is_valid_email(&longest));
        assert!(!is_valid_email(&format!("a{longest}")));
    }
}
