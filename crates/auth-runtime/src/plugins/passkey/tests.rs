//! Both ceremonies over HTTP with a software authenticator (a P-256 key made here), the rows
//! they write, and each refusal with better-auth's code: a replayed or expired challenge, a
//! wrong origin, a wrong RP ID hash, a counter that goes back, an unknown credential.

use super::*;
use crate::plugins::tests::{ORIGIN, request};
use crate::wire::webauthn::tests::SoftAuthenticator;
use bytes::Bytes;
use http::{Response, header};

const SIGN_UP: &str =
    r#"{"name":"Jo","email":"jo@example.com","password":"correct-horse-battery"}"#;
const RP_ID: &str = "127.0.0.1";
const CHALLENGE_COOKIE: &str = "better-auth.better-auth-passkey";

async fn server(dir: &std::path::Path) -> Auth {
    crate::plugins::tests::server(
        dir,
        "[email-and-password]\nenabled = true\n[plugins.passkey]\n",
    )
    .await
}

fn json(response: &Response<Bytes>) -> Json {
    serde_json::from_slice(response.body()).unwrap_or_else(|e| panic!("{e}: {response:?}"))
}

/// `name=value` of the cookie `name` the answer sets.
fn cookie(response: &Response<Bytes>, name: &str) -> String {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .find(|pair| pair.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {response:?}"))
        .to_owned()
}

fn code(response: &Response<Bytes>) -> (u16, String) {
    let body = json(response);
    (
        response.status().as_u16(),
        body["code"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn sign_up(auth: &Auth) -> String {
    let up = request(auth, "POST", "/sign-up/email", "", SIGN_UP).await;
    assert_eq!(up.status(), 200, "{up:?}");
    cookie(&up, &auth.inner.session_cookie)
}

/// Registration options for the signed-in `session`: the challenge and its cookie.
async fn register_options(auth: &Auth, session: &str) -> (String, String) {
    let options = request(
        auth,
        "GET",
        "/passkey/generate-register-options",
        session,
        "",
    )
    .await;
    assert_eq!(options.status(), 200, "{options:?}");
    let challenge = json(&options)["challenge"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (challenge, cookie(&options, CHALLENGE_COOKIE))
}

async fn verify_registration(auth: &Auth, cookies: &str, answer: &Json) -> Response<Bytes> {
    let body = json!({ "response": answer, "name": "  laptop  " }).to_string();
    request(auth, "POST", "/passkey/verify-registration", cookies, &body).await
}

async fn authenticate_options(auth: &Auth) -> (String, String) {
    let options = request(
        auth,
        "GET",
        "/passkey/generate-authenticate-options",
        "",
        "",
    )
    .await;
    assert_eq!(options.status(), 200, "{options:?}");
    let body = json(&options);
    assert_eq!(body["rpId"], RP_ID);
    assert_eq!(body["userVerification"], "preferred");
    let challenge = body["challenge"].as_str().unwrap_or_default().to_owned();
    (challenge, cookie(&options, CHALLENGE_COOKIE))
}

async fn verify_authentication(auth: &Auth, cookie: &str, answer: &Json) -> Response<Bytes> {
    let body = json!({ "response": answer }).to_string();
    request(
        auth,
        "POST",
        "/passkey/verify-authentication",
        cookie,
        &body,
    )
    .await
}

/// A signed-up user with one registered passkey: the session cookie and the authenticator.
async fn registered(auth: &Auth) -> (String, SoftAuthenticator) {
    let session = sign_up(auth).await;
    let (challenge, challenge_cookie) = register_options(auth, &session).await;
    let mut authenticator = SoftAuthenticator::new(RP_ID, ORIGIN);
    let answer = authenticator.register(&challenge);
    let verified =
        verify_registration(auth, &format!("{session}; {challenge_cookie}"), &answer).await;
    assert_eq!(verified.status(), 200, "{verified:?}");
    (session, authenticator)
}

async fn stored(auth: &Auth) -> Vec<Row> {
    auth.store()
        .find_many(passkey::MODEL, &[], None, None, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_registered_passkey_signs_in_and_is_managed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path()).await;
    let session = sign_up(&auth).await;
    let options = request(
        &auth,
        "GET",
        "/passkey/generate-register-options",
        &session,
        "",
    )
    .await;
    let body = json(&options);
    assert_eq!(body["rp"], json!({"name": "Better Auth", "id": RP_ID}));
    assert_eq!(body["user"]["name"], "jo@example.com");
    assert_eq!(body["attestation"], "none");
    assert_eq!(
        body["pubKeyCredParams"],
        json!([{"alg": -8, "type": "public-key"}, {"alg": -7, "type": "public-key"}, {"alg": -257, "type": "public-key"}])
    );
    assert_eq!(
        body["authenticatorSelection"],
        json!({"residentKey": "preferred", "userVerification": "preferred", "requireResidentKey": false})
    );
    // Without a session: 401.
    let anonymous = request(&auth, "GET", "/passkey/generate-register-options", "", "").await;
    assert_eq!(anonymous.status(), 401);

    let (challenge, challenge_cookie) = register_options(&auth, &session).await;
    let mut authenticator = SoftAuthenticator::new(RP_ID, ORIGIN);
    let answer = authenticator.register(&challenge);
    let cookies = format!("{session}; {challenge_cookie}");
    let verified = verify_registration(&auth, &cookies, &answer).await;
    assert_eq!(verified.status(), 200, "{verified:?}");
    let row = json(&verified);
    assert_eq!(row["name"], "laptop");
    assert_eq!(row["credentialID"], authenticator.id());
    assert_eq!(row["counter"], 1);
    assert_eq!(row["deviceType"], "singleDevice");
    assert_eq!(row["backedUp"], false);
    assert_eq!(row["transports"], "internal");
    assert_eq!(row["aaguid"], "30313233-3435-3637-3839-616263646566");
    let rows = stored(&auth).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        text(&rows[0], passkey::PUBLIC_KEY),
        webauthn::encode_public_key(&authenticator.cose_key())
    );
    // The challenge was used: the same answer again finds none.
    let again = verify_registration(&auth, &cookies, &answer).await;
    assert_eq!(code(&again), (400, "CHALLENGE_NOT_FOUND".into()));
    // A signed-in user's authentication options name their passkeys.
    let mine = request(
        &auth,
        "GET",
        "/passkey/generate-authenticate-options",
        &session,
        "",
    )
    .await;
    assert_eq!(
        json(&mine)["allowCredentials"],
        json!([{"id": authenticator.id(), "transports": ["internal"], "type": "public-key"}])
    );

    let (challenge, challenge_cookie) = authenticate_options(&auth).await;
    let answer = authenticator.authenticate(&challenge);
    let signed_in = verify_authentication(&auth, &challenge_cookie, &answer).await;
    assert_eq!(signed_in.status(), 200, "{signed_in:?}");
    let body = json(&signed_in);
    assert_eq!(body["user"]["email"], "jo@example.com");
    let new_session = cookie(&signed_in, &auth.inner.session_cookie);
    let got = request(&auth, "GET", "/get-session", &new_session, "").await;
    assert_eq!(json(&got)["user"]["email"], "jo@example.com");
    assert_eq!(
        stored(&auth).await[0].get(passkey::COUNTER),
        Some(&Value::Integer(2))
    );

    let id = text(&stored(&auth).await[0], passkey::ID);
    let listed = request(&auth, "GET", "/passkey/list-user-passkeys", &session, "").await;
    assert_eq!(json(&listed).as_array().map(Vec::len), Some(1));
    let renamed = request(
        &auth,
        "POST",
        "/passkey/update-passkey",
        &session,
        &json!({"id": id, "name": "phone"}).to_string(),
    )
    .await;
    assert_eq!(json(&renamed)["passkey"]["name"], "phone");
    let blank = request(
        &auth,
        "POST",
        "/passkey/update-passkey",
        &session,
        &json!({"id": id, "name": "  "}).to_string(),
    )
    .await;
    assert_eq!(code(&blank), (400, "VALIDATION_ERROR".into()));
    let missing = request(
        &auth,
        "POST",
        "/passkey/delete-passkey",
        &session,
        r#"{"id":"nope"}"#,
    )
    .await;
    assert_eq!(code(&missing), (404, "PASSKEY_NOT_FOUND".into()));
    let deleted = request(
        &auth,
        "POST",
        "/passkey/delete-passkey",
        &session,
        &json!({"id": id}).to_string(),
    )
    .await;
    assert_eq!(json(&deleted), json!({"status": true}));
    assert!(stored(&auth).await.is_empty());
}

#[tokio::test]
async fn another_users_passkey_is_not_theirs_to_manage() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path()).await;
    registered(&auth).await;
    let id = text(&stored(&auth).await[0], passkey::ID);
    let other = request(
        &auth,
        "POST",
        "/sign-up/email",
        "",
        r#"{"name":"Al","email":"al@example.com","password":"correct-horse-battery"}"#,
    )
    .await;
    let other = cookie(&other, &auth.inner.session_cookie);
    for path in ["/passkey/delete-passkey", "/passkey/update-passkey"] {
        let body = json!({"id": id, "name": "mine"}).to_string();
        let refused = request(&auth, "POST", path, &other, &body).await;
        assert_eq!(refused.status(), 401, "{path}: {refused:?}");
    }
    let listed = request(&auth, "GET", "/passkey/list-user-passkeys", &other, "").await;
    assert_eq!(json(&listed), json!([]));
    assert_eq!(stored(&auth).await.len(), 1);
}

#[tokio::test]
async fn refusals_carry_better_auths_codes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path()).await;
    let (session, mut authenticator) = registered(&auth).await;

    // A replayed challenge: the answer that signed in once does not sign in again.
    let (challenge, challenge_cookie) = authenticate_options(&auth).await;
    let answer = authenticator.authenticate(&challenge);
    let first = verify_authentication(&auth, &challenge_cookie, &answer).await;
    assert_eq!(first.status(), 200, "{first:?}");
    let replayed = verify_authentication(&auth, &challenge_cookie, &answer).await;
    assert_eq!(code(&replayed), (400, "CHALLENGE_NOT_FOUND".into()));

    // No challenge cookie at all.
    let answer = authenticator.authenticate("c29tZXRoaW5n");
    let none = verify_authentication(&auth, "", &answer).await;
    assert_eq!(code(&none), (400, "CHALLENGE_NOT_FOUND".into()));

    // An answer for another origin.
    authenticator.origin = "http://127.0.0.1:6666".into();
    let (challenge, challenge_cookie) = authenticate_options(&auth).await;
    let answer = authenticator.authenticate(&challenge);
    let wrong_origin = verify_authentication(&auth, &challenge_cookie, &answer).await;
    assert_eq!(code(&wrong_origin), (400, "AUTHENTICATION_FAILED".into()));
    let (challenge, challenge_cookie) = register_options(&auth, &session).await;
    let mut stranger = SoftAuthenticator::new(RP_ID, "http://127.0.0.1:6666");
    let answer = stranger.register(&challenge);
    let cookies = format!("{session}; {challenge_cookie}");
    let refused = verify_registration(&auth, &cookies, &answer).await;
    assert_eq!(
        code(&refused),
        (400, "FAILED_TO_VERIFY_REGISTRATION".into())
    );
    authenticator.origin = ORIGIN.into();

    // An authenticator data made for another RP ID.
    authenticator.rp_id = "evil.example".into();
    let (challenge, challenge_cookie) = authenticate_options(&auth).await;
    let answer = authenticator.authenticate(&challenge);
    let wrong_rp = verify_authentication(&auth, &challenge_cookie, &answer).await;
    assert_eq!(code(&wrong_rp), (400, "AUTHENTICATION_FAILED".into()));
    authenticator.rp_id = RP_ID.into();

    // A counter that goes back (a cloned authenticator).
    authenticator.counter = 1;
    let (challenge, challenge_cookie) = authenticate_options(&auth).await;
    let answer = authenticator.authenticate(&challenge);
    let cloned = verify_authentication(&auth, &challenge_cookie, &answer).await;
    assert_eq!(code(&cloned), (400, "AUTHENTICATION_FAILED".into()));
    authenticator.counter = 10;

    // An unknown credential.
    let mut unknown = SoftAuthenticator::new(RP_ID, ORIGIN);
    let (challenge, challenge_cookie) = authenticate_options(&auth).await;
    let answer = unknown.authenticate(&challenge);
    let not_found = verify_authentication(&auth, &challenge_cookie, &answer).await;
    assert_eq!(code(&not_found), (401, "PASSKEY_NOT_FOUND".into()));

    // An expired challenge.
    let (challenge, challenge_cookie) = authenticate_options(&auth).await;
    let past = Timestamp::now().plus_millis(-1000);
    auth.store()
        .update(
            verification::MODEL,
            &[],
            Row::from([(verification::EXPIRES_AT.to_owned(), past.into())]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let answer = authenticator.authenticate(&challenge);
    let expired = verify_authentication(&auth, &challenge_cookie, &answer).await;
    assert_eq!(code(&expired), (400, "CHALLENGE_NOT_FOUND".into()));

    // A registration challenge does not serve an authentication.
    let (challenge, challenge_cookie) = register_options(&auth, &session).await;
    let answer = authenticator.authenticate(&challenge);
    let crossed = verify_authentication(&auth, &challenge_cookie, &answer).await;
    assert_eq!(code(&crossed), (400, "CHALLENGE_NOT_FOUND".into()));

    // After all that, the genuine authenticator still signs in.
    let (challenge, challenge_cookie) = authenticate_options(&auth).await;
    let answer = authenticator.authenticate(&challenge);
    let ok = verify_authentication(&auth, &challenge_cookie, &answer).await;
    assert_eq!(ok.status(), 200, "{ok:?}");
}

#[tokio::test]
async fn malformed_bodies_are_validation_errors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let auth = server(dir.path()).await;
    let session = sign_up(&auth).await;
    for body in [r#"{}"#, r#"{"response":"x"}"#, r#"{"response":[1]}"#] {
        let answer = request(&auth, "POST", "/passkey/verify-authentication", "", body).await;
        assert_eq!(code(&answer), (400, "VALIDATION_ERROR".into()), "{body}");
    }
    let (_, challenge_cookie) = register_options(&auth, &session).await;
    let cookies = format!("{session}; {challenge_cookie}");
    let answer = request(
        &auth,
        "POST",
        "/passkey/verify-registration",
        &cookies,
        "{}",
    )
    .await;
    assert_eq!(code(&answer), (400, "FAILED_TO_VERIFY_REGISTRATION".into()));
    let bad = request(
        &auth,
        "GET",
        "/passkey/generate-register-options?authenticatorAttachment=usb",
        &session,
        "",
    )
    .await;
    assert_eq!(code(&bad), (400, "VALIDATION_ERROR".into()));
}
