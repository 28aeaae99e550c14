//! SQLite and D1 through `sqlite_schema` and the `pragma_*` table-valued functions.

use std::collections::BTreeMap;

use auth_core::sql::{DbColumn, DbForeignKey, DbIndex, DbSchema, DbTable};
use rusqlite::Connection;

use super::{Context, IntrospectError, Tables};

/// The schema of an SQLite database (or of a D1 database file written by workerd).
///
/// Leaves out SQLite's own `sqlite_*` tables, D1's `_cf_*` tables and wrangler's
/// `d1_migrations`. Types are the declared ones, lowercased; indexes include those SQLite made
/// for inline `unique` constraints (named `sqlite_autoindex_*`) but not the primary key's.
pub fn sqlite(conn: &Connection) -> Result<DbSchema, IntrospectError> {
    let mut tables = Tables::new(table_names(conn)?);
    for (name, table) in &mut tables.0 {
        read_columns(conn, name, table)?;
        read_indexes(conn, name, table)?;
        read_foreign_keys(conn, name, table)?;
    }
    resolve_implicit_references(&mut tables);
    Ok(tables.into_schema())
}

fn table_names(conn: &Connection) -> Result<Vec<String>, IntrospectError> {
    let what = || "listing tables in sqlite_schema".to_owned();
    let mut statement = conn
        .prepare("select name from sqlite_schema where type = 'table' order by name")
        .context(what)?;
    let names = statement
        .query_map([], |row| row.get::<_, String>(0))
        .context(what)?
        .collect::<Result<Vec<_>, _>>()
        .context(what)?;
    Ok(names
        .into_iter()
        .filter(|name| is_user_table(name))
        .collect())
}

/// Not SQLite's, D1's (`_cf_KV`, `_cf_METADATA`) or wrangler's migration bookkeeping.
fn is_user_table(name: &str) -> bool {
    !name.starts_with("sqlite_") && !name.starts_with("_cf_") && name != "d1_migrations"
}

fn read_columns(conn: &Connection, table: &str, out: &mut DbTable) -> Result<(), IntrospectError> {
    let what = || format!("reading the columns of `{table}` (pragma_table_info)");
    let mut statement = conn
        .prepare(
            "select name, type, \"notnull\", dflt_value is not null, pk \
             from pragma_table_info(?1) order by cid",
        )
        .context(what)?;
    let rows = statement
        .query_map([table], |row| {
            Ok((
                DbColumn {
                    name: row.get(0)?,
                    ty: row.get::<_, String>(1)?.trim().to_lowercase(),
                    nullable: row.get::<_, i64>(2)? == 0,
                    has_default: row.get(3)?,
                },
                row.get::<_, i64>(4)?,
            ))
        })
        .context(what)?
        .collect::<Result<Vec<_>, _>>()
        .context(what)?;
    let mut key: Vec<(i64, String)> = rows
        .iter()
        .filter(|(_, pk)| *pk > 0)
        .map(|(column, pk)| (*pk, column.name.clone()))
        .collect();
    key.sort();
    out.primary_key = key.into_iter().map(|(_, name)| name).collect();
    out.columns = rows.into_iter().map(|(column, _)| column).collect();
    Ok(())
}

fn read_indexes(conn: &Connection, table: &str, out: &mut DbTable) -> Result<(), IntrospectError> {
    let what = || format!("reading the indexes of `{table}` (pragma_index_list)");
    let mut statement = conn
        .prepare(
            "select name, \"unique\" from pragma_index_list(?1) \
             where origin <> 'pk' order by name",
        )
        .context(what)?;
    let indexes = statement
        .query_map([table], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? != 0))
        })
        .context(what)?
        .collect::<Result<Vec<_>, _>>()
        .context(what)?;
    for (name, unique) in indexes {
        let what = || format!("reading the columns of index `{name}` (pragma_index_info)");
        let mut statement = conn
            .prepare("select name from pragma_index_info(?1) order by seqno")
            .context(what)?;
        let columns = statement
            .query_map([&name], |row| row.get::<_, Option<String>>(0))
            .context(what)?
            .map(|column| column.map(|c| c.unwrap_or_else(|| EXPRESSION.to_owned())))
            .collect::<Result<Vec<_>, _>>()
            .context(what)?;
        out.indexes.insert(DbIndex {
            columns,
            unique,
            name: Some(name),
        });
    }
    Ok(())
}

/// Stands for a key part that is an expression, not a column.
const EXPRESSION: &str = "<expression>";

fn read_foreign_keys(
    conn: &Connection,
    table: &str,
    out: &mut DbTable,
) -> Result<(), IntrospectError> {
    let what = || format!("reading the foreign keys of `{table}` (pragma_foreign_key_list)");
    let mut statement = conn
        .prepare(
            "select id, \"table\", \"from\", \"to\", on_delete \
             from pragma_foreign_key_list(?1) order by id, seq",
        )
        .context(what)?;
    let rows = statement
        .query_map([table], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, String>(4)?,
            ))
        })
        .context(what)?
        .collect::<Result<Vec<_>, _>>()
        .context(what)?;
    let mut keys: BTreeMap<i64, DbForeignKey> = BTreeMap::new();
    for (id, target, from, to, on_delete) in rows {
        let key = keys.entry(id).or_insert_with(|| DbForeignKey {
            columns: Vec::new(),
            table: target,
            referenced: Vec::new(),
            on_delete: on_delete.to_lowercase(),
        });
        key.columns.push(from);
        // `references t` without columns means t's primary key; filled in once all are read.
        key.referenced.push(to.unwrap_or_default());
    }
    out.foreign_keys.extend(keys.into_values());
    Ok(())
}

/// `references t` (no column list) refers to t's primary key, which pragma_foreign_key_list
/// reports as NULL.
fn resolve_implicit_references(tables: &mut Tables) {
    let keys: BTreeMap<String, Vec<String>> = tables
        .0
        .iter()
        .map(|(name, table)| (name.clone(), table.primary_key.clone()))
        .collect();
    for table in tables.0.values_mut() {
        if !table
            .foreign_keys
            .iter()
            .any(|k| k.referenced.iter().any(String::is_empty))
        {
            continue;
        }
        table.foreign_keys = std::mem::take(&mut table.foreign_keys)
            .into_iter()
            .map(|mut key| {
                if let Some(primary) = keys.get(&key.table)
                    && key.referenced.iter().all(String::is_empty)
                    && primary.len() == key.referenced.len()
                {
                    key.referenced.clone_from(primary);
                }
                key
            })
            .collect();
    }
}

#[cfg(test)]
mod tests;
