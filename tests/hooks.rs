//! Database hooks registered in Rust (`auth_runtime::hooks::DatabaseHooks`), through the HTTP
//! API: a before hook rejects a write with its own `{code, message}` or changes the row; an
//! after hook sees the row as stored. On SQLite and PostgreSQL.

use crate::server;

use std::sync::{Arc, Mutex};

use auth_runtime::AuthOptions;
use auth_runtime::hooks::DatabaseHooks;
use auth_runtime::http::ApiError;
use auth_runtime::store::{Row, Value, Where};
use http::StatusCode;
use serde_json::json;
use server::{Backend, get, post, server_with, sign_up};

const CONFIG: &str = r#"
[email-and-password]
enabled = true

[models.user.fields.role]
type = "string"
input = false
"#;

/// What the after hooks saw.
#[derive(Default)]
struct Seen {
    sessions: Vec<Row>,
    users: Vec<Row>,
}

fn text(row: &Row, field: &str) -> String {
    row.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The seed's examples: block a domain, set a default role, audit session creation; plus a
/// rule on updates and an after-update observer.
fn hooks(seen: &Arc<Mutex<Seen>>) -> DatabaseHooks {
    let sessions = Arc::clone(seen);
    let users = Arc::clone(seen);
    DatabaseHooks::new()
        .before_create("user", |mut user: Row| async move {
            if text(&user, "email").ends_with("@blocked.example") {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "EMAIL_DOMAIN_BLOCKED",
                    "Sign-ups from this domain are not allowed",
                ));
            }
            user.entry("role".to_owned())
                .or_insert_with(|| Value::String("member".to_owned()));
            Ok(user)
        })
        .after_create("session", move |session: Row| {
            let seen = Arc::clone(&sessions);
            async move {
                if let Ok(mut seen) = seen.lock() {
                    seen.sessions.push(session);
                }
            }
        })
        .before_update("user", |changes: Row| async move {
            if changes.get("name").and_then(Value::as_str) == Some("root") {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "NAME_NOT_ALLOWED",
                    "This name is reserved",
                ));
            }
            Ok(changes)
        })
        .after_update("user", move |user: Row| {
            let seen = Arc::clone(&users);
            async move {
                if let Ok(mut seen) = seen.lock() {
                    seen.users.push(user);
                }
            }
        })
}

async fn run(backend: Backend, label: &str, extra: &str) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let options = AuthOptions {
        hooks: hooks(&seen),
        ..Default::default()
    };
    let config = format!("{CONFIG}{extra}");
    let Some((auth, holder)) = server_with(backend, &config, label, options).await else {
        return;
    };
    let store = auth.store();

    // Block a domain: the hook's 4xx and body, nothing written.
    let blocked = post("/sign-up/email")
        .json(&json!({ "name": "Spam", "email": "x@blocked.example", "password": "password123" }))
        .send(&auth)
        .await;
    assert_eq!(
        blocked.status,
        StatusCode::FORBIDDEN,
        "{:?}",
        blocked.json()
    );
    assert_eq!(
        blocked.json(),
        json!({ "message": "Sign-ups from this domain are not allowed", "code": "EMAIL_DOMAIN_BLOCKED" })
    );
    assert!(blocked.set_cookies().is_empty());
    assert_eq!(store.count("user", &[]).await.unwrap_or(99), 0);
    assert_eq!(store.count("account", &[]).await.unwrap_or(99), 0);
    if auth.schema().model("session").is_some() {
        assert_eq!(store.count("session", &[]).await.unwrap_or(99), 0);
    }

    // Default role: set by the hook, stored and returned.
    let answer = sign_up(&auth, "ada@example.com").await;
    assert_eq!(answer.json()["user"]["role"], "member");
    let user = store
        .find_one("user", &[Where::eq("email", "ada@example.com")])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the user is stored"));
    assert_eq!(text(&user, "role"), "member");

    // Audit session creation: the after hook saw the stored row (its id, the cookie's token).
    let cookie = answer.cookie();
    let token = cookie
        .split("better-auth.session_token=")
        .nth(1)
        .and_then(|v| v.split(['.', ';']).next())
        .unwrap_or_default()
        .to_owned();
    let audited = seen.lock().map(|s| s.sessions.clone()).unwrap_or_default();
    assert_eq!(audited.len(), 1, "one session created: {audited:?}");
    assert_eq!(text(&audited[0], "token"), token);
    assert_eq!(text(&audited[0], "userId"), text(&user, "id"));
    let listed = get("/list-sessions").cookie(&cookie).send(&auth).await;
    assert_eq!(
        listed.json()[0]["id"],
        text(&audited[0], "id"),
        "the audited row is the stored one"
    );

    // An update rule: refused with the hook's error, the row unchanged, no after hook.
    let refused = post("/update-user")
        .cookie(&cookie)
        .json(&json!({ "name": "root" }))
        .send(&auth)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.code(), "NAME_NOT_ALLOWED");
    let user = store
        .find_one("user", &[Where::eq("id", text(&user, "id"))])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("still there"));
    assert_eq!(text(&user, "name"), "Test");
    assert!(seen.lock().map(|s| s.users.is_empty()).unwrap_or(false));

    // The after-update hook sees the whole stored row after the change.
    let renamed = post("/update-user")
        .cookie(&cookie)
        .json(&json!({ "name": "Ada" }))
        .send(&auth)
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.json());
    let updated = seen.lock().map(|s| s.users.clone()).unwrap_or_default();
    assert_eq!(updated.len(), 1);
    assert_eq!(text(&updated[0], "name"), "Ada");
    assert_eq!(text(&updated[0], "role"), "member");
    assert_eq!(text(&updated[0], "email"), "ada@example.com");

    // A second sign-in: a second audited session.
    let signed_in = post("/sign-in/email")
        .json(&json!({ "email": "ada@example.com", "password": "password123" }))
        .send(&auth)
        .await;
    assert_eq!(signed_in.status, StatusCode::OK);
    assert_eq!(seen.lock().map(|s| s.sessions.len()).unwrap_or(0), 2);
    holder.drop().await;
}

#[tokio::test]
async fn hooks_sqlite() {
    run(Backend::Sqlite, "hooks", "").await;
}

/// Sessions kept only in a secondary storage run the same hooks.
#[tokio::test]
async fn hooks_with_sessions_in_secondary_storage() {
    run(
        Backend::Sqlite,
        "hooks",
        "\n[secondary-storage]\nkind = \"memory\"\n",
    )
    .await;
}

#[tokio::test]
async fn hooks_postgres() {
    run(Backend::Postgres, "hooks", "").await;
}

#[tokio::test]
async fn hooks_on_an_unknown_model_are_refused() {
    let options = AuthOptions {
        hooks: DatabaseHooks::new().after_create("sesion", |_| async {}),
        ..Default::default()
    };
    let config = server::parse(CONFIG);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite:{}", dir.path().join("auth.db").display());
    let secret = auth_runtime::Secret::new(server::SECRET).unwrap_or_else(|e| panic!("{e}"));
    let error =
        auth_runtime::Auth::connect(config, auth_core::Dialect::Sqlite, &url, secret, options)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
    assert!(error.contains("unknown model `sesion`"), "{error}");
}
