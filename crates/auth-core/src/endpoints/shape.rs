//! The shape of a request or response body: a small type language that generators (TypeScript,
//! OpenAPI, Rust clients) render and that tests check real bodies against. Model objects
//! (`user`, `session`) are resolved from the Schema IR, so additional fields and `returned`
//! flow into every body type (B12, B14).

use serde::Serialize;
use serde_json::Value;

use crate::schema::{FieldType, Schema};

/// A JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "of")]
pub enum Shape {
    String,
    /// An email address the server accepts: [`EMAIL_PATTERN`], at most [`MAX_EMAIL_LENGTH`].
    Email,
    /// A password the server takes: `min..=max` characters (UTF-16 code units, as better-auth
    /// counts them); `min` 0 where only the maximum is checked (sign-in).
    Password {
        min: u32,
        max: u32,
    },
    Boolean,
    Number,
    /// An ISO-8601 string in UTC with three fractional digits (`2026-11-28T08:16:29.226Z`).
    Date,
    /// Any JSON value.
    Json,
    Nullable(Box<Shape>),
    Array(Box<Shape>),
    Object(Vec<Property>),
    /// The returned fields of a model of the Schema IR (logical names).
    Model(String),
    /// The fields of a model that clients may set (`input = true`) beyond better-auth's core
    /// ones: additional fields and plugin fields. Optional when `partial` (updates), when not
    /// required, or when they have a default.
    ModelInput {
        model: String,
        partial: bool,
    },
    /// The properties of several object shapes, concatenated.
    Merge(Vec<Shape>),
    /// One of several shapes (tried in order).
    OneOf(Vec<Shape>),
    /// An object that must carry at least one of its properties and no other (an update that
    /// changes nothing is refused).
    NonEmpty(Box<Shape>),
    /// A string the server checks further: `min..=max` characters (UTF-16 code units) and a
    /// regular expression (ECMA-262, as JSON Schema's `pattern`) it matches.
    Text {
        min: u32,
        max: Option<u32>,
        pattern: Option<&'static str>,
    },
    /// One of these strings (zod's `z.enum`).
    Choice(Vec<&'static str>),
    /// JSON `null` alone: a field clients may only clear.
    Null,
}

/// The addresses the server takes (better-auth's zod `email()`, written without lookaheads so
/// that any JSON Schema implementation reads it): no leading, trailing or doubled dot in the
/// local part, whose last character is not `'`; a domain of labels and a TLD of 2+ letters.
pub const EMAIL_PATTERN: &str = "^([A-Za-z0-9_'+-]+\\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9-]*\\.)+[A-Za-z]{2,}$";

/// The longest address the server takes, in bytes (RFC 5321's path limit less the brackets).
pub const MAX_EMAIL_LENGTH: usize = 254;

/// A property of an object shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Property {
    pub name: String,
    pub shape: Shape,
    /// May be absent.
    pub optional: bool,
}

impl Shape {
    pub fn nullable(self) -> Self {
        Self::Nullable(Box::new(self))
    }

    pub fn array(self) -> Self {
        Self::Array(Box::new(self))
    }

    pub fn model(model: &str) -> Self {
        Self::Model(model.to_owned())
    }

    /// An object from `(name, shape)` pairs; a name ending in `?` is optional.
    pub fn object(properties: &[(&str, Shape)]) -> Self {
        Self::Object(
            properties
                .iter()
                .map(|(name, shape)| Property {
                    name: name.trim_end_matches('?').to_owned(),
                    shape: shape.clone(),
                    optional: name.ends_with('?'),
                })
                .collect(),
        )
    }

    /// Declares `name` as an optional property of `shape` in this body, before (so over) the
    /// model's input field of the same name: for a merge of parts, or a non-empty one.
    pub fn override_property(&mut self, name: &str, shape: Shape) {
        match self {
            Self::NonEmpty(inner) => inner.override_property(name, shape),
            Self::Merge(parts) => {
                let before_inputs = parts
                    .iter()
                    .position(|p| matches!(p, Self::ModelInput { .. }))
                    .unwrap_or(parts.len());
                parts.insert(before_inputs, Self::object(&[(&format!("{name}?"), shape)]));
            }
            Self::Object(properties) => {
                properties.retain(|p| p.name != name);
                properties.insert(
                    0,
                    Property {
                        name: name.to_owned(),
                        shape,
                        optional: true,
                    },
                );
            }
            _ => {}
        }
    }

