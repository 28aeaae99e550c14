use serde_json::json;

use super::*;
use crate::plugins::tests::{call, json_of, sign_up};

async fn server(dir: &std::path::Path, teams: &str) -> Auth {
    let text = format!("[email-and-password]\nenabled = true\n{teams}");
    crate::plugins::tests::server(dir, &text).await
}

async fn post(auth: &Auth, path: &str, cookie: &str, body: Json) -> (StatusCode, Json) {
    let response = call(auth, "POST", path, cookie, Some(body)).await;
    (response.status(), json_of(&response))
}

async fn get(auth: &Auth, path: &str, cookie: &str) -> (StatusCode, Json) {
    let response = call(auth, "GET", path, cookie, None).await;
    (response.status(), json_of(&response))
}

async fn session_of(auth: &Auth, cookie: &str) -> Json {
    get(auth, "/get-session?disableCookieCache=true", cookie)
        .await
        .1["session"]
        .clone()
}

fn id(value: &Json) -> String {
    value["id"].as_str().unwrap_or_default().to_owned()
}

/// An owner's organization with `member@example.com` in it (invited to `team` when given):
/// (owner's cookies, member's cookies, member's id, organization id).
async fn with_member(auth: &Auth, team: Option<&str>) -> (String, String, String, String) {
    let (owner, _) = sign_up(auth, "owner@example.com").await;
    let (status, org) = post(
        auth,
        "/organization/create",
        &owner,
        json!({ "name": "Acme", "slug": "acme" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{org}");
    let (member, member_id) = sign_up(auth, "member@example.com").await;
    let mut body = json!({ "email": "member@example.com", "role": "member" });
    if let Some(team) = team {
        body["teamId"] = json!(team);
    }
    let (status, invitation) = post(auth, "/organization/invite-member", &owner, body).await;
    assert_eq!(status, StatusCode::OK, "{invitation}");
    let (status, accepted) = post(
        auth,
        "/organization/accept-invitation",
        &member,
        json!({ "invitationId": id(&invitation) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    (owner, member, member_id, id(&org))
}

/// better-auth's membership key, so that its server finds the memberships written here.
#[test]
fn the_membership_key_is_better_auths() {
    // node: createHash("sha256").update(JSON.stringify(["team-1","user-2"])).digest("base64url")
    assert_eq!(
        membership_key("team-1", "user-2"),
        "o882QQbcqh3aR_1ecqBdiDm0O7YP31Wmj2XpWS6jul4"
    );
}

/// A new organization comes with a team named after it, its creator in it and active.
#[tokio::test]
async fn an_organization_is_created_with_its_default_team() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "[plugins.organization]\nteams = true\n").await;
    let (owner, owner_id) = sign_up(&auth, "owner@example.com").await;
    let (_, org) = post(
        &auth,
        "/organization/create",
        &owner,
        json!({ "name": "Acme", "slug": "acme" }),
    )
    .await;
    let (status, teams) = get(&auth, "/organization/list-teams", &owner).await;
    assert_eq!(status, StatusCode::OK, "{teams}");
    assert_eq!(teams.as_array().map(Vec::len), Some(1), "{teams}");
    assert_eq!(teams[0]["name"], "Acme");
    assert_eq!(teams[0]["organizationId"], org["id"]);
    assert!(teams[0].get("memberCount").is_none(), "{teams}");
    let session = session_of(&auth, &owner).await;
    assert_eq!(session["activeTeamId"], teams[0]["id"]);
    let (_, members) = get(&auth, "/organization/list-team-members", &owner).await;
    assert_eq!(members[0]["userId"], json!(owner_id));
    assert!(members[0].get("membershipKey").is_none(), "{members}");
    let (_, full) = get(&auth, "/organization/get-full-organization", &owner).await;
    assert_eq!(full["teams"][0]["id"], teams[0]["id"], "{full}");
    assert_eq!(full["teams"][0]["memberCount"], 1, "{full}");
}

/// Without the default team, no team is made; with `teams` off, get-full-organization has no
/// `teams` and the team endpoints do not exist.
#[tokio::test]
async fn the_default_team_and_teams_can_be_off() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(
        dir.path(),
        "[plugins.organization.teams]\nenabled = true\ndefault-team = { enabled = false }\n",
    )
    .await;
    let (owner, _) = sign_up(&auth, "owner@example.com").await;
    post(
        &auth,
        "/organization/create",
        &owner,
        json!({ "name": "Acme", "slug": "acme" }),
    )
    .await;
    let (_, teams) = get(&auth, "/organization/list-teams", &owner).await;
    assert_eq!(teams, json!([]));
    assert_eq!(session_of(&auth, &owner).await["activeTeamId"], Json::Null);

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "[plugins.organization]\n").await;
    let (owner, _) = sign_up(&auth, "owner@example.com").await;
    post(
        &auth,
        "/organization/create",
        &owner,
        json!({ "name": "Acme", "slug": "acme" }),
    )
    .await;
    let (_, full) = get(&auth, "/organization/get-full-organization", &owner).await;
    assert!(full.get("teams").is_none(), "{full}");
    let (status, _) = get(&auth, "/organization/list-teams", &owner).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// An invitation to a team: accepting joins the team and makes it active.
#[tokio::test]
async fn accepting_an_invitation_to_a_team_joins_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "[plugins.organization]\nteams = true\n").await;
    let (owner, _) = sign_up(&auth, "owner@example.com").await;
    post(
        &auth,
        "/organization/create",
        &owner,
        json!({ "name": "Acme", "slug": "acme" }),
    )
    .await;
    let (status, team) = post(
        &auth,
        "/organization/create-team",
        &owner,
        json!({ "name": "Ops" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{team}");
    let (status, refused) = post(
        &auth,
        "/organization/invite-member",
        &owner,
        json!({ "email": "x@example.com", "role": "member", "teamId": "a,b" }),
    )
    .await;
    assert_eq!(
        (status, refused["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("INVALID_TEAM_ID"))
    );
    let (status, invitation) = post(
        &auth,
        "/organization/invite-member",
        &owner,
        json!({ "email": "member@example.com", "role": "member", "teamId": id(&team) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{invitation}");
    assert_eq!(invitation["teamId"], team["id"]);
    let (member, member_id) = sign_up(&auth, "member@example.com").await;
    let (status, _) = post(
        &auth,
        "/organization/accept-invitation",
        &member,
        json!({ "invitationId": id(&invitation) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session_of(&auth, &member).await["activeTeamId"], team["id"]);
    let (_, members) = get(&auth, "/organization/list-team-members", &member).await;
    assert_eq!(members.as_array().map(Vec::len), Some(1), "{members}");
    assert_eq!(members[0]["userId"], json!(member_id));
}

/// A removed member leaves the organization's teams and loses its team as the active one in
/// every session (better-auth keeps both).
#[tokio::test]
async fn a_removed_member_leaves_the_teams_in_every_session() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "[plugins.organization]\nteams = true\n").await;
    let (owner, member, member_id, org_id) = with_member(&auth, None).await;
    let (_, teams) = get(&auth, "/organization/list-teams", &owner).await;
    let team_id = id(&teams[0]);
    let body = json!({ "teamId": team_id, "userId": member_id });
    let (status, added) = post(&auth, "/organization/add-team-member", &owner, body).await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let signed = call(
        &auth,
        "POST",
        "/sign-in/email",
        "",
        Some(json!({ "email": "member@example.com", "password": "password1234" })),
    )
    .await;
    let phone = crate::plugins::tests::after("", &signed);
    for cookie in [&member, &phone] {
        post(
            &auth,
            "/organization/set-active",
            cookie,
            json!({ "organizationId": org_id }),
        )
        .await;
        let (status, active) = post(
            &auth,
            "/organization/set-active-team",
            cookie,
            json!({ "teamId": team_id }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{active}");
    }
    let (status, _) = post(
        &auth,
        "/organization/remove-member",
        &owner,
        json!({ "memberIdOrEmail": "member@example.com" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for cookie in [&member, &phone] {
        assert_eq!(session_of(&auth, cookie).await["activeTeamId"], Json::Null);
    }
    let (_, members) = get(&auth, "/organization/list-team-members", &owner).await;
    assert_eq!(members.as_array().map(Vec::len), Some(1), "{members}");
    let stored = auth
        .inner
        .store
        .find_one(team::MODEL, &[Where::eq(team::ID, team_id.as_str())])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no team"));
    assert_eq!(stored.get(team::MEMBER_COUNT), Some(&Value::Integer(1)));
}

/// Deleting an organization deletes its teams and their memberships; no session keeps one.
#[tokio::test]
async fn a_deleted_organization_takes_its_teams() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "[plugins.organization]\nteams = true\n").await;
    let (owner, _, _, org_id) = with_member(&auth, None).await;
    let (status, _) = post(
        &auth,
        "/organization/delete",
        &owner,
        json!({ "organizationId": org_id }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let store = &auth.inner.store;
    for model in [team::MODEL, team_member::MODEL] {
        let left = store
            .count(model, &[])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(left, 0, "{model}");
    }
    assert_eq!(session_of(&auth, &owner).await["activeTeamId"], Json::Null);
}

/// maximum-teams, maximum-members-per-team and the last team, refused with better-auth's codes.
#[tokio::test]
async fn team_limits_are_kept() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let options = "[plugins.organization.teams]\nenabled = true\nmaximum-teams = 2\nmaximum-members-per-team = 1\n";
    let auth = server(dir.path(), options).await;
    let (owner, _, member_id, _) = with_member(&auth, None).await;
    let (status, second) = post(
        &auth,
        "/organization/create-team",
        &owner,
        json!({ "name": "Ops" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let (status, refused) = post(
        &auth,
        "/organization/create-team",
        &owner,
        json!({ "name": "More" }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused["code"],
        "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS"
    );
    // The default team holds its creator: full.
    let (_, teams) = get(&auth, "/organization/list-teams", &owner).await;
    let default = teams
        .as_array()
        .and_then(|all| all.iter().find(|t| t["id"] != second["id"]))
        .map(id)
        .unwrap_or_default();
    let body = json!({ "teamId": default, "userId": member_id });
    let (status, refused) = post(&auth, "/organization/add-team-member", &owner, body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(refused["code"], "TEAM_MEMBER_LIMIT_REACHED");
    let (status, removed) = post(
        &auth,
        "/organization/remove-team",
        &owner,
        json!({ "teamId": id(&second) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed, json!({ "message": "Team removed successfully." }));
    // The last team, which is also the caller's active one.
    post(
        &auth,
        "/organization/set-active-team",
        &owner,
        json!({ "teamId": null }),
    )
    .await;
    let (status, refused) = post(
        &auth,
        "/organization/remove-team",
        &owner,
        json!({ "teamId": default }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["code"], "UNABLE_TO_REMOVE_LAST_TEAM");
}

/// Seats are reserved on the team row: two members added at once to a team of one seat, one
/// joins and the other is refused.
#[tokio::test]
async fn concurrent_joins_keep_the_member_limit() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let options = "[plugins.organization.teams]\nenabled = true\nmaximum-members-per-team = 1\ndefault-team = { enabled = false }\n";
    let auth = server(dir.path(), options).await;
    let (owner, _, member_id, _) = with_member(&auth, None).await;
    let (_, team_row) = post(
        &auth,
        "/organization/create-team",
        &owner,
        json!({ "name": "Ops" }),
    )
    .await;
    let owner_id = session_of(&auth, &owner).await["userId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let add = |user: &str| {
        post(
            &auth,
            "/organization/add-team-member",
            &owner,
            json!({ "teamId": id(&team_row), "userId": user }),
        )
    };
    let (a, b) = tokio::join!(add(&member_id), add(&owner_id));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::FORBIDDEN],
        "{a:?} {b:?}"
    );
    let stored = auth
        .inner
        .store
        .count(
            team_member::MODEL,
            &[Where::eq(team_member::TEAM_ID, id(&team_row).as_str())],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored, 1);
}

/// Nobody outside an organization reads or changes its teams.
#[tokio::test]
async fn outsiders_reach_no_team() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path(), "[plugins.organization]\nteams = true\n").await;
    let (owner, member, member_id, org_id) = with_member(&auth, None).await;
    let (_, teams) = get(&auth, "/organization/list-teams", &owner).await;
    let team_id = id(&teams[0]);
    let (outsider, outsider_id) = sign_up(&auth, "outsider@example.com").await;
    let q = format!("?organizationId={org_id}");
    for (path, status, code) in [
        (
            format!("/organization/list-teams{q}"),
            StatusCode::FORBIDDEN,
            "YOU_ARE_NOT_ALLOWED_TO_ACCESS_THIS_ORGANIZATION",
        ),
        (
            format!("/organization/list-team-members?teamId={team_id}"),
            StatusCode::BAD_REQUEST,
            "USER_IS_NOT_A_MEMBER_OF_THE_TEAM",
        ),
        (
            format!("/organization/list-user-teams{q}"),
            StatusCode::FORBIDDEN,
            "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION",
        ),
    ] {
        let (got, body) = get(&auth, &path, &outsider).await;
        assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{path}");
    }
    for (path, body, status, code) in [
        (
            "/organization/create-team",
            json!({ "name": "x", "organizationId": org_id }),
            StatusCode::FORBIDDEN,
            "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION",
        ),
        (
            "/organization/update-team",
            json!({ "teamId": team_id, "data": { "name": "x", "organizationId": org_id } }),
            StatusCode::FORBIDDEN,
            "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM",
        ),
        (
            "/organization/remove-team",
            json!({ "teamId": team_id, "organizationId": org_id }),
            StatusCode::FORBIDDEN,
            "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_TEAM",
        ),
        (
            "/organization/add-team-member",
            json!({ "teamId": team_id, "userId": outsider_id, "organizationId": org_id }),
            StatusCode::BAD_REQUEST,
            "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION",
        ),
        (
            "/organization/set-active-team",
            json!({ "teamId": team_id }),
            StatusCode::BAD_REQUEST,
            "NO_ACTIVE_ORGANIZATION",
        ),
    ] {
        let (got, answer) = post(&auth, path, &outsider, body).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(code)),
            "{path}"
        );
    }
    // A plain member may neither create teams nor add to them.
    let (got, answer) = post(
        &auth,
        "/organization/create-team",
        &member,
        json!({ "name": "x" }),
    )
    .await;
    assert_eq!(
        (got, answer["code"].as_str()),
        (
            StatusCode::FORBIDDEN,
            Some("YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION")
        )
    );
    let (got, answer) = post(
        &auth,
        "/organization/add-team-member",
        &member,
        json!({ "teamId": team_id, "userId": member_id }),
    )
    .await;
    assert_eq!(
        (got, answer["code"].as_str()),
        (
            StatusCode::FORBIDDEN,
            Some("YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER")
        )
    );
}
