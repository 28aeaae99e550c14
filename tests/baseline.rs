//! `auth-cli migrate baseline` against databases that better-auth 1.7's own CLI created (its SQL
//! under `tests/fixtures/better-auth-1.7/`), on SQLite, PostgreSQL and MariaDB: recognised and
//! adopted without a change, `check` clean, later migrations apply; refused with the list of
//! mismatches (and the `account.issuer` repair) otherwise.

use crate::support;

use std::path::{Path, PathBuf};

use auth_cli::{
    CheckOpt, CliError, Command, MigrateApplyOpt, MigrateBaselineOpt, MigrateCommand,
    MigrateNewOpt, Opt,
};
use auth_core::Dialect;
use auth_core::drift::MIGRATIONS_TABLE;
use auth_core::sql::DbSchema;

const CORE: &str = "[email-and-password]\nenabled = true\n";
/// The core plus a plugin that adds columns (admin) and an additional field.
const WITH_ADMIN: &str = "[email-and-password]\nenabled = true\n\n[plugins.admin]\n\n[models.user.fields.plan]\ntype = \"string\"\nrequired = false\n";
/// WITH_ADMIN plus a plugin whose table references `user` (two-factor).
const WITH_TWO_FACTOR: &str = "[email-and-password]\nenabled = true\n\n[plugins.admin]\n[plugins.two-factor]\n\n[models.user.fields.plan]\ntype = \"string\"\nrequired = false\n";
/// The additional field without the plugins.
const SHRUNK: &str = "[email-and-password]\nenabled = true\n\n[models.user.fields.plan]\ntype = \"string\"\nrequired = false\n";

