//! The accept loop of `serve`: hyper's HTTP/1 server with deadlines for slow clients and a cap on
//! open connections, so sockets that never finish a request cannot pile up (`axum::serve` has
//! no timeouts at all).
//!
//! - idle: from the moment a connection waits for a request (accepted, or its last response
//!   sent) until that request's head is complete — hyper's own header timer;
//! - header: from the first byte of a head until it is complete (a slowloris sending a byte at a
//!   time is closed after this, however long its idle allowance);
//! - body: from the end of the head until the body is read; a late body is answered 408
//!   `REQUEST_TIMEOUT` and the connection closed (hyper does not keep a connection whose body
//!   was left unread), so a client that is merely slow learns why instead of seeing a reset;
//! - connections: beyond the limit, new connections wait in the listen backlog (not accepted,
//!   not refused) until one ends, so a burst is served late rather than answered with errors.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, Sleep};

/// `serve`'s deadlines and connection cap.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) header: Duration,
    pub(crate) idle: Duration,
    pub(crate) body: Duration,
    pub(crate) connections: u32,
}

/// Serves `router` on `listener` until `stop` resolves, then lets every open connection finish
/// its request (idle ones close at once) and returns when the last one has ended.
pub(crate) async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    stop: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.connections as usize));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle);
    let (closing, closed) = watch::channel(());
    tokio::pin!(stop);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut stop => break,
        };
        let Ok(slot) = slot else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_error(error).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let in_request = Arc::new(AtomicBool::new(false));
        let socket = Socket {
            stream,
            timeout: limits.header,
            in_request: in_request.clone(),
            deadline: Box::pin(tokio::time::sleep(limits.header)),
            armed: false,
        };
        let service = Connection {
            router: router.clone(),
            peer,
            in_request,
            body_timeout: limits.body,
        };
        let connection = builder.serve_connection(TokioIo::new(socket), service);
        let mut closed = closed.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = closed.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                tracing::debug!(%peer, "connection ended: {error}");
            }
            drop(slot);
        });
    }
    drop(closing);
    // Every connection holds a slot until it ends: all slots back, all connections done.
    let _ = slots.acquire_many(limits.connections).await;
}

/// As hyper and axum do: a client that left during the handshake is nobody's problem; anything
/// else (out of file descriptors) is logged and retried a second later instead of spinning.
async fn accept_error(error: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!("accept error: {error}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// The service of one connection: the router, with the peer address handed over as
/// `ConnectInfo` (the client address when no trusted proxy names another) and the body bounded
/// in time.
#[derive(Clone)]
struct Connection {
    router: axum::Router,
    peer: SocketAddr,
    in_request: Arc<AtomicBool>,
    body_timeout: Duration,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Connection {
    type Response = hyper::Response<axum::body::Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, mut request: hyper::Request<Incoming>) -> Self::Future {
        self.in_request.store(true, Ordering::Relaxed);
        let started = std::time::Instant::now();
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let deadline = (!request.body().is_end_stream())
            .then(|| Box::pin(tokio::time::sleep(self.body_timeout)));
        let method = request.method().clone();
        let uri = request.uri().clone();
        let request = request.map(|body| TimedBody { body, deadline });
        let answer = tower_service::Service::call(&mut self.router.clone(), request);
        Box::pin(async move {
            let response = answer.await?;
            log_answer(&method, uri.path(), &response, started.elapsed());
            Ok(response)
        })
    }
}

/// One line per answer: the method and path (never the query, which may carry a token), the
/// status, how long it took and, for an error, its `code` (`INVALID_ORIGIN`), so that a refused
/// request says why in the log.
fn log_answer(
    method: &hyper::Method,
    path: &str,
    response: &hyper::Response<axum::body::Body>,
    latency: Duration,
) {
    let status = response.status().as_u16();
    let latency_ms = latency.as_secs_f64() * 1000.0;
    match response
        .extensions()
        .get::<auth_runtime::error::ReasonCode>()
    {
        Some(code) => {
            tracing::info!(%method, path, status, code = %code.0, latency_ms, "answered");
        }
        None => tracing::info!(%method, path, status, latency_ms, "answered"),
    }
}

/// A request body that fails with `io::ErrorKind::TimedOut` once its deadline has passed, however
/// steadily it trickles in.
struct TimedBody {
    body: Incoming,
    deadline: Option<Pin<Box<Sleep>>>,
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(deadline) = &mut self.deadline
            && deadline.as_mut().poll(cx).is_ready()
        {
            let late = io::Error::new(io::ErrorKind::TimedOut, "request body not received in time");
            return Poll::Ready(Some(Err(late.into())));
        }
        Pin::new(&mut self.body).poll_frame(cx).map_err(Into::into)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket of a connection, closed when a request head began arriving more than `timeout`
/// ago and is still not complete. The service marks a head complete (`in_request`); writing the
/// response ends the request, so the next byte read starts the next head.
struct Socket {
    stream: TcpStream,
    timeout: Duration,
    in_request: Arc<AtomicBool>,
    deadline: Pin<Box<Sleep>>,
    armed: bool,
}

impl AsyncRead for Socket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let in_head = !self.in_request.load(Ordering::Relaxed);
        if !in_head {
            self.armed = false;
        } else if self.armed && self.deadline.as_mut().poll(cx).is_ready() {
            let late = io::Error::new(io::ErrorKind::TimedOut, "request head not received in time");
            return Poll::Ready(Err(late));
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut self.stream).poll_read(cx, buf);
        if in_head && !self.armed && buf.filled().len() > before {
            let at = Instant::now() + self.timeout;
            self.deadline.as_mut().reset(at);
            self.armed = true;
        }
        read
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.end_request();
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.end_request();
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Socket {
    /// A response is being written: the request it answers is over.
    fn end_request(&mut self) {
        self.in_request.store(false, Ordering::Relaxed);
        self.armed = false;
    }
}
