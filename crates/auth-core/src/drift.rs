//! Drift: how a live database differs from what `auth.toml` predicts for its dialect, leaving out
//! the toolkit's own bookkeeping.

use serde::Serialize;

use crate::Dialect;
use crate::schema::Schema;
use crate::sql::{DbSchema, Difference, expected};

/// The table in which `auth-cli migrate apply` records the migrations it applied. It is the
/// toolkit's, not the application's, so drift checks leave it out.
pub const MIGRATIONS_TABLE: &str = "_auth_migrations";

/// The result of comparing a database with a schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// Every difference, in [`crate::sql::DbSchema::differences`]' stable order.
    pub differences: Vec<Difference>,
    /// How many tables the schema has.
    pub tables: usize,
}

impl Drift {
    /// The database is exactly what the schema predicts.
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Compares `actual` (an introspected database) with what `schema` predicts in `dialect`,
/// ignoring [`MIGRATIONS_TABLE`].
pub fn drift(schema: &Schema, dialect: Dialect, actual: &DbSchema) -> Drift {
    let wanted = expected(schema, dialect);
    let mut actual = actual.clone();
    actual.tables.remove(MIGRATIONS_TABLE);
    Drift {
        differences: wanted.differences(&actual),
        tables: wanted.tables.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;
    use crate::sql::DbTable;

    fn schema() -> Schema {
        let config = Config::parse("auth.toml", "").unwrap_or_else(|e| panic!("{e}"));
        Schema::build(&config).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn ignores_the_bookkeeping_table_only() {
        let schema = schema();
        let mut actual = expected(&schema, Dialect::Postgres);
        actual
            .tables
            .insert(MIGRATIONS_TABLE.to_owned(), DbTable::default());
        let clean = drift(&schema, Dialect::Postgres, &actual);
        assert!(clean.is_clean(), "{:?}", clean.differences);
        assert_eq!(clean.tables, schema.tables.len());

        actual
            .tables
            .insert("_auth_migrations_old".to_owned(), DbTable::default());
        let drifted = drift(&schema, Dialect::Postgres, &actual);
        assert_eq!(
            drifted.differences,
            [Difference::ExtraTable {
                table: "_auth_migrations_old".to_owned()
            }]
        );
    }
}
