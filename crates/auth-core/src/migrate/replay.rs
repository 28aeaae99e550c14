//! The columns a folder's migration files declare, replayed statement by statement from
//! sqlparser's syntax tree, so that `migrate lint` knows what a change changes: a column given a
//! narrower type, or made NOT NULL without a default while rows may hold NULL, in each dialect's
//! form (PostgreSQL `alter column … type` / `set not null`, MySQL `modify` / `change`, and the
//! SQLite and D1 table rebuild's `insert into <new> (…) select … from <old>`).

use std::collections::BTreeMap;

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnOption, DataType, Expr, ObjectName,
    ObjectType, RenameTableNameKind, SelectItem, SetExpr, Statement, TableConstraint, TableFactor,
    TableObject,
};
use sqlparser::parser::{Parser, ParserError};

use super::plan::{becomes_required, describe_type_change, widens};
use super::split::sql_dialect;
use crate::sql::Dialect;

/// A column as the statements so far declared it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    /// The declared type, lower-case (`varchar(255)`, `bigint`, `timestamptz`).
    ty: String,
    not_null: bool,
    default: bool,
}

/// Tables by name, with their columns in order. A table whose columns are unknown (created by
/// `create table … as select`, or by a statement the parser cannot read) is absent: nothing is
/// concluded about it.
#[derive(Debug)]
pub(super) struct Tables {
    dialect: Dialect,
    tables: BTreeMap<String, Vec<Column>>,
}

