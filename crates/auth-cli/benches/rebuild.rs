//! `auth-cli migrate apply` rebuilding a SQLite `user` table of 1,000,000 rows that 1,000,000
//! sessions and 1,000,000 accounts reference with `ON DELETE CASCADE` (so both are copied aside
//! and put back: the rebuild keeps every row).
//!
//! cargo bench -p auth-cli --bench rebuild [-- USERS]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn auth_cli(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_auth-cli"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("auth-cli: {e}"));
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn count(connection: &rusqlite::Connection, table: &str) -> i64 {
    connection
        .query_row(&format!("select count(*) from \"{table}\""), [], |r| {
            r.get(0)
        })
        .unwrap_or_else(|e| panic!("{e}"))
}

#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
fn main() {
    let users: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("auth.toml");
    let database = dir.path().join("app.db");
    let url = format!("sqlite:{}", database.display());
    std::fs::write(&config, "[email-and-password]\nenabled = true\n")
        .unwrap_or_else(|e| panic!("{e}"));
    auth_cli(
        dir.path(),
        &["migrate", "new", "init", "--dialect", "sqlite"],
    );
    auth_cli(dir.path(), &["migrate", "apply", "--database-url", &url]);

    let started = Instant::now();
    {
        let mut connection =
            rusqlite::Connection::open(&database).unwrap_or_else(|e| panic!("{e}"));
        connection
            .execute_batch("pragma journal_mode = wal; pragma synchronous = off;")
            .unwrap_or_else(|e| panic!("{e}"));
        let tx = connection.transaction().unwrap_or_else(|e| panic!("{e}"));
        {
            let now = "2026-11-28T10:00:00.000Z";
            let mut user = tx
                .prepare("insert into \"user\" (\"id\", \"name\", \"email\", \"emailVerified\", \"createdAt\", \"updatedAt\") values (?1, ?2, ?3, 0, ?4, ?4)")
                .unwrap_or_else(|e| panic!("{e}"));
            let mut session = tx
                .prepare("insert into \"session\" (\"id\", \"expiresAt\", \"token\", \"createdAt\", \"updatedAt\", \"userId\") values (?1, ?2, ?3, ?2, ?2, ?4)")
                .unwrap_or_else(|e| panic!("{e}"));
            let mut account = tx
                .prepare("insert into \"account\" (\"id\", \"accountId\", \"providerId\", \"userId\", \"password\", \"createdAt\", \"updatedAt\") values (?1, ?2, 'credential', ?2, 'salt:hash', ?3, ?3)")
                .unwrap_or_else(|e| panic!("{e}"));
            for i in 0..users {
                let id = format!("u{i:031}");
                user.execute((
                    &id,
                    format!("User {i}"),
                    format!("user{i}@example.com"),
                    now,
                ))
                .unwrap_or_else(|e| panic!("{e}"));
                session
                    .execute((format!("s{i:031}"), now, format!("t{i:031}"), &id))
                    .unwrap_or_else(|e| panic!("{e}"));
                account
                    .execute((format!("a{i:031}"), &id, now))
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
        tx.commit().unwrap_or_else(|e| panic!("{e}"));
    }
    let size = std::fs::metadata(&database).map(|m| m.len()).unwrap_or(0);
    println!(
        "seeded {users} users, sessions and accounts in {:.1} s ({:.0} MB)",
        started.elapsed().as_secs_f64(),
        size as f64 / 1e6
    );

    // A required timestamp defaulting to now: SQLite cannot add it in place, so `user` is rebuilt.
    std::fs::write(
        &config,
        "[email-and-password]\nenabled = true\n[models.user.fields.onboardedAt]\ntype = \"date\"\nrequired = true\ndefault = \"now\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    auth_cli(
        dir.path(),
        &["migrate", "new", "onboarded", "--dialect", "sqlite"],
    );
    let started = Instant::now();
    let report = auth_cli(dir.path(), &["migrate", "apply", "--database-url", &url]);
    let elapsed = started.elapsed();
    let connection = rusqlite::Connection::open(&database).unwrap_or_else(|e| panic!("{e}"));
    let counts: Vec<i64> = ["user", "session", "account"]
        .iter()
        .map(|t| count(&connection, t))
        .collect();
    assert!(
        counts.iter().all(|c| *c == users as i64),
        "rows lost: {counts:?}"
    );
    println!("{}", report.trim_end());
    println!(
        "migrate apply (rebuild user, keep sessions and accounts): {:.2} s; rows after: user {}, session {}, account {}",
        elapsed.as_secs_f64(),
        counts[0],
        counts[1],
        counts[2]
    );
}
