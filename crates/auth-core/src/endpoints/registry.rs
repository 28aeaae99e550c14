use serde::Serialize;

use super::shape::Shape;
use crate::config::Config;
use crate::schema::Plugin;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// Who may call an endpoint (better-auth's session middlewares).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Anyone.
    Public,
    /// Anyone; a session is used when there is one.
    Optional,
    /// A valid session (the cookie cache may answer): 401 `UNAUTHORIZED` otherwise.
    Session,
    /// A valid session read from the database, bypassing the cookie cache.
    Sensitive,
    /// A session younger than `fresh-age` (from `createdAt`): 403 `SESSION_NOT_FRESH` otherwise.
    Fresh,
}

/// What an endpoint accepts as its body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "shape")]
pub enum RequestBody {
    None,
    /// `application/json` (optional when the shape's properties all are).
    Json(Shape),
    /// `application/json` or `application/x-www-form-urlencoded` (values become strings).
    JsonOrForm(Shape),
}

/// What an endpoint answers on success.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "shape")]
pub enum Reply {
    Json(Shape),
    /// A 302 to a URL.
    Redirect,
    /// JSON, or a 302 when a `callbackURL` was given.
    JsonOrRedirect(Shape),
    /// An HTML page.
    Html,
    /// A JavaScript file (a page's script, served from the binary).
    Script,
}

/// One route under the base path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Endpoint {
    /// better-auth's name for it (`auth.api.signUpEmail`): the key of its handler in the
    /// runtime. Unique, except that one handler may serve one path with two methods.
    pub id: &'static str,
    /// The plugin that declares it; `None` for core.
    pub plugin: Option<Plugin>,
    /// Relative to the base path (`/api/auth`), with `:name` parameters (`/callback/:id`).
    pub path: &'static str,
    pub method: Method,
    pub access: Access,
    pub body: RequestBody,
    /// Query parameters, as an object shape (strings).
    pub query: Option<Shape>,
    pub reply: Reply,
    /// Without a session it answers 401 with an empty body (better-auth's admin middleware),
    /// not the `{code, message}` of other errors.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub bare_unauthorized: bool,
}

impl Endpoint {
    /// Does a request for `method` and `path` (relative to the base path, without query) hit
    /// this endpoint? Parameters match one non-empty segment; no trailing slash, no `//`.
    pub fn matches(&self, method: Method, path: &str) -> bool {
        if method != self.method {
            return false;
        }
        let mut want = self.path.split('/');
        let mut got = path.split('/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return true,
                (Some(w), Some(g)) if w.starts_with(':') && !g.is_empty() => {}
                (Some(w), Some(g)) if w == g => {}
                _ => return false,
            }
        }
    }
}

pub(crate) fn endpoint(
    id: &'static str,
    path: &'static str,
    method: Method,
    access: Access,
    body: RequestBody,
    reply: Reply,
) -> Endpoint {
    Endpoint {
        id,
        plugin: None,
        path,
        method,
        access,
        body,
        query: None,
        reply,
        bare_unauthorized: false,
    }
}

pub(crate) fn query(mut endpoint: Endpoint, properties: &[(&str, Shape)]) -> Endpoint {
    endpoint.query = Some(Shape::object(properties));
    endpoint
}

/// A new password (sign-up, change, reset): `min-password-length..=max-password-length`.
pub(crate) fn new_password(config: &Config) -> Shape {
    let options = &config.email_and_password;
    Shape::Password {
        min: *options.min_password_length.get_ref(),
        max: *options.max_password_length.get_ref(),
    }
}

/// A password compared with a stored one (sign-in, verify): only its maximum is checked.
pub(crate) fn password(config: &Config) -> Shape {
    Shape::Password {
        min: 0,
        max: *config.email_and_password.max_password_length.get_ref(),
    }
}

pub(crate) fn status() -> Reply {
    Reply::Json(Shape::object(&[("status", Shape::Boolean)]))
}

