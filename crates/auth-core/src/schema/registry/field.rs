//! Logical field and model definitions, before physical names are resolved.

use crate::schema::{DefaultValue, FieldType, IndexKind, OnDelete, Origin};

/// A field as better-auth declares it (`DBFieldAttribute`), with logical names only.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldDef {
    pub(crate) name: String,
    pub(crate) ty: FieldType,
    pub(crate) required: bool,
    pub(crate) unique: bool,
    pub(crate) index: bool,
    pub(crate) sortable: bool,
    pub(crate) bigint: bool,
    pub(crate) default: Option<DefaultValue>,
    pub(crate) on_update_now: bool,
    pub(crate) input: bool,
    pub(crate) returned: bool,
    pub(crate) references: Option<RefDef>,
    pub(crate) renamed_from: Option<String>,
}

/// A reference by logical model and field key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RefDef {
    pub(crate) model: String,
    pub(crate) field: String,
    pub(crate) on_delete: OnDelete,
}

impl FieldDef {
    /// A required field of this type; `required` defaults to true, as in better-auth.
    pub(crate) fn new(name: &str, ty: FieldType) -> Self {
        Self {
            name: name.to_owned(),
            ty,
            required: true,
            unique: false,
            index: false,
            sortable: false,
            bigint: false,
            default: None,
            on_update_now: false,
            input: true,
            returned: true,
            references: None,
            renamed_from: None,
        }
    }

    pub(crate) fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    pub(crate) fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    pub(crate) fn index(mut self) -> Self {
        self.index = true;
        self
    }

    pub(crate) fn sortable(mut self) -> Self {
        self.sortable = true;
        self
    }

    pub(crate) fn bigint(mut self) -> Self {
        self.bigint = true;
        self
    }

    /// A static default, applied by the runtime and also emitted as a SQL default.
    pub(crate) fn default(mut self, value: serde_json::Value) -> Self {
        self.default = Some(DefaultValue::Literal(value));
        self
    }

    /// Defaults to the current time.
    pub(crate) fn now(mut self) -> Self {
        self.default = Some(DefaultValue::Now);
        self
    }

    /// Set to the current time on every update.
    pub(crate) fn on_update(mut self) -> Self {
        self.on_update_now = true;
        self
    }

    /// `input: false`: clients cannot set it.
    pub(crate) fn no_input(mut self) -> Self {
        self.input = false;
        self
    }

    /// `returned: false`: never part of a response.
    pub(crate) fn hidden(mut self) -> Self {
        self.returned = false;
        self
    }

    /// A foreign key, `on delete cascade` unless changed with [`FieldDef::on_delete`].
    pub(crate) fn references(mut self, model: &str, field: &str) -> Self {
        self.references = Some(RefDef {
            model: model.to_owned(),
            field: field.to_owned(),
            on_delete: OnDelete::Cascade,
        });
        self
    }

    pub(crate) fn on_delete(mut self, on_delete: OnDelete) -> Self {
        if let Some(reference) = &mut self.references {
            reference.on_delete = on_delete;
        }
        self
    }
}

pub(crate) fn string(name: &str) -> FieldDef {
    FieldDef::new(name, FieldType::String)
}

pub(crate) fn number(name: &str) -> FieldDef {
    FieldDef::new(name, FieldType::Number)
}

pub(crate) fn boolean(name: &str) -> FieldDef {
    FieldDef::new(name, FieldType::Boolean)
}

pub(crate) fn date(name: &str) -> FieldDef {
    FieldDef::new(name, FieldType::Date)
}

pub(crate) fn json(name: &str) -> FieldDef {
    FieldDef::new(name, FieldType::Json)
}

pub(crate) fn strings(name: &str) -> FieldDef {
    FieldDef::new(name, FieldType::StringArray)
}

/// A required creation or update timestamp. better-auth sets it in the application; some of its
/// tables have no SQL default for it, so an insert from anywhere else fails (B11). Here every one
/// of them defaults to the current time in SQL too.
pub(crate) fn timestamp(name: &str) -> FieldDef {
    date(name).now()
}

/// A table-level index over logical field keys.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndexDef {
    pub(crate) fields: Vec<&'static str>,
    pub(crate) unique: bool,
    pub(crate) kind: IndexKind,
}

/// A table a plugin or the core owns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ModelDef {
    pub(crate) model: &'static str,
    pub(crate) origin: Origin,
    pub(crate) fields: Vec<FieldDef>,
    pub(crate) indexes: Vec<IndexDef>,
}

impl ModelDef {
    pub(crate) fn new(model: &'static str, origin: Origin, fields: Vec<FieldDef>) -> Self {
        Self {
            model,
            origin,
            fields,
            indexes: Vec::new(),
        }
    }

    pub(crate) fn unique_index(mut self, fields: &[&'static str]) -> Self {
        self.indexes.push(IndexDef {
            fields: fields.to_vec(),
            unique: true,
            kind: IndexKind::Table,
        });
        self
    }

    /// An index beyond better-auth's schema that the toolkit's own queries need at scale
    /// ([`IndexKind::Toolkit`]).
    pub(crate) fn toolkit_index(mut self, fields: &[&'static str]) -> Self {
        self.indexes.push(IndexDef {
            fields: fields.to_vec(),
            unique: false,
            kind: IndexKind::Toolkit,
        });
        self
    }
}

/// Columns a plugin adds to a table it does not own (`user.role` from admin).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Extension {
    pub(crate) model: &'static str,
    pub(crate) plugin: crate::schema::Plugin,
    pub(crate) fields: Vec<FieldDef>,
}
