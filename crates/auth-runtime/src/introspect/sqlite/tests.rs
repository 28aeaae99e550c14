use std::collections::{BTreeMap, BTreeSet};

use auth_core::sql::{DbColumn, DbForeignKey, DbIndex, DbSchema, DbTable};
use rusqlite::Connection;

use super::sqlite;

fn column(name: &str, ty: &str, nullable: bool, has_default: bool) -> DbColumn {
    DbColumn {
        name: name.to_owned(),
        ty: ty.to_owned(),
        nullable,
        has_default,
    }
}

fn index(name: &str, columns: &[&str], unique: bool) -> DbIndex {
    DbIndex {
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        unique,
        name: Some(name.to_owned()),
    }
}

fn introspect(sql: &str) -> DbSchema {
    let conn = match Connection::open_in_memory() {
        Ok(conn) => conn,
        Err(error) => panic!("in-memory SQLite: {error}"),
    };
    if let Err(error) = conn.execute_batch(sql) {
        panic!("{error} in:\n{sql}");
    }
    match sqlite(&conn) {
        Ok(schema) => schema,
        Err(error) => panic!("{error}: {error:?}"),
    }
}

#[test]
fn reads_columns_keys_indexes_and_references() {
    let schema = introspect(
        r#"
        create table "user" (
          "id" text not null primary key,
          "email" text not null unique,
          "emailVerified" integer not null default 0,
          "createdAt" date not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
          "age" BIGINT
        );
        create table "session" (
          "id" integer not null primary key autoincrement,
          "token" text not null unique,
          "userId" text references "user" ("id") on delete set null,
          "ownerId" text not null references "user" ("id") on delete cascade,
          "expiresAt" date not null
        );
        create index "session_userId_idx" on "session" ("userId");
        create unique index "session_owner_expires_uidx" on "session" ("ownerId", "expiresAt");
        "#,
    );

    let user = DbTable {
        columns: vec![
            column("id", "text", false, false),
            column("email", "text", false, false),
            column("emailVerified", "integer", false, true),
            column("createdAt", "date", false, true),
            column("age", "bigint", true, false),
        ],
        primary_key: vec!["id".to_owned()],
        indexes: BTreeSet::from([index("sqlite_autoindex_user_2", &["email"], true)]),
        foreign_keys: BTreeSet::new(),
    };
    let session = DbTable {
        columns: vec![
            column("id", "integer", false, false),
            column("token", "text", false, false),
            column("userId", "text", true, false),
            column("ownerId", "text", false, false),
            column("expiresAt", "date", false, false),
        ],
        primary_key: vec!["id".to_owned()],
        indexes: BTreeSet::from([
            index("sqlite_autoindex_session_1", &["token"], true),
            index("session_userId_idx", &["userId"], false),
            index(
                "session_owner_expires_uidx",
                &["ownerId", "expiresAt"],
                true,
            ),
        ]),
        foreign_keys: BTreeSet::from([
            DbForeignKey {
                columns: vec!["userId".to_owned()],
                table: "user".to_owned(),
                referenced: vec!["id".to_owned()],
                on_delete: "set null".to_owned(),
            },
            DbForeignKey {
                columns: vec!["ownerId".to_owned()],
                table: "user".to_owned(),
                referenced: vec!["id".to_owned()],
                on_delete: "cascade".to_owned(),
            },
        ]),
    };
    let expected = DbSchema {
        tables: BTreeMap::from([("session".to_owned(), session), ("user".to_owned(), user)]),
    };
    assert_eq!(schema, expected);
}

#[test]
fn composite_keys_and_references_keep_their_order() {
    let schema = introspect(
        r#"
        create table "member" (
          "org" text not null,
          "user" text not null,
          primary key ("user", "org")
        );
        create table "grant" (
          "org" text not null,
          "user" text not null,
          "scope" text,
          foreign key ("user", "org") references "member" on delete no action,
          foreign key ("org", "user") references "member" ("org", "user") on delete restrict
        );
        "#,
    );
    assert_eq!(schema.tables["member"].primary_key, ["user", "org"]);
    // The composite text key is backed by an autoindex of origin `pk`, which is not listed.
    assert_eq!(schema.tables["member"].indexes, BTreeSet::new());
    assert_eq!(
        schema.tables["grant"].foreign_keys,
        BTreeSet::from([
            DbForeignKey {
                columns: vec!["user".to_owned(), "org".to_owned()],
                table: "member".to_owned(),
                referenced: vec!["user".to_owned(), "org".to_owned()],
                on_delete: "no action".to_owned(),
            },
            DbForeignKey {
                columns: vec!["org".to_owned(), "user".to_owned()],
                table: "member".to_owned(),
                referenced: vec!["org".to_owned(), "user".to_owned()],
                on_delete: "restrict".to_owned(),
            },
        ])
    );
}

#[test]
fn leaves_out_sqlite_d1_and_wrangler_tables() {
    let schema = introspect(
        r#"
        create table "_cf_KV" ("key" text primary key, "value" blob);
        create table "d1_migrations" ("id" integer primary key autoincrement, "name" text);
        create table "account" ("id" text not null primary key);
        "#,
    );
    // AUTOINCREMENT also created sqlite_sequence.
    assert_eq!(
        schema.tables.keys().collect::<Vec<_>>(),
        ["account"],
        "{schema:?}"
    );
}
