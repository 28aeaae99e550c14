//! MySQL and MariaDB: every DDL statement commits by itself, so a file cannot be undone. Its
//! bookkeeping row is written (incomplete) before the first statement and counts the statements
//! done after each one; a failed file resumes after them on the next run, and is marked complete
//! at the end. A file whose first statement fails is forgotten again (nothing of it ran), so it
//! may still be corrected. `GET_LOCK` keeps concurrent runs apart for the whole run.

use auth_core::Dialect;
use sqlx::{AssertSqlSafe, MySqlConnection};

use super::database::Engine;
use super::plan::Step;
use super::{
    Aftermath, Context as _, MIGRATIONS_TABLE, MigrateError, Record, database_message, record,
    statement_error,
};

/// The user-level lock of migration runs (`GET_LOCK` names are server-wide).
pub const LOCK: &str = "auth_migrations";
/// Seconds to wait for another run to finish.
const LOCK_WAIT: i64 = 60;

/// `{table}` stands for the quoted bookkeeping table.
fn sql(template: &str) -> AssertSqlSafe<String> {
    AssertSqlSafe(template.replace("{table}", &Dialect::Mysql.quote(MIGRATIONS_TABLE)))
}

const CREATE: &str = "create table if not exists {table} (
  `version` integer not null primary key,
  `name` varchar(255) not null,
  `checksum` char(64) not null,
  `applied_at` datetime(3) not null,
  `statements_done` integer not null,
  `complete` boolean not null
) engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin";

/// Text and numbers cast as in `introspect::mysql`, which decode alike on MySQL and MariaDB.
const SELECT: &str = "select cast(`version` as signed), cast(`name` as char),
  cast(`checksum` as char),
  cast(concat(date_format(`applied_at`, '%Y-%m-%dT%H:%i:%s.'),
    lpad(floor(microsecond(`applied_at`) / 1000), 3, '0'), 'Z') as char),
  cast(`statements_done` as signed), cast(`complete` as signed)
from {table} order by `version`";

const START: &str = "insert into {table}
  (`version`, `name`, `checksum`, `applied_at`, `statements_done`, `complete`)
values (?, ?, ?, utc_timestamp(3), 0, false)";

const FORGET: &str = "delete from {table} where `version` = ?";

const PROGRESS: &str = "update {table} set `statements_done` = ? where `version` = ?";

const FINISH: &str =
    "update {table} set `complete` = true, `applied_at` = utc_timestamp(3) where `version` = ?";

type Row = (i64, String, String, String, i64, i64);

impl Engine for MySqlConnection {
    async fn lock(&mut self) -> Result<(), MigrateError> {
        let got: Option<i64> = sqlx::query_scalar("select cast(get_lock(?, ?) as signed)")
            .bind(LOCK)
            .bind(LOCK_WAIT)
            .fetch_one(&mut *self)
            .await
            .context(|| format!("taking the migration lock (GET_LOCK('{LOCK}'))"))?;
        if got == Some(1) {
            Ok(())
        } else {
            Err(MigrateError::Locked(format!(
                "another migration run has held the lock GET_LOCK('{LOCK}') on this server for \
                 {LOCK_WAIT} s; run `auth-cli migrate apply` again once it is done"
            )))
        }
    }

    async fn unlock(&mut self) -> Result<(), MigrateError> {
        sqlx::query("select release_lock(?)")
            .bind(LOCK)
            .execute(&mut *self)
            .await
            .context(|| format!("releasing the migration lock (RELEASE_LOCK('{LOCK}'))"))?;
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
            let tables: i64 = sqlx::query_scalar(
                "select cast(count(*) as signed) from information_schema.TABLES \
                 where TABLE_SCHEMA = database() and TABLE_NAME = ?",
            )
            .bind(MIGRATIONS_TABLE)
            .fetch_one(&mut *self)
            .await
            .context(what)?;
            if tables == 0 {
                return Ok(Vec::new());
            }
        }
        let rows: Vec<Row> = sqlx::query_as(sql(SELECT))
            .fetch_all(&mut *self)
            .await
            .context(what)?;
        rows.into_iter()
            .map(|(v, n, c, at, done, complete)| record(v, n, c, at, done, complete != 0))
            .collect()
    }

    async fn run(&mut self, step: Step<'_>) -> Result<usize, MigrateError> {
        let migration = step.migration;
        let version = i64::from(migration.version);
        let record_what = || format!("recording {} in {MIGRATIONS_TABLE}", migration.name);
        let first = match step.resume_after {
            Some(done) => done,
            None => {
                sqlx::query(sql(START))
                    .bind(version)
                    .bind(&migration.name)
                    .bind(&migration.checksum)
                    .execute(&mut *self)
                    .await
                    .context(record_what)?;
                0
            }
        };
        let statements = migration.statements.get(first..).unwrap_or_default();
        for (offset, statement) in statements.iter().enumerate() {
            let index = first + offset;
            if let Err(error) = sqlx::raw_sql(AssertSqlSafe(statement.sql.clone()))
                .execute(&mut *self)
                .await
            {
                if index == 0 {
                    // Nothing ran: forget the file, so that it may still be corrected.
                    sqlx::query(sql(FORGET))
                        .bind(version)
                        .execute(&mut *self)
                        .await
                        .context(record_what)?;
                }
                return Err(statement_error(
                    migration,
                    index,
                    database_message(&error),
                    Aftermath::Partial { done: index },
                ));
            }
            sqlx::query(sql(PROGRESS))
                .bind(i64::try_from(index + 1).unwrap_or(i64::MAX))
                .bind(version)
                .execute(&mut *self)
                .await
                .context(record_what)?;
        }
        sqlx::query(sql(FINISH))
            .bind(version)
            .execute(&mut *self)
            .await
            .context(record_what)?;
        Ok(statements.len())
    }
}
