//! Outgoing mail: the four links better-auth sends (email verification, password reset,
//! change-email confirmation, account deletion) and two ways to send them.
//!
//! - [`SmtpMailer`] delivers over SMTP (plain for a local relay, STARTTLS, or implicit TLS) with
//!   lettre on tokio and rustls.
//! - [`LogMailer`] is the development mailer: it sends nothing, logs each mail through `tracing`
//!   and, built with [`LogMailer::to_file`], appends one JSON line per mail to a file, which is
//!   how test suites read the links.
//!
//! The HTTP endpoints build a [`Mail`] with one of its constructors and hand it to a
//! [`MailQueue`], which sends it in the background so an answer never waits for the relay.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Mutex;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use crate::wire::time;

mod queue;
mod sms;

pub use queue::{MailQueue, QueuePolicy, QueueStats};
pub use sms::{LogSms, WebhookSms, from_config as sms_from_config};

/// Which link a mail carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// better-auth's `emailVerification.sendVerificationEmail`.
    VerifyEmail,
    /// `emailAndPassword.sendResetPassword`.
    ResetPassword,
    /// `user.changeEmail.sendChangeEmailConfirmation` (to the current address).
    ChangeEmailConfirmation,
    /// `user.deleteUser.sendDeleteAccountVerification`.
    DeleteAccount,
    /// two-factor's `otpOptions.sendOTP`: a code, not a link.
    TwoFactorOtp,
    /// magic-link's `sendMagicLink`.
    MagicLink,
    /// email-otp's `sendVerificationOTP` with `type: "sign-in"`: a code.
    EmailOtpSignIn,
    /// … `type: "email-verification"`.
    EmailOtpEmailVerification,
    /// … `type: "forget-password"`.
    EmailOtpForgetPassword,
    /// … `type: "change-email"` (to the new address).
    EmailOtpChangeEmail,
    /// An SMS: phone-number's `sendOTP` (`to` is the number).
    SmsOtp,
    /// An SMS: phone-number's `sendPasswordResetOTP`.
    SmsResetPassword,
    /// organization's `sendInvitationEmail`: the token is the invitation's id.
    Invitation,
}

impl MailKind {
    /// The kind's name in logs and in [`LogMailer`]'s file: `verify-email`, `reset-password`,
    /// `change-email-confirmation`, `delete-account`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify-email",
            Self::ResetPassword => "reset-password",
            Self::ChangeEmailConfirmation => "change-email-confirmation",
            Self::DeleteAccount => "delete-account",
            Self::TwoFactorOtp => "two-factor-otp",
            Self::MagicLink => "magic-link",
            Self::EmailOtpSignIn => "email-otp-sign-in",
            Self::EmailOtpEmailVerification => "email-otp-email-verification",
            Self::EmailOtpForgetPassword => "email-otp-forget-password",
            Self::EmailOtpChangeEmail => "email-otp-change-email",
            Self::SmsOtp => "sms-otp",
            Self::SmsResetPassword => "sms-reset-password",
            Self::Invitation => "invitation",
        }
    }

    /// Is it a text message (sent by the `[sms]` sender, to a phone number)?
    #[must_use]
    pub const fn is_sms(self) -> bool {
        matches!(self, Self::SmsOtp | Self::SmsResetPassword)
    }

    /// Does the mail carry a code to type rather than a link to follow?
    #[must_use]
    pub const fn is_code(self) -> bool {
        matches!(
            self,
            Self::TwoFactorOtp
                | Self::EmailOtpSignIn
                | Self::EmailOtpEmailVerification
                | Self::EmailOtpForgetPassword
                | Self::EmailOtpChangeEmail
                | Self::SmsOtp
                | Self::SmsResetPassword
        )
    }
}

impl fmt::Display for MailKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One mail: recipient, subject, plain-text body, and the link (and its token) it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Which link it carries.
    pub kind: MailKind,
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body; it contains [`url`](Self::url).
    pub text: String,
    /// The link to follow.
    pub url: String,
    /// The token inside the link (what better-auth passes to its callbacks as `token`).
    pub token: String,
}

