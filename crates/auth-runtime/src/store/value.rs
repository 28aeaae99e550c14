//! What the store reads and writes: [`Value`]s keyed by logical field name.

use std::collections::BTreeMap;
use std::fmt;

use time::{OffsetDateTime, PrimitiveDateTime};

/// One row of a model, keyed by logical field name (`emailVerified`, `userId`): the names the
/// API and better-auth's client use. Physical column names never appear here.
pub type Row = BTreeMap<String, Value>;

/// A text field of a row (`""` when absent or not text).
pub(crate) fn text_of<'a>(row: &'a Row, field: &str) -> &'a str {
    row.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// [`text_of`], owned.
pub(crate) fn text(row: &Row, field: &str) -> String {
    text_of(row, field).to_owned()
}

/// A field's value, independent of any dialect. JSON fields and `string[]`/`number[]` hold their
/// decoded JSON ([`Value::Json`]); how each dialect stores them is the codec's business alone.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// Text.
    String(String),
    /// A whole number.
    Integer(i64),
    /// A floating-point number.
    Float(f64),
    /// A boolean (0/1 on SQLite and MySQL).
    Boolean(bool),
    /// A date.
    Date(Timestamp),
    /// A JSON value (`json`, `string[]`, `number[]` fields).
    Json(serde_json::Value),
}

/// As better-auth sends it over the wire: dates as ISO-8601 text, JSON as itself, a float that
/// is not finite as `null` (what `JSON.stringify` writes for it).
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => serializer.serialize_unit(),
            Self::String(s) => serializer.serialize_str(s),
            Self::Integer(n) => serializer.serialize_i64(*n),
            Self::Float(f) if f.is_finite() => serializer.serialize_f64(*f),
            Self::Float(_) => serializer.serialize_unit(),
            Self::Boolean(b) => serializer.serialize_bool(*b),
            Self::Date(t) => serializer.serialize_str(&t.to_iso()),
            Self::Json(v) => v.serialize(serializer),
        }
    }
}

impl Value {
    /// Whether it is `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The text, if it is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The date, if it is one.
    pub fn as_date(&self) -> Option<Timestamp> {
        match self {
            Self::Date(t) => Some(*t),
            _ => None,
        }
    }

    /// The integer, if it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Integer(n) => Some(*n),
            _ => None,
        }
    }

    /// The value as better-auth sends it over the wire: dates as ISO-8601 text (its
    /// [`serde::Serialize`] form).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// A JSON value as a field of type `ty` (dates as ISO-8601 text); `None` when it does not
    /// have that type. JSON `null` is [`Value::Null`] for every type.
    pub fn from_json(ty: auth_core::schema::FieldType, value: &serde_json::Value) -> Option<Self> {
        use auth_core::schema::FieldType;
        use serde_json::Value as J;
        Some(match (ty, value) {
            (_, J::Null) => Self::Null,
            (FieldType::String, J::String(s)) => Self::String(s.clone()),
            (FieldType::Number, J::Number(n)) => match n.as_i64() {
                Some(i) => Self::Integer(i),
                None => Self::Float(n.as_f64()?),
            },
            (FieldType::Boolean, J::Bool(b)) => Self::Boolean(*b),
            (FieldType::Date, J::String(s)) => Self::Date(Timestamp::parse_iso(s)?),
            (FieldType::Json, v) => Self::Json(v.clone()),
            (FieldType::StringArray, J::Array(items)) if items.iter().all(J::is_string) => {
                Self::Json(value.clone())
            }
            (FieldType::NumberArray, J::Array(items)) if items.iter().all(J::is_number) => {
                Self::Json(value.clone())
            }
            _ => return None,
        })
    }

    /// What kind of value this is, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::String(_) => "a string",
            Self::Integer(_) => "an integer",
            Self::Float(_) => "a float",
            Self::Boolean(_) => "a boolean",
            Self::Date(_) => "a date",
            Self::Json(_) => "JSON",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Self::Integer(n)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Self::Float(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Boolean(b)
    }
}

