//! The one place the runtime reads and writes rows.
//!
//! Callers speak logical names — models (`user`, `twoFactor`) and fields (`emailVerified`,
//! `userId`) — and [`Value`]s. Table names, column names and how each dialect stores a value all
//! come from the Schema IR and the codec ([`codec`]): nothing here spells a column name.
//!
//! Every insert writes every column (ids, `Now` timestamps and static defaults filled in by the
//! store), so a database adopted from better-auth, which has no SQL defaults, works as well as
//! one we created (B11).
//!
//! Layer: the store, above the wire, the errors and the database hooks; below sessions,
//! verification values and everything that serves requests.

mod codec;
pub(crate) mod id;
mod models;
mod network;
mod plan;
mod query;
mod sqlite;
pub mod totals;
mod value;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use auth_core::schema::IdStrategy;
use auth_core::schema::names::{session, user};
use auth_core::{Dialect, Schema};
use sqlx::mysql::{MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgPool, PgPoolOptions};

use codec::{Raw, Storage};
use plan::{SessionJoin, Statement, TablePlan};
use totals::{Lookup, Totals};

pub use id::{IdGenerator, RandomId};
pub(crate) use models::{Models, Output};
pub use query::{Op, Sort, SortDirection, Where};
pub use value::{Row, Timestamp, Value};
pub(crate) use value::{text, text_of};

use crate::error::ApiError;
use crate::hooks::{DatabaseHooks, Event};
use crate::migrate::DatabaseUrl;

/// What can go wrong reading or writing rows. Nothing a database holds makes the store panic.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The schema has no such model.
    #[error("unknown model `{0}`: not a table of this schema")]
    /// The model's name.
    UnknownModel(String),
    /// The model has no such field.
    #[error("model `{model}` has no field `{field}`")]
    UnknownField {
        /// The model.
        model: String,
        /// The field.
        field: String,
    },
    /// A value of the wrong type for its field.
    #[error("{model}.{field} takes {expected}, not {got}")]
    Type {
        /// The model.
        model: String,
        /// The field.
        field: String,
        /// The field's type.
        expected: &'static str,
        /// The value's type.
        got: &'static str,
    },
    /// A stored value that does not decode as its field's type.
    #[error("{model}.{field}: cannot read the stored value {found}")]
    Decode {
        /// The model.
        model: String,
        /// The field.
        field: String,
        /// The value, as the database returned it.
        found: String,
    },
    /// A unique index or primary key refused the row: the value is taken (for example a second
    /// sign-up with the same email, however concurrent).
    #[error("{model}: a unique value is already taken ({message})")]
    UniqueViolation {
        /// The model.
        model: String,
        /// The database's message.
        message: String,
    },
    #[error("{model}: the row refers to a row that does not exist ({message})")]
    /// A foreign key refused the row.
    ForeignKeyViolation {
        /// The model.
        model: String,
        /// The database's message.
        message: String,
    },
    /// The URL names another kind of database than the schema's dialect.
    #[error("{url} is a {actual} database, not {dialect}")]
    DialectMismatch {
        /// The URL.
        url: String,
        /// What the URL names.
        actual: Dialect,
        /// The dialect asked for.
        dialect: Dialect,
    },
    /// The database URL does not parse.
    #[error("{0}")]
    Url(String),
    /// SQLite refused a statement.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL or MySQL refused a statement, or the connection failed.
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// A database hook refused the write; the request answers this error.
    #[error("refused by a database hook: {}", .0.message)]
    Rejected(ApiError),
}

impl StoreError {
    /// The database failed rather than the row: unreachable, the connection lost or closed, a
    /// pool timeout (anything the engine reported that is not a constraint on the row). Retrying
    /// may succeed; the API answers 503.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Sqlx(_) | Self::Sqlite(_))
    }
}

