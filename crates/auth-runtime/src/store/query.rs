//! Conditions and ordering, by logical field name.

use super::value::Value;

/// One condition on a field; a list of them is AND-combined.
#[derive(Debug, Clone, PartialEq)]
pub struct Where {
    /// Logical field key (`email`, `userId`).
    pub field: String,
    /// The comparison.
    pub op: Op,
}

/// A comparison. `Eq(Value::Null)` and `Ne(Value::Null)` mean `is null` and `is not null`.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Equal.
    Eq(Value),
    /// Not equal.
    Ne(Value),
    /// Less than.
    Lt(Value),
    /// Less than or equal.
    Lte(Value),
    /// Greater than.
    Gt(Value),
    /// Greater than or equal.
    Gte(Value),
    /// Any of these; an empty list matches nothing.
    In(Vec<Value>),
    /// None of these; an empty list matches everything.
    NotIn(Vec<Value>),
    /// `LIKE '%text%'` on a string field, `%` and `_` taken literally. Case sensitivity is the
    /// database's (SQLite: ASCII case-insensitive; PostgreSQL: sensitive; MySQL: the collation's).
    Contains(String),
    /// The field's text starts with this (`LIKE 'text%'`, as [`Op::Contains`]).
    StartsWith(String),
    /// The field's text ends with this (`LIKE '%text'`, as [`Op::Contains`]).
    EndsWith(String),
}

impl Where {
    /// A condition with any operator.
    pub fn new(field: impl Into<String>, op: Op) -> Self {
        Self {
            field: field.into(),
            op,
        }
    }

    /// `field = value` (`is null` for [`Value::Null`]).
    pub fn eq(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(field, Op::Eq(value.into()))
    }

    /// `field <> value` (`is not null` for [`Value::Null`]).
    pub fn ne(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(field, Op::Ne(value.into()))
    }

    /// `field < value`.
    pub fn lt(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(field, Op::Lt(value.into()))
    }

    /// `field <= value`.
    pub fn lte(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(field, Op::Lte(value.into()))
    }

    /// `field > value`.
    pub fn gt(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(field, Op::Gt(value.into()))
    }

    /// `field >= value`.
    pub fn gte(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(field, Op::Gte(value.into()))
    }

    /// `field in (values)`.
    pub fn is_in(field: impl Into<String>, values: impl IntoIterator<Item = Value>) -> Self {
        Self::new(field, Op::In(values.into_iter().collect()))
    }

    /// The field's text contains `text`.
    pub fn contains(field: impl Into<String>, text: impl Into<String>) -> Self {
        Self::new(field, Op::Contains(text.into()))
    }

    /// The field's text starts with `text`.
    pub fn starts_with(field: impl Into<String>, text: impl Into<String>) -> Self {
        Self::new(field, Op::StartsWith(text.into()))
    }
}

/// The direction of a [`Sort`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    /// Ascending (the default).
    #[default]
    Asc,
    /// Descending.
    Desc,
}

/// `order by` one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    /// The field's logical name.
    pub field: String,
    /// The direction.
    pub direction: SortDirection,
}

impl Sort {
    /// Ascending by `field`.
    pub fn asc(field: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            direction: SortDirection::Asc,
        }
    }

    /// Descending by `field`.
    pub fn desc(field: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            direction: SortDirection::Desc,
        }
    }
}
