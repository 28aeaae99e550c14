//! Adopting a database that better-auth's own CLI (`auth migrate`) created: is it the schema of
//! `auth.toml`, up to the shapes better-auth writes differently from us (and nothing else)?
//!
//! Tolerated (`better-auth-schema.md` §6, §7.3, P10):
//! - MySQL strings in another string type: `varchar(36)` ids and references, `varchar(191)` keys
//!   of table-level indexes, `text` for `varchar` and back;
//! - MySQL `timestamp(3)` where we write `datetime(3)`;
//! - a missing SQL default (better-auth's CREATE path emits only `CURRENT_TIMESTAMP`);
//! - MariaDB's index for an inline reference, named after its column (and the `<t>_ibfk_<n>`
//!   constraint names, which introspection does not compare);
//! - a missing index that this toolkit adds beyond better-auth's schema
//!   ([`IndexKind::Toolkit`]): [`Adoption::as_found`] leaves it out of the baseline snapshot, so
//!   the next migration creates it.
//!
//! Inline `unique` versus a separate `<t>_<c>_uidx` index (CREATE versus ALTER path) and
//! 1.4.22's duplicate `organization_slug_uidx` are no difference at all: an inline unique is
//! compared by shape. Everything else is a mismatch; the `account.issuer` column that better-auth
//! 1.7.0–1.7.2 left behind is recognised by name, with its repair.

use std::fmt;

use serde::Serialize;

use crate::Dialect;
use crate::drift::drift;
use crate::migrate::DESTRUCTIVE_MARK;
use crate::schema::{IndexKind, Schema};
use crate::sql::{DbIndex, DbSchema, Difference};

/// The column better-auth 1.7.0–1.7.2 added to `account` (and 1.7.3 removed).
pub const ISSUER_COLUMN: &str = "issuer";

/// Why a difference is one better-auth's CLI produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tolerance {
    /// MySQL: another string type (`varchar(36)` ids and references, `varchar(191)`, `text`).
    StringType,
    /// MySQL: `timestamp(3)` for our `datetime(3)`.
    Timestamp,
    /// No SQL default where we have one (the runtime writes the value).
    MissingDefault,
    /// MariaDB's index for an inline reference, named after its column.
    ForeignKeyIndex,
    /// An index the toolkit adds beyond better-auth's schema, not created yet.
    ToolkitIndex,
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::StringType => "better-auth's MySQL string type",
            Self::Timestamp => "better-auth's MySQL timestamp(3)",
            Self::MissingDefault => "better-auth writes no SQL default here",
            Self::ForeignKeyIndex => "MariaDB's index for better-auth's inline reference",
            Self::ToolkitIndex => {
                "an index auth-cli adds beyond better-auth's schema; the next migration creates it"
            }
        })
    }
}

/// A difference that adoption accepts, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tolerated {
    pub difference: Difference,
    pub tolerance: Tolerance,
}

impl fmt::Display for Tolerated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.difference, self.tolerance)
    }
}

/// better-auth 1.7.0–1.7.2's `account.issuer` (required) and its unique
/// `account_issuer_accountId_uidx`: better-auth ≥ 1.7.4 refuses to start with it
/// (`SCHEMA_MISMATCH`), and nothing writes it any more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuerLeftover {
    /// The physical `account` table.
    pub table: String,
    /// NOT NULL (what 1.7.0–1.7.2 created), rather than already made nullable.
    pub required: bool,
    /// Indexes over the column (`account_issuer_accountId_uidx`).
    pub indexes: Vec<String>,
    /// The differences it accounts for.
    pub differences: Vec<Difference>,
}

impl IssuerLeftover {
    /// The repair: drop the indexes, then the column.
    pub fn repair(&self, dialect: Dialect) -> Vec<String> {
        let table = dialect.quote(&self.table);
        let mut out: Vec<String> = self
            .indexes
            .iter()
            .map(|index| match dialect {
                Dialect::Mysql => format!("drop index {} on {table};", dialect.quote(index)),
                _ => format!("drop index {};", dialect.quote(index)),
            })
            .collect();
        // Marked as `migrate new` marks a drop, so that `migrate lint` lets it through.
        out.push(format!(
            "-- {DESTRUCTIVE_MARK} drops column {}.{ISSUER_COLUMN}, left over from better-auth 1.7.0-1.7.2\nalter table {table} drop column {};",
            self.table,
            dialect.quote(ISSUER_COLUMN)
        ));
        out
    }
}