impl Tables {
    pub(super) fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            tables: BTreeMap::new(),
        }
    }

    /// Applies one statement (its text without the `;`) and returns why it narrows a column, if it
    /// does. A statement the parser cannot read changes nothing and is returned as the error.
    pub(super) fn apply(&mut self, sql: &str) -> Result<Vec<String>, ParserError> {
        let dialect = sql_dialect(self.dialect);
        let statements = Parser::parse_sql(dialect.as_ref(), sql)?;
        let mut reasons = Vec::new();
        for statement in &statements {
            self.statement(statement, &mut reasons);
        }
        Ok(reasons)
    }

    fn statement(&mut self, statement: &Statement, reasons: &mut Vec<String>) {
        match statement {
            Statement::CreateTable(create) => {
                let table = name_of(&create.name);
                if create.query.is_some() || create.columns.is_empty() {
                    self.tables.remove(&table);
                    return;
                }
                let mut columns: Vec<Column> = create
                    .columns
                    .iter()
                    .map(|c| {
                        column(
                            &c.name.value,
                            &c.data_type,
                            c.options.iter().map(|o| &o.option),
                        )
                    })
                    .collect();
                // A table-level primary key makes its columns NOT NULL.
                for constraint in &create.constraints {
                    if let TableConstraint::PrimaryKey(key) = constraint {
                        for part in &key.columns {
                            if let Expr::Identifier(key_column) = &part.column.expr {
                                for column in &mut columns {
                                    if key_column.value == column.name {
                                        column.not_null = true;
                                    }
                                }
                            }
                        }
                    }
                }
                self.tables.insert(table, columns);
            }
            Statement::AlterTable(alter) => {
                let mut table = name_of(&alter.name);
                for operation in &alter.operations {
                    self.alter(&mut table, operation, reasons);
                }
            }
            Statement::Drop {
                object_type: ObjectType::Table,
                names,
                ..
            } => {
                for name in names {
                    self.tables.remove(&name_of(name));
                }
            }
            Statement::Insert(insert) => self.copy(insert, reasons),
            _ => {}
        }
    }

    fn find(&mut self, table: &str, column: &str) -> Option<&mut Column> {
        self.tables
            .get_mut(table)?
            .iter_mut()
            .find(|c| c.name == column)
    }

    fn alter(
        &mut self,
        table: &mut String,
        operation: &AlterTableOperation,
        reasons: &mut Vec<String>,
    ) {
        match operation {
            AlterTableOperation::AddColumn { column_def, .. } => {
                let column = column(
                    &column_def.name.value,
                    &column_def.data_type,
                    column_def.options.iter().map(|o| &o.option),
                );
                if let Some(columns) = self.tables.get_mut(table.as_str()) {
                    columns.push(column);
                }
            }
            AlterTableOperation::DropColumn { column_names, .. } => {
                if let Some(columns) = self.tables.get_mut(table.as_str()) {
                    columns.retain(|c| !column_names.iter().any(|n| n.value == c.name));
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                if let Some(column) = self.find(table, &old_column_name.value) {
                    column.name.clone_from(&new_column_name.value);
                }
            }
            AlterTableOperation::RenameTable { table_name } => {
                let (RenameTableNameKind::To(new) | RenameTableNameKind::As(new)) = table_name;
                let new = name_of(new);
                match self.tables.remove(table.as_str()) {
                    Some(columns) => {
                        self.tables.insert(new.clone(), columns);
                    }
                    None => {
                        self.tables.remove(&new);
                    }
                }
                *table = new;
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let dialect = self.dialect;
                let Some(column) = self.find(table, &column_name.value) else {
                    return;
                };
                match op {
                    AlterColumnOperation::SetNotNull => {
                        if !column.not_null && !column.default {
                            reasons.push(becomes_required(table, &column.name));
                        }
                        column.not_null = true;
                    }
                    AlterColumnOperation::DropNotNull => column.not_null = false,
                    AlterColumnOperation::SetDefault { .. } => column.default = true,
                    AlterColumnOperation::DropDefault => column.default = false,
                    AlterColumnOperation::SetDataType { data_type, .. } => {
                        let new = type_name(data_type);
                        if narrows(dialect, &column.ty, &new) {
                            reasons.push(describe_type_change(
                                table,
                                &column.name,
                                &column.ty,
                                &new,
                            ));
                        }
                        column.ty = new;
                    }
                    _ => {}
                }
            }
            AlterTableOperation::ModifyColumn {
                col_name,
                data_type,
                options,
                ..
            } => self.redefine(
                table,
                &col_name.value,
                &col_name.value,
                data_type,
                options,
                reasons,
            ),
            AlterTableOperation::ChangeColumn {
                old_name,
                new_name,
                data_type,
                options,
                ..
            } => self.redefine(
                table,
                &old_name.value,
                &new_name.value,
                data_type,
                options,
                reasons,
            ),
            _ => {}
        }
    }

    /// MySQL's `modify` and `change`: the column's whole definition replaced.
    fn redefine(
        &mut self,
        table: &str,
        old_name: &str,
        new_name: &str,
        data_type: &DataType,
        options: &[ColumnOption],
        reasons: &mut Vec<String>,
    ) {
        let new = column(new_name, data_type, options.iter());
        let Some(old) = self
            .tables
            .get(table)
            .and_then(|columns| columns.iter().find(|c| c.name == old_name))
        else {
            return;
        };
        if narrows(self.dialect, &old.ty, &new.ty) {
            reasons.push(describe_type_change(table, old_name, &old.ty, &new.ty));
        }
        if new.not_null && !old.not_null && !new.default {
            reasons.push(becomes_required(table, old_name));
        }
        if let Some(column) = self.find(table, old_name) {
            *column = new;
        }
    }

    /// `insert into <new> (…) select <column>, … from <old>`, the copy of a table rebuild: each
    /// column copied as it is into a narrower type, or into a NOT NULL column without a default
    /// from one that may hold NULL (a `coalesce(…)` or any other expression is not a plain copy).
    fn copy(&self, insert: &sqlparser::ast::Insert, reasons: &mut Vec<String>) {
        let TableObject::TableName(target) = &insert.table else {
            return;
        };
        let Some(SetExpr::Select(select)) = insert.source.as_ref().map(|q| q.body.as_ref()) else {
            return;
        };
        let [from] = select.from.as_slice() else {
            return;
        };
        let TableFactor::Table { name: source, .. } = &from.relation else {
            return;
        };
        let source = name_of(source);
        let (Some(targets), Some(sources)) =
            (self.tables.get(&name_of(target)), self.tables.get(&source))
        else {
            return;
        };
        if !from.joins.is_empty() {
            return;
        }
        let names: Vec<String> = if insert.columns.is_empty() {
            targets.iter().map(|c| c.name.clone()).collect()
        } else {
            insert.columns.iter().map(name_of).collect()
        };
        for (name, item) in names.iter().zip(&select.projection) {
            let (SelectItem::UnnamedExpr(Expr::Identifier(copied))
            | SelectItem::ExprWithAlias {
                expr: Expr::Identifier(copied),
                ..
            }) = item
            else {
                continue;
            };
            let (Some(to), Some(from)) = (
                targets.iter().find(|c| &c.name == name),
                sources.iter().find(|c| c.name == copied.value),
            ) else {
                continue;
            };
            if narrows(self.dialect, &from.ty, &to.ty) {
                reasons.push(describe_type_change(&source, &from.name, &from.ty, &to.ty));
            }
            if to.not_null && !to.default && !from.not_null {
                reasons.push(becomes_required(&source, &to.name));
            }
        }
    }
}

