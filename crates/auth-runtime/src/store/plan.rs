//! Statements built from the Schema IR: every table and column name is read from it, once, when
//! the store is built. Rows are read positionally, in the order of a table's columns, so no
//! column alias ever has to survive a round trip through the database (B3).

use std::fmt::Write as _;

use auth_core::Dialect;
use auth_core::schema::names;
use auth_core::schema::{DefaultValue, FieldType, IdStrategy, Schema, Table};
use auth_core::sql::column_type;

use super::StoreError;
use super::codec::{self, Param, Storage};
use super::query::{Op, Sort, SortDirection, Where};
use super::value::Value;

/// A SQL text and its parameters, in placeholder order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    pub(crate) sql: String,
    pub(crate) params: Vec<Param>,
}

/// One column, as the store needs it.
#[derive(Debug, Clone)]
pub(crate) struct ColumnPlan {
    pub(crate) field: String,
    pub(crate) quoted: String,
    pub(crate) storage: Storage,
    pub(crate) primary_key: bool,
    pub(crate) default: Option<DefaultValue>,
    pub(crate) on_update_now: bool,
}

/// One table, as the store needs it.
#[derive(Debug, Clone)]
pub(crate) struct TablePlan {
    pub(crate) model: String,
    pub(crate) quoted: String,
    pub(crate) columns: Vec<ColumnPlan>,
    /// Every column in declaration order, ready for `select <this> from`.
    select_list: String,
}

impl TablePlan {
    pub(crate) fn new(schema: &Schema, table: &Table, dialect: Dialect) -> Self {
        let columns: Vec<ColumnPlan> = table
            .columns
            .iter()
            .map(|column| {
                let sql_type = column_type(schema, table, column, dialect);
                let integer_id = schema.id == IdStrategy::Serial
                    && column.ty == FieldType::String
                    && sql_type == "integer";
                ColumnPlan {
                    field: column.field.clone(),
                    quoted: dialect.quote(&column.name),
                    storage: Storage {
                        ty: column.ty,
                        integer_id,
                        uuid: dialect == Dialect::Postgres && sql_type == "uuid",
                    },
                    primary_key: column.primary_key,
                    default: column.default.clone(),
                    on_update_now: column.on_update_now,
                }
            })
            .collect();
        let select_list = select_list(&columns, None);
        Self {
            model: table.model.clone(),
            quoted: dialect.quote(&table.name),
            columns,
            select_list,
        }
    }

    pub(crate) fn column(&self, field: &str) -> Result<(usize, &ColumnPlan), StoreError> {
        self.columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.field == field)
            .ok_or_else(|| StoreError::UnknownField {
                model: self.model.clone(),
                field: field.to_owned(),
            })
    }

    pub(crate) fn storages(&self) -> Vec<Storage> {
        self.columns.iter().map(|c| c.storage).collect()
    }

    pub(crate) fn primary_key(&self) -> Option<&ColumnPlan> {
        self.columns.iter().find(|c| c.primary_key)
    }
}

/// `a."x", a."y"::text, …` (PostgreSQL reads `uuid` as text).
fn select_list(columns: &[ColumnPlan], alias: Option<&str>) -> String {
    let mut out = String::new();
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if let Some(alias) = alias {
            let _ = write!(out, "{alias}.");
        }
        out.push_str(&column.quoted);
        if column.storage.uuid {
            out.push_str("::text");
        }
    }
    out
}

/// Builds one statement, numbering placeholders as the dialect wants them.
pub(crate) struct Builder {
    dialect: Dialect,
    sql: String,
    params: Vec<Param>,
}

impl Builder {
    pub(crate) fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            sql: String::with_capacity(256),
            params: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// A placeholder for `param`, cast where the column's type needs it.
    pub(crate) fn param(&mut self, storage: Storage, param: Param) -> &mut Self {
        self.params.push(param);
        let n = self.params.len();
        let _ = match self.dialect {
            Dialect::Postgres => write!(self.sql, "${n}"),
            Dialect::Mysql => write!(self.sql, "?"),
            Dialect::Sqlite | Dialect::D1 => write!(self.sql, "?{n}"),
        };
        if storage.uuid {
            self.sql.push_str("::uuid");
        }
        self
    }

    /// A value for a column, encoded by the dialect's codec.
    pub(crate) fn value(
        &mut self,
        table: &TablePlan,
        column: &ColumnPlan,
        value: &Value,
    ) -> Result<&mut Self, StoreError> {
        let param =
            codec::encode(self.dialect, column.storage, value).map_err(|m| StoreError::Type {
                model: table.model.clone(),
                field: column.field.clone(),
                expected: m.expected,
                got: m.got,
            })?;
        Ok(self.param(column.storage, param))
    }

