use super::*;
use bytes::Bytes;
use http::Response;
use serde_json::json;

use crate::plugins::tests::{after, call, json_of, set_cookies, sign_up};

async fn server(dir: &std::path::Path, options: &str) -> Auth {
    let text = format!(
        "[email-and-password]\nenabled = true\n[plugins.anonymous]\n[plugins.admin]\n{options}"
    );
    crate::plugins::tests::server(dir, &text).await
}

async fn sign_in(auth: &Auth, email: &str) -> Response<Bytes> {
    let body = json!({ "email": email, "password": "password1234" });
    call(auth, "POST", "/sign-in/email", "", Some(body)).await
}

/// An admin's cookies and id.
async fn admin(auth: &Auth) -> (String, String) {
    let (cookie, id) = sign_up(auth, "boss@example.com").await;
    auth.grant_role("boss@example.com", "admin")
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    (cookie, id)
}

async fn stored_user(auth: &Auth, id: &str) -> Row {
    auth.inner
        .store
        .find_one(user::MODEL, &[Where::eq(user::ID, id)])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no user {id}"))
}

/// A ban ends the user's sessions and refuses every new one, a password sign-in and an
/// anonymous link alike, with the configured message; once expired, the next sign-in lifts it.
#[tokio::test]
async fn bans_refuse_every_session_until_they_expire() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "banned-user-message = \"Gone.\"\n").await;
    let (boss, _) = admin(&auth).await;
    let (cookie, id) = sign_up(&auth, "bad@example.com").await;
    let ban = json!({ "userId": id, "banReason": "spam" });
    let banned = call(&auth, "POST", "/admin/ban-user", &boss, Some(ban)).await;
    assert_eq!(banned.status(), StatusCode::OK);
    assert_eq!(json_of(&banned)["user"]["banned"], true);
    let session = call(&auth, "GET", "/get-session", &cookie, None).await;
    assert_eq!(json_of(&session), Json::Null, "the ban ended the session");
    let refused = sign_in(&auth, "bad@example.com").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_of(&refused),
        json!({ "message": "Gone.", "code": "BANNED_USER" })
    );
    assert!(set_cookies(&refused).is_empty(), "no session cookie");
    // Every session creation passes the guard, whatever the endpoint.
    let mut ctx = Ctx::new(
        http::Method::POST,
        String::new(),
        crate::http::Query::parse(None),
        http::HeaderMap::new(),
        crate::wire::cookie::RequestCookies::parse(""),
        None,
    );
    let start = auth
        .start_session_with(&mut ctx, &id, true, 60, Row::new())
        .await;
    assert_eq!(start.map_err(|e| e.code), Err(Some("BANNED_USER")));
    let mut expired = Row::new();
    expired.insert(
        user::BAN_EXPIRES.into(),
        Value::Date(Timestamp::now().plus_millis(-1000)),
    );
    auth.update_user(&id, expired)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        sign_in(&auth, "bad@example.com").await.status(),
        StatusCode::OK
    );
    let lifted = stored_user(&auth, &id).await;
    assert_eq!(lifted.get(user::BANNED), Some(&Value::Boolean(false)));
    assert_eq!(lifted.get(user::BAN_REASON), Some(&Value::Null));
}

