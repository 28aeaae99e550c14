//! [`Auth`] as a `tower::Service` over any `http_body::Body`, and as an axum `Router`.

use auth_core::errors::base;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};

use super::{ApiError, MAX_BODY_BYTES};
use crate::Auth;

/// The auth API as a `tower::Service`. Bodies are read up to [`MAX_BODY_BYTES`]; a larger one is
/// answered 413 `{code, message}` without being read further, one whose reading fails with an
/// `io::ErrorKind::TimedOut` (a server's body deadline, as in `auth-cli serve`) 408.
#[derive(Debug, Clone)]
pub struct AuthService {
    auth: Auth,
}

impl Auth {
    /// This server as a `tower::Service`.
    pub fn service(&self) -> AuthService {
        AuthService { auth: self.clone() }
    }

    /// An axum `Router` serving the API under the base path (`/api/auth/…`). Merge it into an
    /// application's router.
    pub fn router(&self) -> axum::Router {
        let path = format!("{}/{{*rest}}", self.base_path());
        axum::Router::new()
            .route_service(self.base_path(), self.service())
            .route_service(&path, self.service())
    }
}

impl<B> tower::Service<Request<B>> for AuthService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let auth = self.auth.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(error) => {
                    let too_large = error.is::<http_body_util::LengthLimitError>();
                    let api = if too_large {
                        ApiError::coded(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            base::PAYLOAD_TOO_LARGE,
                            format!("The request body is larger than {MAX_BODY_BYTES} bytes"),
                        )
                    } else if timed_out(&*error) {
                        ApiError::coded(
                            StatusCode::REQUEST_TIMEOUT,
                            base::REQUEST_TIMEOUT,
                            "The request body did not arrive in time",
                        )
                    } else {
                        ApiError::coded(
                            StatusCode::BAD_REQUEST,
                            base::BAD_REQUEST,
                            "The request body could not be read",
                        )
                    };
                    let response = auth.error_response(&api, &[], false);
                    return Ok(response.map(Full::new));
                }
            };
            let response = auth.handle(Request::from_parts(parts, bytes)).await;
            Ok(response.map(Full::new))
        })
    }
}

/// Does the error, or one it wraps, say that the body did not arrive in time?
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |e| e.source()).any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
    })
}
