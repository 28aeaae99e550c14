//! [`Api`]: better-auth's `auth.api.*` — every endpoint of the registry called from server code,
//! through the same pipeline as an HTTP request (origin and callback checks, plugin hooks,
//! session, handler), with the caller's headers (a session cookie, `Authorization`) and the
//! answer's cookies handed back.
//!
//! ```no_run
//! # async fn run(auth: auth_runtime::Auth) -> Result<(), auth_runtime::http::api::CallError> {
//! use serde_json::{Value, json};
//!
//! let body = json!({ "name": "Ada", "email": "ada@example.com", "password": "correct horse battery" });
//! let signed_up = auth.api().call::<_, Value>("signUpEmail", &body, &Default::default()).await?;
//! let mut headers = http::HeaderMap::new();
//! headers.insert(http::header::COOKIE, signed_up.cookie_header().parse().unwrap_or_else(|_| unreachable!()));
//! let session = auth.api().call::<_, Value>("getSession", &(), &headers).await?;
//! # Ok(()) }
//! ```
//!
//! ## Typed from `auth.toml`
//!
//! `auth_macros::api!` emits this API typed for a project's `auth.toml`: its models with their
//! additional fields, the request and answer of every endpoint it enables, one method each
//! (here the config of `examples/axum-app`, whose user has `nickname` and `tags`):
//!
//! ```no_run
//! auth_macros::api!(mod auth_api, config = "../../examples/axum-app/auth.toml");
//!
//! # async fn run(auth: auth_runtime::Auth) -> Result<(), auth_runtime::http::api::CallError> {
//! let body = auth_api::SignUpEmailBody {
//!     name: "Ada".into(),
//!     email: "ada@example.com".into(),
//!     password: "correct horse battery".into(),
//!     image: None,
//!     callback_url: None,
//!     remember_me: None,
//!     nickname: Some("ada".into()),
//!     tags: None,
//! };
//! let answer = auth_api::Api::new(&auth).sign_up_email(&body, &Default::default()).await?;
//! let nickname: Option<&str> = answer.body.user.nickname.as_deref();
//! # Ok(()) }
//! ```
//!
//! What the config does not declare does not compile. A field it does not have (E0560):
//!
//! ```compile_fail,E0560
//! auth_macros::api!(mod auth_api, config = "../../examples/axum-app/auth.toml");
//!
//! let body = auth_api::SignUpEmailBody {
//!     name: "Ada".into(),
//!     email: "ada@example.com".into(),
//!     password: "correct horse battery".into(),
//!     image: None,
//!     callback_url: None,
//!     remember_me: None,
//!     nickname: None,
//!     tags: None,
//!     favourite_colour: None,
//! };
//! ```
//!
//! A value of another type than the field's (E0308):
//!
//! ```compile_fail,E0308
//! auth_macros::api!(mod auth_api, config = "../../examples/axum-app/auth.toml");
//!
//! let body = auth_api::SignUpEmailBody {
//!     name: "Ada".into(),
//!     email: "ada@example.com".into(),
//!     password: "correct horse battery".into(),
//!     image: None,
//!     callback_url: None,
//!     remember_me: None,
//!     nickname: Some(42),
//!     tags: None,
//! };
//! ```
//!
//! An endpoint of a plugin the config does not enable (E0599):
//!
//! ```compile_fail,E0599
//! auth_macros::api!(mod auth_api, config = "../../examples/axum-app/auth.toml");
//!
//! # async fn run(auth: auth_runtime::Auth) {
//! let headers = auth_runtime::http::api::HeaderMap::new();
//! let _ = auth_api::Api::new(&auth).enable_two_factor(&(), &headers).await;
//! # }
//! ```

use bytes::Bytes;
use http::{HeaderValue, Request, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use auth_core::endpoints::Method;
/// The headers a call takes, for code that names no `http` crate of its own.
pub use http::HeaderMap;

use crate::Auth;

/// The server-side API of an [`Auth`] ([`Auth::api`]).
#[derive(Debug, Clone, Copy)]
pub struct Api<'a> {
    auth: &'a Auth,
}

/// A successful answer: its status, its body as `T` and its headers (`Set-Cookie`, better-auth's
/// `set-auth-token`…).
#[derive(Debug, Clone)]
pub struct Answer<T> {
    /// The HTTP status.
    pub status: StatusCode,
    /// The answer's body.
    pub body: T,
    /// The answer's headers (`Set-Cookie` among them).
    pub headers: HeaderMap,
}

impl<T> Answer<T> {
    /// The cookies the answer sets (`name=value`, attributes left out), joined as a `Cookie`
    /// header for the next call; cookies it expires are left out.
    pub fn cookie_header(&self) -> String {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter(|v| !v.to_ascii_lowercase().contains("max-age=0"))
            .filter_map(|v| v.split(';').next())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// No enabled endpoint has this id (better-auth's name: `signUpEmail`).
    #[error("no endpoint `{0}` on this server (is its plugin enabled?)")]
    UnknownEndpoint(String),
    /// The body does not serialise to a JSON object, or the answer does not fit `T`.
    #[error("{0}")]
    Body(String),
    /// The endpoint answered an error, as it would over HTTP.
    #[error("{status}: {message}")]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// better-auth's error code, when the error has one.
        code: Option<String>,
        /// The human-readable message.
        message: String,
    },
}