/// How long a query waits for a pooled connection (sqlx retries connecting until then) before
/// failing with [`StoreError::Sqlx`], so a database that is down answers 503 within seconds
/// rather than after sqlx's default 30 s, which outlasts most clients' and proxies' timeouts.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How to connect.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Pool size for PostgreSQL and MySQL (default 10); number of SQLite reader connections
    /// (default: the number of CPUs).
    pub connections: Option<u32>,
    /// Produces ids when the schema's id strategy is `text` (default [`RandomId`]).
    pub ids: Arc<dyn IdGenerator>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            connections: None,
            ids: Arc::new(RandomId),
        }
    }
}

/// Reads and writes the rows of a schema's models on one database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
    hooks: Arc<DatabaseHooks>,
}

struct Inner {
    dialect: Dialect,
    id: IdStrategy,
    tables: Vec<TablePlan>,
    session_join: Option<SessionJoin>,
    ids: Arc<dyn IdGenerator>,
    backend: Backend,
    totals: Totals,
}

enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(PgPool),
    Mysql(MySqlPool),
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("dialect", &self.inner.dialect)
            .field("tables", &self.inner.tables.len())
            .finish_non_exhaustive()
    }
}

/// What a write did, as the backends report it.
struct Written {
    affected: u64,
    /// The generated key of an insert into a table with a database-generated id.
    generated: Option<i64>,
}

impl Store {
    /// A new SQLite database at `path` holding `schema` (its `create table` statements), and a
    /// store on it: for tests, examples and tools that start from nothing. A database that lives
    /// on is created and changed by migrations (`auth-cli migrate apply`, what `serve` does).
    pub async fn create_sqlite(schema: &Schema, path: &Path) -> Result<Self, StoreError> {
        rusqlite::Connection::open(path)?
            .execute_batch(&auth_core::sql::render_schema(schema, Dialect::Sqlite))?;
        Self::connect(
            schema,
            Dialect::Sqlite,
            &format!("sqlite:{}", path.display()),
        )
        .await
    }

    /// Connects with default options. `url` is `sqlite:PATH` (created if missing), `postgres://…`
    /// or `mysql://…`; `dialect` must be its engine's (`d1` reads and writes as SQLite does).
    pub async fn connect(schema: &Schema, dialect: Dialect, url: &str) -> Result<Self, StoreError> {
        Self::connect_with(schema, dialect, url, StoreOptions::default()).await
    }

    /// [`Store::connect`] with options (pool size, database hooks, id generation).
    pub async fn connect_with(
        schema: &Schema,
        dialect: Dialect,
        url: &str,
        options: StoreOptions,
    ) -> Result<Self, StoreError> {
        let parsed = DatabaseUrl::parse(url).map_err(|e| StoreError::Url(e.to_string()))?;
        let actual = parsed.dialect();
        let compatible = actual == dialect || (actual == Dialect::Sqlite && dialect == Dialect::D1);
        if !compatible {
            return Err(StoreError::DialectMismatch {
                url: parsed.to_string(),
                actual,
                dialect,
            });
        }
        let backend = match parsed {
            DatabaseUrl::Sqlite(path) => Backend::Sqlite(open_sqlite(&path, options.connections)?),
            DatabaseUrl::Postgres(url) => Backend::Postgres(
                PgPoolOptions::new()
                    .max_connections(options.connections.unwrap_or(10))
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect(&url)
                    .await?,
            ),
            DatabaseUrl::Mysql(url) => Backend::Mysql(
                MySqlPoolOptions::new()
                    .max_connections(options.connections.unwrap_or(10))
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect(&url)
                    .await?,
            ),
        };
        Self::build(schema, dialect, backend, options.ids)
    }

    /// A store on an existing PostgreSQL pool.
    pub fn from_pg_pool(schema: &Schema, pool: PgPool) -> Result<Self, StoreError> {
        Self::build(
            schema,
            Dialect::Postgres,
            Backend::Postgres(pool),
            Arc::new(RandomId),
        )
    }

    /// A store on an existing MySQL pool.
    pub fn from_mysql_pool(schema: &Schema, pool: MySqlPool) -> Result<Self, StoreError> {
        Self::build(
            schema,
            Dialect::Mysql,
            Backend::Mysql(pool),
            Arc::new(RandomId),
        )
    }

