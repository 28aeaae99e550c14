//! `RequirePermission<P>` on routes of the app's own, over HTTP: 401 without a session (cookie,
//! bearer token or API key), 403 with better-auth's code when `P` is not granted; admin's
//! roles from auth.toml (a granted role takes effect at once), and the caller's role in the
//! active organization, stored roles (dynamic access control) included and re-read on every
//! request. The session is resolved once per request, whatever extractors share it, and from
//! the cookie cache when there is one.

use auth_runtime::{Auth, CurrentUser, RequirePermission, permission};
use axum::Router;
use axum::extract::FromRequestParts;
use axum::routing::get;
use http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::embed::{Answer, call};

const BASE: &str = "http://127.0.0.1:3000";
const SECRET: &str = "permission-test-secret-0123456789abcdefghij";

const CONFIG: &str = r#"
[email-and-password]
enabled = true

[plugins.bearer]

[plugins.api-key]
enable-session-for-api-keys = true

[plugins.admin.statements]
report = ["read", "export"]

[plugins.admin.roles.support]
user = ["list", "ban"]
report = ["read"]

[plugins.organization]
dynamic-access-control = true

[plugins.organization.statements]
project = ["read", "write"]

[plugins.organization.roles.owner]
organization = ["update", "delete"]
member = ["create", "update", "delete"]
invitation = ["create", "cancel"]
ac = ["create", "read", "update", "delete"]
project = ["read", "write"]

[mailer]
kind = "log"
path = "{dir}/outbox.jsonl"
"#;

permission! {
    /// Who may ban users.
    pub struct BanUsers: admin { "user": ["ban"] } else YOU_ARE_NOT_ALLOWED_TO_BAN_USERS;
}

permission! {
    /// Who may export reports (a statement of auth.toml).
    pub struct ExportReports: admin { "report": ["read", "export"] } else YOU_ARE_NOT_ALLOWED_TO_LIST_USERS;
}

permission! {
    /// Members of the active organization who may write its projects.
    pub struct WriteProjects: organization { "project": ["write"] }
        else YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION;
}

async fn ban(guard: RequirePermission<BanUsers>) -> axum::Json<Value> {
    axum::Json(json!({ "email": guard.user.email }))
}

async fn export(_: RequirePermission<ExportReports>) -> &'static str {
    "exported"
}

/// A guard beside another extractor: one session lookup, the same user.
async fn write(
    CurrentUser(user): CurrentUser,
    guard: RequirePermission<WriteProjects>,
) -> axum::Json<Value> {
    axum::Json(json!({
        "same": user == guard.user,
        "organizationId": guard.organization_id,
    }))
}

/// A signed-up user: the session cookie (`name=value`), the cookie cache's (when on), the
/// bearer token, the user id.
struct Someone {
    cookie: String,
    cache: Option<String>,
    bearer: String,
    id: String,
}

async fn sign_up(app: &mut Router, email: &str) -> Someone {
    let body = json!({ "name": "Tester", "email": email, "password": "correct horse battery" });
    let answer = call(app, "POST", "/api/auth/sign-up/email", &[], Some(body)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    let cookie = |name: &str| {
        answer
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    };
    let cache = cookie("better-auth.session_data");
    let cookie = cookie("better-auth.session_token").unwrap_or_else(|| panic!("no session cookie"));
    let token = answer
        .headers
        .get("set-auth-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no set-auth-token"));
    Someone {
        cookie,
        cache,
        bearer: format!("Bearer {token}"),
        id: answer.json["user"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    }
}

async fn server() -> (tempfile::TempDir, Auth, Router) {
    server_with("").await
}

/// [`server`] with `more` after [`CONFIG`].
async fn server_with(more: &str) -> (tempfile::TempDir, Auth, Router) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("auth.toml");
    let text = format!("{CONFIG}{more}").replace("{dir}", &dir.path().display().to_string());
    std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));
    let auth = Auth::builder()
        .config(&config)
        .data_dir(dir.path().join("data"))
        .secret(
            auth_runtime::wire::Secret::new(SECRET.to_owned()).unwrap_or_else(|e| panic!("{e}")),
        )
        .base_url(BASE)
        .build()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let own = Router::new()
        .route("/ban", get(ban))
        .route("/export", get(export))
        .route("/write", get(write))
        .with_state(auth.clone());
    let app = auth.router().merge(own);
    (dir, auth, app)
}

#[track_caller]
fn refused(answer: &Answer, status: StatusCode, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.json);
    assert_eq!(answer.json["code"], code, "{}", answer.json);
    assert!(answer.json["message"].is_string(), "{}", answer.json);
}

