//! Every mailed token is bound to the user it was issued to (issue 11). The takeover chain: an
//! attacker registers the victim's address, asks to change it to one of theirs, keeps the link,
//! deletes the account; the victim registers the address and opens the link signed in. Bound to
//! the deleted user, the link (and the same chain with verification, reset and deletion tokens)
//! changes nothing. A password change or reset kills every older reset link, and an address
//! longer than 254 characters is refused. Over `Auth::handle`, on SQLite, PostgreSQL, MariaDB and
//! Redis (values only there, and kept in the database too).

use std::path::Path;

use auth_runtime::Auth;
use auth_runtime::Secret;
use auth_runtime::wire::jwt::{sign_hs256, verify_hs256};
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::{mail_token, redis_up, reset_token, server, with_redis};
use crate::server::{Answer, Backend, SECRET, get, post, sign_up};

const CONFIG: &str = "[email-and-password]\nenabled = true\nreset-password = true\n\n\
    [email-verification]\nsend-on-sign-up = true\n\n[mailer]\nkind = \"log\"\n\n\
    [user.change-email]\nenabled = true\n\n\
    [user.delete-user]\nenabled = true\nsend-delete-account-verification = true\n";

const PASSWORD: &str = "password123";

/// The user of a session cookie (`Value::Null` when signed out).
async fn session_user(auth: &Auth, cookie: &str) -> Value {
    let answer = get("/get-session").cookie(cookie).send(auth).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
    answer.json()["user"].clone()
}

/// Signs up `email` and returns its session cookie and user id.
async fn account(auth: &Auth, email: &str) -> (String, String) {
    let answer = sign_up(auth, email).await;
    let id = answer.json()["user"]["id"].as_str().map(str::to_owned);
    (answer.cookie(), id.unwrap_or_default())
}

/// Deletes the signed-in user through the mailed deletion link.
async fn delete_account(auth: &Auth, mails: &Path, email: &str, cookie: &str) {
    let token = request_deletion(auth, mails, email, cookie).await;
    let deleted = post("/delete-user")
        .cookie(cookie)
        .json(&json!({ "token": token }))
        .send(auth)
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.json());
}

/// Asks for a deletion mail and returns its token.
async fn request_deletion(auth: &Auth, mails: &Path, email: &str, cookie: &str) -> String {
    let asked = post("/delete-user")
        .cookie(cookie)
        .json(&json!({}))
        .send(auth)
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{:?}", asked.json());
    mail_token(mails, "delete-account", email)
}

async fn verify(auth: &Auth, token: &str, cookie: Option<&str>, callback: bool) -> Answer {
    let path = if callback {
        format!("/verify-email?token={token}&callbackURL=%2Fdone")
    } else {
        format!("/verify-email?token={token}")
    };
    let call = get(&path);
    match cookie {
        Some(cookie) => call.cookie(cookie),
        None => call,
    }
    .send(auth)
    .await
}

#[track_caller]
fn refused(answer: &Answer, code: &str, label: &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "{label}: {:?}",
        answer.json()
    );
    assert_eq!(answer.code(), code, "{label}");
}

async fn change_email(auth: &Auth, cookie: &str, to: &str) {
    let asked = post("/change-email")
        .cookie(cookie)
        .json(&json!({ "newEmail": to }))
        .send(auth)
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{:?}", asked.json());
}

/// A token signed with the servers' secret, as ours signed them before tokens were bound.
fn unbound_token(claims: &Value) -> String {
    let secret = Secret::new(SECRET).unwrap_or_else(|e| panic!("{e}"));
    let claims: Map<String, Value> = claims.as_object().cloned().unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or_default());
    sign_hs256(&claims, &secret, now, 3600)
}

