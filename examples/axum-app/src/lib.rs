//! An axum app serving the auth API (`/api/auth/*`, from `auth.toml`) beside a route of its own,
//! `GET /me`, which resolves the session from the request's cookie and answers the user's
//! additional fields as a typed struct (`UserFields`, checked against `auth.toml` at compile
//! time by `#[derive(AuthModel)]`). The embedded SQLite database gets its schema on first start.

use std::path::Path;

use auth_core::model::AuthModel as _;
use auth_core::{Config, Dialect, Schema};
use auth_runtime::store::Store;
use auth_runtime::wire::{Secret, SecretError};
use auth_runtime::{Auth, AuthOptions};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Any error of starting the app.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

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
pub async fn app(config: &Path, data: &Path, base_url: &str) -> Result<axum::Router, Error> {
    let config = Config::load(config)?;
    let schema = Schema::build(&config)?;
    // The derive checked the struct against this crate's auth.toml; a config loaded at run time
    // must still agree.
    UserFields::check_against(&schema)?;
    std::fs::create_dir_all(data)?;
    let database = data.join("auth.db");
    let store = if database.exists() {
        Store::connect(
            &schema,
            Dialect::Sqlite,
            &format!("sqlite:{}", database.display()),
        )
        .await?
    } else {
        Store::create_sqlite(&schema, &database).await?
    };
    let auth = Auth::new(
        config,
        store,
        secret(data)?,
        AuthOptions {
            base_url: Some(base_url.to_owned()),
            ..Default::default()
        },
    )?;
    let own = axum::Router::new()
        .route("/me", get(me))
        .with_state(auth.clone());
    Ok(auth.router().merge(own))
}

/// `AUTH_SECRET` (or `BETTER_AUTH_SECRET`), else a secret generated into `data` on first start.
fn secret(data: &Path) -> Result<Secret, Error> {
    match Secret::from_env() {
        Ok(secret) => return Ok(secret),
        Err(SecretError::Missing) => {}
        Err(error) => return Err(error.into()),
    }
    let path = data.join("auth.secret");
    if !path.exists() {
        std::fs::write(&path, auth_runtime::wire::id::generate_with_len(64))?;
    }
    Ok(Secret::new(
        std::fs::read_to_string(&path)?.trim().to_owned(),
    )?)
}

fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `GET /me`: the signed-in user's id, email and typed additional fields; 401 without a session.
async fn me(State(auth): State<Auth>, headers: HeaderMap) -> Response {
    let (user, _session) = match auth.session_from_headers(&headers).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return json(
                StatusCode::UNAUTHORIZED,
                &serde_json::json!({ "code": "UNAUTHORIZED", "message": "Unauthorized" }),
            );
        }
        Err(error) => {
            return json(
                error.status,
                &serde_json::json!({ "code": error.code, "message": error.message }),
            );
        }
    };
    // The store's row, in better-auth's wire form, is what the derive reads.
    let values: auth_core::model::Map<String, serde_json::Value> = user
        .iter()
        .map(|(field, value)| (field.clone(), value.to_json()))
        .collect();
    match UserFields::from_values(&values) {
        Ok(fields) => json(
            StatusCode::OK,
            &serde_json::json!({
                "id": values.get("id"),
                "email": values.get("email"),
                "fields": fields,
            }),
        ),
        Err(error) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({ "message": error.to_string() }),
        ),
    }
}