impl fmt::Display for IssuerLeftover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "column {}.{ISSUER_COLUMN}{}",
            self.table,
            if self.required { " (NOT NULL)" } else { "" }
        )?;
        if !self.indexes.is_empty() {
            write!(f, " and its index {}", self.indexes.join(", "))?;
        }
        write!(
            f,
            " are left over from better-auth 1.7.0-1.7.2 (removed in 1.7.3; better-auth 1.7.4 and \
             later refuse to start with SCHEMA_MISMATCH, and nothing writes the column any more)"
        )
    }
}

/// What adopting a database would accept and what stops it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Adoption {
    /// Differences better-auth's CLI produces, in drift order.
    pub tolerated: Vec<Tolerated>,
    /// Every other difference, in drift order (without the issuer leftover's).
    pub mismatches: Vec<Difference>,
    pub issuer: Option<IssuerLeftover>,
    /// Tables in the schema.
    pub tables: usize,
}

impl Adoption {
    /// The database is `schema` as better-auth's CLI creates it.
    pub fn is_recognised(&self) -> bool {
        self.mismatches.is_empty() && self.issuer.is_none()
    }

    /// `schema` as the database holds it: without the toolkit indexes it lacks
    /// ([`Tolerance::ToolkitIndex`]). The baseline's snapshot, so that planning from it to
    /// `schema` creates them.
    pub fn as_found(&self, schema: &Schema) -> Schema {
        let mut found = schema.clone();
        for tolerated in &self.tolerated {
            if let Difference::MissingIndex { table, index } = &tolerated.difference
                && tolerated.tolerance == Tolerance::ToolkitIndex
                && let Some(table) = found.tables.iter_mut().find(|t| &t.name == table)
            {
                table.indexes.retain(|i| !is_toolkit_index(i, index));
            }
        }
        found
    }

    /// Everything that is not tolerated: the mismatches, then the issuer leftover's differences.
    pub fn remaining(&self) -> Vec<Difference> {
        let mut out = self.mismatches.clone();
        if let Some(issuer) = &self.issuer {
            out.extend(issuer.differences.iter().cloned());
        }
        out
    }
}

/// Compares `actual` with what `schema` predicts in `dialect` (leaving out the bookkeeping
/// table, as [`drift`] does) and sorts every difference into tolerated or not.
pub fn adopt(schema: &Schema, dialect: Dialect, actual: &DbSchema) -> Adoption {
    let found = drift(schema, dialect, actual);
    let account = schema.model("account").map(|t| t.name.as_str());
    let mut adoption = Adoption {
        tolerated: Vec::new(),
        mismatches: Vec::new(),
        issuer: None,
        tables: found.tables,
    };
    let mut issuer: Vec<Difference> = Vec::new();
    for difference in found.differences {
        if Some(table_of(&difference)) == account && is_issuer(&difference) {
            issuer.push(difference);
        } else if let Some(tolerance) = tolerance(schema, dialect, actual, &difference) {
            adoption.tolerated.push(Tolerated {
                difference,
                tolerance,
            });
        } else {
            adoption.mismatches.push(difference);
        }
    }
    let has_column = issuer
        .iter()
        .any(|d| matches!(d, Difference::ExtraColumn { .. }));
    if let (true, Some(table)) = (has_column, account) {
        let required = actual
            .tables
            .get(table)
            .and_then(|t| t.columns.iter().find(|c| c.name == ISSUER_COLUMN))
            .is_some_and(|c| !c.nullable);
        let indexes = issuer
            .iter()
            .filter_map(|d| match d {
                Difference::ExtraIndex { index, .. } => index.name.clone(),
                _ => None,
            })
            .collect();
        adoption.issuer = Some(IssuerLeftover {
            table: table.to_owned(),
            required,
            indexes,
            differences: issuer,
        });
    } else {
        // An index over an `issuer` column that is in the schema after all: an ordinary mismatch.
        adoption.mismatches.extend(issuer);
    }
    adoption
}

fn table_of(difference: &Difference) -> &str {
    match difference {
        Difference::MissingTable { table }
        | Difference::ExtraTable { table }
        | Difference::MissingColumn { table, .. }
        | Difference::ExtraColumn { table, .. }
        | Difference::ColumnOrder { table, .. }
        | Difference::Type { table, .. }
        | Difference::Nullability { table, .. }
        | Difference::Default { table, .. }
        | Difference::PrimaryKey { table, .. }
        | Difference::MissingIndex { table, .. }
        | Difference::ExtraIndex { table, .. }
        | Difference::MissingForeignKey { table, .. }
        | Difference::ExtraForeignKey { table, .. } => table,
    }
}