/// The chain end to end, and the tokens it relies on: a change-email link of a deleted
/// account, opened by the address's new owner signed in, is `USER_NOT_FOUND` (302 with
/// `?error=` given a callbackURL) and the new owner keeps the address.
async fn change_email_chain(auth: &Auth, mails: &Path, label: &str) {
    let victim = format!("victim-{label}@example.com");
    let attacker = format!("attacker-{label}@example.com");
    let (cookie, _) = account(auth, &victim).await;
    change_email(auth, &cookie, &attacker).await;
    let link = mail_token(mails, "verify-email", &attacker);
    delete_account(auth, mails, &victim, &cookie).await;
    let (cookie, victim_id) = account(auth, &victim).await;
    refused(
        &verify(auth, &link, Some(&cookie), false).await,
        "USER_NOT_FOUND",
        label,
    );
    let redirected = verify(auth, &link, Some(&cookie), true).await;
    assert_eq!(redirected.status, StatusCode::FOUND, "{label}");
    assert_eq!(
        redirected.header("location").as_deref(),
        Some("http://127.0.0.1:3000/done?error=USER_NOT_FOUND"),
        "{label}"
    );
    let user = session_user(auth, &cookie).await;
    assert_eq!(user["email"], victim.as_str(), "{label}: {user}");
    assert_eq!(user["id"], victim_id.as_str(), "{label}");

    // The same token shape without `userId` (ours before binding) fails closed.
    let unbound = unbound_token(&json!({
        "email": victim, "updateTo": attacker, "requestType": "change-email-verification",
    }));
    refused(
        &verify(auth, &unbound, Some(&cookie), false).await,
        "INVALID_TOKEN",
        label,
    );
    // A live user's link opened by another signed-in user: INVALID_USER.
    let other = format!("other-{label}@example.com");
    let (other_cookie, _) = account(auth, &other).await;
    let next = format!("next-{label}@example.com");
    change_email(auth, &cookie, &next).await;
    let link = mail_token(mails, "verify-email", &next);
    refused(
        &verify(auth, &link, Some(&other_cookie), false).await,
        "INVALID_USER",
        label,
    );
    assert_eq!(
        session_user(auth, &other_cookie).await["email"],
        other.as_str()
    );
    // And its own user changes the address with it.
    let changed = verify(auth, &link, Some(&cookie), false).await;
    assert_eq!(
        changed.status,
        StatusCode::OK,
        "{label}: {:?}",
        changed.json()
    );
    assert_eq!(session_user(auth, &cookie).await["email"], next.as_str());
    // better-auth 1.7.25's claims, in its order.
    let secret = Secret::new(SECRET).unwrap_or_else(|e| panic!("{e}"));
    let claims = verify_hs256(&link, &secret, 0).unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<&str> = claims.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["email", "updateTo", "requestType", "userId", "iat", "exp"]
    );
}

/// A verification link of a deleted account does not verify the address's next owner.
async fn verification_chain(auth: &Auth, mails: &Path, label: &str) {
    let email = format!("verify-{label}@example.com");
    let (cookie, _) = account(auth, &email).await;
    let first = mail_token(mails, "verify-email", &email);
    delete_account(auth, mails, &email, &cookie).await;
    let (cookie, _) = account(auth, &email).await;
    refused(
        &verify(auth, &first, None, false).await,
        "INVALID_TOKEN",
        label,
    );
    assert_eq!(session_user(auth, &cookie).await["emailVerified"], false);
    let unbound = unbound_token(&json!({ "email": email }));
    refused(
        &verify(auth, &unbound, None, false).await,
        "INVALID_TOKEN",
        label,
    );
    assert_eq!(session_user(auth, &cookie).await["emailVerified"], false);
    let own = mail_token(mails, "verify-email", &email);
    assert_ne!(own, first);
    let verified = verify(auth, &own, None, false).await;
    assert_eq!(
        verified.status,
        StatusCode::OK,
        "{label}: {:?}",
        verified.json()
    );
    assert_eq!(session_user(auth, &cookie).await["emailVerified"], true);
}

