//! What a handler answers: a status, a body, a `Location`, and the cookies to set.

use http::StatusCode;
use serde_json::Value;

/// A successful answer (errors are [`super::ApiError`]).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: ReplyBody,
    /// `Location` (a 302, or a 200 that also names where to go, as better-auth does).
    pub location: Option<String>,
}

#[derive(Debug)]
pub enum ReplyBody {
    Json(Value),
    /// No body (a redirect, with `content-type: application/json` as better-call sends it).
    Empty,
    Html(String),
}

impl Reply {
    pub fn json(value: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body: ReplyBody::Json(value),
            location: None,
        }
    }

    pub fn redirect(location: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FOUND,
            body: ReplyBody::Empty,
            location: Some(location.into()),
        }
    }

    pub fn html(page: String) -> Self {
        Self {
            status: StatusCode::OK,
            body: ReplyBody::Html(page),
            location: None,
        }
    }

    #[must_use]
    pub fn with_location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }
}

/// `{"status": true}`.
pub fn status_true() -> Reply {
    Reply::json(serde_json::json!({ "status": true }))
}
