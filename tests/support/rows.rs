//! Rows for the engines: minimal ones (only the id and every NOT NULL column without a default —
//! if such an insert works, nothing that leaves the other columns unset can fail on a constraint,
//! B11), seed rows with every column set, and per-table content checksums.

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

/// Rows per table that [`seed_inserts`] writes.
pub const SEED_ROWS: usize = 3;

/// A 43-character id for row `row` of `table`.
pub fn row_id(table: &str, row: usize) -> String {
    let mut id: String = table
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(38)
        .collect();
    id.push_str(&format!("r{row:04}"));
    while id.len() < LONG_ID_LEN {
        id.push('x');
    }
    id
}

/// [`SEED_ROWS`] rows in every table with a value in every column (so that a lost or misplaced
/// column shows in a checksum): users with sessions, accounts and plugin rows. Only for text ids.
pub fn seed_inserts(schema: &Schema, dialect: Dialect) -> Vec<String> {
    assert_eq!(
        schema.id,
        IdStrategy::Text,
        "seed rows need application-written ids"
    );
    let mut out = Vec::new();
    for (position, table) in schema.tables.iter().enumerate() {
        for row in 0..SEED_ROWS {
            let mut names = Vec::new();
            let mut values = Vec::new();
            for column in &table.columns {
                let value = seed_value(schema, position, &table.name, column, row, dialect);
                if let Some(value) = value {
                    names.push(dialect.quote(&column.name));
                    values.push(value);
                }
            }
            out.push(format!(
                "insert into {} ({}) values ({})",
                dialect.quote(&table.name),
                names.join(", "),
                values.join(", ")
            ));
        }
    }
    out
}

fn seed_value(
    schema: &Schema,
    position: usize,
    table: &str,
    column: &Column,
    row: usize,
    dialect: Dialect,
) -> Option<String> {
    if column.primary_key {
        return Some(format!("'{}'", row_id(table, row)));
    }
    if let Some(reference) = &column.references {
        // Only rows that exist already: tables earlier in dependency order, or this one.
        let target_position = schema
            .tables
            .iter()
            .position(|t| t.name == reference.table)?;
        if target_position > position {
            return None;
        }
        let target_table = &schema.tables[target_position];
        let target = target_table.column(&reference.column)?;
        return seed_value(
            schema,
            target_position,
            &target_table.name,
            target,
            row,
            dialect,
        );
    }
    Some(match column.ty {
        FieldType::String => format!("'v{row}-{}'", column.name),
        FieldType::Number => (row + 1).to_string(),
        FieldType::Boolean if dialect.is_sqlite_family() => (row % 2).to_string(),
        FieldType::Boolean => (row % 2 == 1).to_string(),
        FieldType::Date => match dialect {
            Dialect::Mysql => format!("'2026-01-{:02} 10:00:00.123'", row + 1),
            _ => format!("'2026-01-{:02}T10:00:00.123Z'", row + 1),
        },
        FieldType::Json | FieldType::StringArray => format!("'[\"a{row}\"]'"),
        FieldType::NumberArray => format!("'[{row}]'"),
    })
}

/// One text line per row of `table` (ordered by id) holding the listed columns, `NULL` for nulls.
pub fn checksum_query(dialect: Dialect, table: &str, columns: &[&str]) -> String {
    let parts: Vec<String> = columns
        .iter()
        .map(|c| {
            let c = dialect.quote(c);
            match dialect {
                Dialect::Sqlite | Dialect::D1 => format!("quote({c})"),
                Dialect::Postgres => format!("coalesce({c}::text, 'NULL')"),
                Dialect::Mysql => format!("coalesce(cast({c} as char), 'NULL')"),
            }
        })
        .collect();
    let row = match dialect {
        Dialect::Sqlite | Dialect::D1 => parts.join(" || '|' || "),
        _ => format!("concat_ws('|', {})", parts.join(", ")),
    };
    format!(
        "select {row} from {} order by {}",
        dialect.quote(table),
        dialect.quote("id")
    )
}