async fn request_reset(auth: &Auth, mails: &Path, email: &str) -> String {
    let asked = post("/request-password-reset")
        .json(&json!({ "email": email, "redirectTo": "/reset" }))
        .send(auth)
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{:?}", asked.json());
    reset_token(mails, email)
}

async fn reset(auth: &Auth, token: &str, password: &str) -> Answer {
    post("/reset-password")
        .json(&json!({ "token": token, "newPassword": password }))
        .send(auth)
        .await
}

async fn signs_in(auth: &Auth, email: &str, password: &str) -> bool {
    let answer = post("/sign-in/email")
        .json(&json!({ "email": email, "password": password }))
        .send(auth)
        .await;
    answer.status == StatusCode::OK
}

/// Reset and deletion tokens of a deleted account do nothing to the address's next owner.
async fn reset_and_delete_chain(auth: &Auth, mails: &Path, label: &str) {
    let email = format!("reset-{label}@example.com");
    let (cookie, _) = account(auth, &email).await;
    let reset_link = request_reset(auth, mails, &email).await;
    let kept = request_deletion(auth, mails, &email, &cookie).await;
    let kept_too = request_deletion(auth, mails, &email, &cookie).await;
    delete_account(auth, mails, &email, &cookie).await;
    let (cookie, id) = account(auth, &email).await;
    let answer = reset(auth, &reset_link, "taken-over-1").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{label}");
    assert!(!signs_in(auth, &email, "taken-over-1").await, "{label}");
    assert!(signs_in(auth, &email, PASSWORD).await, "{label}");
    let deleted = post("/delete-user")
        .cookie(&cookie)
        .json(&json!({ "token": kept }))
        .send(auth)
        .await;
    assert_eq!(deleted.status, StatusCode::NOT_FOUND, "{label}");
    assert_eq!(deleted.code(), "INVALID_TOKEN", "{label}");
    let by_link = get(&format!("/delete-user/callback?token={kept_too}"))
        .cookie(&cookie)
        .send(auth)
        .await;
    assert_eq!(by_link.status, StatusCode::NOT_FOUND, "{label}");
    assert_eq!(
        session_user(auth, &cookie).await["id"],
        id.as_str(),
        "{label}"
    );
}

/// A reset or a password change kills every reset link sent before it; later links work.
async fn older_reset_links_die(auth: &Auth, mails: &Path, label: &str) {
    let email = format!("older-{label}@example.com");
    account(auth, &email).await;
    let older = request_reset(auth, mails, &email).await;
    let newer = request_reset(auth, mails, &email).await;
    let used = reset(auth, &newer, "after-reset-1").await;
    assert_eq!(used.status, StatusCode::OK, "{label}: {:?}", used.json());
    let link = get(&format!("/reset-password/{older}?callbackURL=%2Freset"))
        .send(auth)
        .await;
    assert_eq!(
        link.header("location").as_deref(),
        Some("http://127.0.0.1:3000/reset?error=INVALID_TOKEN"),
        "{label}"
    );
    let answer = reset(auth, &older, "after-reset-2").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{label}");
    assert_eq!(answer.code(), "INVALID_TOKEN", "{label}");
    assert!(signs_in(auth, &email, "after-reset-1").await, "{label}");

    let later = request_reset(auth, mails, &email).await;
    let signed_in = post("/sign-in/email")
        .json(&json!({ "email": email, "password": "after-reset-1" }))
        .send(auth)
        .await;
    let changed = post("/change-password")
        .cookie(&signed_in.cookie())
        .json(&json!({ "currentPassword": "after-reset-1", "newPassword": "after-change-1" }))
        .send(auth)
        .await;
    assert_eq!(
        changed.status,
        StatusCode::OK,
        "{label}: {:?}",
        changed.json()
    );
    let answer = reset(auth, &later, "after-reset-3").await;
    assert_eq!(answer.code(), "INVALID_TOKEN", "{label}");
    assert!(signs_in(auth, &email, "after-change-1").await, "{label}");
    let last = request_reset(auth, mails, &email).await;
    let used = reset(auth, &last, "after-reset-4").await;
    assert_eq!(used.status, StatusCode::OK, "{label}: {:?}", used.json());
}

