//! Column types per dialect: better-auth's table (`better-auth-schema.md` §6.1) with its known
//! defects fixed (id width, foreign-key column types, MySQL's 2038 limit).

use super::Dialect;
use crate::schema::{Column, FieldType, IdStrategy, IndexKind, Schema, Table};

/// Wide enough for every id the runtime writes: 32-character random ids, 36-character UUIDs and
/// 43-character deterministic ids (better-auth's `varchar(36)` rejects the last, B18).
const MYSQL_TEXT_ID: &str = "varchar(64)";

/// InnoDB's index key budget in bytes, at 4 bytes per utf8mb4 character.
const MYSQL_INDEX_BUDGET_CHARS: usize = 3072 / 4;

/// The column type, as written in DDL and as introspection reports it after normalisation.
pub fn column_type(schema: &Schema, table: &Table, column: &Column, dialect: Dialect) -> String {
    // A foreign key column has exactly the type of the column it references. References may
    // chain (and, between unique columns, even loop), so follow a bounded number of hops.
    let (mut table, mut column) = (table, column);
    for _ in 0..schema.tables.len() {
        match &column.references {
            Some(reference) if !column.primary_key => {
                let Some(target_table) = schema.table(&reference.table) else {
                    break;
                };
                let Some(target) = target_table.column(&reference.column) else {
                    break;
                };
                (table, column) = (target_table, target);
            }
            _ => break,
        }
    }
    own_type(schema, table, column, dialect)
}

fn own_type(schema: &Schema, table: &Table, column: &Column, dialect: Dialect) -> String {
    if column.primary_key {
        return id_type(schema.id, dialect).to_owned();
    }
    match (column.ty, dialect) {
        (FieldType::String, Dialect::Mysql) => mysql_string(table, column),
        (FieldType::String, _) => "text".to_owned(),
        (FieldType::Number, _) if column.bigint => "bigint".to_owned(),
        (FieldType::Number, _) => "integer".to_owned(),
        (FieldType::Boolean, Dialect::Sqlite | Dialect::D1) => "integer".to_owned(),
        (FieldType::Boolean, _) => "boolean".to_owned(),
        // ISO-8601 text in a column declared `date`, as better-auth stores it.
        (FieldType::Date, Dialect::Sqlite | Dialect::D1) => "date".to_owned(),
        (FieldType::Date, Dialect::Postgres) => "timestamptz".to_owned(),
        // better-auth uses timestamp(3), which ends in 2038 and shifts with the session time zone.
        (FieldType::Date, Dialect::Mysql) => "datetime(3)".to_owned(),
        (_, Dialect::Sqlite | Dialect::D1) => "text".to_owned(),
        (_, Dialect::Postgres) => "jsonb".to_owned(),
        (_, Dialect::Mysql) => "json".to_owned(),
    }
}

/// The type of a primary key (without identity or default clauses).
pub(crate) fn id_type(id: IdStrategy, dialect: Dialect) -> &'static str {
    match (id, dialect) {
        (IdStrategy::Serial, _) => "integer",
        (IdStrategy::Uuid, Dialect::Postgres) => "uuid",
        (IdStrategy::Uuid, Dialect::Mysql) => "varchar(36)",
        (IdStrategy::Text, Dialect::Mysql) => MYSQL_TEXT_ID,
        (_, _) => "text",
    }
}

/// MySQL cannot index `text`: keys, sortable and indexed strings get a bounded `varchar`, as in
/// better-auth (first match wins).
fn mysql_string(table: &Table, column: &Column) -> String {
    let table_index = table
        .indexes
        .iter()
        .filter(|i| i.kind == IndexKind::Table && i.columns.contains(&column.name))
        .map(|i| i.columns.len())
        .max();
    if let Some(width) = table_index {
        let share = MYSQL_INDEX_BUDGET_CHARS / width.max(1);
        return format!("varchar({})", share.min(191));
    }
    if column.unique || column.sortable || table.has_single_column_index(&column.name) {
        return "varchar(255)".to_owned();
    }
    "text".to_owned()
}