impl From<Timestamp> for Value {
    fn from(t: Timestamp) -> Self {
        Self::Date(t)
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        Self::Json(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// A point in time with millisecond precision, in UTC: what a JavaScript `Date` holds, so every
/// value better-auth wrote and every value we write round-trips exactly on every backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    millis: i64,
}

/// Years 0000–9999: what ISO-8601 text and `datetime(3)` hold.
const MIN_MILLIS: i64 = -62_167_219_200_000;
const MAX_MILLIS: i64 = 253_402_300_799_999;

impl Timestamp {
    /// Milliseconds since 1970-01-01T00:00:00Z, if within years 0000–9999.
    pub fn from_millis(millis: i64) -> Option<Self> {
        (MIN_MILLIS..=MAX_MILLIS)
            .contains(&millis)
            .then_some(Self { millis })
    }

    /// Milliseconds since the Unix epoch.
    pub fn millis(self) -> i64 {
        self.millis
    }

    /// The current time, truncated to the millisecond.
    pub fn now() -> Self {
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        let millis = i64::try_from(nanos.div_euclid(1_000_000)).unwrap_or(MAX_MILLIS);
        Self {
            millis: millis.clamp(MIN_MILLIS, MAX_MILLIS),
        }
    }

    /// This time plus `millis` milliseconds (saturating at the supported range).
    pub fn plus_millis(self, millis: i64) -> Self {
        Self {
            millis: self
                .millis
                .saturating_add(millis)
                .clamp(MIN_MILLIS, MAX_MILLIS),
        }
    }

    pub(crate) fn to_offset_date_time(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.millis) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    pub(crate) fn to_primitive_utc(self) -> PrimitiveDateTime {
        let t = self.to_offset_date_time();
        PrimitiveDateTime::new(t.date(), t.time())
    }

    pub(crate) fn from_offset_date_time(t: OffsetDateTime) -> Option<Self> {
        let millis = i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).ok()?;
        Self::from_millis(millis)
    }

    pub(crate) fn from_primitive_utc(t: PrimitiveDateTime) -> Option<Self> {
        Self::from_offset_date_time(t.assume_utc())
    }

    /// `2026-11-28T08:02:59.504Z`: JavaScript's `toISOString()`, better-auth's text encoding.
    pub fn to_iso(self) -> String {
        crate::wire::time::format(self.to_offset_date_time())
    }

    /// Reads ISO-8601 text as better-auth, SQLite's `CURRENT_TIMESTAMP`/`strftime` and most tools
    /// write it: `YYYY-MM-DD`, then optionally `T` or a space and `HH:MM[:SS[.fraction]]`, then
    /// optionally `Z` or `±HH[:]MM` (no zone means UTC). Digits past milliseconds are dropped.
    pub fn parse_iso(text: &str) -> Option<Self> {
        crate::wire::time::parse(text)
            .ok()
            .and_then(Self::from_offset_date_time)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(text: &str) -> Option<String> {
        Timestamp::parse_iso(text).map(Timestamp::to_iso)
    }

    #[test]
    fn iso_round_trip_and_tolerated_spellings() {
        let t = Timestamp::from_millis(1_795_853_020_258);
        assert_eq!(
            t.map(Timestamp::to_iso).as_deref(),
            Some("2026-11-28T08:03:40.258Z")
        );
        for (text, expected) in [
            ("2026-11-28T08:02:59.504Z", "2026-11-28T08:02:59.504Z"),
            ("2026-11-28 08:02:59", "2026-11-28T08:02:59.000Z"),
            ("2026-11-28T08:02:59.5Z", "2026-11-28T08:02:59.500Z"),
            (
                "2026-11-28T08:02:59.504123+00:00",
                "2026-11-28T08:02:59.504Z",
            ),
            ("2026-11-28T10:02:59.504+02:00", "2026-11-28T08:02:59.504Z"),
            ("2026-11-28T03:02:59.504-0500", "2026-11-28T08:02:59.504Z"),
            ("2026-11-28T08:02Z", "2026-11-28T08:02:00.000Z"),
            ("2026-11-28", "2026-11-28T00:00:00.000Z"),
            ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
        ] {
            assert_eq!(iso(text).as_deref(), Some(expected), "{text}");
        }
        for bad in [
            "",
            "2026-13-01",
            "2026-02-30",
            "yesterday",
            "2026-11-28T",
            "2026-11-28Zx",
        ] {
            assert_eq!(iso(bad), None, "{bad}");
        }
        assert_eq!(
            Timestamp::parse_iso("1969-12-31T23:59:59.999Z").map(Timestamp::millis),
            Some(-1)
        );
    }
}