impl Mail {
    /// A mail of `kind` with the default subject and body, without an application name.
    #[must_use]
    pub fn new(
        kind: MailKind,
        to: impl Into<String>,
        url: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        let url = url.into();
        let (subject, text) = render(kind, None, &url);
        Self {
            kind,
            to: to.into(),
            subject,
            text,
            url,
            token: token.into(),
        }
    }

    /// "Verify your email address".
    #[must_use]
    pub fn verify_email(
        to: impl Into<String>,
        url: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        Self::new(MailKind::VerifyEmail, to, url, token)
    }

    /// "Reset your password".
    #[must_use]
    pub fn reset_password(
        to: impl Into<String>,
        url: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        Self::new(MailKind::ResetPassword, to, url, token)
    }

    /// "Approve your email address change", sent to the current address.
    #[must_use]
    pub fn change_email_confirmation(
        to: impl Into<String>,
        url: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        Self::new(MailKind::ChangeEmailConfirmation, to, url, token)
    }

    /// "Confirm the deletion of your account".
    #[must_use]
    pub fn delete_account(
        to: impl Into<String>,
        url: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        Self::new(MailKind::DeleteAccount, to, url, token)
    }

    /// "Your two-factor code": the code in [`token`](Self::token), no link.
    #[must_use]
    pub fn two_factor_otp(to: impl Into<String>, code: impl Into<String>) -> Self {
        let code = code.into();
        Self::new(MailKind::TwoFactorOtp, to, code.clone(), code).without_url()
    }

    /// "Your sign-in link": magic-link's link and its token.
    #[must_use]
    pub fn magic_link(
        to: impl Into<String>,
        url: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        Self::new(MailKind::MagicLink, to, url, token)
    }

    /// "You are invited to join an organization": the page accepting the invitation, and its
    /// id as the token.
    #[must_use]
    pub fn invitation(
        to: impl Into<String>,
        url: impl Into<String>,
        id: impl Into<String>,
    ) -> Self {
        Self::new(MailKind::Invitation, to, url, id)
    }

    /// An email-otp code of `kind` (one of the `EmailOtp…` kinds), in [`token`](Self::token).
    #[must_use]
    pub fn email_otp(kind: MailKind, to: impl Into<String>, code: impl Into<String>) -> Self {
        let code = code.into();
        Self::new(kind, to, code.clone(), code).without_url()
    }

    /// A text message of `kind` (one of the `Sms…` kinds) with `code` to phone number `to`.
    #[must_use]
    pub fn sms(kind: MailKind, to: impl Into<String>, code: impl Into<String>) -> Self {
        let code = code.into();
        Self::new(kind, to, code.clone(), code).without_url()
    }

    fn without_url(mut self) -> Self {
        self.url.clear();
        self
    }

    /// Names the application (better-auth's `appName`) in the subject and body; an empty name
    /// is ignored.
    #[must_use]
    pub fn with_app_name(mut self, app_name: &str) -> Self {
        let name = Some(app_name.trim()).filter(|n| !n.is_empty());
        let shown = if self.kind.is_code() {
            &self.token
        } else {
            &self.url
        };
        (self.subject, self.text) = render(self.kind, name, shown);
        self
    }
}

