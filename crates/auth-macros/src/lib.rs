//! `#[derive(AuthModel)]`: checks a struct of a model's additional fields against `auth.toml` at
//! compile time and implements `auth_core::model::AuthModel` for it.
//!
//! A thin shim: the parsing, the checks and the expansion live in `auth_core::derive`, where they
//! are unit-tested on the pretty-printed expansion. The crate using the derive depends on
//! `auth-core` (the generated code names `::auth_core::model`).
//!
//! ```ignore
//! #[derive(auth_macros::AuthModel)]
//! #[auth(model = "user")] // reads CARGO_MANIFEST_DIR/auth.toml unless `config = "…"`
//! pub struct UserFields {
//!     pub plan: Option<String>,              // required = false
//!     pub notification_tokens: Vec<String>,  // type = "string[]"
//!     #[auth(rename = "tenantId")]
//!     pub tenant: Option<String>,
//! }
//! ```

use proc_macro::TokenStream;

/// See the crate documentation.
#[proc_macro_derive(AuthModel, attributes(auth))]
pub fn derive_auth_model(input: TokenStream) -> TokenStream {
    auth_core::derive::expand(input.into()).into()
}

/// `auth_macros::api!(pub mod auth_api)` (reads `CARGO_MANIFEST_DIR/auth.toml` unless
/// `, config = "…"` follows): a module with the project's model types, the request and response
/// type of every endpoint `auth.toml` enables, and `Api`, one typed async method per endpoint
/// over a running `auth_runtime::Auth` — the same handlers as HTTP. The crate using it depends on
/// `auth-runtime`, `serde` (with `derive`) and `serde_json`.
///
/// ```ignore
/// auth_macros::api!(pub mod auth_api);
///
/// let body = auth_api::SignUpEmailBody { name: "Ada".into(), email: "ada@example.com".into(),
///     password: "correct horse battery".into(), ..Default::default() };
/// let answer = auth_api::Api::new(&auth).sign_up_email(&body, &headers).await?;
/// let user: &auth_api::User = &answer.body.user;
/// ```
#[proc_macro]
pub fn api(input: TokenStream) -> TokenStream {
    auth_core::derive::expand_api(input.into()).into()
}
