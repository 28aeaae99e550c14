//! `auth-cli serve`: a standalone auth server. Without `--database-url` it keeps an embedded
//! SQLite database, its migrations and a generated secret in a data folder beside auth.toml.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use auth_core::{Config, Dialect, Schema};
use auth_runtime::migrate::{Database, DatabaseUrl, Migrations};
use auth_runtime::wire::{Secret, SecretError};
use auth_runtime::{Auth, AuthOptions};

use crate::opt::ServeOpt;
use crate::{CliError, stdout_error};

/// How long queued mail may take to leave once the HTTP server has stopped: within the 10 s a
/// container runtime waits between SIGTERM and SIGKILL, next to the graceful shutdown itself.
const MAIL_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);

/// The secret of the embedded database, beside it.
const SECRET_FILE: &str = "auth.secret";

/// The embedded database, in the data folder.
const DATABASE_FILE: &str = "auth.db";

/// Reads `BETTER_AUTH_SECRETS`, else `BETTER_AUTH_SECRET`/`AUTH_SECRET`; on the embedded
/// database, falls back to the secret file in `data`, generating it on first start. The file
/// comes back with the secret when it was the source.
fn secret(
    data: Option<&Path>,
    stdout: &mut dyn Write,
) -> Result<(Secret, Option<PathBuf>), CliError> {
    match Secret::from_env() {
        Ok(secret) => return Ok((secret, None)),
        Err(SecretError::Missing) => {}
        Err(error) => return Err(CliError::Secret(error)),
    }
    let Some(data) = data else {
        return Err(CliError::Secret(SecretError::Missing));
    };
    let path = data.join(SECRET_FILE);
    let io = |source| CliError::Write {
        path: path.clone(),
        source,
    };
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(io)?;
        let secret = Secret::new(text.trim().to_owned()).map_err(CliError::Secret)?;
        return Ok((secret, Some(path)));
    }
    let value = auth_runtime::wire::id::generate_with_len(64);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(io)?;
    file.write_all(value.as_bytes()).map_err(io)?;
    writeln!(
        stdout,
        "generated a secret in {} (set AUTH_SECRET to use your own)",
        path.display()
    )
    .map_err(stdout_error)?;
    let secret = Secret::new(value).map_err(CliError::Secret)?;
    Ok((secret, Some(path)))
}

/// Brings the embedded database to the schema of `config`: the next migration (refused when
/// destructive) is written to `<data>/migrations`, then every pending one applied.
async fn migrate_embedded(
    config: &Config,
    data: &Path,
    url: &DatabaseUrl,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let dir = data.join("migrations");
    if let Some(written) = crate::new::write_next(config, Dialect::Sqlite, &dir, "auto", false)? {
        writeln!(stdout, "wrote {}", written.sql_path.display()).map_err(stdout_error)?;
    }
    let migrations = Migrations::load(&dir, Dialect::Sqlite)?;
    let mut database = Database::connect_or_create(url).await?;
    let mut lines = Vec::new();
    let result = database
        .apply(&migrations, &mut |applied| lines.push(applied.to_string()))
        .await;
    database.close().await;
    result?;
    for line in lines {
        writeln!(stdout, "{line}").map_err(stdout_error)?;
    }
    Ok(())
}

pub(crate) async fn serve(opt: &ServeOpt, stdout: &mut dyn Write) -> Result<(), CliError> {
    let config = Config::load(&opt.config)?;
    // Before anything is created or migrated: a plugin we do not enforce is never served.
    auth_core::serving::refuse_unserved(&config, auth_runtime::plugins::SERVED)?;
    let schema = Schema::build(&config)?;
    let (url, data) = match &opt.database_url {
        Some(url) => (DatabaseUrl::parse(url)?, None),
        None => {
            let data = opt
                .data_dir
                .clone()
                .unwrap_or_else(|| default_data_dir(&opt.config));
            std::fs::create_dir_all(&data).map_err(|source| CliError::Write {
                path: data.clone(),
                source,
            })?;
            let db = data.join(DATABASE_FILE);
            (DatabaseUrl::Sqlite(db), Some(data))
        }
    };
    let (secret, secret_file) = secret(data.as_deref(), stdout)?;
    if let Some(data) = &data {
        migrate_embedded(&config, data, &url, stdout).await?;
    } else {
        let findings = crate::check::findings(&config, &schema, &url, true).await?;
        if !findings.unenforced.is_empty() {
            let list: Vec<String> = findings
                .unenforced
                .iter()
                .map(ToString::to_string)
                .collect();
            return Err(CliError::NotServable(list.join("\n")));
        }
        if !findings.drift.is_clean() {
            let list: Vec<String> = findings
                .drift
                .differences
                .iter()
                .map(|d| format!("  - {d}"))
                .collect();
            return Err(CliError::NotServable(format!(
                "{url} does not hold the schema of {}:\n{}\nrun `auth-cli migrate apply` (or `auth-cli check` for details)",
                opt.config.display(),
                list.join("\n")
            )));
        }
        if let Some(tolerated) = findings.tolerated.filter(|t| !t.is_empty()) {
            writeln!(
                stdout,
                "{url} has better-auth's own schema ({} tolerated difference{}); `auth-cli migrate baseline` adopts it for migrations",
                tolerated.len(),
                if tolerated.len() == 1 { "" } else { "s" }
            )
            .map_err(stdout_error)?;
        }
    }
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
    let options = AuthOptions {
        base_url: Some(format!("http://{host}:{}", bound.port())),
        ..AuthOptions::default()
    };
    let dialect = url.dialect();
    // The web app the client snippet is for: the first trusted origin that is one exact origin.
    let app = config
        .trusted_origins
        .iter()
        .map(|o| o.get_ref().trim_end_matches('/'))
        .find(|o| !o.contains(['*', '?']))
        .and_then(auth_runtime::http::origin_of);
    let auth = Auth::connect(config, dialect, &url.to_string(), secret, options)
        .await
        .map_err(|e| CliError::NotServable(e.to_string()))?;
    let router = auth.router().layer(
        tower_http::trace::TraceLayer::new_for_http()
            .make_span_with(tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO))
            .on_response(log_response),
    );
    let stop = shutdown();
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
    crate::accept::serve(listener, router, limits, stop).await;
    // Mail accepted before the stop still leaves; what cannot within the deadline is logged.
    auth.shutdown(MAIL_DRAIN).await;
    writeln!(stdout, "stopped").map_err(stdout_error)
}

/// One line per answer: its status, how long it took and, for an error, its `code`
/// (`INVALID_ORIGIN`), so that a refused request says why in the log.
fn log_response(
    response: &axum::http::Response<axum::body::Body>,
    latency: Duration,
    _span: &tracing::Span,
) {
    let status = response.status().as_u16();
    let latency_ms = latency.as_secs_f64() * 1000.0;
    match response
        .extensions()
        .get::<auth_runtime::error::ReasonCode>()
    {
        Some(code) => tracing::info!(status, code = %code.0, latency_ms, "answered"),
        None => tracing::info!(status, latency_ms, "answered"),
    }
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

/// Where `serve` keeps the embedded database when no data folder is given.
pub(crate) fn default_data_dir(config: &Path) -> PathBuf {
    config
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(".auth")
}