/// The extra `issuer` column, or an extra index over it.
fn is_issuer(difference: &Difference) -> bool {
    match difference {
        Difference::ExtraColumn { column, .. } => column == ISSUER_COLUMN,
        Difference::ExtraIndex { index, .. } => index.columns.iter().any(|c| c == ISSUER_COLUMN),
        _ => false,
    }
}

fn tolerance(
    schema: &Schema,
    dialect: Dialect,
    actual: &DbSchema,
    difference: &Difference,
) -> Option<Tolerance> {
    match difference {
        Difference::Type {
            expected, actual, ..
        } if dialect == Dialect::Mysql => {
            if is_mysql_string(expected) && is_mysql_string(actual) {
                Some(Tolerance::StringType)
            } else if expected == "datetime(3)" && actual == "timestamp(3)" {
                Some(Tolerance::Timestamp)
            } else {
                None
            }
        }
        Difference::Default {
            table,
            column,
            expected_default: true,
        } => {
            // An id the database generates must keep generating it.
            let primary = schema
                .table(table)
                .and_then(|t| t.column(column))
                .is_some_and(|c| c.primary_key);
            (!primary).then_some(Tolerance::MissingDefault)
        }
        Difference::MissingIndex { table, index } => schema
            .table(table)
            .is_some_and(|t| t.indexes.iter().any(|i| is_toolkit_index(i, index)))
            .then_some(Tolerance::ToolkitIndex),
        Difference::ExtraIndex { table, index } if dialect == Dialect::Mysql => {
            let referenced = actual
                .tables
                .get(table)
                .is_some_and(|t| t.foreign_keys.iter().any(|k| k.columns == index.columns));
            let named_after_column =
                index.columns.len() == 1 && index.name.as_ref() == index.columns.first();
            (referenced && named_after_column && !index.unique)
                .then_some(Tolerance::ForeignKeyIndex)
        }
        _ => None,
    }
}

/// `wanted` is the toolkit's own index that `missing` stands for.
fn is_toolkit_index(wanted: &crate::schema::Index, missing: &DbIndex) -> bool {
    wanted.kind == IndexKind::Toolkit
        && missing.name.as_deref() == Some(wanted.name.as_str())
        && missing.columns == wanted.columns
}

