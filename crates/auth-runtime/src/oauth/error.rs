//! [`OAuthError`]: what went wrong talking to a provider, and which better-auth redirect error
//! code the callback route answers with.

/// The step of a sign-in that failed; it decides [`OAuthError::redirect_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Building the authorization URL (including the discovery it may need).
    Authorization,
    /// Exchanging the authorization code for tokens (including discovery).
    CodeExchange,
    /// Refreshing the access token.
    Refresh,
    /// Reading the user: id-token verification, JWKS, userinfo endpoints.
    UserInfo,
    /// Verifying an id token given to `sign-in/social` directly.
    IdToken,
}

/// Everything that can go wrong talking to a provider. Never a panic: every provider answer
/// is checked and mapped to one of these.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The provider configuration cannot work (bad URL, missing client secret, …).
    #[error("OAuth provider misconfigured: {0}")]
    Config(String),
    /// The provider answered with an OAuth error (`{"error": "invalid_grant", …}`) or a non-2xx
    /// status.
    #[error("the provider refused the {operation:?} request ({status:?}): {error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Provider {
        /// The step that failed.
        operation: Operation,
        /// The HTTP status, if it was not 2xx.
        status: Option<u16>,
        /// The OAuth `error` code, or `http_<status>` without one.
        error: String,
        /// The OAuth `error_description`, if any.
        description: Option<String>,
    },
    /// The provider could not be reached (DNS, connection, TLS, timeout).
    #[error("cannot reach {url} ({operation:?}): {source}")]
    Network {
        /// The step that failed.
        operation: Operation,
        /// The URL that was requested.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The provider answered 2xx but not with what the protocol requires (not JSON, no
    /// `access_token`, no `sub`, …).
    #[error("unexpected answer from {url} ({operation:?}): {reason}")]
    BadResponse {
        /// The step that failed.
        operation: Operation,
        /// The URL that was requested.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The id token is malformed, unsigned, signed by an unknown key or with a bad signature, or
    /// its claims (`iss`, `aud`, `exp`, `iat`, `nonce`) do not hold.
    #[error("invalid id token ({operation:?}): {reason}")]
    InvalidIdToken {
        /// The step that failed.
        operation: Operation,
        /// What was wrong.
        reason: String,
    },
    /// The provider needs an id token to read the user, and the token response had none.
    #[error("the token response carries no id token")]
    MissingIdToken,
    /// The provider does not sign users in with an id token (GitHub, Discord).
    #[error("this provider does not support id token sign-in")]
    IdTokenNotSupported,
}

impl OAuthError {
    /// The step that failed, where known.
    #[must_use]
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Self::Provider { operation, .. }
            | Self::Network { operation, .. }
            | Self::BadResponse { operation, .. }
            | Self::InvalidIdToken { operation, .. } => Some(*operation),
            Self::MissingIdToken => Some(Operation::UserInfo),
            Self::IdTokenNotSupported => Some(Operation::IdToken),
            Self::Config(_) => None,
        }
    }

    /// better-auth's `?error=` code for the callback redirect: a failed code exchange is
    /// `invalid_code`, a failure reading the user (id token, userinfo) is
    /// `unable_to_get_user_info`; configuration and other failures are
    /// `internal_server_error`.
    #[must_use]
    pub fn redirect_code(&self) -> &'static str {
        match self.operation() {
            Some(Operation::CodeExchange) => "invalid_code",
            Some(Operation::UserInfo) => "unable_to_get_user_info",
            Some(Operation::IdToken) => "invalid_token",
            Some(Operation::Refresh) => "failed_to_refresh_access_token",
            Some(Operation::Authorization) | None => "internal_server_error",
        }
    }
}
