use super::*;
use bytes::Bytes;
use http::{Request, Response, header};

use crate::plugins::tests::ORIGIN;
use crate::store::Timestamp;
use crate::wire::key_hash::key_hash;

fn with_store(auth: &Auth, store: StoreOtp) -> Rules {
    Rules {
        store,
        ..rules(options(auth))
    }
}

fn stored_form(auth: &Auth, store: StoreOtp, code: &str) -> String {
    with_store(auth, store).stored_form(auth, code)
}

fn matches_stored(auth: &Auth, store: StoreOtp, stored: &str, given: &str) -> bool {
    with_store(auth, store).matches_stored(auth, stored, given)
}

async fn store_new_code(
    auth: &Auth,
    options: &Options,
    identifier: &str,
) -> Result<String, ApiError> {
    rules(options).store_new_code(auth, identifier).await
}

fn expiry(options: &Options) -> Timestamp {
    rules(options).expiry()
}

async fn server(dir: &std::path::Path, options: &str) -> Auth {
    crate::plugins::tests::server(
        dir,
        &format!("[email-and-password]\nenabled = true\n[plugins.email-otp]\n{options}"),
    )
    .await
}

async fn post(auth: &Auth, path: &str, body: serde_json::Value) -> Response<Bytes> {
    let request = Request::post(format!("{ORIGIN}/api/auth{path}"))
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap_or_else(|e| panic!("{e:?}"));
    auth.handle(request).await
}

fn code_of(response: &Response<Bytes>) -> String {
    let body: serde_json::Value =
        serde_json::from_slice(response.body()).unwrap_or_else(|e| panic!("{e:?}"));
    body["code"].as_str().unwrap_or_default().to_owned()
}

async fn stored_value(auth: &Auth, identifier: &str) -> Option<String> {
    auth.verifications()
        .find(identifier)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .map(|row| text(&row, "value"))
}

/// The attempt counter as better-auth writes and reads it: after the last colon, so an
/// encrypted or hashed code never confuses it.
#[test]
fn values_split_at_the_last_colon() {
    assert_eq!(split_value("123456:0"), ("123456", 0));
    assert_eq!(split_value("123456:2"), ("123456", 2));
    assert_eq!(split_value("a:b:3"), ("a:b", 3));
    assert_eq!(split_value("123456"), ("123456", 0));
    assert_eq!(split_value("123456:"), ("123456", 0));
    // An unreadable count fails closed: the code is dead.
    assert_eq!(split_value("123456:x").1, u64::MAX);
}

/// Each `store-otp` keeps what better-auth keeps: the code, its SHA-256 (base64url), or its
/// encryption under the secret — better-auth's own ciphertext included.
#[tokio::test]
async fn stored_codes_are_better_auths() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let auth = server(dir.path(), "").await;
    assert_eq!(stored_form(&auth, StoreOtp::Plain, "12345678"), "12345678");
    assert_eq!(
        stored_form(&auth, StoreOtp::Hashed, "abc"),
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    );
    // better-auth 1.7.25's `symmetricEncrypt({ key: SECRET, data: "12345678" })`.
    let theirs = "33a0ddfb19843de2f81c396f4c0fcde5ff9cab5f6af346f51d42da501e37cbdf7fc36c3999f956bc893eed56cf475fad";
    assert!(matches_stored(
        &auth,
        StoreOtp::Encrypted,
        theirs,
        "12345678"
    ));
    assert!(!matches_stored(
        &auth,
        StoreOtp::Encrypted,
        theirs,
        "12345679"
    ));
    let ours = stored_form(&auth, StoreOtp::Encrypted, "12345678");
    assert_ne!(ours, "12345678");
    assert!(matches_stored(
        &auth,
        StoreOtp::Encrypted,
        &ours,
        "12345678"
    ));
    for store in [StoreOtp::Plain, StoreOtp::Hashed, StoreOtp::Encrypted] {
        let kept = stored_form(&auth, store, "000111");
        assert!(matches_stored(&auth, store, &kept, "000111"), "{store:?}");
        assert!(!matches_stored(&auth, store, &kept, "000112"), "{store:?}");
        assert!(!matches_stored(&auth, store, &kept, ""), "{store:?}");
    }
    assert!(!matches_stored(
        &auth,
        StoreOtp::Encrypted,
        "not-hex",
        "12345678"
    ));
}