fn column<'a>(
    name: &str,
    data_type: &DataType,
    options: impl Iterator<Item = &'a ColumnOption>,
) -> Column {
    let mut column = Column {
        name: name.to_owned(),
        ty: type_name(data_type),
        not_null: false,
        default: false,
    };
    for option in options {
        match option {
            ColumnOption::NotNull | ColumnOption::PrimaryKey(_) => column.not_null = true,
            ColumnOption::Null => column.not_null = false,
            ColumnOption::Default(_) | ColumnOption::Generated { .. } => column.default = true,
            _ => {}
        }
    }
    column
}

/// Whether a value of type `old` may not survive in a column of type `new`.
fn narrows(dialect: Dialect, old: &str, new: &str) -> bool {
    if dialect.is_sqlite_family() {
        // SQLite keeps any value in any column, but a column of numeric affinity converts the
        // text it is given (`'007'` becomes 7) and a REAL one rounds large integers.
        let (before, after) = (Affinity::of(old), Affinity::of(new));
        before != after
            && matches!(
                after,
                Affinity::Integer | Affinity::Real | Affinity::Numeric
            )
    } else {
        !widens(old, new)
    }
}

/// The last part of a possibly qualified name, unquoted.
fn name_of(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .map(|ident| ident.value.clone())
        .unwrap_or_default()
}

/// A type as the planner spells it: lower case, with the common synonyms of `integer`, `bigint`
/// and `varchar` folded.
fn type_name(data_type: &DataType) -> String {
    let text = data_type.to_string().to_lowercase();
    match text.as_str() {
        "int" | "int4" => "integer".to_owned(),
        "int8" => "bigint".to_owned(),
        _ => text.replace("character varying", "varchar"),
    }
}

/// SQLite's type affinity of a declared type (section 3.1 of its datatype documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