/// Every creation path gives `default-role`: sign-up, anonymous sign-in, create-user.
#[tokio::test]
async fn new_users_get_the_default_role_on_every_path() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "default-role = \"member\"\n").await;
    let (_, signed_up) = sign_up(&auth, "a@example.com").await;
    let anonymous = call(&auth, "POST", "/sign-in/anonymous", "", Some(json!({}))).await;
    let anonymous = json_of(&anonymous)["user"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (boss, _) = admin(&auth).await;
    let body = json!({ "email": "c@example.com", "name": "C" });
    let created = call(&auth, "POST", "/admin/create-user", &boss, Some(body)).await;
    assert_eq!(json_of(&created)["user"]["role"], "member");
    let created = json_of(&created)["user"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for id in [signed_up, anonymous, created] {
        let role = stored_user(&auth, &id).await.get(user::ROLE).cloned();
        assert_eq!(role, Some(Value::String("member".into())), "{id}");
    }
}

/// No session: 401 with an empty body. A user without the grant: 403 with the endpoint's code.
#[tokio::test]
async fn refusals_are_better_auths() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "").await;
    let none = call(&auth, "GET", "/admin/list-users", "", None).await;
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert!(none.body().is_empty());
    let (cookie, id) = sign_up(&auth, "u@example.com").await;
    for (path, body, code) in [
        (
            "/admin/list-users",
            None,
            "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS",
        ),
        (
            "/admin/remove-user",
            Some(json!({ "userId": id })),
            "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS",
        ),
        (
            "/admin/revoke-user-sessions",
            Some(json!({ "userId": id })),
            "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS",
        ),
    ] {
        let method = if body.is_some() { "POST" } else { "GET" };
        let refused = call(&auth, method, path, &cookie, body).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(json_of(&refused)["code"], code, "{path}");
    }
    let asked = json!({ "permissions": { "user": ["list"] } });
    let answer = call(&auth, "POST", "/admin/has-permission", &cookie, Some(asked)).await;
    assert_eq!(json_of(&answer), json!({ "error": null, "success": false }));
}

/// Impersonation: the admin's cookies are put aside in `admin_session`, the new session is
/// not remembered and carries `impersonatedBy`; stop-impersonating restores the admin. A
/// stop without the `admin_session` cookie is the request's fault: 400, never a 500.
#[tokio::test]
async fn impersonation_starts_and_stops() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "impersonation-session-duration = 120\n").await;
    let (boss, boss_id) = admin(&auth).await;
    let (_, id) = sign_up(&auth, "target@example.com").await;
    let started = call(
        &auth,
        "POST",
        "/admin/impersonate-user",
        &boss,
        Some(json!({ "userId": id })),
    )
    .await;
    assert_eq!(started.status(), StatusCode::OK);
    let body = json_of(&started);
    assert_eq!(body["session"]["impersonatedBy"], boss_id.as_str());
    let names: Vec<String> = set_cookies(&started)
        .iter()
        .map(|l| l.split('=').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "better-auth.session_token",
            "better-auth.session_data",
            "better-auth.dont_remember",
            "better-auth.admin_session",
            "better-auth.session_token",
            "better-auth.dont_remember",
        ]
    );
    let lines = set_cookies(&started);
    assert!(!lines[4].contains("Max-Age"), "{}", lines[4]);
    assert!(lines[3].contains("Max-Age=604800"), "{}", lines[3]);
    let expires = body["session"]["expiresAt"].as_str().unwrap_or_default();
    let expires = Timestamp::parse_iso(expires).unwrap_or_else(|| panic!("{body}"));
    let left = expires.millis() - Timestamp::now().millis();
    assert!((110_000..=120_000).contains(&left), "{left}");
    let impersonating = after(&boss, &started);
    let listed = json_of(&call(&auth, "GET", "/list-sessions", &impersonating, None).await);
    let tokens: Vec<&Json> = listed
        .as_array()
        .map(|all| all.iter().map(|s| &s["token"]).collect())
        .unwrap_or_default();
    assert_eq!(tokens.len(), 1, "only the target's own session: {listed}");
    assert_ne!(
        tokens[0], &body["session"]["token"],
        "impersonation sessions are hidden"
    );
    let without: String = impersonating
        .split("; ")
        .filter(|c| !c.starts_with("better-auth.admin_session="))
        .collect::<Vec<_>>()
        .join("; ");
    let lost = call(&auth, "POST", "/admin/stop-impersonating", &without, None).await;
    assert_eq!(lost.status(), StatusCode::BAD_REQUEST);
    let stopped = call(
        &auth,
        "POST",
        "/admin/stop-impersonating",
        &impersonating,
        None,
    )
    .await;
    assert_eq!(stopped.status(), StatusCode::OK);
    assert_eq!(json_of(&stopped)["user"]["id"], boss_id.as_str());
    let back = after(&impersonating, &stopped);
    let session = call(&auth, "GET", "/get-session", &back, None).await;
    assert_eq!(json_of(&session)["user"]["id"], boss_id.as_str());
    let again = call(&auth, "POST", "/admin/stop-impersonating", &back, None).await;
    assert_eq!(
        json_of(&again),
        json!({ "message": "You are not impersonating anyone" })
    );
}

