//! The servers, each in a process of its own: `auth-cli serve` (this package's release binary),
//! better-auth 1.7.25 on Node (`tests/conformance/reference-server.mjs`) and the machine's
//! ceiling ([`crate::ceiling`]).

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The secret both servers sign cookies with.
pub(crate) const SECRET: &str = "a-benchmark-secret-that-is-long-enough-0123456789";

/// The repository root (two levels above this package).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running server; killed when dropped.
pub(crate) struct Server {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub(crate) address: SocketAddr,
    /// `http://127.0.0.1:<port>`, also the `Origin` requests send.
    pub(crate) origin: String,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// `auth-cli serve` with `config` as auth.toml: on an embedded SQLite file in a fresh folder,
    /// or on `database_url`.
    pub(crate) fn ours(config: &str, database_url: Option<&str>) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let config_path = dir.path().join("auth.toml");
        // The plugin and scale rows enable plugins that send mail (OTPs, invitations), which
        // serve refuses to start without a mailer: a log mailer in the server's folder.
        let outbox = dir.path().join("outbox.jsonl");
        let config = format!(
            "{config}\n[mailer]\nkind = \"log\"\npath = \"{}\"\n",
            outbox.display()
        );
        std::fs::write(&config_path, config).map_err(|e| e.to_string())?;
        let port = free_port()?;
        let mut command = Command::new(env!("CARGO_BIN_EXE_auth-cli"));
        command
            .arg("serve")
            .arg("--config")
            .arg(&config_path)
            .arg("--port")
            .arg(port.to_string())
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .env("AUTH_SECRET", SECRET)
            // serve's default logging (a line per request, into a file here), as deployed.
            .env_remove("RUST_LOG");
        if let Some(url) = database_url {
            command.arg("--database-url").arg(url);
        }
        Self::start(command, dir)
    }

    /// The machine's ceiling ([`crate::ceiling`]) answering every request with `body`.
    pub(crate) fn ceiling(body: &[u8]) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let body_path = dir.path().join("body.json");
        std::fs::write(&body_path, body).map_err(|e| e.to_string())?;
        let mut command = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
        command.env(crate::ceiling::BODY_ENV, &body_path);
        Self::start(command, dir)
    }

    /// better-auth 1.7.25 (better-sqlite3, rate limit off) on a fresh SQLite file, migrated by
    /// better-auth itself, with reference-server.mjs's `flags` in its environment:
    /// `COOKIE_CACHE=compact` for `session.cookieCache`, `PLUGINS=1` for the seven sign-in plugins
    /// (two-factor, username, anonymous, bearer, multi-session, one-time-token,
    /// last-login-method), `API_KEY=1` for `apiKey` (`API_KEY_RATE_LIMIT=0`: keys unlimited).
    pub(crate) fn better_auth(flags: &[(&str, &str)]) -> Result<Self, String> {
        let conformance = repo_root().join("tests/conformance");
        ensure_npm(&conformance)?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut command = Command::new("node");
        command
            .arg(conformance.join("reference-server.mjs"))
            .current_dir(&conformance)
            .env("BETTER_AUTH_SECRET", SECRET)
            .env("DB_FILE", dir.path().join("reference.sqlite"))
            .env("MIGRATE", "1")
            .env("QUIET", "1")
            .env("PORT", "0")
            .envs(flags.iter().copied());
        Self::start(command, dir)
    }

    /// Starts `command` and waits (30 s at most) for the line that names its URL
    /// (`serving … on http://…` or `{"url":"http://…"}`).
    fn start(mut command: Command, dir: tempfile::TempDir) -> Result<Self, String> {
        let stderr_path = dir.path().join("stderr.log");
        let stderr = std::fs::File::create(&stderr_path).map_err(|e| e.to_string())?;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                if let Some(url) = url_in(&line) {
                    let _ = sender.send(url);
                    break;
                }
                line.clear();
            }
            // Keep the pipe drained so the server never blocks on a full stdout.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let Ok(origin) = receiver.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            let _ = child.wait();
            let mut log = String::new();
            let _ = std::fs::File::open(&stderr_path).and_then(|mut f| f.read_to_string(&mut log));
            return Err(last_line(&log));
        };
        let address = match origin.trim_start_matches("http://").parse() {
            Ok(address) => address,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{origin}: {e}"));
            }
        };
        Ok(Self {
            child,
            address,
            origin,
            stderr: stderr_path,
            _dir: dir,
        })
    }

    /// Resets the process's peak RSS to its current RSS (`/proc/PID/clear_refs`, value 5).
    pub(crate) fn reset_peak_rss(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }

    /// Why the process is gone (the last line it wrote on stderr), if it is.
    pub(crate) fn failure(&self) -> Option<String> {
        if self.peak_rss_mib().is_some() {
            return None;
        }
        let log = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        Some(format!("the server exited: {}", last_line(&log)))
    }

    /// The process's peak RSS (`VmHWM`) in MiB (none once it has exited).
    pub(crate) fn peak_rss_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The origin (`http://host:port`) of the last URL in a start-up line.
fn url_in(line: &str) -> Option<String> {
    let at = line.rfind("http://")?;
    let authority: String = line[at + "http://".len()..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '/'))
        .collect();
    Some(format!("http://{authority}"))
}

fn last_line(log: &str) -> String {
    log.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("exited without a message")
        .trim()
        .to_owned()
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// `npm ci` in `folder` when its packages are not installed yet.
pub(crate) fn ensure_npm(folder: &Path) -> Result<(), String> {
    if folder.join("node_modules/.package-lock.json").exists() {
        return Ok(());
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(folder)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("npm: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("npm ci failed in {}", folder.display()))
    }
}

/// Runs `command` `runs` times and returns the median wall time and the last stdout.
pub(crate) fn median_wall(
    command: &mut Command,
    runs: usize,
) -> Result<(Duration, Vec<u8>), String> {
    let mut times = Vec::new();
    let mut output = Vec::new();
    for _ in 0..runs.max(1) {
        let start = std::time::Instant::now();
        let out = command.output().map_err(|e| e.to_string())?;
        times.push(start.elapsed());
        if !out.status.success() {
            return Err(last_line(&String::from_utf8_lossy(&out.stderr)));
        }
        output = out.stdout;
    }
    times.sort();
    Ok((times[times.len() / 2], output))
}