    pub(crate) fn finish(self) -> Statement {
        Statement {
            sql: self.sql,
            params: self.params,
        }
    }

    /// ` where a and b …` (nothing for no conditions).
    pub(crate) fn conditions(
        &mut self,
        table: &TablePlan,
        conditions: &[Where],
    ) -> Result<&mut Self, StoreError> {
        for (i, condition) in conditions.iter().enumerate() {
            self.push(if i == 0 { " where " } else { " and " });
            self.condition(table, condition)?;
        }
        Ok(self)
    }

    fn condition(&mut self, table: &TablePlan, condition: &Where) -> Result<(), StoreError> {
        let (_, column) = table.column(&condition.field)?;
        let quoted = column.quoted.as_str();
        let compare = |b: &mut Self, operator: &str, value: &Value| {
            b.push(quoted).push(operator);
            b.value(table, column, value).map(drop)
        };
        match &condition.op {
            Op::Eq(Value::Null) => drop(self.push(quoted).push(" is null")),
            Op::Ne(Value::Null) => drop(self.push(quoted).push(" is not null")),
            Op::Eq(v) => compare(self, " = ", v)?,
            Op::Ne(v) => compare(self, " <> ", v)?,
            Op::Lt(v) => compare(self, " < ", v)?,
            Op::Lte(v) => compare(self, " <= ", v)?,
            Op::Gt(v) => compare(self, " > ", v)?,
            Op::Gte(v) => compare(self, " >= ", v)?,
            Op::In(values) | Op::NotIn(values) => {
                let negated = matches!(condition.op, Op::NotIn(_));
                if values.is_empty() {
                    self.push(if negated { "1 = 1" } else { "1 = 0" });
                    return Ok(());
                }
                self.push(quoted)
                    .push(if negated { " not in (" } else { " in (" });
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.value(table, column, value)?;
                }
                self.push(")");
            }
            Op::Contains(text) | Op::StartsWith(text) | Op::EndsWith(text) => {
                if column.storage.ty != FieldType::String || column.storage.uuid {
                    return Err(StoreError::Type {
                        model: table.model.clone(),
                        field: column.field.clone(),
                        expected: "a string field for a pattern match",
                        got: field_kind(column.storage.ty),
                    });
                }
                let escaped = escape_like(text);
                let pattern = match &condition.op {
                    Op::Contains(_) => format!("%{escaped}%"),
                    Op::StartsWith(_) => format!("{escaped}%"),
                    _ => format!("%{escaped}"),
                };
                self.push(quoted).push(" like ");
                self.param(column.storage, Param::Text(pattern));
                self.push(" escape '!'");
            }
        }
        Ok(())
    }
}

/// `%`, `_` and the escape character itself, escaped with `!` (not `\`, which MySQL string
/// literals would swallow).
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

fn field_kind(ty: FieldType) -> &'static str {
    match ty {
        FieldType::String => "a string field",
        FieldType::Number => "a number field",
        FieldType::Boolean => "a boolean field",
        FieldType::Date => "a date field",
        FieldType::Json | FieldType::StringArray | FieldType::NumberArray => "a JSON field",
    }
}

/// `select … from t where … order by … limit … offset …`.
pub(crate) fn select(
    dialect: Dialect,
    table: &TablePlan,
    conditions: &[Where],
    sort: Option<&Sort>,
    limit: Option<u64>,
    offset: Option<u64>,
) -> Result<Statement, StoreError> {
    let mut b = Builder::new(dialect);
    b.push("select ")
        .push(&table.select_list)
        .push(" from ")
        .push(&table.quoted);
    b.conditions(table, conditions)?;
    if let Some(sort) = sort {
        let (_, column) = table.column(&sort.field)?;
        b.push(" order by ")
            .push(&column.quoted)
            .push(match sort.direction {
                SortDirection::Asc => " asc",
                SortDirection::Desc => " desc",
            });
    }
    match (limit, offset) {
        (Some(limit), _) => drop(write!(b.sql, " limit {limit}")),
        (None, Some(_)) => match dialect {
            Dialect::Mysql => b.sql.push_str(" limit 18446744073709551615"),
            Dialect::Sqlite | Dialect::D1 => b.sql.push_str(" limit -1"),
            Dialect::Postgres => {}
        },
        (None, None) => {}
    }
    if let Some(offset) = offset {
        let _ = write!(b.sql, " offset {offset}");
    }
    Ok(b.finish())
}

