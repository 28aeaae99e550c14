//! The words of every mail and text message: minijinja templates embedded from the repository's
//! `templates/mail` and `templates/sms`, each replaced by the file of the same name in the
//! project's folder (`[mailer] templates = "dir"`, so `dir/mail/verify-email.html.jinja`).
//!
//! A mail is three templates, `mail/<kind>.subject.jinja`, `.txt.jinja` and `.html.jinja` (which
//! extends `mail/layout.html.jinja`, HTML-escaped); a text message is `sms/<kind>.txt.jinja`.
//! They see `app_name` (none without one), `to`, `url` (empty for a code), `token`, `otp` (the
//! code, empty for a link), the HTML and text parts also `subject`, and an invitation
//! `organization_name`, `inviter_name`, `inviter_email` and `role`. A variable they do not know is
//! an error: every template is parsed and rendered with sample data when the server starts, so a
//! broken one stops the start with its file and line instead of failing a sign-in later.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior, Value};

use super::{Mail, MailError, MailKind, Message};

/// Every embedded template, by its name under `templates/`.
macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../../templates/", $name)))),*]
    };
}

const EMBEDDED: &[(&str, &str)] = embedded![
    "mail/layout.html.jinja",
    "mail/verify-email.subject.jinja",
    "mail/verify-email.txt.jinja",
    "mail/verify-email.html.jinja",
    "mail/reset-password.subject.jinja",
    "mail/reset-password.txt.jinja",
    "mail/reset-password.html.jinja",
    "mail/change-email-confirmation.subject.jinja",
    "mail/change-email-confirmation.txt.jinja",
    "mail/change-email-confirmation.html.jinja",
    "mail/delete-account.subject.jinja",
    "mail/delete-account.txt.jinja",
    "mail/delete-account.html.jinja",
    "mail/two-factor-otp.subject.jinja",
    "mail/two-factor-otp.txt.jinja",
    "mail/two-factor-otp.html.jinja",
    "mail/magic-link.subject.jinja",
    "mail/magic-link.txt.jinja",
    "mail/magic-link.html.jinja",
    "mail/email-otp-sign-in.subject.jinja",
    "mail/email-otp-sign-in.txt.jinja",
    "mail/email-otp-sign-in.html.jinja",
    "mail/email-otp-email-verification.subject.jinja",
    "mail/email-otp-email-verification.txt.jinja",
    "mail/email-otp-email-verification.html.jinja",
    "mail/email-otp-forget-password.subject.jinja",
    "mail/email-otp-forget-password.txt.jinja",
    "mail/email-otp-forget-password.html.jinja",
    "mail/email-otp-change-email.subject.jinja",
    "mail/email-otp-change-email.txt.jinja",
    "mail/email-otp-change-email.html.jinja",
    "mail/invitation.subject.jinja",
    "mail/invitation.txt.jinja",
    "mail/invitation.html.jinja",
    "sms/sms-otp.txt.jinja",
    "sms/sms-reset-password.txt.jinja",
];

/// Why the templates cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The project's folder or one of its files cannot be read.
    #[error("cannot read mail templates at {}: {source}", path.display())]
    Read {
        /// The folder or file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A `.jinja` file in the project's folder that replaces no embedded template (a typo
    /// would otherwise be ignored in silence).
    #[error(
        "{}: no embedded template has this name; the names are those under templates/ in the \
         repository, e.g. mail/verify-email.html.jinja or sms/sms-otp.txt.jinja",
        path.display()
    )]
    Unknown {
        /// The file.
        path: PathBuf,
    },
    /// A template does not parse or does not render.
    #[error("{file}:{line}: {message}")]
    Broken {
        /// The project's file, or `templates/<name>` for an embedded one.
        file: String,
        /// The line the error is on (1 when minijinja does not tell).
        line: usize,
        /// minijinja's description.
        message: String,
    },
    /// A subject renders with a line break or another control character (a header must stay
    /// one line: never a header a user could add to).
    #[error("{file}: the subject `{subject}` holds a line break or a control character")]
    Subject {
        /// The subject template's file.
        file: String,
        /// The subject, escaped.
        subject: String,
    },
}

/// The parsed templates: the embedded ones, each replaced by the project's file of the same name.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    /// The project's files that replace embedded templates, by name, for errors.
    overridden: BTreeMap<&'static str, PathBuf>,
}

impl Templates {
    /// The embedded templates.
    ///
    /// # Errors
    /// None in practice: a test renders every embedded template.
    pub fn embedded() -> Result<Self, TemplateError> {
        Self::load(None)
    }

