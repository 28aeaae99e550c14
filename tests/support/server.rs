//! An `auth_runtime::Auth` served over axum on 127.0.0.1:0, on a fresh SQLite file holding the
//! configuration's schema (`Store::create_sqlite`).

use std::path::Path;

/// Serves `config` until the test's runtime ends; the server's origin and the `Auth`. The rate
/// limiter is off unless the config has a `[rate-limit]` table (these tests are about something
/// else and send many requests from one client).
pub async fn serve(mut config: auth_core::Config, dir: &Path) -> (String, auth_runtime::Auth) {
    if !config.source.contains("[rate-limit") {
        config.rate_limit.enabled = false;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("{e}"))
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let schema = auth_core::Schema::build(&config).unwrap_or_else(|e| panic!("{e}"));
    let store = auth_runtime::store::Store::create_sqlite(&schema, &dir.join("auth.db"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let auth = auth_runtime::Auth::new(
        config,
        store,
        auth_runtime::Secret::new("served-test-secret-0123456789abcdefghijklm")
            .unwrap_or_else(|e| panic!("{e}")),
        auth_runtime::AuthOptions {
            base_url: Some(base.clone()),
            env: Some(std::sync::Arc::new(|_: &str| None)),
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let router = auth.router();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (base, auth)
}
