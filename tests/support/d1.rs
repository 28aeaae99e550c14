//! Cloudflare D1 on this machine: SQL migrations applied by the real `wrangler d1 migrations
//! apply --local` (workerd's SQLite 3.47 with D1's rules), offline, from the npm project in
//! `tests/d1` (wrangler 4.86.0, the newest that runs on Node 20).
//!
//! The building blocks ([`ensure_installed`], [`wrangler`], [`run`], [`database_file`]) work for
//! any npm project that pins wrangler, such as `examples/d1`.
//!
//! Self-contained (std and tempfile only) so any test target can include it by path.

use std::fs::{self, File};
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one `wrangler d1 migrations apply` may take (it takes 2-4 s).
const APPLY_TIMEOUT: Duration = Duration::from_secs(180);

/// Where miniflare keeps a D1 database, under the project's `.wrangler/state/v3`.
const D1_STATE: &str = ".wrangler/state/v3/d1/miniflare-D1DatabaseObject";

/// A throwaway wrangler project whose local D1 database holds the applied migrations; deleted on
/// drop.
#[derive(Debug)]
pub struct AppliedD1 {
    project: tempfile::TempDir,
    database: PathBuf,
}

impl AppliedD1 {
    /// The SQLite file workerd wrote (open it with rusqlite to inspect the result).
    pub fn path(&self) -> &Path {
        &self.database
    }

    /// The wrangler project: `wrangler.toml`, `migrations/`, `.wrangler/`.
    pub fn project(&self) -> &Path {
        self.project.path()
    }

    /// Adds `migrations/<name>.sql` (a name that orders after the applied ones) and applies it to
    /// this database with `wrangler d1 migrations apply DB --local`, as a deployed database gets
    /// its next migration: wrangler skips the files its `d1_migrations` table lists.
    pub fn apply_next(&self, name: &str, sql: &str) -> Result<(), String> {
        self.add_migration_file(name, sql)?;
        apply_pending(&harness_dir(), self.project.path()).map(drop)
    }

    /// Writes `migrations/<name>.sql` without applying it: for SQL the caller ran on
    /// [`Self::path`] itself and recorded in `d1_migrations` (`name` with its `.sql`), as wrangler
    /// records what it applied.
    pub fn add_migration_file(&self, name: &str, sql: &str) -> Result<(), String> {
        write(
            &self
                .project
                .path()
                .join("migrations")
                .join(file_name(0, name)),
            sql,
        )
    }

    /// A copy of this project, its migrations and its database in a fresh temporary folder:
    /// what is done to the copy leaves this one as it is.
    pub fn fork(&self) -> Result<AppliedD1, String> {
        let project = tempfile::Builder::new()
            .prefix("auth-d1-")
            .tempdir()
            .map_err(|e| format!("create a temporary wrangler project: {e}"))?;
        copy_dir(self.project.path(), project.path())?;
        let database = database_file(&project.path().join(D1_STATE))?;
        Ok(AppliedD1 { project, database })
    }
}

/// Copies the folder `from` to `to` (created if missing), recursively.
fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("copy {} to {}: {e}", from.display(), to.display());
    fs::create_dir_all(to).map_err(failed)?;
    for entry in fs::read_dir(from).map_err(failed)? {
        let entry = entry.map_err(failed)?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(failed)?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target).map_err(failed)?;
        }
    }
    Ok(())
}

/// `tests/d1`, the npm project that pins wrangler and miniflare.
pub fn harness_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("d1")
}

/// Applies `migrations` (file name or name, SQL) in order to a fresh local D1 database with
/// `wrangler d1 migrations apply DB --local`, and returns the database file.
///
/// Names become `migrations/<name>.sql`; a name without a leading number gets `0001_`, `0002_`…
/// by position, since wrangler orders files by that number. Errors carry wrangler's output.
pub fn apply_d1_migrations(migrations: &[(String, String)]) -> Result<AppliedD1, String> {
    let harness = harness_dir();
    ensure_installed(&harness)?;

    let project = tempfile::Builder::new()
        .prefix("auth-d1-")
        .tempdir()
        .map_err(|e| format!("create a temporary wrangler project: {e}"))?;
    let root = project.path();
    write(&root.join("wrangler.toml"), WRANGLER_TOML)?;
    let dir = root.join("migrations");
    fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    for (position, (name, sql)) in migrations.iter().enumerate() {
        write(&dir.join(file_name(position, name)), sql)?;
    }
    let output = apply_pending(&harness, root)?;
    let state = root.join(D1_STATE);
    let database =
        database_file(&state).map_err(|e| format!("{e}\nwrangler said:\n{}", output.text))?;
    Ok(AppliedD1 { project, database })
}

/// `wrangler d1 migrations apply DB --local` in the wrangler project `root`; its output, or why it
/// failed.
fn apply_pending(harness: &Path, root: &Path) -> Result<Finished, String> {
    let mut command = wrangler(harness, root, root);
    command.args(["d1", "migrations", "apply", "DB", "--local"]);
    let output = run(command, root, APPLY_TIMEOUT)?;
    if !output.success {
        return Err(format!(
            "`wrangler d1 migrations apply DB --local` failed in {}:\n{}",
            root.display(),
            output.text
        ));
    }
    Ok(output)
}

const WRANGLER_TOML: &str = r#"# Written by tests/support/d1.rs: a local D1 database only (no `main`, no account).
name = "auth-tests-d1"
compatibility_date = "2025-01-01"

[[d1_databases]]
binding = "DB"
database_name = "auth-tests"
database_id = "00000000-0000-4000-8000-000000000000"
migrations_dir = "migrations"
"#;

