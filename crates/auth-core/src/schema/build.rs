//! `auth.toml` → Schema IR: registry tables, plugin extensions, renames and additional fields,
//! resolved to physical names, checked, and put in dependency order.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use toml::Spanned;

use super::registry::field::{FieldDef, ModelDef, RefDef};
use super::registry::{Contributions, plugin_owning};
use super::{
    Column, DefaultValue, FieldType, Index, IndexKind, OnDelete, Origin, Plugin, Reference, Schema,
    Table, constraint_name, naming::MAX_IDENTIFIER,
};
use crate::config::{
    Config, ConfigError, FieldConfig, ModelConfig, RateLimitStorage, SecondaryStorageKind,
};

/// The primary key's logical (and physical) name on every table.
pub const LOGICAL_ID: &str = "id";

/// A field on its way to becoming a column: its definition, who added it, and where in
/// `auth.toml` it came from (none for registry fields).
struct Pending {
    def: FieldDef,
    origin: Origin,
    physical: Option<Spanned<String>>,
    span: Option<FieldSpans>,
}

/// Spans of an additional field's parts, for errors about them.
struct FieldSpans {
    name: Range<usize>,
    references: Option<ReferenceSpans>,
}

struct ReferenceSpans {
    model: Range<usize>,
    field: Range<usize>,
    on_delete: Range<usize>,
}

struct PendingModel {
    model: String,
    origin: Origin,
    table: Option<Spanned<String>>,
    fields: Vec<Pending>,
    /// Table-level indexes: logical field keys, unique, and who asked for it.
    indexes: Vec<(Vec<String>, bool, IndexKind)>,
}

impl Schema {
    /// Resolves a configuration into the schema, or the first problem with it.
    pub fn build(config: &Config) -> Result<Self, ConfigError> {
        check_options(config)?;
        let contributions = Contributions::collect(config);
        let mut models = collect_models(config, contributions)?;
        apply_model_config(config, &mut models)?;
        let tables = resolve(config, &models)?;
        let mut schema = Self {
            id: config.database.id,
            naming: config.database.naming,
            plugins: config.plugins.enabled(),
            tables,
        };
        sort_by_dependencies(&mut schema.tables);
        check_index_names(config, &schema)?;
        Ok(schema)
    }
}

/// Options that only make sense together.
fn check_options(config: &Config) -> Result<(), ConfigError> {
    if let Some(storage) = &config.secondary_storage
        && storage.get_ref().kind == SecondaryStorageKind::Redis
        && storage.get_ref().url.is_none()
    {
        return Err(config.error_at(
            storage.span(),
            "a redis secondary storage needs a URL",
            "add url = \"redis://127.0.0.1:6379\" to [secondary-storage]",
        ));
    }
    if let Some(url) = config
        .secondary_storage
        .as_ref()
        .and_then(|s| s.get_ref().url.as_ref())
        && !["redis://", "rediss://", "redis+unix://", "unix://"]
            .iter()
            .any(|scheme| url.get_ref().starts_with(scheme))
    {
        return Err(config.error_at(
            url.span(),
            format!("`{}` is not a Redis URL", url.get_ref()),
            "use redis://[user:password@]host:port[/db], rediss://… (TLS) or redis+unix:///path",
        ));
    }
    if let Some(storage) = &config.secondary_storage
        && storage.get_ref().kind == SecondaryStorageKind::Memory
    {
        let storage = storage.get_ref();
        let redis_only = [("url", &storage.url), ("key-prefix", &storage.key_prefix)];
        if let Some((key, value)) = redis_only
            .into_iter()
            .find_map(|(key, value)| value.as_ref().map(|value| (key, value)))
        {
            return Err(config.error_at(
                value.span(),
                format!("`{key}` is for kind = \"redis\"; an in-memory storage has none"),
                format!("remove `{key}`, or set kind = \"redis\""),
            ));
        }
    }
    let storage = &config.rate_limit.storage;
    if *storage.get_ref() == RateLimitStorage::SecondaryStorage
        && config.secondary_storage.is_none()
    {
        return Err(config.error_at(
            storage.span(),
            "rate-limit.storage = \"secondary-storage\" but no secondary storage is configured",
            "add a [secondary-storage] table, or use storage = \"memory\" or \"database\"",
        ));
    }
    if config.plugins.stripe_options().organization && config.plugins.organization.is_none() {
        return Err(config.error_at(
            plugin_span(config, Plugin::Stripe),
            "stripe's organization option adds organization.stripeCustomerId, but the organization plugin is not enabled",
            "add [plugins.organization], or remove organization = true from [plugins.stripe]",
        ));
    }
    Ok(())
}

