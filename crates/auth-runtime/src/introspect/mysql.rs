//! MySQL 8 and MariaDB through `information_schema`. Every text column is cast to `char` and every
//! number to `signed`: both servers type some of these columns as binary strings or unsigned
//! integers of varying width, which would otherwise not decode.

use std::collections::BTreeSet;

use auth_core::sql::{DbColumn, DbForeignKey, DbIndex, DbSchema};
use sqlx::MySqlPool;
use sqlx::mysql::MySqlRow;

use super::{IntrospectError, Tables};

const TABLES: &str = "
select cast(TABLE_NAME as char)
from information_schema.TABLES
where TABLE_SCHEMA = database() and TABLE_TYPE = 'BASE TABLE'
order by 1";

const COLUMNS: &str = "
select cast(TABLE_NAME as char), cast(COLUMN_NAME as char), cast(COLUMN_TYPE as char),
  cast(IS_NULLABLE as char), cast(COLUMN_DEFAULT as char), cast(EXTRA as char)
from information_schema.COLUMNS
where TABLE_SCHEMA = database()
order by TABLE_NAME, ORDINAL_POSITION";

/// MariaDB only (MySQL's `CHECK_CONSTRAINTS` has no `TABLE_NAME`, and MySQL has a real `json`).
const CHECKS: &str = "
select cast(TABLE_NAME as char), cast(CONSTRAINT_NAME as char), cast(CHECK_CLAUSE as char)
from information_schema.CHECK_CONSTRAINTS
where CONSTRAINT_SCHEMA = database()";

/// Rows without a column name (MySQL's functional key parts) read as their expression.
const INDEXES: &str = "
select cast(TABLE_NAME as char), cast(INDEX_NAME as char), cast(NON_UNIQUE as signed),
  cast(coalesce(COLUMN_NAME, EXPRESSION) as char)
from information_schema.STATISTICS
where TABLE_SCHEMA = database()
order by TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX";

/// MariaDB's `STATISTICS` has no `EXPRESSION` column.
const INDEXES_MARIADB: &str = "
select cast(TABLE_NAME as char), cast(INDEX_NAME as char), cast(NON_UNIQUE as signed),
  cast(COLUMN_NAME as char)
from information_schema.STATISTICS
where TABLE_SCHEMA = database()
order by TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX";

const FOREIGN_KEYS: &str = "
select cast(k.TABLE_NAME as char), cast(k.CONSTRAINT_NAME as char), cast(k.COLUMN_NAME as char),
  cast(k.REFERENCED_TABLE_NAME as char), cast(k.REFERENCED_COLUMN_NAME as char),
  cast(r.DELETE_RULE as char)
from information_schema.KEY_COLUMN_USAGE k
join information_schema.REFERENTIAL_CONSTRAINTS r
  on r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA and r.TABLE_NAME = k.TABLE_NAME
  and r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
where k.TABLE_SCHEMA = database() and k.REFERENCED_TABLE_NAME is not null
order by k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION";

/// The base tables of the connection's current database (`DATABASE()`).
///
/// Types are `COLUMN_TYPE` with integer display widths dropped (`int(11)` → `integer`,
/// `bigint(20)` → `bigint`), `tinyint(1)` read as `boolean` and MariaDB's `json` (a `longtext`
/// with a `json_valid` check) as `json`. Indexes leave out the primary key and the indexes InnoDB
/// made for foreign keys (named after their constraint).
pub async fn mysql(pool: &MySqlPool) -> Result<DbSchema, IntrospectError> {
    let version: Vec<(String,)> = rows(pool, "select cast(version() as char)", "version").await?;
    let mariadb = version.iter().any(|(v,)| v.contains("MariaDB"));
    let names: Vec<(String,)> = rows(pool, TABLES, "tables").await?;
    let mut tables = Tables::new(names.into_iter().map(|(name,)| name));
    read_columns(pool, mariadb, &mut tables).await?;
    let key_names = read_foreign_keys(pool, &mut tables).await?;
    read_indexes(pool, mariadb, &key_names, &mut tables).await?;
    Ok(tables.into_schema())
}

async fn read_columns(
    pool: &MySqlPool,
    mariadb: bool,
    tables: &mut Tables,
) -> Result<(), IntrospectError> {
    // (table, column) of MariaDB `json` columns: the check is named after its column.
    let mut json_columns = BTreeSet::new();
    if mariadb {
        let checks: Vec<(String, String, String)> = rows(pool, CHECKS, "check constraints").await?;
        for (table, name, clause) in checks {
            if is_json_check(&name, &clause) {
                json_columns.insert((table, name));
            }
        }
    }
    let columns: Vec<(String, String, String, String, Option<String>, String)> =
        rows(pool, COLUMNS, "columns").await?;
    for (table_name, name, column_type, nullable, default, extra) in columns {
        let json = json_columns.contains(&(table_name.clone(), name.clone()));
        let Some(table) = tables.get(&table_name) else {
            continue;
        };
        table.columns.push(DbColumn {
            ty: normalise_type(&column_type, json),
            nullable: nullable == "YES",
            // MariaDB reports a nullable column without a default as `NULL` (a string default
            // `'NULL'` reads quoted), and a NOT NULL one without a default as SQL NULL.
            has_default: default.is_some_and(|d| d != "NULL")
                || extra.to_ascii_lowercase().contains("auto_increment"),
            name,
        });
    }
    Ok(())
}

