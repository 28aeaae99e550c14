//! What a handler sees of a request: path parameters, query, headers, cookies and the body as
//! JSON, parsed and checked the way better-call does it.

use auth_core::errors::base;
use std::collections::BTreeMap;

use auth_core::endpoints::RequestBody;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::wire::cookie::RequestCookies;

/// The largest body accepted (1 MiB). better-auth has no limit of its own; a server should.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A request routed to an endpoint.
#[derive(Debug)]
pub struct Ctx {
    /// The request's method.
    pub method: Method,
    /// The full request path (with the base path).
    pub path: String,
    /// The value of the endpoint's `:param` segment, if it has one.
    pub param: Option<String>,
    /// The query string, parsed.
    pub query: Query,
    /// The request's headers.
    pub headers: HeaderMap,
    /// The request's cookies, parsed.
    pub cookies: RequestCookies,
    /// The client's address (`[advanced] ip-address-headers`, else the TCP peer), normalized.
    pub client_ip: Option<String>,
    /// The body, parsed as JSON (or a form).
    pub body: Body,
    /// Cookies to set on the answer, success or error.
    pub set_cookies: Vec<crate::wire::cookie::SetCookie>,
    /// More headers of the answer, success or error (bearer's `set-auth-token`).
    pub response_headers: HeaderMap,
    /// The session row this request created (better-auth's `ctx.context.newSession`), for the
    /// plugins' hooks after the handler; `None` again when a hook takes it back.
    pub new_session: Option<crate::store::Row>,
    /// Fields every user this request creates gets: what better-auth's plugins add in their
    /// `user.create.before` database hooks, which see the request (last-login-method's
    /// `lastLoginMethod`). Set by plugins' before hooks.
    pub new_user_fields: crate::store::Row,
    /// A session a plugin's hook found for this request in another credential than the session
    /// cookie (api-key's `x-api-key`): every session lookup of the request answers it, and
    /// nothing about it is written back or cached (better-auth's `ctx.context.session`).
    pub(crate) plugin_session: Option<crate::session::SessionCtx>,
    /// An answer a hook gave in the endpoint's place (better-auth's before hook returning a
    /// value): neither the handler nor the after hooks run.
    pub(crate) hook_answer: Option<super::Reply>,
    /// The session get-session answered with (better-auth's `ctx.context.session`), for the
    /// plugins' hooks after it (jwt's `set-auth-jwt`).
    pub(crate) session: Option<crate::session::SessionCtx>,
}

impl Ctx {
    /// A request with nothing parsed yet: no parameter, body or answer cookies.
    pub fn new(
        method: Method,
        path: String,
        query: Query,
        headers: HeaderMap,
        cookies: RequestCookies,
        client_ip: Option<String>,
    ) -> Self {
        Self {
            method,
            path,
            param: None,
            query,
            headers,
            cookies,
            client_ip,
            body: Body::default(),
            set_cookies: Vec::new(),
            response_headers: HeaderMap::new(),
            new_session: None,
            new_user_fields: crate::store::Row::new(),
            plugin_session: None,
            hook_answer: None,
            session: None,
        }
    }
}

/// Query parameters; a repeated key keeps its first value.
#[derive(Debug, Default)]
pub struct Query(BTreeMap<String, String>);

impl Query {
    /// Parses a query string; of a repeated key, the first value counts.
    pub fn parse(query: Option<&str>) -> Self {
        let mut map = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
        Self(map)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// zod's `coerce.boolean()`: any non-empty value, `false` included, is true.
    pub fn flag(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| !v.is_empty())
    }

    /// A required query parameter.
    pub fn required(&self, key: &str) -> Result<&str, ApiError> {
        self.get(key).ok_or_else(|| {
            ApiError::validation(format!(
                "[query.{key}] Invalid input: expected string, received undefined"
            ))
        })
    }
}

/// A JSON object body (empty when the endpoint takes none).
#[derive(Debug, Default)]
pub struct Body(pub Map<String, Value>);

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn expected(key: &str, want: &str, got: Option<&Value>) -> ApiError {
    let got = got.map_or("undefined", kind);
    ApiError::validation(format!(
        "[body.{key}] Invalid input: expected {want}, received {got}"
    ))
}

impl Body {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Whether the body has `key` (even as `null`).
    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// A required string.
    pub fn str(&self, key: &str) -> Result<&str, ApiError> {
        match self.0.get(key) {
            Some(Value::String(s)) => Ok(s),
            other => Err(expected(key, "string", other)),
        }
    }

    /// An optional string (absent; `null` is refused as zod's `optional()` does).
    pub fn opt_str(&self, key: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            other => Err(expected(key, "string", other)),
        }
    }

    /// An optional boolean; form bodies carry `"true"`/`"false"`.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" => Ok(Some(false)),
            other => Err(expected(key, "boolean", other)),
        }
    }
}

/// Reads the body as the endpoint declares it: JSON (also `application/*+json`), or a form for
/// the endpoints that take one; anything else is 415; malformed JSON 400; no body where one is
/// required 400 `VALIDATION_ERROR`.
pub(super) fn parse_body(
    declared: &RequestBody,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<Body, ApiError> {
    let (form_allowed, optional) = match declared {
        RequestBody::None => return Ok(Body::default()),
        RequestBody::Json(shape) => (false, shape.all_optional()),
        RequestBody::JsonOrForm(shape) => (true, shape.all_optional()),
    };
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    let Some(content_type) = content_type.filter(|_| !bytes.is_empty()) else {
        if optional {
            return Ok(Body::default());
        }
        if !bytes.is_empty() {
            return Err(ApiError::validation(
                "[body] the request has a body but no Content-Type: send JSON with Content-Type: application/json",
            ));
        }
        return Err(ApiError::validation(
            "[body] Invalid input: expected object, received undefined",
        ));
    };
    let is_json = content_type == "application/json"
        || (content_type.starts_with("application/") && content_type.ends_with("+json"));
    if is_json {
        let value: Value = serde_json::from_slice(bytes).map_err(|_| {
            ApiError::coded(
                StatusCode::BAD_REQUEST,
                base::BAD_REQUEST,
                "Invalid JSON in request body",
            )
        })?;
        return match value {
            Value::Object(map) => Ok(Body(map)),
            Value::Null if optional => Ok(Body::default()),
            other => Err(ApiError::validation(format!(
                "[body] Invalid input: expected object, received {}",
                kind(&other)
            ))),
        };
    }
    if form_allowed && content_type == "application/x-www-form-urlencoded" {
        // `curl -d '{…}'` sends JSON as a form: say so rather than name the missing fields.
        if serde_json::from_slice::<Map<String, Value>>(bytes).is_ok() {
            return Err(ApiError::validation(
                "[body] the body is JSON but its Content-Type is application/x-www-form-urlencoded: send it with Content-Type: application/json",
            ));
        }
        let map = form_urlencoded::parse(bytes)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        return Ok(Body(map));
    }
    let allowed = if form_allowed {
        "application/x-www-form-urlencoded, application/json"
    } else {
        "application/json"
    };
    Err(ApiError::coded(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        base::UNSUPPORTED_MEDIA_TYPE,
        format!("Content-Type \"{content_type}\" is not allowed. Allowed types: {allowed}"),
    ))
}
