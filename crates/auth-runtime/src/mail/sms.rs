//! Text messages (`[sms]`): a [`Mail`] of an `Sms…` kind whose `to` is a phone number and whose
//! `token` is the code. They leave through a [`MailQueue`](super::MailQueue) of their own, so
//! they have its bound, its retries and its drain; these are the two ways out.
//!
//! - [`LogSms`] (development) sends nothing: it logs each message and appends one JSON line per
//!   message to a file, `{"kind","to","otp","at"}`, which is how test suites read the codes.
//! - [`WebhookSms`] POSTs `{"kind","to","otp","text","at"}` to the project's gateway, with an
//!   optional `Authorization` header and a timeout per attempt; the queue retries an answer of
//!   408, 429 or 5xx and a gateway that cannot be reached.
//!
//! A number with a control character (CR/LF) is refused before anything is written or sent.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use auth_core::config::{Sms, SmsKind};

use super::{JsonLines, Mail, MailError, Mailer};
use crate::wire::time;

/// The message as both senders describe it: kind, number, code, time.
fn record(mail: &Mail) -> serde_json::Value {
    serde_json::json!({
        "kind": mail.kind.as_str(),
        "to": mail.to,
        "otp": mail.token,
        "at": time::format(::time::OffsetDateTime::now_utc()),
    })
}

/// Refuses a number that could break a line of a log, a header or a gateway's message.
fn check_number(mail: &Mail) -> Result<(), MailError> {
    if mail.to.is_empty() || mail.to.chars().any(char::is_control) {
        return Err(MailError::To {
            address: mail.to.escape_debug().to_string(),
            reason: "a phone number cannot be empty or hold control characters".to_owned(),
        });
    }
    Ok(())
}

/// The development SMS sender: logs each message's kind and number at `INFO` and, built with
/// [`LogSms::to_file`], appends one JSON line per message to a file.
#[derive(Debug, Default)]
pub struct LogSms {
    file: Option<JsonLines>,
}

impl LogSms {
    /// Logs through `tracing` only.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Logs through `tracing` and appends JSON lines to `path` (created if missing, never
    /// truncated).
    ///
    /// # Errors
    /// [`MailError::Log`] when the file cannot be opened for appending.
    pub fn to_file(path: impl Into<PathBuf>) -> Result<Self, MailError> {
        Ok(Self {
            file: Some(JsonLines::open(path.into())?),
        })
    }

    fn record(&self, mail: &Mail) -> Result<(), MailError> {
        check_number(mail)?;
        tracing::info!(
            kind = mail.kind.as_str(),
            to = %mail.to,
            "text message not sent (development sender): {} for {}",
            mail.kind,
            mail.to
        );
        match &self.file {
            Some(file) => file.append(&record(mail)),
            None => Ok(()),
        }
    }
}

impl Mailer for LogSms {
    fn send<'a>(
        &'a self,
        mail: &'a Mail,
    ) -> Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>> {
        Box::pin(async move { self.record(mail) })
    }

    /// A line in a local file: test suites read it right after the HTTP answer.
    fn inline(&self) -> bool {
        true
    }
}

/// Sends each message as a JSON POST to a gateway URL.
#[derive(Debug, Clone)]
pub struct WebhookSms {
    client: reqwest::Client,
    url: String,
    authorization: Option<String>,
}

