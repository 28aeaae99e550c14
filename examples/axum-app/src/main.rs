//! `cargo run -p axum-app-example`: serves the app on http://127.0.0.1:3000 (PORT to change it),
//! with `auth.toml` and the data folder `.data` beside this crate's manifest.

use std::io::Write as _;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let port: u16 = std::env::var("PORT").map_or(Ok(3000), |p| p.parse())?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = axum_app_example::app(&here.join("auth.toml"), &here.join(".data"), &base).await?;
    writeln!(
        std::io::stdout(),
        "listening on {base} (GET /me, the API under /api/auth)"
    )?;
    // The peer address identifies clients to the rate limiter when no trusted header does.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await?;
    Ok(())
}
