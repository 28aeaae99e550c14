//! Rust types of additional fields and their logical values.

use std::time::SystemTime;

use serde_json::Value;

use super::date::{format_date, parse_date};
use crate::schema::FieldType;

/// A Rust type that can hold a field of an `auth.toml` type. `Option<T>` is the same type with
/// `required = false`.
pub trait FieldValue: Sized {
    /// The `auth.toml` type it holds.
    const TYPE: FieldType;
    /// The logical value (`null` for `None`).
    fn to_value(&self) -> Value;
    /// From a logical value that is not `null`; the error describes what was found.
    fn from_value(value: &Value) -> Result<Self, String>;
    /// What an absent or `null` value becomes: nothing, unless the type is optional.
    fn absent() -> Option<Self> {
        None
    }
}

/// What a value is, for error messages.
pub(crate) fn found(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("found the boolean {b}"),
        Value::Number(n) => format!("found the number {n}"),
        Value::String(s) if s.chars().count() > 40 => "found a string".to_owned(),
        Value::String(s) => format!("found the string {s:?}"),
        Value::Array(_) => "found an array".to_owned(),
        Value::Object(_) => "found an object".to_owned(),
    }
}

/// Whether a client's value has the field's type (for `validate_input`).
pub(crate) fn check_type(ty: FieldType, value: &Value) -> Result<(), String> {
    let fits = match ty {
        FieldType::String => value.is_string(),
        FieldType::Number => value.is_number(),
        FieldType::Boolean => value.is_boolean(),
        FieldType::Date => value.as_str().and_then(parse_date).is_some(),
        FieldType::Json => true,
        FieldType::StringArray => value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string)),
        FieldType::NumberArray => value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_number)),
    };
    if fits { Ok(()) } else { Err(found(value)) }
}

impl<T: FieldValue> FieldValue for Option<T> {
    const TYPE: FieldType = T::TYPE;

    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_value)
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        if value.is_null() {
            Ok(None)
        } else {
            T::from_value(value).map(Some)
        }
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

impl FieldValue for String {
    const TYPE: FieldType = FieldType::String;

    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| found(value))
    }
}

impl FieldValue for bool {
    const TYPE: FieldType = FieldType::Boolean;

    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        value.as_bool().ok_or_else(|| found(value))
    }
}

macro_rules! integers {
    ($($ty:ty),*) => {$(
        impl FieldValue for $ty {
            const TYPE: FieldType = FieldType::Number;

            fn to_value(&self) -> Value {
                Value::from(*self)
            }

            fn from_value(value: &Value) -> Result<Self, String> {
                let fits = if let Some(i) = value.as_i64() {
                    <$ty>::try_from(i).ok()
                } else {
                    value.as_u64().and_then(|u| <$ty>::try_from(u).ok())
                };
                fits.ok_or_else(|| format!("{} (expected a {})", found(value), stringify!($ty)))
            }
        }
    )*};
}

integers!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl FieldValue for f64 {
    const TYPE: FieldType = FieldType::Number;

    fn to_value(&self) -> Value {
        Value::from(*self)
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        value.as_f64().ok_or_else(|| found(value))
    }
}

impl FieldValue for f32 {
    const TYPE: FieldType = FieldType::Number;

    fn to_value(&self) -> Value {
        Value::from(*self)
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        // Narrowing is what an `f32` field asks for.
        #[expect(
            clippy::cast_possible_truncation,
            reason = "f32 fields are lossy by choice"
        )]
        value.as_f64().map(|f| f as f32).ok_or_else(|| found(value))
    }
}

/// Element types of `string[]` and `number[]` fields.
pub trait ArrayItem: FieldValue {
    /// The array type of `Vec<Self>`.
    const ARRAY: FieldType;
}

impl ArrayItem for String {
    const ARRAY: FieldType = FieldType::StringArray;
}

macro_rules! number_items {
    ($($ty:ty),*) => {$(
        impl ArrayItem for $ty {
            const ARRAY: FieldType = FieldType::NumberArray;
        }
    )*};
}

number_items!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, f32, f64);

impl<T: ArrayItem> FieldValue for Vec<T> {
    const TYPE: FieldType = T::ARRAY;

    fn to_value(&self) -> Value {
        Value::Array(self.iter().map(T::to_value).collect())
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        let items = match value {
            Value::Array(items) => items,
            // Legacy rows of better-auth stored arrays as JSON text, sometimes twice (B13).
            Value::String(text) => {
                return match serde_json::from_str::<Value>(text) {
                    Ok(inner @ (Value::Array(_) | Value::String(_))) => Self::from_value(&inner),
                    _ => Err(found(value)),
                };
            }
            _ => return Err(found(value)),
        };
        items
            .iter()
            .map(|item| T::from_value(item).map_err(|e| format!("an array item: {e}")))
            .collect()
    }
}

impl FieldValue for Value {
    const TYPE: FieldType = FieldType::Json;

    fn to_value(&self) -> Value {
        self.clone()
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        Ok(value.clone())
    }
}

impl FieldValue for SystemTime {
    const TYPE: FieldType = FieldType::Date;

    fn to_value(&self) -> Value {
        Value::String(format_date(*self))
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::String(text) => parse_date(text).ok_or_else(|| found(value)),
            // Milliseconds since the epoch, as some adapters return dates.
            Value::Number(n) => n
                .as_i64()
                .map(|millis| {
                    let span = std::time::Duration::from_millis(millis.unsigned_abs());
                    if millis >= 0 {
                        SystemTime::UNIX_EPOCH + span
                    } else {
                        SystemTime::UNIX_EPOCH - span
                    }
                })
                .ok_or_else(|| found(value)),
            _ => Err(found(value)),
        }
    }
}

#[cfg(feature = "time")]
impl FieldValue for time::OffsetDateTime {
    const TYPE: FieldType = FieldType::Date;

    fn to_value(&self) -> Value {
        SystemTime::from(*self).to_value()
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        SystemTime::from_value(value).map(Self::from)
    }
}