/// The subject and body of a mail of `kind` showing `url` (or, for a code, the code). A text
/// message has no subject and a one-line body.
fn render(kind: MailKind, app: Option<&str>, url: &str) -> (String, String) {
    let (subject, action, ignore) = match kind {
        MailKind::VerifyEmail => (
            "Verify your email address",
            "To verify your email address, open this link:",
            "If you did not create an account, you can ignore this email.",
        ),
        MailKind::ResetPassword => (
            "Reset your password",
            "To choose a new password, open this link:",
            "If you did not ask to reset your password, you can ignore this email; your password \
             stays unchanged.",
        ),
        MailKind::ChangeEmailConfirmation => (
            "Approve your email address change",
            "Someone asked to change the email address of your account. To approve the change, \
             open this link:",
            "If you did not ask for this change, ignore this email and your address stays as it \
             is.",
        ),
        MailKind::DeleteAccount => (
            "Confirm the deletion of your account",
            "To delete your account and all its data, open this link:",
            "If you did not ask to delete your account, ignore this email and nothing happens.",
        ),
        MailKind::TwoFactorOtp => (
            "Your two-factor code",
            "Your code to finish signing in:",
            "If you did not try to sign in, change your password: someone knows it.",
        ),
        MailKind::MagicLink => (
            "Your sign-in link",
            "To sign in, open this link:",
            "If you did not try to sign in, you can ignore this email.",
        ),
        MailKind::EmailOtpSignIn => (
            "Your sign-in code",
            "Your code to sign in:",
            "If you did not try to sign in, you can ignore this email.",
        ),
        MailKind::EmailOtpEmailVerification => (
            "Your email verification code",
            "Your code to verify your email address:",
            "If you did not create an account, you can ignore this email.",
        ),
        MailKind::EmailOtpForgetPassword => (
            "Your password reset code",
            "Your code to choose a new password:",
            "If you did not ask to reset your password, you can ignore this email; your password \
             stays unchanged.",
        ),
        MailKind::EmailOtpChangeEmail => (
            "Your email change code",
            "Your code to confirm this address as your new one:",
            "If you did not ask for this change, you can ignore this email.",
        ),
        MailKind::Invitation => (
            "You are invited to join an organization",
            "Someone invited you to join their organization. To accept, open this link:",
            "If you did not expect this invitation, you can ignore this email.",
        ),
        MailKind::SmsOtp => return sms_text(app, url, "verification"),
        MailKind::SmsResetPassword => return sms_text(app, url, "password reset"),
    };
    match app {
        Some(app) => (
            format!("{subject} for {app}"),
            format!("Hello,\n\n{action}\n\n{url}\n\n{ignore}\n\n-- {app}\n"),
        ),
        None => (
            subject.to_owned(),
            format!("Hello,\n\n{action}\n\n{url}\n\n{ignore}\n"),
        ),
    }
}

/// A text message's (empty subject and) body: `code` and what it is for.
fn sms_text(app: Option<&str>, code: &str, what: &str) -> (String, String) {
    let text = match app {
        Some(app) => format!("{code} is your {app} {what} code."),
        None => format!("{code} is your {what} code."),
    };
    (String::new(), text)
}

/// Why a mailer could not be built or a mail not be sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// The SMTP URL is not one of `smtp://host[:port]`, `smtp://[user:pass@]host[:port]?tls=starttls`
    /// or `smtps://[user:pass@]host[:port]` (shown without its password).
    #[error(
        "invalid SMTP URL `{url}`: {reason} (expected smtp://host:25 for a plain local relay, \
         smtp://user:password@host:587?tls=starttls or smtps://user:password@host:465)"
    )]
    Url {
        /// The URL, password replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The sender address does not parse (`name@example.com` or `Name <name@example.com>`).
    #[error("invalid sender address `{address}`: {reason}")]
    From {
        /// The address as given.
        address: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The recipient address does not parse.
    #[error("invalid recipient address `{address}`: {reason}")]
    To {
        /// The address as given.
        address: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The message could not be assembled.
    #[error("could not build the mail: {0}")]
    Build(String),
    /// The SMTP server could not be reached or refused the mail.
    #[error("SMTP delivery to {server} failed: {reason}")]
    Smtp {
        /// `host:port` of the server.
        server: String,
        /// lettre's description.
        reason: String,
        /// The server refused for good (a 5xx reply): retrying cannot help.
        permanent: bool,
    },
    /// The SMS webhook could not be reached, timed out or refused the message.
    #[error("SMS webhook {url} failed: {reason}")]
    Webhook {
        /// The webhook's URL.
        url: String,
        /// What happened (the status it answered, or the transport's error).
        reason: String,
        /// It answered a 4xx other than 408 and 429: retrying cannot help.
        permanent: bool,
    },
    /// `[sms] authorization-env` names a variable that is not set.
    #[error("the environment variable {0} ([sms] authorization-env) is not set")]
    MissingEnv(String),
    /// [`LogMailer`]'s file could not be opened or written.
    #[error("mail log {}: {source}", path.display())]
    Log {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The [`MailQueue`] holds as many mails as it may.
    #[error("the mail queue is full ({capacity} mails wait for the relay)")]
    QueueFull {
        /// Its capacity (`[mailer] queue-capacity`).
        capacity: usize,
    },
    /// The [`MailQueue`] was drained for shutdown and takes no more mail.
    #[error("the mail queue is closed (the server is shutting down)")]
    QueueClosed,
    /// The [`MailQueue`] was given mail outside a tokio runtime, where its worker cannot run.
    #[error("no tokio runtime to run the mail queue on")]
    NoRuntime,
}

impl MailError {
    /// Would sending the same mail again fail the same way? True for a 5xx reply, a bad
    /// address or message, and a log file that cannot be written; false for a relay that cannot
    /// be reached, times out or answers 4xx, which the queue retries.
    #[must_use]
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Smtp { permanent, .. } | Self::Webhook { permanent, .. } => *permanent,
            Self::QueueFull { .. } | Self::QueueClosed | Self::NoRuntime => false,
            Self::Url { .. }
            | Self::From { .. }
            | Self::To { .. }
            | Self::Build(_)
            | Self::MissingEnv(_)
            | Self::Log { .. } => true,
        }
    }
}

/// Sends a [`Mail`]. Object-safe: the server holds an `Arc<dyn Mailer>`.
pub trait Mailer: Send + Sync + fmt::Debug {
    /// Sends one mail.
    ///
    /// # Errors
    /// [`MailError`] when the mail could not be handed over.
    fn send<'a>(
        &'a self,
        mail: &'a Mail,
    ) -> Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>>;

    /// True when a send is instantaneous and local (no network), so [`MailQueue`] calls it in
    /// the request instead of queueing it: the mail exists when the answer leaves. False (the
    /// default) queues every mail.
    fn inline(&self) -> bool {
        false
    }
}

