//! `cargo run -p axum-app-example`: serves the app on http://127.0.0.1:3000 (PORT to change it),
//! with `auth.toml` and the data folder `.data` beside this crate's manifest unless AUTH_CONFIG
//! and AUTH_DATA say otherwise.

use std::io::Write as _;
use std::path::PathBuf;

#[tokio::main]
async fn main() -> Result<(), axum_app_example::Error> {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config =
        std::env::var_os("AUTH_CONFIG").map_or_else(|| here.join("auth.toml"), PathBuf::from);
    let data = std::env::var_os("AUTH_DATA").map_or_else(|| here.join(".data"), PathBuf::from);
    let port: u16 = std::env::var("PORT").map_or(Ok(3000), |p| p.parse())?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = axum_app_example::app(&config, &data, &base).await?;
    writeln!(
        std::io::stdout(),
        "listening on {base} (auth API under {base}/api/auth, GET {base}/me)"
    )?;
    // The peer address identifies clients to the rate limiter when no trusted header does.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).await?;
    Ok(())
}
