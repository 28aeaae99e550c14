//! A wrangler project with a better-auth Worker, run locally: copied to a scratch folder (its
//! installed `node_modules` linked, so one `npm ci` serves every copy), given migrations by
//! `auth-cli migrate new`, applied by `wrangler d1 migrations apply --local`, and served by one
//! `wrangler dev --local` process on a free loopback port; plus a tiny HTTP/1.1 client with a
//! cookie jar to talk to it as a browser would.
//!
//! Used by the examples' tests (`examples/d1`, `examples/d1-drizzle`).

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auth_cli::{MigrateCommand, MigrateNewOpt, Opt};
use auth_core::Dialect;
use serde_json::Value;

use super::d1;

/// Where `--persist-to <dir>` keeps the D1 databases.
const PERSISTED_D1: &str = "v3/d1/miniflare-D1DatabaseObject";
/// How long `wrangler dev` may take to answer (it takes 2-4 s).
const START_TIMEOUT: Duration = Duration::from_secs(120);
const APPLY_TIMEOUT: Duration = Duration::from_secs(180);
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Copies an example without `node_modules` and `.wrangler`; `node_modules` becomes a link to the
/// example's installed one.
pub fn copy_project(from: &Path, to: &Path) {
    fn copy(from: &Path, to: &Path) -> std::io::Result<()> {
        fs::create_dir_all(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            let name = entry.file_name();
            if name == "node_modules" || name == ".wrangler" {
                continue;
            }
            if entry.file_type()?.is_dir() {
                copy(&entry.path(), &to.join(&name))?;
            } else {
                fs::copy(entry.path(), to.join(&name))?;
            }
        }
        Ok(())
    }
    copy(from, to).unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), to.display()));
    std::os::unix::fs::symlink(from.join("node_modules"), to.join("node_modules"))
        .unwrap_or_else(|e| panic!("link node_modules: {e}"));
}

/// `auth-cli migrate new <slug> --dialect d1` in the project copy.
pub fn migrate_new(project: &Path, slug: &str) {
    let opt = Opt::from(auth_cli::Command::Migrate(MigrateCommand::New(
        MigrateNewOpt {
            slug: slug.to_owned(),
            dialect: Dialect::D1,
            config: project.join("auth.toml"),
            dir: project.join("migrations"),
            allow_destructive: false,
        },
    )));
    auth_cli::run(opt, &mut Vec::new()).unwrap_or_else(|e| panic!("auth-cli migrate new: {e}"));
}

/// `wrangler d1 migrations apply DB --local --persist-to <state>` in the copy, with the wrangler
/// installed in `example`.
pub fn apply(example: &Path, project: &Path, state: &Path, scratch: &Path) {
    let mut command = d1::wrangler(example, project, scratch);
    command
        .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
        .arg(state);
    let output = d1::run(command, scratch, APPLY_TIMEOUT)
        .unwrap_or_else(|e| panic!("wrangler d1 migrations apply: {e}"));
    assert!(
        output.success,
        "wrangler d1 migrations apply failed:\n{}",
        output.text
    );
}

/// The D1 database file that `--persist-to <state>` holds.
pub fn persisted_database(state: &Path) -> PathBuf {
    d1::database_file(&state.join(PERSISTED_D1))
        .unwrap_or_else(|e| panic!("the persisted D1 database: {e}"))
}

// ---------------------------------------------------------------------------------------------
// The worker

