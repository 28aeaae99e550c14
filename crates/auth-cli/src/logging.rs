//! Log lines on stderr: text, coloured only when stderr is a terminal (a log file holds no
//! escape sequences), or one JSON object per line for log collectors. `RUST_LOG` sets the level.
//!
//! Lines are formatted where they happen and written by a thread of their own, which writes all
//! the lines that queued while it wrote the last batch in one `write(2)`: under load, a request's
//! line no longer costs a system call on the thread that answers it. The queue never drops a
//! line; when it is full, a request waits for the writer.

use std::io::IsTerminal as _;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};

use crate::opt::LogFormat;

/// The writer thread; dropping it writes the lines still queued and stops it.
#[must_use = "dropping the guard stops the log writer"]
#[derive(Debug)]
pub struct LogWriter {
    _guard: Option<WorkerGuard>,
}

/// Installs the global subscriber; a second call (tests) leaves the first in place and returns a
/// guard of nothing.
pub fn install(format: LogFormat) -> LogWriter {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("auth-cli-log")
        .finish(std::io::BufWriter::new(std::io::stderr()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let installed = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder
            .with_ansi(colour(std::io::stderr().is_terminal()))
            .try_init(),
    };
    LogWriter {
        _guard: installed.is_ok().then_some(guard),
    }
}

/// Colour on a terminal, unless `NO_COLOR` (<https://no-color.org>) is set to anything.
fn colour(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
