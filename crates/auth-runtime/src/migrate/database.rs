//! One connection to the database named by a [`DatabaseUrl`], and the run shared by all engines:
//! lock, read the bookkeeping, plan, run each file, unlock.

use std::time::Instant;

use auth_core::Dialect;
use auth_core::sql::DbSchema;
use rusqlite::{Connection as SqliteConnection, OpenFlags};
use sqlx::{Connection as _, MySqlConnection, PgConnection};

use super::plan::{self, Entry, Step};
use super::{
    Applied, Context as _, DatabaseUrl, MigrateError, Migration, Migrations, Record, Summary,
};

/// What each engine does its own way.
pub(super) trait Engine {
    /// Keeps other runs out until [`Engine::unlock`].
    async fn lock(&mut self) -> Result<(), MigrateError>;
    async fn unlock(&mut self) -> Result<(), MigrateError>;
    /// The bookkeeping rows in version order; with `create`, the table is created if missing
    /// (otherwise a missing table means none).
    async fn records(&mut self, create: bool) -> Result<Vec<Record>, MigrateError>;
    /// Runs a file (or its rest) and records it; returns how many statements ran.
    async fn run(&mut self, step: Step<'_>) -> Result<usize, MigrateError>;
}

/// An open connection to a database named by a [`DatabaseUrl`].
#[derive(Debug)]
pub enum Database {
    /// Foreign keys enforced (`PRAGMA foreign_keys = ON`).
    Sqlite(SqliteConnection),
    /// PostgreSQL.
    Postgres {
        /// The connection.
        connection: PgConnection,
        /// Its URL.
        url: DatabaseUrl,
    },
    /// MySQL or MariaDB.
    Mysql {
        /// The connection.
        connection: MySqlConnection,
        /// Its URL.
        url: DatabaseUrl,
    },
}

impl Database {
    /// Connects to an existing database (an SQLite file must exist).
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, MigrateError> {
        Self::open(url, false).await
    }

    /// Connects, creating an SQLite file that does not exist yet.
    pub async fn connect_or_create(url: &DatabaseUrl) -> Result<Self, MigrateError> {
        Self::open(url, true).await
    }

    async fn open(url: &DatabaseUrl, create: bool) -> Result<Self, MigrateError> {
        let what = || format!("cannot connect to {url}");
        match url {
            DatabaseUrl::Sqlite(path) => {
                let memory = path.as_os_str() == ":memory:";
                if !create && !memory && !path.exists() {
                    return Err(MigrateError::NoSqliteFile(path.clone()));
                }
                let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                if create {
                    flags |= OpenFlags::SQLITE_OPEN_CREATE;
                }
                let connection = SqliteConnection::open_with_flags(path, flags)
                    .context(|| format!("cannot open SQLite database {}", path.display()))?;
                connection
                    .execute_batch("pragma foreign_keys = on")
                    .context(|| "enabling foreign keys (PRAGMA foreign_keys = ON)".to_owned())?;
                Ok(Self::Sqlite(connection))
            }
            DatabaseUrl::Postgres(raw) => Ok(Self::Postgres {
                connection: PgConnection::connect(raw).await.context(what)?,
                url: url.clone(),
            }),
            DatabaseUrl::Mysql(raw) => Ok(Self::Mysql {
                connection: MySqlConnection::connect(raw).await.context(what)?,
                url: url.clone(),
            }),
        }
    }