fn plugin_span(config: &Config, plugin: Plugin) -> Range<usize> {
    config.plugins.span(plugin).unwrap_or(0..0)
}

/// Registry models with plugin extensions appended, in better-auth's creation order.
fn collect_models(
    config: &Config,
    contributions: Contributions,
) -> Result<Vec<PendingModel>, ConfigError> {
    let mut models: Vec<PendingModel> = contributions
        .models
        .into_iter()
        .map(
            |ModelDef {
                 model,
                 origin,
                 fields,
                 indexes,
             }| PendingModel {
                model: model.to_owned(),
                origin,
                table: None,
                fields: fields
                    .into_iter()
                    .map(|def| Pending {
                        def,
                        origin,
                        physical: None,
                        span: None,
                    })
                    .collect(),
                indexes: indexes
                    .into_iter()
                    .map(|i| {
                        let fields = i.fields.iter().map(|f| (*f).to_owned()).collect();
                        (fields, i.unique, i.kind)
                    })
                    .collect(),
            },
        )
        .collect();
    for extension in contributions.extensions {
        let Some(model) = models.iter_mut().find(|m| m.model == extension.model) else {
            return Err(config.error_at(
                plugin_span(config, extension.plugin),
                format!(
                    "plugin {} adds columns to `{}`, which is not in the schema",
                    extension.plugin, extension.model
                ),
                "enable the plugin that owns that model",
            ));
        };
        let origin = Origin::Plugin(extension.plugin);
        model
            .fields
            .extend(extension.fields.into_iter().map(|def| Pending {
                def,
                origin,
                physical: None,
                span: None,
            }));
    }
    Ok(models)
}

/// `[models.<model>]`: table and column renames, additional fields.
fn apply_model_config(config: &Config, models: &mut [PendingModel]) -> Result<(), ConfigError> {
    for (name, model_config) in config.models.iter() {
        let known: Vec<String> = models.iter().map(|m| m.model.clone()).collect();
        let Some(model) = models.iter_mut().find(|m| m.model == *name.get_ref()) else {
            return Err(unknown_model(config, name, &known));
        };
        apply_one(config, model, model_config)?;
    }
    Ok(())
}

fn unknown_model(config: &Config, name: &Spanned<String>, known: &[String]) -> ConfigError {
    let model = name.get_ref();
    let help = if let Some(plugin) = plugin_owning(model) {
        format!("`{model}` belongs to the {plugin} plugin: add [plugins.{plugin}]")
    } else if (model == "session" || model == "verification") && config.secondary_storage.is_some()
    {
        format!(
            "{model}s are kept in the secondary storage: set [{model}] store-in-database = true"
        )
    } else if model == "rateLimit" {
        "the rateLimit table exists only with [rate-limit] storage = \"database\"".to_owned()
    } else if let Some(candidate) = crate::config::closest(model, known) {
        format!("did you mean `{candidate}`? models are better-auth's model keys")
    } else {
        format!("models in this configuration: {}", known.join(", "))
    };
    config.error_at(name.span(), format!("unknown model `{model}`"), help)
}

