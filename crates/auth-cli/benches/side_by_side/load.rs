//! The load generator: `clients` concurrent HTTP/1.1 keep-alive connections (hyper's
//! connection-level client, no pool), each sending the next request as soon as the previous
//! answer is read, until a deadline. Latencies are recorded per request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

/// Builds the next request (a closure that needs unique bodies keeps its own counter).
pub(crate) type MakeRequest = Arc<dyn Fn() -> Request<Full<Bytes>> + Send + Sync>;

/// What one run measured.
pub(crate) struct Outcome {
    pub(crate) requests: usize,
    pub(crate) errors: usize,
    pub(crate) elapsed: Duration,
    /// Sorted ascending.
    pub(crate) latencies: Vec<Duration>,
}

impl Outcome {
    /// Successful (200) requests per second.
    pub(crate) fn rate(&self) -> f64 {
        (self.requests - self.errors) as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// The latency at quantile `p` (0.5, 0.99), in milliseconds.
    pub(crate) fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank = ((self.latencies.len() as f64) * p).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1].as_secs_f64() * 1000.0
    }
}

/// An answer read in full.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Answer {
    /// The `name=value` pairs of every `Set-Cookie`, joined as a `Cookie` header.
    pub(crate) fn cookies(&self) -> String {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

async fn connect(address: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| format!("connect {address}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(connection);
    Ok(sender)
}

async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    address: SocketAddr,
    mut request: Request<Full<Bytes>>,
) -> Result<Answer, String> {
    if let Ok(host) = HeaderValue::from_str(&address.to_string()) {
        request.headers_mut().insert(header::HOST, host);
    }
    sender.ready().await.map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok(Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// Sends one request on a connection of its own.
pub(crate) async fn once(
    address: SocketAddr,
    request: Request<Full<Bytes>>,
) -> Result<Answer, String> {
    let mut sender = connect(address).await?;
    send(&mut sender, address, request).await
}

/// Drives `clients` connections for `duration`. A request counts as an error unless it is
/// answered 200; a broken connection is reopened.
pub(crate) async fn drive(
    address: SocketAddr,
    make: &MakeRequest,
    clients: usize,
    duration: Duration,
) -> Outcome {
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let make = Arc::clone(make);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut sender = None;
            while Instant::now() < deadline {
                let sent = Instant::now();
                if sender.is_none() {
                    sender = connect(address).await.ok();
                }
                let ok = match sender.as_mut() {
                    Some(open) => {
                        let request = make();
                        match send(open, address, request).await {
                            Ok(answer) => answer.status == StatusCode::OK,
                            Err(_) => {
                                sender = None;
                                false
                            }
                        }
                    }
                    None => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        false
                    }
                };
                latencies.push(sent.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        if let Ok((l, e)) = task.await {
            latencies.extend(l);
            errors += e;
        }
    }
    let elapsed = start.elapsed();
    latencies.sort();
    Outcome {
        requests: latencies.len(),
        errors,
        elapsed,
        latencies,
    }
}

/// `GET path` with a `Cookie` header.
pub(crate) fn get(path: &str, cookie: &str) -> Request<Full<Bytes>> {
    let mut request = Request::new(Full::new(Bytes::new()));
    *request.uri_mut() = path.parse().unwrap_or_default();
    if let Ok(value) = HeaderValue::from_str(cookie) {
        request.headers_mut().insert(header::COOKIE, value);
    }
    request
}

/// `GET path` with an API key in `x-api-key` (no cookie).
pub(crate) fn get_with_api_key(path: &str, key: &str) -> Request<Full<Bytes>> {
    let mut request = Request::new(Full::new(Bytes::new()));
    *request.uri_mut() = path.parse().unwrap_or_default();
    if let Ok(value) = HeaderValue::from_str(key) {
        request.headers_mut().insert("x-api-key", value);
    }
    request
}

/// [`post_json`] with a `Cookie` header.
pub(crate) fn post_json_with_cookie(
    path: &str,
    origin: &str,
    cookie: &str,
    body: String,
) -> Request<Full<Bytes>> {
    let mut request = post_json(path, origin, body);
    if let Ok(value) = HeaderValue::from_str(cookie) {
        request.headers_mut().insert(header::COOKIE, value);
    }
    request
}

/// `POST path` with a JSON body and the server's own `Origin` (the origin check passes).
pub(crate) fn post_json(path: &str, origin: &str, body: String) -> Request<Full<Bytes>> {
    let mut request = Request::new(Full::new(Bytes::from(body)));
    *request.method_mut() = http::Method::POST;
    *request.uri_mut() = path.parse().unwrap_or_default();
    let headers = request.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ORIGIN, value);
    }
    request
}