    fn build(
        schema: &Schema,
        dialect: Dialect,
        backend: Backend,
        ids: Arc<dyn IdGenerator>,
    ) -> Result<Self, StoreError> {
        let dialect = if dialect == Dialect::D1 {
            Dialect::Sqlite
        } else {
            dialect
        };
        let tables: Vec<TablePlan> = schema
            .tables
            .iter()
            .map(|table| TablePlan::new(schema, table, dialect))
            .collect();
        let find = |model: &str| tables.iter().find(|t| t.model == model);
        let session_join = match (find(session::MODEL), find(user::MODEL)) {
            (Some(session), Some(user)) => Some(SessionJoin::new(dialect, session, user)?),
            _ => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                dialect,
                id: schema.id,
                tables,
                session_join,
                ids,
                backend,
                totals: Totals::new(schema),
            }),
            hooks: Arc::default(),
        })
    }

    /// The same store, running `hooks` around every creation and update.
    pub fn with_hooks(self, hooks: DatabaseHooks) -> Self {
        Self {
            hooks: Arc::new(hooks),
            ..self
        }
    }

    /// The hooks this store runs, also run around rows kept outside the database.
    pub(crate) fn hooks(&self) -> &DatabaseHooks {
        &self.hooks
    }

    /// The dialect whose codec this store uses (`d1` reads and writes as `sqlite`).
    pub fn dialect(&self) -> Dialect {
        self.inner.dialect
    }

    fn table(&self, model: &str) -> Result<&TablePlan, StoreError> {
        self.inner
            .tables
            .iter()
            .find(|t| t.model == model)
            .ok_or_else(|| StoreError::UnknownModel(model.to_owned()))
    }

    /// Inserts a row and returns it as written: with its id (generated when the schema's ids
    /// are `text` or `uuid` and none is given, read back when the database generates it),
    /// `Now` columns and `on_update_now` columns at the current time, and static defaults for
    /// every field not given. Every column is written. Runs the model's create hooks.
    pub async fn insert(&self, model: &str, row: Row) -> Result<Row, StoreError> {
        let table = self.table(model)?;
        let row = self
            .hooks
            .before(model, Event::Create, row)
            .await
            .map_err(StoreError::Rejected)?;
        let out = self.insert_row(table, row).await?;
        self.hooks.after(model, Event::Create, &out).await;
        Ok(out)
    }

    async fn insert_row(&self, table: &TablePlan, mut row: Row) -> Result<Row, StoreError> {
        let model = table.model.as_str();
        reject_unknown(table, &row)?;
        let now = Timestamp::now();
        let mut values = Vec::with_capacity(table.columns.len());
        let mut generated_key = None;
        for (i, column) in table.columns.iter().enumerate() {
            let value = if let Some(value) = row.remove(&column.field) {
                value
            } else if column.primary_key {
                match self.inner.id {
                    IdStrategy::Text => Value::String(self.inner.ids.generate(model)),
                    IdStrategy::Uuid => Value::String(crate::wire::id::uuid_v4()),
                    IdStrategy::Serial => {
                        generated_key = Some(column);
                        continue;
                    }
                }
            } else if let Some(default) = &column.default {
                codec::default_value(column.storage.ty, default, now)
            } else if column.on_update_now {
                Value::Date(now)
            } else {
                Value::Null
            };
            values.push((i, value));
        }
        let statement = plan::insert(self.inner.dialect, table, &values, generated_key)?;
        let written = self
            .write(table, &statement, generated_key.is_some())
            .await?;
        let mut out: Row = values
            .into_iter()
            .filter_map(|(i, v)| table.columns.get(i).map(|c| (c.field.clone(), v)))
            .collect();
        if let (Some(column), Some(key)) = (generated_key, written.generated) {
            out.insert(column.field.clone(), Value::String(key.to_string()));
        }
        Ok(out)
    }

    /// The first row matching every condition.
    pub async fn find_one(
        &self,
        model: &str,
        conditions: &[Where],
    ) -> Result<Option<Row>, StoreError> {
        let table = self.table(model)?;
        let statement = plan::select(self.inner.dialect, table, conditions, None, Some(1), None)?;
        let rows = self.read(table, &statement).await?;
        rows.into_iter()
            .next()
            .map(|raw| decode_row(table, raw))
            .transpose()
    }

    /// The rows matching every condition, ordered and paged.
    pub async fn find_many(
        &self,
        model: &str,
        conditions: &[Where],
        sort: Option<&Sort>,
        limit: Option<u64>,
        offset: Option<u64>,
    ) -> Result<Vec<Row>, StoreError> {
        let table = self.table(model)?;
        let statement = plan::select(self.inner.dialect, table, conditions, sort, limit, offset)?;
        let rows = self.read(table, &statement).await?;
        rows.into_iter().map(|raw| decode_row(table, raw)).collect()
    }

    /// How many rows match every condition.
    pub async fn count(&self, model: &str, conditions: &[Where]) -> Result<u64, StoreError> {
        let table = self.table(model)?;
        let statement = plan::count(self.inner.dialect, table, conditions)?;
        self.run_count(table, &statement).await
    }

    /// The `total` of a list page: [`Store::count`], shared between requests with the same
    /// conditions for a moment when counting is slow ([`totals`] says what it may miss).
    pub async fn list_total(&self, model: &str, conditions: &[Where]) -> Result<u64, StoreError> {
        let table = self.table(model)?;
        let statement = plan::count(self.inner.dialect, table, conditions)?;
        let key = format!("{}\0{:?}", statement.sql, statement.params);
        match self.inner.totals.lookup(model, &key, Instant::now()) {
            Lookup::Shared { total, refresh } => {
                if refresh {
                    let store = self.clone();
                    let model = model.to_owned();
                    tokio::spawn(async move {
                        if store.share_count(&model, &key, &statement).await.is_err() {
                            store.inner.totals.refresh_failed(&key);
                        }
                    });
                }
                Ok(total)
            }
            Lookup::Count => self.share_count(model, &key, &statement).await,
        }
    }

    /// Counts, and offers the total to [`Totals`] under `key`.
    async fn share_count(
        &self,
        model: &str,
        key: &str,
        statement: &Statement,
    ) -> Result<u64, StoreError> {
        let table = self.table(model)?;
        let generation = self.inner.totals.generation(model);
        let started = Instant::now();
        let total = self.run_count(table, statement).await?;
        self.inner
            .totals
            .counted(key, total, Instant::now(), generation, started.elapsed());
        Ok(total)
    }

    async fn run_count(&self, table: &TablePlan, statement: &Statement) -> Result<u64, StoreError> {
        let number = Storage {
            ty: auth_core::schema::FieldType::Number,
            integer_id: false,
            uuid: false,
        };
        let rows = self.fetch(table, statement, &[number]).await?;
        match rows.first().and_then(|r| r.first()) {
            Some(Raw::Int(n)) => Ok(u64::try_from(*n).unwrap_or(0)),
            other => Err(StoreError::Decode {
                model: table.model.clone(),
                field: "count(*)".to_owned(),
                found: format!("{other:?}"),
            }),
        }
    }

    /// Sets fields of every row matching the conditions, and `on_update_now` fields (`updatedAt`)
    /// not given to the current time. Returns how many rows matched. Runs the model's update
    /// hooks (after hooks once per updated row, read back by primary key).
    pub async fn update(
        &self,
        model: &str,
        conditions: &[Where],
        row: Row,
    ) -> Result<u64, StoreError> {
        let table = self.table(model)?;
        let row = self
            .hooks
            .before(model, Event::Update, row)
            .await
            .map_err(StoreError::Rejected)?;
        let key = table.columns.iter().find(|c| c.primary_key);
        let Some(key) = key.filter(|_| self.hooks.wants_updated_rows(model)) else {
            return self.update_with(model, conditions, None, row).await;
        };
        let ids: Vec<Value> = self
            .find_many(model, conditions, None, None, None)
            .await?
            .into_iter()
            .filter_map(|mut r| r.remove(&key.field))
            .collect();
        let affected = self.update_with(model, conditions, None, row).await?;
        let updated = self
            .find_many(
                model,
                &[Where::is_in(key.field.clone(), ids)],
                None,
                None,
                None,
            )
            .await?;
        for row in &updated {
            self.hooks.after(model, Event::Update, row).await;
        }
        Ok(affected)
    }

    /// [`Store::update`] that also adds one to the number field `field`, in the same statement:
    /// a conditional counter (`count < max`) that stays exact however many requests, on however
    /// many servers, increment it at once. Returns how many rows matched.
    pub async fn increment(
        &self,
        model: &str,
        conditions: &[Where],
        field: &str,
        row: Row,
    ) -> Result<u64, StoreError> {
        self.update_with(model, conditions, Some((field, 1)), row)
            .await
    }

    /// [`Store::increment`] that takes one away instead: a quota that its condition
    /// (`remaining > 0`) keeps from going below zero however many requests spend it at once.
    pub async fn decrement(
        &self,
        model: &str,
        conditions: &[Where],
        field: &str,
        row: Row,
    ) -> Result<u64, StoreError> {
        self.update_with(model, conditions, Some((field, -1)), row)
            .await
    }

    /// [`Store::update`] of the row whose primary key is `id`, only while every one of `guards`
    /// holds, adding `delta` to the number field of `increment` in the same statement: the row as
    /// this statement left it, or `None` when no row matched (a guard failed or the row is
    /// gone). One statement on SQLite and PostgreSQL (`returning`); MySQL, which has no
    /// `update … returning`, reads the row back by its key in the update's transaction. Runs the
    /// model's update hooks.
    pub async fn update_by_id(
        &self,
        model: &str,
        id: &str,
        guards: &[Where],
        increment: Option<(&str, i64)>,
        row: Row,
    ) -> Result<Option<Row>, StoreError> {
        let table = self.table(model)?;
        let key = table
            .primary_key()
            .ok_or_else(|| StoreError::UnknownField {
                model: table.model.clone(),
                field: auth_core::schema::LOGICAL_ID.to_owned(),
            })?;
        let by_id = [Where::eq(key.field.clone(), id)];
        let row = self
            .hooks
            .before(model, Event::Update, row)
            .await
            .map_err(StoreError::Rejected)?;
        let conditions: Vec<Where> = by_id.iter().chain(guards).cloned().collect();
        let returning = !matches!(self.inner.backend, Backend::Mysql(_));
        let Some(statement) =
            self.update_statement(table, &conditions, increment, row, returning)?
        else {
            return self.find_one(model, &conditions).await;
        };
        let raw = match &self.inner.backend {
            Backend::Sqlite(db) => db
                .write_returning(&statement)
                .await
                .map_err(|e| sqlite_error(model, e))?
                .into_iter()
                .next(),
            Backend::Postgres(_) => self.read(table, &statement).await?.into_iter().next(),
            Backend::Mysql(pool) => {
                let select = plan::select(self.inner.dialect, table, &by_id, None, Some(1), None)?;
                network::my_update_returning(pool, &statement, &select, &table.storages())
                    .await
                    .map_err(|e| sqlx_error(model, e))?
            }
        };
        let updated = raw.map(|raw| decode_row(table, raw)).transpose()?;
        if let Some(row) = &updated {
            self.hooks.after(model, Event::Update, row).await;
        }
        Ok(updated)
    }

    async fn update_with(
        &self,
        model: &str,
        conditions: &[Where],
        increment: Option<(&str, i64)>,
        row: Row,
    ) -> Result<u64, StoreError> {
        let table = self.table(model)?;
        match self.update_statement(table, conditions, increment, row, false)? {
            Some(statement) => Ok(self.write(table, &statement, false).await?.affected),
            None => Ok(0),
        }
    }

    /// The `update` setting `row`'s fields, `on_update_now` fields not given and `increment`,
    /// `returning` every column; `None` when it would set nothing.
    fn update_statement(
        &self,
        table: &TablePlan,
        conditions: &[Where],
        increment: Option<(&str, i64)>,
        mut row: Row,
        returning: bool,
    ) -> Result<Option<Statement>, StoreError> {
        let increment = match increment {
            Some((field, delta)) => {
                let (index, column) = table.column(field)?;
                if column.storage.ty != auth_core::schema::FieldType::Number {
                    return Err(StoreError::Type {
                        model: table.model.clone(),
                        field: field.to_owned(),
                        expected: "a number field to increment",
                        got: "another type",
                    });
                }
                Some((index, delta))
            }
            None => None,
        };
        reject_unknown(table, &row)?;
        let now = Timestamp::now();
        let mut values = Vec::with_capacity(row.len() + 1);
        for (i, column) in table.columns.iter().enumerate() {
            if let Some(value) = row.remove(&column.field) {
                values.push((i, value));
            } else if column.on_update_now {
                values.push((i, Value::Date(now)));
            }
        }
        if values.is_empty() && increment.is_none() {
            return Ok(None);
        }
        plan::update(
            self.inner.dialect,
            table,
            increment,
            &values,
            conditions,
            returning,
        )
        .map(Some)
    }

    /// Deletes every row matching the conditions; returns how many.
    pub async fn delete(&self, model: &str, conditions: &[Where]) -> Result<u64, StoreError> {
        let table = self.table(model)?;
        let statement = plan::delete(self.inner.dialect, table, conditions)?;
        Ok(self.write(table, &statement, false).await?.affected)
    }

    /// The session with this token and its user, in one query (get-session's hot path). `None`
    /// when no session has the token, or the schema has no session table.
    pub async fn session_with_user(&self, token: &str) -> Result<Option<(Row, Row)>, StoreError> {
        let Some(join) = &self.inner.session_join else {
            return Ok(None);
        };
        let session = self.table(session::MODEL)?;
        let user = self.table(user::MODEL)?;
        let statement = Statement {
            sql: join.sql.clone(),
            params: vec![
                codec::encode(self.inner.dialect, join.token, &Value::from(token)).map_err(
                    |m| StoreError::Type {
                        model: session.model.clone(),
                        field: session::TOKEN.to_owned(),
                        expected: m.expected,
                        got: m.got,
                    },
                )?,
            ],
        };
        let mut storages = session.storages();
        storages.extend(user.storages());
        let rows = self.fetch(session, &statement, &storages).await?;
        let Some(mut raw) = rows.into_iter().next() else {
            return Ok(None);
        };
        if raw.len() != join.session_columns + user.columns.len() {
            return Err(StoreError::Decode {
                model: session.model.clone(),
                field: "*".to_owned(),
                found: format!("{} columns", raw.len()),
            });
        }
        let user_raw = raw.split_off(join.session_columns);
        Ok(Some((
            decode_row(session, raw)?,
            decode_row(user, user_raw)?,
        )))
    }

    async fn read(
        &self,
        table: &TablePlan,
        statement: &Statement,
    ) -> Result<Vec<Vec<Raw>>, StoreError> {
        self.fetch(table, statement, &table.storages()).await
    }

    /// Runs a statement that returns rows.
    async fn fetch(
        &self,
        table: &TablePlan,
        statement: &Statement,
        storages: &[Storage],
    ) -> Result<Vec<Vec<Raw>>, StoreError> {
        let model = &table.model;
        match &self.inner.backend {
            Backend::Sqlite(db) => db.read(statement).await.map_err(|e| sqlite_error(model, e)),
            Backend::Postgres(pool) => network::pg_fetch(pool, statement, storages)
                .await
                .map_err(|e| sqlx_error(model, e)),
            Backend::Mysql(pool) => network::my_fetch(pool, statement, storages)
                .await
                .map_err(|e| sqlx_error(model, e)),
        }
    }

    /// Runs a write; `returns_key` for an insert whose key the database generates. Shared list
    /// totals it may change are dropped once it is done, whether it succeeded or not.
    async fn write(
        &self,
        table: &TablePlan,
        statement: &Statement,
        returns_key: bool,
    ) -> Result<Written, StoreError> {
        let written = self.write_statement(table, statement, returns_key).await;
        self.inner.totals.written(&table.model);
        written
    }

    async fn write_statement(
        &self,
        table: &TablePlan,
        statement: &Statement,
        returns_key: bool,
    ) -> Result<Written, StoreError> {
        let model = &table.model;
        match &self.inner.backend {
            Backend::Sqlite(db) => {
                let written = db
                    .write(statement)
                    .await
                    .map_err(|e| sqlite_error(model, e))?;
                Ok(Written {
                    affected: written.affected,
                    generated: returns_key.then_some(written.last_id),
                })
            }
            Backend::Postgres(pool) if returns_key => {
                let key = Storage {
                    ty: auth_core::schema::FieldType::Number,
                    integer_id: false,
                    uuid: false,
                };
                let rows = network::pg_fetch(pool, statement, &[key])
                    .await
                    .map_err(|e| sqlx_error(model, e))?;
                let generated = match rows.first().and_then(|r| r.first()) {
                    Some(Raw::Int(n)) => Some(*n),
                    _ => None,
                };
                Ok(Written {
                    affected: u64::try_from(rows.len()).unwrap_or(u64::MAX),
                    generated,
                })
            }
            Backend::Postgres(pool) => Ok(Written {
                affected: network::pg_execute(pool, statement)
                    .await
                    .map_err(|e| sqlx_error(model, e))?,
                generated: None,
            }),
            Backend::Mysql(pool) => {
                let (affected, last_id) = network::my_execute(pool, statement)
                    .await
                    .map_err(|e| sqlx_error(model, e))?;
                Ok(Written {
                    affected,
                    generated: returns_key.then(|| i64::try_from(last_id).ok()).flatten(),
                })
            }
        }
    }
}

