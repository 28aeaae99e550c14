// The services some tests need (database servers, Redis, Node, Chromium…). A test whose service
// is missing fails, naming the service and how to start it: a passing test that did nothing
// looks like a pass, and cargo hides a passing test's output. Outside CI, setting
// `AUTH_TEST_ALLOW_MISSING=1` turns that failure into a skip that says `SKIPPED`.
//
// Plain comments, not `//!`: auth-runtime's unit tests `include!` this file.

/// A service on this machine that a test needs.
#[derive(Debug)]
pub struct Service {
    /// What it is and where it is expected.
    pub name: &'static str,
    /// How to start or install it.
    pub start: &'static str,
}

pub const POSTGRES: Service = Service {
    name: "PostgreSQL on 127.0.0.1:5432 (user postgres, database test)",
    start: "`.ci/run` starts it (or `pg_ctlcluster <version> main start`); AUTH_TEST_POSTGRES_URL points elsewhere",
};
pub const MARIADB: Service = Service {
    name: "MariaDB on 127.0.0.1:3306 (user root, database test)",
    start: "`.ci/run` starts it (or `start-stop-daemon --start --background --exec /usr/sbin/mariadbd`); AUTH_TEST_MYSQL_URL points elsewhere",
};
pub const REDIS: Service = Service {
    name: "Redis on 127.0.0.1:6379",
    start: "`.ci/run` starts it (or `redis-server --daemonize yes --bind 127.0.0.1`)",
};
pub const REDIS_SERVER: Service = Service {
    name: "the redis-server binary",
    start: "install it (`apt-get install redis-server`); `.ci/run` expects it",
};
pub const NODE: Service = Service {
    name: "Node.js 20 with npm",
    start: "install Node.js 20 (with npm); the tests run `npm ci` in their npm projects themselves",
};
pub const CHROMIUM: Service = Service {
    name: "Chromium (/usr/bin/chromium)",
    start: "`apt-get install -y --no-install-recommends chromium` (`.ci/run` does it when missing); CHROMIUM names another binary",
};
pub const SCHEMATHESIS: Service = Service {
    name: "schemathesis 4.32.5 (target/schemathesis/bin/st, or SCHEMATHESIS)",
    start: "`python3 -m venv target/schemathesis && target/schemathesis/bin/pip install schemathesis==4.32.5` (`.ci/run` does it)",
};
pub const NETWORK_NAMESPACES: Service = Service {
    name: "network namespaces (`unshare -n`)",
    start: "run the tests as root (as CI does)",
};

/// The environment variable that lets a test without its service pass, outside CI.
pub const ALLOW_MISSING: &str = "AUTH_TEST_ALLOW_MISSING";

/// Whether this run is CI's (`CI=true`), where every service is required.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Fails naming `service` and how to start it; returns (the test then does nothing, loudly)
/// only with `AUTH_TEST_ALLOW_MISSING=1` outside CI.
#[expect(clippy::print_stderr, reason = "a skipped test says so")]
pub fn unavailable(service: &Service, error: &dyn std::fmt::Display) {
    let allowed = !ci() && std::env::var(ALLOW_MISSING).is_ok_and(|v| v == "1");
    assert!(
        allowed,
        "{} is unavailable: {error}\nstart it: {}\n(outside CI, {ALLOW_MISSING}=1 skips the tests that need it)",
        service.name, service.start
    );
    eprintln!(
        "SKIPPED ({ALLOW_MISSING}=1): {} unavailable: {error}",
        service.name
    );
}

/// Runs one test of the current test binary alone, its command set up by `configure` (its
/// environment); whether it passed, and what it printed.
pub fn run_test_alone(
    test: &str,
    configure: impl FnOnce(&mut std::process::Command),
) -> (bool, String) {
    let mut command =
        std::process::Command::new(std::env::current_exe().unwrap_or_else(|e| panic!("{e}")));
    command.args([test, "--exact", "--nocapture"]);
    configure(&mut command);
    let output = command.output().unwrap_or_else(|e| panic!("{e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}
