//! better-auth's API errors: a status and a JSON body `{"message", "code"}`.

use http::StatusCode;

/// An error answer. `code` is what clients branch on (`client.$ERROR_CODES`); a few of
/// better-auth's errors carry only a message (`"No fields to update"`), so it is optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Option<&'static str>,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: Some(code),
            message: message.into(),
        }
    }

    /// An error of better-auth's `BASE_ERROR_CODES`, with its message.
    pub fn base(status: StatusCode, code: &'static str) -> Self {
        Self::new(status, code, message_of(code))
    }

    /// An error without a `code` (better-auth sends a handful of these).
    pub fn message_only(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code: None,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str) -> Self {
        Self::base(StatusCode::BAD_REQUEST, code)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Unauthorized")
    }

    pub fn forbidden(code: &'static str) -> Self {
        Self::base(StatusCode::FORBIDDEN, code)
    }

    /// A request body or query that does not have the endpoint's shape (zod's messages).
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
    }

    /// A dependency (the database, the mail relay, a provider) failed: the request may be
    /// retried. Never a 500 with an empty body.
    pub fn unavailable(what: &str) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            format!("{what} is unavailable; try again"),
        )
    }

    /// The JSON body: `{"message": …, "code": …}` (message first, as better-call writes it).
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert("message".into(), self.message.clone().into());
        if let Some(code) = self.code {
            body.insert("code".into(), code.into());
        }
        serde_json::Value::Object(body)
    }
}

/// The message better-auth pairs with one of its error codes.
pub fn message_of(code: &str) -> &'static str {
    match code {
        "USER_NOT_FOUND" => "User not found",
        "FAILED_TO_CREATE_USER" => "Failed to create user",
        "FAILED_TO_CREATE_SESSION" => "Failed to create session",
        "FAILED_TO_UPDATE_USER" => "Failed to update user",
        "FAILED_TO_GET_SESSION" => "Failed to get session",
        "INVALID_PASSWORD" => "Invalid password",
        "INVALID_EMAIL" => "Invalid email",
        "INVALID_EMAIL_OR_PASSWORD" => "Invalid email or password",
        "INVALID_USER" => "Invalid user",
        "SOCIAL_ACCOUNT_ALREADY_LINKED" => "Social account already linked",
        "PROVIDER_NOT_FOUND" => "Provider not found",
        "INVALID_TOKEN" => "Invalid token",
        "TOKEN_EXPIRED" => "Token expired",
        "ID_TOKEN_NOT_SUPPORTED" => "id_token not supported",
        "FAILED_TO_GET_USER_INFO" => "Failed to get user info",
        "USER_EMAIL_NOT_FOUND" => "User email not found",
        "EMAIL_NOT_VERIFIED" => "Email not verified",
        "PASSWORD_TOO_SHORT" => "Password too short",
        "PASSWORD_TOO_LONG" => "Password too long",
        "USER_ALREADY_EXISTS" => "User already exists.",
        "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL" => "User already exists. Use another email.",
        "EMAIL_CAN_NOT_BE_UPDATED" => "Email can not be updated",
        "CHANGE_EMAIL_DISABLED" => "Change email is disabled",
        "CREDENTIAL_ACCOUNT_NOT_FOUND" => "Credential account not found",
        "SESSION_EXPIRED" => "Session expired. Re-authenticate to perform this action.",
        "FAILED_TO_UNLINK_LAST_ACCOUNT" => "You can't unlink your last account",
        "ACCOUNT_NOT_FOUND" => "Account not found",
        "USER_ALREADY_HAS_PASSWORD" => {
            "User already has a password. Provide that to delete the account."
        }
        "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED" => {
            "Cross-site navigation login blocked. This request appears to be a CSRF attack."
        }
        "VERIFICATION_EMAIL_NOT_ENABLED" => "Verification email isn't enabled",
        "EMAIL_ALREADY_VERIFIED" => "Email is already verified",
        "EMAIL_MISMATCH" => "Email mismatch",
        "SESSION_NOT_FRESH" => "Session is not fresh",
        "LINKED_ACCOUNT_ALREADY_EXISTS" => "Linked account already exists",
        "INVALID_ORIGIN" => "Invalid origin",
        "INVALID_CALLBACK_URL" => "Invalid callbackURL",
        "INVALID_REDIRECT_URL" => "Invalid redirectURL",
        "INVALID_ERROR_CALLBACK_URL" => "Invalid errorCallbackURL",
        "INVALID_NEW_USER_CALLBACK_URL" => "Invalid newUserCallbackURL",
        "MISSING_OR_NULL_ORIGIN" => "Missing or null Origin",
        "CALLBACK_URL_REQUIRED" => "callbackURL is required",
        "FAILED_TO_CREATE_VERIFICATION" => "Unable to create verification",
        "FIELD_NOT_ALLOWED" => "Field not allowed to be set",
        "VALIDATION_ERROR" => "Validation Error",
        "MISSING_FIELD" => "Field is required",
        "BODY_MUST_BE_AN_OBJECT" => "Body must be an object",
        "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED" => {
            "POST method requires deferSessionRefresh to be enabled in session config"
        }
        "PASSWORD_ALREADY_SET" => "User already has a password set",
        _ => "Error",
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        if let crate::store::StoreError::Rejected(refusal) = error {
            return refusal;
        }
        tracing::error!(%error, "store");
        Self::unavailable("the database")
    }
}

impl From<crate::secondary::StorageError> for ApiError {
    fn from(error: crate::secondary::StorageError) -> Self {
        tracing::error!(%error, "secondary storage");
        Self::unavailable("the secondary storage")
    }
}