impl WebhookSms {
    /// A sender POSTing to `url`, with `authorization` as the `Authorization` header when
    /// given, each attempt cut after `timeout`.
    ///
    /// # Errors
    /// [`MailError::Build`] when the HTTP client cannot be built.
    pub fn new(
        url: impl Into<String>,
        authorization: Option<String>,
        timeout: Duration,
    ) -> Result<Self, MailError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .map_err(|e| MailError::Build(format!("HTTP client: {e}")))?;
        Ok(Self {
            client,
            url: url.into(),
            authorization,
        })
    }

    async fn deliver(&self, mail: &Mail) -> Result<(), MailError> {
        check_number(mail)?;
        let mut body = record(mail);
        body["text"] = mail.text.clone().into();
        let mut request = self.client.post(&self.url).json(&body);
        if let Some(authorization) = &self.authorization {
            request = request.header(http::header::AUTHORIZATION, authorization);
        }
        let failed = |reason: String, permanent: bool| MailError::Webhook {
            url: self.url.clone(),
            reason,
            permanent,
        };
        let response = request
            .send()
            .await
            .map_err(|e| failed(e.without_url().to_string(), false))?;
        let status = response.status();
        if status.is_success() {
            tracing::debug!(kind = mail.kind.as_str(), "text message sent");
            return Ok(());
        }
        let transient = status.is_server_error()
            || status == http::StatusCode::REQUEST_TIMEOUT
            || status == http::StatusCode::TOO_MANY_REQUESTS;
        Err(failed(format!("answered {status}"), !transient))
    }
}

impl Mailer for WebhookSms {
    fn send<'a>(
        &'a self,
        mail: &'a Mail,
    ) -> Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>> {
        Box::pin(self.deliver(mail))
    }
}

