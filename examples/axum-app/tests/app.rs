//! The example app on 127.0.0.1:0: sign-up with the client-set fields, `GET /me` answers the
//! typed fields (`plan` from its default), and without the session cookie `/me` is 401.

use std::path::Path;

async fn start(data: &Path) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("auth.toml");
    let app = axum_app_example::app(&config, data, &base)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

async fn body(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_else(|e| panic!("{e}"));
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (status, value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_then_me_reads_the_typed_fields() {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let base = start(data.path()).await;
    let http = reqwest::Client::new();
    let sign_up = http
        .post(format!("{base}/api/auth/sign-up/email"))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({
                "name": "Ada",
                "email": "ada@example.com",
                "password": "correct horse battery",
                "nickname": "ada",
                "tags": ["math", "engines"],
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cookie = sign_up
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    let (status, signed_up) = body(sign_up).await;
    assert_eq!(status, 200, "{signed_up}");
    assert!(cookie.contains("better-auth.session_token="), "{cookie}");

    let (status, me) = body(
        http.get(format!("{base}/me"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], signed_up["user"]["id"]);
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(
        me["fields"],
        serde_json::json!({ "plan": "free", "nickname": "ada", "tags": ["math", "engines"] })
    );

    let (status, anonymous) = body(
        http.get(format!("{base}/me"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_eq!(status, 401, "{anonymous}");
    assert_eq!(anonymous["code"], "UNAUTHORIZED");

    // A forged cookie is no session either.
    let (status, _) = body(
        http.get(format!("{base}/me"))
            .header("cookie", "better-auth.session_token=forged.signature")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_eq!(status, 401);

    // The schema is created once: a second start on the same data folder keeps the user.
    let again = start(data.path()).await;
    let (status, me) = body(
        http.get(format!("{again}/me"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["fields"]["plan"], "free");
}