/// `wrangler dev --local` serving the copy on a free port; stopped (with workerd) on drop.
#[derive(Debug)]
pub struct Worker {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Worker {
    /// Starts the worker with the wrangler installed in `example`, its D1 state in `state`, and
    /// waits until it answers `GET /` with 200. `vars` override the `[vars]` of `wrangler.toml`
    /// (`BASE_URL` is set to the worker's own origin).
    pub fn start(
        example: &Path,
        project: &Path,
        state: &Path,
        scratch: &Path,
        vars: &[(&str, &str)],
    ) -> Self {
        let port = free_port();
        let log = scratch.join(format!("wrangler-dev-{port}.log"));
        let file =
            fs::File::create(&log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let err = file.try_clone().unwrap_or_else(|e| panic!("log file: {e}"));
        let mut command = d1::wrangler(example, project, scratch);
        command
            .args([
                "dev",
                "--local",
                "--ip",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .args(["--inspector-port", &free_port().to_string(), "--persist-to"])
            .arg(state)
            .args(["--var", &format!("BASE_URL:http://127.0.0.1:{port}")]);
        for (name, value) in vars {
            command.args(["--var", &format!("{name}:{value}")]);
        }
        // Its own process group, so that stopping it also stops esbuild and workerd.
        command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
        let mut worker = Self { child, port, log };
        worker.wait_until_ready();
        worker
    }

    fn wait_until_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("wrangler dev exited with {status}:\n{}", self.log_text());
            }
            if request(self.port, "GET", "/", &[], None).is_ok_and(|r| r.status == 200) {
                return;
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "wrangler dev did not answer on port {} within {START_TIMEOUT:?}:\n{}",
                self.port,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What wrangler and the worker printed so far.
    pub fn log_text(&self) -> String {
        d1::strip_ansi(&fs::read_to_string(&self.log).unwrap_or_default())
    }

    /// Sends `signal` to the whole process group.
    fn signal_group(&self, signal: &str) -> bool {
        Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.signal_group("-TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        // Until wrangler has exited (reaped here) and workerd with it (reaped by init).
        while Instant::now() < deadline {
            let exited = !matches!(self.child.try_wait(), Ok(None));
            if exited && !self.signal_group("-0") {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.signal_group("-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

// ---------------------------------------------------------------------------------------------
// A tiny HTTP/1.1 client with a cookie jar

#[derive(Debug)]
pub struct Client {
    port: u16,
    /// name → value
    pub cookies: BTreeMap<String, String>,
}

impl Client {
    pub fn new(port: u16) -> Self {
        Self {
            port,
            cookies: BTreeMap::new(),
        }
    }

    pub fn post(&mut self, path: &str, body: &Value) -> Value {
        self.send("POST", path, Some(&body.to_string()))
    }

    pub fn get(&mut self, path: &str) -> Value {
        self.send("GET", path, None)
    }

    /// Sends a request as the browser would (origin = baseURL, the cookies), keeps the cookies it
    /// sets, and returns the JSON body of a 200.
    fn send(&mut self, method: &str, path: &str, body: Option<&str>) -> Value {
        let origin = format!("http://127.0.0.1:{}", self.port);
        let cookie = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut headers = vec![("origin", origin.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        if !cookie.is_empty() {
            headers.push(("cookie", cookie.as_str()));
        }
        let response = request(self.port, method, path, &headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        for (name, value) in &response.headers {
            if name == "set-cookie" {
                self.set_cookie(value);
            }
        }
        assert_eq!(response.status, 200, "{method} {path}: {}", response.body);
        serde_json::from_str(&response.body)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {}", response.body))
    }

    fn set_cookie(&mut self, header: &str) {
        let mut parts = header.split(';');
        let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
            return;
        };
        let expired = parts.any(|attribute| attribute.trim().eq_ignore_ascii_case("max-age=0"));
        if expired || value.is_empty() {
            self.cookies.remove(name.trim());
        } else {
            self.cookies
                .insert(name.trim().to_owned(), value.trim().to_owned());
        }
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// One request on its own connection (`Connection: close`).
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<Response, String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(HTTP_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let body = body.unwrap_or("");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nconnection: close\r\n\
         content-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(format!("{head}{body}").as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    // workerd keeps the connection open for a while despite `connection: close`: read only
    // until the response is complete.
    let mut raw = Vec::new();
    let mut buffer = [0; 8192];
    loop {
        if let Some(response) = complete_response(&raw)? {
            return Ok(response);
        }
        let read = stream
            .read(&mut buffer)
            .map_err(|e| format!("receive: {e}"))?;
        if read == 0 {
            return parse_response(&raw);
        }
        raw.extend_from_slice(&buffer[..read]);
    }
}

/// The response once `raw` holds all of it (by `content-length` or the last chunk).
fn complete_response(raw: &[u8]) -> Result<Option<Response>, String> {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = &raw[split + 4..];
    let length = head
        .split("\r\n")
        .filter_map(|line| line.strip_prefix("content-length:"))
        .find_map(|value| value.trim().parse::<usize>().ok());
    let complete = match length {
        Some(length) => body.len() >= length,
        None if head.contains("transfer-encoding: chunked") => body.ends_with(b"0\r\n\r\n"),
        None => false,
    };
    if complete {
        parse_response(raw).map(Some)
    } else {
        Ok(None)
    }
}

fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no end of headers in {:?}", String::from_utf8_lossy(raw)))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(name, value)| {
        name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Ok(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|e| format!("bad chunk size {size_text:?}: {e}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        data = data.get(size + 2..).ok_or("truncated chunk end")?;
    }
}
