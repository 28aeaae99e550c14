//! The fields of every model the API reads and writes, sessions and verification values
//! included even when they are kept outside the database, and the two JSON forms of a row: as
//! the secondary storage and the cookie cache hold it, and as the API returns it.
//!
//! Layer: the store (rows by logical name, from the Schema IR); it imports nothing above it.

use std::sync::Arc;

use auth_core::Schema;
use auth_core::schema::Table;
use serde_json::{Map, Value as Json};

use super::{Row, Value};

/// The schema of every model the API reads and writes. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Models(Arc<Schema>);

impl Models {
    /// `schema` with `session` and `verification` whether they live in the database or not.
    pub(crate) fn new(schema: Schema) -> Self {
        Self(Arc::new(schema))
    }

    /// A model's table, also for sessions and verification values kept outside the database.
    pub(crate) fn model(&self, model: &str) -> Option<&Table> {
        self.0.model(model)
    }

    /// A row as the secondary storage holds it: every field present, in schema order, `id`
    /// first, dates as ISO text (what `JSON.stringify` makes of better-auth's objects).
    pub(crate) fn stored_json(&self, model: &str, row: &Row) -> Json {
        let mut out = Map::new();
        if let Some(table) = self.model(model) {
            let columns = table.columns.iter();
            for column in columns
                .clone()
                .filter(|c| c.primary_key)
                .chain(columns.filter(|c| !c.primary_key))
            {
                if let Some(value) = row.get(&column.field) {
                    out.insert(column.field.clone(), value.to_json());
                }
            }
        }
        Json::Object(out)
    }

    /// The fields of `model` found in a stored object (unknown keys and ill-typed values are
    /// left out).
    pub(crate) fn stored_row(&self, model: &str, json: &Json) -> Row {
        self.row_of(model, |field| json.get(field))
    }

    /// A row of `model` from JSON values by field (`get`): every field of the schema that is
    /// present and has its type, converted as the API reads it.
    pub(crate) fn row_of<'a>(&self, model: &str, get: impl Fn(&str) -> Option<&'a Json>) -> Row {
        let mut row = Row::new();
        if let Some(table) = self.model(model) {
            for column in &table.columns {
                if let Some(value) = get(&column.field).and_then(|v| Value::from_json(column.ty, v))
                {
                    row.insert(column.field.clone(), value);
                }
            }
        }
        row
    }

    /// A row as the API returns it ([`Output`]), as a JSON value.
    pub(crate) fn output(&self, model: &str, row: &Row) -> Json {
        serde_json::to_value(self.output_of(model, row)).unwrap_or(Json::Null)
    }

    /// A row as the API returns it, to be serialised straight into a response.
    pub(crate) fn output_of<'a>(&'a self, model: &str, row: &'a Row) -> Output<'a> {
        Output {
            table: self.model(model),
            row,
        }
    }
}

/// A row as the API returns it: the model's returned fields in schema order, `id` last
/// (better-auth's key order), missing ones `null`, dates as ISO text.
pub(crate) struct Output<'a> {
    table: Option<&'a Table>,
    row: &'a Row,
}

impl Output<'_> {
    /// The row's entries, into a map being serialised (an answer that adds entries after them).
    pub(crate) fn entries<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        if let Some(table) = self.table {
            let fields = table
                .columns
                .iter()
                .filter(|c| c.returned && !c.primary_key);
            let id = table.columns.iter().find(|c| c.primary_key);
            for column in fields.chain(id) {
                map.serialize_entry(&column.field, &self.row.get(&column.field))?;
            }
        }
        Ok(())
    }
}

impl serde::Serialize for Output<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(None)?;
        self.entries(&mut map)?;
        map.end()
    }
}
