//! PostgreSQL: DDL is transactional, so each file runs in one transaction together with its
//! bookkeeping row; a session-level advisory lock keeps concurrent runs apart for the whole run.

use auth_core::Dialect;
use sqlx::{AssertSqlSafe, Connection as _, PgConnection};

use super::database::Engine;
use super::plan::Step;
use super::{
    Aftermath, Context as _, MIGRATIONS_TABLE, MigrateError, Record, database_message, record,
    statement_error,
};

/// The advisory lock key of migration runs: "authmigr" in ASCII.
pub const LOCK_KEY: i64 = 0x6175_7468_6d69_6772;

/// `{table}` stands for the quoted bookkeeping table.
fn sql(template: &str) -> AssertSqlSafe<String> {
    AssertSqlSafe(template.replace("{table}", &Dialect::Postgres.quote(MIGRATIONS_TABLE)))
}

const CREATE: &str = r#"create table if not exists {table} (
  "version" integer not null primary key,
  "name" text not null,
  "checksum" text not null,
  "applied_at" timestamptz not null default current_timestamp,
  "statements_done" integer not null,
  "complete" boolean not null
)"#;

const SELECT: &str = r#"select "version"::bigint, "name", "checksum",
  to_char("applied_at" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  "statements_done"::bigint, "complete"
from {table} order by "version""#;

const INSERT: &str = r#"insert into {table} ("version", "name", "checksum", "statements_done", "complete")
values ($1, $2, $3, $4, true)"#;

type Row = (i64, String, String, String, i64, bool);

impl Engine for PgConnection {
    async fn lock(&mut self) -> Result<(), MigrateError> {
        sqlx::query("select pg_advisory_lock($1)")
            .bind(LOCK_KEY)
            .execute(&mut *self)
            .await
            .context(|| "taking the migration lock (pg_advisory_lock)".to_owned())?;
        Ok(())
    }

    async fn unlock(&mut self) -> Result<(), MigrateError> {
        sqlx::query("select pg_advisory_unlock($1)")
            .bind(LOCK_KEY)
            .execute(&mut *self)
            .await
            .context(|| "releasing the migration lock (pg_advisory_unlock)".to_owned())?;
        Ok(())
    }

    async fn records(&mut self, create: bool) -> Result<Vec<Record>, MigrateError> {
        let what = || format!("reading {MIGRATIONS_TABLE}");
        if create {
            sqlx::raw_sql(sql(CREATE))
                .execute(&mut *self)
                .await
                .context(|| format!("creating {MIGRATIONS_TABLE}"))?;
        } else {
            // Resolved like the unqualified name in SELECT, through the search path.
            let exists: bool = sqlx::query_scalar("select to_regclass($1) is not null")
                .bind(Dialect::Postgres.quote(MIGRATIONS_TABLE))
                .fetch_one(&mut *self)
                .await
                .context(what)?;
            if !exists {
                return Ok(Vec::new());
            }
        }
        let rows: Vec<Row> = sqlx::query_as(sql(SELECT))
            .fetch_all(&mut *self)
            .await
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
        let mut transaction = self
            .begin()
            .await
            .context(|| format!("starting the transaction for {}", migration.name))?;
        for (index, statement) in migration.statements.iter().enumerate() {
            let result = sqlx::raw_sql(AssertSqlSafe(statement.sql.clone()))
                .execute(&mut *transaction)
                .await;
            if let Err(error) = result {
                // Dropping the transaction would roll back too; saying so keeps the connection
                // usable for the unlock that follows.
                let _ = transaction.rollback().await;
                return Err(statement_error(
                    migration,
                    index,
                    database_message(&error),
                    Aftermath::RolledBack,
                ));
            }
        }
        let total = migration.statements.len();
        sqlx::query(sql(INSERT))
            .bind(i64::from(migration.version))
            .bind(&migration.name)
            .bind(&migration.checksum)
            .bind(i64::try_from(total).unwrap_or(i64::MAX))
            .execute(&mut *transaction)
            .await
            .context(|| format!("recording {} in {MIGRATIONS_TABLE}", migration.name))?;
        transaction
            .commit()
            .await
            .context(|| format!("committing {}", migration.name))?;
        Ok(total)
    }
}
