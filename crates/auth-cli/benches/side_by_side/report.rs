//! The figures, their Markdown report and the SVG bar chart (written as text: no plotting
//! library to compile with every test build, no font file to find).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::load::Outcome;

/// The font the chart is drawn with.
const OURS_COLOR: &str = "#1f77b4";
const THEIRS_COLOR: &str = "#ff7f0e";

/// The scenario of get-session authenticated by an API key in `x-api-key`.
pub(crate) const API_KEY_SESSION: &str = "get-session, x-api-key";

/// One measured run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Figures {
    pub(crate) rate: f64,
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) errors: usize,
    pub(crate) rss: Option<f64>,
}

impl Figures {
    pub(crate) fn new(outcome: &Outcome, rss: Option<f64>) -> Self {
        Self {
            rate: outcome.rate(),
            p50: outcome.percentile_ms(0.50),
            p99: outcome.percentile_ms(0.99),
            errors: outcome.errors,
            rss,
        }
    }

    pub(crate) fn cells(&self) -> String {
        let errors = if self.errors > 0 {
            format!(" ({} errors)", self.errors)
        } else {
            String::new()
        };
        format!(
            "{}{errors} | {:.2} | {:.2} | {}",
            rate(self.rate),
            self.p50,
            self.p99,
            mib(self.rss)
        )
    }
}

/// One side of a row: measured, or why not.
#[derive(Debug)]
pub(crate) enum Cell {
    Measured(Figures),
    Missing(String),
}

impl Cell {
    fn figures(&self) -> Option<&Figures> {
        match self {
            Self::Measured(figures) => Some(figures),
            Self::Missing(_) => None,
        }
    }

    fn cells(&self) -> String {
        match self {
            Self::Measured(figures) => figures.cells(),
            Self::Missing(why) => format!("n/a: {} | | |", why.replace('|', "/")),
        }
    }
}

/// One scenario at one concurrency, on both servers.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) scenario: &'static str,
    pub(crate) clients: usize,
    /// The 1-minute load average before the row.
    pub(crate) load: f64,
    pub(crate) ours: Cell,
    pub(crate) theirs: Cell,
}

impl Row {
    fn ratio(&self) -> Option<f64> {
        Some(self.ours.figures()?.rate / self.theirs.figures()?.rate.max(f64::EPSILON))
    }
}

/// Under mixed load: the get-session figures and the sign-ins per second, or why not.
pub(crate) type Mixed = Result<(Figures, f64), String>;

/// Everything one run measured.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) load_before: f64,
    pub(crate) load_after: f64,
    pub(crate) rows: Vec<Row>,
    /// The machine's ceiling for get-session, per number of connections.
    pub(crate) ceiling: Vec<(usize, Cell)>,
    /// get-session figures and sign-ins/s under mixed load, per server.
    pub(crate) mixed: Vec<(&'static str, Mixed)>,
    /// Raw scrypt verifications per second in-process.
    pub(crate) scrypt: Option<f64>,
    /// `generate`: ours, better-auth's.
    pub(crate) generate: [Result<Duration, String>; 2],
    pub(crate) postgres: Result<Vec<(u64, Figures)>, String>,
    /// admin's list-users and organization's list-members at scale on PostgreSQL.
    pub(crate) scale: crate::scale::Scaled,
}

fn rate(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn mib(value: Option<f64>) -> String {
    value.map_or_else(|| "?".to_owned(), |v| format!("{v:.1} MiB"))
}

fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("unknown CPU", |m| m.trim_start_matches([' ', '\t', ':']));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or_else(
            || "?".to_owned(),
            |kib| format!("{:.0} GiB", kib / 1024.0 / 1024.0),
        );
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cores} cores ({model}), {memory} RAM, Linux {}, Node {}",
        kernel.trim(),
        command_line("node", &["--version"])
    )
}

fn yes_no(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not measured",
    }
}

impl Report {
    pub(crate) fn new(load_before: f64) -> Self {
        Self {
            load_before,
            load_after: f64::NAN,
            rows: Vec::new(),
            ceiling: Vec::new(),
            mixed: Vec::new(),
            scrypt: None,
            generate: [Err(String::new()), Err(String::new())],
            postgres: Err(String::new()),
            scale: Err(String::new()),
        }
    }

