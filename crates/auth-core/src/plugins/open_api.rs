//! better-auth's `openAPI` plugin: the server's own OpenAPI document (the one
//! `auth-cli generate --target openapi` writes) and an interactive reference page over it
//! (Scalar), whose script the server serves itself: the page works offline, with no CDN.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Declaration, no_amendment, static_path};
use crate::config::Config;
use crate::endpoints::{Access, Endpoint, Method, Reply, RequestBody, Shape, endpoint};
use crate::schema::Plugin;

/// `[plugins.open-api]`: better-auth's `openAPI({…})` options, kebab-case.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// The reference page's path, relative to the base path.
    #[serde(default = "default_path", deserialize_with = "path")]
    pub path: String,
    /// No reference page (the document is still served).
    #[serde(default)]
    pub disable_default_reference: bool,
    #[serde(default)]
    pub theme: Theme,
    /// Put on the page's scripts, for a Content-Security-Policy that names it.
    #[serde(default, deserialize_with = "nonce")]
    pub nonce: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            path: default_path(),
            disable_default_reference: false,
            theme: Theme::default(),
            nonce: None,
        }
    }
}

impl Options {
    /// The path of the page's script, beside the page.
    pub fn script_path(&self) -> String {
        format!("{}/{SCRIPT_FILE}", self.path.trim_end_matches('/'))
    }
}

/// The file name of the reference page's script (Scalar's standalone bundle).
pub const SCRIPT_FILE: &str = "scalar-api-reference.js";

/// Scalar's themes, by the names better-auth's `theme` option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Theme {
    Alternate,
    #[default]
    Default,
    Moon,
    Purple,
    Solarized,
    BluePlanet,
    Saturn,
    Kepler,
    Mars,
    DeepSpace,
    Laserwave,
    None,
}

impl Theme {
    /// Scalar's name of the theme.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alternate => "alternate",
            Self::Default => "default",
            Self::Moon => "moon",
            Self::Purple => "purple",
            Self::Solarized => "solarized",
            Self::BluePlanet => "bluePlanet",
            Self::Saturn => "saturn",
            Self::Kepler => "kepler",
            Self::Mars => "mars",
            Self::DeepSpace => "deepSpace",
            Self::Laserwave => "laserwave",
            Self::None => "none",
        }
    }
}

fn default_path() -> String {
    "/reference".to_owned()
}

fn path<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    super::plain_path(deserializer, "path")
}

/// A nonce goes into an HTML attribute: base64 characters only.
fn nonce<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let nonce = String::deserialize(deserializer)?;
    let base64 = nonce
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b));
    if nonce.is_empty() || !base64 {
        return Err(serde::de::Error::custom(
            "nonce must be a non-empty base64 value (letters, digits, '+', '/', '=', '_', '-')",
        ));
    }
    Ok(Some(nonce))
}

pub const DECLARATION: Declaration = Declaration {
    plugin: Plugin::OpenApi,
    endpoints,
    amend: no_amendment,
    check: super::no_check,
    errors: &[],
    rate_limits: &[],
};

fn endpoints(config: &Config) -> Vec<Endpoint> {
    let options = config.plugins.open_api_options();
    let document = Shape::object(&[
        ("openapi", Shape::String),
        ("info", Shape::Json),
        ("servers", Shape::Json),
        ("paths", Shape::Json),
        ("components", Shape::Json),
    ]);
    let mut all = vec![endpoint(
        "generateOpenAPISchema",
        "/open-api/generate-schema",
        Method::Get,
        Access::Public,
        RequestBody::None,
        Reply::Json(document),
    )];
    // better-auth answers 404 on a disabled page; here it is not routed at all.
    if !options.disable_default_reference {
        all.push(endpoint(
            "openAPIReference",
            static_path(&options.path),
            Method::Get,
            Access::Public,
            RequestBody::None,
            Reply::Html,
        ));
        all.push(endpoint(
            "openAPIReferenceScript",
            static_path(&options.script_path()),
            Method::Get,
            Access::Public,
            RequestBody::None,
            Reply::Script,
        ));
    }
    for endpoint in &mut all {
        endpoint.plugin = Some(Plugin::OpenApi);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(toml: &str) -> Vec<&'static str> {
        let config = Config::parse("auth.toml", toml).unwrap_or_else(|e| panic!("{e}"));
        endpoints(&config).iter().map(|e| e.path).collect()
    }

    #[test]
    fn the_page_follows_its_options() {
        assert_eq!(
            paths("[plugins.open-api]\n"),
            [
                "/open-api/generate-schema",
                "/reference",
                "/reference/scalar-api-reference.js"
            ]
        );
        assert_eq!(
            paths("[plugins.open-api]\npath = \"/docs/api\"\n"),
            [
                "/open-api/generate-schema",
                "/docs/api",
                "/docs/api/scalar-api-reference.js"
            ]
        );
        assert_eq!(
            paths("[plugins.open-api]\ndisable-default-reference = true\n"),
            ["/open-api/generate-schema"]
        );
    }

    #[test]
    fn bad_options_are_refused_at_their_line() {
        for (toml, key) in [
            ("[plugins.open-api]\npath = \"reference\"\n", "path"),
            ("[plugins.open-api]\npath = \"/a/../b\"\n", "path"),
            ("[plugins.open-api]\npath = \"/:id\"\n", "path"),
            ("[plugins.open-api]\nnonce = \"a\\\"b\"\n", "nonce"),
            ("[plugins.open-api]\ntheme = \"blue\"\n", "blue"),
        ] {
            let error = Config::parse("auth.toml", toml)
                .err()
                .unwrap_or_else(|| panic!("{toml} was accepted"));
            let text = error.to_string();
            assert!(text.contains("auth.toml:2:"), "{toml}: {text}");
            assert!(text.contains(key), "{toml}: {text}");
        }
        let config = Config::parse(
            "auth.toml",
            "[plugins.open-api]\ntheme = \"deepSpace\"\nnonce = \"r4nd0m+/=\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let options = config.plugins.open_api_options();
        assert_eq!(options.theme.as_str(), "deepSpace");
        assert_eq!(options.nonce.as_deref(), Some("r4nd0m+/="));
    }
}
