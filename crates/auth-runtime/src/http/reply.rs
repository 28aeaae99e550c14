//! What a handler answers: a status, a body, a `Location`, and the cookies to set.

use bytes::Bytes;
use http::StatusCode;
use serde_json::Value;

/// A successful answer (errors are [`super::ApiError`]).
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: ReplyBody,
    /// `Location` (a 302, or a 200 that also names where to go, as better-auth does).
    pub location: Option<String>,
}

/// The body of a [`Reply`].
#[derive(Debug)]
pub enum ReplyBody {
    /// A JSON value.
    Json(Value),
    /// JSON already written (see [`Reply::json_of`]).
    JsonText(Bytes),
    /// No body (a redirect, with `content-type: application/json` as better-call sends it).
    Empty,
    /// An HTML page.
    Html(String),
    /// A JavaScript file compiled into the binary.
    Script(&'static [u8]),
}

impl Reply {
    /// 200 with a JSON body.
    pub fn json(value: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body: ReplyBody::Json(value),
            location: None,
        }
    }

    /// A JSON body written straight from `value`, with no [`Value`] tree in between (the hot
    /// get-session answer).
    pub fn json_of(value: &impl serde::Serialize) -> Self {
        Self::json_text(json_text(value))
    }

    /// 200 with a JSON body already written (by [`json_text`]).
    pub fn json_text(text: Bytes) -> Self {
        Self {
            status: StatusCode::OK,
            body: ReplyBody::JsonText(text),
            location: None,
        }
    }

    /// 302 to `location`, no body.
    pub fn redirect(location: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FOUND,
            body: ReplyBody::Empty,
            location: Some(location.into()),
        }
    }

    /// 200 with an HTML page.
    pub fn html(page: String) -> Self {
        Self {
            status: StatusCode::OK,
            body: ReplyBody::Html(page),
            location: None,
        }
    }

    /// 200 with a JavaScript file.
    pub fn script(bytes: &'static [u8]) -> Self {
        Self {
            status: StatusCode::OK,
            body: ReplyBody::Script(bytes),
            location: None,
        }
    }

    /// The same answer, also naming where to go.
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

/// `value` written as JSON; `null` for what serde_json cannot write (only a map with non-string
/// keys).
pub fn json_text(value: &impl serde::Serialize) -> Bytes {
    serde_json::to_vec(value).map_or_else(|_| Bytes::from_static(b"null"), Bytes::from)
}
