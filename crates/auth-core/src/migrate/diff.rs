//! What changed between two schemas, matched by logical names: a model keeps its identity when
//! its table is renamed, a field when its column is renamed (or when `renamed-from` names its
//! old field). Nothing is guessed from physical names.

use crate::schema::{Column, Schema, Table};

/// A table present in both schemas.
#[derive(Debug)]
pub(crate) struct TablePair<'a> {
    pub(crate) old: &'a Table,
    pub(crate) new: &'a Table,
    /// Columns present in both, in the new table's order.
    pub(crate) kept: Vec<ColumnPair<'a>>,
    pub(crate) added: Vec<&'a Column>,
    pub(crate) dropped: Vec<&'a Column>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct ColumnPair<'a> {
    pub(crate) old: &'a Column,
    pub(crate) new: &'a Column,
}

impl ColumnPair<'_> {
    pub(crate) fn renamed(&self) -> bool {
        self.old.name != self.new.name
    }
}

impl TablePair<'_> {
    pub(crate) fn renamed(&self) -> bool {
        self.old.name != self.new.name
    }

    /// The old column that became `new`, if any.
    pub(crate) fn old_of(&self, new: &Column) -> Option<&Column> {
        self.kept
            .iter()
            .find(|p| p.new.field == new.field)
            .map(|p| p.old)
    }
}

#[derive(Debug)]
pub(crate) struct Diff<'a> {
    pub(crate) created: Vec<&'a Table>,
    pub(crate) dropped: Vec<&'a Table>,
    pub(crate) kept: Vec<TablePair<'a>>,
}

pub(crate) fn diff<'a>(old: &'a Schema, new: &'a Schema) -> Diff<'a> {
    let mut created = Vec::new();
    let mut kept = Vec::new();
    for table in &new.tables {
        match old.tables.iter().find(|t| t.model == table.model) {
            None => created.push(table),
            Some(previous) => kept.push(pair(previous, table)),
        }
    }
    let dropped = old
        .tables
        .iter()
        .filter(|t| !new.tables.iter().any(|n| n.model == t.model))
        .collect();
    Diff {
        created,
        dropped,
        kept,
    }
}

fn pair<'a>(old: &'a Table, new: &'a Table) -> TablePair<'a> {
    let mut kept = Vec::new();
    let mut added = Vec::new();
    for column in &new.columns {
        let same = old.columns.iter().find(|c| c.field == column.field);
        let renamed = || {
            let from = column.renamed_from.as_deref()?;
            let still_there = new.columns.iter().any(|c| c.field == from);
            (!still_there)
                .then(|| old.columns.iter().find(|c| c.field == from))
                .flatten()
        };
        match same.or_else(renamed) {
            Some(previous) => kept.push(ColumnPair {
                old: previous,
                new: column,
            }),
            None => added.push(column),
        }
    }
    let dropped = old
        .columns
        .iter()
        .filter(|c| !kept.iter().any(|p| p.old.field == c.field))
        .collect();
    TablePair {
        old,
        new,
        kept,
        added,
        dropped,
    }
}
