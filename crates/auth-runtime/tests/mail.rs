//! `auth_runtime::mail`: a real SMTP round trip against a minimal RFC 5321 sink on loopback,
//! the development mailer's JSON lines, and clear errors for bad URLs and addresses; the mail
//! queue's retries, refusals and drain; and the proof that no mail-sending endpoint's answer time
//! tells a known address from an unknown one behind a slow relay.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth_runtime::mail::{
    LogMailer, Mail, MailError, MailKind, MailQueue, Mailer, Message, QueuePolicy, SmtpMailer,
    Templates,
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;

const URL: &str = "http://localhost:3000/api/auth/verify-email?token=eyJhbGciOiJIUzI1NiJ9.\
                   eyJlbWFpbCI6ImFkYUBleGFtcGxlLmNvbSIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ.\
                   sig&callbackURL=%2Fdashboard";

/// What the sink received in one session.
#[derive(Debug, Default, Clone)]
struct Received {
    commands: Vec<String>,
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

impl Received {
    /// The `Subject:` header.
    fn subject(&self) -> &str {
        self.data
            .split("\r\n")
            .find_map(|line| line.strip_prefix("Subject: "))
            .unwrap_or_default()
    }
}

/// How the sink behaves.
#[derive(Debug, Clone, Copy, Default)]
struct Behaviour {
    /// Wait before accepting a message (the reply to its final `.`), as a slow relay does.
    delay: Duration,
    /// Greet the first connections with `421` and hang up (a transient failure).
    refuse_first: usize,
    /// Answer every `RCPT TO` with `550` (a permanent failure).
    reject_recipients: bool,
}

/// A minimal RFC 5321 server on loopback: accepts any number of sessions, each in its own task,
/// and keeps every message it accepted.
struct Sink {
    port: u16,
    accepted: Arc<Mutex<Vec<Received>>>,
    connections: Arc<AtomicUsize>,
}

impl Sink {
    async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("local_addr: {e}"))
            .port();
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (list, count) = (Arc::clone(&accepted), Arc::clone(&connections));
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let n = count.fetch_add(1, Ordering::SeqCst);
                let list = Arc::clone(&list);
                tokio::spawn(async move {
                    let refuse = n < behaviour.refuse_first;
                    let received = session(stream, behaviour, refuse).await;
                    if !received.data.is_empty() {
                        list.lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(received);
                    }
                });
            }
        });
        Self {
            port,
            accepted,
            connections,
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn accepted(&self) -> Vec<Received> {
        self.accepted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The messages accepted once there are `count` of them (panics after `within`).
    async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let accepted = self.accepted();
            if accepted.len() >= count {
                return accepted;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} mails after {within:?}",
                accepted.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Speaks the minimum of RFC 5321 on one connection.
async fn session(stream: tokio::net::TcpStream, behaviour: Behaviour, refuse: bool) -> Received {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut received = Received::default();
    if refuse {
        reply(&mut write, "421 4.3.2 try again later\r\n").await;
        return received;
    }
    reply(&mut write, "220 sink.test ESMTP ready\r\n").await;
    let mut message = String::new();
    loop {
        let mut line = String::new();
        let n = lines
            .read_line(&mut line)
            .await
            .unwrap_or_else(|e| panic!("read: {e}"));
        if n == 0 {
            break;
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        received.commands.push(line.clone());
        let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => reply(&mut write, "250-sink.test\r\n250 8BITMIME\r\n").await,
            "HELO" => reply(&mut write, "250 sink.test\r\n").await,
            "MAIL" => {
                received.mail_from = line.clone();
                reply(&mut write, "250 2.1.0 OK\r\n").await;
            }
            "RCPT" if behaviour.reject_recipients => {
                reply(&mut write, "550 5.1.1 no such user here\r\n").await;
            }
            "RCPT" => {
                received.rcpt_to.push(line.clone());
                reply(&mut write, "250 2.1.5 OK\r\n").await;
            }
            "DATA" => {
                reply(&mut write, "354 end with <CRLF>.<CRLF>\r\n").await;
                loop {
                    let mut data = String::new();
                    let n = lines
                        .read_line(&mut data)
                        .await
                        .unwrap_or_else(|e| panic!("read data: {e}"));
                    assert!(n > 0, "connection closed inside DATA");
                    if data == ".\r\n" {
                        break;
                    }
                    // Dot-unstuffing (RFC 5321 §4.5.2).
                    let data = data.strip_prefix('.').unwrap_or(&data);
                    message.push_str(data);
                }
                tokio::time::sleep(behaviour.delay).await;
                reply(&mut write, "250 2.0.0 queued\r\n").await;
            }
            "RSET" | "NOOP" => reply(&mut write, "250 OK\r\n").await,
            "QUIT" => {
                reply(&mut write, "221 2.0.0 bye\r\n").await;
                break;
            }
            _ => reply(&mut write, "502 5.5.2 not implemented\r\n").await,
        }
    }
    received.data = message;
    received
}

async fn reply(write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) {
    // The client may hang up first (after a refusal); the session ends with the read.
    let _ = write.write_all(text.as_bytes()).await;
}

/// Undoes quoted-printable (lettre picks it for lines of 76 characters or more).
fn unquote(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'=', Some(hex)) if hex.iter().all(u8::is_ascii_hexdigit) => {
                let hex = std::str::from_utf8(hex).unwrap_or_else(|e| panic!("{e}"));
                out.push(u8::from_str_radix(hex, 16).unwrap_or_else(|e| panic!("{e}")));
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn smtp_delivers_recipient_subject_and_link() {
    let sink = Sink::start(Behaviour::default()).await;
    let mailer = SmtpMailer::new(&sink.url(), "Example App <noreply@example.com>")
        .unwrap_or_else(|e| panic!("{e}"));
    let mailer: Arc<dyn Mailer> = Arc::new(mailer);
    let mail = words(
        &Message::verify_email("ada@example.com", URL, "the-token"),
        Some("Example"),
    );
    mailer
        .send(&mail)
        .await
        .unwrap_or_else(|e| panic!("send: {e}"));
    // The session ends (QUIT) just after the send returns.
    let received = sink.wait_for(1, Duration::from_secs(5)).await.remove(0);

    assert!(
        received
            .commands
            .first()
            .is_some_and(|c| c.starts_with("EHLO ")),
        "{:?}",
        received.commands
    );
    assert_eq!(received.mail_from, "MAIL FROM:<noreply@example.com>");
    assert_eq!(received.rcpt_to, ["RCPT TO:<ada@example.com>"]);
    let (headers, body) = received
        .data
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no header/body split: {}", received.data));
    assert!(
        headers.contains("\r\nSubject: Verify your email address for Example\r\n")
            || headers.starts_with("Subject: Verify your email address for Example\r\n"),
        "{headers}"
    );
    assert!(headers.contains("To: ada@example.com"), "{headers}");
    assert!(
        headers.contains("From: \"Example App\" <noreply@example.com>"),
        "{headers}"
    );
    // The text part and the HTML part, as alternatives.
    assert!(
        headers.contains("Content-Type: multipart/alternative"),
        "{headers}"
    );
    assert!(body.contains("Content-Type: text/plain"), "{body}");
    assert!(body.contains("Content-Type: text/html"), "{body}");
    let body = unquote(body);
    assert!(body.contains(URL), "{body}");
    assert!(body.contains("-- Example"), "{body}");
    assert_eq!(received.commands.last().map(String::as_str), Some("QUIT"));
}

#[tokio::test]
async fn smtp_reports_an_unreachable_server() {
    // A port that was free a moment ago.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .and_then(|l| l.local_addr())
        .unwrap_or_else(|e| panic!("{e}"))
        .port();
    let mailer = SmtpMailer::new(&format!("smtp://127.0.0.1:{port}"), "noreply@example.com")
        .unwrap_or_else(|e| panic!("{e}"));
    let message = mail(&Message::reset_password("ada@example.com", URL, "t"));
    let error = mailer.send(&message).await.err();
    assert!(
        matches!(&error, Some(MailError::Smtp { server, .. }) if *server == format!("smtp://127.0.0.1:{port}")),
        "{error:?}"
    );
    // A bad recipient is refused before connecting.
    let error = mailer
        .send(&mail(&Message::reset_password("not an address", URL, "t")))
        .await
        .err();
    assert!(matches!(error, Some(MailError::To { .. })), "{error:?}");
}

#[test]
fn smtp_urls() {
    for url in [
        "smtp://localhost",
        "smtp://127.0.0.1:2525",
        "smtp://user:p%40ss@smtp.example.com:587?tls=starttls",
        "smtp://user:pass@smtp.example.com?tls=required",
        "smtp://smtp.example.com?tls=opportunistic",
        "smtps://user:pass@smtp.example.com",
        "smtps://smtp.example.com:465",
        "smtp://localhost:25/client.example.com",
    ] {
        let mailer =
            SmtpMailer::new(url, "noreply@example.com").unwrap_or_else(|e| panic!("{url}: {e}"));
        let debug = format!("{mailer:?}");
        assert!(!debug.contains("pass"), "{debug}");
    }
    let debug = format!(
        "{:?}",
        SmtpMailer::new("smtp://u:secret@mx.example.com?tls=starttls", "a@b.io")
            .unwrap_or_else(|e| panic!("{e}"))
    );
    assert!(debug.contains("smtp://mx.example.com:587"), "{debug}");

    for url in [
        "",
        "not a url",
        "http://smtp.example.com",
        "smtp://",
        "smtp://host?tls=bogus",
        "smtps://host?tls=starttls",
        "smtp://host:99999",
        "ftp://user:secret@host",
    ] {
        match SmtpMailer::new(url, "noreply@example.com") {
            Err(error @ MailError::Url { .. }) => {
                let message = error.to_string();
                assert!(message.contains("invalid SMTP URL"), "{message}");
                assert!(!message.contains("secret"), "{message}");
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    for from in ["", "noreply", "no reply@example.com", "<@>"] {
        match SmtpMailer::new("smtp://localhost", from) {
            Err(error @ MailError::From { .. }) => {
                assert!(
                    error.to_string().contains("invalid sender address"),
                    "{error}"
                );
            }
            other => panic!("{from}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn log_mailer_appends_json_lines() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("mails.jsonl");
    std::fs::write(&path, "").unwrap_or_else(|e| panic!("{e}"));
    let mails = [
        mail(&Message::verify_email("ada@example.com", URL, "tok-1")),
        mail(&Message::reset_password(
            "bob@example.com",
            "http://x/reset/tok-2",
            "tok-2",
        )),
        mail(&Message::change_email_confirmation(
            "c@example.com",
            "http://x/c?token=\"q\"",
            "tok-3",
        )),
        mail(&Message::delete_account(
            "d@example.com",
            "http://x/delete?token=tok-4",
            "tok-4",
        )),
    ];
    {
        let mailer = LogMailer::to_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mailer.path(), Some(path.as_path()));
        let mailer: &dyn Mailer = &mailer;
        for mail in &mails[..2] {
            mailer.send(mail).await.unwrap_or_else(|e| panic!("{e}"));
        }
    }
    // A second mailer appends to the same file.
    let mailer = LogMailer::to_file(&path).unwrap_or_else(|e| panic!("{e}"));
    for mail in &mails[2..] {
        mailer.send(mail).await.unwrap_or_else(|e| panic!("{e}"));
    }

    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), mails.len(), "{text}");
    assert!(text.ends_with('\n'));
    for (line, mail) in lines.iter().zip(&mails) {
        let Ok(Value::Object(object)) = serde_json::from_str::<Value>(line) else {
            panic!("not a JSON object: {line}");
        };
        let keys: Vec<&str> = object.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["kind", "to", "subject", "url", "token", "at"],
            "{line}"
        );
        assert_eq!(object["kind"], mail.kind.as_str());
        assert_eq!(object["to"], mail.to.as_str());
        assert_eq!(object["subject"], mail.subject.as_str());
        assert_eq!(object["url"], mail.url.as_str());
        assert_eq!(object["token"], mail.token.as_str());
        let at = object["at"].as_str().unwrap_or_default();
        let parsed = auth_runtime::wire::time::parse(at).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            auth_runtime::wire::time::format(parsed),
            at,
            "not toISOString: {at}"
        );
    }

    // Without a file: logs only.
    LogMailer::new()
        .send(&mails[0])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // A file that cannot be created is an error, not a panic.
    let error = LogMailer::to_file(dir.path().join("missing/dir/mails.jsonl")).err();
    assert!(matches!(error, Some(MailError::Log { .. })), "{error:?}");
}

/// A queue in front of an SMTP mailer for `sink`, retrying after 20, 40, 80 ms.
fn queue_for(sink: &Sink, capacity: usize, concurrency: usize) -> MailQueue {
    let mailer =
        SmtpMailer::new(&sink.url(), "noreply@example.com").unwrap_or_else(|e| panic!("{e}"));
    MailQueue::new(
        Arc::new(mailer),
        QueuePolicy {
            capacity,
            attempts: 4,
            backoff: Duration::from_millis(20),
            concurrency,
        },
    )
}

#[tokio::test]
async fn queue_retries_a_relay_that_fails_twice() {
    let sink = Sink::start(Behaviour {
        refuse_first: 2,
        ..Behaviour::default()
    })
    .await;
    let queue = queue_for(&sink, 8, 1);
    let started = Instant::now();
    queue
        .submit(mail(&Message::reset_password("ada@example.com", URL, "t")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Queued, not sent: the call returns before the relay is even reached.
    assert!(started.elapsed() < Duration::from_millis(20));
    let stats = queue.drain(Duration::from_secs(10)).await;
    assert_eq!(
        (stats.sent, stats.failed, stats.lost),
        (1, 0, 0),
        "{stats:?}"
    );
    assert_eq!(sink.connections.load(Ordering::SeqCst), 3);
    let accepted = sink.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].rcpt_to, ["RCPT TO:<ada@example.com>"]);

    // A 5xx is final: one attempt, counted as failed.
    let sink = Sink::start(Behaviour {
        reject_recipients: true,
        ..Behaviour::default()
    })
    .await;
    let queue = queue_for(&sink, 8, 1);
    queue
        .submit(mail(&Message::reset_password("ada@example.com", URL, "t")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let stats = queue.drain(Duration::from_secs(10)).await;
    assert_eq!((stats.sent, stats.failed), (0, 1), "{stats:?}");
    assert_eq!(sink.connections.load(Ordering::SeqCst), 1);
}

#[test]
fn queue_starts_with_the_first_mail() {
    // Built outside any runtime (as `Auth::new` may be): nothing is spawned yet.
    let sink_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let sink = sink_runtime.block_on(Sink::start(Behaviour::default()));
    let queue = queue_for(&sink, 8, 1);
    assert_eq!(queue.stats().pending_total(), 0);
    sink_runtime.block_on(async {
        queue
            .submit(mail(&Message::verify_email("ada@example.com", URL, "t")))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let stats = queue.drain(Duration::from_secs(10)).await;
        assert_eq!(stats.sent, 1, "{stats:?}");
    });
}

#[tokio::test]
async fn queue_refuses_when_full_and_drains_on_shutdown() {
    let sink = Sink::start(Behaviour {
        delay: Duration::from_millis(100),
        ..Behaviour::default()
    })
    .await;
    // Two waiting and one in flight at most: of six mails, three or more are refused at once.
    let queue = queue_for(&sink, 2, 1);
    let mut refused = 0;
    for i in 0..6 {
        match queue
            .submit(mail(&Message::delete_account(
                format!("u{i}@example.com"),
                URL,
                "t",
            )))
            .await
        {
            Ok(()) => {}
            Err(MailError::QueueFull { capacity: 2 }) => refused += 1,
            Err(other) => panic!("{other}"),
        }
    }
    assert!((3..=4).contains(&refused), "{refused}");
    assert_eq!(queue.stats().dropped, refused);
    // The drain delivers every mail queued before it, then takes no more.
    let stats = queue.drain(Duration::from_secs(10)).await;
    assert_eq!(stats.sent, 6 - refused, "{stats:?}");
    assert_eq!(sink.accepted().len(), 6 - refused);
    let late = queue
        .submit(mail(&Message::delete_account("late@example.com", URL, "t")))
        .await;
    assert!(matches!(late, Err(MailError::QueueClosed)), "{late:?}");

    // A drain that runs out of time counts what is left as lost.
    let sink = Sink::start(Behaviour {
        delay: Duration::from_secs(2),
        ..Behaviour::default()
    })
    .await;
    let queue = queue_for(&sink, 8, 1);
    for kind in [
        MailKind::ResetPassword,
        MailKind::ResetPassword,
        MailKind::VerifyEmail,
    ] {
        queue
            .submit(mail(&Message::new(kind, "ada@example.com", URL, "t")))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let stats = queue.drain(Duration::from_millis(200)).await;
    assert_eq!((stats.sent, stats.lost), (0, 3), "{stats:?}");
    assert_eq!(stats.pending_total(), 0);
}

/// A request to the server as a client sends it.
fn request(path: &str, body: &Value, cookie: &str) -> http::Request<bytes::Bytes> {
    let mut builder = http::Request::builder()
        .method(http::Method::POST)
        .uri(format!("/api/auth{path}"))
        .header("content-type", "application/json")
        .header("origin", "http://localhost:3000");
    if !cookie.is_empty() {
        builder = builder.header("cookie", cookie);
    }
    builder
        .body(bytes::Bytes::from(body.to_string()))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The answer's status and how long the server took to give it.
async fn timed(
    auth: &auth_runtime::Auth,
    request: http::Request<bytes::Bytes>,
) -> (http::StatusCode, Duration) {
    let started = Instant::now();
    let response = auth.handle(request).await;
    (response.status(), started.elapsed())
}

/// The median and the interquartile range.
fn spread(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let n = samples.len();
    (samples[n / 2], samples[n * 3 / 4] - samples[n / 4])
}

/// Issue 11: behind a relay that takes 300 ms to accept each mail, every endpoint that sends
/// one answers in the same time whether the address is known (a mail leaves) or not, and every
/// mail still arrives. Known and unknown requests are interleaved, alternating which goes
/// first, after a warm-up, and compared by their medians: they may differ by 5 ms plus the larger
/// interquartile range, which is what the password hash both sign-up paths run (~200 ms
/// of scrypt in a debug build) spreads by tens of ms on a loaded machine; elsewhere it is
/// well under a millisecond. An awaited send would add the relay's 300 ms to every mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::print_stderr, reason = "the figures, for the issue note")]
async fn answer_time_does_not_tell_whether_a_mail_was_sent() {
    const WARM_UP: usize = 3;
    const SAMPLES: usize = 15;
    const RELAY: Duration = Duration::from_millis(300);
    let sink = Sink::start(Behaviour {
        delay: RELAY,
        ..Behaviour::default()
    })
    .await;
    let toml = format!(
        r#"base-url = "http://localhost:3000"

[email-and-password]
enabled = true
reset-password = true
auto-sign-in = false

[email-verification]
send-on-sign-up = true

[user.change-email]
enabled = true

[user.delete-user]
enabled = true
send-delete-account-verification = true

[rate-limit]
enabled = false

[mailer]
kind = "smtp"
url = "{}"
from = "auth@example.com"
"#,
        sink.url()
    );
    let config = auth_core::Config::parse("auth.toml", toml).unwrap_or_else(|e| panic!("{e}"));
    let schema = auth_core::Schema::build(&config).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = auth_runtime::store::Store::create_sqlite(&schema, &dir.path().join("auth.db"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let secret = auth_runtime::Secret::new("mail-timing-secret-0123456789abcdefghijkl")
        .unwrap_or_else(|e| panic!("{e}"));
    let auth = auth_runtime::Auth::new(config, store, secret, auth_runtime::AuthOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));

    let (ada, bob) = ("ada@known.test", "bob@known.test");
    for email in [ada, bob] {
        let body = json!({ "name": "T", "email": email, "password": "password123" });
        let (status, _) = timed(&auth, request("/sign-up/email", &body, "")).await;
        assert_eq!(status, http::StatusCode::OK, "sign-up {email}");
    }
    let body = json!({ "email": ada, "password": "password123" });
    let response = auth.handle(request("/sign-in/email", &body, "")).await;
    assert_eq!(response.status(), http::StatusCode::OK);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");

    // Per endpoint: the known case (a mail leaves; for change-email, the free address) and the
    // unknown one (no mail), with the statuses both must answer.
    let cases = |i: usize| {
        [
            (
                "request-password-reset",
                request("/request-password-reset", &json!({ "email": ada }), ""),
                request(
                    "/request-password-reset",
                    &json!({ "email": format!("nobody{i}@unknown.test") }),
                    "",
                ),
                200,
            ),
            (
                "send-verification-email",
                request("/send-verification-email", &json!({ "email": ada }), ""),
                request(
                    "/send-verification-email",
                    &json!({ "email": format!("nobody{i}@unknown.test") }),
                    "",
                ),
                200,
            ),
            (
                "change-email",
                request(
                    "/change-email",
                    &json!({ "newEmail": format!("new{i}@fresh.test") }),
                    &cookie,
                ),
                request("/change-email", &json!({ "newEmail": bob }), &cookie),
                200,
            ),
            (
                "sign-up/email",
                request(
                    "/sign-up/email",
                    &json!({ "name": "T", "email": format!("new{i}@signup.test"), "password": "password123" }),
                    "",
                ),
                request(
                    "/sign-up/email",
                    &json!({ "name": "T", "email": bob, "password": "password123" }),
                    "",
                ),
                200,
            ),
            (
                // The other answer delete-user has: a token that is not valid (404).
                "delete-user",
                request("/delete-user", &json!({}), &cookie),
                request("/delete-user", &json!({ "token": "not-a-token" }), &cookie),
                404,
            ),
        ]
    };
    let mut times: Vec<(Vec<Duration>, Vec<Duration>)> = vec![Default::default(); 5];
    let started = Instant::now();
    for i in 0..WARM_UP + SAMPLES {
        for (n, (name, sends, quiet, quiet_status)) in cases(i).into_iter().enumerate() {
            let ((sent, a), (other, b)) = if i % 2 == 0 {
                let a = timed(&auth, sends).await;
                (a, timed(&auth, quiet).await)
            } else {
                let b = timed(&auth, quiet).await;
                (timed(&auth, sends).await, b)
            };
            assert_eq!(sent, http::StatusCode::OK, "{name} (mail)");
            assert_eq!(other.as_u16(), quiet_status, "{name} (no mail)");
            if i >= WARM_UP {
                times[n].0.push(a);
                times[n].1.push(b);
            }
        }
    }
    let measured = started.elapsed();
    // Nothing was refused or given up while the relay was slow.
    let stats = auth.mail_stats().unwrap_or_else(|| panic!("no mailer"));
    assert_eq!((stats.failed, stats.dropped), (0, 0), "{stats:?}");

    let names = cases(0).map(|c| c.0);
    let mut report = String::new();
    let mut failed = false;
    for (name, (sends, quiet)) in names.iter().zip(times) {
        let ((sends, a), (quiet, b)) = (spread(sends), spread(quiet));
        let (gap, noise) = (sends.abs_diff(quiet), a.max(b));
        failed |= gap >= Duration::from_millis(5) + noise;
        report.push_str(&format!(
            "{name}: median with mail {sends:?}, without {quiet:?}, gap {gap:?} (noise {noise:?})\n"
        ));
    }
    eprintln!("{report}measured in {measured:?}");
    assert!(!failed, "{report}");

    // Every mail arrives: 2 sign-ups, then per round one each for reset, verification,
    // change-email, sign-up and deletion.
    let rounds = WARM_UP + SAMPLES;
    let expected = 2 + 5 * rounds;
    let stats = auth
        .shutdown(Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("no mailer"));
    assert_eq!(
        (stats.sent, stats.failed, stats.dropped, stats.lost),
        (expected, 0, 0, 0),
        "{stats:?}"
    );
    let accepted = sink.wait_for(expected, Duration::from_secs(5)).await;
    assert_eq!(accepted.len(), expected);
    let count = |recipient: &str, subject: &str| {
        accepted
            .iter()
            .filter(|m| m.rcpt_to == [format!("RCPT TO:<{recipient}>")] && m.subject() == subject)
            .count()
    };
    assert_eq!(count(ada, "Reset your password"), rounds);
    assert_eq!(count(ada, "Confirm the deletion of your account"), rounds);
    // Sign-up, then one per round from send-verification-email.
    assert_eq!(count(ada, "Verify your email address"), 1 + rounds);
    assert_eq!(count(bob, "Verify your email address"), 1);
    for i in 0..rounds {
        for to in [format!("new{i}@fresh.test"), format!("new{i}@signup.test")] {
            assert_eq!(count(&to, "Verify your email address"), 1, "{to}");
        }
    }
}

/// `message` in the words of the embedded templates.
fn words(message: &Message, app_name: Option<&str>) -> Mail {
    Templates::embedded()
        .map(|templates| templates.render(message, app_name))
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn mail(message: &Message) -> Mail {
    words(message, None)
}

/// A server whose auth.toml, in `dir`, has `[mailer] templates = "custom"` (relative to it).
async fn server_with_templates(dir: &std::path::Path) -> Result<auth_runtime::Auth, String> {
    let toml = format!(
        "base-url = \"http://localhost:3000\"\napp-name = \"Acme\"\n\
         [email-and-password]\nenabled = true\nreset-password = true\n\
         [rate-limit]\nenabled = false\n\
         [mailer]\nkind = \"log\"\npath = \"{}\"\ntemplates = \"custom\"\n",
        dir.join("outbox.jsonl").display()
    );
    let config =
        auth_core::Config::parse(dir.join("auth.toml"), toml).unwrap_or_else(|e| panic!("{e}"));
    let schema = auth_core::Schema::build(&config).unwrap_or_else(|e| panic!("{e}"));
    let store = auth_runtime::store::Store::create_sqlite(&schema, &dir.join("auth.db"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let secret = auth_runtime::Secret::new("mail-template-secret-0123456789abcdefghij")
        .unwrap_or_else(|e| panic!("{e}"));
    auth_runtime::Auth::new(config, store, secret, auth_runtime::AuthOptions::default())
        .map_err(|e| e.to_string())
}

/// The project's folder shapes the mails a running server sends; a broken template there stops
/// the server from starting, naming the file and the line.
#[tokio::test]
async fn project_templates_shape_mail_and_a_broken_one_stops_the_start() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let custom = dir.path().join("custom/mail");
    std::fs::create_dir_all(&custom).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        custom.join("reset-password.subject.jinja"),
        "{{ app_name }}: a new password for {{ to }}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let auth = server_with_templates(dir.path())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let body = json!({ "name": "A", "email": "ada@example.com", "password": "password123" });
    let response = auth.handle(request("/sign-up/email", &body, "")).await;
    assert_eq!(response.status(), http::StatusCode::OK);
    let body = json!({ "email": "ada@example.com", "redirectTo": "/reset" });
    let response = auth
        .handle(request("/request-password-reset", &body, ""))
        .await;
    assert_eq!(response.status(), http::StatusCode::OK);
    let outbox =
        std::fs::read_to_string(dir.path().join("outbox.jsonl")).unwrap_or_else(|e| panic!("{e}"));
    let line: Value = serde_json::from_str(outbox.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {outbox}"));
    assert_eq!(line["kind"], "reset-password");
    assert_eq!(line["subject"], "Acme: a new password for ada@example.com");
    drop(auth);
    std::fs::remove_file(dir.path().join("auth.db")).unwrap_or_else(|e| panic!("{e}"));

    let broken = custom.join("verify-email.html.jinja");
    std::fs::write(&broken, "<p>\n{% if url %}\n{{ url }}\n").unwrap_or_else(|e| panic!("{e}"));
    let error = server_with_templates(dir.path())
        .await
        .err()
        .unwrap_or_default();
    assert!(
        error.contains(&format!("{}:", broken.display())) && error.contains("syntax error"),
        "{error}"
    );
    assert!(error.starts_with("mail templates: "), "{error}");
}