#[tokio::test]
async fn admin_permissions_guard_routes() {
    let (_dir, auth, mut app) = server().await;
    for path in ["/ban", "/export"] {
        let answer = call(&mut app, "GET", path, &[], None).await;
        refused(&answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
        let forged = [("cookie", "better-auth.session_token=forged.signature")];
        let answer = call(&mut app, "GET", path, &forged, None).await;
        refused(&answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    }
    let user = sign_up(&mut app, "plain@example.com").await;
    let answer = call(&mut app, "GET", "/ban", &[("cookie", &user.cookie)], None).await;
    refused(
        &answer,
        StatusCode::FORBIDDEN,
        "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS",
    );

    // A declared role grants exactly its actions: support may ban, not export.
    auth.grant_role("plain@example.com", "support")
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let answer = call(&mut app, "GET", "/ban", &[("cookie", &user.cookie)], None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.json["email"], "plain@example.com");
    let answer = call(
        &mut app,
        "GET",
        "/export",
        &[("authorization", &user.bearer)],
        None,
    )
    .await;
    refused(
        &answer,
        StatusCode::FORBIDDEN,
        "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS",
    );

    // The default admin role has no report statement; support plus a role that has.
    auth.grant_role("plain@example.com", "admin")
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let answer = call(
        &mut app,
        "GET",
        "/ban",
        &[("authorization", &user.bearer)],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "bearer: {}", answer.json);
    let answer = call(
        &mut app,
        "GET",
        "/export",
        &[("cookie", &user.cookie)],
        None,
    )
    .await;
    refused(
        &answer,
        StatusCode::FORBIDDEN,
        "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS",
    );

    // An API key stands for its owner, as on the API.
    let created = call(
        &mut app,
        "POST",
        "/api/auth/api-key/create",
        &[("cookie", &user.cookie)],
        Some(json!({ "name": "ci" })),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.json);
    let key = created.json["key"].as_str().unwrap_or_default().to_owned();
    let answer = call(&mut app, "GET", "/ban", &[("x-api-key", &key)], None).await;
    assert_eq!(answer.status, StatusCode::OK, "api key: {}", answer.json);

    // Demoted: refused at once, whatever carries the session.
    auth.grant_role("plain@example.com", "user")
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    for header in [
        ("cookie", user.cookie.as_str()),
        ("authorization", user.bearer.as_str()),
        ("x-api-key", key.as_str()),
    ] {
        let answer = call(&mut app, "GET", "/ban", &[header], None).await;
        refused(
            &answer,
            StatusCode::FORBIDDEN,
            "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS",
        );
    }
    assert!(!user.id.is_empty());
}

#[tokio::test]
async fn organization_permissions_guard_routes_with_stored_roles() {
    let (_dir, _auth, mut app) = server().await;
    let answer = call(&mut app, "GET", "/write", &[], None).await;
    refused(&answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let owner = sign_up(&mut app, "owner@example.com").await;
    let member = sign_up(&mut app, "member@example.com").await;
    let answer = call(
        &mut app,
        "GET",
        "/write",
        &[("cookie", &owner.cookie)],
        None,
    )
    .await;
    refused(&answer, StatusCode::FORBIDDEN, "NO_ACTIVE_ORGANIZATION");

    let org = call(
        &mut app,
        "POST",
        "/api/auth/organization/create",
        &[("cookie", &owner.cookie)],
        Some(json!({ "name": "Acme", "slug": "acme" })),
    )
    .await;
    assert_eq!(org.status, StatusCode::OK, "{}", org.json);
    let org_id = org.json["id"].as_str().unwrap_or_default().to_owned();
    let answer = call(
        &mut app,
        "GET",
        "/write",
        &[("cookie", &owner.cookie)],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(
        answer.json,
        json!({ "same": true, "organizationId": org_id })
    );

    // The member joins as a plain member: no project rights.
    let invited = call(
        &mut app,
        "POST",
        "/api/auth/organization/invite-member",
        &[("cookie", &owner.cookie)],
        Some(json!({ "email": "member@example.com", "role": "member" })),
    )
    .await;
    assert_eq!(invited.status, StatusCode::OK, "{}", invited.json);
    let accepted = call(
        &mut app,
        "POST",
        "/api/auth/organization/accept-invitation",
        &[("cookie", &member.cookie)],
        Some(json!({ "invitationId": invited.json["id"] })),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.json);
    let member_id = accepted.json["member"]["id"].clone();
    let answer = call(
        &mut app,
        "GET",
        "/write",
        &[("authorization", &member.bearer)],
        None,
    )
    .await;
    refused(
        &answer,
        StatusCode::FORBIDDEN,
        "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION",
    );

    // A stored role granting project:write, given to the member: allowed.
    let created = call(
        &mut app,
        "POST",
        "/api/auth/organization/create-role",
        &[("cookie", &owner.cookie)],
        Some(json!({ "role": "writer", "permission": { "project": ["read", "write"] } })),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.json);
    let updated = call(
        &mut app,
        "POST",
        "/api/auth/organization/update-member-role",
        &[("cookie", &owner.cookie)],
        Some(json!({ "memberId": member_id, "role": "writer" })),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.json);
    let answer = call(
        &mut app,
        "GET",
        "/write",
        &[("cookie", &member.cookie)],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);

    // The role narrowed: refused on the next request.
    let narrowed = call(
        &mut app,
        "POST",
        "/api/auth/organization/update-role",
        &[("cookie", &owner.cookie)],
        Some(json!({ "roleName": "writer", "data": { "permission": { "project": ["read"] } } })),
    )
    .await;
    assert_eq!(narrowed.status, StatusCode::OK, "{}", narrowed.json);
    let answer = call(
        &mut app,
        "GET",
        "/write",
        &[("cookie", &member.cookie)],
        None,
    )
    .await;
    refused(
        &answer,
        StatusCode::FORBIDDEN,
        "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION",
    );

    // Removed from the organization: its active organization is cleared with the membership.
    let removed = call(
        &mut app,
        "POST",
        "/api/auth/organization/remove-member",
        &[("cookie", &owner.cookie)],
        Some(json!({ "memberIdOrEmail": "member@example.com" })),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.json);
    let answer = call(
        &mut app,
        "GET",
        "/write",
        &[("cookie", &member.cookie)],
        None,
    )
    .await;
    refused(&answer, StatusCode::FORBIDDEN, "NO_ACTIVE_ORGANIZATION");
    assert!(!owner.id.is_empty());
}

/// One request resolves its session once: a guard after `CurrentUser` reads the session the
/// first extractor found, even when it is signed out in between; a new request finds none.
#[tokio::test]
async fn a_request_resolves_its_session_once() {
    let (_dir, auth, mut app) = server().await;
    let user = sign_up(&mut app, "once@example.com").await;
    auth.grant_role("once@example.com", "admin")
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let parts = || {
        let request = Request::builder()
            .uri(format!("{BASE}/ban"))
            .header("cookie", &user.cookie)
            .body(())
            .unwrap_or_else(|e| panic!("{e}"));
        request.into_parts().0
    };
    let mut first = parts();
    let CurrentUser(seen) = CurrentUser::<()>::from_request_parts(&mut first, &auth)
        .await
        .unwrap_or_else(|e| panic!("{}", e.body()));
    let signed_out = call(
        &mut app,
        "POST",
        "/api/auth/sign-out",
        &[("cookie", &user.cookie)],
        Some(json!({})),
    )
    .await;
    assert_eq!(signed_out.status, StatusCode::OK, "{}", signed_out.json);
    let guard = RequirePermission::<BanUsers>::from_request_parts(&mut first, &auth)
        .await
        .unwrap_or_else(|e| panic!("the request's session was looked up again: {}", e.body()));
    assert_eq!(guard.user, seen);
    let refused = RequirePermission::<BanUsers>::from_request_parts(&mut parts(), &auth)
        .await
        .err()
        .unwrap_or_else(|| panic!("a signed-out session passed"));
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
}

/// With the cookie cache on, the guard reads the session from it as get-session does: a
/// session deleted from the database still signs in by its cache until it expires, with the
/// user (and role) cached; without the cache cookie, the deleted session is none.
#[tokio::test]
async fn the_guard_reads_the_cookie_cache() {
    let (_dir, auth, mut app) =
        server_with("\n[session.cookie-cache]\nenabled = true\nmax-age = 300\n").await;
    let user = sign_up(&mut app, "cached@example.com").await;
    let cache = user
        .cache
        .clone()
        .unwrap_or_else(|| panic!("no cookie cache cookie"));
    let both = format!("{}; {cache}", user.cookie);
    let answer = call(&mut app, "GET", "/ban", &[("cookie", &both)], None).await;
    refused(
        &answer,
        StatusCode::FORBIDDEN,
        "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS",
    );
    let signed_out = call(
        &mut app,
        "POST",
        "/api/auth/sign-out",
        &[("cookie", &user.cookie)],
        Some(json!({})),
    )
    .await;
    assert_eq!(signed_out.status, StatusCode::OK, "{}", signed_out.json);
    auth.grant_role("cached@example.com", "admin")
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    // Still signed in by the cache, as the role it cached.
    let answer = call(&mut app, "GET", "/ban", &[("cookie", &both)], None).await;
    refused(
        &answer,
        StatusCode::FORBIDDEN,
        "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS",
    );
    let answer = call(&mut app, "GET", "/ban", &[("cookie", &user.cookie)], None).await;
    refused(&answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
}
