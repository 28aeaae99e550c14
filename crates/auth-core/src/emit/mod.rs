//! Generated artifacts besides SQL: an OpenAPI 3.1 document, a TypeScript module and a Rust module
//! (types for every model and endpoint, and a small typed client), all from the Schema IR and the endpoint
//! registry — the same list the runtime routes from; and schemas for better-auth's own ORM
//! adapters (Drizzle, Prisma, Kysely) from the Schema IR. All but OpenAPI are rendered from
//! minijinja templates (`templates/`, overridable); the clients' fixed parts are sources of their
//! own that the templates take in verbatim.

mod drizzle;
mod init;
mod kysely;
mod openapi;
mod prisma;
mod rust;
mod templates;
mod typescript;

pub use drizzle::drizzle;
pub use init::init_config;
pub use kysely::kysely;
pub use openapi::openapi;
pub use prisma::prisma;
pub use rust::{rust, rust_server};
pub use templates::{EmitError, Templates};
pub use typescript::typescript;

pub(crate) use operation_name_of as operation_name;

use heck::{ToLowerCamelCase, ToUpperCamelCase};

use crate::endpoints::{Endpoint, Method};
use crate::schema::{Column, Reference, Schema, Table};

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

/// A JavaScript identifier?
fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A TypeScript property key, quoted when it is not an identifier.
pub(crate) fn key(name: &str) -> String {
    if is_identifier(name) {
        name.to_owned()
    } else {
        format!("{name:?}")
    }
}

/// `object.name`, or `object["name"]` when `name` is not an identifier.
pub(crate) fn property(object: &str, name: &str) -> String {
    if is_identifier(name) {
        format!("{object}.{name}")
    } else {
        format!("{object}[{name:?}]")
    }
}

/// A reference between two models, with the names ORM schemas give its two ends: as better-auth's
/// own Drizzle generator names them, `user` on the referencing model (`ImpersonatedByUser` for
/// a second reference to the same model) and `sessions` (`sessionsByUserId`), or `session` for
/// a unique reference, on the referenced one. `name` identifies the pair.
#[derive(Debug)]
pub(crate) struct Link<'a> {
    pub(crate) table: &'a Table,
    pub(crate) column: &'a Column,
    pub(crate) reference: &'a Reference,
    pub(crate) name: String,
    pub(crate) forward: String,
    pub(crate) inverse: String,
}

/// Every reference of the schema, in table and column order.
pub(crate) fn links(schema: &Schema) -> Vec<Link<'_>> {
    let mut out = Vec::new();
    for table in &schema.tables {
        let references: Vec<(&Column, &Reference)> = table
            .columns
            .iter()
            .filter_map(|c| Some((c, c.references.as_ref()?)))
            .collect();
        for (i, &(column, reference)) in references.iter().enumerate() {
            let same_target = |(_, r): &&(&Column, &Reference)| r.model == reference.model;
            let twice = references.iter().filter(same_target).count() > 1;
            let forward = if references[..i].iter().any(|r| same_target(&r)) {
                format!(
                    "{}{}",
                    type_name(&column.field),
                    type_name(&reference.model)
                )
            } else {
                reference.model.clone()
            };
            let base = if column.unique || table.model.ends_with('s') {
                table.model.clone()
            } else {
                format!("{}s", table.model)
            };
            let inverse = if twice {
                format!("{base}By{}", type_name(&column.field))
            } else {
                base
            };
            out.push(Link {
                table,
                column,
                reference,
                name: format!("{}_{}", table.model, column.field),
                forward,
                inverse,
            });
        }
    }
    out
}
