//! The physical schema: what a database holds, in a form that introspection of SQLite, D1,
//! PostgreSQL and MySQL can produce and that the Schema IR predicts for each dialect. Comparing
//! the two proves that generated DDL does what the IR says, and (later) finds drift.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::Dialect;
use super::types::column_type;
use crate::schema::{IdStrategy, Schema};

/// Tables by physical name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbSchema {
    pub tables: BTreeMap<String, DbTable>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbTable {
    /// In table order.
    pub columns: Vec<DbColumn>,
    pub primary_key: Vec<String>,
    /// Secondary indexes, including those behind `unique` constraints; not the primary key's.
    pub indexes: BTreeSet<DbIndex>,
    pub foreign_keys: BTreeSet<DbForeignKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbColumn {
    pub name: String,
    /// Normalised to the spelling our DDL uses (`timestamptz`, `varchar(255)`, `boolean`).
    pub ty: String,
    pub nullable: bool,
    /// A default, an identity or auto-increment.
    pub has_default: bool,
}

/// An index by its columns and uniqueness. `name` is `None` for indexes whose name the database
/// chose (behind an inline `unique`), which is compared by shape only.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DbIndex {
    pub columns: Vec<String>,
    pub unique: bool,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DbForeignKey {
    pub columns: Vec<String>,
    pub table: String,
    pub referenced: Vec<String>,
    /// `cascade`, `set null`, `restrict`, `no action`.
    pub on_delete: String,
}

/// One way a database differs from what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Difference {
    MissingTable {
        table: String,
    },
    ExtraTable {
        table: String,
    },
    MissingColumn {
        table: String,
        column: String,
    },
    ExtraColumn {
        table: String,
        column: String,
    },
    ColumnOrder {
        table: String,
        expected: Vec<String>,
        actual: Vec<String>,
    },
    Type {
        table: String,
        column: String,
        expected: String,
        actual: String,
    },
    Nullability {
        table: String,
        column: String,
        expected_nullable: bool,
    },
    Default {
        table: String,
        column: String,
        expected_default: bool,
    },
    PrimaryKey {
        table: String,
        expected: Vec<String>,
        actual: Vec<String>,
    },
    MissingIndex {
        table: String,
        index: DbIndex,
    },
    ExtraIndex {
        table: String,
        index: DbIndex,
    },
    MissingForeignKey {
        table: String,
        foreign_key: DbForeignKey,
    },
    ExtraForeignKey {
        table: String,
        foreign_key: DbForeignKey,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingTable { table } => write!(f, "table {table} is missing"),
            Self::ExtraTable { table } => write!(f, "table {table} is not in the schema"),
            Self::MissingColumn { table, column } => {
                write!(f, "column {table}.{column} is missing")
            }
            Self::ExtraColumn { table, column } => {
                write!(f, "column {table}.{column} is not in the schema")
            }
            Self::ColumnOrder {
                table,
                expected,
                actual,
            } => write!(
                f,
                "columns of {table} are in another order: expected {expected:?}, found {actual:?}"
            ),
            Self::Type {
                table,
                column,
                expected,
                actual,
            } => {
                write!(
                    f,
                    "column {table}.{column} is {actual}, expected {expected}"
                )
            }
            Self::Nullability {
                table,
                column,
                expected_nullable,
            } => write!(
                f,
                "column {table}.{column} should be {}",
                if *expected_nullable {
                    "nullable"
                } else {
                    "NOT NULL"
                }
            ),
            Self::Default {
                table,
                column,
                expected_default,
            } => write!(
                f,
                "column {table}.{column} should {}have a default",
                if *expected_default { "" } else { "not " }
            ),
            Self::PrimaryKey {
                table,
                expected,
                actual,
            } => {
                write!(
                    f,
                    "primary key of {table} is {actual:?}, expected {expected:?}"
                )
            }
            Self::MissingIndex { table, index } => {
                write!(f, "index {} is missing", describe(table, index))
            }
            Self::ExtraIndex { table, index } => {
                write!(f, "index {} is not in the schema", describe(table, index))
            }
            Self::MissingForeignKey {
                table,
                foreign_key: k,
            } => write!(
                f,
                "foreign key {table}({}) -> {}({}) on delete {} is missing",
                k.columns.join(", "),
                k.table,
                k.referenced.join(", "),
                k.on_delete
            ),
            Self::ExtraForeignKey {
                table,
                foreign_key: k,
            } => write!(
                f,
                "foreign key {table}({}) -> {}({}) on delete {} is not in the schema",
                k.columns.join(", "),
                k.table,
                k.referenced.join(", "),
                k.on_delete
            ),
        }
    }
}

fn describe(table: &str, index: &DbIndex) -> String {
    format!(
        "{}{}{table}({})",
        if index.unique { "unique " } else { "" },
        index
            .name
            .as_ref()
            .map_or(String::new(), |n| format!("{n} on ")),
        index.columns.join(", ")
    )
}