/// Reads the foreign keys; returns their (table, constraint name)s, which InnoDB also gives the
/// indexes it makes for them.
async fn read_foreign_keys(
    pool: &MySqlPool,
    tables: &mut Tables,
) -> Result<BTreeSet<(String, String)>, IntrospectError> {
    let parts: Vec<(String, String, String, String, String, String)> =
        rows(pool, FOREIGN_KEYS, "foreign keys").await?;
    let mut names = BTreeSet::new();
    for ((table_name, constraint), parts) in group(parts, |p| (p.0.clone(), p.1.clone())) {
        names.insert((table_name.clone(), constraint));
        let (Some(table), Some(first)) = (tables.get(&table_name), parts.first()) else {
            continue;
        };
        let key = DbForeignKey {
            columns: parts.iter().map(|p| p.2.clone()).collect(),
            table: first.3.clone(),
            referenced: parts.iter().map(|p| p.4.clone()).collect(),
            on_delete: first.5.to_lowercase(),
        };
        table.foreign_keys.insert(key);
    }
    Ok(names)
}

async fn read_indexes(
    pool: &MySqlPool,
    mariadb: bool,
    foreign_keys: &BTreeSet<(String, String)>,
    tables: &mut Tables,
) -> Result<(), IntrospectError> {
    let sql = if mariadb { INDEXES_MARIADB } else { INDEXES };
    let parts: Vec<(String, String, i64, Option<String>)> = rows(pool, sql, "indexes").await?;
    for ((table_name, name), parts) in group(parts, |p| (p.0.clone(), p.1.clone())) {
        let Some(table) = tables.get(&table_name) else {
            continue;
        };
        let columns = parts
            .iter()
            .map(|p| p.3.clone().unwrap_or_default())
            .collect();
        if name == "PRIMARY" {
            table.primary_key = columns;
        } else if !foreign_keys.contains(&(table_name, name.clone())) {
            table.indexes.insert(DbIndex {
                columns,
                unique: parts.iter().all(|p| p.2 == 0),
                name: Some(name),
            });
        }
    }
    Ok(())
}

/// Runs of consecutive rows with the same key (the queries order by it).
fn group<R, K: PartialEq>(rows: Vec<R>, key: impl Fn(&R) -> K) -> Vec<(K, Vec<R>)> {
    let mut groups: Vec<(K, Vec<R>)> = Vec::new();
    for row in rows {
        let k = key(&row);
        match groups.last_mut() {
            Some((last, members)) if *last == k => members.push(row),
            _ => groups.push((k, vec![row])),
        }
    }
    groups
}

async fn rows<R>(pool: &MySqlPool, sql: &'static str, what: &str) -> Result<Vec<R>, IntrospectError>
where
    R: for<'r> sqlx::FromRow<'r, MySqlRow> + Send + Unpin,
{
    sqlx::query_as::<_, R>(sql)
        .fetch_all(pool)
        .await
        .map_err(|source| IntrospectError::Database {
            database: "MySQL",
            context: format!("reading the {what} of the current database"),
            source,
        })
}

/// MariaDB's `json` is `longtext` plus `constraint <column> check (json_valid(<column>))`.
fn is_json_check(name: &str, clause: &str) -> bool {
    let clause = clause.trim().to_ascii_lowercase();
    let column = name.to_ascii_lowercase();
    clause == format!("json_valid(`{}`)", column.replace('`', "``"))
        || clause == format!("json_valid({column})")
}

/// `COLUMN_TYPE` to the spelling our DDL writes.
fn normalise_type(column_type: &str, json: bool) -> String {
    let ty = column_type.trim().to_ascii_lowercase();
    if json && ty == "longtext" {
        return "json".to_owned();
    }
    if ty == "tinyint(1)" {
        return "boolean".to_owned();
    }
    // Display widths (`int(11)`, MySQL 5.7 and MariaDB) mean nothing; keep `unsigned` etc.
    let (base, rest) = ty
        .split_once(' ')
        .map_or((ty.as_str(), ""), |(b, r)| (b, r));
    let base = base
        .split_once('(')
        .filter(|(name, _)| matches!(*name, "int" | "integer" | "bigint"))
        .map_or(base, |(name, _)| name);
    let base = match base {
        "int" => "integer",
        other => other,
    };
    if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base} {rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::{is_json_check, normalise_type};

    #[test]
    fn normalises_column_types() {
        let cases = [
            ("int(11)", false, "integer"),
            ("int", false, "integer"),
            ("bigint(20)", false, "bigint"),
            ("bigint", false, "bigint"),
            ("int(10) unsigned", false, "integer unsigned"),
            ("tinyint(1)", false, "boolean"),
            ("tinyint(4)", false, "tinyint(4)"),
            ("varchar(255)", false, "varchar(255)"),
            ("datetime(3)", false, "datetime(3)"),
            ("text", false, "text"),
            ("json", false, "json"),
            ("longtext", true, "json"),
            ("longtext", false, "longtext"),
        ];
        for (from, json, to) in cases {
            assert_eq!(normalise_type(from, json), to, "{from}");
        }
    }

    #[test]
    fn recognises_mariadb_json_checks() {
        assert!(is_json_check("metadata", "json_valid(`metadata`)"));
        assert!(!is_json_check("metadata", "json_valid(`other`)"));
        assert!(!is_json_check("n", "`n` >= 0"));
    }
}
