//! A Drizzle schema (`drizzle-orm/sqlite-core`, `pg-core` or `mysql-core`) for better-auth's
//! `drizzleAdapter`: tables exported under better-auth's model keys, columns under its field keys,
//! SQL names, types, defaults, keys, indexes and references those of our DDL (drizzle-kit's
//! `generate` on it creates the schema `render_schema` does), and Drizzle relations along every
//! reference.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use super::templates::Template;
use super::{EmitError, Templates, key, links, property};
use crate::schema::{Column, FieldType, IdStrategy, Schema, Table};
use crate::sql::ddl::{default_clause, unique_constraint_name};
use crate::sql::{Dialect, column_type};

/// The Drizzle module for `schema` in `dialect` (D1 is SQLite), rendered from
/// `drizzle.ts.jinja`.
pub fn drizzle(
    schema: &Schema,
    dialect: Dialect,
    templates: &Templates,
) -> Result<String, EmitError> {
    let flavour = Flavour::of(dialect);
    let mut imports = Imports {
        core: BTreeSet::from([flavour.table_fn()]),
        ..Imports::default()
    };
    let tables: Vec<TableView> = schema
        .tables
        .iter()
        .map(|table| table_view(schema, table, dialect, &mut imports))
        .collect();
    let relations = relations(schema);
    if !relations.is_empty() {
        imports.root.insert("relations");
    }
    templates.render(
        Template::Drizzle,
        Context {
            version: crate::VERSION,
            dialect: dialect.as_str(),
            provider: flavour.provider(),
            module: flavour.module(),
            table_fn: flavour.table_fn(),
            extra_type: flavour.extra_config().trim_start_matches("type "),
            root: imports.root,
            core: imports.core,
            helpers: imports.helpers,
            tables,
            relations,
        },
    )
}

/// What the template renders.
#[derive(Serialize)]
struct Context {
    version: &'static str,
    dialect: &'static str,
    /// `drizzleAdapter`'s `provider`.
    provider: &'static str,
    /// `sqlite`, `pg` or `mysql` (`drizzle-orm/<module>-core`).
    module: &'static str,
    table_fn: &'static str,
    /// The type of a table's extra configuration (indexes, foreign keys).
    extra_type: &'static str,
    /// Imports from `drizzle-orm`.
    root: BTreeSet<&'static str>,
    /// Imports from `drizzle-orm/<module>-core`.
    core: BTreeSet<&'static str>,
    /// Column types Drizzle has no builder for, declared by the template: `isoDate`, `sqlType`.
    helpers: BTreeSet<&'static str>,
    tables: Vec<TableView>,
    relations: Vec<RelationsView>,
}

#[derive(Default)]
struct Imports {
    root: BTreeSet<&'static str>,
    core: BTreeSet<&'static str>,
    helpers: BTreeSet<&'static str>,
}

#[derive(Serialize)]
struct TableView {
    /// The export: better-auth's model key.
    export: String,
    /// The physical name, as a string literal.
    name: String,
    columns: Vec<ColumnView>,
    /// Indexes and foreign keys.
    extras: Vec<String>,
}

#[derive(Serialize)]
struct ColumnView {
    /// better-auth's field key.
    key: String,
    builder: String,
}

#[derive(Serialize)]
struct RelationsView {
    model: String,
    /// `one`, `many`.
    helpers: Vec<&'static str>,
    entries: Vec<RelationView>,
}

#[derive(Serialize)]
struct RelationView {
    key: String,
    call: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Sqlite,
    Pg,
    Mysql,
}

impl Flavour {
    fn of(dialect: Dialect) -> Self {
        match dialect {
            Dialect::Sqlite | Dialect::D1 => Self::Sqlite,
            Dialect::Postgres => Self::Pg,
            Dialect::Mysql => Self::Mysql,
        }
    }

