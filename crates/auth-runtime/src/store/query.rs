//! Conditions and ordering, by logical field name.

use super::value::Value;

/// One condition on a field; a list of them is AND-combined.
#[derive(Debug, Clone, PartialEq)]
pub struct Where {
    /// Logical field key (`email`, `userId`).
    pub field: String,
    pub op: Op,
}

/// A comparison. `Eq(Value::Null)` and `Ne(Value::Null)` mean `is null` and `is not null`.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Eq(Value),
    Ne(Value),
    Lt(Value),
    Lte(Value),
    Gt(Value),
    Gte(Value),
    /// Any of these; an empty list matches nothing.
    In(Vec<Value>),
    /// None of these; an empty list matches everything.
    NotIn(Vec<Value>),
    /// `LIKE '%text%'` on a string field, `%` and `_` taken literally. Case sensitivity is the
    /// database's (SQLite: ASCII case-insensitive; PostgreSQL: sensitive; MySQL: the collation's).
    Contains(String),
    StartsWith(String),
    EndsWith(String),
}

impl Where {
    pub fn new(field: impl Into<String>, op: Op) -> Self {
        Self {
            field: field.into(),
            op,
        }
    }

    pub fn eq(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(field, Op::Eq(value.into()))
    }

    pub fn ne(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(field, Op::Ne(value.into()))
    }

    pub fn lt(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(field, Op::Lt(value.into()))
    }

    pub fn lte(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(field, Op::Lte(value.into()))
    }

    pub fn gt(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(field, Op::Gt(value.into()))
    }

    pub fn gte(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(field, Op::Gte(value.into()))
    }

    pub fn is_in(field: impl Into<String>, values: impl IntoIterator<Item = Value>) -> Self {
        Self::new(field, Op::In(values.into_iter().collect()))
    }

    pub fn contains(field: impl Into<String>, text: impl Into<String>) -> Self {
        Self::new(field, Op::Contains(text.into()))
    }

    pub fn starts_with(field: impl Into<String>, text: impl Into<String>) -> Self {
        Self::new(field, Op::StartsWith(text.into()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}

/// `order by` one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    pub field: String,
    pub direction: SortDirection,
}

impl Sort {
    pub fn asc(field: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            direction: SortDirection::Asc,
        }
    }

    pub fn desc(field: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            direction: SortDirection::Desc,
        }
    }
}