/// `text` or a `varchar` at least as wide as better-auth's narrowest (`varchar(36)`).
fn is_mysql_string(ty: &str) -> bool {
    ty == "text"
        || ty
            .strip_prefix("varchar(")
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n >= 36)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;
    use crate::drift::MIGRATIONS_TABLE;
    use crate::sql::{DbColumn, DbForeignKey, DbIndex, DbTable, expected};

    fn schema(toml: &str) -> Schema {
        let config = Config::parse("auth.toml", toml).unwrap_or_else(|e| panic!("{e}"));
        Schema::build(&config).unwrap_or_else(|e| panic!("{e}"))
    }

    fn core() -> Schema {
        schema("[email-and-password]\nenabled = true\n")
    }

    fn table<'a>(db: &'a mut DbSchema, name: &str) -> &'a mut DbTable {
        db.tables
            .get_mut(name)
            .unwrap_or_else(|| panic!("no table {name}"))
    }

    fn column<'a>(db: &'a mut DbSchema, t: &str, c: &str) -> &'a mut DbColumn {
        table(db, t)
            .columns
            .iter_mut()
            .find(|x| x.name == c)
            .unwrap_or_else(|| panic!("no column {t}.{c}"))
    }

    /// Our core schema on MySQL, reshaped the way better-auth 1.7's CLI creates it on MariaDB.
    fn better_auth_mysql(schema: &Schema) -> DbSchema {
        let mut db = expected(schema, Dialect::Mysql);
        for table in db.tables.values_mut() {
            for c in &mut table.columns {
                match c.ty.as_str() {
                    "varchar(64)" => c.ty = "varchar(36)".to_owned(),
                    "datetime(3)" => c.ty = "timestamp(3)".to_owned(),
                    _ => {}
                }
                if c.name != "createdAt" {
                    c.has_default = false;
                }
            }
        }
        table(&mut db, "session").indexes.insert(DbIndex {
            columns: vec!["userId".to_owned()],
            unique: false,
            name: Some("userId".to_owned()),
        });
        db
    }

    #[test]
    fn our_own_schema_is_recognised_with_nothing_tolerated() {
        let schema = core();
        for dialect in Dialect::ALL {
            let mut db = expected(&schema, dialect);
            db.tables
                .insert(MIGRATIONS_TABLE.to_owned(), DbTable::default());
            let adoption = adopt(&schema, dialect, &db);
            assert!(adoption.is_recognised(), "{dialect}: {adoption:?}");
            assert!(adoption.tolerated.is_empty());
            assert_eq!(adoption.tables, schema.tables.len());
        }
    }

    #[test]
    fn tolerates_better_auths_mysql_shapes() {
        let schema = core();
        let db = better_auth_mysql(&schema);
        let adoption = adopt(&schema, Dialect::Mysql, &db);
        assert!(adoption.is_recognised(), "{:?}", adoption.mismatches);
        let kinds = |t: Tolerance| {
            adoption
                .tolerated
                .iter()
                .filter(|x| x.tolerance == t)
                .count()
        };
        assert!(kinds(Tolerance::StringType) > 0);
        assert!(kinds(Tolerance::Timestamp) > 0);
        assert!(kinds(Tolerance::MissingDefault) > 0);
        assert_eq!(kinds(Tolerance::ForeignKeyIndex), 1);
        assert!(adoption.remaining().is_empty());
    }

    /// better-auth's CLI never creates `user_createdAt_idx` (nor organization's
    /// `member_organizationId_createdAt_idx`): adoption accepts the database without them, and
    /// the next migration planned from the adopted snapshot creates exactly those, on every
    /// dialect.
    #[test]
    fn a_missing_toolkit_index_is_tolerated_and_the_next_migration_creates_it() {
        let schema = schema("[email-and-password]\nenabled = true\n[plugins.organization]\n");
        let toolkit: Vec<(String, String)> = schema
            .toolkit_indexes()
            .map(|(table, index)| (table.to_owned(), index.to_owned()))
            .collect();
        assert_eq!(
            toolkit,
            [
                ("user".to_owned(), "user_createdAt_idx".to_owned()),
                (
                    "member".to_owned(),
                    "member_organizationId_createdAt_idx".to_owned()
                )
            ]
        );
        for dialect in Dialect::ALL {
            let mut db = expected(&schema, dialect);
            for (t, name) in &toolkit {
                table(&mut db, t)
                    .indexes
                    .retain(|i| i.name.as_deref() != Some(name.as_str()));
            }
            let adoption = adopt(&schema, dialect, &db);
            assert!(adoption.is_recognised(), "{dialect}: {adoption:?}");
            assert_eq!(adoption.tolerated.len(), 2, "{dialect}: {adoption:?}");
            assert!(
                adoption
                    .tolerated
                    .iter()
                    .all(|t| t.tolerance == Tolerance::ToolkitIndex)
            );
            let found = adoption.as_found(&schema);
            assert!(drift(&found, dialect, &db).is_clean(), "{dialect}");
            let next = crate::migrate::plan(Some(&found), &schema, dialect);
            let sql: Vec<&str> = next.steps.iter().map(|s| s.sql.as_str()).collect();
            assert_eq!(sql.len(), 2, "{dialect}: {sql:?}");
            for ((_, name), statement) in toolkit.iter().zip(&sql) {
                assert!(
                    statement.starts_with("create index") && statement.contains(name.as_str()),
                    "{dialect}: {statement}"
                );
            }
            assert!(next.destructive().is_empty());
        }
        // Any other missing index is still a mismatch.
        let mut db = expected(&schema, Dialect::Postgres);
        table(&mut db, "member")
            .indexes
            .retain(|i| i.name.as_deref() != Some("member_userId_idx"));
        assert_eq!(adopt(&schema, Dialect::Postgres, &db).mismatches.len(), 1);
    }

    #[test]
    fn the_same_shapes_are_mismatches_elsewhere() {
        let schema = core();
        let mut db = expected(&schema, Dialect::Postgres);
        column(&mut db, "user", "id").ty = "varchar(36)".to_owned();
        column(&mut db, "user", "createdAt").ty = "timestamp(3)".to_owned();
        let adoption = adopt(&schema, Dialect::Postgres, &db);
        assert_eq!(adoption.mismatches.len(), 2, "{:?}", adoption.mismatches);
        assert!(adoption.tolerated.is_empty());
    }

    #[test]
    fn a_unique_index_of_the_alter_path_is_no_difference() {
        let schema = schema("[email-and-password]\nenabled = true\n[plugins.username]\n");
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            let mut db = expected(&schema, dialect);
            let user = table(&mut db, "user");
            let inline = user
                .indexes
                .iter()
                .find(|i| i.columns == ["username"] && i.name.is_none())
                .cloned()
                .unwrap_or_else(|| panic!("no inline unique on username"));
            user.indexes.remove(&inline);
            user.indexes.insert(DbIndex {
                name: Some("user_username_uidx".to_owned()),
                ..inline
            });
            let adoption = adopt(&schema, dialect, &db);
            assert!(adoption.is_recognised(), "{dialect}: {adoption:?}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        let schema = core();
        let mut db = better_auth_mysql(&schema);
        column(&mut db, "user", "email").nullable = true;
        column(&mut db, "user", "emailVerified").ty = "varchar(10)".to_owned();
        column(&mut db, "session", "expiresAt").ty = "text".to_owned();
        column(&mut db, "user", "id").has_default = true;
        table(&mut db, "account").foreign_keys.clear();
        table(&mut db, "user").indexes.insert(DbIndex {
            columns: vec!["name".to_owned()],
            unique: false,
            name: Some("name".to_owned()),
        });
        db.tables.remove("verification");
        let adoption = adopt(&schema, Dialect::Mysql, &db);
        let shown: Vec<String> = adoption
            .mismatches
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "foreign key account(userId) -> user(id) on delete cascade is missing",
                "column session.expiresAt is text, expected datetime(3)",
                "column user.id should not have a default",
                "column user.email should be NOT NULL",
                "column user.emailVerified is varchar(10), expected boolean",
                "index name on user(name) is not in the schema",
                "table verification is missing",
            ]
        );
        assert!(!adoption.is_recognised());
    }

    #[test]
    fn a_generated_id_must_keep_its_default() {
        let schema = schema("[database]\nid = \"serial\"\n");
        let mut db = expected(&schema, Dialect::Postgres);
        column(&mut db, "user", "id").has_default = false;
        let adoption = adopt(&schema, Dialect::Postgres, &db);
        assert_eq!(adoption.mismatches.len(), 1, "{adoption:?}");
    }

    #[test]
    fn recognises_the_issuer_leftover_and_writes_its_repair() {
        let schema = core();
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            let mut db = expected(&schema, dialect);
            let account = table(&mut db, "account");
            account.columns.push(DbColumn {
                name: "issuer".to_owned(),
                ty: "text".to_owned(),
                nullable: false,
                has_default: false,
            });
            account.indexes.insert(DbIndex {
                columns: vec!["issuer".to_owned(), "accountId".to_owned()],
                unique: true,
                name: Some("account_issuer_accountId_uidx".to_owned()),
            });
            let adoption = adopt(&schema, dialect, &db);
            assert!(adoption.mismatches.is_empty(), "{:?}", adoption.mismatches);
            let issuer = adoption
                .issuer
                .as_ref()
                .unwrap_or_else(|| panic!("{dialect}: issuer not recognised"));
            assert!(issuer.required);
            assert_eq!(issuer.differences.len(), 2);
            assert_eq!(adoption.remaining().len(), 2);
            assert!(!adoption.is_recognised());
            let repair = issuer.repair(dialect).join("\n");
            let expected_repair = match dialect {
                Dialect::Mysql => {
                    "drop index `account_issuer_accountId_uidx` on `account`;\n-- auth:destructive drops column account.issuer, left over from better-auth 1.7.0-1.7.2\nalter table `account` drop column `issuer`;"
                }
                _ => {
                    "drop index \"account_issuer_accountId_uidx\";\n-- auth:destructive drops column account.issuer, left over from better-auth 1.7.0-1.7.2\nalter table \"account\" drop column \"issuer\";"
                }
            };
            assert_eq!(repair, expected_repair);
            assert!(issuer.to_string().contains("1.7.0-1.7.2"));
        }
    }

    #[test]
    fn an_issuer_index_alone_is_a_mismatch() {
        let schema = core();
        let mut db = expected(&schema, Dialect::Postgres);
        table(&mut db, "account").indexes.insert(DbIndex {
            columns: vec!["issuer".to_owned()],
            unique: true,
            name: Some("x".to_owned()),
        });
        let adoption = adopt(&schema, Dialect::Postgres, &db);
        assert!(adoption.issuer.is_none());
        assert_eq!(adoption.mismatches.len(), 1);
    }

    #[test]
    fn an_index_named_after_a_column_without_a_reference_is_a_mismatch() {
        let schema = core();
        let mut db = better_auth_mysql(&schema);
        let session = table(&mut db, "session");
        session.foreign_keys.insert(DbForeignKey {
            columns: vec!["token".to_owned()],
            table: "user".to_owned(),
            referenced: vec!["id".to_owned()],
            on_delete: "cascade".to_owned(),
        });
        session.indexes.insert(DbIndex {
            columns: vec!["ipAddress".to_owned()],
            unique: false,
            name: Some("ipAddress".to_owned()),
        });
        let adoption = adopt(&schema, Dialect::Mysql, &db);
        let shown: Vec<String> = adoption
            .mismatches
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "index ipAddress on session(ipAddress) is not in the schema",
                "foreign key session(token) -> user(id) on delete cascade is not in the schema",
            ]
        );
    }
}
