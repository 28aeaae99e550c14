//! The `Database` interface for better-auth's Kysely adapter: tables and columns under the
//! physical names the adapter queries (better-auth configured with `modelName` and `fields` as
//! auth.toml names them), each value typed as the dialect's driver returns it.

use serde::Serialize;

use super::templates::Template;
use super::{EmitError, Templates, key, type_name};
use crate::schema::{Column, FieldType, IdStrategy, Schema};
use crate::sql::Dialect;

/// The Kysely module for `schema` in `dialect` (D1 is SQLite), rendered from `kysely.ts.jinja`.
pub fn kysely(
    schema: &Schema,
    dialect: Dialect,
    templates: &Templates,
) -> Result<String, EmitError> {
    let int8 = dialect == Dialect::Postgres
        && schema
            .tables
            .iter()
            .any(|t| t.columns.iter().any(|c| c.bigint));
    let tables = schema
        .tables
        .iter()
        .map(|table| TableView {
            interface: format!("{}Table", type_name(&table.model)),
            key: key(&table.name),
            columns: table
                .columns
                .iter()
                .map(|column| {
                    let mut ty = if column.primary_key || references_a_key(schema, column) {
                        id_type(schema.id).to_owned()
                    } else {
                        value_type(column.ty, column.bigint, dialect).to_owned()
                    };
                    if !column.required && !column.primary_key {
                        ty.push_str(" | null");
                    }
                    let generated = column.default.is_some()
                        || (column.primary_key && schema.id != IdStrategy::Text);
                    if generated {
                        ty = format!("Generated<{ty}>");
                    }
                    ColumnView {
                        key: key(&column.name),
                        ty,
                    }
                })
                .collect(),
        })
        .collect();
    templates.render(
        Template::Kysely,
        Context {
            version: crate::VERSION,
            dialect: dialect.as_str(),
            int8,
            tables,
        },
    )
}

/// What the template renders.
#[derive(Serialize)]
struct Context {
    version: &'static str,
    dialect: &'static str,
    /// Declare PostgreSQL's `Int8` (a `bigint` column exists).
    int8: bool,
    tables: Vec<TableView>,
}

#[derive(Serialize)]
struct TableView {
    /// `UserTable`.
    interface: String,
    /// The physical table name, as a property key.
    key: String,
    columns: Vec<ColumnView>,
}

#[derive(Serialize)]
struct ColumnView {
    /// The physical column name, as a property key.
    key: String,
    #[serde(rename = "type")]
    ty: String,
}

/// A reference to a primary key holds an id.
fn references_a_key(schema: &Schema, column: &Column) -> bool {
    column.references.as_ref().is_some_and(|r| {
        schema
            .table(&r.table)
            .and_then(|t| t.column(&r.column))
            .is_some_and(|c| c.primary_key)
    })
}

/// A primary key (and so every reference to it): UUIDs are strings.
fn id_type(id: IdStrategy) -> &'static str {
    match id {
        IdStrategy::Serial => "number",
        IdStrategy::Text | IdStrategy::Uuid => "string",
    }
}

/// What the dialect's driver reads: SQLite has integers for booleans and ISO text for dates and
/// JSON; MySQL has `tinyint(1)` for booleans and parses JSON; PostgreSQL has all three natively.
fn value_type(ty: FieldType, bigint: bool, dialect: Dialect) -> &'static str {
    match (ty, dialect) {
        (FieldType::String, _) => "string",
        (FieldType::Number, Dialect::Postgres) if bigint => "Int8",
        (FieldType::Number, _) => "number",
        (FieldType::Boolean, Dialect::Postgres) => "boolean",
        (FieldType::Boolean, _) => "number",
        (FieldType::Date, Dialect::Sqlite | Dialect::D1) => "string",
        (FieldType::Date, Dialect::Postgres | Dialect::Mysql) => "Date",
        (_, Dialect::Sqlite | Dialect::D1) => "string",
        (_, Dialect::Postgres | Dialect::Mysql) => "unknown",
    }
}