/// list-users: a sort or filter on a field the user does not have answers no users (as
/// better-auth's caught adapter error); a text operator on a boolean too; a bad enum is 400.
#[tokio::test]
async fn list_users_queries() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "").await;
    let (boss, _) = admin(&auth).await;
    sign_up(&auth, "zed@example.com").await;
    let list = |query: &'static str| {
        let (auth, boss) = (auth.clone(), boss.clone());
        async move {
            let path = format!("/admin/list-users?{query}");
            json_of(&call(&auth, "GET", &path, &boss, None).await)
        }
    };
    assert_eq!(list("").await["total"], 2);
    assert_eq!(
        list("sortBy=nope").await,
        json!({ "users": [], "total": 0 })
    );
    assert_eq!(
        list("filterField=banned&filterValue=false&filterOperator=contains").await,
        json!({ "users": [], "total": 0 })
    );
    let banned = list("filterField=banned&filterValue=false").await;
    assert_eq!(banned["total"], 2, "{banned}");
    let found = list("searchValue=zed&limit=1&offset=0").await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["limit"], 1);
    assert!(found.get("offset").is_none(), "{found}");
    assert_eq!(list("searchField=role").await["code"], "VALIDATION_ERROR");
}

#[tokio::test]
async fn grant_role_finds_by_email_or_id_and_checks_declared_roles() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(
        dir.path(),
        "[plugins.admin.roles.support]\nuser = [\"list\"]\n",
    )
    .await;
    let (_, id) = sign_up(&auth, "g@example.com").await;
    let granted = auth.grant_role(&id, "user,support").await;
    assert_eq!(granted.map(|g| g.email), Ok("g@example.com".to_owned()));
    let role = stored_user(&auth, &id).await.get(user::ROLE).cloned();
    assert_eq!(role, Some(Value::String("user,support".into())));
    let refused = auth.grant_role("g@example.com", "auditor").await;
    assert_eq!(
        refused.map_err(|e| e.code),
        Err(Some("YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE"))
    );
    let missing = auth.grant_role("nobody@example.com", "admin").await;
    assert_eq!(missing.map_err(|e| e.code), Err(Some("USER_NOT_FOUND")));
}

#[test]
fn coerced_strings_are_javascripts() {
    for (value, text) in [
        (json!("abc"), "abc"),
        (json!(12), "12"),
        (json!(1.5), "1.5"),
        (json!(null), "null"),
        (json!(true), "true"),
        (json!([1, "a", null]), "1,a,"),
        (json!({}), "[object Object]"),
    ] {
        assert_eq!(js_string(&value), text, "{value}");
    }
}