    fn module(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Pg => "pg",
            Self::Mysql => "mysql",
        }
    }

    /// `drizzleAdapter`'s `provider`.
    fn provider(self) -> &'static str {
        self.module()
    }

    /// The type of a table's extra configuration (indexes, foreign keys), as imported.
    fn extra_config(self) -> &'static str {
        match self {
            Self::Sqlite => "type SQLiteTableExtraConfigValue",
            Self::Pg => "type PgTableExtraConfigValue",
            Self::Mysql => "type MySqlTableExtraConfigValue",
        }
    }

    fn table_fn(self) -> &'static str {
        match self {
            Self::Sqlite => "sqliteTable",
            Self::Pg => "pgTable",
            Self::Mysql => "mysqlTable",
        }
    }
}

fn table_view(
    schema: &Schema,
    table: &Table,
    dialect: Dialect,
    imports: &mut Imports,
) -> TableView {
    let flavour = Flavour::of(dialect);
    let columns = table
        .columns
        .iter()
        .map(|column| {
            let mut builder = builder(schema, table, column, dialect, imports);
            if column.primary_key {
                builder.push_str(primary_key(schema.id, flavour));
            } else {
                if column.required {
                    builder.push_str(".notNull()");
                }
                if let Some(default) = default_clause(schema, table, column, dialect) {
                    imports.root.insert("sql");
                    let _ = write!(builder, ".default(sql.raw({}))", js_string(&default));
                }
                if column.on_update_now {
                    builder.push_str(".$onUpdate(() => new Date())");
                }
                if column.unique {
                    let name = unique_constraint_name(table, column, dialect);
                    let _ = write!(builder, ".unique({})", js_string(&name));
                }
            }
            ColumnView {
                key: key(&column.field),
                builder,
            }
        })
        .collect();
    let mut extras = Vec::new();
    for index in &table.indexes {
        let function = if index.unique { "uniqueIndex" } else { "index" };
        imports.core.insert(function);
        let columns: Vec<String> = index
            .columns
            .iter()
            .filter_map(|name| table.column(name))
            .map(|column| property("t", &column.field))
            .collect();
        extras.push(format!(
            "{function}({}).on({})",
            js_string(&index.name),
            columns.join(", ")
        ));
    }
    for column in &table.columns {
        let Some(reference) = &column.references else {
            continue;
        };
        imports.core.insert("foreignKey");
        let target = if reference.model == table.model {
            property("t", &reference.field)
        } else {
            property(&reference.model, &reference.field)
        };
        extras.push(format!(
            "foreignKey({{ name: {}, columns: [{}], foreignColumns: [{target}] }}).onDelete({})",
            js_string(&crate::sql::ddl::foreign_key_name(table, column)),
            property("t", &column.field),
            js_string(reference.on_delete.sql())
        ));
    }
    if !extras.is_empty() {
        // The template annotates the extras' type: it keeps TypeScript from inferring a table's
        // type through a cycle of references.
        imports.core.insert(flavour.extra_config());
    }
    TableView {
        export: table.model.clone(),
        name: js_string(&table.name),
        columns,
        extras,
    }
}

