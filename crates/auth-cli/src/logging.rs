//! Log lines on stderr: text, coloured only when stderr is a terminal (a log file holds no
//! escape sequences), or one JSON object per line for log collectors. `RUST_LOG` sets the level.

use std::io::IsTerminal as _;

use crate::opt::LogFormat;

/// Installs the global subscriber; a second call (tests) leaves the first in place.
pub fn install(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder
            .with_ansi(colour(std::io::stderr().is_terminal()))
            .try_init(),
    };
}

/// Colour on a terminal, unless `NO_COLOR` (<https://no-color.org>) is set to anything.
fn colour(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
