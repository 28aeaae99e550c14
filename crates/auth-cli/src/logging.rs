//! Log lines on stderr: text, coloured only when stderr is a terminal (a log file holds no
//! escape sequences), or one JSON object per line for log collectors. `RUST_LOG` sets the level.
//!
//! Lines are formatted where they happen and appended to one buffer; a thread of its own writes
//! what gathered in one `write(2)`, [`BATCH`] after the first line of a batch arrived. A request's
//! line costs a copy under a lock: no system call, no allocation and no wake-up of the writer,
//! except for the first line of a batch. Under load, that is 200 wake-ups a second, where a
//! channel woke the writer for nearly every line (a tenth of get-session's CPU). No line is ever
//! dropped: when [`MAX_PENDING`] bytes are waiting, the line that finds them writes them itself.

use std::io::{IsTerminal as _, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

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
