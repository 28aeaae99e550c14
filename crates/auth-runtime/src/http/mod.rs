//! The HTTP layer: routing from the endpoint registry, body parsing, origin checks, session
//! middlewares, and the translation to and from `http` types. Framework-neutral: [`Auth::handle`]
//! takes an `http::Request` with its body collected; [`AuthService`] is a `tower::Service` over
//! any body; [`Auth::router`] mounts it in axum.

pub mod api;
mod client_ip;
pub mod extract;
pub mod permission;

mod origin;
mod reply;
mod request;
mod service;

use auth_core::endpoints::{Access, Endpoint, Method as RouteMethod, RequestBody};
use auth_core::errors::base;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};

pub use crate::error::ApiError;
pub(crate) use origin::{CALLBACK_KEYS, check_callback};
pub use origin::{TrustedOrigins, origin_of};
pub use reply::{Reply, ReplyBody, json_text, status_true};
pub use request::{Body, Ctx, MAX_BODY_BYTES, Query};
pub use service::AuthService;

use crate::Auth;
use crate::rate_limit::Decision;
use crate::router::Handler;
use crate::wire::cookie::{RequestCookies, SetCookie};

/// The paths better-auth guards with its `formCsrfMiddleware` (core's and the plugins').
const FORM_CSRF: [&str; 4] = [
    "/sign-in/email",
    "/sign-up/email",
    "/sign-in/magic-link",
    "/email-otp/send-verification-otp",
];