fn apply_one(
    config: &Config,
    model: &mut PendingModel,
    model_config: &ModelConfig,
) -> Result<(), ConfigError> {
    model.table.clone_from(&model_config.table);
    for (field, column) in model_config.columns.iter() {
        let Some(pending) = model
            .fields
            .iter_mut()
            .find(|p| p.def.name == *field.get_ref())
        else {
            let help = if field.get_ref() == LOGICAL_ID {
                "the primary key is always `id`".to_owned()
            } else {
                format!("fields of `{}`: {}", model.model, field_names(model))
            };
            return Err(config.error_at(
                field.span(),
                format!(
                    "`{}` has no field `{}` to rename",
                    model.model,
                    field.get_ref()
                ),
                help,
            ));
        };
        pending.physical = Some(column.clone());
    }
    for (name, field) in model_config.fields.iter() {
        if name.get_ref() == LOGICAL_ID {
            return Err(config.error_at(
                name.span(),
                "`id` is the primary key of every model",
                "pick another name for this field",
            ));
        }
        if let Some(existing) = model.fields.iter().find(|p| p.def.name == *name.get_ref()) {
            let owner = match existing.origin {
                Origin::Core => "better-auth's core".to_owned(),
                Origin::Plugin(plugin) => format!("the {plugin} plugin"),
                Origin::Config => "this file".to_owned(),
            };
            return Err(config.error_at(
                name.span(),
                format!(
                    "field `{}` of `{}` is already defined by {owner}",
                    name.get_ref(),
                    model.model
                ),
                format!(
                    "pick another name; to rename the existing column use [models.{}.columns] {} = \"...\"",
                    model.model,
                    name.get_ref()
                ),
            ));
        }
        check_identifier(config, name, "field name")?;
        model.fields.push(additional_field(config, name, field)?);
    }
    Ok(())
}