/// The sender `[sms]` in auth.toml describes; `env` reads `authorization-env`.
///
/// # Errors
/// A log file that cannot be opened, an `authorization-env` that is not set, an HTTP client that
/// cannot be built.
pub fn from_config(
    config: &Sms,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<dyn Mailer>, MailError> {
    Ok(match config.kind {
        SmsKind::Log => match &config.path {
            Some(path) => Arc::new(LogSms::to_file(path)?),
            None => Arc::new(LogSms::new()),
        },
        SmsKind::Webhook => {
            let authorization = config
                .authorization_env
                .as_ref()
                .map(|name| env(name).ok_or_else(|| MailError::MissingEnv(name.clone())))
                .transpose()?;
            let seconds = config.timeout.as_ref().map_or(10, |t| *t.get_ref());
            Arc::new(WebhookSms::new(
                config
                    .url
                    .as_ref()
                    .map(|u| u.get_ref().as_str())
                    .unwrap_or_default(),
                authorization,
                Duration::from_secs(u64::from(seconds)),
            )?)
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::mail::{MailKind, MailQueue, Message, QueuePolicy, Templates};

    /// A text message of `kind` in the embedded templates' words.
    fn text(kind: MailKind, to: &str, code: &str, app_name: Option<&str>) -> Mail {
        Templates::embedded()
            .map_err(MailError::from)
            .and_then(|t| t.render(&Message::code(kind, to, code), app_name))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// What the sink received: each request's `Authorization` and body.
    type Received = Arc<Mutex<Vec<(Option<String>, serde_json::Value)>>>;

    /// A gateway on 127.0.0.1 answering each request with the next of `statuses` (then 200),
    /// after `delay`.
    async fn sink(statuses: Vec<u16>, delay: Duration) -> (String, Received) {
        let received: Received = Arc::default();
        let answers = Arc::new(Mutex::new(statuses.into_iter()));
        let seen = Arc::clone(&received);
        let app = axum::Router::new().route(
            "/send",
            axum::routing::post(move |headers: http::HeaderMap, body: axum::body::Bytes| {
                let (seen, answers) = (Arc::clone(&seen), Arc::clone(&answers));
                async move {
                    let authorization = headers
                        .get(http::header::AUTHORIZATION)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let body = serde_json::from_slice(&body).unwrap_or_default();
                    seen.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((authorization, body));
                    tokio::time::sleep(delay).await;
                    let next = answers
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .next()
                        .unwrap_or(200);
                    http::StatusCode::from_u16(next).unwrap_or(http::StatusCode::OK)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{address}/send"), received)
    }

    fn quick(attempts: u32) -> QueuePolicy {
        QueuePolicy {
            attempts,
            backoff: Duration::from_millis(10),
            ..QueuePolicy::default()
        }
    }

    /// Waits until the queue has nothing pending.
    async fn settled(queue: &MailQueue) -> crate::mail::QueueStats {
        for _ in 0..200 {
            let stats = queue.stats();
            if stats.pending_total() == 0 {
                return stats;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("still pending: {:?}", queue.stats());
    }

    /// A 503 is retried, then the message arrives: `{kind, to, otp, text, at}` with the
    /// configured `Authorization`.
    #[tokio::test]
    async fn the_webhook_posts_json_and_retries_a_failing_gateway() {
        let (url, received) = sink(vec![503], Duration::ZERO).await;
        let sms = WebhookSms::new(url, Some("Bearer k".to_owned()), Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("{e}"));
        let queue = MailQueue::new(Arc::new(sms), quick(3));
        let message = text(MailKind::SmsOtp, "+14155550123", "123456", Some("Acme"));
        queue
            .submit(message)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let stats = settled(&queue).await;
        assert_eq!((stats.sent, stats.failed), (1, 0));
        let received = received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        assert_eq!(received.len(), 2, "one retry");
        let (authorization, body) = &received[1];
        assert_eq!(authorization.as_deref(), Some("Bearer k"));
        assert_eq!(body["kind"], "sms-otp");
        assert_eq!(body["to"], "+14155550123");
        assert_eq!(body["otp"], "123456");
        assert_eq!(body["text"], "123456 is your Acme verification code.");
        assert!(body["at"].as_str().is_some_and(|at| at.ends_with('Z')));
    }

    /// A 400 is not retried; a gateway slower than the timeout is retried, then given up.
    #[tokio::test]
    async fn refusals_are_final_and_timeouts_are_retried() {
        let (url, received) = sink(vec![400], Duration::ZERO).await;
        let sms =
            WebhookSms::new(url, None, Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
        let queue = MailQueue::new(Arc::new(sms), quick(3));
        let message = text(MailKind::SmsResetPassword, "+14155550123", "654321", None);
        queue
            .submit(message)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let stats = settled(&queue).await;
        assert_eq!((stats.sent, stats.failed), (0, 1));
        let count = received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len();
        assert_eq!(count, 1);

        let (url, received) = sink(Vec::new(), Duration::from_secs(2)).await;
        let sms = WebhookSms::new(url, None, Duration::from_millis(200))
            .unwrap_or_else(|e| panic!("{e}"));
        let queue = MailQueue::new(Arc::new(sms), quick(2));
        let message = text(MailKind::SmsOtp, "+14155550123", "111111", None);
        queue
            .submit(message)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let stats = settled(&queue).await;
        assert_eq!((stats.sent, stats.failed), (0, 1));
        let count = received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len();
        assert_eq!(count, 2, "the timeout was retried once");
    }

    /// A number with CR/LF is neither logged nor posted.
    #[tokio::test]
    async fn a_number_with_a_line_break_is_refused() {
        let (url, received) = sink(Vec::new(), Duration::ZERO).await;
        let sms =
            WebhookSms::new(url, None, Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
        // Rendering refuses such a number too; the senders check on their own.
        let message = Mail {
            to: "+1415\r\nX-Evil: 1".to_owned(),
            ..text(MailKind::SmsOtp, "+14155550123", "123456", None)
        };
        let error = sms.send(&message).await.err();
        assert!(matches!(error, Some(MailError::To { .. })), "{error:?}");
        assert!(
            received
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .is_empty()
        );
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = LogSms::to_file(dir.path().join("sms.jsonl")).unwrap_or_else(|e| panic!("{e}"));
        assert!(log.send(&message).await.is_err());
        log.send(&text(MailKind::SmsOtp, "+14155550123", "123456", None))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let text =
            std::fs::read_to_string(dir.path().join("sms.jsonl")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(text.lines().count(), 1);
        let line: serde_json::Value =
            serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(line["to"], "+14155550123");
        assert_eq!(line["otp"], "123456");
    }
}