/// The endpoints a configuration enables: core's in better-auth's order, then each enabled
/// plugin's (`crate::plugins`), which may also amend core's.
pub fn endpoints(config: &Config) -> Vec<Endpoint> {
    let mut all = core(config);
    for declaration in crate::plugins::enabled(config) {
        all.extend((declaration.endpoints)(config));
    }
    for declaration in crate::plugins::enabled(config) {
        (declaration.amend)(config, &mut all);
    }
    all
}

/// better-auth's own endpoints.
fn core(config: &Config) -> Vec<Endpoint> {
    use Access::{Fresh, Optional, Public, Sensitive, Session};
    use Method::{Get, Post};
    use RequestBody::{Json, JsonOrForm, None as NoBody};
    let user = || Shape::model("user");
    let session = || Shape::model("session");
    let s = || Shape::String;
    let b = || Shape::Boolean;
    let mut all = Vec::new();
    if config.email_and_password.enabled {
        all.push(endpoint(
            "signUpEmail",
            "/sign-up/email",
            Post,
            Public,
            JsonOrForm(Shape::Merge(vec![
                Shape::object(&[
                    ("name", s()),
                    ("email", Shape::Email),
                    ("password", new_password(config)),
                    ("image?", s()),
                    ("callbackURL?", s()),
                    ("rememberMe?", b()),
                ]),
                Shape::ModelInput {
                    model: "user".to_owned(),
                    partial: false,
                },
            ])),
            Reply::Json(Shape::object(&[
                ("token", s().nullable()),
                ("user", user()),
            ])),
        ));
        all.push(endpoint(
            "signInEmail",
            "/sign-in/email",
            Post,
            Public,
            JsonOrForm(Shape::object(&[
                ("email", Shape::Email),
                ("password", password(config)),
                ("callbackURL?", s()),
                ("rememberMe?", b()),
            ])),
            Reply::Json(Shape::object(&[
                ("redirect", b()),
                ("token", s()),
                ("url?", s()),
                ("user", user()),
            ])),
        ));
    }
    all.push(endpoint(
        "signOut",
        "/sign-out",
        Post,
        Optional,
        // better-auth reads its body only for a provider's RP-initiated logout, which this
        // server does not do: it takes none.
        NoBody,
        Reply::Json(Shape::object(&[
            ("success", b()),
            ("url?", s()),
            ("redirect?", b()),
        ])),
    ));
    all.push(query(
        endpoint(
            "getSession",
            "/get-session",
            Get,
            Optional,
            NoBody,
            Reply::Json(Shape::object(&[("session", session()), ("user", user())]).nullable()),
        ),
        &[("disableCookieCache?", s()), ("disableRefresh?", s())],
    ));
    all.push(endpoint(
        "listSessions",
        "/list-sessions",
        Get,
        Fresh,
        NoBody,
        Reply::Json(session().array()),
    ));
    all.push(endpoint(
        "revokeSession",
        "/revoke-session",
        Post,
        Sensitive,
        Json(Shape::object(&[("token", s())])),
        status(),
    ));
    all.push(endpoint(
        "revokeSessions",
        "/revoke-sessions",
        Post,
        Sensitive,
        Json(Shape::object(&[])),
        status(),
    ));
    all.push(endpoint(
        "revokeOtherSessions",
        "/revoke-other-sessions",
        Post,
        Sensitive,
        Json(Shape::object(&[])),
        status(),
    ));
    all.push(endpoint(
        "updateUser",
        "/update-user",
        Post,
        Session,
        Json(Shape::NonEmpty(Box::new(Shape::Merge(vec![
            Shape::object(&[("name?", s()), ("image?", s().nullable())]),
            Shape::ModelInput {
                model: "user".to_owned(),
                partial: true,
            },
        ])))),
        status(),
    ));
    all.push(endpoint(
        "updateSession",
        "/update-session",
        Post,
        Session,
        Json(Shape::NonEmpty(Box::new(Shape::ModelInput {
            model: "session".to_owned(),
            partial: true,
        }))),
        Reply::Json(Shape::object(&[("session", session())])),
    ));
    if config.email_and_password.enabled {
        all.push(endpoint(
            "changePassword",
            "/change-password",
            Post,
            Sensitive,
            Json(Shape::object(&[
                ("currentPassword", password(config)),
                ("newPassword", new_password(config)),
                ("revokeOtherSessions?", b()),
            ])),
            Reply::Json(Shape::object(&[
                ("token", s().nullable()),
                ("user", user()),
            ])),
        ));
        all.push(endpoint(
            "verifyPassword",
            "/verify-password",
            Post,
            Sensitive,
            Json(Shape::object(&[("password", password(config))])),
            status(),
        ));
    }
    all.push(endpoint(
        "changeEmail",
        "/change-email",
        Post,
        Sensitive,
        Json(Shape::object(&[
            ("newEmail", Shape::Email),
            ("callbackURL?", s()),
        ])),
        status(),
    ));
    all.push(endpoint(
        "deleteUser",
        "/delete-user",
        Post,
        Sensitive,
        Json(Shape::object(&[
            ("password?", password(config)),
            ("token?", s()),
            ("callbackURL?", s()),
        ])),
        Reply::Json(Shape::object(&[("success", b()), ("message", s())])),
    ));
    all.push(query(
        endpoint(
            "deleteUserCallback",
            "/delete-user/callback",
            Get,
            Session,
            NoBody,
            Reply::JsonOrRedirect(Shape::object(&[("success", b()), ("message", s())])),
        ),
        &[("token", s()), ("callbackURL?", s())],
    ));
    if config.email_and_password.enabled {
        all.push(endpoint(
            "requestPasswordReset",
            "/request-password-reset",
            Post,
            Public,
            Json(Shape::object(&[
                ("email", Shape::Email),
                ("redirectTo?", s()),
            ])),
            Reply::Json(Shape::object(&[("status", b()), ("message", s())])),
        ));
        all.push(query(
            endpoint(
                "requestPasswordResetCallback",
                "/reset-password/:token",
                Get,
                Public,
                NoBody,
                Reply::Redirect,
            ),
            &[("callbackURL", s())],
        ));
        all.push(query(
            endpoint(
                "resetPassword",
                "/reset-password",
                Post,
                Public,
                Json(Shape::object(&[
                    ("newPassword", new_password(config)),
                    ("token?", s()),
                ])),
                status(),
            ),
            &[("token?", s())],
        ));
    }
    all.push(endpoint(
        "sendVerificationEmail",
        "/send-verification-email",
        Post,
        Optional,
        Json(Shape::object(&[
            ("email", Shape::Email),
            ("callbackURL?", s()),
        ])),
        status(),
    ));
    all.push(query(
        endpoint(
            "verifyEmail",
            "/verify-email",
            Get,
            Optional,
            NoBody,
            Reply::JsonOrRedirect(Shape::object(&[
                ("status", b()),
                ("user", user().nullable()),
            ])),
        ),
        &[("token", s()), ("callbackURL?", s())],
    ));
    all.push(endpoint(
        "listUserAccounts",
        "/list-accounts",
        Get,
        Session,
        NoBody,
        Reply::Json(
            Shape::object(&[
                ("id", s()),
                ("providerId", s()),
                ("accountId", s()),
                ("userId", s()),
                ("createdAt", Shape::Date),
                ("updatedAt", Shape::Date),
                ("scopes", s().array()),
            ])
            .array(),
        ),
    ));
    all.push(endpoint(
        "unlinkAccount",
        "/unlink-account",
        Post,
        Fresh,
        Json(Shape::object(&[("accountId", s())])),
        status(),
    ));
    // The body of sign-in/social and link-social, with what only one of them takes.
    let social = |extra: &[(&str, Shape)]| {
        let mut properties = vec![
            ("provider", s()),
            ("callbackURL?", s()),
            ("errorCallbackURL?", s()),
            ("disableRedirect?", b()),
            ("idToken?", Shape::Json),
            ("scopes?", s().array()),
        ];
        properties.extend_from_slice(extra);
        Shape::object(&properties)
    };
    let provider_account =
        || Shape::object(&[("providerId", s()), ("accountId?", s()), ("userId?", s())]);
    let social_reply = Shape::OneOf(vec![
        Shape::object(&[("url", s()), ("redirect", b())]),
        Shape::object(&[
            ("redirect", b()),
            ("token", s()),
            ("url?", s()),
            ("user", user()),
        ]),
    ]);
    all.push(endpoint(
        "signInSocial",
        "/sign-in/social",
        Post,
        Public,
        Json(social(&[
            ("newUserCallbackURL?", s()),
            ("requestSignUp?", b()),
            ("loginHint?", s()),
        ])),
        Reply::Json(social_reply),
    ));
    all.push(endpoint(
        "callbackOAuth",
        "/callback/:id",
        Get,
        Public,
        NoBody,
        Reply::Redirect,
    ));
    all.push(endpoint(
        "callbackOAuth",
        "/callback/:id",
        Post,
        Public,
        JsonOrForm(Shape::Json),
        Reply::Redirect,
    ));
    all.push(endpoint(
        "linkSocial",
        "/link-social",
        Post,
        Session,
        Json(social(&[])),
        Reply::Json(Shape::object(&[
            ("url", s()),
            ("redirect", b()),
            ("status?", b()),
        ])),
    ));
    all.push(endpoint(
        "getAccessToken",
        "/get-access-token",
        Post,
        Optional,
        Json(provider_account()),
        Reply::Json(Shape::object(&[
            ("accessToken", s()),
            ("accessTokenExpiresAt?", Shape::Date),
            ("scopes", s().array()),
            ("idToken?", s()),
        ])),
    ));
    all.push(endpoint(
        "refreshToken",
        "/refresh-token",
        Post,
        Optional,
        Json(provider_account()),
        Reply::Json(Shape::Json),
    ));
    all.push(query(
        endpoint(
            "accountInfo",
            "/account-info",
            Get,
            Session,
            NoBody,
            Reply::Json(Shape::Json),
        ),
        &[("accountId?", s())],
    ));
    all.push(endpoint(
        "ok",
        "/ok",
        Get,
        Public,
        NoBody,
        Reply::Json(Shape::object(&[("ok", b())])),
    ));
    all.push(query(
        endpoint("error", "/error", Get, Public, NoBody, Reply::Html),
        &[("error?", s()), ("error_description?", s())],
    ));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_segment_by_segment() {
        let callback = endpoint(
            "callbackOAuth",
            "/callback/:id",
            Method::Get,
            Access::Public,
            RequestBody::None,
            Reply::Redirect,
        );
        assert!(callback.matches(Method::Get, "/callback/github"));
        assert!(!callback.matches(Method::Post, "/callback/github"));
        assert!(!callback.matches(Method::Get, "/callback/"));
        assert!(!callback.matches(Method::Get, "/callback/github/"));
        assert!(!callback.matches(Method::Get, "/callback"));
    }

    #[test]
    fn email_and_password_routes_follow_the_config() {
        let off = Config::parse("auth.toml", "").unwrap_or_else(|e| panic!("{e}"));
        let on = Config::parse("auth.toml", "[email-and-password]\nenabled = true\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let has = |config: &Config, path: &str| endpoints(config).iter().any(|e| e.path == path);
        assert!(!has(&off, "/sign-in/email") && has(&on, "/sign-in/email"));
        assert!(has(&off, "/get-session") && has(&on, "/get-session"));
    }
}
