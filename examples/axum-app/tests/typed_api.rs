//! The typed server-side API that `auth_macros::api!` emits from this crate's `auth.toml`, beside
//! HTTP: a sign-up through `Api::sign_up_email` gives cookies that `GET /me` accepts over HTTP,
//! a session made over HTTP is read back typed by `Api::get_session`, and a refusal carries
//! HTTP's status and code.

use std::path::Path;

use auth_runtime::Auth;
use auth_runtime::http::api::{CallError, HeaderMap};

auth_macros::api!(mod auth_api);

const PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typed_api_and_http_share_sessions() {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("auth.toml");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let app = axum_app_example::app(&config, data.path(), &base)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    // A second server on the same database and secret file, called from Rust.
    let auth = Auth::builder()
        .config(&config)
        .data_dir(data.path())
        .base_url(&base)
        .build()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let api = auth_api::Api::new(&auth);

    let body = auth_api::SignUpEmailBody {
        name: "Ada".into(),
        email: "ada@example.com".into(),
        password: PASSWORD.into(),
        image: None,
        callback_url: None,
        remember_me: None,
        nickname: Some("ada".into()),
        tags: Some(vec!["math".into()]),
    };
    let signed_up = api
        .sign_up_email(&body, &HeaderMap::new())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let user: &auth_api::User = &signed_up.body.user;
    assert_eq!(user.email, "ada@example.com");
    let http = reqwest::Client::new();
    let me = http
        .get(format!("{base}/me"))
        .header("cookie", signed_up.cookie_header())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(me.status().as_u16(), 200);
    let me: serde_json::Value = serde_json::from_str(&me.text().await.unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(me["id"], user.id.as_str());
    assert_eq!(me["fields"]["nickname"], "ada");
    assert_eq!(me["fields"]["plan"], "free");

    // Over HTTP, then typed through the API with the browser's cookie.
    let response = http
        .post(format!("{base}/api/auth/sign-up/email"))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({ "name": "Grace", "email": "grace@example.com", "password": PASSWORD })
                .to_string(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status().as_u16(), 200);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    let mut headers = HeaderMap::new();
    headers.insert("cookie", cookie.parse().unwrap_or_else(|e| panic!("{e}")));
    let session = api
        .get_session(None, &headers)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .body
        .unwrap_or_else(|| panic!("no session for the HTTP cookie"));
    assert_eq!(session.user.email, "grace@example.com");
    assert_eq!(session.session.user_id, session.user.id);

    let wrong = auth_api::SignInEmailBody {
        email: "grace@example.com".into(),
        password: "not the password".into(),
        callback_url: None,
        remember_me: None,
    };
    match api.sign_in_email(&wrong, &HeaderMap::new()).await {
        Err(CallError::Api { status, code, .. }) => {
            assert_eq!(status.as_u16(), 401);
            assert_eq!(code.as_deref(), Some("INVALID_EMAIL_OR_PASSWORD"));
        }
        other => panic!("{other:?}"),
    }
}
