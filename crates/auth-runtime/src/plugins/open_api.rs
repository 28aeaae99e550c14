//! open-api at run time, as better-auth 1.7.25's `openAPI` plugin: `GET /open-api/generate-schema`
//! answers the OpenAPI document of this server (the registry's, as `auth-cli generate --target
//! openapi` writes it), and `GET /reference` (`path`) a Scalar API reference page over it. Unlike
//! better-auth's page, which loads Scalar from a CDN, ours loads it from this server: the pinned
//! bundle in `vendor/scalar` is compiled into the binary, so the page works offline.

use auth_core::plugins::open_api::Options;
use auth_core::schema::Plugin;
use http::HeaderValue;
use http::header::CACHE_CONTROL;

use super::Runtime;
use crate::Auth;
use crate::error::ApiError;
use crate::http::Reply;
use crate::routes::escape_html;

/// Scalar's standalone bundle (`@scalar/api-reference`'s `dist/browser/standalone.js`).
const SCALAR: &[u8] = include_bytes!("../../vendor/scalar/standalone.js");
/// The npm version the bundle comes from, and its SHA-256 (`vendor/scalar/README.md`).
pub const SCALAR_VERSION: &str = "1.76.4";
/// The SHA-256 of the bundled file, checked by a test against the npm package.
pub const SCALAR_SHA256: &str = "93951f1794b0463b87ab58d0557a6610075af79a9f94c2a3f261c993bc7f3913";

pub(super) const RUNTIME: Runtime = Runtime {
    plugin: Plugin::OpenApi,
    handlers: &[
        ("generateOpenAPISchema", |auth, _, _| {
            Box::pin(async move { Ok(Reply::json(document(auth)?)) })
        }),
        ("openAPIReference", |auth, _, _| {
            Box::pin(async move { reference_page(auth) })
        }),
        ("openAPIReferenceScript", |_, ctx, _| {
            Box::pin(async move {
                // The bundle changes only with the binary: a day in any cache is safe.
                ctx.response_headers.insert(
                    CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=86400"),
                );
                Ok(Reply::script(SCALAR))
            })
        }),
    ],
    sign_in_guard: None,
    on_request: None,
    before: None,
    after: None,
    session_guard: None,
    database_hooks: None,
};

fn options(auth: &Auth) -> &Options {
    auth.inner.config.plugins.open_api_options()
}

/// The server's OpenAPI document: its schema and the endpoints it routes.
fn document(auth: &Auth) -> Result<serde_json::Value, ApiError> {
    auth_core::emit::openapi(auth.schema(), auth.endpoints(), auth.base_path()).map_err(|error| {
        tracing::error!(%error, "the OpenAPI document");
        ApiError::unavailable("the OpenAPI document")
    })
}

/// The reference page: the document inline (as better-auth's page has it), Scalar's bundle from
/// this server; no web fonts, telemetry, developer toolbar or AI agent, which would call Scalar's
/// hosts: nothing leaves for another host.
fn reference_page(auth: &Auth) -> Result<Reply, ApiError> {
    let options = options(auth);
    // `<`, `>` and `&` only occur inside JSON strings, where their escapes mean the same: the
    // document cannot close its <script> element.
    let document = document(auth)?
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    let nonce = options
        .nonce
        .as_deref()
        .map(|n| format!(" nonce=\"{n}\""))
        .unwrap_or_default();
    let title = escape_html(
        auth.inner
            .config
            .app_name
            .as_deref()
            .unwrap_or("Better Auth"),
    );
    let script = format!("{}{}", auth.base_path(), options.script_path());
    let theme = options.theme.as_str();
    Ok(Reply::html(format!(
        r##"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>{title} API Reference</title>
  </head>
  <body>
    <div id="app"></div>
    <script id="api-reference-document" type="application/json">{document}</script>
    <script src="{script}"{nonce}></script>
    <script{nonce}>
      Scalar.createApiReference("#app", {{
        content: JSON.parse(document.getElementById("api-reference-document").textContent),
        theme: "{theme}",
        withDefaultFonts: false,
        telemetry: false,
        showDeveloperTools: "never",
        agent: {{ disabled: true }},
        metaData: {{ title: "{title} API", description: "API Reference for your Better Auth Instance" }},
      }});
    </script>
  </body>
</html>
"##
    )))
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    /// The compiled-in bundle is the one `vendor/scalar/README.md` names (the browser test
    /// compares the same bytes with the npm package's).
    #[test]
    fn the_bundle_is_the_pinned_one() {
        let digest = Sha256::digest(SCALAR);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, SCALAR_SHA256);
        let readme = include_str!("../../vendor/scalar/README.md");
        assert!(readme.contains(SCALAR_SHA256) && readme.contains(SCALAR_VERSION));
    }
}