fn open_sqlite(path: &Path, readers: Option<u32>) -> Result<sqlite::Sqlite, StoreError> {
    sqlite::Sqlite::open(path, readers.and_then(|n| usize::try_from(n).ok()))
}

fn reject_unknown(table: &TablePlan, row: &Row) -> Result<(), StoreError> {
    match row.keys().find(|field| table.column(field).is_err()) {
        Some(field) => Err(StoreError::UnknownField {
            model: table.model.clone(),
            field: field.clone(),
        }),
        None => Ok(()),
    }
}

fn decode_row(table: &TablePlan, raw: Vec<Raw>) -> Result<Row, StoreError> {
    let mut row = Row::new();
    for (column, cell) in table.columns.iter().zip(raw) {
        let value = codec::decode(column.storage, cell).map_err(|found| StoreError::Decode {
            model: table.model.clone(),
            field: column.field.clone(),
            found,
        })?;
        row.insert(column.field.clone(), value);
    }
    Ok(row)
}

fn sqlite_error(model: &str, error: rusqlite::Error) -> StoreError {
    if sqlite::is_unique_violation(&error) {
        StoreError::UniqueViolation {
            model: model.to_owned(),
            message: error.to_string(),
        }
    } else if sqlite::is_foreign_key_violation(&error) {
        StoreError::ForeignKeyViolation {
            model: model.to_owned(),
            message: error.to_string(),
        }
    } else {
        StoreError::Sqlite(error)
    }
}

fn sqlx_error(model: &str, error: sqlx::Error) -> StoreError {
    if network::is_unique_violation(&error) {
        StoreError::UniqueViolation {
            model: model.to_owned(),
            message: error.to_string(),
        }
    } else if network::is_foreign_key_violation(&error) {
        StoreError::ForeignKeyViolation {
            model: model.to_owned(),
            message: error.to_string(),
        }
    } else {
        StoreError::Sqlx(error)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        if let StoreError::Rejected(refusal) = error {
            return refusal;
        }
        tracing::error!(%error, "store");
        Self::unavailable("the database")
    }
}

#[cfg(test)]
mod tests;