    fn row(&self, scenario: &str, clients: usize) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.scenario == scenario && r.clients == clients)
    }

    /// Our get-session beside a bare axum server answering the same bytes (goals: 60 % of it from
    /// the database, 80 % from the cookie cache).
    fn ceiling_table(&self, out: &mut String) {
        let _ = writeln!(out, "\n## get-session against the machine's ceiling\n");
        let _ = writeln!(
            out,
            "The ceiling is a bare axum server in its own process answering every request with the bytes of our get-session answer: no cookie check, no database, no logging (`benches/side_by_side/ceiling.rs`). Measured right after our get-session row, by the same generator.\n"
        );
        let _ = writeln!(
            out,
            "| conns | ceiling req/s | p50 ms | p99 ms | peak RSS | ours, database | of the ceiling | ours, cookie cache | of the ceiling |"
        );
        let _ = writeln!(out, "|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for (clients, ceiling) in &self.ceiling {
            let ceiling_rate = ceiling.figures().map(|f| f.rate);
            let share = |scenario: &str| {
                let ours = self.row(scenario, *clients)?.ours.figures()?.rate;
                Some((ours, ours / ceiling_rate?.max(f64::EPSILON) * 100.0))
            };
            let cells = |scenario: &str| {
                share(scenario).map_or_else(
                    || "n/a | n/a".to_owned(),
                    |(ours, percent)| format!("{} | {percent:.0} %", rate(ours)),
                )
            };
            let _ = writeln!(
                out,
                "| {clients} | {} | {} | {} |",
                ceiling.cells(),
                cells("get-session"),
                cells("get-session, cookie cache")
            );
        }
    }

    /// The report as Markdown.
    pub(crate) fn markdown(&self, settings: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Benchmarks: `auth-cli serve` and better-auth 1.7.25, side by side\n"
        );
        let _ = writeln!(
            out,
            "Generated by `cargo bench -p auth-cli --bench side_by_side` on {}.\n",
            command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
        );
        let _ = writeln!(out, "- machine: {}", machine());
        let _ = writeln!(
            out,
            "- 1-minute load average: {:.2} before, {:.2} after (the `load` column: before each row); the load generator and both servers share the same cores, nothing is pinned",
            self.load_before, self.load_after
        );
        let _ = writeln!(out, "- {settings}");
        let _ = writeln!(
            out,
            "- each server in its own process on a fresh SQLite file, rate limiting off, the same user fields: ours is the release `auth-cli serve` with its default logging (an INFO line per request, into a file), better-auth is `tests/conformance/reference-server.mjs` (better-sqlite3, `QUIET=1`); one load generator (this benchmark, hyper HTTP/1.1 keep-alive, one connection per client); peak RSS is the server process's `VmHWM`, reset before each measured run; a request counts as an error unless answered 200\n"
        );
        let _ = writeln!(out, "![requests per second](benchmarks.svg)\n");

        let _ = writeln!(out, "## HTTP\n");
        let _ = writeln!(
            out,
            "| scenario | conns | load | ours req/s | p50 ms | p99 ms | peak RSS | better-auth req/s | p50 ms | p99 ms | peak RSS | ours / better-auth |"
        );
        let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for row in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {:.2} | {} | {} | {} |",
                row.scenario,
                row.clients,
                row.load,
                row.ours.cells(),
                row.theirs.cells(),
                row.ratio()
                    .map_or_else(|| "n/a".to_owned(), |r| format!("{r:.1}×"))
            );
        }

        self.ceiling_table(&mut out);

        let _ = writeln!(
            out,
            "\n## get-session (2 connections) while 16 connections sign in\n"
        );
        let _ = writeln!(
            out,
            "| server | get-session req/s | p50 ms | p99 ms | peak RSS | sign-ins/s |"
        );
        let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|");
        for (server, result) in &self.mixed {
            match result {
                Ok((figures, sign_ins)) => {
                    let _ = writeln!(
                        out,
                        "| {server} | {} | {} |",
                        figures.cells(),
                        rate(*sign_ins)
                    );
                }
                Err(why) => {
                    let _ = writeln!(out, "| {server} | n/a: {why} | | | | |");
                }
            }
        }

        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let sign_in = self
            .row("sign-in", 16)
            .and_then(|r| r.ours.figures())
            .map(|f| f.rate);
        let _ = writeln!(out, "\n## Sign-in and raw scrypt\n");
        if let Some(raw) = self.scrypt {
            let _ = writeln!(
                out,
                "Raw scrypt in the benchmark's process (better-auth's parameters, N=16384 r=16 p=1, one verification after another on {cores} threads): **{raw:.1}/s**."
            );
            if let Some(sign_in) = sign_in {
                let _ = writeln!(
                    out,
                    "Our sign-in at 16 connections: {:.1}/s = **{:.0} %** of it.",
                    sign_in,
                    sign_in / raw * 100.0
                );
            }
        }

        let _ = writeln!(
            out,
            "\n## get-session on PostgreSQL (ours, 16 connections)\n"
        );
        match &self.postgres {
            Ok(rows) => {
                let _ = writeln!(
                    out,
                    "| users and sessions | req/s | p50 ms | p99 ms | peak RSS |"
                );
                let _ = writeln!(out, "|--:|--:|--:|--:|--:|");
                for (users, figures) in rows {
                    let _ = writeln!(out, "| {users} | {} |", figures.cells());
                }
            }
            Err(why) => {
                let _ = writeln!(out, "n/a: {why}");
            }
        }

        let _ = writeln!(
            out,
            "\n## Lists at scale on PostgreSQL (ours, 16 connections)\n"
        );
        let _ = writeln!(
            out,
            "Seeded by `insert … select generate_series` into a database of its own, on the schema `render_schema` generates for admin and organization (better-auth's indexes and the toolkit's own, nothing added by hand); each answer carries its `total`, shared between requests for at most 2 s while counting takes 20 ms or more (`auth_runtime::store::totals`).\n"
        );
        match &self.scale {
            Ok(rows) => {
                let _ = writeln!(out, "| list | req/s | p50 ms | p99 ms | peak RSS |");
                let _ = writeln!(out, "|---|--:|--:|--:|--:|");
                for (list, figures) in rows {
                    let _ = writeln!(out, "| {list} | {} |", figures.cells());
                }
            }
            Err(why) => {
                let _ = writeln!(out, "n/a: {why}");
            }
        }

        let _ = writeln!(
            out,
            "\n## generate, full plugin set (wall time of the process, median)\n"
        );
        let _ = writeln!(out, "| command | time |");
        let _ = writeln!(out, "|---|--:|");
        for (name, result) in [
            (
                "`auth-cli generate --dialect sqlite --config examples/full/auth.toml` (all plugins)",
                &self.generate[0],
            ),
            (
                "better-auth 1.7.25 `getMigrations` + `compileMigrations`, SQLite (`tests/conformance/generate-schema.mjs`; the plugins in the `better-auth` package, not passkey, api-key, oauth-provider, sso, stripe)",
                &self.generate[1],
            ),
        ] {
            let time = match result {
                Ok(time) => format!("{:.1} ms", time.as_secs_f64() * 1000.0),
                Err(why) => format!("n/a: {why}"),
            };
            let _ = writeln!(out, "| {name} | {time} |");
        }

        let _ = writeln!(out, "\n## Targets\n");
        let _ = writeln!(out, "| target | measured | met |");
        let _ = writeln!(out, "|---|--:|---|");
        for (target, scenario, factor) in [
            (
                "get-session ≥ 50× better-auth (16 connections)",
                "get-session",
                50.0,
            ),
            (
                "get-session with cookie cache ≥ 100× better-auth (16 connections)",
                "get-session, cookie cache",
                100.0,
            ),
        ] {
            let ratio = self.row(scenario, 16).and_then(Row::ratio);
            let _ = writeln!(
                out,
                "| {target} | {} | {} |",
                ratio.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.1}×")),
                yes_no(ratio.map(|r| r >= factor))
            );
        }
        for scenario in ["sign-in", "sign-up"] {
            let ratio = self.row(scenario, 16).and_then(Row::ratio);
            let _ = writeln!(
                out,
                "| {scenario} ≥ 2× better-auth (16 connections) | {} | {} |",
                ratio.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2}×")),
                yes_no(ratio.map(|r| r >= 2.0))
            );
        }
        let ceiling = self
            .ceiling
            .iter()
            .find(|(clients, _)| *clients == 16)
            .and_then(|(_, cell)| cell.figures())
            .map(|f| f.rate);
        let postgres = self
            .postgres
            .as_ref()
            .ok()
            .and_then(|rows| rows.first())
            .map(|(_, figures)| figures.rate);
        for (target, ours, percent) in [
            (
                "get-session from SQLite ≥ 60 % of the machine's ceiling (16 connections)",
                self.row("get-session", 16)
                    .and_then(|r| r.ours.figures())
                    .map(|f| f.rate),
                60.0,
            ),
            (
                "get-session from the cookie cache ≥ 80 % of the ceiling (16 connections)",
                self.row("get-session, cookie cache", 16)
                    .and_then(|r| r.ours.figures())
                    .map(|f| f.rate),
                80.0,
            ),
            (
                "get-session from PostgreSQL ≥ 35 % of the ceiling (16 connections, fewest users)",
                postgres,
                35.0,
            ),
        ] {
            let share = ours
                .zip(ceiling)
                .map(|(ours, ceiling)| ours / ceiling.max(f64::EPSILON) * 100.0);
            let _ = writeln!(
                out,
                "| {target} | {} | {} |",
                share.map_or_else(|| "n/a".to_owned(), |s| format!("{s:.0} %")),
                yes_no(share.map(|s| s >= percent))
            );
        }
        let rate_of = |scenario: &str| {
            self.row(scenario, 16)
                .and_then(|r| r.ours.figures())
                .map(|f| f.rate)
        };
        let key_share = rate_of(API_KEY_SESSION)
            .zip(rate_of("get-session"))
            .map(|(key, cookie)| key / cookie.max(f64::EPSILON) * 100.0);
        let _ = writeln!(
            out,
            "| get-session with x-api-key ≥ 50 % of cookie get-session (ours, 16 connections, same run) | {} | {} |",
            key_share.map_or_else(|| "n/a".to_owned(), |s| format!("{s:.0} %")),
            yes_no(key_share.map(|s| s >= 50.0))
        );
        let share = sign_in.zip(self.scrypt).map(|(s, raw)| s / raw * 100.0);
        let _ = writeln!(
            out,
            "| sign-in ≥ 95 % of raw scrypt | {} | {} |",
            share.map_or_else(|| "n/a".to_owned(), |s| format!("{s:.0} %")),
            yes_no(share.map(|s| s >= 95.0))
        );
        let mixed_p99 = self
            .mixed
            .iter()
            .find(|(server, _)| *server == "ours")
            .and_then(|(_, r)| r.as_ref().ok())
            .map(|(f, _)| f.p99);
        let _ = writeln!(
            out,
            "| get-session p99 ≤ 5 ms while sign-ins saturate hashing | {} | {} |",
            mixed_p99.map_or_else(|| "n/a".to_owned(), |p| format!("{p:.2} ms")),
            yes_no(mixed_p99.map(|p| p <= 5.0))
        );
        for (list, figures) in self.scale.iter().flatten() {
            let _ = writeln!(
                out,
                "| {list}: p99 < 50 ms at 16 connections | {:.2} ms | {} |",
                figures.p99,
                yes_no(Some(figures.p99 < 50.0))
            );
        }
        for (target, scenario, limit) in [
            (
                "peak RSS ≤ 30 MB, get-session at 16 connections",
                "get-session",
                30.0,
            ),
            (
                "peak RSS ≤ 100 MB, sign-in at 16 connections",
                "sign-in",
                100.0,
            ),
        ] {
            // MB as the targets say them: 10^6 bytes.
            let rss = self
                .row(scenario, 16)
                .and_then(|r| r.ours.figures())
                .and_then(|f| f.rss)
                .map(|mib| mib * 1.048_576);
            let _ = writeln!(
                out,
                "| {target} | {} | {} |",
                rss.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.1} MB")),
                yes_no(rss.map(|r| r <= limit))
            );
        }
        out
    }

    /// Writes `benchmarks.md` and `benchmarks.svg` into `folder`.
    pub(crate) fn write(&self, folder: &Path, markdown: &str) -> Result<(), String> {
        std::fs::create_dir_all(folder).map_err(|e| e.to_string())?;
        std::fs::write(folder.join("benchmarks.md"), markdown).map_err(|e| e.to_string())?;
        std::fs::write(folder.join("benchmarks.svg"), self.chart()).map_err(|e| e.to_string())
    }

    /// A horizontal bar chart of requests per second, log scale, one bar per server and row, as
    /// SVG text (no plotting library or font file to build or find).
    fn chart(&self) -> String {
        const LEFT: f64 = 400.0;
        const WIDTH: f64 = 1260.0;
        const PLOT: f64 = WIDTH - LEFT - 110.0;
        const TOP: f64 = 56.0;
        const BAR: f64 = 28.0;
        let bars: Vec<(String, Option<f64>, &str)> = self
            .rows
            .iter()
            .flat_map(|row| {
                [
                    ("ours", &row.ours, OURS_COLOR),
                    ("better-auth", &row.theirs, THEIRS_COLOR),
                ]
                .map(|(side, cell, color)| {
                    let label = format!("{}, {} conns, {side}", row.scenario, row.clients);
                    (label, cell.figures().map(|f| f.rate), color)
                })
            })
            .collect();
        // Decades from 1 to the first above every rate.
        let highest = bars
            .iter()
            .filter_map(|(_, v, _)| *v)
            .fold(10.0_f64, f64::max);
        let decades = highest.log10().ceil().max(1.0);
        let x = |value: f64| LEFT + PLOT * value.max(1.0).log10() / decades;
        let bottom = TOP + BAR * f64::from(u32::try_from(bars.len()).unwrap_or(0));
        let height = bottom + 70.0;
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Verdana, sans-serif">"#
        );
        let _ = writeln!(
            svg,
            r#"<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="30" font-size="20" text-anchor="middle">requests per second (log scale): auth-cli serve vs better-auth 1.7.25</text>"#,
            WIDTH / 2.0
        );
        let mut power = 1.0_f64;
        while power <= 10f64.powf(decades) {
            let at = x(power);
            let _ = writeln!(
                svg,
                r##"<line x1="{at:.1}" y1="{TOP}" x2="{at:.1}" y2="{bottom}" stroke="#ddd"/>
<text x="{at:.1}" y="{:.1}" font-size="13" text-anchor="middle">{power:.0}</text>"##,
                bottom + 18.0
            );
            power *= 10.0;
        }
        for ((label, value, color), y) in bars
            .iter()
            .zip(std::iter::successors(Some(TOP), |y| Some(y + BAR)))
        {
            let middle = y + BAR / 2.0 + 5.0;
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{middle:.1}" font-size="14" text-anchor="end">{}</text>"#,
                LEFT - 8.0,
                escape(label)
            );
            let end = x(value.unwrap_or(1.0));
            if value.is_some() {
                let _ = writeln!(
                    svg,
                    r#"<rect x="{LEFT}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{color}"/>"#,
                    y + 3.0,
                    end - LEFT,
                    BAR - 6.0
                );
            }
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{middle:.1}" font-size="13">{}</text>"#,
                end + 6.0,
                value.map_or_else(|| "n/a".to_owned(), rate)
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="14" text-anchor="middle">requests/s</text>"#,
            LEFT + PLOT / 2.0,
            bottom + 40.0
        );
        for ((name, color), y) in [("ours", OURS_COLOR), ("better-auth 1.7.25", THEIRS_COLOR)]
            .into_iter()
            .zip([bottom + 28.0, bottom + 46.0])
        {
            let _ = writeln!(
                svg,
                r#"<rect x="{:.1}" y="{y:.1}" width="14" height="12" fill="{color}"/><text x="{:.1}" y="{:.1}" font-size="14">{name}</text>"#,
                WIDTH - 230.0,
                WIDTH - 210.0,
                y + 11.0
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// Text for SVG: the markup characters as entities.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
