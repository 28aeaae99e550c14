//! What `#[derive(AuthModel)]` implements: a Rust struct holding a model's additional fields
//! (`[models.<model>.fields]` in `auth.toml`), checked against the config at compile time.
//!
//! Values are logical, in better-auth's wire form (`serde_json::Value`): dates are ISO-8601 text
//! with milliseconds and `Z`, `string[]`/`number[]` are JSON arrays — never JSON text, so exactly
//! one codec per dialect (the runtime's, keyed by [`FieldSpec::ty`]) owns the storage encoding
//! (B13). `input` governs what a client may write, `returned` what a response shows, independently
//! (B14).
//!
//! This module is always compiled and has no dependency beyond `serde_json`; the derive's own
//! logic (syn, quote) sits behind the `derive` feature in `auth_core::derive`.

mod date;
mod value;

use crate::schema::{FieldType, Origin, Schema};

pub use date::{format_date, parse_date};
pub use serde_json::{Map, Value};
pub use value::FieldValue;

/// One additional field as the derive saw it in `auth.toml`: the IR fragment the struct was
/// checked against, so the runtime (and [`AuthModel::check_against`]) see the same truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Logical field key (`tenantId`), what the API and the Schema IR use.
    pub field: &'static str,
    /// The Rust field holding it (`tenant`).
    pub rust: &'static str,
    pub ty: FieldType,
    /// NOT NULL; the Rust field is `Option<T>` exactly when this is false.
    pub required: bool,
    /// May a client set it?
    pub input: bool,
    /// Is it part of responses?
    pub returned: bool,
    /// Does the column have a default (so a create may leave it out)?
    pub has_default: bool,
}

/// Which kind of client write [`AuthModel::validate_input`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// A new row: required input fields without a default must be present.
    Create,
    /// A partial update: only the fields present are checked.
    Update,
}

/// A value that does not fit the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    #[error("`{model}.{field}` is required")]
    Missing {
        model: &'static str,
        field: &'static str,
    },
    #[error("`{model}.{field}` must be a {}: {found}", expected.as_str())]
    Type {
        model: &'static str,
        field: &'static str,
        expected: FieldType,
        found: String,
    },
    #[error("`{model}.{field}` cannot be set by a client (input = false)")]
    NotInput {
        model: &'static str,
        field: &'static str,
    },
    #[error("the struct for `{model}` was compiled against another auth.toml: {detail}")]
    Drift { model: &'static str, detail: String },
}

/// A struct of one model's additional fields. Implemented by `#[derive(AuthModel)]`.
pub trait AuthModel: Sized {
    /// Logical model key (`user`).
    const MODEL: &'static str;
    /// The additional fields, in `auth.toml` declaration order.
    const FIELDS: &'static [FieldSpec];

