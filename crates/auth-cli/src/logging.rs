//! Log lines on stderr: text, coloured only when stderr is a terminal (a log file holds no
//! escape sequences), or one JSON object per line for log collectors. `RUST_LOG` sets the level.
//!
//! Lines are formatted where they happen and appended to one buffer; a thread of its own writes
//! what gathered in one `write(2)`, [`BATCH`] after the first line of a batch arrived. A request's
//! line costs a copy under a lock: no system call, no allocation and no wake-up of the writer,
//! except for the first line of a batch. Under load, that is 200 wake-ups a second, where a
//! channel woke the writer for nearly every line (a tenth of get-session's CPU). No line is ever
//! dropped: when [`MAX_PENDING`] bytes are waiting, the line that finds them writes them itself.

use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields};
use tracing_subscriber::fmt::{FmtContext, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

use crate::opt::LogFormat;

/// How long the writer lets lines gather after the first one of a batch.
const BATCH: Duration = Duration::from_millis(5);

/// Bytes waiting beyond which a line writes the batch out itself instead of queueing.
const MAX_PENDING: usize = 1 << 20;

/// The writer thread; dropping it writes the lines still queued and stops it.
#[must_use = "dropping the guard stops the log writer"]
#[derive(Debug)]
pub struct LogWriter {
    writer: Option<(Arc<Queue>, JoinHandle<()>)>,
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        if let Some((queue, thread)) = self.writer.take() {
            queue.lock().closed = true;
            queue.ready.notify_one();
            let _ = thread.join();
        }
    }
}

/// Installs the global subscriber; a second call (tests) leaves the first in place and returns a
/// guard of nothing.
pub fn install(format: LogFormat) -> LogWriter {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let queue = Arc::new(Queue::new(Box::new(std::io::stderr())));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Lines(queue.clone()));
    let installed = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder
            .with_ansi(colour(std::io::stderr().is_terminal()))
            .event_format(Text::default())
            .try_init(),
    };
    let thread = installed.ok().and_then(|()| {
        let queue = queue.clone();
        std::thread::Builder::new()
            .name("auth-cli-log".into())
            .spawn(move || queue.write_batches())
            .ok()
    });
    // Without the thread, every line writes itself (as a full queue does).
    let writer = match thread {
        Some(thread) => Some((queue, thread)),
        None => {
            queue.lock().closed = true;
            None
        }
    };
    LogWriter { writer }
}

/// tracing-subscriber's default text line (`Format<Full>`, what `fmt()` writes), written with
/// less work where a line per request made it cost (a tenth of a cached get-session's CPU): the
/// timestamp's date and time of day are written once a second per thread, not for every line,
/// and without colour nothing goes through ANSI painting. Coloured lines (a terminal) and
/// lines inside a span are the default formatter's own.
#[derive(Default)]
struct Text {
    full: format::Format<format::Full>,
}

impl<S, N> FormatEvent<S, N> for Text
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        if writer.has_ansi_escapes() || ctx.event_scope().is_some() {
            return self.full.format_event(ctx, writer, event);
        }
        let metadata = event.metadata();
        // Padded to five, as the default writes levels.
        let level = match *metadata.level() {
            tracing::Level::TRACE => "TRACE",
            tracing::Level::DEBUG => "DEBUG",
            tracing::Level::INFO => " INFO",
            tracing::Level::WARN => " WARN",
            tracing::Level::ERROR => "ERROR",
        };
        write_timestamp(&mut writer, std::time::SystemTime::now())?;
        write!(writer, " {level} {}: ", metadata.target())?;
        ctx.format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// `2026-12-08T02:14:24.204094Z`, as tracing-subscriber writes a `SystemTime`: UTC, to the
/// microsecond. The part up to the seconds is kept per thread for the second it names.
fn write_timestamp(
    writer: &mut format::Writer<'_>,
    now: std::time::SystemTime,
) -> std::fmt::Result {
    thread_local! {
        static SECOND: std::cell::RefCell<(u64, String)> = const {
            std::cell::RefCell::new((u64::MAX, String::new()))
        };
    }
    let since = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let second = since.as_secs();
    SECOND.with_borrow_mut(|(cached, text)| {
        if *cached != second {
            let at = i64::try_from(second)
                .ok()
                .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            text.clear();
            write!(
                text,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                at.year(),
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute(),
                at.second()
            )?;
            *cached = second;
        }
        write!(writer, "{text}.{:06}Z", since.subsec_micros())
    })
}