    /// The templates of a project: `[mailer] templates`'s folder (relative to `auth.toml`) over
    /// the embedded ones, as `serve` loads them at start-up and `check` checks them.
    ///
    /// # Errors
    /// As [`Templates::load`].
    pub fn for_config(config: &auth_core::Config) -> Result<Self, TemplateError> {
        let dir = config
            .mailer
            .as_ref()
            .and_then(|m| m.get_ref().templates.as_deref())
            .map(|dir| config.path.parent().unwrap_or(Path::new("")).join(dir));
        Self::load(dir.as_deref())
    }

    /// The embedded templates, replaced by the `.jinja` files of `dir` (searched recursively,
    /// names relative to `dir`) where it has them; each is parsed and rendered with sample
    /// data.
    ///
    /// # Errors
    /// [`TemplateError`]: a folder or file that cannot be read, a file that replaces nothing, a
    /// template that does not parse or render (with its file and line), a subject with a line
    /// break.
    pub fn load(dir: Option<&Path>) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        let mut overridden = BTreeMap::new();
        if let Some(dir) = dir {
            for path in jinja_files(dir)? {
                let name = path
                    .strip_prefix(dir)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                let Some(&(name, _)) = EMBEDDED.iter().find(|(known, _)| *known == name) else {
                    return Err(TemplateError::Unknown { path });
                };
                overridden.insert(name, path);
            }
        }
        let mut templates = Self {
            env: Environment::new(),
            overridden,
        };
        for &(name, embedded) in EMBEDDED {
            let source = match templates.overridden.get(name) {
                Some(path) => {
                    std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
                        path: path.clone(),
                        source,
                    })?
                }
                None => embedded.to_owned(),
            };
            env.add_template_owned(name, source)
                .map_err(|e| templates.broken(&e))?;
        }
        templates.env = env;
        templates.check()?;
        Ok(templates)
    }

    /// Renders every message with sample data, with and without an application name.
    fn check(&self) -> Result<(), TemplateError> {
        for kind in MailKind::ALL {
            let sample = match kind {
                MailKind::Invitation => Message::invitation(
                    "ada@example.com",
                    "https://example.com/accept-invitation/inv-1",
                    "inv-1",
                    super::Invitation {
                        organization_name: "Example Inc".to_owned(),
                        inviter_name: "Grace".to_owned(),
                        inviter_email: "grace@example.com".to_owned(),
                        role: "member".to_owned(),
                    },
                ),
                kind if kind.is_code() => Message::code(kind, "ada@example.com", "123456"),
                kind => Message::new(
                    kind,
                    "ada@example.com",
                    "https://example.com/api/auth/verify?token=t",
                    "t",
                ),
            };
            for app_name in [None, Some("Example")] {
                self.render_parts(&sample, app_name)?;
            }
        }
        Ok(())
    }

    /// `message` in words, named after `app_name` (ignored when blank).
    ///
    /// # Errors
    /// [`MailError::To`] for a recipient with a control character, [`MailError::Template`] when
    /// a template fails to render or renders a subject with a line break.
    pub fn render(&self, message: &Message, app_name: Option<&str>) -> Result<Mail, MailError> {
        if message.to.is_empty() || message.to.chars().any(char::is_control) {
            return Err(MailError::To {
                address: message.to.escape_debug().to_string(),
                reason: "an address or number cannot be empty or hold control characters"
                    .to_owned(),
            });
        }
        let app_name = app_name.map(str::trim).filter(|name| !name.is_empty());
        let (subject, text, html) = self.render_parts(message, app_name)?;
        Ok(Mail {
            kind: message.kind,
            to: message.to.clone(),
            subject,
            text,
            html,
            url: message.url.clone(),
            token: message.token.clone(),
        })
    }

    /// Subject (empty for a text message), text, and HTML (none for a text message).
    fn render_parts(
        &self,
        message: &Message,
        app_name: Option<&str>,
    ) -> Result<(String, String, Option<String>), TemplateError> {
        let code = if message.kind.is_code() {
            message.token.as_str()
        } else {
            ""
        };
        let mut context: BTreeMap<&str, Value> = BTreeMap::from([
            ("app_name", Value::from(app_name)),
            ("to", Value::from(message.to.as_str())),
            ("url", Value::from(message.url.as_str())),
            ("token", Value::from(message.token.as_str())),
            ("otp", Value::from(code)),
        ]);
        for (key, value) in &message.details {
            context.insert(key, Value::from(value.as_str()));
        }
        let kind = message.kind.as_str();
        if message.kind.is_sms() {
            let text = self.render_one(&format!("sms/{kind}.txt.jinja"), &context)?;
            return Ok((String::new(), text.trim().to_owned(), None));
        }
        let name = format!("mail/{kind}.subject.jinja");
        let subject = self.render_one(&name, &context)?.trim().to_owned();
        if subject.chars().any(char::is_control) {
            return Err(TemplateError::Subject {
                file: self.file(&name),
                subject: subject.escape_debug().to_string(),
            });
        }
        context.insert("subject", Value::from(subject.as_str()));
        let text = self.render_one(&format!("mail/{kind}.txt.jinja"), &context)?;
        let html = self.render_one(&format!("mail/{kind}.html.jinja"), &context)?;
        Ok((subject, text, Some(html)))
    }

    fn render_one(
        &self,
        name: &str,
        context: &BTreeMap<&str, Value>,
    ) -> Result<String, TemplateError> {
        self.env
            .get_template(name)
            .and_then(|template| template.render(context))
            .map_err(|e| self.broken(&e))
    }

    /// Where a template comes from: the project's file, or `templates/<name>`.
    fn file(&self, name: &str) -> String {
        self.overridden.get(name).map_or_else(
            || format!("templates/{name}"),
            |path| path.display().to_string(),
        )
    }

    /// minijinja's error, with the file and line it points at.
    fn broken(&self, error: &minijinja::Error) -> TemplateError {
        TemplateError::Broken {
            file: error
                .name()
                .map_or_else(|| "templates".to_owned(), |name| self.file(name)),
            line: error.line().unwrap_or(1),
            message: error.detail().map_or_else(
                || error.kind().to_string(),
                |detail| format!("{}: {detail}", error.kind()),
            ),
        }
    }
}

