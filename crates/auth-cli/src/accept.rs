//! The accept loop of `serve`: hyper's HTTP/1 server with deadlines for slow clients and a cap on
//! open connections, so sockets that never finish a request cannot pile up (`axum::serve` has
//! no timeouts at all).
//!
//! - idle: from the moment a connection waits for a request (accepted, or its last response
//!   sent) until that request's head is complete;
//! - header: from the first byte of a head until it is complete (a slowloris sending a byte at a
//!   time is closed after this, however long its idle allowance);
//! - body: from the end of the head until the body is read; a late body is answered 408
//!   `REQUEST_TIMEOUT` and the connection closed (hyper does not keep a connection whose body
//!   was left unread), so a client that is merely slow learns why instead of seeing a reset;
//! - connections: beyond the limit, new connections wait in the listen backlog (not accepted,
//!   not refused) until one ends, so a burst is served late rather than answered with errors.
//!
//! The idle and header deadlines share one timer per connection, moved only when a deadline
//! comes earlier than the time it is set for: a keep-alive client asking again and again pushes
//! its deadline later with each request and the timer, when it goes off early, is set again
//! for the deadline then in force — once per header timeout instead of twice per request (as
//! hyper's header timer and a timer of our own cost: ~5 % of a cached get-session's CPU).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use auth_runtime::http::AuthService;
use axum::extract::ConnectInfo;
use http_body_util::Full;
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
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

/// Serves the auth API on `listener` until `stop` resolves, then lets every open connection
/// finish its request (idle ones close at once) and returns when the last one has ended.
pub(crate) async fn serve(
    listener: TcpListener,
    service: AuthService,
    limits: Limits,
    stop: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.connections as usize));
    // No timer for hyper: the socket keeps the header and idle deadlines.
    let builder = http1::Builder::new();
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
        let due = Instant::now() + limits.idle;
        let socket = Socket {
            stream,
            header: limits.header,
            idle: limits.idle,
            in_request: in_request.clone(),
            alarm: Box::pin(tokio::time::sleep_until(due)),
            due,
            head_begun: false,
        };
        let service = Connection {
            service: service.clone(),
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

/// The service of one connection: the auth API's own service (it answers paths outside its base
/// path with an empty 404, as a router would), with the peer address handed over as
/// `ConnectInfo` (the client address when no trusted proxy names another) and the body bounded
/// in time.
#[derive(Clone)]
struct Connection {
    service: AuthService,
    peer: SocketAddr,
    in_request: Arc<AtomicBool>,
    body_timeout: Duration,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Connection {
    type Response = hyper::Response<Full<Bytes>>;
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
        let answer = tower_service::Service::call(&mut self.service.clone(), request);
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
    response: &hyper::Response<Full<Bytes>>,
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
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(deadline) = &mut self.deadline
            && deadline.as_mut().poll(cx).is_ready()
        {
            let late = io::Error::new(io::ErrorKind::TimedOut, "request body not received in time");
            return Poll::Ready(Some(Err(late)));
        }
        Pin::new(&mut self.body)
            .poll_frame(cx)
            .map_err(io::Error::other)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket of a connection, closed when it waited for a request head longer than the idle
/// timeout, or a head began arriving more than the header timeout ago and is still not complete.
/// The service marks a head complete (`in_request`); writing the response ends the request, and
/// the connection waits for the next one.
struct Socket {
    stream: TcpStream,
    header: Duration,
    idle: Duration,
    in_request: Arc<AtomicBool>,
    /// Goes off at or before `due` (never after it), and is set again for `due` when early.
    alarm: Pin<Box<Sleep>>,
    /// When the head awaited must be complete: the idle deadline, brought forward to the header
    /// deadline once the head's first byte arrives.
    due: Instant,
    /// The awaited head's first byte has arrived.
    head_begun: bool,
}

impl AsyncRead for Socket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.in_request.load(Ordering::Relaxed) {
            return Pin::new(&mut self.stream).poll_read(cx, buf);
        }
        if self.past_due(cx) {
            let late = io::Error::new(io::ErrorKind::TimedOut, "request head not received in time");
            return Poll::Ready(Err(late));
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut self.stream).poll_read(cx, buf);
        if !self.head_begun && buf.filled().len() > before {
            self.head_begun = true;
            let due = Instant::now() + self.header;
            if due < self.due {
                self.due = due;
                if due < self.alarm.deadline() {
                    self.alarm.as_mut().reset(due);
                }
            }
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
    /// Whether the awaited head is late. While it is not, the alarm is set (for `due` when it
    /// went off early) and wakes this connection's task when it goes off.
    fn past_due(&mut self, cx: &mut Context<'_>) -> bool {
        while self.alarm.as_mut().poll(cx).is_ready() {
            if self.alarm.deadline() >= self.due {
                return true;
            }
            let due = self.due;
            self.alarm.as_mut().reset(due);
        }
        false
    }

    /// A response is being written: the request it answers is over, and the connection waits
    /// for the next one (from the first write of the response on).
    fn end_request(&mut self) {
        if self.in_request.swap(false, Ordering::Relaxed) {
            self.due = Instant::now() + self.idle;
            self.head_begun = false;
        }
    }
}
