//! `auth_runtime::mail`: a real SMTP round trip against a minimal RFC 5321 sink on loopback,
//! the development mailer's JSON lines, and clear errors for bad URLs and addresses.

use std::sync::Arc;

use auth_runtime::mail::{LogMailer, Mail, MailError, MailKind, Mailer, SmtpMailer};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;

const URL: &str = "http://localhost:3000/api/auth/verify-email?token=eyJhbGciOiJIUzI1NiJ9.\
                   eyJlbWFpbCI6ImFkYUBleGFtcGxlLmNvbSIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ.\
                   sig&callbackURL=%2Fdashboard";

/// What the sink received in one session.
#[derive(Debug, Default)]
struct Received {
    commands: Vec<String>,
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

/// Accepts one connection and speaks the minimum of RFC 5321 to it.
async fn smtp_sink() -> (u16, tokio::task::JoinHandle<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"))
        .port();
    let handle = tokio::spawn(async move {
        let (stream, _) = listener
            .accept()
            .await
            .unwrap_or_else(|e| panic!("accept: {e}"));
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        let mut received = Received::default();
        reply(&mut write, "220 sink.test ESMTP ready\r\n").await;
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
                        received.data.push_str(data);
                    }
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
        received
    });
    (port, handle)
}

async fn reply(write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) {
    write
        .write_all(text.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("write: {e}"));
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
    let (port, sink) = smtp_sink().await;
    let mailer = SmtpMailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Example App <noreply@example.com>",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mailer: Arc<dyn Mailer> = Arc::new(mailer);
    let mail = Mail::verify_email("ada@example.com", URL, "the-token").with_app_name("Example");
    mailer
        .send(&mail)
        .await
        .unwrap_or_else(|e| panic!("send: {e}"));
    let received = sink.await.unwrap_or_else(|e| panic!("sink: {e}"));

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
    assert!(headers.contains("Content-Type: text/plain"), "{headers}");
    let body = if headers.contains("Content-Transfer-Encoding: quoted-printable") {
        unquote(body)
    } else {
        body.to_owned()
    };
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
    let mail = Mail::reset_password("ada@example.com", URL, "t");
    let error = mailer.send(&mail).await.err();
    assert!(
        matches!(&error, Some(MailError::Smtp { server, .. }) if *server == format!("smtp://127.0.0.1:{port}")),
        "{error:?}"
    );
    // A bad recipient is refused before connecting.
    let error = mailer
        .send(&Mail::reset_password("not an address", URL, "t"))
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
        Mail::verify_email("ada@example.com", URL, "tok-1"),
        Mail::reset_password("bob@example.com", "http://x/reset/tok-2", "tok-2"),
        Mail::change_email_confirmation("c@example.com", "http://x/c?token=\"q\"", "tok-3"),
        Mail::delete_account("d@example.com", "http://x/delete?token=tok-4", "tok-4"),
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

#[test]
fn kinds_and_bodies() {
    let cases = [
        (
            MailKind::VerifyEmail,
            "verify-email",
            Mail::verify_email("a@b.io", "http://l/1", "1"),
        ),
        (
            MailKind::ResetPassword,
            "reset-password",
            Mail::reset_password("a@b.io", "http://l/2", "2"),
        ),
        (
            MailKind::ChangeEmailConfirmation,
            "change-email-confirmation",
            Mail::change_email_confirmation("a@b.io", "http://l/3", "3"),
        ),
        (
            MailKind::DeleteAccount,
            "delete-account",
            Mail::delete_account("a@b.io", "http://l/4", "4"),
        ),
    ];
    let mut subjects = Vec::new();
    for (kind, name, mail) in cases {
        assert_eq!(kind.as_str(), name);
        assert_eq!(kind.to_string(), name);
        assert_eq!(mail.kind, kind);
        assert!(mail.text.contains(&mail.url), "{}", mail.text);
        assert!(!mail.subject.is_empty() && !mail.subject.contains('\n'));
        let named = mail.clone().with_app_name("Acme");
        assert!(named.subject.ends_with(" for Acme"), "{}", named.subject);
        assert!(named.text.contains(&mail.url) && named.text.contains("Acme"));
        assert_eq!(mail.clone().with_app_name("  "), mail);
        subjects.push(mail.subject);
    }
    subjects.dedup();
    assert_eq!(subjects.len(), 4);
}