/// Wrong answers are counted in the row (`<code>:<n>`), the expiry kept; after
/// `allowed-attempts` wrong ones even the right code is 403 and the row is gone.
#[tokio::test]
async fn wrong_answers_are_counted_then_the_code_is_gone() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let auth = server(dir.path(), "allowed-attempts = 2\n").await;
    let options = options(&auth);
    let identifier = OtpType::SignIn.identifier("a@example.com");
    let code = store_new_code(&auth, options, &identifier)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(code.len(), 6);
    assert_eq!(
        stored_value(&auth, &identifier).await,
        Some(format!("{code}:0"))
    );
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for n in 1..=2 {
        let error = check_code(&auth, options, &identifier, wrong, OnSuccess::Consume)
            .await
            .err()
            .unwrap_or_else(|| panic!("a wrong code passed"));
        assert_eq!(error.code, Some("INVALID_OTP"));
        assert_eq!(
            stored_value(&auth, &identifier).await,
            Some(format!("{code}:{n}"))
        );
    }
    let error = check_code(&auth, options, &identifier, &code, OnSuccess::Consume)
        .await
        .err()
        .unwrap_or_else(|| panic!("the right code passed after the attempts"));
    assert_eq!(error.status, StatusCode::FORBIDDEN);
    assert_eq!(error.code, Some("TOO_MANY_ATTEMPTS"));
    assert_eq!(stored_value(&auth, &identifier).await, None);
}

/// A check that restores leaves the code as it was; a consuming one takes it.
#[tokio::test]
async fn a_restoring_check_keeps_the_code() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let auth = server(dir.path(), "store-otp = \"hashed\"\n").await;
    let options = options(&auth);
    let identifier = OtpType::ForgetPassword.identifier("a@example.com");
    let code = store_new_code(&auth, options, &identifier)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let kept = stored_value(&auth, &identifier).await;
    assert_eq!(kept, Some(format!("{}:0", key_hash(&code))));
    check_code(&auth, options, &identifier, &code, OnSuccess::Restore)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(stored_value(&auth, &identifier).await, kept);
    check_code(&auth, options, &identifier, &code, OnSuccess::Consume)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(stored_value(&auth, &identifier).await, None);
}

/// An expired code is removed and answered `OTP_EXPIRED`.
#[tokio::test]
async fn an_expired_code_is_removed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let auth = server(dir.path(), "").await;
    let options = options(&auth);
    let identifier = OtpType::SignIn.identifier("a@example.com");
    let past = Timestamp::now().plus_millis(-1000);
    auth.verifications()
        .create(&identifier, "123456:0", past)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let error = check_code(&auth, options, &identifier, "123456", OnSuccess::Consume)
        .await
        .err()
        .unwrap_or_else(|| panic!("an expired code passed"));
    assert_eq!(error.code, Some("OTP_EXPIRED"));
    assert_eq!(stored_value(&auth, &identifier).await, None);
}

/// `resend-strategy = "reuse"` mails the live code again; the default rotates it.
#[tokio::test]
async fn reuse_sends_the_live_code_again() {
    for (options, same) in [("resend-strategy = \"reuse\"\n", true), ("", false)] {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
        let auth = server(dir.path(), options).await;
        let identifier = OtpType::SignIn.identifier("a@example.com");
        let opts = super::options(&auth);
        let first = code_to_send(&auth, opts, &identifier)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let second = code_to_send(&auth, opts, &identifier)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        // Two random 6-digit codes are equal once in a million.
        assert_eq!(first == second, same, "{options}");
        assert_eq!(
            stored_value(&auth, &identifier).await,
            Some(format!("{second}:0"))
        );
    }
}