fn field_names(model: &PendingModel) -> String {
    model
        .fields
        .iter()
        .map(|p| p.def.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An additional field's definition, checked on its own.
fn additional_field(
    config: &Config,
    name: &Spanned<String>,
    field: &FieldConfig,
) -> Result<Pending, ConfigError> {
    let ty = *field.ty.get_ref();
    let required = *field.required.get_ref();
    let default = match &field.default {
        Some(value) => Some(default_value(config, ty, value)?),
        None => None,
    };
    if *field.bigint.get_ref() && ty != FieldType::Number {
        return Err(config.error_at(
            field.bigint.span(),
            format!(
                "bigint applies to numbers, but this field is a {}",
                ty.as_str()
            ),
            "remove bigint, or make the field type = \"number\"",
        ));
    }
    if ty.is_json() && (field.unique || field.index || field.sortable) {
        return Err(config.error_at(
            field.ty.span(),
            format!(
                "a {} field cannot be unique, indexed or sortable",
                ty.as_str()
            ),
            "JSON columns cannot be keys on every dialect; remove unique/index/sortable",
        ));
    }
    if field.unique
        && let Some(value) = &field.default
    {
        return Err(config.error_at(
            value.span(),
            format!("`{}` is unique and has a default: the second row left to the default would collide with the first", name.get_ref()),
            "remove the default or unique = true",
        ));
    }
    let input = field.input.unwrap_or(true);
    if required && !input && default.is_none() {
        return Err(config.error_at(
            field.required.span(),
            format!(
                "`{}` is required, clients may not set it (input = false) and it has no default: no request could ever create a row",
                name.get_ref()
            ),
            "give it a default, or make it optional (required = false), or allow input",
        ));
    }
    let references = field.references.as_ref().map(|r| {
        let r = r.get_ref();
        RefDef {
            model: r.model.get_ref().clone(),
            field: r.field.get_ref().clone(),
            on_delete: *r.on_delete.get_ref(),
        }
    });
    let def = FieldDef {
        required,
        unique: field.unique,
        index: field.index,
        sortable: field.sortable,
        bigint: *field.bigint.get_ref(),
        default,
        input,
        returned: field.returned.unwrap_or(true),
        references,
        renamed_from: field.renamed_from.as_ref().map(|r| r.get_ref().clone()),
        ..FieldDef::new(name.get_ref(), ty)
    };
    Ok(Pending {
        def,
        origin: Origin::Config,
        physical: field.column.clone(),
        span: Some(FieldSpans {
            name: name.span(),
            references: field.references.as_ref().map(|r| {
                let r = r.get_ref();
                ReferenceSpans {
                    model: r.model.span(),
                    field: nonempty(r.field.span(), name.span()),
                    on_delete: nonempty(r.on_delete.span(), name.span()),
                }
            }),
        }),
    })
}

/// Defaults have empty spans; point at the field instead.
fn nonempty(span: Range<usize>, fallback: Range<usize>) -> Range<usize> {
    if span.is_empty() { fallback } else { span }
}

fn default_value(
    config: &Config,
    ty: FieldType,
    value: &Spanned<toml::Value>,
) -> Result<DefaultValue, ConfigError> {
    use toml::Value as V;
    let mismatch = || {
        config.error_at(
            value.span(),
            format!("this default does not fit a {} field", ty.as_str()),
            match ty {
                FieldType::String => "use a string: default = \"free\"",
                FieldType::Number => "use a number: default = 0",
                FieldType::Boolean => "use true or false",
                FieldType::Date => "use default = \"now\" (the current time)",
                FieldType::Json => "use any TOML value",
                FieldType::StringArray => "use an array of strings: default = [\"a\"]",
                FieldType::NumberArray => "use an array of numbers: default = [1, 2]",
            },
        )
    };
    let json = toml_to_json(value.get_ref()).ok_or_else(mismatch)?;
    let fits = match (ty, value.get_ref()) {
        (FieldType::String, V::String(_))
        | (FieldType::Number, V::Integer(_) | V::Float(_))
        | (FieldType::Boolean, V::Boolean(_))
        | (FieldType::Json, _) => true,
        (FieldType::Date, V::String(s)) if s == "now" => return Ok(DefaultValue::Now),
        (FieldType::StringArray, V::Array(items)) => items.iter().all(V::is_str),
        (FieldType::NumberArray, V::Array(items)) => {
            items.iter().all(|i| i.is_integer() || i.is_float())
        }
        _ => false,
    };
    if fits {
        Ok(DefaultValue::Literal(json))
    } else {
        Err(mismatch())
    }
}

fn toml_to_json(value: &toml::Value) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    Some(match value {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => J::Number(serde_json::Number::from_f64(*f)?),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(items) => {
            J::Array(items.iter().map(toml_to_json).collect::<Option<_>>()?)
        }
        toml::Value::Table(table) => J::Object(
            table
                .iter()
                .map(|(k, v)| Some((k.clone(), toml_to_json(v)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

fn check_identifier(
    config: &Config,
    name: &Spanned<String>,
    what: &str,
) -> Result<(), ConfigError> {
    let value = name.get_ref();
    let valid_start = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !valid_start || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(config.error_at(
            name.span(),
            format!("`{value}` is not a valid {what}"),
            "use ASCII letters, digits and underscores, starting with a letter or underscore",
        ));
    }
    if value.len() > MAX_IDENTIFIER {
        return Err(config.error_at(
            name.span(),
            format!("`{value}` is longer than {MAX_IDENTIFIER} bytes, PostgreSQL's limit"),
            "use a shorter name",
        ));
    }
    let lower = value.to_ascii_lowercase();
    if what == "table name" && (lower.starts_with("sqlite_") || lower.starts_with("_cf_")) {
        return Err(config.error_at(
            name.span(),
            format!("`{value}` starts with a prefix SQLite or Cloudflare D1 reserves"),
            "table names may not start with sqlite_ or _cf_",
        ));
    }
    Ok(())
}

/// Physical names, references and indexes.
fn resolve(config: &Config, models: &[PendingModel]) -> Result<Vec<Table>, ConfigError> {
    let naming = config.database.naming;
    let mut table_names: BTreeMap<String, &PendingModel> = BTreeMap::new();
    let mut physical_tables = BTreeMap::new();
    for model in models {
        let name = match &model.table {
            Some(table) => {
                check_identifier(config, table, "table name")?;
                table.get_ref().clone()
            }
            None => naming.apply(&model.model),
        };
        if let Some(other) = table_names.insert(name.to_ascii_lowercase(), model) {
            let span = model
                .table
                .as_ref()
                .or(other.table.as_ref())
                .map_or(0..0, Spanned::span);
            return Err(config.error_at(
                span,
                format!(
                    "models `{}` and `{}` would both be table `{name}`",
                    other.model, model.model
                ),
                "give one of them another table name",
            ));
        }
        physical_tables.insert(model.model.clone(), name);
    }
    let column_name = |pending: &Pending| match &pending.physical {
        Some(column) => column.get_ref().clone(),
        None => naming.apply(&pending.def.name),
    };
    let mut tables = Vec::new();
    for model in models {
        let table_name = physical_tables[&model.model].clone();
        let mut columns = vec![id_column(model.origin)];
        let mut seen = BTreeSet::from([LOGICAL_ID.to_owned()]);
        for pending in &model.fields {
            if let Some(physical) = &pending.physical {
                check_identifier(config, physical, "column name")?;
            }
            let name = column_name(pending);
            if !seen.insert(name.to_ascii_lowercase()) {
                let span = pending
                    .physical
                    .as_ref()
                    .map(Spanned::span)
                    .or_else(|| pending.span.as_ref().map(|s| s.name.clone()))
                    .unwrap_or(0..0);
                return Err(config.error_at(
                    span,
                    format!(
                        "two fields of `{}` would both be column `{name}`",
                        model.model
                    ),
                    "give one of them another column name",
                ));
            }
            let references = match &pending.def.references {
                Some(reference) => Some(resolve_reference(
                    config,
                    models,
                    &physical_tables,
                    pending,
                    reference,
                    &column_name,
                )?),
                None => None,
            };
            let def = &pending.def;
            columns.push(Column {
                field: def.name.clone(),
                name,
                ty: def.ty,
                primary_key: false,
                required: def.required,
                unique: def.unique,
                sortable: def.sortable,
                bigint: def.bigint,
                default: def.default.clone(),
                on_update_now: def.on_update_now,
                input: def.input,
                returned: def.returned,
                references,
                origin: pending.origin,
                renamed_from: def.renamed_from.clone(),
            });
        }
        let indexes = indexes(&table_name, model, &columns);
        tables.push(Table {
            model: model.model.clone(),
            name: table_name,
            origin: model.origin,
            columns,
            indexes,
        });
    }
    Ok(tables)
}

fn id_column(origin: Origin) -> Column {
    Column {
        field: LOGICAL_ID.to_owned(),
        name: LOGICAL_ID.to_owned(),
        ty: FieldType::String,
        primary_key: true,
        required: true,
        unique: false,
        sortable: false,
        bigint: false,
        default: None,
        on_update_now: false,
        input: false,
        returned: true,
        references: None,
        origin,
        renamed_from: None,
    }
}

fn resolve_reference(
    config: &Config,
    models: &[PendingModel],
    physical_tables: &BTreeMap<String, String>,
    pending: &Pending,
    reference: &RefDef,
    column_name: &dyn Fn(&Pending) -> String,
) -> Result<Reference, ConfigError> {
    let spans = pending.span.as_ref().and_then(|s| s.references.as_ref());
    // Registry references can only fail when the target model is not stored (sessions in a
    // secondary storage); point at the plugin then.
    let registry_span = || match pending.origin {
        Origin::Plugin(plugin) => plugin_span(config, plugin),
        _ => 0..0,
    };
    let Some(target) = models.iter().find(|m| m.model == reference.model) else {
        let span = spans.map_or_else(registry_span, |s| s.model.clone());
        let help = if reference.model == "session" && config.secondary_storage.is_some() {
            "sessions are kept in the secondary storage: set [session] store-in-database = true"
                .to_owned()
        } else if let Some(plugin) = plugin_owning(&reference.model) {
            format!(
                "`{}` belongs to the {plugin} plugin: add [plugins.{plugin}]",
                reference.model
            )
        } else {
            format!(
                "models in this configuration: {}",
                models
                    .iter()
                    .map(|m| m.model.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let message = match pending.origin {
            Origin::Plugin(plugin) => format!(
                "the {plugin} plugin needs the `{}` table (its field `{}` references it), which is not in the schema",
                reference.model, pending.def.name
            ),
            _ => format!(
                "`{}` references model `{}`, which is not in the schema",
                pending.def.name, reference.model
            ),
        };
        return Err(config.error_at(span, message, help));
    };
    let table = physical_tables[&target.model].clone();
    let column = if reference.field == LOGICAL_ID {
        LOGICAL_ID.to_owned()
    } else {
        let span = spans.map_or(0..0, |s| s.field.clone());
        let Some(field) = target.fields.iter().find(|f| f.def.name == reference.field) else {
            return Err(config.error_at(
                span,
                format!(
                    "model `{}` has no field `{}`",
                    target.model, reference.field
                ),
                format!("fields of `{}`: id, {}", target.model, field_names(target)),
            ));
        };
        if !field.def.unique {
            return Err(config.error_at(
                span,
                format!(
                    "`{}.{}` is not unique, so it cannot be referenced",
                    target.model, reference.field
                ),
                "reference `id` or a field declared unique = true",
            ));
        }
        if field.def.ty != pending.def.ty {
            return Err(config.error_at(
                pending.span.as_ref().map_or(0..0, |s| s.name.clone()),
                format!(
                    "`{}` is a {} but references `{}.{}`, a {}",
                    pending.def.name,
                    pending.def.ty.as_str(),
                    target.model,
                    reference.field,
                    field.def.ty.as_str()
                ),
                "give both fields the same type",
            ));
        }
        column_name(field)
    };
    if reference.field == LOGICAL_ID
        && !matches!(pending.def.ty, FieldType::String | FieldType::Number)
    {
        return Err(config.error_at(
            pending.span.as_ref().map_or(0..0, |s| s.name.clone()),
            format!(
                "`{}` references an id, so its type must be string",
                pending.def.name
            ),
            "set type = \"string\"",
        ));
    }
    if reference.on_delete == OnDelete::SetNull && pending.def.required {
        return Err(config.error_at(
            spans.map_or(0..0, |s| s.on_delete.clone()),
            format!(
                "on-delete = \"set null\" on `{}`, which is required (NOT NULL)",
                pending.def.name
            ),
            "make the field optional (required = false), or use on-delete = \"cascade\"",
        ));
    }
    Ok(Reference {
        model: target.model.clone(),
        field: reference.field.clone(),
        table,
        column,
        on_delete: reference.on_delete,
    })
}

/// Field-level indexes (`<table>_<column>_idx`; none when the column is unique) and table-level
/// ones (`…_uidx` when unique), as better-auth names them.
fn indexes(table: &str, model: &PendingModel, columns: &[Column]) -> Vec<Index> {
    let physical = |field: &str| {
        columns
            .iter()
            .find(|c| c.field == field)
            .map_or_else(|| field.to_owned(), |c| c.name.clone())
    };
    let mut indexes: Vec<Index> = model
        .fields
        .iter()
        .filter(|p| p.def.index && !p.def.unique)
        .map(|p| {
            let column = physical(&p.def.name);
            Index {
                name: constraint_name(table, &[&column], "idx"),
                columns: vec![column],
                unique: false,
                kind: IndexKind::Field,
            }
        })
        .collect();
    for (fields, unique, kind) in &model.indexes {
        let cols: Vec<String> = fields.iter().map(|f| physical(f)).collect();
        let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
        indexes.push(Index {
            name: constraint_name(table, &refs, if *unique { "uidx" } else { "idx" }),
            columns: cols,
            unique: *unique,
            kind: *kind,
        });
    }
    indexes
}

/// Index names share one namespace per database schema (PostgreSQL, SQLite).
fn check_index_names(config: &Config, schema: &Schema) -> Result<(), ConfigError> {
    let mut seen = BTreeMap::new();
    for table in &schema.tables {
        for index in &table.indexes {
            if let Some(other) = seen.insert(index.name.to_ascii_lowercase(), &table.name) {
                return Err(config.error_at(
                    0..0,
                    format!(
                        "tables `{other}` and `{}` would both have an index named `{}`",
                        table.name, index.name
                    ),
                    "rename one of the tables or columns",
                ));
            }
        }
    }
    Ok(())
}

/// Stable topological order: a table comes after the tables it references, otherwise keeps
/// better-auth's order. A cycle is broken at its first table in that order.
fn sort_by_dependencies(tables: &mut Vec<Table>) {
    let mut remaining: Vec<Table> = std::mem::take(tables);
    while !remaining.is_empty() {
        let placed: BTreeSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        let ready = remaining.iter().position(|t| {
            t.columns.iter().all(|c| {
                c.references.as_ref().is_none_or(|r| {
                    r.table == t.name
                        || placed.contains(r.table.as_str())
                        || !remaining.iter().any(|o| o.name == r.table)
                })
            })
        });
        let next = remaining.remove(ready.unwrap_or(0));
        tables.push(next);
    }
}

#[cfg(test)]
mod tests;
