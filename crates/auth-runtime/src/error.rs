//! better-auth's API errors: a status and a JSON body `{"message", "code"}`. The bottom layer:
//! every lower error (store, secondary storage) converts into it where it is defined, and the
//! HTTP layer writes it.

use auth_core::errors::{ErrorCode, base};
use http::StatusCode;

/// An error answer. `code` is what clients branch on (`client.$ERROR_CODES`); a few of
/// better-auth's errors carry only a message (`"No fields to update"`), so it is optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// better-auth's error code (`USER_NOT_FOUND`), what clients branch on.
    pub code: Option<&'static str>,
    /// The human-readable message.
    pub message: String,
    /// More keys of the body after `message` and `code`: `details` (api-key's rate limit:
    /// `{"tryAgainIn": ms}`), organization's `missingPermissions`. Boxed: few errors have any,
    /// and every `Result` carries the size of its error.
    pub extra: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

impl ApiError {
    /// An error with an application's own code (a database hook refusing a write).
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: Some(code),
            message: message.into(),
            extra: None,
        }
    }

    /// A known code with a message of this answer's own.
    pub fn coded(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(status, code.code, message)
    }

    /// A known code with its message.
    pub fn base(status: StatusCode, code: ErrorCode) -> Self {
        Self::new(status, code.code, code.message)
    }

    /// An error without a `code` (better-auth sends a handful of these).
    pub fn message_only(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code: None,
            message: message.into(),
            extra: None,
        }
    }

    /// 400 with `code`.
    pub fn bad_request(code: ErrorCode) -> Self {
        Self::base(StatusCode::BAD_REQUEST, code)
    }

    /// 401 `UNAUTHORIZED`.
    pub fn unauthorized() -> Self {
        Self::base(StatusCode::UNAUTHORIZED, base::UNAUTHORIZED)
    }

    /// 403 with `code`.
    pub fn forbidden(code: ErrorCode) -> Self {
        Self::base(StatusCode::FORBIDDEN, code)
    }

    /// A request body or query that does not have the endpoint's shape (zod's messages).
    pub fn validation(message: impl Into<String>) -> Self {
        Self::coded(StatusCode::BAD_REQUEST, base::VALIDATION_ERROR, message)
    }

    /// A dependency (the database, the mail relay, a provider) failed: the request may be
    /// retried. Never a 500 with an empty body.
    pub fn unavailable(what: &str) -> Self {
        Self::coded(
            StatusCode::SERVICE_UNAVAILABLE,
            base::SERVICE_UNAVAILABLE,
            format!("{what} is unavailable; try again"),
        )
    }

    /// This error with `details`.
    #[must_use]
    pub fn with_details(self, details: serde_json::Value) -> Self {
        self.with_field("details", details)
    }

    /// This error with `key` beside `message` and `code` in its body.
    #[must_use]
    pub fn with_field(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extra
            .get_or_insert_default()
            .insert(key.to_owned(), value);
        self
    }

    /// The JSON body: `{"message": …, "code": …, "details": …}` (message first, as better-call
    /// writes it; `details` and other extra keys only when there are some).
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert("message".into(), self.message.clone().into());
        if let Some(code) = self.code {
            body.insert("code".into(), code.into());
        }
        for (key, value) in self.extra.iter().flat_map(|f| f.iter()) {
            body.insert(key.clone(), value.clone());
        }
        serde_json::Value::Object(body)
    }

    /// The answer: its status, the JSON [`body`](Self::body), and the code in the extensions
    /// ([`ReasonCode`]).
    pub fn response(&self) -> http::Response<bytes::Bytes> {
        let mut response = http::Response::new(bytes::Bytes::from(self.body().to_string()));
        *response.status_mut() = self.status;
        if let Some(code) = self.code {
            response.extensions_mut().insert(ReasonCode(code));
        }
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// An error answered from one of your own axum handlers, exactly as the API answers it.
impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        self.response().map(axum::body::Body::from)
    }
}

/// The `code` of an error answer, kept in the response's extensions so that a request log can
/// name the reason of a 4xx (`INVALID_ORIGIN`) without reading the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasonCode(pub &'static str);