    /// Does this body carry the input fields of `model` (before resolution)?
    #[must_use]
    pub fn takes_input_of(&self, model: &str) -> bool {
        match self {
            Self::ModelInput { model: m, .. } => m == model,
            Self::NonEmpty(inner) | Self::Nullable(inner) => inner.takes_input_of(model),
            Self::Merge(parts) | Self::OneOf(parts) => {
                parts.iter().any(|p| p.takes_input_of(model))
            }
            _ => false,
        }
    }

    /// May the whole body be absent? True for objects whose properties are all optional.
    pub fn all_optional(&self) -> bool {
        match self {
            Self::NonEmpty(_) => false,
            Self::Object(properties) => properties.iter().all(|p| p.optional),
            Self::Merge(parts) => parts.iter().all(Self::all_optional),
            Self::ModelInput { partial, .. } => *partial,
            _ => false,
        }
    }

    /// The shape of a field type.
    pub fn of_field(ty: FieldType) -> Self {
        match ty {
            FieldType::String => Self::String,
            FieldType::Number => Self::Number,
            FieldType::Boolean => Self::Boolean,
            FieldType::Date => Self::Date,
            FieldType::Json => Self::Json,
            FieldType::StringArray => Self::String.array(),
            FieldType::NumberArray => Self::Number.array(),
        }
    }

    /// Replaces model references by the object of the model's returned fields, model inputs by
    /// their settable fields, and merges by one object.
    pub fn resolve(&self, schema: &Schema) -> Result<Shape, String> {
        self.resolve_with(schema, true)
    }

    /// Like [`Shape::resolve`] but keeps model references (generators name them as types).
    pub fn resolve_inputs(&self, schema: &Schema) -> Result<Shape, String> {
        self.resolve_with(schema, false)
    }