impl Auth {
    /// Every endpoint, called from server code: see [`Api`].
    pub fn api(&self) -> Api<'_> {
        Api { auth: self }
    }
}

impl Api<'_> {
    /// Calls the endpoint `id` (better-auth's name: `signUpEmail`, `getSession`) with `body` (the
    /// JSON body, or the query of a GET; `()` for none) and the caller's `headers`, through the
    /// same pipeline as HTTP. The server is its own trusted origin: a call without an `Origin`
    /// header passes the origin check as a same-origin request would. A parameter of the path
    /// (`/callback/:id`) is taken from the body's field of the same name.
    ///
    /// # Errors
    /// [`CallError::Api`] with the status, code and message HTTP would answer.
    pub async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        id: &str,
        body: &B,
        headers: &HeaderMap,
    ) -> Result<Answer<T>, CallError> {
        let endpoint = self
            .auth
            .endpoints()
            .iter()
            .find(|e| e.id == id)
            .ok_or_else(|| CallError::UnknownEndpoint(id.to_owned()))?;
        let fields = match to_json(body)? {
            serde_json::Value::Object(fields) => fields,
            serde_json::Value::Null => serde_json::Map::new(),
            other => {
                return Err(CallError::Body(format!(
                    "the body must be an object: {other}"
                )));
            }
        };
        let params: Vec<(&str, &str)> = endpoint
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix(':'))
            .map(|name| {
                let value = fields.get(name).and_then(serde_json::Value::as_str);
                (name, value.unwrap_or_default())
            })
            .collect();
        let fields = serde_json::Value::Object(fields.clone());
        let (query, body) = match endpoint.method {
            Method::Get => (Some(fields), None),
            Method::Post => (None, Some(fields)),
        };
        self.send(
            endpoint.method,
            endpoint.path,
            &params,
            query,
            body,
            headers,
        )
        .await
    }

    /// The request `method path` (relative to the base path; its `:name` parameters from
    /// `params`) with a query and a JSON body, through the same pipeline as HTTP: what
    /// [`Api::call`] and the typed methods `auth_macros::api!()` emits send.
    ///
    /// # Errors
    /// As [`Api::call`].
    pub async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        query: Option<serde_json::Value>,
        body: Option<serde_json::Value>,
        headers: &HeaderMap,
    ) -> Result<Answer<T>, CallError> {
        let path: Vec<String> = path
            .split('/')
            .map(|segment| match segment.strip_prefix(':') {
                Some(name) => params
                    .iter()
                    .find(|(param, _)| *param == name)
                    .map(|(_, v)| url::form_urlencoded::byte_serialize(v.as_bytes()).collect())
                    .unwrap_or_default(),
                None => segment.to_owned(),
            })
            .collect();
        let mut uri = format!("{}{}", self.auth.api_url(), path.join("/"));
        if let Some(serde_json::Value::Object(fields)) = query {
            let query =
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(fields.iter().filter(|(_, v)| !v.is_null()).map(
                        |(key, value)| match value {
                            serde_json::Value::String(text) => (key.clone(), text.clone()),
                            other => (key.clone(), other.to_string()),
                        },
                    ))
                    .finish();
            if !query.is_empty() {
                uri = format!("{uri}?{query}");
            }
        }
        let body = body.map_or_else(Bytes::new, |body| Bytes::from(body.to_string()));
        let mut request = Request::new(body);
        *request.method_mut() = match method {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
        };
        *request.uri_mut() = uri
            .parse()
            .map_err(|e: http::uri::InvalidUri| CallError::Body(e.to_string()))?;
        *request.headers_mut() = headers.clone();
        let request_headers = request.headers_mut();
        request_headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if !request_headers.contains_key(header::ORIGIN)
            && let Ok(origin) = HeaderValue::from_str(&self.auth.inner.base_origin)
        {
            request_headers.insert(header::ORIGIN, origin);
        }
        let response = self.auth.handle(request).await;
        let (parts, bytes) = response.into_parts();
        if !parts.status.is_success() && !parts.status.is_redirection() {
            let error: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            return Err(CallError::Api {
                status: parts.status,
                code: error["code"].as_str().map(str::to_owned),
                message: error["message"].as_str().unwrap_or_default().to_owned(),
            });
        }
        let text = if bytes.is_empty() {
            &b"null"[..]
        } else {
            &bytes[..]
        };
        let body = serde_json::from_slice(text).map_err(|e| CallError::Body(e.to_string()))?;
        Ok(Answer {
            status: parts.status,
            body,
            headers: parts.headers,
        })
    }
}

/// `value` as JSON, for a call's body or query.
///
/// # Errors
/// [`CallError::Body`] when it does not serialise.
pub fn to_json<B: Serialize>(value: &B) -> Result<serde_json::Value, CallError> {
    serde_json::to_value(value).map_err(|e| CallError::Body(e.to_string()))
}
