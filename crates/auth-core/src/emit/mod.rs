//! Generated artifacts besides SQL: an OpenAPI 3.1 document, a TypeScript module and a Rust module
//! (types for every model and endpoint, and a small typed client), all from the Schema IR and the endpoint
//! registry — the same list the runtime routes from.

mod openapi;
mod rust;
mod typescript;

pub use openapi::openapi;
pub use rust::{rust, rust_server};
pub use typescript::typescript;

pub(crate) use operation_name_of as operation_name;

use heck::{ToLowerCamelCase, ToUpperCamelCase};

use crate::endpoints::{Endpoint, Method};

/// `/sign-up/email` → `signUpEmail`; `/reset-password/:token` → `resetPasswordToken`; a second
/// endpoint on the same path gets its method appended (`callbackIdPost`).
pub fn operation_name_of(endpoint: &Endpoint, all: &[Endpoint]) -> String {
    let base = endpoint
        .path
        .split('/')
        .map(|segment| segment.trim_start_matches(':'))
        .collect::<Vec<_>>()
        .join("-")
        .to_lower_camel_case();
    let shared = all.iter().filter(|e| e.path == endpoint.path).count() > 1;
    if shared && endpoint.method == Method::Post {
        format!("{base}Post")
    } else {
        base
    }
}

/// `twoFactor` → `TwoFactor`.
pub(crate) fn type_name(model: &str) -> String {
    model.to_upper_camel_case()
}

/// The `:name` parameters of a path.
pub(crate) fn path_parameters(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix(':'))
        .collect()
}
