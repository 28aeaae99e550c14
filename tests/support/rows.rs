//! One row per table with only what a writer must supply: the id and every NOT NULL column
//! without a default. If such an insert works, nothing that leaves the other columns unset can
//! fail on a constraint (B11).

use auth_core::Dialect;
use auth_core::schema::{Column, FieldType, IdStrategy, Schema};

/// The longest id the runtime writes: base64url(SHA-256(…)), 43 characters (B18).
pub const LONG_ID_LEN: usize = 43;

/// A 43-character id unique to the table.
pub fn id_for(table: &str) -> String {
    let mut id: String = table
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(LONG_ID_LEN)
        .collect();
    while id.len() < LONG_ID_LEN {
        id.push('x');
    }
    id
}

/// `insert` statements for every table, in dependency order. Only for text ids.
pub fn minimal_inserts(schema: &Schema, dialect: Dialect) -> Vec<String> {
    assert_eq!(
        schema.id,
        IdStrategy::Text,
        "minimal rows need application-written ids"
    );
    schema
        .tables
        .iter()
        .map(|table| {
            let columns: Vec<&Column> = table
                .columns
                .iter()
                .filter(|c| c.primary_key || (c.required && c.default.is_none()))
                .collect();
            let names: Vec<String> = columns.iter().map(|c| dialect.quote(&c.name)).collect();
            let values: Vec<String> = columns
                .iter()
                .map(|c| value(schema, &table.name, c, dialect))
                .collect();
            format!(
                "insert into {} ({}) values ({})",
                dialect.quote(&table.name),
                names.join(", "),
                values.join(", ")
            )
        })
        .collect()
}

fn value(schema: &Schema, table: &str, column: &Column, dialect: Dialect) -> String {
    if column.primary_key {
        return format!("'{}'", id_for(table));
    }
    if let Some(reference) = &column.references {
        let target = schema
            .table(&reference.table)
            .and_then(|t| t.column(&reference.column));
        return match target {
            Some(target) if !target.primary_key => value(schema, &reference.table, target, dialect),
            _ => format!("'{}'", id_for(&reference.table)),
        };
    }
    match column.ty {
        FieldType::String => format!("'v-{}'", column.name),
        FieldType::Number => "1".to_owned(),
        FieldType::Boolean if dialect.is_sqlite_family() => "1".to_owned(),
        FieldType::Boolean => "true".to_owned(),
        FieldType::Date => match dialect {
            Dialect::Mysql => "'2026-01-01 00:00:00.000'".to_owned(),
            _ => "'2026-01-01T00:00:00.000Z'".to_owned(),
        },
        FieldType::Json | FieldType::StringArray | FieldType::NumberArray => "'[]'".to_owned(),
    }
}