/// The Drizzle builder for a column's SQL type (as the IR has it for the dialect) and JS value.
fn builder(
    schema: &Schema,
    table: &Table,
    column: &Column,
    dialect: Dialect,
    imports: &mut Imports,
) -> String {
    let flavour = Flavour::of(dialect);
    let name = js_string(&column.name);
    let sql_type = column_type(schema, table, column, dialect);
    let (function, arguments): (&'static str, String) = match (flavour, sql_type.as_str()) {
        (Flavour::Sqlite, "integer") if column.ty == FieldType::Boolean => {
            ("integer", format!("{name}, {{ mode: \"boolean\" }}"))
        }
        (Flavour::Sqlite, "integer") if column.primary_key => {
            ("integer", format!("{name}, {{ mode: \"number\" }}"))
        }
        (Flavour::Sqlite | Flavour::Pg, "integer") => ("integer", name),
        (Flavour::Mysql, "integer") => ("int", name),
        (Flavour::Pg | Flavour::Mysql, "bigint") => {
            ("bigint", format!("{name}, {{ mode: \"number\" }}"))
        }
        (_, "text") => ("text", name),
        (Flavour::Pg | Flavour::Mysql, "boolean") => ("boolean", name),
        (Flavour::Pg, "timestamptz") => (
            "timestamp",
            format!("{name}, {{ withTimezone: true, mode: \"date\" }}"),
        ),
        (Flavour::Pg, "jsonb") => ("jsonb", name),
        (Flavour::Pg, "uuid") => ("uuid", name),
        (Flavour::Mysql, "datetime(3)") => {
            ("datetime", format!("{name}, {{ mode: \"date\", fsp: 3 }}"))
        }
        (Flavour::Sqlite, "date") => {
            imports.core.insert("customType");
            imports.helpers.insert("isoDate");
            return format!("isoDate({name})");
        }
        (Flavour::Mysql, varchar) if varchar.starts_with("varchar(") => {
            let length = varchar.trim_start_matches("varchar(").trim_end_matches(')');
            ("varchar", format!("{name}, {{ length: {length} }}"))
        }
        // SQLite's `bigint` and MySQL's `json` (better-auth's adapter sends JSON as text there):
        // the declared type, values unchanged.
        (_, other) => {
            imports.core.insert("customType");
            imports.helpers.insert("sqlType");
            return format!(
                "sqlType<{}>({name}, {})",
                value_type(column.ty),
                js_string(other)
            );
        }
    };
    imports.core.insert(function);
    format!("{function}({arguments})")
}

/// The TypeScript type of values that pass through a column unchanged.
fn value_type(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Number => "number",
        FieldType::Boolean => "boolean",
        FieldType::Date => "Date",
        FieldType::String | FieldType::Json | FieldType::StringArray | FieldType::NumberArray => {
            "string"
        }
    }
}

fn primary_key(id: IdStrategy, flavour: Flavour) -> &'static str {
    match (id, flavour) {
        (IdStrategy::Serial, Flavour::Sqlite) => ".primaryKey({ autoIncrement: true })",
        (IdStrategy::Serial, Flavour::Pg) => ".primaryKey().generatedByDefaultAsIdentity()",
        (IdStrategy::Serial, Flavour::Mysql) => ".autoincrement().primaryKey()",
        (IdStrategy::Uuid, Flavour::Pg) => ".primaryKey().defaultRandom()",
        _ => ".primaryKey()",
    }
}

/// `<model>Relations` for every model on either end of a reference.
fn relations(schema: &Schema) -> Vec<RelationsView> {
    let mut by_model: Vec<RelationsView> = schema
        .tables
        .iter()
        .map(|t| RelationsView {
            model: t.model.clone(),
            helpers: Vec::new(),
            entries: Vec::new(),
        })
        .collect();
    let mut push = |model: &str, helper: &'static str, relation: &str, call: String| {
        if let Some(view) = by_model.iter_mut().find(|v| v.model == model) {
            if !view.helpers.contains(&helper) {
                view.helpers.push(helper);
            }
            view.entries.push(RelationView {
                key: key(relation),
                call,
            });
        }
    };
    for link in links(schema) {
        let (model, target) = (&link.table.model, &link.reference.model);
        let name = js_string(&link.name);
        push(
            model,
            "one",
            &link.forward,
            format!(
                "one({target}, {{ fields: [{}], references: [{}], relationName: {name} }})",
                property(model, &link.column.field),
                property(target, &link.reference.field)
            ),
        );
        let kind = if link.column.unique { "one" } else { "many" };
        push(
            target,
            kind,
            &link.inverse,
            format!("{kind}({model}, {{ relationName: {name} }})"),
        );
    }
    for view in &mut by_model {
        // `({ one, many })`.
        view.helpers.sort_by_key(|helper| *helper != "one");
    }
    by_model.retain(|view| !view.entries.is_empty());
    by_model
}

/// A JavaScript string literal.
fn js_string(value: &str) -> String {
    serde_json::Value::from(value).to_string()
}