/// What a database created from `schema` in `dialect` holds.
pub fn expected(schema: &Schema, dialect: Dialect) -> DbSchema {
    let mut tables = BTreeMap::new();
    for table in &schema.tables {
        let columns = table
            .columns
            .iter()
            .map(|column| DbColumn {
                name: column.name.clone(),
                ty: column_type(schema, table, column, dialect),
                nullable: !column.required,
                has_default: column.default.is_some()
                    || (column.primary_key && generated_id(schema.id, dialect)),
            })
            .collect();
        let mut indexes: BTreeSet<DbIndex> = table
            .indexes
            .iter()
            .map(|i| DbIndex {
                columns: i.columns.clone(),
                unique: i.unique,
                name: Some(i.name.clone()),
            })
            .collect();
        indexes.extend(table.columns.iter().filter(|c| c.unique).map(|c| DbIndex {
            columns: vec![c.name.clone()],
            unique: true,
            name: None,
        }));
        let foreign_keys = table
            .columns
            .iter()
            .filter_map(|c| {
                let r = c.references.as_ref()?;
                Some(DbForeignKey {
                    columns: vec![c.name.clone()],
                    table: r.table.clone(),
                    referenced: vec![r.column.clone()],
                    on_delete: r.on_delete.sql().to_owned(),
                })
            })
            .collect();
        let primary_key = table
            .columns
            .iter()
            .filter(|c| c.primary_key)
            .map(|c| c.name.clone())
            .collect();
        tables.insert(
            table.name.clone(),
            DbTable {
                columns,
                primary_key,
                indexes,
                foreign_keys,
            },
        );
    }
    DbSchema { tables }
}

/// Ids the database produces: identities and auto-increments, and PostgreSQL's uuid default.
/// (An SQLite `integer primary key` is the rowid, not a default.)
fn generated_id(id: IdStrategy, dialect: Dialect) -> bool {
    match id {
        IdStrategy::Serial => !dialect.is_sqlite_family(),
        IdStrategy::Uuid => dialect == Dialect::Postgres,
        IdStrategy::Text => false,
    }
}

impl DbSchema {
    /// Every way `actual` differs from `self` (the expectation), in a stable order.
    pub fn differences(&self, actual: &DbSchema) -> Vec<Difference> {
        let mut out = Vec::new();
        for (name, expected) in &self.tables {
            match actual.tables.get(name) {
                None => out.push(Difference::MissingTable {
                    table: name.clone(),
                }),
                Some(found) => expected.compare(name, found, &mut out),
            }
        }
        out.extend(
            actual
                .tables
                .keys()
                .filter(|name| !self.tables.contains_key(*name))
                .map(|name| Difference::ExtraTable {
                    table: name.clone(),
                }),
        );
        out
    }
}

impl DbSchema {
    /// Tables whose columns are all there but in another order. Not drift (a column added by
    /// `alter table` comes last), but a freshly created schema must have the declared order.
    pub fn column_order_differences(&self, actual: &DbSchema) -> Vec<Difference> {
        let names = |t: &DbTable| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        self.tables
            .iter()
            .filter_map(|(table, expected)| {
                let found = actual.tables.get(table)?;
                let (expected, actual) = (names(expected), names(found));
                let same_set =
                    expected.len() == actual.len() && expected.iter().all(|c| actual.contains(c));
                (same_set && expected != actual).then(|| Difference::ColumnOrder {
                    table: table.clone(),
                    expected,
                    actual,
                })
            })
            .collect()
    }
}

impl DbTable {
    fn compare(&self, table: &str, actual: &DbTable, out: &mut Vec<Difference>) {
        let t = || table.to_owned();
        for column in &self.columns {
            let Some(found) = actual.columns.iter().find(|c| c.name == column.name) else {
                out.push(Difference::MissingColumn {
                    table: t(),
                    column: column.name.clone(),
                });
                continue;
            };
            if found.ty != column.ty {
                out.push(Difference::Type {
                    table: t(),
                    column: column.name.clone(),
                    expected: column.ty.clone(),
                    actual: found.ty.clone(),
                });
            }
            if found.nullable != column.nullable {
                out.push(Difference::Nullability {
                    table: t(),
                    column: column.name.clone(),
                    expected_nullable: column.nullable,
                });
            }
            if found.has_default != column.has_default {
                out.push(Difference::Default {
                    table: t(),
                    column: column.name.clone(),
                    expected_default: column.has_default,
                });
            }
        }
        for column in &actual.columns {
            if !self.columns.iter().any(|c| c.name == column.name) {
                out.push(Difference::ExtraColumn {
                    table: t(),
                    column: column.name.clone(),
                });
            }
        }
        if self.primary_key != actual.primary_key {
            out.push(Difference::PrimaryKey {
                table: t(),
                expected: self.primary_key.clone(),
                actual: actual.primary_key.clone(),
            });
        }
        for index in &self.indexes {
            if !actual
                .indexes
                .iter()
                .any(|found| index_matches(index, found))
            {
                out.push(Difference::MissingIndex {
                    table: t(),
                    index: index.clone(),
                });
            }
        }
        for index in &actual.indexes {
            if !self
                .indexes
                .iter()
                .any(|wanted| index_matches(wanted, index))
            {
                out.push(Difference::ExtraIndex {
                    table: t(),
                    index: index.clone(),
                });
            }
        }
        for key in self.foreign_keys.difference(&actual.foreign_keys) {
            out.push(Difference::MissingForeignKey {
                table: t(),
                foreign_key: key.clone(),
            });
        }
        for key in actual.foreign_keys.difference(&self.foreign_keys) {
            out.push(Difference::ExtraForeignKey {
                table: t(),
                foreign_key: key.clone(),
            });
        }
    }
}

/// Same columns and uniqueness; names must agree where the expectation names the index.
fn index_matches(wanted: &DbIndex, found: &DbIndex) -> bool {
    wanted.columns == found.columns
        && wanted.unique == found.unique
        && (wanted.name.is_none() || wanted.name == found.name)
}
