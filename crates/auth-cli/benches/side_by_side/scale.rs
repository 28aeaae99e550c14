//! Lists at scale on PostgreSQL (ours, 16 connections): admin's `list-users` (the first page of
//! 100, newest first by `createdAt`) among `users` users, and organization's `list-members` (the
//! first page of 100, unsorted and newest first) of an organization of `members` members, each
//! answer with its `total` (shared between requests while counting is slow:
//! `auth_runtime::store::totals`). The rows are seeded by `insert … select generate_series` in a
//! database of its own, dropped afterwards; the schema is the one `render_schema` generates,
//! indexes included (better-auth's and the toolkit's own, `IndexKind::Toolkit`), nothing added by
//! hand.

use std::sync::Arc;

use auth_core::sql::render_schema;
use auth_core::{Config, Dialect, Schema};
use sqlx::{AssertSqlSafe, Connection as _};

use crate::load::{self, MakeRequest};
use crate::report::{Cell, Figures};
use crate::server::Server;
use crate::{CONFIG, EMAIL, Settings, in_scratch_database, measure, seed};

/// Appended to [`CONFIG`]: the two plugins whose lists are measured.
const PLUGINS: &str = "\n[plugins.admin]\n\n[plugins.organization]\n";

/// One measured list: what, and its figures.
pub(crate) type Scaled = Result<Vec<(String, Figures)>, String>;

/// Both lists in a database of their own on `settings.pg_url`'s server, dropped afterwards.
pub(crate) async fn lists(settings: &Settings) -> Scaled {
    in_scratch_database(settings, "bench_scale", async |url| {
        lists_in(url, settings).await
    })
    .await
}

/// Runs `sql` on `db`, naming `what` on failure.
async fn execute(db: &mut sqlx::PgConnection, what: &str, sql: String) -> Result<(), String> {
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(db)
        .await
        .map(drop)
        .map_err(|e| format!("{what}: {e}"))
}

/// `GET path` with the benchmark admin's cookie; checked once to answer 200 with a full page.
async fn list(
    server: &Server,
    settings: &Settings,
    cookie: &str,
    path: String,
    items: &str,
) -> Result<Figures, String> {
    let first = load::once(server.address, load::get(&path, cookie)).await?;
    let answer: serde_json::Value = serde_json::from_slice(&first.body)
        .map_err(|e| format!("{path}: {} not JSON: {e}", first.status))?;
    let page = answer[items].as_array().map_or(0, Vec::len);
    if first.status != http::StatusCode::OK || page != 100 || !answer["total"].is_u64() {
        return Err(format!(
            "{path} answered {} with {page} {items}",
            first.status
        ));
    }
    let cookie = cookie.to_owned();
    let make: MakeRequest = Arc::new(move || load::get(&path, &cookie));
    match measure(server, make, 16, settings.get, settings.warm).await {
        Cell::Measured(figures) => Ok(figures),
        Cell::Missing(why) => Err(why),
    }
}

async fn lists_in(url: &str, settings: &Settings) -> Scaled {
    let config_text = format!("{CONFIG}{PLUGINS}");
    let config = Config::parse("auth.toml", &config_text).map_err(|e| e.to_string())?;
    let schema = Schema::build(&config).map_err(|e| e.to_string())?;
    let mut db = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| e.to_string())?;
    execute(&mut db, "schema", render_schema(&schema, Dialect::Postgres)).await?;
    let server = Server::ours(&config_text, Some(url))?;
    let cookie = seed(&server).await?;
    execute(
        &mut db,
        "the admin role",
        format!(r#"update "user" set "role" = 'admin' where "email" = '{EMAIL}'"#),
    )
    .await?;
    let body = serde_json::json!({ "name": "Bench", "slug": "bench" }).to_string();
    let created = load::once(
        server.address,
        load::post_json_with_cookie(
            "/api/auth/organization/create",
            &server.origin,
            &cookie,
            body,
        ),
    )
    .await?;
    let organization: serde_json::Value =
        serde_json::from_slice(&created.body).map_err(|e| format!("organization/create: {e}"))?;
    let organization = organization["id"]
        .as_str()
        .ok_or_else(|| format!("organization/create answered {organization}"))?
        .to_owned();
    let (users, members) = (
        settings.scale_users,
        settings.scale_members.min(settings.scale_users),
    );
    eprintln!("PostgreSQL lists: seeding {users} users, {members} members");
    // One creation time per user, a second apart, so that the sort has work to do.
    execute(
        &mut db,
        "seeding users",
        format!(
            r#"insert into "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt")
select 'scale-' || g, 'Scale ' || g, 'scale-' || g || '@side-by-side.test', false,
  now() - make_interval(secs => g), now()
from generate_series(1, {last_user}) g;
insert into "member" ("id", "organizationId", "userId", "role", "createdAt")
select 'scale-member-' || g, '{organization}', 'scale-' || g, 'member', now() - make_interval(secs => g)
from generate_series(1, {last_member}) g;
analyze;"#,
            last_user = users.saturating_sub(1),
            last_member = members.saturating_sub(1),
        ),
    )
    .await?;
    let mut figures = Vec::new();
    eprintln!("PostgreSQL lists: list-users");
    let path = "/api/auth/admin/list-users?limit=100&sortBy=createdAt&sortDirection=desc";
    let users_figures = list(&server, settings, &cookie, path.to_owned(), "users").await?;
    figures.push((
        format!("admin list-users, first 100 of {users} by createdAt"),
        users_figures,
    ));
    eprintln!("PostgreSQL lists: list-members");
    let path =
        format!("/api/auth/organization/list-members?organizationId={organization}&limit=100");
    let members_figures = list(&server, settings, &cookie, path, "members").await?;
    figures.push((
        format!("organization list-members, first 100 of {members}"),
        members_figures,
    ));
    eprintln!("PostgreSQL lists: list-members by createdAt");
    let path = format!(
        "/api/auth/organization/list-members?organizationId={organization}&limit=100&sortBy=createdAt&sortDirection=desc"
    );
    let sorted_figures = list(&server, settings, &cookie, path, "members").await?;
    figures.push((
        format!("organization list-members, first 100 of {members} by createdAt"),
        sorted_figures,
    ));
    drop(server);
    let _ = db.close().await;
    Ok(figures)
}