    fn resolve_with(&self, schema: &Schema, models: bool) -> Result<Shape, String> {
        Ok(match self {
            Self::ModelInput { model, partial } => {
                let table = schema
                    .model(model)
                    .ok_or_else(|| format!("model `{model}` is not in the schema"))?;
                Self::Object(
                    table
                        .columns
                        .iter()
                        .filter(|c| c.input && c.origin != crate::schema::Origin::Core)
                        .map(|c| Property {
                            name: c.field.clone(),
                            shape: if c.required {
                                Self::of_field(c.ty)
                            } else {
                                Self::of_field(c.ty).nullable()
                            },
                            optional: *partial || !c.required || c.default.is_some(),
                        })
                        .collect(),
                )
            }
            Self::Merge(parts) => {
                let mut properties = Vec::new();
                for part in parts {
                    // A merge is one object: a model in it is expanded into its fields even
                    // where model references are kept.
                    match part.resolve_with(schema, true)? {
                        // A name declared by an earlier part (the endpoint's own `phoneNumber`)
                        // wins over the same name in a later one (the model's input field).
                        Self::Object(more) => {
                            for property in more {
                                if !properties
                                    .iter()
                                    .any(|p: &Property| p.name == property.name)
                                {
                                    properties.push(property);
                                }
                            }
                        }
                        other => return Err(format!("cannot merge {other:?} into an object")),
                    }
                }
                Self::Object(properties)
            }
            Self::Model(model) if models => {
                let table = schema
                    .model(model)
                    .ok_or_else(|| format!("model `{model}` is not in the schema"))?;
                Self::Object(
                    table
                        .columns
                        .iter()
                        .filter(|c| c.returned)
                        .map(|c| Property {
                            name: c.field.clone(),
                            shape: if c.required {
                                Self::of_field(c.ty)
                            } else {
                                Self::of_field(c.ty).nullable()
                            },
                            optional: false,
                        })
                        .collect(),
                )
            }
            Self::Nullable(inner) => inner.resolve_with(schema, models)?.nullable(),
            Self::NonEmpty(inner) => Self::NonEmpty(Box::new(inner.resolve_with(schema, models)?)),
            Self::Array(inner) => inner.resolve_with(schema, models)?.array(),
            Self::Object(properties) => Self::Object(
                properties
                    .iter()
                    .map(|p| {
                        Ok(Property {
                            shape: p.shape.resolve_with(schema, models)?,
                            ..p.clone()
                        })
                    })
                    .collect::<Result<_, String>>()?,
            ),
            Self::OneOf(shapes) => Self::OneOf(
                shapes
                    .iter()
                    .map(|s| s.resolve_with(schema, models))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }

    /// Checks a JSON value against a resolved shape; the error names the path.
    pub fn check(&self, value: &Value) -> Result<(), String> {
        self.check_at(value, "$")
    }

    fn check_at(&self, value: &Value, path: &str) -> Result<(), String> {
        let fail = |what: &str| Err(format!("{path}: expected {what}, found {value}"));
        match (self, value) {
            (Self::Json, _) => Ok(()),
            (Self::Nullable(_), Value::Null) => Ok(()),
            (Self::Nullable(inner), _) => inner.check_at(value, path),
            (
                Self::String | Self::Email | Self::Password { .. } | Self::Text { .. },
                Value::String(_),
            ) => Ok(()),
            (Self::Choice(choices), Value::String(s)) if choices.contains(&s.as_str()) => Ok(()),
            (Self::Null, Value::Null) => Ok(()),
            (Self::NonEmpty(inner), Value::Object(map)) if !map.is_empty() => {
                inner.check_at(value, path)
            }
            (Self::Boolean, Value::Bool(_)) => Ok(()),
            (Self::Number, Value::Number(_)) => Ok(()),
            (Self::Date, Value::String(s)) if is_iso_millis(s) => Ok(()),
            (Self::Array(inner), Value::Array(items)) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| inner.check_at(item, &format!("{path}[{i}]"))),
            (Self::Object(properties), Value::Object(map)) => {
                for property in properties {
                    match map.get(&property.name) {
                        Some(v) => property
                            .shape
                            .check_at(v, &format!("{path}.{}", property.name))?,
                        None if property.optional => {}
                        None => return Err(format!("{path}.{}: missing", property.name)),
                    }
                }
                match map
                    .keys()
                    .find(|k| !properties.iter().any(|p| &p.name == *k))
                {
                    Some(extra) => Err(format!("{path}.{extra}: not in the shape")),
                    None => Ok(()),
                }
            }
            (Self::OneOf(shapes), _) => {
                let errors: Vec<String> = shapes
                    .iter()
                    .filter_map(|s| s.check_at(value, path).err())
                    .collect();
                if errors.len() < shapes.len() {
                    Ok(())
                } else {
                    Err(errors.join(" | "))
                }
            }
            (Self::Model(model) | Self::ModelInput { model, .. }, _) => {
                Err(format!("{path}: unresolved model {model}"))
            }
            (Self::Merge(_), _) => Err(format!("{path}: unresolved merge")),
            (Self::String | Self::Email | Self::Password { .. } | Self::Text { .. }, _) => {
                fail("a string")
            }
            (Self::Choice(choices), _) => fail(&format!("one of {choices:?}")),
            (Self::Null, _) => fail("null"),
            (Self::NonEmpty(_), _) => fail("an object with at least one property"),
            (Self::Boolean, _) => fail("a boolean"),
            (Self::Number, _) => fail("a number"),
            (Self::Date, _) => fail("an ISO date with milliseconds"),
            (Self::Array(_), _) => fail("an array"),
            (Self::Object(_), _) => fail("an object"),
        }
    }
}

/// `2026-11-28T08:16:29.226Z`.
fn is_iso_millis(value: &str) -> bool {
    let b = value.as_bytes();
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];
    b.len() == 24
        && digits.iter().all(|i| b[*i].is_ascii_digit())
        && [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'.'),
            (23, b'Z'),
        ]
        .iter()
        .all(|(i, c)| b[*i] == *c)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn objects_are_checked_strictly() {
        let shape = Shape::object(&[("a", Shape::String), ("b?", Shape::Number.nullable())]);
        assert!(shape.check(&json!({"a": "x"})).is_ok());
        assert!(shape.check(&json!({"a": "x", "b": null})).is_ok());
        assert_eq!(
            shape.check(&json!({"b": 1})),
            Err("$.a: missing".to_owned())
        );
        assert_eq!(
            shape.check(&json!({"a": "x", "c": 1})),
            Err("$.c: not in the shape".to_owned())
        );
        assert!(shape.check(&json!({"a": 1})).is_err());
    }

    #[test]
    fn dates_have_milliseconds() {
        assert!(
            Shape::Date
                .check(&json!("2026-11-28T08:16:29.226Z"))
                .is_ok()
        );
        assert!(Shape::Date.check(&json!("2026-11-28T08:16:29Z")).is_err());
        assert!(
            Shape::Date
                .check(&json!("2026-11-28 08:16:29.226"))
                .is_err()
        );
    }

    #[test]
    fn one_of_takes_the_first_that_fits() {
        let shape = Shape::OneOf(vec![Shape::String, Shape::Boolean]);
        assert!(shape.check(&json!(true)).is_ok());
        assert!(shape.check(&json!(1)).is_err());
    }
}
