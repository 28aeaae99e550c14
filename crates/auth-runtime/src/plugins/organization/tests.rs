use serde_json::json;

use super::*;
use crate::plugins::tests::{call, json_of, sign_up};

async fn server(dir: &std::path::Path) -> Auth {
    let text = "[email-and-password]\nenabled = true\n[plugins.organization]\n";
    crate::plugins::tests::server(dir, text).await
}

async fn post(auth: &Auth, path: &str, cookie: &str, body: Json) -> (StatusCode, Json) {
    let response = call(auth, "POST", path, cookie, Some(body)).await;
    (response.status(), json_of(&response))
}

async fn active_of(auth: &Auth, cookie: &str) -> Json {
    let response = call(
        auth,
        "GET",
        "/get-session?disableCookieCache=true",
        cookie,
        None,
    )
    .await;
    json_of(&response)["session"][session::ACTIVE_ORGANIZATION_ID].clone()
}

/// An organization of a new owner and a pending invitation of `invitee` to it: (owner's
/// cookies, organization id, invitation id).
async fn invited(auth: &Auth, invitee: &str) -> (String, String, String) {
    let (owner, _) = sign_up(auth, "owner@example.com").await;
    let (status, org) = post(
        auth,
        "/organization/create",
        &owner,
        json!({ "name": "Acme", "slug": "acme" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{org}");
    let (status, invitation) = post(
        auth,
        "/organization/invite-member",
        &owner,
        json!({ "email": invitee, "role": "member" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{invitation}");
    let org_id = org["id"].as_str().unwrap_or_default().to_owned();
    let id = invitation["id"].as_str().unwrap_or_default().to_owned();
    (owner, org_id, id)
}

/// A removed member keeps the organization active in none of their sessions (better-auth
/// clears only the session that asked).
#[tokio::test]
async fn a_removed_member_loses_the_organization_in_every_session() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path()).await;
    let (owner, org_id, invitation) = invited(&auth, "member@example.com").await;
    let (laptop, _) = sign_up(&auth, "member@example.com").await;
    let body = json!({ "email": "member@example.com", "password": "password1234" });
    let signed = call(&auth, "POST", "/sign-in/email", "", Some(body)).await;
    let phone = crate::plugins::tests::after("", &signed);
    let (status, _) = post(
        &auth,
        "/organization/accept-invitation",
        &laptop,
        json!({ "invitationId": invitation }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post(
        &auth,
        "/organization/set-active",
        &phone,
        json!({ "organizationId": org_id }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(active_of(&auth, &laptop).await, json!(org_id));
    assert_eq!(active_of(&auth, &phone).await, json!(org_id));
    let (status, removed) = post(
        &auth,
        "/organization/remove-member",
        &owner,
        json!({ "memberIdOrEmail": "member@example.com" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(active_of(&auth, &laptop).await, Json::Null);
    assert_eq!(active_of(&auth, &phone).await, Json::Null);
    assert_eq!(active_of(&auth, &owner).await, json!(org_id));
}

/// Two accepts of one invitation at once: one joins, the other is refused.
#[tokio::test]
async fn an_invitation_is_accepted_at_most_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path()).await;
    let (owner, _, invitation) = invited(&auth, "member@example.com").await;
    let (member, _) = sign_up(&auth, "member@example.com").await;
    let body = json!({ "invitationId": invitation });
    let (first, second) = tokio::join!(
        post(
            &auth,
            "/organization/accept-invitation",
            &member,
            body.clone()
        ),
        post(&auth, "/organization/accept-invitation", &member, body),
    );
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);
    let listed = call(&auth, "GET", "/organization/list-members", &owner, None).await;
    assert_eq!(json_of(&listed)["total"], 2, "{:?}", listed.body());
}

/// An expired invitation can be neither read nor accepted.
#[tokio::test]
async fn an_expired_invitation_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path()).await;
    let (_, _, invitation_id) = invited(&auth, "member@example.com").await;
    let (member, _) = sign_up(&auth, "member@example.com").await;
    let mut changes = Row::new();
    changes.insert(
        auth_core::schema::names::invitation::EXPIRES_AT.into(),
        Value::Date(crate::store::Timestamp::now().plus_millis(-1000)),
    );
    auth.inner
        .store
        .update(
            auth_core::schema::names::invitation::MODEL,
            &[Where::eq(
                auth_core::schema::names::invitation::ID,
                invitation_id.as_str(),
            )],
            changes,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, refused) = post(
        &auth,
        "/organization/accept-invitation",
        &member,
        json!({ "invitationId": invitation_id }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["code"], "INVITATION_NOT_FOUND");
    let read = call(
        &auth,
        "GET",
        &format!("/organization/get-invitation?id={invitation_id}"),
        &member,
        None,
    )
    .await;
    assert_eq!(read.status(), StatusCode::BAD_REQUEST);
}

/// The invitation mail: kind `invitation` in the log mailer, its token the invitation's id,
/// its link `invitation-url` at the server's origin.
#[tokio::test]
async fn an_invitation_is_mailed_with_its_id() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path()).await;
    let (_, _, invitation_id) = invited(&auth, "Member@Example.com").await;
    let path = dir.path().join("outbox.jsonl");
    let mut mail = None;
    for _ in 0..100 {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        mail = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Json>(l).ok())
            .find(|m| m["kind"] == "invitation");
        if mail.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mail = mail.unwrap_or_else(|| panic!("no invitation mail in {}", path.display()));
    assert_eq!(mail["to"], "member@example.com");
    assert_eq!(mail["token"], json!(invitation_id));
    assert_eq!(
        mail["url"],
        json!(format!(
            "http://127.0.0.1:3000/accept-invitation/{invitation_id}"
        ))
    );
}