fn fixture(name: &str) -> String {
    let path = support::root().join(format!("tests/fixtures/better-auth-1.7/{name}.sql"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

enum Kind {
    Sqlite(PathBuf),
    Postgres(support::Postgres),
    Mysql(support::Mysql),
}

/// A database on one engine, a project folder, and the runtime the server pools live on (the
/// CLI runs outside it: it starts a runtime of its own).
struct Target {
    kind: Kind,
    rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
}

impl Target {
    /// SQLite always; PostgreSQL and MariaDB when their services run (required under CI=true).
    fn all(label: &str) -> Vec<Target> {
        let mut out = vec![Self::new(|dir| Some(Kind::Sqlite(dir.join("app.db"))))];
        out.extend(Self::server(|rt| {
            rt.block_on(support::Postgres::fresh(label))
                .map(Kind::Postgres)
        }));
        out.extend(Self::server(|rt| {
            rt.block_on(support::Mysql::fresh(label)).map(Kind::Mysql)
        }));
        out
    }

    fn new(kind: impl FnOnce(&Path) -> Option<Kind>) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let rt = runtime();
        let kind = kind(dir.path()).unwrap_or_else(|| panic!("no database"));
        Self { kind, rt, dir }
    }

    fn server(kind: impl FnOnce(&tokio::runtime::Runtime) -> Option<Kind>) -> Option<Self> {
        let rt = runtime();
        let kind = kind(&rt)?;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        Some(Self { kind, rt, dir })
    }

    fn dialect(&self) -> Dialect {
        match self.kind {
            Kind::Sqlite(_) => Dialect::Sqlite,
            Kind::Postgres(_) => Dialect::Postgres,
            Kind::Mysql(_) => Dialect::Mysql,
        }
    }

    fn url(&self) -> String {
        match &self.kind {
            Kind::Sqlite(path) => format!("sqlite:{}", path.display()),
            Kind::Postgres(server) => server.url(),
            Kind::Mysql(server) => server.url(),
        }
    }

    fn sqlite(path: &Path) -> rusqlite::Connection {
        rusqlite::Connection::open(path).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs a script of `;`-terminated statements.
    fn execute(&self, sql: &str) {
        match &self.kind {
            Kind::Sqlite(path) => Self::sqlite(path)
                .execute_batch(sql)
                .unwrap_or_else(|e| panic!("sqlite: {e}\n{sql}")),
            Kind::Postgres(server) => self
                .rt
                .block_on(server.execute(sql))
                .unwrap_or_else(|e| panic!("postgres: {e}\n{sql}")),
            Kind::Mysql(server) => self
                .rt
                .block_on(server.execute(sql))
                .unwrap_or_else(|e| panic!("mysql: {e}\n{sql}")),
        }
    }

    /// The first column of every row, as text.
    fn texts(&self, sql: &str) -> Vec<String> {
        match &self.kind {
            Kind::Sqlite(path) => {
                let connection = Self::sqlite(path);
                let mut statement = connection
                    .prepare(sql)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                statement
                    .query_map([], |row| row.get::<_, String>(0))
                    .and_then(Iterator::collect)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
            Kind::Postgres(server) => self.rt.block_on(server.texts(sql)),
            Kind::Mysql(server) => self.rt.block_on(server.texts(sql)),
        }
    }

    fn introspect(&self) -> DbSchema {
        match &self.kind {
            Kind::Sqlite(path) => support::introspect_sqlite(&Self::sqlite(path)),
            Kind::Postgres(server) => self.rt.block_on(server.introspect()),
            Kind::Mysql(server) => self.rt.block_on(server.introspect()),
        }
    }

    fn q(&self, identifier: &str) -> String {
        self.dialect().quote(identifier)
    }

    /// A user with a session, a credential account, and a verification row, as better-auth
    /// writes them (every NOT NULL column set, none of our defaults relied on).
    fn seed(&self, n: u32) {
        let (date, no) = match self.dialect() {
            Dialect::Mysql => ("'2026-01-01 00:00:00.000'", "false"),
            Dialect::Sqlite | Dialect::D1 => ("'2026-01-01T00:00:00.000Z'", "0"),
            Dialect::Postgres => ("'2026-01-01T00:00:00.000Z'", "false"),
        };
        let q = |s: &str| self.q(s);
        let sql = format!(
            "insert into {user} ({id}, {name}, {email}, {ev}, {ca}, {ua}) values ('u{n}', 'User {n}', 'u{n}@example.com', {no}, {date}, {date});\n\
             insert into {session} ({id}, {exp}, {token}, {ca}, {ua}, {uid}) values ('s{n}', {date}, 'token{n}', {date}, {date}, 'u{n}');\n\
             insert into {account} ({id}, {aid}, {pid}, {uid}, {pw}, {ca}, {ua}) values ('a{n}', 'u{n}', 'credential', 'u{n}', 'salt:key', {date}, {date});\n\
             insert into {verification} ({id}, {ident}, {value}, {exp}, {ca}, {ua}) values ('v{n}', 'email-verification:{n}', 'x', {date}, {date}, {date});\n",
            user = q("user"),
            session = q("session"),
            account = q("account"),
            verification = q("verification"),
            id = q("id"),
            name = q("name"),
            email = q("email"),
            ev = q("emailVerified"),
            ca = q("createdAt"),
            ua = q("updatedAt"),
            exp = q("expiresAt"),
            token = q("token"),
            uid = q("userId"),
            aid = q("accountId"),
            pid = q("providerId"),
            pw = q("password"),
            ident = q("identifier"),
            value = q("value"),
        );
        self.execute(&sql);
    }

    /// What the seeded rows hold, table by table.
    fn contents(&self) -> Vec<String> {
        let q = |s: &str| self.q(s);
        [
            format!(
                "select {} from {} order by 1",
                concat(self.dialect(), &[&q("id"), &q("email"), &q("name")]),
                q("user")
            ),
            format!(
                "select {} from {} order by 1",
                concat(self.dialect(), &[&q("id"), &q("token"), &q("userId")]),
                q("session")
            ),
            format!(
                "select {} from {} order by 1",
                concat(self.dialect(), &[&q("id"), &q("password"), &q("userId")]),
                q("account")
            ),
            format!(
                "select {} from {} order by 1",
                concat(self.dialect(), &[&q("id"), &q("identifier")]),
                q("verification")
            ),
        ]
        .iter()
        .flat_map(|sql| self.texts(sql))
        .collect()
    }

    fn write_config(&self, name: &str, toml: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, toml).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    fn migrations(&self) -> PathBuf {
        self.dir.path().join("migrations")
    }

    fn baseline(&self, config: &Path, repair_issuer: bool) -> Result<String, CliError> {
        cli(Command::Migrate(MigrateCommand::Baseline(
            MigrateBaselineOpt {
                database_url: self.url(),
                config: config.to_owned(),
                dir: self.migrations(),
                repair_issuer,
            },
        )))
    }

    fn check(&self, config: &Path) -> Result<String, CliError> {
        cli(Command::Check(CheckOpt {
            database_url: Some(self.url()),
            base_url: None,
            config: config.to_owned(),
            json: false,
        }))
    }

    fn new_migration(&self, slug: &str, config: &Path, allow_destructive: bool) -> String {
        cli(Command::Migrate(MigrateCommand::New(MigrateNewOpt {
            slug: slug.to_owned(),
            dialect: self.dialect(),
            config: config.to_owned(),
            dir: self.migrations(),
            allow_destructive,
        })))
        .unwrap_or_else(|e| panic!("{}: migrate new {slug}: {e}", self.dialect()))
    }

    fn apply(&self) -> Result<String, CliError> {
        cli(Command::Migrate(MigrateCommand::Apply(MigrateApplyOpt {
            database_url: self.url(),
            dir: self.migrations(),
        })))
    }

    fn migration_text(&self, name: &str) -> String {
        let path = self
            .migrations()
            .join(self.dialect().as_str())
            .join(format!("{name}.sql"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn drop(self) {
        match self.kind {
            Kind::Sqlite(_) => {}
            Kind::Postgres(server) => self.rt.block_on(server.drop()),
            Kind::Mysql(server) => self.rt.block_on(server.drop()),
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `a || '|' || b` (MySQL: `concat(a, '|', b)`), cast to text.
fn concat(dialect: Dialect, columns: &[&str]) -> String {
    match dialect {
        Dialect::Mysql => format!("cast(concat_ws('|', {}) as char)", columns.join(", ")),
        _ => columns.join(" || '|' || "),
    }
}

fn cli(command: Command) -> Result<String, CliError> {
    let mut out = Vec::new();
    auth_cli::run(Opt::from(command), &mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn without_bookkeeping(mut schema: DbSchema) -> DbSchema {
    schema.tables.remove(MIGRATIONS_TABLE);
    schema
}

/// (a) a core-only better-auth database with rows is adopted unchanged and `check` is clean;
/// (b) a plugin with columns, a plugin with a table and a field added, then the plugins removed
/// again, through `migrate new` + `migrate apply`, rows intact and `check` clean after each.
#[test]
fn adopts_a_core_database_and_migrates_it_further() {
    for target in Target::all("baseline_core") {
        let dialect = target.dialect();
        target.execute(&fixture(&format!("{dialect}-core-only")));
        target.seed(1);
        let before = target.introspect();
        let rows = target.contents();
        let core = target.write_config("core.toml", CORE);

        let out = target
            .baseline(&core, false)
            .unwrap_or_else(|e| panic!("{dialect}: baseline refused:\n{e}"));
        assert!(out.contains("adopted"), "{dialect}: {out}");
        assert_eq!(
            without_bookkeeping(target.introspect()),
            before,
            "{dialect}: baseline changed a table"
        );
        assert_eq!(target.contents(), rows);
        let sql = target.migration_text("0001_baseline");
        assert!(
            auth_core::migrate::statements(&sql, dialect)
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty(),
            "{dialect}: the baseline holds a statement:\n{sql}"
        );
        assert!(
            sql.contains("adopted") && sql.contains("core.toml"),
            "{sql}"
        );
        let snapshot = target
            .migrations()
            .join(dialect.as_str())
            .join("0001_baseline.json");
        assert!(snapshot.exists());

        let check = target
            .check(&core)
            .unwrap_or_else(|e| panic!("{dialect}: check after baseline: {e}"));
        assert!(check.starts_with("no drift"), "{dialect}: {check}");
        assert!(
            check.contains("adopted from better-auth: "),
            "{dialect}: {check}"
        );

        // Twice: the folder holds migrations now; and a fresh folder meets the recorded row.
        let again = target.baseline(&core, false);
        assert!(
            matches!(again, Err(CliError::BaselineFolder { .. })),
            "{again:?}"
        );
        let other = target.dir.path().join("other");
        let elsewhere = cli(Command::Migrate(MigrateCommand::Baseline(
            MigrateBaselineOpt {
                database_url: target.url(),
                config: core.clone(),
                dir: other.clone(),
                repair_issuer: false,
            },
        )));
        let message = elsewhere.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("already records 0001_baseline"),
            "{dialect}: {message}"
        );
        assert!(!other.exists(), "{dialect}: a refused baseline wrote files");

        // better-auth has no index on user.createdAt: baseline wrote the migration that adds it.
        assert!(
            out.contains("0002_toolkit_indexes.sql (1 statements)"),
            "{dialect}: {out}"
        );
        let sql = target.migration_text("0002_toolkit_indexes");
        let statements = auth_core::migrate::statements(&sql, dialect)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|s| s.sql)
            .collect::<Vec<_>>();
        assert_eq!(statements.len(), 1, "{dialect}: {sql}");
        assert!(statements[0].contains("user_createdAt_idx"), "{sql}");
        let applied = target
            .apply()
            .unwrap_or_else(|e| panic!("{dialect}: applying 0002_toolkit_indexes: {e}"));
        assert!(applied.contains("0002_toolkit_indexes"), "{applied}");
        assert!(
            target.introspect().tables["user"]
                .indexes
                .iter()
                .any(|i| i.name.as_deref() == Some("user_createdAt_idx")),
            "{dialect}: user_createdAt_idx was not created"
        );
        assert_eq!(target.contents(), rows, "{dialect}: rows changed");

        // (b) admin's columns and an additional field.
        let admin = target.write_config("admin.toml", WITH_ADMIN);
        target.new_migration("admin", &admin, false);
        let applied = target.apply().unwrap_or_else(|e| {
            panic!(
                "{dialect}: applying 0003_admin to the adopted database:\n{e}\n{}",
                target.migration_text("0003_admin")
            )
        });
        assert!(applied.contains("0003_admin"), "{applied}");
        let after = target.introspect();
        for column in ["role", "banned", "banReason", "banExpires", "plan"] {
            assert!(
                after.tables["user"]
                    .columns
                    .iter()
                    .any(|c| c.name == column),
                "{dialect}: user.{column} was not added"
            );
        }
        assert_eq!(target.contents(), rows, "{dialect}: rows changed");
        target.seed(2);
        let check = target
            .check(&admin)
            .unwrap_or_else(|e| panic!("{dialect}: check after 0003_admin: {e}"));
        assert!(check.starts_with("no drift"), "{dialect}: {check}");

        // A plugin table referencing better-auth's `user`.
        let two_factor = target.write_config("two-factor.toml", WITH_TWO_FACTOR);
        target.new_migration("two_factor", &two_factor, false);
        let applied = target.apply();
        applied.unwrap_or_else(|e| panic!("{dialect}: applying 0004_two_factor: {e}"));
        assert!(target.introspect().tables.contains_key("twoFactor"));
        let check = target
            .check(&two_factor)
            .unwrap_or_else(|e| panic!("{dialect}: check after 0004_two_factor: {e}"));
        assert!(check.starts_with("no drift"), "{dialect}: {check}");
        let current = two_factor;
        assert!(current.exists());

        // The plugins removed again (destructive).
        let shrunk = target.write_config("shrunk.toml", SHRUNK);
        target.new_migration("shrink", &shrunk, true);
        target.apply().unwrap_or_else(|e| {
            panic!("{dialect}: applying the shrink to the adopted database:\n{e}")
        });
        let after = target.introspect();
        assert!(!after.tables.contains_key("twoFactor"));
        assert!(
            !after.tables["user"]
                .columns
                .iter()
                .any(|c| c.name == "role")
        );
        assert!(
            after.tables["user"]
                .columns
                .iter()
                .any(|c| c.name == "plan")
        );
        let check = target
            .check(&shrunk)
            .unwrap_or_else(|e| panic!("{dialect}: check after the shrink: {e}"));
        assert!(check.starts_with("no drift"), "{dialect}: {check}");
        assert_eq!(target.contents().len(), rows.len() * 2);
        target.drop();
    }
}

/// (c) better-auth's full-plugin database (CREATE path) with examples/full/auth.toml.
#[test]
fn adopts_the_full_plugin_set() {
    for target in Target::all("baseline_full") {
        let dialect = target.dialect();
        target.execute(&fixture(dialect.as_str()));
        target.seed(1);
        let before = target.introspect();
        let full = support::root().join("examples/full/auth.toml");
        let out = target
            .baseline(&full, false)
            .unwrap_or_else(|e| panic!("{dialect}: full plugin set refused:\n{e}"));
        assert!(out.contains("adopted"), "{out}");
        assert_eq!(without_bookkeeping(target.introspect()), before);
        let check = target
            .check(&full)
            .unwrap_or_else(|e| panic!("{dialect}: check: {e}"));
        assert!(check.starts_with("no drift"), "{dialect}: {check}");
        target.drop();
    }
}

/// (d) a database better-auth grew through its ALTER path (core, rows, then every plugin):
/// `_uidx` unique indexes instead of inline ones, static defaults.
#[test]
fn adopts_a_database_grown_by_better_auths_alter_path() {
    for target in Target::all("baseline_alter") {
        let dialect = target.dialect();
        target.execute(&fixture(&format!("{dialect}-core-only")));
        target.seed(1);
        target.execute(&fixture(&format!("{dialect}-alter-core-to-plugins")));
        let full = support::root().join("examples/full/auth.toml");
        target
            .baseline(&full, false)
            .unwrap_or_else(|e| panic!("{dialect}: ALTER-path database refused:\n{e}"));
        let check = target
            .check(&full)
            .unwrap_or_else(|e| panic!("{dialect}: check: {e}"));
        assert!(check.starts_with("no drift"), "{dialect}: {check}");
        target.drop();
    }
}

/// (e) refusals: a plugin the database lacks; better-auth 1.7.0-1.7.2's `account.issuer`. Exit 1,
/// nothing written, nothing recorded; then `--repair-issuer`.
#[test]
fn refuses_what_better_auth_did_not_create() {
    for target in Target::all("baseline_refuse") {
        let dialect = target.dialect();
        target.execute(&fixture(&format!("{dialect}-core-only")));
        target.seed(1);
        let before = target.introspect();

        let with_plugin =
            target.write_config("two-factor.toml", &format!("{CORE}[plugins.two-factor]\n"));
        let refused = target.baseline(&with_plugin, false);
        let message = match refused {
            Err(error @ CliError::NotRecognised(_)) => error.to_string(),
            other => panic!("{dialect}: expected a refusal, got {other:?}"),
        };
        assert!(message.contains("table twoFactor is missing"), "{message}");
        assert!(
            message.contains("column user.twoFactorEnabled is missing"),
            "{message}"
        );
        assert!(message.contains("nothing was written"), "{message}");
        assert!(
            message.contains("help: auth.toml asks for tables or columns"),
            "{message}"
        );
        assert!(!target.migrations().exists(), "{dialect}: files written");
        assert_eq!(
            target.introspect(),
            before,
            "{dialect}: the database changed"
        );

        // The leftover of better-auth 1.7.0-1.7.2, by hand.
        let q = |s: &str| target.q(s);
        let leftover = match dialect {
            // MySQL cannot index `text`: 1.7.0-1.7.2 sized both columns for the index.
            Dialect::Mysql => format!(
                "alter table {a} modify {aid} varchar(191) not null;\n\
                 alter table {a} add column {i} varchar(191) not null default '';\n\
                 create unique index {x} on {a} ({i}, {aid});\n",
                a = q("account"),
                aid = q("accountId"),
                i = q("issuer"),
                x = q("account_issuer_accountId_uidx"),
            ),
            _ => format!(
                "alter table {a} add column {i} text not null default '';\n\
                 create unique index {x} on {a} ({i}, {aid});\n",
                a = q("account"),
                aid = q("accountId"),
                i = q("issuer"),
                x = q("account_issuer_accountId_uidx"),
            ),
        };
        target.execute(&leftover);
        let before = target.introspect();
        let core = target.write_config("core.toml", CORE);
        let message = target
            .baseline(&core, false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let drop_index = match dialect {
            Dialect::Mysql => "drop index `account_issuer_accountId_uidx` on `account`;",
            _ => "drop index \"account_issuer_accountId_uidx\";",
        };
        for expected in [
            "column account.issuer (NOT NULL) and its index account_issuer_accountId_uidx are left over from better-auth 1.7.0-1.7.2",
            "drop the index, then drop the column (or make it nullable)",
            drop_index,
            &format!("alter table {} drop column {};", q("account"), q("issuer")),
            "--repair-issuer",
        ] {
            assert!(
                message.contains(expected),
                "{dialect}: no `{expected}` in:\n{message}"
            );
        }
        assert!(!target.migrations().exists());
        assert_eq!(target.introspect(), before);

        // --repair-issuer: adopted, and the repair is the next migration.
        let out = target
            .baseline(&core, true)
            .unwrap_or_else(|e| panic!("{dialect}: --repair-issuer: {e}"));
        assert!(out.contains("0002_repair_issuer"), "{out}");
        assert_eq!(without_bookkeeping(target.introspect()), before);
        let applied = target
            .apply()
            .unwrap_or_else(|e| panic!("{dialect}: applying the repair: {e}"));
        assert!(applied.contains("0002_repair_issuer"), "{applied}");
        let account = &target.introspect().tables["account"];
        assert!(!account.columns.iter().any(|c| c.name == "issuer"));
        let check = target
            .check(&core)
            .unwrap_or_else(|e| panic!("{dialect}: check after the repair: {e}"));
        assert!(check.starts_with("no drift"), "{dialect}: {check}");
        target.drop();
    }
}

/// Removing every plugin (destructive) from an adopted full-plugin database, created by
/// better-auth in one go or through its ALTER path (where its unique indexes are named
/// `user_username_uidx`, not `user_username_key`: dropped columns take them along).
#[test]
fn removing_every_plugin_from_an_adopted_database() {
    for alter_path in [false, true] {
        for target in Target::all("baseline_remove") {
            let dialect = target.dialect();
            if alter_path {
                target.execute(&fixture(&format!("{dialect}-core-only")));
                target.seed(1);
                target.execute(&fixture(&format!("{dialect}-alter-core-to-plugins")));
            } else {
                target.execute(&fixture(dialect.as_str()));
                target.seed(1);
            }
            let rows = target.contents();
            let full = support::root().join("examples/full/auth.toml");
            target
                .baseline(&full, false)
                .unwrap_or_else(|e| panic!("{dialect}: {e}"));
            let core = target.write_config("core.toml", CORE);
            target.new_migration("remove_plugins", &core, true);
            let applied = target.apply();
            applied.unwrap_or_else(|e| {
                panic!("{dialect} (ALTER path: {alter_path}): removing the plugins: {e}")
            });
            let check = target
                .check(&core)
                .unwrap_or_else(|e| panic!("{dialect}: check: {e}"));
            assert!(check.starts_with("no drift"), "{dialect}: {check}");
            assert_eq!(target.contents(), rows);
            target.drop();
        }
    }
}