    /// The connected database's dialect.
    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres { .. } => Dialect::Postgres,
            Self::Mysql { .. } => Dialect::Mysql,
        }
    }

    /// Applies the pending files in version order (resuming a partly applied MySQL file first),
    /// calling `on_applied` after each. Refuses, before applying anything, when
    /// [`plan::plan`] finds problems. A failed file stops the run; those before it stay applied.
    pub async fn apply(
        &mut self,
        migrations: &Migrations,
        on_applied: &mut dyn FnMut(&Applied),
    ) -> Result<Summary, MigrateError> {
        self.check_dialect(migrations)?;
        match self {
            Self::Sqlite(connection) => apply_with(connection, migrations, on_applied).await,
            Self::Postgres { connection, .. } => {
                apply_with(connection, migrations, on_applied).await
            }
            Self::Mysql { connection, .. } => apply_with(connection, migrations, on_applied).await,
        }
    }

    /// Where every file stands. Reads only: creates neither the database nor the bookkeeping
    /// table.
    pub async fn status(&mut self, migrations: &Migrations) -> Result<Vec<Entry>, MigrateError> {
        self.check_dialect(migrations)?;
        let records = match self {
            Self::Sqlite(connection) => connection.records(false).await?,
            Self::Postgres { connection, .. } => connection.records(false).await?,
            Self::Mysql { connection, .. } => connection.records(false).await?,
        };
        Ok(plan::status(migrations, &records))
    }

    /// The bookkeeping rows, in version order. Reads only: a missing table means none.
    pub async fn applied(&mut self) -> Result<Vec<Record>, MigrateError> {
        match self {
            Self::Sqlite(connection) => connection.records(false).await,
            Self::Postgres { connection, .. } => connection.records(false).await,
            Self::Mysql { connection, .. } => connection.records(false).await,
        }
    }

    /// Records `baseline` as applied without running anything (`auth-cli migrate baseline`: its
    /// file holds no statement), creating the bookkeeping table. Refuses, under the migration
    /// lock, when the database has recorded any migration.
    pub async fn record_baseline(&mut self, baseline: &Migration) -> Result<(), MigrateError> {
        match self {
            Self::Sqlite(connection) => record_baseline_with(connection, baseline).await,
            Self::Postgres { connection, .. } => record_baseline_with(connection, baseline).await,
            Self::Mysql { connection, .. } => record_baseline_with(connection, baseline).await,
        }
    }

    /// The database's tables (PostgreSQL: those of `current_schema()`, normally `public`).
    pub async fn introspect(&mut self) -> Result<DbSchema, MigrateError> {
        match self {
            Self::Sqlite(connection) => Ok(crate::introspect::sqlite(connection)?),
            Self::Postgres { connection, url } => {
                let schema: Option<String> = sqlx::query_scalar("select current_schema()::text")
                    .fetch_one(&mut *connection)
                    .await
                    .context(|| "reading current_schema()".to_owned())?;
                let pool = single_pool::<sqlx::Postgres>(url).await?;
                let result =
                    crate::introspect::postgres(&pool, schema.as_deref().unwrap_or("public")).await;
                pool.close().await;
                Ok(result?)
            }
            Self::Mysql { url, .. } => {
                let pool = single_pool::<sqlx::MySql>(url).await?;
                let result = crate::introspect::mysql(&pool).await;
                pool.close().await;
                Ok(result?)
            }
        }
    }

    /// Closes the connection politely.
    pub async fn close(self) {
        match self {
            Self::Sqlite(connection) => drop(connection.close()),
            Self::Postgres { connection, .. } => drop(connection.close().await),
            Self::Mysql { connection, .. } => drop(connection.close().await),
        }
    }

    fn check_dialect(&self, migrations: &Migrations) -> Result<(), MigrateError> {
        if migrations.dialect == self.dialect() {
            Ok(())
        } else {
            Err(MigrateError::DialectMismatch {
                dir: migrations.dir.clone(),
                found: migrations.dialect,
                database: self.dialect(),
            })
        }
    }
}

/// The introspection functions take a pool; one connection is all they need.
async fn single_pool<DB: sqlx::Database>(
    url: &DatabaseUrl,
) -> Result<sqlx::Pool<DB>, MigrateError> {
    let raw = match url {
        DatabaseUrl::Postgres(raw) | DatabaseUrl::Mysql(raw) => raw.as_str(),
        DatabaseUrl::Sqlite(_) => return Err(MigrateError::Url(url.to_string())),
    };
    sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(1)
        .connect(raw)
        .await
        .context(|| format!("cannot connect to {url}"))
}

async fn record_baseline_with<E: Engine>(
    engine: &mut E,
    baseline: &Migration,
) -> Result<(), MigrateError> {
    engine.lock().await?;
    let result = record_baseline_locked(engine, baseline).await;
    let unlocked = engine.unlock().await;
    result?;
    unlocked
}

async fn record_baseline_locked<E: Engine>(
    engine: &mut E,
    baseline: &Migration,
) -> Result<(), MigrateError> {
    let records = engine.records(true).await?;
    if !records.is_empty() {
        return Err(MigrateError::AlreadyManaged {
            applied: records.into_iter().map(|r| r.name).collect(),
        });
    }
    engine
        .run(Step {
            migration: baseline,
            resume_after: None,
        })
        .await?;
    Ok(())
}

async fn apply_with<E: Engine>(
    engine: &mut E,
    migrations: &Migrations,
    on_applied: &mut dyn FnMut(&Applied),
) -> Result<Summary, MigrateError> {
    let started = Instant::now();
    engine.lock().await?;
    let result = apply_locked(engine, migrations, on_applied, started).await;
    let unlocked = engine.unlock().await;
    let summary = result?;
    unlocked?;
    Ok(summary)
}

async fn apply_locked<E: Engine>(
    engine: &mut E,
    migrations: &Migrations,
    on_applied: &mut dyn FnMut(&Applied),
    started: Instant,
) -> Result<Summary, MigrateError> {
    let records = engine.records(true).await?;
    let steps = plan::plan(migrations, &records)?;
    let mut applied = Vec::new();
    for step in steps {
        let file_started = Instant::now();
        let statements = engine.run(step).await?;
        let done = Applied {
            name: step.migration.name.clone(),
            statements,
            resumed_after: step.resume_after,
            elapsed: file_started.elapsed(),
        };
        on_applied(&done);
        applied.push(done);
    }
    Ok(Summary {
        applied,
        up_to_date: records.iter().filter(|r| r.complete).count(),
        elapsed: started.elapsed(),
    })
}