/// Delivers mail over SMTP (lettre, tokio, rustls with Mozilla's roots). One connection per
/// mail, closed after it. Needs a tokio runtime to send.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// `scheme://host:port`, without credentials, for errors and `Debug`.
    server: String,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for the server at `url`, sending as `from` (`noreply@example.com` or
    /// `App <noreply@example.com>`).
    ///
    /// - `smtp://host[:port]` (default port 25): plain SMTP, no TLS, for a local relay.
    /// - `smtp://[user:password@]host[:port]?tls=starttls` (default port 587): STARTTLS,
    ///   required (`tls=required` is the same; `tls=opportunistic` upgrades when offered).
    /// - `smtps://[user:password@]host[:port]` (default port 465): implicit TLS.
    ///
    /// User and password are percent-decoded; a path (`smtp://host/name`) sets the EHLO name.
    ///
    /// # Errors
    /// [`MailError::Url`] for any other URL, [`MailError::From`] for a bad sender address.
    pub fn new(url: &str, from: &str) -> Result<Self, MailError> {
        let from = from.parse::<Mailbox>().map_err(|e| MailError::From {
            address: from.to_owned(),
            reason: e.to_string(),
        })?;
        let bad = |reason: String| MailError::Url {
            url: redact(url),
            reason,
        };
        let mut parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host".to_owned()))?
            .to_owned();
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let (tls, default_port) = match (parsed.scheme(), tls.as_deref()) {
            ("smtp", None | Some("none" | "off")) => (None, 25),
            ("smtp", Some("starttls" | "required")) => (Some("required"), 587),
            ("smtp", Some("opportunistic")) => (Some("opportunistic"), 587),
            ("smtps", None) => (None, 465),
            ("smtp", Some(other)) => {
                return Err(bad(format!(
                    "unknown tls={other}; use tls=starttls, tls=opportunistic or no tls parameter"
                )));
            }
            ("smtps", Some(_)) => {
                return Err(bad(
                    "smtps:// is implicit TLS and takes no tls parameter".to_owned()
                ));
            }
            (scheme, _) => {
                return Err(bad(format!(
                    "unknown scheme `{scheme}`; use smtp:// or smtps://"
                )));
            }
        };
        let port = parsed.port().unwrap_or(default_port);
        // lettre's own reader takes the rest: its `tls` values, credentials, EHLO name.
        let query = tls.map(|t| format!("tls={t}"));
        parsed.set_query(query.as_deref());
        if parsed.port().is_none() {
            parsed
                .set_port(Some(port))
                .map_err(|()| bad("cannot set the port".to_owned()))?;
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(parsed.as_str())
            .map_err(|e| bad(e.to_string()))?
            .build();
        Ok(Self {
            transport,
            from,
            server: format!("{}://{host}:{port}", parsed.scheme()),
        })
    }

    async fn deliver(&self, mail: &Mail) -> Result<(), MailError> {
        let to = mail.to.parse::<Mailbox>().map_err(|e| MailError::To {
            address: mail.to.clone(),
            reason: e.to_string(),
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map_err(|e| MailError::Smtp {
                server: self.server.clone(),
                reason: e.to_string(),
                permanent: e.is_permanent(),
            })?;
        tracing::debug!(kind = mail.kind.as_str(), to = %mail.to, server = %self.server, "mail sent");
        Ok(())
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(
        &'a self,
        mail: &'a Mail,
    ) -> Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>> {
        Box::pin(self.deliver(mail))
    }
}

/// `user:password@` shown as `user:***@`.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Only fails for URLs that cannot have credentials, which this one has.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        // Unparsable: cut everything up to an `@` that may follow credentials.
        Err(_) => match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}://***@{}", &url[..scheme], &url[at + 1..])
            }
            _ => url.to_owned(),
        },
    }
}

