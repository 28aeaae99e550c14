//! A `schema.prisma` for better-auth's Prisma adapter: one model per table, named after
//! better-auth's model key (`prisma.user`, `prisma.twoFactor`), fields under its field keys, and
//! `@map`/`@@map` to the physical names; native types, defaults, keys, indexes and relations as in
//! our DDL.

use serde::Serialize;

use super::templates::Template;
use super::{EmitError, Templates, links, type_name};
use crate::schema::{Column, DefaultValue, FieldType, IdStrategy, OnDelete, Schema, Table};
use crate::sql::ddl::unique_constraint_name;
use crate::sql::{Dialect, column_type};

/// The Prisma schema for `schema` in `dialect` (D1 is SQLite), rendered from
/// `schema.prisma.jinja`.
pub fn prisma(
    schema: &Schema,
    dialect: Dialect,
    templates: &Templates,
) -> Result<String, EmitError> {
    let provider = match dialect {
        Dialect::Sqlite | Dialect::D1 => "sqlite",
        Dialect::Postgres => "postgresql",
        Dialect::Mysql => "mysql",
    };
    let links = links(schema);
    let mut models = Vec::new();
    for table in &schema.tables {
        let mut lines: Vec<[String; 3]> = table
            .columns
            .iter()
            .map(|column| field(schema, table, column, dialect))
            .collect();
        for link in links.iter().filter(|l| l.table.model == table.model) {
            let optional = if link.column.required { "" } else { "?" };
            lines.push([
                link.forward.clone(),
                format!("{}{optional}", type_name(&link.reference.model)),
                format!(
                    "@relation({}, fields: [{}], references: [{}], onDelete: {})",
                    string(&link.name),
                    link.column.field,
                    link.reference.field,
                    on_delete(link.reference.on_delete)
                ),
            ]);
        }
        for link in links.iter().filter(|l| l.reference.model == table.model) {
            let many = if link.column.unique { "?" } else { "[]" };
            lines.push([
                link.inverse.clone(),
                format!("{}{many}", type_name(&link.table.model)),
                format!("@relation({})", string(&link.name)),
            ]);
        }
        let width = |i: usize| lines.iter().map(|l| l[i].len()).max().unwrap_or(0);
        let (name_width, type_width) = (width(0), width(1));
        let fields = lines
            .iter()
            .map(|[name, ty, attributes]| {
                format!("{name:name_width$} {ty:type_width$} {attributes}")
                    .trim_end()
                    .to_owned()
            })
            .collect();
        let mut attributes: Vec<String> = table
            .indexes
            .iter()
            .map(|index| {
                let fields: Vec<&str> = index
                    .columns
                    .iter()
                    .filter_map(|name| table.column(name))
                    .map(|column| column.field.as_str())
                    .collect();
                format!(
                    "@@{}([{}], map: {})",
                    if index.unique { "unique" } else { "index" },
                    fields.join(", "),
                    string(&index.name)
                )
            })
            .collect();
        attributes.push(format!("@@map({})", string(&table.name)));
        models.push(ModelView {
            name: type_name(&table.model),
            fields,
            attributes,
        });
    }
    templates.render(
        Template::Prisma,
        Context {
            version: crate::VERSION,
            dialect: dialect.as_str(),
            provider,
            models,
        },
    )
}

/// What the template renders.
#[derive(Serialize)]
struct Context {
    version: &'static str,
    dialect: &'static str,
    /// The datasource's and `prismaAdapter`'s provider.
    provider: &'static str,
    models: Vec<ModelView>,
}

#[derive(Serialize)]
struct ModelView {
    name: String,
    /// Scalar and relation fields, aligned.
    fields: Vec<String>,
    /// `@@index`, `@@unique`, `@@map`.
    attributes: Vec<String>,
}

/// A scalar field: name, type and attributes.
fn field(schema: &Schema, table: &Table, column: &Column, dialect: Dialect) -> [String; 3] {
    let sql_type = column_type(schema, table, column, dialect);
    let scalar = match (column.ty, sql_type.as_str()) {
        (_, "integer") if column.ty != FieldType::Boolean => "Int",
        (_, "bigint") => "BigInt",
        (FieldType::String, _) => "String",
        (FieldType::Number, _) => "Int",
        (FieldType::Boolean, _) => "Boolean",
        (FieldType::Date, _) => "DateTime",
        // JSON is text on SQLite, where better-auth's adapter reads and writes it as a string.
        (_, "text") => "String",
        (_, _) => "Json",
    };
    let mut attributes = Vec::new();
    if column.primary_key {
        attributes.push("@id".to_owned());
        match (schema.id, dialect) {
            (IdStrategy::Serial, _) => attributes.push("@default(autoincrement())".to_owned()),
            (IdStrategy::Uuid, Dialect::Postgres) => {
                attributes.push("@default(dbgenerated(\"gen_random_uuid()\"))".to_owned());
            }
            _ => {}
        }
    } else {
        if column.unique {
            attributes.push(format!(
                "@unique(map: {})",
                string(&unique_constraint_name(table, column, dialect))
            ));
        }
        if let Some(default) = &column.default {
            attributes.push(format!("@default({})", default_value(default, scalar)));
        }
        if column.on_update_now {
            attributes.push("@updatedAt".to_owned());
        }
    }
    if column.name != column.field {
        attributes.push(format!("@map({})", string(&column.name)));
    }
    if let Some(native) = native_type(&sql_type, dialect) {
        attributes.push(native);
    }
    let optional = if column.required || column.primary_key {
        ""
    } else {
        "?"
    };
    [
        column.field.clone(),
        format!("{scalar}{optional}"),
        attributes.join(" "),
    ]
}

/// `@db.…` where Prisma's default type for the scalar is not the one our DDL uses.
fn native_type(sql_type: &str, dialect: Dialect) -> Option<String> {
    let native = match (dialect, sql_type) {
        (Dialect::Postgres, "timestamptz") => "Timestamptz".to_owned(),
        (Dialect::Postgres, "uuid") => "Uuid".to_owned(),
        (Dialect::Mysql, "text") => "Text".to_owned(),
        (Dialect::Mysql, "datetime(3)") => "DateTime(3)".to_owned(),
        (Dialect::Mysql, varchar) if varchar.starts_with("varchar(") => {
            format!("VarChar({}", varchar.trim_start_matches("varchar("))
        }
        _ => return None,
    };
    Some(format!("@db.{native}"))
}

fn default_value(default: &DefaultValue, scalar: &str) -> String {
    match default {
        DefaultValue::Now => "now()".to_owned(),
        DefaultValue::Literal(serde_json::Value::String(text)) => string(text),
        DefaultValue::Literal(
            value @ (serde_json::Value::Bool(_) | serde_json::Value::Number(_)),
        ) if scalar != "Json" && scalar != "String" => value.to_string(),
        DefaultValue::Literal(value) => string(&value.to_string()),
    }
}

fn on_delete(on_delete: OnDelete) -> &'static str {
    match on_delete {
        OnDelete::Cascade => "Cascade",
        OnDelete::SetNull => "SetNull",
        OnDelete::Restrict => "Restrict",
        OnDelete::NoAction => "NoAction",
    }
}

/// A Prisma string literal (JSON's escapes).
fn string(value: &str) -> String {
    serde_json::Value::from(value).to_string()
}
