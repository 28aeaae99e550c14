//! The struct against the model's additional fields: every mismatch, each at its own span.

use heck::ToLowerCamelCase;
use syn::{FieldsNamed, Ident, LitStr};

use super::attrs;
use super::rust_type::{self, Shape};
use crate::config::{Config, Location};
use crate::schema::{Column, Origin, Schema, Table};

/// A struct that matches its model.
pub(super) struct Checked {
    /// The model's additional fields, in `auth.toml` order.
    pub(super) columns: Vec<Column>,
    /// The struct's fields, in declaration order, with the index of their column.
    pub(super) fields: Vec<(Ident, usize)>,
}

/// A struct field, with the logical name it holds.
struct StructField<'a> {
    /// Index among the struct's fields, to report errors in source order.
    position: usize,
    ident: &'a Ident,
    logical: String,
    /// Where the logical name was written: the field name or its `rename`.
    name_span: proc_macro2::Span,
    ty: &'a syn::Type,
    shape: Option<Shape>,
}

pub(super) fn check(
    ident: &Ident,
    model: &LitStr,
    fields: &FieldsNamed,
    config: &Config,
    schema: &Schema,
) -> syn::Result<Checked> {
    let Some(table) = schema.model(&model.value()) else {
        return Err(unknown_model(model, config, schema));
    };
    let mut errors = Errors::default();
    let mut parsed: Vec<StructField<'_>> = Vec::new();
    for (position, field) in fields.named.iter().enumerate() {
        let Some(field_ident) = &field.ident else {
            continue;
        };
        errors.at = position;
        let rename = match attrs::rename(&field.attrs) {
            Ok(rename) => rename,
            Err(error) => {
                errors.push(error);
                None
            }
        };
        let (logical, name_span) = match &rename {
            Some(rename) => (rename.value(), rename.span()),
            None => (
                field_ident
                    .to_string()
                    .trim_start_matches("r#")
                    .to_lower_camel_case(),
                field_ident.span(),
            ),
        };
        let shape = rust_type::shape(&field.ty)
            .map_err(|error| errors.push(error))
            .ok();
        if let Some(first) = parsed.iter().find(|p| p.logical == logical) {
            errors.push(syn::Error::new(
                name_span,
                format!(
                    "`{}` and `{field_ident}` both hold `{logical}`",
                    first.ident
                ),
            ));
            continue;
        }
        parsed.push(StructField {
            position,
            ident: field_ident,
            logical,
            name_span,
            ty: &field.ty,
            shape,
        });
    }

    let columns: Vec<Column> = table
        .columns
        .iter()
        .filter(|c| c.origin == Origin::Config)
        .cloned()
        .collect();
    let mut matched = Vec::new();
    for field in &parsed {
        errors.at = field.position;
        let Some(index) = columns.iter().position(|c| c.field == field.logical) else {
            errors.push(not_in_config(field, table, &columns, model));
            continue;
        };
        let column = &columns[index];
        if let Some(shape) = field.shape
            && let Err(error) = compare(field, shape, column, config, &table.model)
        {
            errors.push(error);
        }
        matched.push((field.ident.clone(), index));
    }

    let missing: Vec<&Column> = columns
        .iter()
        .filter(|c| !parsed.iter().any(|p| p.logical == c.field))
        .collect();
    if !missing.is_empty() {
        errors.at = usize::MAX;
        errors.push(missing_from_struct(ident, &table.model, &missing, config));
    }
    errors.finish()?;
    Ok(Checked {
        columns,
        fields: matched,
    })
}

/// Errors collected across the struct, reported in source order.
#[derive(Default)]
struct Errors {
    /// The struct field the next errors are about (`usize::MAX`: the struct itself, last).
    at: usize,
    all: Vec<(usize, syn::Error)>,
}

impl Errors {
    fn push(&mut self, error: syn::Error) {
        self.all.push((self.at, error));
    }

    fn finish(mut self) -> syn::Result<()> {
        self.all.sort_by_key(|(at, _)| *at);
        let mut errors = self.all.into_iter().map(|(_, error)| error);
        let Some(mut first) = errors.next() else {
            return Ok(());
        };
        for error in errors {
            first.combine(error);
        }
        Err(first)
    }
}

