//! `auth-cli serve`: a standalone auth server. Without `--database-url` it keeps an embedded
//! SQLite database, its migrations and a generated secret in a data folder beside auth.toml.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use auth_core::Config;
use auth_runtime::builder::{DATABASE_FILE, default_data_dir};
use auth_runtime::migrate::DatabaseUrl;
use auth_runtime::{Auth, Startup};

use crate::opt::ServeOpt;
use crate::{CliError, stdout_error};

/// How long queued mail may take to leave once the HTTP server has stopped: within the 10 s a
/// container runtime waits between SIGTERM and SIGKILL, next to the graceful shutdown itself.
const MAIL_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);

pub(crate) async fn serve(opt: &ServeOpt, stdout: &mut dyn Write) -> Result<(), CliError> {
    let config = Config::load(&opt.config)?;
    // The web app the client snippet is for: the first trusted origin that is one exact origin.
    let app = config
        .trusted_origins
        .iter()
        .map(|o| o.get_ref().trim_end_matches('/'))
        .find(|o| !o.contains(['*', '?']))
        .and_then(auth_runtime::http::origin_of);
    let address = SocketAddr::new(opt.host, opt.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| CliError::Bind { address, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| CliError::Bind { address, source })?;
    let host = match bound.ip() {
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        std::net::IpAddr::V4(ip) => ip.to_string(),
    };
    let builder = Auth::builder()
        .with_config(config)
        .base_url(format!("http://{host}:{}", bound.port()));
    let (builder, data) = match (&opt.database_url, &opt.data_dir) {
        (Some(url), _) => (builder.database(url.clone()), None),
        (None, dir) => {
            let dir = dir.clone().unwrap_or_else(|| default_data_dir(&opt.config));
            (builder.data_dir(dir.clone()), Some(dir))
        }
    };
    let (auth, startup) = builder.build_reporting().await?;
    let mut secret_file = None;
    for event in startup {
        match event {
            Startup::SecretRead(path) => secret_file = Some(path),
            Startup::SecretGenerated(path) => {
                writeln!(stdout, "{}", Startup::SecretGenerated(path.clone()))
                    .map_err(stdout_error)?;
                secret_file = Some(path);
            }
            other => writeln!(stdout, "{other}").map_err(stdout_error)?,
        }
    }
    let service = auth.service();
    let stop = shutdown();
    let url = match (&data, &opt.database_url) {
        (Some(dir), _) => DatabaseUrl::Sqlite(dir.join(DATABASE_FILE)),
        (None, url) => DatabaseUrl::parse(url.as_deref().unwrap_or_default())?,
    };
    writeln!(stdout, "serving {} on {url}", auth.api_url()).map_err(stdout_error)?;
    if let Some(port) = loopback_port(auth.api_url()).filter(|port| *port != bound.port()) {
        writeln!(
            stdout,
            "warning: base-url names port {port} of this machine but the server listens on {}: change base-url or --port",
            bound.port()
        )
        .map_err(stdout_error)?;
    }
    write!(
        stdout,
        "{}",
        next_steps(&auth, app, data.as_deref(), secret_file.as_deref())
    )
    .map_err(stdout_error)?;
    stdout.flush().map_err(stdout_error)?;
    let limits = crate::accept::Limits {
        header: Duration::from_secs(opt.header_timeout),
        idle: Duration::from_secs(opt.idle_timeout),
        body: Duration::from_secs(opt.body_timeout),
        connections: opt.max_connections,
    };
    crate::accept::serve(listener, service, limits, stop).await;
    // Mail accepted before the stop still leaves; what cannot within the deadline is logged.
    auth.shutdown(MAIL_DRAIN).await;
    writeln!(stdout, "stopped").map_err(stdout_error)
}

/// The port of a URL on this machine (`localhost`, `127.0.0.1`, `[::1]`), where a base URL must
/// name the port the server listens on; `None` for any other host (a proxy may stand in front).
fn loopback_port(url: &str) -> Option<u16> {
    let origin = auth_runtime::http::origin_of(url)?;
    let (scheme, authority) = origin.split_once("://")?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.ends_with(']') => (host, port.parse().ok()?),
        _ => (authority, if scheme == "https" { 443 } else { 80 }),
    };
    ["localhost", "127.0.0.1", "[::1]"]
        .contains(&host)
        .then_some(port)
}

/// What a newcomer does next, printed once the server listens: a request that works as typed
/// (state-changing requests need a trusted `Origin`), the client line for the trusted app
/// origin, and where the embedded database and its secret are.
fn next_steps(
    auth: &Auth,
    app: Option<String>,
    data: Option<&Path>,
    secret_file: Option<&Path>,
) -> String {
    let api = auth.api_url();
    let base_url = api.strip_suffix(auth.base_path()).unwrap_or(api);
    let origin = auth_runtime::http::origin_of(api).unwrap_or_else(|| base_url.to_owned());
    let app = app.unwrap_or_else(|| origin.clone());
    let mut out = format!(
        "  try:    curl -i {api}/sign-up/email -H 'Origin: {origin}' -H 'Content-Type: application/json' -d '{{\"name\":\"Ada\",\"email\":\"ada@example.com\",\"password\":\"correct-horse-battery\"}}'\n  \
         client: createAuthClient({{ baseURL: \"{base_url}\" }}) in a page on {app} (better-auth/client)\n"
    );
    if let Some(data) = data {
        let secret = secret_file.map_or_else(
            || "the secret from the environment".to_owned(),
            |file| format!("{} (secret; AUTH_SECRET overrides it)", file.display()),
        );
        out.push_str(&format!(
            "  data:   {} (database), {secret}\n",
            data.join(DATABASE_FILE).display()
        ));
    }
    // An empty line ends the block, for whoever reads it.
    out.push('\n');
    out
}

/// Ctrl-C or SIGTERM. The SIGTERM handler is installed now, not when the future is first
/// polled: a SIGTERM right after `serving …` is printed still stops the server gracefully.
fn shutdown() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let interrupt = tokio::signal::ctrl_c();
        #[cfg(unix)]
        if let Some(mut terminate) = terminate {
            tokio::select! {
                _ = interrupt => {}
                _ = terminate.recv() => {}
            }
            return;
        }
        let _ = interrupt.await;
    }
}
