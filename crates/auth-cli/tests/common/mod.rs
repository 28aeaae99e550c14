//! What the `auth-cli` test targets share: a project folder holding `auth.toml` and its
//! migrations, and server child processes (`auth-cli serve`) killed on drop.

#![allow(dead_code, reason = "each test target uses a different subset")]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use auth_core::Dialect;

/// The secret every served test instance shares (so cookies signed by one verify on another).
pub(crate) const SECRET: &str = "conformance-rust-secret-0123456789abcdef0123456789";
/// How long a server may take to start on a loaded machine.
const STARTUP: Duration = Duration::from_secs(60);

/// A server child process, killed on drop; its stderr goes to a file shown in failures.
#[derive(Debug)]
pub(crate) struct Running {
    child: Child,
    name: &'static str,
    stderr: PathBuf,
    /// Where the server answers, without `/api/auth`.
    pub(crate) origin: String,
}

impl Running {
    /// Starts `command` and waits for the stdout line `ready` turns into the origin.
    pub(crate) fn start(
        name: &'static str,
        command: &mut Command,
        scratch: &Path,
        ready: fn(&str) -> Option<String>,
    ) -> Self {
        let stderr = unused_path(scratch, name, "stderr");
        let file = std::fs::File::create(&stderr)
            .unwrap_or_else(|e| panic!("create {}: {e}", stderr.display()));
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name} ({command:?}): {e}"));
        let stdout = child
            .stdout
            .take()
            .unwrap_or_else(|| panic!("{name}: no stdout"));
        let (sender, receiver) = mpsc::channel();
        // Reads every line (so the pipe never fills), reporting the ready one.
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && let Some(origin) = ready(&line) {
                    let _ = sender.send(origin);
                    sent = true;
                }
            }
        });
        let mut running = Self {
            child,
            name,
            stderr,
            origin: String::new(),
        };
        match receiver.recv_timeout(STARTUP) {
            Ok(origin) => running.origin = origin,
            Err(error) => {
                let status = running.child.try_wait();
                panic!(
                    "{name} did not start ({error}; status {status:?})\n{}",
                    running.log()
                );
            }
        }
        running
    }

    /// `auth-cli serve` with `env` added to its environment, ready at
    /// `serving http://…/api/auth on …`.
    pub(crate) fn ours(args: &[&str], scratch: &Path, env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_auth-cli"));
        command
            .arg("serve")
            .args(args)
            .args(["--port", "0"])
            .env_remove("DATABASE_URL")
            .env_remove("BETTER_AUTH_SECRET")
            .env_remove("BETTER_AUTH_SECRETS")
            .env("AUTH_SECRET", SECRET)
            .env("NO_COLOR", "1")
            .envs(env.iter().copied());
        Self::start("auth-cli serve", &mut command, scratch, |line| {
            let url = line.strip_prefix("serving ")?.split_whitespace().next()?;
            Some(url.strip_suffix("/api/auth").unwrap_or(url).to_owned())
        })
    }

    /// The last lines of the server's stderr, for failure messages.
    pub(crate) fn log(&self) -> String {
        let text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        format!("--- {} stderr ---\n{}", self.name, tail(&text, 200))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `<dir>/<name>.<ext>`, or `<name>-2.<ext>`, … when taken (several servers in one folder).
fn unused_path(dir: &Path, name: &str, ext: &str) -> PathBuf {
    let candidate = |n: usize| match n {
        1 => dir.join(format!("{name}.{ext}")),
        n => dir.join(format!("{name}-{n}.{ext}")),
    };
    (1..)
        .map(candidate)
        .find(|path| !path.exists())
        .unwrap_or_else(|| candidate(1))
}

/// The last `lines` lines of `text`.
pub(crate) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A temporary folder with `auth.toml`.
#[derive(Debug)]
pub(crate) struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// A folder whose `auth.toml` is `config`, with `{dir}` replaced by the folder's path.
    pub(crate) fn new(config: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("auth-cli-test-")
            .tempdir()
            .unwrap_or_else(|e| panic!("{e}"));
        let project = Self { dir };
        let config = config.replace("{dir}", &project.path().display().to_string());
        let path = project.config();
        std::fs::write(&path, config).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        project
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn config(&self) -> PathBuf {
        self.path().join("auth.toml")
    }

    pub(crate) fn config_arg(&self) -> String {
        self.config().display().to_string()
    }

    /// Runs `auth-cli args…`, panicking with its output when it fails.
    pub(crate) fn cli(&self, args: &[&str]) {
        let output = Command::new(env!("CARGO_BIN_EXE_auth-cli"))
            .args(args)
            .current_dir(self.path())
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .output()
            .unwrap_or_else(|e| panic!("cannot run auth-cli: {e}"));
        assert!(
            output.status.success(),
            "auth-cli {args:?} failed ({})\nstdout:\n{}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// `migrate new init` for `dialect`, then `migrate apply` to `url`.
    pub(crate) fn migrate(&self, dialect: Dialect, url: &str) {
        let dir = self.path().join("migrations").display().to_string();
        let config = self.config_arg();
        let dialect = dialect.to_string();
        self.cli(&[
            "migrate",
            "new",
            "init",
            "--dialect",
            &dialect,
            "--config",
            &config,
            "--dir",
            &dir,
        ]);
        self.cli(&["migrate", "apply", "--database-url", url, "--dir", &dir]);
    }

    /// Serves on embedded SQLite in `<project>/data`.
    pub(crate) fn serve_embedded(&self) -> Running {
        self.serve_embedded_with(&[])
    }

    /// [`Project::serve_embedded`] with `env` added to the server's environment.
    pub(crate) fn serve_embedded_with(&self, env: &[(&str, &str)]) -> Running {
        let data = self.path().join("data").display().to_string();
        Running::ours(
            &["--config", &self.config_arg(), "--data-dir", &data],
            self.path(),
            env,
        )
    }

    /// Serves the database at `url` (which must hold the schema).
    pub(crate) fn serve_url(&self, url: &str) -> Running {
        self.serve_url_with(url, &[])
    }

    /// [`Project::serve_url`] with `env` added to the server's environment.
    pub(crate) fn serve_url_with(&self, url: &str, env: &[(&str, &str)]) -> Running {
        Running::ours(
            &["--config", &self.config_arg(), "--database-url", url],
            self.path(),
            env,
        )
    }
}

/// A `redis-server` child of this test on a free port, keeping nothing on disk.
#[derive(Debug)]
pub(crate) struct Redis {
    child: Option<Child>,
    port: u16,
}

impl Redis {
    /// `None` (failing under CI) when `redis-server` cannot run.
    pub(crate) fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .unwrap_or_else(|e| panic!("a free port: {e}"));
        let mut redis = Self { child: None, port };
        if let Err(error) = redis.spawn() {
            crate::support::unavailable(&crate::support::service::REDIS_SERVER, &error);
            return None;
        }
        Some(redis)
    }

    fn spawn(&mut self) -> Result<(), String> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run redis-server: {e}"))?;
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if self.ping() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("redis-server on port {} did not answer", self.port))
    }

    /// Whether the server answers `PING` with `+PONG`.
    fn ping(&self) -> bool {
        use std::io::{Read as _, Write as _};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let mut reply = [0_u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    }

    /// Kills the server: everything it held is gone.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A new, empty server on the same port.
    pub(crate) fn restart(&mut self) {
        self.stop();
        self.spawn().unwrap_or_else(|e| panic!("{e}"));
    }

    /// `redis://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The keys matching `pattern` (`redis-cli --scan`).
    pub(crate) fn keys(&self, pattern: &str) -> Vec<String> {
        let output = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "--scan", "--pattern", pattern])
            .output()
            .unwrap_or_else(|e| panic!("cannot run redis-cli: {e}"));
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The `[secondary-storage]` section pointing at this server.
    pub(crate) fn config(&self) -> String {
        format!(
            "\n[secondary-storage]\nkind = \"redis\"\nurl = \"{}\"\n",
            self.url()
        )
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
