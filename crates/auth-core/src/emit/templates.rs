//! The minijinja templates the ORM schemas and the clients are rendered from, and the fixed
//! source files the clients take in verbatim: embedded from the repository's `templates/`, each
//! overridable by a file of the same name in a folder (`generate --templates DIR`).

use std::path::{Path, PathBuf};

use serde::Serialize;

/// A file of `templates/`: a template, by the artifact it renders, or a fixed part of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Template {
    Drizzle,
    Prisma,
    Kysely,
    InitConfig,
    /// The TypeScript module (`generate --target typescript`).
    TypeScript,
    /// Its fixed part, a TypeScript source of its own, taken in verbatim.
    TypeScriptRuntime,
    /// The Rust client module (`generate --target rust`).
    Rust,
    /// Its fixed part, a Rust source of its own, taken in verbatim.
    RustRuntime,
    /// One model, request or response type of the Rust modules, included by both.
    RustType,
    /// The module `auth_macros::api!` expands to.
    RustApi,
}

/// Every file, to find one by name when a template includes it.
const ALL: [Template; 10] = [
    Template::Drizzle,
    Template::Prisma,
    Template::Kysely,
    Template::InitConfig,
    Template::TypeScript,
    Template::TypeScriptRuntime,
    Template::Rust,
    Template::RustRuntime,
    Template::RustType,
    Template::RustApi,
];

impl Template {
    /// Its file name, in `templates/` and in a `--templates` folder.
    fn file_name(self) -> &'static str {
        match self {
            Self::Drizzle => "drizzle.ts.jinja",
            Self::Prisma => "schema.prisma.jinja",
            Self::Kysely => "kysely.ts.jinja",
            Self::InitConfig => "auth.toml.jinja",
            Self::TypeScript => "client.ts.jinja",
            Self::TypeScriptRuntime => "client-runtime.ts",
            Self::Rust => "client.rs.jinja",
            Self::RustRuntime => "client-runtime.rs",
            Self::RustType => "rust-type.rs.jinja",
            Self::RustApi => "api.rs.jinja",
        }
    }

    fn embedded(self) -> &'static str {
        match self {
            Self::Drizzle => include_str!("../../../../templates/drizzle.ts.jinja"),
            Self::Prisma => include_str!("../../../../templates/schema.prisma.jinja"),
            Self::Kysely => include_str!("../../../../templates/kysely.ts.jinja"),
            Self::InitConfig => include_str!("../../../../templates/auth.toml.jinja"),
            Self::TypeScript => include_str!("../../../../templates/client.ts.jinja"),
            Self::TypeScriptRuntime => include_str!("../../../../templates/client-runtime.ts"),
            Self::Rust => include_str!("../../../../templates/client.rs.jinja"),
            Self::RustRuntime => include_str!("../../../../templates/client-runtime.rs"),
            Self::RustType => include_str!("../../../../templates/rust-type.rs.jinja"),
            Self::RustApi => include_str!("../../../../templates/api.rs.jinja"),
        }
    }
}

/// Where templates come from: the embedded ones, or a folder's files where it has one of the
/// same name.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    dir: Option<PathBuf>,
}

/// Why an artifact could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    #[error("cannot read template {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("template {name}: {source:#}")]
    Render {
        name: String,
        source: minijinja::Error,
    },
    /// An endpoint's shape the generator cannot name (a bug of the registry, not of the input).
    #[error("cannot type an endpoint: {0}")]
    Shape(String),
}

impl Templates {
    /// The embedded templates.
    pub fn embedded() -> Self {
        Self::default()
    }

    /// `dir`'s templates where it has one, the embedded ones otherwise.
    pub fn overridden_by(dir: &Path) -> Self {
        Self {
            dir: Some(dir.to_owned()),
        }
    }

    /// The text of `file`: the folder's, or the embedded one.
    pub(crate) fn source(&self, file: Template) -> Result<String, EmitError> {
        source(self.dir.as_deref(), file)
    }

    /// Renders `template` with `context`; what it includes (`{% include "rust-type.rs.jinja" %}`)
    /// is looked up by file name in the same way.
    pub(crate) fn render(
        &self,
        template: Template,
        context: impl Serialize,
    ) -> Result<String, EmitError> {
        let name = template.file_name();
        let text = self.source(template)?;
        let mut environment = minijinja::Environment::new();
        environment.set_trim_blocks(true);
        environment.set_lstrip_blocks(true);
        environment.set_keep_trailing_newline(true);
        let dir = self.dir.clone();
        environment.set_loader(move |included| {
            let Some(file) = ALL.into_iter().find(|t| t.file_name() == included) else {
                return Ok(None);
            };
            source(dir.as_deref(), file).map(Some).map_err(|error| {
                minijinja::Error::new(minijinja::ErrorKind::TemplateNotFound, error.to_string())
            })
        });
        environment
            .render_named_str(name, &text, context)
            .map_err(|source| EmitError::Render {
                name: name.to_owned(),
                source,
            })
    }
}

/// `file` from `dir` where it has one, embedded otherwise.
fn source(dir: Option<&Path>, file: Template) -> Result<String, EmitError> {
    let overriding = dir
        .map(|dir| dir.join(file.file_name()))
        .filter(|path| path.is_file());
    match overriding {
        Some(path) => {
            std::fs::read_to_string(&path).map_err(|source| EmitError::Read { path, source })
        }
        None => Ok(file.embedded().to_owned()),
    }
}