/// The `.jinja` files under `dir`, in a stable order.
fn jinja_files(dir: &Path) -> Result<Vec<PathBuf>, TemplateError> {
    let read = |path: &Path| {
        std::fs::read_dir(path).map_err(|source| TemplateError::Read {
            path: path.to_owned(),
            source,
        })
    };
    let mut files = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in read(&folder)? {
            let path = entry
                .map_err(|source| TemplateError::Read {
                    path: folder.clone(),
                    source,
                })?
                .path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "jinja") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::Invitation;

    /// Fixed data for a message of `kind`.
    fn sample(kind: MailKind) -> Message {
        match kind {
            MailKind::Invitation => Message::invitation(
                "ada@example.com",
                "https://app.example.com/accept-invitation/inv_42",
                "inv_42",
                Invitation {
                    organization_name: "Analytical <Engines>".to_owned(),
                    inviter_name: "Charles".to_owned(),
                    inviter_email: "charles@example.com".to_owned(),
                    role: "admin".to_owned(),
                },
            ),
            MailKind::SmsOtp | MailKind::SmsResetPassword => {
                Message::code(kind, "+14155550123", "482913")
            }
            kind if kind.is_code() => Message::code(kind, "ada@example.com", "482913"),
            kind => Message::new(
                kind,
                "ada@example.com",
                "https://auth.example.com/api/auth/verify?token=tok_1&callbackURL=%2F",
                "tok_1",
            ),
        }
    }

    fn embedded() -> Templates {
        Templates::embedded().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Every embedded message, with and without an application name: subject, text, HTML.
    #[test]
    fn every_embedded_message() {
        let templates = embedded();
        for kind in MailKind::ALL {
            for app_name in [None, Some("Acme")] {
                let mail = templates
                    .render(&sample(kind), app_name)
                    .unwrap_or_else(|e| panic!("{kind}: {e}"));
                let name = format!("{kind}-{}", app_name.unwrap_or("unnamed"));
                let mut shown = format!(
                    "to: {}\nsubject: {}\n--- text\n{}",
                    mail.to, mail.subject, mail.text
                );
                if let Some(html) = &mail.html {
                    shown.push_str("\n--- html\n");
                    shown.push_str(html);
                }
                insta::assert_snapshot!(name, shown);
            }
        }
    }

    /// The link or code is in the text and in the HTML (escaped there); a blank application
    /// name is no name.
    #[test]
    fn links_and_codes_are_shown_and_blank_names_ignored() {
        let templates = embedded();
        for kind in MailKind::ALL {
            let message = sample(kind);
            let mail = templates
                .render(&message, None)
                .unwrap_or_else(|e| panic!("{e}"));
            let shown = if kind.is_code() {
                &message.token
            } else {
                &message.url
            };
            assert!(mail.text.contains(shown.as_str()), "{kind}: {}", mail.text);
            if let Some(html) = &mail.html {
                // minijinja's HTML escaping (OWASP's: `/` too).
                let escaped = shown.replace('&', "&amp;").replace('/', "&#x2f;");
                assert!(html.contains(&escaped), "{kind}: {html}");
            }
            assert_eq!(kind.is_sms(), mail.html.is_none());
            let blank = templates
                .render(&message, Some("  "))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(blank, mail);
        }
        let invitation = templates
            .render(&sample(MailKind::Invitation), None)
            .unwrap_or_else(|e| panic!("{e}"));
        let html = invitation.html.unwrap_or_default();
        assert!(html.contains("Analytical &lt;Engines&gt;"), "{html}");
        assert!(!html.contains("<Engines>"), "{html}");
    }

    /// A project's file replaces the embedded one of its name (mail and SMS); the others stay.
    #[test]
    fn a_project_folder_overrides_by_name() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap_or(dir.path()))
                .unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
        };
        write(
            "mail/verify-email.subject.jinja",
            "Welcome to {{ app_name or 'us' }}, {{ to }}\n",
        );
        write(
            "mail/layout.html.jinja",
            "<main>{% block content %}{% endblock %}</main>",
        );
        write("sms/sms-otp.txt.jinja", "Code: {{ otp }}");
        let templates = Templates::load(Some(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        let mail = templates
            .render(&sample(MailKind::VerifyEmail), Some("Acme"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mail.subject, "Welcome to Acme, ada@example.com");
        let html = mail.html.unwrap_or_default();
        assert!(
            html.starts_with("<main>") && html.ends_with("</main>"),
            "{html}"
        );
        assert_eq!(mail.text, embedded_text(MailKind::VerifyEmail));
        let sms = templates
            .render(&sample(MailKind::SmsOtp), None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sms.text, "Code: 482913");
        let other = templates
            .render(&sample(MailKind::ResetPassword), None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(other.subject, "Reset your password");
    }

    fn embedded_text(kind: MailKind) -> String {
        embedded()
            .render(&sample(kind), Some("Acme"))
            .map(|mail| mail.text)
            .unwrap_or_default()
    }

    /// A template that does not parse, one that names a variable no message has, and a file
    /// that replaces nothing are refused when loading, with the file and line.
    #[test]
    fn broken_templates_are_refused_with_file_and_line() {
        let cases = [
            (
                "mail/reset-password.txt.jinja",
                "Hello,\n\n{{ url }\n",
                "reset-password.txt.jinja:3: syntax error",
            ),
            (
                "mail/magic-link.html.jinja",
                "<p>\n{{ url }}\n{{ user.name }}</p>\n",
                "magic-link.html.jinja:3: undefined value",
            ),
            (
                "sms/sms-otp.txt.jinja",
                "{% if otp %}{{ otp }}",
                "sms-otp.txt.jinja:1: syntax error",
            ),
        ];
        for (name, text, expected) in cases {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap_or(dir.path()))
                .unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
            let error = Templates::load(Some(dir.path()))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.starts_with(&path.display().to_string()), "{error}");
            assert!(error.contains(expected), "{expected}: {error}");
        }
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("verify-email.jinja"), "x")
            .unwrap_or_else(|e| panic!("{e}"));
        let error = Templates::load(Some(dir.path())).err();
        assert!(
            matches!(error, Some(TemplateError::Unknown { .. })),
            "{error:?}"
        );
    }

    /// CR/LF never reaches a header: not from a subject template, not from the application's
    /// name, not from a recipient, not from an invitation's organization name.
    #[test]
    fn line_breaks_never_reach_a_header() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(dir.path().join("mail")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            dir.path().join("mail/delete-account.subject.jinja"),
            "Goodbye\nBcc: everyone@example.com",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let error = Templates::load(Some(dir.path())).err();
        assert!(
            matches!(error, Some(TemplateError::Subject { .. })),
            "{error:?}"
        );

        let templates = embedded();
        let message = sample(MailKind::VerifyEmail);
        let error = templates
            .render(&message, Some("Acme\r\nBcc: x@example.com"))
            .err();
        assert!(
            matches!(
                error,
                Some(MailError::Template(TemplateError::Subject { .. }))
            ),
            "{error:?}"
        );
        let mut to = message.clone();
        to.to = "ada@example.com\r\nBcc: x@example.com".to_owned();
        let error = templates.render(&to, None).err();
        assert!(matches!(error, Some(MailError::To { .. })), "{error:?}");
        let mut invitation = sample(MailKind::Invitation);
        invitation
            .details
            .insert("organization_name", "Evil\r\nBcc: x@example.com".to_owned());
        let error = templates.render(&invitation, None).err();
        assert!(
            matches!(
                error,
                Some(MailError::Template(TemplateError::Subject { .. }))
            ),
            "{error:?}"
        );
    }
}