/// The development mailer: sends nothing; logs each mail's kind, recipient and link at `INFO`
/// and, when built with [`LogMailer::to_file`], appends one JSON line per mail to a file:
///
/// ```json
/// {"kind":"verify-email","to":"a@example.com","subject":"…","url":"…","token":"…","at":"2026-11-28T08:16:29.226Z"}
/// ```
#[derive(Debug, Default)]
pub struct LogMailer {
    file: Option<JsonLines>,
}

impl LogMailer {
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

    /// The file mails are appended to, if any.
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        self.file.as_ref().map(|file| file.path.as_path())
    }

    fn record(&self, mail: &Mail) -> Result<(), MailError> {
        tracing::info!(
            kind = mail.kind.as_str(),
            to = %mail.to,
            url = %mail.url,
            "mail not sent (development mailer): {} for {}: {}",
            mail.kind,
            mail.to,
            mail.url
        );
        let Some(file) = &self.file else {
            return Ok(());
        };
        let at = time::format(::time::OffsetDateTime::now_utc());
        let line = if mail.kind.is_code() {
            serde_json::json!({
                "kind": mail.kind.as_str(),
                "to": mail.to,
                "subject": mail.subject,
                "otp": mail.token,
                "at": at,
            })
        } else {
            serde_json::json!({
                "kind": mail.kind.as_str(),
                "to": mail.to,
                "subject": mail.subject,
                "url": mail.url,
                "token": mail.token,
                "at": at,
            })
        };
        file.append(&line)
    }
}

/// A file that records are appended to, one JSON line each (the log mailer's and the log SMS
/// sender's).
#[derive(Debug)]
struct JsonLines {
    path: PathBuf,
    file: Mutex<File>,
}

impl JsonLines {
    /// Opens `path` for appending (created if missing, never truncated).
    fn open(path: PathBuf) -> Result<Self, MailError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| MailError::Log {
                path: path.clone(),
                source,
            })?;
        Ok(Self {
            path,
            file: Mutex::new(file),
        })
    }

    fn append(&self, record: &serde_json::Value) -> Result<(), MailError> {
        let mut line = record.to_string();
        line.push('\n');
        // One write per line on an append-mode file: lines from concurrent writers stay whole.
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        file.write_all(line.as_bytes())
            .and_then(|()| file.flush())
            .map_err(|source| MailError::Log {
                path: self.path.clone(),
                source,
            })
    }
}

impl Mailer for LogMailer {
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

/// The mailer `[mailer]` in auth.toml describes.
///
/// # Errors
/// A bad SMTP URL or sender address, or a log file that cannot be opened.
pub fn from_config(
    config: &auth_core::config::Mailer,
) -> Result<std::sync::Arc<dyn Mailer>, MailError> {
    use auth_core::config::MailerKind;
    Ok(match config.kind {
        MailerKind::Smtp => {
            let url = config
                .url
                .as_ref()
                .map(|u| u.get_ref().as_str())
                .unwrap_or_default();
            std::sync::Arc::new(SmtpMailer::new(
                url,
                config.from.as_deref().unwrap_or_default(),
            )?)
        }
        MailerKind::Log => match &config.path {
            Some(path) => std::sync::Arc::new(LogMailer::to_file(path)?),
            None => std::sync::Arc::new(LogMailer::new()),
        },
    })
}
