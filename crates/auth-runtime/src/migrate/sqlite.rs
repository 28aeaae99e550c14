//! SQLite: each file in one `BEGIN IMMEDIATE` transaction with its bookkeeping row; foreign keys
//! are enforced, a file may defer them (`PRAGMA defer_foreign_keys = 1`), and
//! `PRAGMA foreign_key_check` must find nothing before `COMMIT`.
//!
//! No lock spans the run: `BEGIN IMMEDIATE` serialises writers, and a file recorded by another
//! process in the meantime is noticed inside the transaction.

use auth_core::Dialect;
use rusqlite::{Connection, OptionalExtension as _, params};

use super::database::Engine;
use super::plan::Step;
use super::{
    Aftermath, Context as _, MIGRATIONS_TABLE, MigrateError, Record, record, statement_error,
};

/// `{table}` stands for the quoted bookkeeping table.
fn sql(template: &str) -> String {
    template.replace("{table}", &Dialect::Sqlite.quote(MIGRATIONS_TABLE))
}

const CREATE: &str = r#"create table if not exists {table} (
  "version" integer not null primary key,
  "name" text not null,
  "checksum" text not null,
  "applied_at" text not null,
  "statements_done" integer not null,
  "complete" integer not null
)"#;

const SELECT: &str = r#"select "version", "name", "checksum", "applied_at", "statements_done", "complete"
from {table} order by "version""#;

const INSERT: &str = r#"insert into {table}
  ("version", "name", "checksum", "applied_at", "statements_done", "complete")
values (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?4, 1)"#;

/// Lists at most this many foreign key violations.
const SHOWN_VIOLATIONS: usize = 20;

impl Engine for Connection {
    async fn lock(&mut self) -> Result<(), MigrateError> {
        Ok(())
    }

    async fn unlock(&mut self) -> Result<(), MigrateError> {
        Ok(())
    }

    async fn records(&mut self, create: bool) -> Result<Vec<Record>, MigrateError> {
        let what = || format!("reading {MIGRATIONS_TABLE}");
        if create {
            self.execute_batch(&sql(CREATE))
                .context(|| format!("creating {MIGRATIONS_TABLE}"))?;
        } else {
            let exists: bool = self
                .query_row(
                    "select count(*) > 0 from sqlite_schema where type = 'table' and name = ?1",
                    [MIGRATIONS_TABLE],
                    |row| row.get(0),
                )
                .context(what)?;
            if !exists {
                return Ok(Vec::new());
            }
        }
        let mut statement = self.prepare(&sql(SELECT)).context(what)?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, i64>(5)? != 0,
                ))
            })
            .context(what)?
            .collect::<Result<Vec<_>, _>>()
            .context(what)?;
        rows.into_iter()
            .map(|(v, n, c, at, done, complete)| record(v, n, c, at, done, complete))
            .collect()
    }

    async fn run(&mut self, step: Step<'_>) -> Result<usize, MigrateError> {
        let migration = step.migration;
        if step.resume_after.is_some() {
            return Err(MigrateError::BadRecord(format!(
                "{} is recorded as incomplete, which only MySQL leaves",
                migration.name
            )));
        }
        self.execute_batch("begin immediate")
            .context(|| format!("starting the transaction for {}", migration.name))?;
        let result = run_in_transaction(self, step);
        if result.is_err() && !self.is_autocommit() {
            // The error being reported matters more than a failed rollback (the connection
            // closes right after, which rolls back anyway).
            let _ = self.execute_batch("rollback");
        }
        result
    }
}

fn run_in_transaction(connection: &Connection, step: Step<'_>) -> Result<usize, MigrateError> {
    let migration = step.migration;
    let recorded = connection
        .query_row(
            &sql(r#"select 1 from {table} where "version" = ?1"#),
            [migration.version],
            |_| Ok(()),
        )
        .optional()
        .context(|| format!("reading {MIGRATIONS_TABLE}"))?;
    if recorded.is_some() {
        return Err(MigrateError::Concurrent {
            name: migration.name.clone(),
        });
    }
    for (index, statement) in migration.statements.iter().enumerate() {
        connection.execute_batch(&statement.sql).map_err(|error| {
            statement_error(migration, index, error.to_string(), Aftermath::RolledBack)
        })?;
    }
    let violations = foreign_key_violations(connection)?;
    if !violations.is_empty() {
        return Err(MigrateError::ForeignKeys {
            name: migration.name.clone(),
            path: migration.path.clone(),
            violations,
        });
    }
    let total = migration.statements.len();
    connection
        .execute(
            &sql(INSERT),
            params![
                migration.version,
                migration.name,
                migration.checksum,
                i64::try_from(total).unwrap_or(i64::MAX)
            ],
        )
        .context(|| format!("recording {} in {MIGRATIONS_TABLE}", migration.name))?;
    connection
        .execute_batch("commit")
        .context(|| format!("committing {}", migration.name))?;
    Ok(total)
}

/// `PRAGMA foreign_key_check` over the whole database, one line per violation (the first
/// [`SHOWN_VIOLATIONS`], then how many more).
fn foreign_key_violations(connection: &Connection) -> Result<Vec<String>, MigrateError> {
    let what = || "running PRAGMA foreign_key_check".to_owned();
    let mut statement = connection
        .prepare(
            r#"select c."table", c.rowid, c.parent,
                 (select group_concat(k."from", ', ') from pragma_foreign_key_list(c."table") k
                  where k.id = c.fkid),
                 (select group_concat(coalesce(k."to", '<primary key>'), ', ')
                  from pragma_foreign_key_list(c."table") k where k.id = c.fkid)
               from pragma_foreign_key_check c"#,
        )
        .context(what)?;
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<i64>>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, Option<String>>(4)?,
            ))
        })
        .context(what)?
        .collect::<Result<Vec<_>, _>>()
        .context(what)?;
    let mut out: Vec<String> = rows
        .iter()
        .take(SHOWN_VIOLATIONS)
        .map(|(table, rowid, parent, from, to)| {
            let row = rowid.map_or_else(|| "a row".to_owned(), |id| format!("rowid {id}"));
            format!(
                "{table} {row}: {table}({}) references {parent}({}), which has no such row",
                from.as_deref().unwrap_or("?"),
                to.as_deref().unwrap_or("?")
            )
        })
        .collect();
    if rows.len() > SHOWN_VIOLATIONS {
        out.push(format!("and {} more", rows.len() - SHOWN_VIOLATIONS));
    }
    Ok(out)
}