/// With `disable-sign-up`, a sign-in code for an address without a user is not mailed (the
/// answer is the same) and `sign-in/email-otp` creates nobody: `INVALID_OTP`.
#[tokio::test]
async fn no_sign_up_when_disabled() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let auth = server(dir.path(), "disable-sign-up = true\n").await;
    let email = "new@example.com";
    let sent = post(
        &auth,
        "/email-otp/send-verification-otp",
        json!({ "email": email, "type": "sign-in" }),
    )
    .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let identifier = OtpType::SignIn.identifier(email);
    assert_eq!(
        stored_value(&auth, &identifier).await,
        None,
        "the code is removed"
    );
    // A code that exists (issued by another server) still creates nobody.
    auth.verifications()
        .create(&identifier, "123456:0", expiry(options(&auth)))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let signed = post(
        &auth,
        "/sign-in/email-otp",
        json!({ "email": email, "otp": "123456" }),
    )
    .await;
    assert_eq!(signed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(code_of(&signed), "INVALID_OTP");
    assert!(
        auth.find_user_by_email(email)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"))
            .is_none()
    );
}

/// `send-verification-on-sign-up` mails an email-verification code on every sign-up, and
/// `override-default-email-verification` turns core's verification link into one.
#[tokio::test]
async fn sign_up_sends_a_verification_code_when_asked() {
    for options in [
        "send-verification-on-sign-up = true\n",
        "override-default-email-verification = true\n",
    ] {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
        let auth = server(dir.path(), options).await;
        let email = "fresh@example.com";
        let up = post(
            &auth,
            "/sign-up/email",
            json!({ "name": "F", "email": email, "password": "password-1234" }),
        )
        .await;
        assert_eq!(up.status(), StatusCode::OK, "{options}");
        if options.starts_with("override") {
            let sent = post(&auth, "/send-verification-email", json!({ "email": email })).await;
            assert_eq!(sent.status(), StatusCode::OK, "{options}");
        }
        let identifier = OtpType::EmailVerification.identifier(email);
        let value = stored_value(&auth, &identifier).await;
        assert!(
            value.as_deref().is_some_and(|v| v.ends_with(":0")),
            "{options}: {value:?}"
        );
        let mut kinds = Vec::new();
        for _ in 0..100 {
            let text = std::fs::read_to_string(dir.path().join("outbox.jsonl")).unwrap_or_default();
            kinds = text
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .map(|m| m["kind"].as_str().unwrap_or_default().to_owned())
                .collect();
            if !kinds.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(kinds, ["email-otp-email-verification"], "{options}");
    }
}

/// verify-email from a browser signed in as that user refreshes its cookie cache (now
/// verified) and leaves its session cookie alone, as better-auth's `setCookieCache`.
#[tokio::test]
async fn verify_email_refreshes_the_cookie_cache_only() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e:?}"));
    let auth = server(dir.path(), "[session.cookie-cache]\nenabled = true\n").await;
    let email = "cached@example.com";
    let up = post(
        &auth,
        "/sign-up/email",
        json!({ "name": "C", "email": email, "password": "password-1234" }),
    )
    .await;
    assert_eq!(up.status(), StatusCode::OK);
    let cookies: Vec<String> = up
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next().map(str::to_owned))
        .collect();
    let identifier = OtpType::EmailVerification.identifier(email);
    auth.verifications()
        .create(&identifier, "12345678:0", expiry(options(&auth)))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let request = Request::post(format!("{ORIGIN}/api/auth/email-otp/verify-email"))
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, cookies.join("; "))
        .body(Bytes::from(
            json!({ "email": email, "otp": "12345678" }).to_string(),
        ))
        .unwrap_or_else(|e| panic!("{e:?}"));
    let verified = auth.handle(request).await;
    assert_eq!(verified.status(), StatusCode::OK);
    let set: Vec<&str> = verified
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        set.iter()
            .any(|c| c.starts_with("better-auth.session_data=")),
        "{set:?}"
    );
    assert!(
        !set.iter()
            .any(|c| c.starts_with("better-auth.session_token=")),
        "{set:?}"
    );
}
