//! The one place that knows how each dialect stores a [`Value`] (B13): what a field's value becomes
//! as a query parameter, and how whatever a database holds — written by us, by better-auth's Kysely
//! adapter or by a Drizzle-based deployment — reads back.
//!
//! | field type | SQLite / D1 | PostgreSQL | MySQL / MariaDB |
//! | --- | --- | --- | --- |
//! | boolean | integer 0/1 | `boolean` | 0/1 |
//! | date | ISO-8601 text, 3 fractional digits, `Z` | `timestamptz` | `datetime(3)` in UTC |
//! | json, string[], number[] | JSON text | `jsonb` | JSON text into `json` |
//!
//! Reads accept dates as ISO text or epoch milliseconds, booleans as 0/1, `true`/`false` or text,
//! JSON as native JSON, JSON text, JSON text inside a JSON string (double-encoded, #7440) or a
//! PostgreSQL array, and integer ids (serial) as strings.

use auth_core::Dialect;
use auth_core::schema::{DefaultValue, FieldType};

use super::value::{Timestamp, Value};

/// A query parameter in the representation its backend binds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    /// A NULL of the column's own type (PostgreSQL refuses a `text` NULL for a `boolean`).
    Null(Kind),
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Timestamp(Timestamp),
    Json(serde_json::Value),
}

/// The parameter type a column takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Int,
    Bool,
    Timestamp,
    Json,
}

/// A cell as a backend read it, before the field type gives it meaning.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Raw {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
    Timestamp(Timestamp),
    Json(serde_json::Value),
    Bytes(Vec<u8>),
}

/// How one column is stored: its logical type and what its SQL type implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Storage {
    pub(crate) ty: FieldType,
    /// An integer column holding ids (serial ids and references to them): strings in a [`Row`].
    ///
    /// [`Row`]: super::Row
    pub(crate) integer_id: bool,
    /// PostgreSQL `uuid` (uuid ids and references to them): bound as text and cast.
    pub(crate) uuid: bool,
}

/// Why a value cannot be written to a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mismatch {
    pub(crate) expected: &'static str,
    pub(crate) got: &'static str,
}

/// The parameter type of a column on a dialect.
pub(crate) fn kind(dialect: Dialect, storage: Storage) -> Kind {
    if storage.integer_id {
        return Kind::Int;
    }
    let sqlite = dialect.is_sqlite_family();
    match storage.ty {
        FieldType::String => Kind::Text,
        FieldType::Number => Kind::Int,
        FieldType::Boolean if dialect == Dialect::Postgres => Kind::Bool,
        FieldType::Boolean => Kind::Int,
        FieldType::Date if sqlite => Kind::Text,
        FieldType::Date => Kind::Timestamp,
        FieldType::Json | FieldType::StringArray | FieldType::NumberArray => {
            if dialect == Dialect::Postgres {
                Kind::Json
            } else {
                Kind::Text
            }
        }
    }
}

/// A value as the parameter its column takes on `dialect`.
pub(crate) fn encode(dialect: Dialect, storage: Storage, value: &Value) -> Result<Param, Mismatch> {
    let mismatch = |expected| Mismatch {
        expected,
        got: value.kind(),
    };
    if value.is_null() {
        return Ok(Param::Null(kind(dialect, storage)));
    }
    if storage.integer_id {
        return match value {
            Value::Integer(n) => Ok(Param::Int(*n)),
            Value::String(s) => s
                .parse()
                .map(Param::Int)
                .map_err(|_| mismatch("an integer id")),
            _ => Err(mismatch("an integer id")),
        };
    }
    let sqlite = dialect.is_sqlite_family();
    match (storage.ty, value) {
        (FieldType::String, Value::String(s)) => Ok(Param::Text(s.clone())),
        (FieldType::Number, Value::Integer(n)) => Ok(Param::Int(*n)),
        (FieldType::Number, Value::Float(f)) => Ok(Param::Float(*f)),
        (FieldType::Boolean, Value::Boolean(b)) if dialect == Dialect::Postgres => {
            Ok(Param::Bool(*b))
        }
        (FieldType::Boolean, Value::Boolean(b)) => Ok(Param::Int(i64::from(*b))),
        (FieldType::Date, Value::Date(t)) if sqlite => Ok(Param::Text(t.to_iso())),
        (FieldType::Date, Value::Date(t)) => Ok(Param::Timestamp(*t)),
        (ty, Value::Json(json)) if ty.is_json() => {
            let shape_ok = match ty {
                FieldType::StringArray => json
                    .as_array()
                    .is_some_and(|items| items.iter().all(serde_json::Value::is_string)),
                FieldType::NumberArray => json
                    .as_array()
                    .is_some_and(|items| items.iter().all(serde_json::Value::is_number)),
                _ => true,
            };
            if !shape_ok {
                return Err(mismatch(expected(ty)));
            }
            // Exactly one layer serialises: the value goes in once, as JSON.
            if dialect == Dialect::Postgres {
                Ok(Param::Json(json.clone()))
            } else {
                Ok(Param::Text(json.to_string()))
            }
        }
        (ty, _) => Err(mismatch(expected(ty))),
    }
}

