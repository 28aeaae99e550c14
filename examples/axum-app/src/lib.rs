//! An axum app serving the auth API (`/api/auth/*`, from `auth.toml`) beside a route of its own,
//! `GET /me`, which answers the signed-in user's additional fields as a typed struct
//! (`UserFields`, checked against `auth.toml` at compile time by `#[derive(AuthModel)]`). The
//! embedded SQLite database gets its schema on first start.

use std::path::Path;

use auth_runtime::{Auth, BuildError, CurrentUser};
use axum::{Json, Router, routing::get};
use serde_json::{Value, json};

/// The additional fields of `user` in `auth.toml`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, auth_macros::AuthModel)]
#[auth(model = "user")]
pub struct UserFields {
    /// `default = "free"`, `input = false`: the server sets it.
    pub plan: String,
    pub nickname: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// The app for `config` with its data (database, secret) in `data`, served at `base_url`.
pub async fn app(config: &Path, data: &Path, base_url: &str) -> Result<Router, BuildError> {
    let auth = Auth::builder()
        .config(config)
        .data_dir(data)
        .base_url(base_url)
        // The derive checked the struct against this crate's auth.toml; the config loaded at run
        // time must still agree.
        .check_model::<UserFields>()
        .build()
        .await?;
    let own = Router::new().route("/me", get(me)).with_state(auth.clone());
    Ok(auth.router().merge(own))
}

/// `GET /me`: the signed-in user's id, email and typed additional fields; 401 without a session.
async fn me(CurrentUser(user): CurrentUser<UserFields>) -> Json<Value> {
    Json(json!({ "id": user.id, "email": user.email, "fields": user.fields }))
}