    /// Every field, for the runtime's own writes (an insert or update it builds itself).
    fn to_values(&self) -> Vec<(&'static str, Value)>;

    /// Reads a row's logical values (keyed by logical field name); absent and `null` are the
    /// same. Legacy rows whose arrays were stored as JSON text are accepted (B13).
    fn from_values(values: &Map<String, Value>) -> Result<Self, ModelError>;

    /// The fields a client may write (`input = true`), whatever `returned` says.
    fn input_values(&self) -> Vec<(&'static str, Value)> {
        filter::<Self>(self.to_values(), |spec| spec.input)
    }

    /// The fields a response shows (`returned = true`), whatever `input` says.
    fn returned_values(&self) -> Vec<(&'static str, Value)> {
        filter::<Self>(self.to_values(), |spec| spec.returned)
    }

    /// Checks a client's request body: a field with `input = false` is refused (not ignored),
    /// each present field must have its type, and a create must carry every required input
    /// field without a default. Keys that are not additional fields of this model (core fields
    /// such as `email`) are left to their own endpoint. Returns the accepted values.
    fn validate_input(
        body: &Map<String, Value>,
        write: Write,
    ) -> Result<Vec<(&'static str, Value)>, ModelError> {
        let mut accepted = Vec::new();
        for spec in Self::FIELDS {
            match body.get(spec.field) {
                Some(_) if !spec.input => {
                    return Err(ModelError::NotInput {
                        model: Self::MODEL,
                        field: spec.field,
                    });
                }
                None | Some(Value::Null)
                    if spec.required && write == Write::Create && !spec.has_default =>
                {
                    return Err(ModelError::Missing {
                        model: Self::MODEL,
                        field: spec.field,
                    });
                }
                // Left out, or null for an optional field (an update that clears it).
                None | Some(Value::Null) if !spec.required => {
                    if body.contains_key(spec.field) {
                        accepted.push((spec.field, Value::Null));
                    }
                }
                None | Some(Value::Null) => {}
                Some(value) => {
                    value::check_type(spec.ty, value).map_err(|found| ModelError::Type {
                        model: Self::MODEL,
                        field: spec.field,
                        expected: spec.ty,
                        found,
                    })?;
                    accepted.push((spec.field, value.clone()));
                }
            }
        }
        Ok(accepted)
    }

    /// Checks that a schema built at run time (perhaps from another `auth.toml`) has exactly
    /// the additional fields this struct was compiled against.
    fn check_against(schema: &Schema) -> Result<(), ModelError> {
        let drift = |detail: String| ModelError::Drift {
            model: Self::MODEL,
            detail,
        };
        let table = schema
            .model(Self::MODEL)
            .ok_or_else(|| drift(format!("the schema has no model `{}`", Self::MODEL)))?;
        let actual: Vec<FieldSpec> = table
            .columns
            .iter()
            .filter(|c| c.origin == Origin::Config)
            .map(|c| FieldSpec {
                field: "",
                rust: "",
                ty: c.ty,
                required: c.required,
                input: c.input,
                returned: c.returned,
                has_default: c.default.is_some(),
            })
            .collect();
        let names = table
            .columns
            .iter()
            .filter(|c| c.origin == Origin::Config)
            .map(|c| c.field.as_str());
        for (name, actual) in names.zip(&actual) {
            let Some(compiled) = Self::FIELDS.iter().find(|f| f.field == name) else {
                return Err(drift(format!(
                    "`{name}` is in the schema but not in the struct"
                )));
            };
            let comparable = FieldSpec {
                field: compiled.field,
                rust: compiled.rust,
                ..*actual
            };
            if comparable != *compiled {
                return Err(drift(format!(
                    "`{name}` was compiled as {} but the schema has {}",
                    describe(compiled),
                    describe(actual)
                )));
            }
        }
        if let Some(extra) = Self::FIELDS.iter().find(|f| {
            !table
                .columns
                .iter()
                .any(|c| c.origin == Origin::Config && c.field == f.field)
        }) {
            return Err(drift(format!(
                "`{}` is in the struct but not in the schema",
                extra.field
            )));
        }
        Ok(())
    }
}

/// No additional fields read: what an extractor gives when the application asks only for the
/// core fields (`CurrentUser` without a type). Fits every model, whatever its additional fields.
impl AuthModel for () {
    const MODEL: &'static str = "";
    const FIELDS: &'static [FieldSpec] = &[];

    fn to_values(&self) -> Vec<(&'static str, Value)> {
        Vec::new()
    }

    fn from_values(_: &Map<String, Value>) -> Result<Self, ModelError> {
        Ok(())
    }

    fn check_against(_: &Schema) -> Result<(), ModelError> {
        Ok(())
    }
}

fn describe(spec: &FieldSpec) -> String {
    format!(
        "type = {:?}, required = {}, input = {}, returned = {}, default = {}",
        spec.ty.as_str(),
        spec.required,
        spec.input,
        spec.returned,
        spec.has_default
    )
}

fn filter<M: AuthModel>(
    values: Vec<(&'static str, Value)>,
    keep: impl Fn(&FieldSpec) -> bool,
) -> Vec<(&'static str, Value)> {
    values
        .into_iter()
        .filter(|(field, _)| M::FIELDS.iter().any(|s| s.field == *field && keep(s)))
        .collect()
}

/// Reads one field for [`AuthModel::from_values`] (called by the generated code).
pub fn read<T: FieldValue>(
    values: &Map<String, Value>,
    model: &'static str,
    spec: &FieldSpec,
) -> Result<T, ModelError> {
    let value = values.get(spec.field).unwrap_or(&Value::Null);
    if value.is_null() {
        return T::absent().ok_or(ModelError::Missing {
            model,
            field: spec.field,
        });
    }
    T::from_value(value).map_err(|found| ModelError::Type {
        model,
        field: spec.field,
        expected: spec.ty,
        found,
    })
}

#[cfg(test)]
mod tests;
