//! The minijinja templates the ORM schemas are rendered from: embedded from the repository's
//! `templates/`, each overridable by a file of the same name in a folder
//! (`generate --templates DIR`).

use std::path::{Path, PathBuf};

use serde::Serialize;

/// A template, by the artifact it renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Template {
    Drizzle,
    Prisma,
    Kysely,
    InitConfig,
}

impl Template {
    /// Its file name, in `templates/` and in a `--templates` folder.
    fn file_name(self) -> &'static str {
        match self {
            Self::Drizzle => "drizzle.ts.jinja",
            Self::Prisma => "schema.prisma.jinja",
            Self::Kysely => "kysely.ts.jinja",
            Self::InitConfig => "auth.toml.jinja",
        }
    }

    fn embedded(self) -> &'static str {
        match self {
            Self::Drizzle => include_str!("../../../../templates/drizzle.ts.jinja"),
            Self::Prisma => include_str!("../../../../templates/schema.prisma.jinja"),
            Self::Kysely => include_str!("../../../../templates/kysely.ts.jinja"),
            Self::InitConfig => include_str!("../../../../templates/auth.toml.jinja"),
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

    /// Renders `template` with `context`.
    pub(crate) fn render(
        &self,
        template: Template,
        context: impl Serialize,
    ) -> Result<String, EmitError> {
        let name = template.file_name();
        let overriding = self
            .dir
            .as_ref()
            .map(|dir| dir.join(name))
            .filter(|path| path.is_file());
        let source = match overriding {
            Some(path) => {
                std::fs::read_to_string(&path).map_err(|source| EmitError::Read { path, source })?
            }
            None => template.embedded().to_owned(),
        };
        let mut environment = minijinja::Environment::new();
        environment.set_trim_blocks(true);
        environment.set_lstrip_blocks(true);
        environment.set_keep_trailing_newline(true);
        environment
            .render_named_str(name, &source, context)
            .map_err(|source| EmitError::Render {
                name: name.to_owned(),
                source,
            })
    }
}