/// `select count(*) from t where …`.
pub(crate) fn count(
    dialect: Dialect,
    table: &TablePlan,
    conditions: &[Where],
) -> Result<Statement, StoreError> {
    let mut b = Builder::new(dialect);
    b.push("select count(*) from ").push(&table.quoted);
    b.conditions(table, conditions)?;
    Ok(b.finish())
}

/// `insert into t (…) values (…)` for the given columns (by index into the table's columns);
/// `returning` the primary key where the database generates it on PostgreSQL (SQLite and MySQL
/// report the last generated key).
pub(crate) fn insert(
    dialect: Dialect,
    table: &TablePlan,
    values: &[(usize, Value)],
    returning: Option<&ColumnPlan>,
) -> Result<Statement, StoreError> {
    let mut b = Builder::new(dialect);
    b.push("insert into ").push(&table.quoted).push(" (");
    for (i, (index, _)) in values.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        let quoted = table.columns.get(*index).map_or("", |c| c.quoted.as_str());
        b.push(quoted);
    }
    b.push(") values (");
    for (i, (index, value)) in values.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        if let Some(column) = table.columns.get(*index) {
            b.value(table, column, value)?;
        }
    }
    b.push(")");
    if let Some(column) = returning
        && dialect == Dialect::Postgres
    {
        b.push(" returning ").push(&column.quoted);
    }
    Ok(b.finish())
}

/// `update t set [c = c + n, ]… where … [returning …]`: `increment` is the index of a column and
/// what to add to it (negative: take away), in the same statement (atomic on every engine);
/// `returning` every column (SQLite and PostgreSQL; MySQL has no `update … returning`).
pub(crate) fn update(
    dialect: Dialect,
    table: &TablePlan,
    increment: Option<(usize, i64)>,
    values: &[(usize, Value)],
    conditions: &[Where],
    returning: bool,
) -> Result<Statement, StoreError> {
    let mut b = Builder::new(dialect);
    b.push("update ").push(&table.quoted).push(" set ");
    let incremented =
        increment.and_then(|(index, delta)| table.columns.get(index).map(|c| (c, delta)));
    if let Some((column, delta)) = incremented {
        b.push(&column.quoted)
            .push(" = ")
            .push(&column.quoted)
            .push(if delta < 0 { " - " } else { " + " })
            .push(&delta.unsigned_abs().to_string());
    }
    for (i, (index, value)) in values.iter().enumerate() {
        if i > 0 || incremented.is_some() {
            b.push(", ");
        }
        if let Some(column) = table.columns.get(*index) {
            b.push(&column.quoted).push(" = ");
            b.value(table, column, value)?;
        }
    }
    b.conditions(table, conditions)?;
    if returning {
        b.push(" returning ").push(&table.select_list);
    }
    Ok(b.finish())
}

/// `delete from t where …`.
pub(crate) fn delete(
    dialect: Dialect,
    table: &TablePlan,
    conditions: &[Where],
) -> Result<Statement, StoreError> {
    let mut b = Builder::new(dialect);
    b.push("delete from ").push(&table.quoted);
    b.conditions(table, conditions)?;
    Ok(b.finish())
}

/// The session looked up by token, joined to its user: session columns first, then user columns,
/// each in declaration order.
#[derive(Debug, Clone)]
pub(crate) struct SessionJoin {
    pub(crate) sql: String,
    pub(crate) token: Storage,
    pub(crate) session_columns: usize,
}

impl SessionJoin {
    pub(crate) fn new(
        dialect: Dialect,
        session: &TablePlan,
        user: &TablePlan,
    ) -> Result<Self, StoreError> {
        let (_, token) = session.column(names::session::TOKEN)?;
        let (_, user_id) = session.column(names::session::USER_ID)?;
        let Some(user_key) = user.primary_key() else {
            return Err(StoreError::UnknownField {
                model: user.model.clone(),
                field: auth_core::schema::LOGICAL_ID.to_owned(),
            });
        };
        let mut b = Builder::new(dialect);
        b.push("select ")
            .push(&select_list(&session.columns, Some("s")))
            .push(", ")
            .push(&select_list(&user.columns, Some("u")))
            .push(" from ")
            .push(&session.quoted)
            .push(" s join ")
            .push(&user.quoted)
            .push(" u on u.")
            .push(&user_key.quoted)
            .push(" = s.")
            .push(&user_id.quoted)
            .push(" where s.")
            .push(&token.quoted)
            .push(" = ");
        b.param(token.storage, Param::Null(codec::Kind::Text));
        Ok(Self {
            sql: b.finish().sql,
            token: token.storage,
            session_columns: session.columns.len(),
        })
    }
}
