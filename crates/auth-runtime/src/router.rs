//! The table the pipeline routes from (the `Auth` layer): every endpoint of the registry —
//! core's and the enabled plugins' — beside its handler, looked up by better-auth's endpoint id
//! when the server is built. An endpoint without a handler is a start-up error, never a 404 at
//! run time.

use std::collections::HashMap;

use auth_core::endpoints::{Endpoint, Method};
use futures_util::future::BoxFuture;

use crate::Auth;
use crate::error::ApiError;
use crate::http::{Ctx, Reply};
use crate::session::SessionCtx;

/// What serves one endpoint. `session` is the caller's session as the endpoint's access rule
/// resolved it (always present for endpoints that require one).
pub(crate) type Handler =
    for<'a> fn(&'a Auth, &'a mut Ctx, Option<SessionCtx>) -> BoxFuture<'a, Result<Reply, ApiError>>;

/// Handlers by endpoint id, as core and each plugin declare them.
pub(crate) type Handlers = &'static [(&'static str, Handler)];

/// A registry endpoint that nothing serves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("endpoint {id} ({method} {path}) has no handler")]
pub struct MissingHandler {
    /// The endpoint's id (`signUpEmail`).
    pub id: &'static str,
    /// Its method.
    pub method: &'static str,
    /// Its path.
    pub path: &'static str,
}

#[derive(Debug)]
pub(crate) struct Router {
    endpoints: Vec<Endpoint>,
    /// `handlers[i]` serves `endpoints[i]`.
    handlers: Vec<Handler>,
    /// Endpoints without path parameters, by method and path.
    exact: HashMap<(Method, &'static str), usize>,
    /// Endpoints with a `:param` segment, tried in registry order.
    parameterised: Vec<usize>,
}

impl Router {
    pub(crate) fn new(
        endpoints: Vec<Endpoint>,
        tables: &[Handlers],
    ) -> Result<Self, MissingHandler> {
        let mut handlers = Vec::with_capacity(endpoints.len());
        let mut exact = HashMap::new();
        let mut parameterised = Vec::new();
        for (i, endpoint) in endpoints.iter().enumerate() {
            let handler = tables
                .iter()
                .flat_map(|table| table.iter())
                .find(|(id, _)| *id == endpoint.id)
                .map(|(_, handler)| *handler)
                .ok_or(MissingHandler {
                    id: endpoint.id,
                    method: endpoint.method.as_str(),
                    path: endpoint.path,
                })?;
            handlers.push(handler);
            if endpoint.path.contains("/:") {
                parameterised.push(i);
            } else {
                exact.entry((endpoint.method, endpoint.path)).or_insert(i);
            }
        }
        Ok(Self {
            endpoints,
            handlers,
            exact,
            parameterised,
        })
    }

    /// The endpoint `method path` (relative to the base path) hits, and its handler.
    pub(crate) fn find(&self, method: Method, path: &str) -> Option<(&Endpoint, Handler)> {
        let i = self.exact.get(&(method, path)).copied().or_else(|| {
            self.parameterised
                .iter()
                .copied()
                .find(|&i| self.endpoints[i].matches(method, path))
        })?;
        Some((&self.endpoints[i], self.handlers[i]))
    }

    pub(crate) fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }
}
