//! The machine's ceiling for get-session: a bare axum server answering every request with the
//! bytes of our get-session answer — no cookie check, no database, no logging — in a process of
//! its own (this benchmark's binary, started again with [`BODY_ENV`]), loaded by the same
//! generator. What separates our get-session from it is our overhead, not the machine's.

use std::path::Path;

use axum::http::header;
use bytes::Bytes;

/// Set to a file holding the answer's body: the process serves it instead of benchmarking.
pub(crate) const BODY_ENV: &str = "AUTH_BENCH_CEILING_BODY";

/// Serves the ceiling when this process was started as one; false when it was not.
pub(crate) fn serve_if_asked() -> bool {
    let Some(path) = std::env::var_os(BODY_ENV) else {
        return false;
    };
    if let Err(error) = serve(Path::new(&path)) {
        eprintln!("ceiling server: {error}");
        std::process::exit(1);
    }
    true
}

fn serve(path: &Path) -> Result<(), String> {
    let body = Bytes::from(std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?);
    // The same runtime as `auth-cli serve`: tokio's multi-threaded one, a worker per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let app = axum::Router::new().fallback(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body) }
        });
        println!("ceiling serving on http://{address}");
        axum::serve(listener, app).await.map_err(|e| e.to_string())
    })
}