impl Affinity {
    fn of(declared: &str) -> Self {
        let declared = declared.to_uppercase();
        if declared.contains("INT") {
            Self::Integer
        } else if ["CHAR", "CLOB", "TEXT"]
            .iter()
            .any(|t| declared.contains(t))
        {
            Self::Text
        } else if declared.contains("BLOB") || declared.is_empty() {
            Self::Blob
        } else if ["REAL", "FLOA", "DOUB"]
            .iter()
            .any(|t| declared.contains(t))
        {
            Self::Real
        } else {
            Self::Numeric
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(dialect: Dialect, statements: &[&str]) -> Vec<String> {
        let mut tables = Tables::new(dialect);
        statements
            .iter()
            .flat_map(|sql| tables.apply(sql).unwrap_or_else(|e| panic!("{sql}: {e}")))
            .collect()
    }

    #[test]
    fn postgres_type_and_not_null_changes() {
        let create = r#"create table "user" ("id" text not null primary key, "name" varchar(64), "n" integer, "plan" text default 'free')"#;
        assert_eq!(
            reasons(
                Dialect::Postgres,
                &[
                    create,
                    r#"alter table "user" alter column "name" type text"#,
                    r#"alter table "user" alter column "n" type bigint using "n"::bigint"#,
                    r#"alter table "user" alter column "plan" set not null"#,
                ]
            ),
            Vec::<String>::new(),
            "widening, and NOT NULL with a default"
        );
        let found = reasons(
            Dialect::Postgres,
            &[
                create,
                r#"alter table "user" alter column "name" type varchar(10)"#,
                r#"alter table "user" alter column "n" type text"#,
                r#"alter table "user" alter column "name" set not null"#,
                r#"alter table "user" alter column "plan" drop default"#,
                r#"alter table "user" alter column "plan" set not null"#,
                r#"alter table "user" alter column "id" set not null"#,
            ],
        );
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(
            found[0].contains("user.name from varchar(64) to varchar(10)"),
            "{found:?}"
        );
        assert!(
            found[1].contains("user.n from integer to text"),
            "{found:?}"
        );
        assert!(
            found[2].starts_with("makes user.name required"),
            "{found:?}"
        );
        assert!(
            found[3].starts_with("makes user.plan required"),
            "{found:?}"
        );
    }

    #[test]
    fn mysql_modify_and_change() {
        let create = "create table `user` (`id` varchar(36) not null primary key, `name` text, `n` bigint not null)";
        let found = reasons(
            Dialect::Mysql,
            &[
                create,
                "alter table `user` modify column `name` varchar(255) not null default ''",
                "alter table `user` change `n` `count` integer not null",
                "alter table `user` modify `count` bigint null",
                "alter table `user` modify `count` bigint not null",
            ],
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found[0].contains("user.name from text to varchar(255)"),
            "{found:?}"
        );
        assert!(
            found[1].contains("user.n from bigint to integer"),
            "{found:?}"
        );
        assert!(
            found[2].starts_with("makes user.count required"),
            "{found:?}"
        );
    }

    #[test]
    fn sqlite_rebuild_copies() {
        let old = r#"create table "user" ("id" text not null primary key, "n" bigint, "tag" text, "plan" text)"#;
        let new = r#"create table "_auth_new_user" ("id" text not null primary key, "n" integer not null, "tag" integer, "plan" text not null default 'free')"#;
        for dialect in [Dialect::Sqlite, Dialect::D1] {
            let found = reasons(
                dialect,
                &[
                    old,
                    new,
                    r#"insert into "_auth_new_user" ("id", "n", "tag", "plan") select "id", "n", "tag", coalesce("plan", 'free') from "user""#,
                    r#"drop table "user""#,
                    r#"alter table "_auth_new_user" rename to "user""#,
                ],
            );
            // bigint to integer keeps every value on SQLite (one affinity); text to integer does not.
            assert_eq!(found.len(), 2, "{found:?}");
            assert!(found[0].starts_with("makes user.n required"), "{found:?}");
            assert!(
                found[1].contains("user.tag from text to integer"),
                "{found:?}"
            );
        }
    }

    #[test]
    fn unknown_tables_and_renames_are_followed() {
        let found = reasons(
            Dialect::Postgres,
            &[
                r#"create table "a" ("x" text)"#,
                r#"alter table "a" rename to "b""#,
                r#"alter table "b" rename column "x" to "y""#,
                r#"alter table "a" alter column "x" type integer"#,
                r#"alter table "b" alter column "y" type integer"#,
                r#"create table "c" as select * from "b""#,
                r#"alter table "c" alter column "y" type integer"#,
            ],
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("b.y from text to integer"), "{found:?}");
    }
}
