//! better-auth's error codes: the `code` of an error answer (what clients branch on,
//! `client.$ERROR_CODES`) with the message better-auth pairs with it. Core's are here; a plugin
//! declares its own beside its options. The runtime answers only with these constants, so a
//! misspelt code does not compile, and the TypeScript client lists them.

/// One error code and its message, as better-auth's `defineErrorCodes` makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode {
    pub code: &'static str,
    pub message: &'static str,
}

/// Declares each code as a constant and lists them all in `$all`.
macro_rules! error_codes {
    ($all:ident { $($name:ident => $message:literal,)+ }) => {
        $(
            #[doc = $message]
            pub const $name: ErrorCode = ErrorCode { code: stringify!($name), message: $message };
        )+
        /// Every code of this owner, in declaration order.
        pub const $all: &[ErrorCode] = &[$($name),+];
    };
}
pub(crate) use error_codes;

/// better-auth 1.7.25's `BASE_ERROR_CODES` that this server answers with, then the codes of
/// better-call and of the request pipeline (those answers carry a message of their own).
pub mod base {
    use super::ErrorCode;

    super::error_codes!(BASE {
        USER_NOT_FOUND => "User not found",
        FAILED_TO_CREATE_USER => "Failed to create user",
        FAILED_TO_CREATE_SESSION => "Failed to create session",
        FAILED_TO_UPDATE_USER => "Failed to update user",
        FAILED_TO_GET_SESSION => "Failed to get session",
        INVALID_PASSWORD => "Invalid password",
        INVALID_EMAIL => "Invalid email",
        INVALID_EMAIL_OR_PASSWORD => "Invalid email or password",
        INVALID_USER => "Invalid user",
        SOCIAL_ACCOUNT_ALREADY_LINKED => "Social account already linked",
        PROVIDER_NOT_FOUND => "Provider not found",
        INVALID_TOKEN => "Invalid token",
        TOKEN_EXPIRED => "Token expired",
        ID_TOKEN_NOT_SUPPORTED => "id_token not supported",
        FAILED_TO_GET_USER_INFO => "Failed to get user info",
        USER_EMAIL_NOT_FOUND => "User email not found",
        EMAIL_NOT_VERIFIED => "Email not verified",
        PASSWORD_TOO_SHORT => "Password too short",
        PASSWORD_TOO_LONG => "Password too long",
        USER_ALREADY_EXISTS => "User already exists.",
        USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL => "User already exists. Use another email.",
        EMAIL_CAN_NOT_BE_UPDATED => "Email can not be updated",
        CHANGE_EMAIL_DISABLED => "Change email is disabled",
        CREDENTIAL_ACCOUNT_NOT_FOUND => "Credential account not found",
        SESSION_EXPIRED => "Session expired. Re-authenticate to perform this action.",
        FAILED_TO_UNLINK_LAST_ACCOUNT => "You can't unlink your last account",
        ACCOUNT_NOT_FOUND => "Account not found",
        USER_ALREADY_HAS_PASSWORD => "User already has a password. Provide that to delete the account.",
        CROSS_SITE_NAVIGATION_LOGIN_BLOCKED => "Cross-site navigation login blocked. This request appears to be a CSRF attack.",
        VERIFICATION_EMAIL_NOT_ENABLED => "Verification email isn't enabled",
        EMAIL_ALREADY_VERIFIED => "Email is already verified",
        EMAIL_MISMATCH => "Email mismatch",
        SESSION_NOT_FRESH => "Session is not fresh",
        LINKED_ACCOUNT_ALREADY_EXISTS => "Linked account already exists",
        INVALID_ORIGIN => "Invalid origin",
        INVALID_CALLBACK_URL => "Invalid callbackURL",
        INVALID_REDIRECT_URL => "Invalid redirectURL",
        INVALID_ERROR_CALLBACK_URL => "Invalid errorCallbackURL",
        INVALID_NEW_USER_CALLBACK_URL => "Invalid newUserCallbackURL",
        MISSING_OR_NULL_ORIGIN => "Missing or null Origin",
        CALLBACK_URL_REQUIRED => "callbackURL is required",
        FAILED_TO_CREATE_VERIFICATION => "Unable to create verification",
        FIELD_NOT_ALLOWED => "Field not allowed to be set",
        VALIDATION_ERROR => "Validation Error",
        MISSING_FIELD => "Field is required",
        BODY_MUST_BE_AN_OBJECT => "Body must be an object",
        METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED => "POST method requires deferSessionRefresh to be enabled in session config",
        PASSWORD_ALREADY_SET => "User already has a password set",
        RESET_PASSWORD_DISABLED => "Reset password isn't enabled",
        REFRESH_TOKEN_NOT_FOUND => "Refresh token not found",
        FAILED_TO_REFRESH_ACCESS_TOKEN => "Failed to refresh access token",
        OAUTH_LINK_ERROR => "The provider refused to link the account",
        PROVIDER_ERROR => "The provider answered with an error",
        UNAUTHORIZED => "Unauthorized",
        TOO_MANY_REQUESTS => "Too many requests. Please try again later.",
        BAD_REQUEST => "Bad request",
        PAYLOAD_TOO_LARGE => "The request body is too large",
        UNSUPPORTED_MEDIA_TYPE => "This content type is not allowed",
        REQUEST_TIMEOUT => "The request body did not arrive in time",
        SERVICE_UNAVAILABLE => "The service is unavailable; try again",
        NOT_FOUND => "Not found",
        // better-auth answers this one with a message and no code; clients may branch on ours.
        NO_FIELDS_TO_UPDATE => "No fields to update",
    });
}

/// The codes a server with `plugins` answers with: core's, then each served plugin's (a code
/// two owners share, such as `EMAIL_NOT_VERIFIED`, once, with its first owner's message).
pub fn answered(plugins: &[crate::schema::Plugin]) -> Vec<ErrorCode> {
    let mut all: Vec<ErrorCode> = base::BASE.to_vec();
    for declaration in crate::plugins::DECLARED {
        if plugins.contains(&declaration.plugin) {
            for code in declaration.errors {
                if !all.iter().any(|c| c.code == code.code) {
                    all.push(*code);
                }
            }
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::base::BASE;

    #[test]
    fn codes_are_their_constants_names_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for code in BASE {
            assert!(seen.insert(code.code), "{} twice", code.code);
            assert!(
                code.code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{}",
                code.code
            );
            assert!(!code.message.is_empty(), "{}", code.code);
        }
    }
}
