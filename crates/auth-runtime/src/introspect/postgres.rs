//! PostgreSQL through the system catalogs (`pg_class`, `pg_attribute`, `pg_index`,
//! `pg_constraint`), which, unlike `information_schema`, show every index and its key order.

use auth_core::sql::{DbColumn, DbForeignKey, DbIndex, DbSchema};
use sqlx::PgPool;
use sqlx::postgres::PgRow;

use super::{IntrospectError, Tables};

/// Ordinary and partitioned tables (not partitions) of schema `$1`.
const TABLES: &str = "
select c.relname::text
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition
order by 1";

const COLUMNS: &str = "
select c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), not a.attnotnull,
  a.attidentity <> '' or exists (
    select 1 from pg_attrdef d where d.adrelid = a.attrelid and d.adnum = a.attnum)
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = $1 and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
order by c.relname, a.attnum";

/// Every index with its key columns in order (not `include` columns); an expression key part
/// reads as its definition.
const INDEXES: &str = "
select t.relname::text, i.relname::text, x.indisprimary, x.indisunique,
  array(
    select coalesce(a.attname::text, pg_get_indexdef(x.indexrelid, k.ord::int, true))
    from unnest(x.indkey::int2[]) with ordinality as k(attnum, ord)
    left join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum and k.attnum > 0
    where k.ord <= x.indnkeyatts
    order by k.ord)
from pg_index x
join pg_class t on t.oid = x.indrelid
join pg_class i on i.oid = x.indexrelid
join pg_namespace n on n.oid = t.relnamespace
where n.nspname = $1 and t.relkind in ('r', 'p')
order by 1, 2";

const FOREIGN_KEYS: &str = "
select t.relname::text, r.relname::text, k.confdeltype::text,
  array(
    select a.attname::text
    from unnest(k.conkey) with ordinality as c(attnum, ord)
    join pg_attribute a on a.attrelid = k.conrelid and a.attnum = c.attnum
    order by c.ord),
  array(
    select a.attname::text
    from unnest(k.confkey) with ordinality as c(attnum, ord)
    join pg_attribute a on a.attrelid = k.confrelid and a.attnum = c.attnum
    order by c.ord)
from pg_constraint k
join pg_class t on t.oid = k.conrelid
join pg_class r on r.oid = k.confrelid
join pg_namespace n on n.oid = t.relnamespace
where n.nspname = $1 and k.contype = 'f'
order by 1, k.conname";

/// Table, index, primary?, unique?, key columns.
type IndexRow = (String, String, bool, bool, Vec<String>);

/// Table, referenced table, `confdeltype`, columns, referenced columns.
type ForeignKeyRow = (String, String, String, Vec<String>, Vec<String>);

/// The base tables of `schema` (usually `public`).
///
/// Types come from `format_type` with the long spellings shortened to ours (`timestamptz`,
/// `varchar(n)`, `timestamp`); identities and defaults both count as defaults; indexes include
/// those behind `unique` constraints but not the primary key's.
pub async fn postgres(pool: &PgPool, schema: &str) -> Result<DbSchema, IntrospectError> {
    let names: Vec<(String,)> = rows(pool, TABLES, schema, "tables").await?;
    let mut tables = Tables::new(names.into_iter().map(|(name,)| name));

    let columns: Vec<(String, String, String, bool, bool)> =
        rows(pool, COLUMNS, schema, "columns").await?;
    for (table, name, ty, nullable, has_default) in columns {
        if let Some(table) = tables.get(&table) {
            table.columns.push(DbColumn {
                name,
                ty: normalise_type(&ty),
                nullable,
                has_default,
            });
        }
    }

    let indexes: Vec<IndexRow> = rows(pool, INDEXES, schema, "indexes").await?;
    for (table, name, primary, unique, columns) in indexes {
        let Some(table) = tables.get(&table) else {
            continue;
        };
        if primary {
            table.primary_key = columns;
        } else {
            table.indexes.insert(DbIndex {
                columns,
                unique,
                name: Some(name),
            });
        }
    }

    let keys: Vec<ForeignKeyRow> = rows(pool, FOREIGN_KEYS, schema, "foreign keys").await?;
    for (table, target, action, columns, referenced) in keys {
        if let Some(table) = tables.get(&table) {
            table.foreign_keys.insert(DbForeignKey {
                columns,
                table: target,
                referenced,
                on_delete: on_delete(&action),
            });
        }
    }
    Ok(tables.into_schema())
}

async fn rows<R>(
    pool: &PgPool,
    sql: &'static str,
    schema: &str,
    what: &str,
) -> Result<Vec<R>, IntrospectError>
where
    R: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    sqlx::query_as::<_, R>(sql)
        .bind(schema)
        .fetch_all(pool)
        .await
        .map_err(|source| IntrospectError::Database {
            database: "PostgreSQL",
            context: format!("reading the {what} of schema `{schema}`"),
            source,
        })
}

/// `format_type`'s spelling to the one our DDL writes.
fn normalise_type(ty: &str) -> String {
    if let Some(rest) = ty.strip_prefix("character varying") {
        return format!("varchar{rest}");
    }
    // `timestamp(3) with time zone` carries its precision in the middle.
    if let Some(rest) = ty.strip_prefix("timestamp") {
        if let Some(precision) = rest.strip_suffix(" with time zone") {
            return format!("timestamptz{precision}");
        }
        if let Some(precision) = rest.strip_suffix(" without time zone") {
            return format!("timestamp{precision}");
        }
    }
    ty.to_owned()
}

/// `pg_constraint.confdeltype` to SQL.
fn on_delete(action: &str) -> String {
    match action {
        "a" => "no action",
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        other => other,
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::{normalise_type, on_delete};

    #[test]
    fn shortens_long_type_names() {
        let cases = [
            ("timestamp with time zone", "timestamptz"),
            ("timestamp(3) with time zone", "timestamptz(3)"),
            ("timestamp without time zone", "timestamp"),
            ("character varying(255)", "varchar(255)"),
            ("character varying", "varchar"),
            ("text", "text"),
            ("jsonb", "jsonb"),
            ("uuid", "uuid"),
            ("boolean", "boolean"),
        ];
        for (from, to) in cases {
            assert_eq!(normalise_type(from), to, "{from}");
        }
    }

    #[test]
    fn names_delete_actions() {
        assert_eq!(on_delete("c"), "cascade");
        assert_eq!(on_delete("n"), "set null");
        assert_eq!(on_delete("a"), "no action");
    }
}