async fn bound_on(backend: Backend, toml: &str, label: &str) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let Some((auth, holder)) = server(backend, toml, label, dir.path()).await else {
        return;
    };
    let mails = dir.path().join("mails.jsonl");
    change_email_chain(&auth, &mails, label).await;
    verification_chain(&auth, &mails, label).await;
    reset_and_delete_chain(&auth, &mails, label).await;
    older_reset_links_die(&auth, &mails, label).await;
    holder.drop().await;
}

#[tokio::test]
async fn tokens_are_bound_on_sqlite() {
    bound_on(Backend::Sqlite, CONFIG, "bound_sqlite").await;
}

#[tokio::test]
async fn tokens_are_bound_on_postgres() {
    bound_on(Backend::Postgres, CONFIG, "bound_pg").await;
}

#[tokio::test]
async fn tokens_are_bound_on_mysql() {
    bound_on(Backend::Mysql, CONFIG, "bound_mysql").await;
}

/// Values only in Redis (reset links revoked by an instant kept there), then in both.
#[tokio::test]
async fn tokens_are_bound_on_redis() {
    if !redis_up().await {
        return;
    }
    for in_database in [false, true] {
        let toml = with_redis(CONFIG, in_database);
        let label = format!("bound_redis_{in_database}");
        bound_on(Backend::Postgres, &toml, &label).await;
    }
}

/// 254 characters are an address; 255 are refused where an address is taken, with the answer
/// of any invalid address.
#[tokio::test]
async fn an_email_past_254_characters_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let Some((auth, _holder)) = server(Backend::Sqlite, CONFIG, "email_254", dir.path()).await
    else {
        return;
    };
    let longest = format!("{}@{}.co", "a".repeat(64), "b".repeat(186));
    assert_eq!(longest.len(), 254);
    let too_long = format!("a{longest}");
    let (cookie, _) = account(&auth, &longest).await;
    let invalid = |answer: &Answer, what: &str| {
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{what}: {:?}",
            answer.json()
        );
        assert_eq!(answer.code(), "VALIDATION_ERROR", "{what}");
        assert!(
            answer.json()["message"]
                .as_str()
                .is_some_and(|m| m.ends_with("Invalid email address")),
            "{what}: {:?}",
            answer.json()
        );
    };
    let body = json!({ "name": "Long", "email": too_long, "password": PASSWORD });
    invalid(
        &post("/sign-up/email").json(&body).send(&auth).await,
        "sign-up",
    );
    let body = json!({ "email": too_long, "password": PASSWORD });
    let signed_in = post("/sign-in/email").json(&body).send(&auth).await;
    assert_eq!(signed_in.status, StatusCode::BAD_REQUEST);
    assert_eq!(signed_in.code(), "INVALID_EMAIL");
    let body = json!({ "newEmail": too_long });
    let changed = post("/change-email")
        .cookie(&cookie)
        .json(&body)
        .send(&auth)
        .await;
    invalid(&changed, "change-email");
    let body = json!({ "email": too_long });
    invalid(
        &post("/request-password-reset")
            .json(&body)
            .send(&auth)
            .await,
        "request-password-reset",
    );
    invalid(
        &post("/send-verification-email")
            .json(&body)
            .send(&auth)
            .await,
        "send-verification-email",
    );
    let updated = post("/update-user")
        .cookie(&cookie)
        .json(&body)
        .send(&auth)
        .await;
    assert_eq!(updated.code(), "EMAIL_CAN_NOT_BE_UPDATED");
    assert_eq!(
        session_user(&auth, &cookie).await["email"],
        longest.as_str()
    );
}
