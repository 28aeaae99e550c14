//! The endpoint registry: better-auth 1.7's REST API under `/api/auth` as data — path, method,
//! who may call it, what body it takes and what it answers. The runtime routes from it and the
//! client and OpenAPI generators read it, so there is one list, not two.

mod registry;
mod shape;

pub use registry::{Access, Endpoint, Method, Reply, RequestBody, endpoints};
pub(crate) use registry::{endpoint, new_password, password, query, status};
pub use shape::{EMAIL_PATTERN, MAX_EMAIL_LENGTH, Property, Shape};
