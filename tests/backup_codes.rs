//! A two-factor backup code is used once, however many sign-ins present it at the same time:
//! [`ATTEMPTS`] browsers each hold a sign-in challenge of one user and send the same backup code
//! at once; exactly one gets a session, the others `401 INVALID_BACKUP_CODE` (or 409 when they
//! lost the compare-and-set on the column). On SQLite, PostgreSQL and MariaDB.

use http::StatusCode;
use serde_json::json;

use super::server::{Backend, post, sign_up};

const CONFIG: &str = "[email-and-password]\nenabled = true\n\n[plugins.two-factor]\nskip-verification-on-enable = true\n";

const ATTEMPTS: usize = 6;

async fn race_on(backend: Backend, label: &str) {
    let Some((auth, holder)) = super::server::server(backend, CONFIG, label).await else {
        return;
    };
    let email = format!("{label}@example.com");
    let cookie = sign_up(&auth, &email).await.cookie();
    let enabled = post("/two-factor/enable")
        .json(&json!({ "password": "password123" }))
        .cookie(&cookie)
        .send(&auth)
        .await;
    assert_eq!(enabled.status, StatusCode::OK, "{:?}", enabled.json());
    let code = enabled.json()["backupCodes"][0]
        .as_str()
        .unwrap_or_else(|| panic!("{:?}", enabled.json()))
        .to_owned();
    let mut challenges = Vec::new();
    for _ in 0..ATTEMPTS {
        let signed_in = post("/sign-in/email")
            .json(&json!({ "email": email, "password": "password123" }))
            .send(&auth)
            .await;
        assert_eq!(
            signed_in.json()["twoFactorRedirect"],
            json!(true),
            "{:?}",
            signed_in.json()
        );
        challenges.push(signed_in.cookie());
    }
    let calls: Vec<_> = challenges
        .iter()
        .map(|challenge| {
            let auth = auth.clone();
            let call = post("/two-factor/verify-backup-code")
                .json(&json!({ "code": code }))
                .cookie(challenge);
            tokio::spawn(async move { call.send(&auth).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for call in calls {
        let answer = call.await.unwrap_or_else(|e| panic!("{e}"));
        if answer.status != StatusCode::OK {
            assert!(
                answer.status == StatusCode::CONFLICT || answer.code() == "INVALID_BACKUP_CODE",
                "{label}: {} {:?}",
                answer.status,
                answer.json()
            );
        }
        statuses.push(answer.status);
    }
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(won, 1, "{label}: {statuses:?}");
    holder.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_code_is_used_once_on_sqlite() {
    race_on(Backend::Sqlite, "backup_codes_sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_code_is_used_once_on_postgres() {
    race_on(Backend::Postgres, "backup_codes_pg").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_code_is_used_once_on_mysql() {
    race_on(Backend::Mysql, "backup_codes_mysql").await;
}