/// `node <npm_project>/node_modules/wrangler/bin/wrangler.js`, to be given its arguments, run in
/// `project` (the folder with `wrangler.toml`) without prompts, metrics, update checks or any
/// other network access; its logs and home directory go under `scratch`.
pub fn wrangler(npm_project: &Path, project: &Path, scratch: &Path) -> Command {
    let home = scratch.join("home");
    // A failure shows up when wrangler runs.
    let _ = fs::create_dir_all(&home);
    let mut command = Command::new("node");
    command
        .arg(npm_project.join("node_modules/wrangler/bin/wrangler.js"))
        .current_dir(project)
        .env("CI", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .env("DO_NOT_TRACK", "1")
        .env("NO_COLOR", "1")
        // The banner asks the npm registry for a newer version; offline that stalls up to 3 s.
        .env("WRANGLER_HIDE_BANNER", "true")
        // `wrangler dev` fetches `Request.cf` from workers.cloudflare.com; offline it only warns.
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_LOG_PATH", scratch.join("logs"))
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"));
    command
}

fn file_name(position: usize, name: &str) -> String {
    let name = name.strip_suffix(".sql").unwrap_or(name);
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{name}.sql")
    } else {
        format!("{:04}_{name}.sql", position + 1)
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))
}

/// The one `<hash>.sqlite` file (not `metadata.sqlite`) of the D1 database in `state`, a
/// `…/v3/d1/miniflare-D1DatabaseObject` folder.
pub fn database_file(state: &Path) -> Result<PathBuf, String> {
    let entries =
        fs::read_dir(state).map_err(|e| format!("no D1 state in {}: {e}", state.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("read {}: {e}", state.display()))?
            .path();
        let sqlite = path.extension().is_some_and(|e| e == "sqlite");
        if sqlite && path.file_stem().is_some_and(|s| s != "metadata") {
            files.push(path);
        }
    }
    match <[PathBuf; 1]>::try_from(files) {
        Ok([file]) => Ok(file),
        Err(files) => Err(format!(
            "expected one database file in {}, found {files:?}",
            state.display()
        )),
    }
}

/// Runs `npm ci` in `harness` (an npm project with a lockfile: `tests/d1`, `tests/js`,
/// `examples/d1`) unless its `node_modules` is current. Test processes run at the same time, so one installs under an
/// exclusive lock while the others wait for it.
pub fn ensure_installed(harness: &Path) -> Result<(), String> {
    if installed(harness) {
        return Ok(());
    }
    // Not inside the harness: `npm ci` deletes `node_modules` first.
    let lock_path = std::env::temp_dir().join("auth-tests-d1-npm-ci.lock");
    let lock = File::create(&lock_path)
        .map_err(|e| format!("create lock {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("lock {}: {e}", lock_path.display()))?;
    if installed(harness) {
        return Ok(());
    }
    let mut command = Command::new("npm");
    command
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(harness)
        .env("DO_NOT_TRACK", "1");
    let output = run(command, &std::env::temp_dir(), Duration::from_secs(600))?;
    if !output.success || !installed(harness) {
        return Err(format!(
            "`npm ci` in {} failed (it needs the npm registry or a warm npm cache):\n{}",
            harness.display(),
            output.text
        ));
    }
    Ok(())
}

/// npm writes `node_modules/.package-lock.json` last; it is stale once `package-lock.json` is
/// newer (a version bump pulled from git).
fn installed(harness: &Path) -> bool {
    let modified = |p: PathBuf| fs::metadata(p).and_then(|m| m.modified()).ok();
    match (
        modified(harness.join("node_modules/.package-lock.json")),
        modified(harness.join("package-lock.json")),
    ) {
        (Some(installed), Some(locked)) => installed >= locked,
        _ => false,
    }
}

/// How a command ended.
#[derive(Debug)]
pub struct Finished {
    pub success: bool,
    /// The command, its exit status, stdout, then stderr.
    pub text: String,
}

/// Runs `command` with its output in files under `scratch` (no pipe to fill up), killing it after
/// `timeout`.
pub fn run(mut command: Command, scratch: &Path, timeout: Duration) -> Result<Finished, String> {
    let shown = format!("{command:?}");
    let out = tempfile::tempfile_in(scratch).map_err(|e| format!("temporary file: {e}"))?;
    let err = tempfile::tempfile_in(scratch).map_err(|e| format!("temporary file: {e}"))?;
    let (out_reader, err_reader) = (
        out.try_clone()
            .map_err(|e| format!("temporary file: {e}"))?,
        err.try_clone()
            .map_err(|e| format!("temporary file: {e}"))?,
    );
    let mut child = command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("start {shown}: {e} (is Node.js 20+ on PATH?)"))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("wait for {shown}: {e}")),
        }
    };
    let mut text = String::new();
    for mut file in [out_reader, err_reader] {
        let _ = file.seek(SeekFrom::Start(0));
        let mut bytes = Vec::new();
        let _ = file.read_to_end(&mut bytes);
        text.push_str(&strip_ansi(&String::from_utf8_lossy(&bytes)));
    }
    match status {
        Some(status) => Ok(Finished {
            success: status.success(),
            text: format!("{shown} exited with {status}\n{text}"),
        }),
        None => Ok(Finished {
            success: false,
            text: format!("{shown} killed after {timeout:?}\n{text}"),
        }),
    }
}

/// Drops ANSI escape sequences: wrangler colours its error messages even when not on a terminal.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            // CSI: parameters and intermediates up to a final byte in @..=~.
            chars.next();
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