fn unknown_model(model: &LitStr, config: &Config, schema: &Schema) -> syn::Error {
    let known: Vec<String> = schema.tables.iter().map(|t| t.model.clone()).collect();
    let help = match crate::config::closest(&model.value(), &known) {
        Some(candidate) => format!("did you mean `{candidate}`?"),
        None => format!("models in {}: {}", config.path.display(), known.join(", ")),
    };
    syn::Error::new(
        model.span(),
        format!(
            "unknown model `{}` in {}\n  help: {help}",
            model.value(),
            config.path.display()
        ),
    )
}

fn not_in_config(
    field: &StructField<'_>,
    table: &Table,
    additional: &[Column],
    model: &LitStr,
) -> syn::Error {
    let name = &field.logical;
    let model = model.value();
    if let Some(column) = table.field(name) {
        let owner = match column.origin {
            Origin::Plugin(plugin) => format!("the {plugin} plugin"),
            Origin::Core | Origin::Config => "better-auth's core".to_owned(),
        };
        return syn::Error::new(
            field.name_span,
            format!(
                "`{model}.{name}` belongs to {owner}, not to auth.toml's additional fields: the runtime owns it; remove it from this struct"
            ),
        );
    }
    let names: Vec<String> = additional.iter().map(|c| c.field.clone()).collect();
    let help = match crate::config::closest(name, &names) {
        Some(candidate) => format!(
            "did you mean `{candidate}`? (#[auth(rename = \"{candidate}\")] maps a Rust name to it)"
        ),
        None => format!(
            "declare it in auth.toml: [models.{model}.fields.{name}] type = \"{}\"",
            field.shape.map_or("string", |s| s.ty.as_str())
        ),
    };
    syn::Error::new(
        field.name_span,
        format!("`{model}` has no additional field `{name}` in auth.toml\n  help: {help}"),
    )
}

fn compare(
    field: &StructField<'_>,
    shape: Shape,
    column: &Column,
    config: &Config,
    model: &str,
) -> syn::Result<()> {
    let name = &column.field;
    let at = field_location(config, model, name)
        .map(|location| format!(" ({location})"))
        .unwrap_or_default();
    let expected = rust_type::spelling(column.ty, column.required);
    if shape.ty != column.ty {
        return Err(syn::Error::new_spanned(
            field.ty,
            format!(
                "`{name}` is {} in auth.toml{at}, but this type holds {}\n  help: use `{expected}`",
                rust_type::described(column.ty),
                rust_type::described(shape.ty),
            ),
        ));
    }
    if shape.optional == column.required {
        let (declared, advice) = if column.required {
            ("required (required = true)", "a value, not an Option")
        } else {
            ("optional (required = false)", "an Option")
        };
        return Err(syn::Error::new_spanned(
            field.ty,
            format!(
                "`{name}` is {declared} in auth.toml{at}, so the field is {advice}\n  help: use `{expected}`"
            ),
        ));
    }
    Ok(())
}

fn missing_from_struct(
    ident: &Ident,
    model: &str,
    missing: &[&Column],
    config: &Config,
) -> syn::Error {
    let lines: Vec<String> = missing
        .iter()
        .map(|column| {
            let at = field_location(config, model, &column.field)
                .map(|location| format!("  // {location}"))
                .unwrap_or_default();
            let rust = column.field.as_str();
            let snake = heck::ToSnakeCase::to_snake_case(rust);
            let rename = if snake.to_lower_camel_case() == rust {
                String::new()
            } else {
                format!("#[auth(rename = \"{rust}\")] ")
            };
            format!(
                "\n      {rename}pub {snake}: {},{at}",
                rust_type::spelling(column.ty, column.required)
            )
        })
        .collect();
    let names: Vec<String> = missing.iter().map(|c| format!("`{}`", c.field)).collect();
    syn::Error::new(
        ident.span(),
        format!(
            "`{ident}` lacks {} of `{model}` declared in {}: {}\n  help: add{}",
            if missing.len() == 1 {
                "a field"
            } else {
                "fields"
            },
            config.path.display(),
            names.join(", "),
            lines.concat()
        ),
    )
}

/// Where `[models.<model>.fields.<field>]` is declared.
fn field_location(config: &Config, model: &str, field: &str) -> Option<Location> {
    let (_, model_config) = config.models.iter().find(|(k, _)| k.get_ref() == model)?;
    let (name, _) = model_config
        .fields
        .iter()
        .find(|(k, _)| k.get_ref() == field)?;
    Some(Location::new(&config.path, &config.source, name.span()))
}