impl Auth {
    /// Answers one request. Paths outside the base path, unknown routes and wrong methods are
    /// 404 with an empty body, as better-auth's router answers them; the base path itself is a
    /// 404 `{code: "NOT_FOUND", message}` naming an endpoint to try.
    ///
    /// CORS (B5) comes from the same trusted-origin list as the origin check: a preflight
    /// (`OPTIONS`) from a trusted `Origin` is 204 with the `Access-Control-Allow-*` headers, from
    /// any other origin 404 empty; every answer to a trusted `Origin` carries
    /// `Access-Control-Allow-Origin` (the origin echoed) and `-Credentials: true`.
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        let allowed = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .and_then(|origin| self.inner.trusted.cors(origin))
            .and_then(|origin| HeaderValue::from_str(&origin).ok());
        if request.method() == http::Method::OPTIONS {
            let Some(origin) = allowed else {
                return empty(StatusCode::NOT_FOUND);
            };
            let mut response = empty(StatusCode::NO_CONTENT);
            let requested = request
                .headers()
                .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
                .cloned();
            let headers = response.headers_mut();
            cors_headers(headers, origin);
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST"),
            );
            if let Some(requested) = requested {
                headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested);
            }
            headers.append(
                header::VARY,
                HeaderValue::from_static("Access-Control-Request-Headers"),
            );
            return response;
        }
        let mut response = self.answer(request).await;
        if let Some(origin) = allowed {
            cors_headers(response.headers_mut(), origin);
        }
        response
    }

    async fn answer(&self, request: Request<Bytes>) -> Response<Bytes> {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path();
        let Some(relative) = path.strip_prefix(self.base_path()) else {
            return empty(StatusCode::NOT_FOUND);
        };
        if relative.is_empty() || relative == "/" {
            // better-auth answers an empty 404 here; a newcomer opening the printed URL gets a
            // pointer to the endpoints instead.
            let error = ApiError::coded(
                StatusCode::NOT_FOUND,
                base::NOT_FOUND,
                format!(
                    "{path} is the base path of the auth API: its endpoints are below it, such as GET {}/ok and GET {}/get-session",
                    self.base_path(),
                    self.base_path()
                ),
            );
            return self.error_response(&error, &[], false);
        }
        let ip = client_ip::client_ip(
            &self.inner.config.advanced,
            &parts.headers,
            &parts.extensions,
        );
        if let Some(refused) = self.rate_limit(ip.as_deref(), relative).await {
            return refused;
        }
        let method = match parts.method {
            http::Method::GET => RouteMethod::Get,
            http::Method::POST => RouteMethod::Post,
            _ => return empty(StatusCode::NOT_FOUND),
        };
        let Some((endpoint, handler)) = self.inner.router.find(method, relative) else {
            if method == RouteMethod::Post && relative == "/get-session" {
                return self.error_response(
                    &ApiError::base(
                        StatusCode::METHOD_NOT_ALLOWED,
                        base::METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED,
                    ),
                    &[],
                    true,
                );
            }
            return empty(StatusCode::NOT_FOUND);
        };
        // Several `Cookie` headers (HTTP/2) read as one, joined with "; " as Node joins them.
        let mut sent = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok());
        let cookies = match (sent.next(), sent.next()) {
            (None, _) => RequestCookies::default(),
            (Some(one), None) => RequestCookies::parse(one),
            (Some(first), Some(second)) => {
                let all: Vec<&str> = [first, second].into_iter().chain(sent).collect();
                RequestCookies::parse(&all.join("; "))
            }
        };
        let param = endpoint
            .path
            .rsplit_once("/:")
            .and_then(|(prefix, _)| relative.strip_prefix(prefix))
            .and_then(|rest| rest.strip_prefix('/'))
            .map(|p| {
                percent_encoding::percent_decode_str(p)
                    .decode_utf8_lossy()
                    .into_owned()
            });
        let mut ctx = Ctx::new(
            parts.method.clone(),
            path.to_owned(),
            Query::parse(parts.uri.query()),
            parts.headers,
            cookies,
            ip,
        );
        ctx.param = param;
        let no_store = endpoint.path == "/get-session";
        let mut response = match self.run(endpoint, handler, &mut ctx, &body).await {
            Ok(reply) => self.reply_response(reply, &ctx.set_cookies, no_store),
            Err(error) => self.error_response(&error, &ctx.set_cookies, no_store),
        };
        response.headers_mut().extend(ctx.response_headers);
        response
    }

    /// better-auth's `onRequest` rate limit: `Some` answer when the request is refused (429 with
    /// `X-Retry-After`), or the counter's storage failed (503: fail closed, never a 500).
    async fn rate_limit(&self, ip: Option<&str>, relative: &str) -> Option<Response<Bytes>> {
        let limiter = self.inner.rate_limiter.as_ref()?;
        let retry_after = match limiter
            .check(
                &self.inner.store,
                self.inner.secondary.as_ref(),
                ip,
                relative,
            )
            .await
        {
            Ok(Decision::Allowed) => return None,
            Ok(Decision::Rejected { retry_after }) => retry_after,
            Err(error) => {
                tracing::error!(%error, "rate-limit storage");
                let error = ApiError::unavailable("the rate limiter's storage");
                return Some(self.error_response(&error, &[], false));
            }
        };
        let error = ApiError::coded(
            StatusCode::TOO_MANY_REQUESTS,
            base::TOO_MANY_REQUESTS,
            "Too many requests. Please try again later.",
        );
        let mut response = self.error_response(&error, &[], false);
        response
            .headers_mut()
            .insert("x-retry-after", HeaderValue::from(retry_after));
        Some(response)
    }

    async fn run(
        &self,
        endpoint: &Endpoint,
        handler: Handler,
        ctx: &mut Ctx,
        body: &[u8],
    ) -> Result<Reply, ApiError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(ApiError::coded(
                StatusCode::PAYLOAD_TOO_LARGE,
                base::PAYLOAD_TOO_LARGE,
                format!("The request body is larger than {MAX_BODY_BYTES} bytes"),
            ));
        }
        if !self.inner.config.advanced.disable_csrf_check {
            origin::check_request_origin(
                &self.inner.trusted,
                &ctx.method,
                &ctx.headers,
                &self.inner.base_origin,
                FORM_CSRF.contains(&endpoint.path),
            )?;
        }
        ctx.body = request::parse_body(&endpoint.body, &ctx.headers, body)?;
        if !matches!(endpoint.body, RequestBody::None) || endpoint.query.is_some() {
            for (key, body_code) in CALLBACK_KEYS {
                // A URL in the query is checked by the endpoint's own `originCheck`, which
                // names every one `callbackURL` (magic-link/verify's three).
                let (value, code) = match ctx.body.get(key) {
                    Some(v) => (Some(v.clone()), body_code),
                    None => (
                        ctx.query
                            .get(key)
                            .map(|q| serde_json::Value::String(q.to_owned())),
                        base::INVALID_CALLBACK_URL,
                    ),
                };
                match value {
                    None | Some(serde_json::Value::Null) => {}
                    Some(serde_json::Value::String(url)) => {
                        if !self.inner.config.advanced.disable_csrf_check {
                            check_callback(&self.inner.trusted, &url, code)?;
                        }
                    }
                    Some(_) => {
                        return Err(ApiError::validation(format!(
                            "[body.{key}] Invalid input: expected string"
                        )));
                    }
                }
            }
        }
        let plugins = &self.inner.plugins;
        for hook in plugins.iter().filter_map(|r| r.on_request) {
            hook(self, endpoint, ctx).await?;
        }
        for hook in plugins.iter().filter_map(|r| r.before) {
            hook(self, endpoint, ctx).await?;
            if let Some(answer) = ctx.hook_answer.take() {
                return Ok(answer);
            }
        }
        let session = match endpoint.access {
            Access::Public => None,
            Access::Optional => self.session(ctx).await?,
            Access::Session | Access::Sensitive | Access::Fresh => {
                let found = if endpoint.access == Access::Sensitive {
                    self.authoritative_session(ctx).await?
                } else {
                    self.session(ctx).await?
                };
                let Some(session) = found else {
                    return Err(ApiError::unauthorized());
                };
                if endpoint.access == Access::Fresh && !self.is_fresh(&session) {
                    return Err(ApiError::forbidden(base::SESSION_NOT_FRESH));
                }
                Some(session)
            }
        };
        let mut reply = handler(self, ctx, session).await?;
        for hook in plugins.iter().filter_map(|r| r.after) {
            hook(self, endpoint, ctx, &mut reply).await?;
        }
        Ok(reply)
    }

    fn reply_response(
        &self,
        reply: Reply,
        cookies: &[SetCookie],
        no_store: bool,
    ) -> Response<Bytes> {
        let (content_type, bytes) = match reply.body {
            ReplyBody::Json(value) => ("application/json", Bytes::from(value.to_string())),
            ReplyBody::JsonText(text) => ("application/json", text),
            ReplyBody::Empty => ("application/json", Bytes::new()),
            ReplyBody::Html(page) => ("text/html", Bytes::from(page)),
            ReplyBody::Script(bytes) => ("text/javascript", Bytes::from_static(bytes)),
        };
        let mut response = Response::new(bytes);
        *response.status_mut() = reply.status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(location) = reply.location
            && let Ok(value) = HeaderValue::from_str(&location)
        {
            headers.insert(header::LOCATION, value);
        }
        finish(&mut response, cookies, no_store);
        response
    }

    fn error_response(
        &self,
        error: &ApiError,
        cookies: &[SetCookie],
        no_store: bool,
    ) -> Response<Bytes> {
        let mut response = error.response();
        finish(&mut response, cookies, no_store);
        response
    }
}

fn finish(response: &mut Response<Bytes>, cookies: &[SetCookie], no_store: bool) {
    let headers = response.headers_mut();
    if no_store {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
    for cookie in cookies {
        match cookie.to_header_value() {
            Ok(line) => {
                if let Ok(value) = HeaderValue::from_str(&line) {
                    headers.append(header::SET_COOKIE, value);
                }
            }
            Err(error) => tracing::error!(%error, "cookie not set"),
        }
    }
}

/// `Access-Control-Allow-Origin: <origin>`, `-Credentials: true`, `Vary: Origin`.
fn cors_headers(headers: &mut http::HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}

/// A status with no body and no content type (better-auth's 404).
pub(crate) fn empty(status: StatusCode) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    response
}