/// Colour on a terminal, unless `NO_COLOR` (<https://no-color.org>) is set to anything.
fn colour(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The lines waiting for the writer thread, and where they go.
struct Queue {
    pending: Mutex<Pending>,
    /// Signalled when a batch begins and when the writer is to stop.
    ready: Condvar,
    /// stderr (a test's buffer). Whoever writes takes it before letting go of `pending`, so
    /// lines come out in the order they were queued.
    out: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Pending {
    bytes: Vec<u8>,
    /// No writer thread (any more): lines write themselves.
    closed: bool,
}

impl Queue {
    fn new(out: Box<dyn Write + Send>) -> Self {
        Self {
            pending: Mutex::default(),
            ready: Condvar::new(),
            out: Mutex::new(out),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn out(&self) -> MutexGuard<'_, Box<dyn Write + Send>> {
        self.out.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes what is pending, on the caller's thread, while `pending` is held.
    fn write_pending(&self, pending: &mut Pending) {
        write_out(&mut self.out(), &pending.bytes);
        pending.bytes.clear();
    }

    /// Queues one formatted line (or writes it, with all before it, when the queue is full or
    /// nobody writes batches).
    fn push(&self, line: &[u8]) {
        let mut pending = self.lock();
        let first = pending.bytes.is_empty();
        pending.bytes.extend_from_slice(line);
        if pending.closed || pending.bytes.len() >= MAX_PENDING {
            // After the batch the writer may be writing.
            self.write_pending(&mut pending);
        } else if first {
            drop(pending);
            self.ready.notify_one();
        }
    }

    /// The writer thread: waits for a first line, lets a batch gather, writes it; until closed,
    /// after writing what was left.
    fn write_batches(&self) {
        let mut batch = Vec::new();
        loop {
            let mut pending = self.lock();
            while pending.bytes.is_empty() && !pending.closed {
                pending = self
                    .ready
                    .wait(pending)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if pending.closed {
                self.write_pending(&mut pending);
                return;
            }
            drop(pending);
            std::thread::sleep(BATCH);
            let mut pending = self.lock();
            std::mem::swap(&mut batch, &mut pending.bytes);
            let mut out = self.out();
            drop(pending);
            write_out(&mut out, &batch);
            batch.clear();
        }
    }
}

fn write_out(out: &mut Box<dyn Write + Send>, bytes: &[u8]) {
    if !bytes.is_empty() {
        // Nowhere to report a failing stderr.
        let _ = out.write_all(bytes).and_then(|()| out.flush());
    }
}

/// What the subscriber writes a formatted line to.
struct Lines(Arc<Queue>);

impl<'a> MakeWriter<'a> for Lines {
    type Writer = &'a Queue;

    fn make_writer(&'a self) -> Self::Writer {
        &self.0
    }
}

/// One line's writer: the subscriber hands it the whole formatted line at once.
impl Write for &Queue {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.push(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink the test reads back.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn written(sink: &Sink) -> String {
        let bytes = sink.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn lines_from_several_threads_come_out_whole_and_in_order_then_the_rest_on_close() {
        let sink = Sink::default();
        let queue = Arc::new(Queue::new(Box::new(sink.clone())));
        let writer = std::thread::spawn({
            let queue = queue.clone();
            move || queue.write_batches()
        });
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let queue = queue.clone();
                std::thread::spawn(move || {
                    for i in 0..2000 {
                        queue.push(format!("{t} {i}\n").as_bytes());
                    }
                })
            })
            .collect();
        for thread in threads {
            assert!(thread.join().is_ok());
        }
        // Nothing is lost to the batching: what is queued is written once the writer wakes.
        std::thread::sleep(BATCH * 4);
        assert_eq!(written(&sink).lines().count(), 8000);
        queue.push(b"last\n");
        queue.lock().closed = true;
        queue.ready.notify_one();
        assert!(writer.join().is_ok());
        let text = written(&sink);
        assert_eq!(text.lines().last(), Some("last"));
        for t in 0..4 {
            let own: Vec<usize> = text
                .lines()
                .filter_map(|l| l.strip_prefix(&format!("{t} ")))
                .filter_map(|i| i.parse().ok())
                .collect();
            assert_eq!(own, (0..2000).collect::<Vec<_>>(), "thread {t}'s lines");
        }
        // After the writer stopped, a line writes itself.
        queue.push(b"after\n");
        assert!(written(&sink).ends_with("last\nafter\n"));
    }

    /// The lines `format` writes for a few events (ANSI colour off), one per event.
    fn lines_of<F>(format: F) -> Vec<String>
    where
        F: FormatEvent<tracing_subscriber::Registry, format::DefaultFields> + Send + Sync + 'static,
    {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .event_format(format)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let method = "GET";
            tracing::info!(%method, path = "/api/auth/get-session", status = 200u16, latency_ms = 0.0123, "answered");
            tracing::warn!(code = %"INVALID_ORIGIN", "refused \"quoted\"");
            tracing::error!(error = %std::io::Error::other("disk full"), "rate-limit storage");
            tracing::debug!(peer = "127.0.0.1:5000", "connection ended");
            tracing::trace!(value = true);
            tracing::info_span!("inside", n = 1).in_scope(|| tracing::info!("in a span"));
        });
        written(&sink).lines().map(str::to_owned).collect()
    }

    #[test]
    fn text_lines_are_the_default_formatter_s() {
        let ours = lines_of(Text::default());
        let default = lines_of(format::Format::<format::Full>::default());
        assert_eq!(ours.len(), 6, "{ours:#?}");
        assert_eq!(ours.len(), default.len());
        for (ours, default) in ours.iter().zip(&default) {
            // The timestamps differ by the time between the two runs; the rest is equal.
            let (at, rest) = ours.split_at(27);
            assert_eq!(rest, &default[27..]);
            assert!(at.ends_with('Z') && at.as_bytes()[19] == b'.', "{ours}");
        }
        assert!(ours[0].ends_with(
            "  INFO auth_cli::logging::tests: answered method=GET path=\"/api/auth/get-session\" status=200 latency_ms=0.0123"
        ), "{}", ours[0]);
    }

    #[test]
    fn timestamps_are_utc_to_the_microsecond() {
        let at = |seconds: u64, micros: u64| {
            let mut text = String::new();
            let time = std::time::UNIX_EPOCH
                + Duration::from_secs(seconds)
                + Duration::from_micros(micros);
            write_timestamp(&mut format::Writer::new(&mut text), time).map(|()| text)
        };
        // 1,700,000,000 s after the epoch: 2023-11-14 22:13:20 UTC. The second is kept between
        // calls: a later and an earlier one are written anew.
        for (seconds, micros, written) in [
            (1_700_000_000, 42, "2023-11-14T22:13:20.000042Z"),
            (1_700_000_000, 999_999, "2023-11-14T22:13:20.999999Z"),
            (1_700_000_001, 0, "2023-11-14T22:13:21.000000Z"),
            (1_700_000_000, 5, "2023-11-14T22:13:20.000005Z"),
            (951_782_400, 0, "2000-02-29T00:00:00.000000Z"),
        ] {
            assert_eq!(at(seconds, micros).as_deref(), Ok(written));
        }
    }

    #[test]
    fn a_full_queue_is_written_by_the_line_that_fills_it() {
        let sink = Sink::default();
        // No writer thread: only a full queue is written.
        let queue = Queue::new(Box::new(sink.clone()));
        let line = [b'x'; 1000];
        for _ in 0..MAX_PENDING / line.len() {
            queue.push(&line);
        }
        assert!(written(&sink).is_empty());
        queue.push(&line);
        assert_eq!(
            written(&sink).len(),
            (MAX_PENDING / line.len() + 1) * line.len()
        );
        assert!(queue.lock().bytes.is_empty());
    }
}