#[derive(Debug, Clone)]
enum Step {
    Ban(usize),
    Unban(usize),
    SetRole(usize, &'static str),
    Impersonate(usize),
    SignIn(usize),
    /// The user tries to make themself an admin.
    Escalate(usize),
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    let user = 0usize..3;
    prop_oneof![
        user.clone().prop_map(Step::Ban),
        user.clone().prop_map(Step::Unban),
        (
            user.clone(),
            prop_oneof![Just("user"), Just("support"), Just("admin")]
        )
            .prop_map(|(u, r)| Step::SetRole(u, r)),
        user.clone().prop_map(Step::Impersonate),
        user.clone().prop_map(Step::SignIn),
        user.prop_map(Step::Escalate),
    ]
}

/// Random sequences of bans, unbans, role changes, impersonations and sign-ins: a banned user
/// never has a live session, and nobody holds a role an admin did not give them.
#[test]
fn bans_and_roles_hold_under_random_sequences() {
    use proptest::prelude::*;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let config = ProptestConfig {
        cases: 12,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(steps in proptest::collection::vec(step(), 1..10))| {
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let auth = server(dir.path(), "[plugins.admin.roles.support]\nuser = [\"list\"]\n[rate-limit]\nenabled = false\n").await;
            let (boss, _) = admin(&auth).await;
            let mut users = Vec::new();
            for n in 0..3 {
                let email = format!("u{n}@example.com");
                let (_, id) = sign_up(&auth, &email).await;
                users.push((email, id));
            }
            let mut banned = [false; 3];
            let mut roles = ["user"; 3];
            for step in &steps {
                let post = |path: &'static str, cookie: String, body: Json| {
                    let auth = auth.clone();
                    async move { call(&auth, "POST", path, &cookie, Some(body)).await }
                };
                match *step {
                    Step::Ban(u) => {
                        let answer = post("/admin/ban-user", boss.clone(), json!({ "userId": users[u].1 })).await;
                        assert_eq!(answer.status(), StatusCode::OK, "{step:?}");
                        banned[u] = true;
                    }
                    Step::Unban(u) => {
                        let answer = post("/admin/unban-user", boss.clone(), json!({ "userId": users[u].1 })).await;
                        assert_eq!(answer.status(), StatusCode::OK, "{step:?}");
                        banned[u] = false;
                    }
                    Step::SetRole(u, role) => {
                        let body = json!({ "userId": users[u].1, "role": role });
                        let answer = post("/admin/set-role", boss.clone(), body).await;
                        assert_eq!(answer.status(), StatusCode::OK, "{step:?}");
                        roles[u] = role;
                    }
                    Step::Impersonate(u) => {
                        let body = json!({ "userId": users[u].1 });
                        let answer = post("/admin/impersonate-user", boss.clone(), body).await;
                        let expected = if roles[u] == "admin" {
                            (StatusCode::FORBIDDEN, "YOU_CANNOT_IMPERSONATE_ADMINS")
                        } else if banned[u] {
                            (StatusCode::FORBIDDEN, "BANNED_USER")
                        } else {
                            (StatusCode::OK, "")
                        };
                        assert_eq!(answer.status(), expected.0, "{step:?}");
                        if expected.0 == StatusCode::OK {
                            let stop = post("/admin/stop-impersonating", after(&boss, &answer), json!({})).await;
                            assert_eq!(stop.status(), StatusCode::OK, "{step:?}");
                        } else {
                            assert_eq!(json_of(&answer)["code"], expected.1, "{step:?}");
                        }
                    }
                    Step::SignIn(u) | Step::Escalate(u) => {
                        let answer = sign_in(&auth, &users[u].0).await;
                        if banned[u] {
                            assert_eq!(json_of(&answer)["code"], "BANNED_USER", "{step:?}");
                            continue;
                        }
                        assert_eq!(answer.status(), StatusCode::OK, "{step:?}");
                        if let Step::Escalate(u) = *step {
                            let body = json!({ "userId": users[u].1, "role": "admin" });
                            let answer = post("/admin/set-role", after("", &answer), body).await;
                            if roles[u] == "admin" {
                                assert_eq!(answer.status(), StatusCode::OK, "{step:?}");
                            } else {
                                assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{step:?}");
                            }
                        }
                    }
                }
                for (u, (_, id)) in users.iter().enumerate() {
                    let live = auth.sessions().list(id).await.unwrap_or_else(|e| panic!("{e:?}"));
                    assert!(!banned[u] || live.is_empty(), "banned user {u} has a session after {steps:?}");
                    let role = stored_user(&auth, id).await.get(user::ROLE).cloned();
                    assert_eq!(role, Some(Value::String(roles[u].into())), "user {u} after {steps:?}");
                }
            }
        });
    });
}