fn expected(ty: FieldType) -> &'static str {
    match ty {
        FieldType::String => "a string",
        FieldType::Number => "a number",
        FieldType::Boolean => "a boolean",
        FieldType::Date => "a date",
        FieldType::Json => "JSON",
        FieldType::StringArray => "a JSON array of strings",
        FieldType::NumberArray => "a JSON array of numbers",
    }
}

/// A stored cell as the field's value. `Err` carries what was found, for the error message.
pub(crate) fn decode(storage: Storage, raw: Raw) -> Result<Value, String> {
    let unreadable = |raw: &Raw| format!("{raw:?}");
    let value = match (storage.ty, raw) {
        (_, Raw::Null) => Value::Null,
        (FieldType::String, raw) => match raw {
            Raw::Text(s) => Value::String(s),
            Raw::Int(n) => Value::String(n.to_string()),
            Raw::Float(f) => Value::String(f.to_string()),
            Raw::Bool(b) => Value::String(b.to_string()),
            Raw::Timestamp(t) => Value::String(t.to_iso()),
            Raw::Json(serde_json::Value::String(s)) => Value::String(s),
            Raw::Json(json) => Value::String(json.to_string()),
            Raw::Bytes(bytes) => {
                Value::String(String::from_utf8(bytes).map_err(|e| format!("{e}"))?)
            }
            Raw::Null => Value::Null,
        },
        (FieldType::Number, raw) => match raw {
            Raw::Int(n) => Value::Integer(n),
            Raw::Float(f) => Value::Float(f),
            Raw::Bool(b) => Value::Integer(i64::from(b)),
            Raw::Text(s) => number_text(&s).ok_or_else(|| unreadable(&Raw::Text(s)))?,
            Raw::Json(serde_json::Value::Number(n)) => match n.as_i64() {
                Some(i) => Value::Integer(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            other => return Err(unreadable(&other)),
        },
        (FieldType::Boolean, raw) => match raw {
            Raw::Bool(b) => Value::Boolean(b),
            Raw::Int(n) => Value::Boolean(n != 0),
            Raw::Float(f) => Value::Boolean(f != 0.0),
            Raw::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "t" => Value::Boolean(true),
                "0" | "false" | "f" => Value::Boolean(false),
                _ => return Err(unreadable(&Raw::Text(s))),
            },
            Raw::Json(serde_json::Value::Bool(b)) => Value::Boolean(b),
            other => return Err(unreadable(&other)),
        },
        (FieldType::Date, raw) => match raw {
            Raw::Timestamp(t) => Value::Date(t),
            // Drizzle's `integer({ mode: "timestamp_ms" })`.
            Raw::Int(n) => Value::Date(Timestamp::from_millis(n).ok_or_else(|| n.to_string())?),
            Raw::Float(f) => {
                let millis = f.trunc();
                let in_range = millis.abs() < 9.0e15;
                #[expect(clippy::cast_possible_truncation, reason = "range checked")]
                let t = in_range
                    .then(|| Timestamp::from_millis(millis as i64))
                    .flatten();
                Value::Date(t.ok_or_else(|| f.to_string())?)
            }
            Raw::Text(s) => {
                // ISO text, or epoch milliseconds as digits (both read by `wire::time::parse`).
                let t = Timestamp::parse_iso(&s);
                Value::Date(t.ok_or_else(|| unreadable(&Raw::Text(s)))?)
            }
            other => return Err(unreadable(&other)),
        },
        (ty, raw) => {
            let json = match raw {
                Raw::Json(json) => json,
                Raw::Text(s) => {
                    serde_json::from_str(&s).map_err(|_| unreadable(&Raw::Text(s.clone())))?
                }
                Raw::Bytes(bytes) => serde_json::from_slice(&bytes).map_err(|e| format!("{e}"))?,
                other => return Err(unreadable(&other)),
            };
            Value::Json(unwrap_double_encoded(ty, json))
        }
    };
    Ok(value)
}

/// A JSON string that itself holds the JSON a field expects is a double-encoded legacy value
/// (`'"[\"a\",\"b\"]"'`): take the inner value. A plain string stays a string for `json` fields.
fn unwrap_double_encoded(ty: FieldType, mut json: serde_json::Value) -> serde_json::Value {
    for _ in 0..2 {
        let serde_json::Value::String(text) = &json else {
            break;
        };
        let Ok(inner) = serde_json::from_str::<serde_json::Value>(text) else {
            break;
        };
        let wanted = match ty {
            FieldType::StringArray | FieldType::NumberArray => inner.is_array(),
            _ => inner.is_array() || inner.is_object() || inner.is_string(),
        };
        if !wanted {
            break;
        }
        json = inner;
    }
    json
}

fn number_text(text: &str) -> Option<Value> {
    let text = text.trim();
    text.parse::<i64>()
        .map(Value::Integer)
        .ok()
        .or_else(|| text.parse::<f64>().ok().map(Value::Float))
}

/// A static default from the IR as the field's value (`Now` is the caller's current time).
pub(crate) fn default_value(ty: FieldType, default: &DefaultValue, now: Timestamp) -> Value {
    use serde_json::Value as J;
    match (default, ty) {
        (DefaultValue::Now, _) => Value::Date(now),
        (DefaultValue::Literal(J::Null), _) => Value::Null,
        (DefaultValue::Literal(J::Bool(b)), FieldType::Boolean) => Value::Boolean(*b),
        (DefaultValue::Literal(J::Number(n)), FieldType::Number) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        (DefaultValue::Literal(J::String(s)), FieldType::Date) => {
            Timestamp::parse_iso(s).map_or(Value::Null, Value::Date)
        }
        (DefaultValue::Literal(J::String(s)), _) if !ty.is_json() => Value::String(s.clone()),
        (DefaultValue::Literal(json), ty) if ty.is_json() => Value::Json(json.clone()),
        (DefaultValue::Literal(json), _) => Value::String(json.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn storage(ty: FieldType) -> Storage {
        Storage {
            ty,
            integer_id: false,
            uuid: false,
        }
    }

    #[test]
    fn each_dialect_encodes_once() {
        let at = Timestamp::parse_iso("2026-11-28T08:02:59.504Z").map(Value::Date);
        let at = at.unwrap_or(Value::Null);
        let tags = Value::Json(json!(["a", "b"]));
        let b = Value::Boolean(true);
        let sqlite = |ty, v: &Value| encode(Dialect::Sqlite, storage(ty), v);
        assert_eq!(
            sqlite(FieldType::Date, &at),
            Ok(Param::Text("2026-11-28T08:02:59.504Z".to_owned()))
        );
        assert_eq!(sqlite(FieldType::Boolean, &b), Ok(Param::Int(1)));
        assert_eq!(
            sqlite(FieldType::StringArray, &tags),
            Ok(Param::Text(r#"["a","b"]"#.to_owned()))
        );
        let pg = |ty, v: &Value| encode(Dialect::Postgres, storage(ty), v);
        assert_eq!(pg(FieldType::Boolean, &b), Ok(Param::Bool(true)));
        assert_eq!(
            pg(FieldType::StringArray, &tags),
            Ok(Param::Json(json!(["a", "b"])))
        );
        assert!(matches!(pg(FieldType::Date, &at), Ok(Param::Timestamp(_))));
        let my = |ty, v: &Value| encode(Dialect::Mysql, storage(ty), v);
        assert_eq!(my(FieldType::Boolean, &b), Ok(Param::Int(1)));
        assert_eq!(
            my(FieldType::Json, &Value::Json(json!({"a": 1}))),
            Ok(Param::Text(r#"{"a":1}"#.to_owned()))
        );
        assert_eq!(
            pg(FieldType::Boolean, &Value::Null),
            Ok(Param::Null(Kind::Bool))
        );
        assert!(sqlite(FieldType::NumberArray, &tags).is_err());
        assert!(sqlite(FieldType::Boolean, &Value::Integer(1)).is_err());
    }

    #[test]
    fn reads_what_others_stored() {
        let read = |ty, raw| decode(storage(ty), raw);
        assert_eq!(
            read(
                FieldType::StringArray,
                Raw::Text(r#""[\"a\",\"b\"]""#.to_owned())
            ),
            Ok(Value::Json(json!(["a", "b"])))
        );
        assert_eq!(
            read(FieldType::NumberArray, Raw::Json(json!("[1,2]"))),
            Ok(Value::Json(json!([1, 2])))
        );
        assert_eq!(
            read(
                FieldType::Json,
                Raw::Text(r#""{\"theme\":\"dark\"}""#.to_owned())
            ),
            Ok(Value::Json(json!({"theme": "dark"})))
        );
        assert_eq!(
            read(FieldType::Json, Raw::Text(r#""plain""#.to_owned())),
            Ok(Value::Json(json!("plain")))
        );
        assert_eq!(
            read(FieldType::Date, Raw::Int(1_732_780_979_226)),
            Ok(Value::Date(
                Timestamp::parse_iso("2024-11-28T08:02:59.226Z").unwrap_or_else(Timestamp::now)
            ))
        );
        assert_eq!(
            read(FieldType::Boolean, Raw::Int(0)),
            Ok(Value::Boolean(false))
        );
        assert_eq!(
            read(FieldType::Boolean, Raw::Text("true".to_owned())),
            Ok(Value::Boolean(true))
        );
        assert_eq!(
            read(FieldType::String, Raw::Int(7)),
            Ok(Value::String("7".to_owned()))
        );
        assert!(read(FieldType::Date, Raw::Text("soon".to_owned())).is_err());
        assert!(read(FieldType::Json, Raw::Text("{broken".to_owned())).is_err());
    }
}
