//! The minijinja templates the ORM schemas are rendered from: embedded from the repository's
//! `templates/`, each overridable by a file of the same name in a folder
//! (`generate --templates DIR`).

use std::path::{Path, PathBuf};

use serde::Serialize;

/// The embedded templates, by file name.
const EMBEDDED: [(&str, &str); 3] = [
    (
        "drizzle.ts.jinja",
        include_str!("../../../../templates/drizzle.ts.jinja"),
    ),
    (
        "schema.prisma.jinja",
        include_str!("../../../../templates/schema.prisma.jinja"),
    ),
    (
        "kysely.ts.jinja",
        include_str!("../../../../templates/kysely.ts.jinja"),
    ),
];

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

    /// Renders the template `name` (one of [`EMBEDDED`]'s) with `context`.
    pub(crate) fn render(&self, name: &str, context: impl Serialize) -> Result<String, EmitError> {
        let overriding = self
            .dir
            .as_ref()
            .map(|dir| dir.join(name))
            .filter(|path| path.is_file());
        let source = match overriding {
            Some(path) => {
                std::fs::read_to_string(&path).map_err(|source| EmitError::Read { path, source })?
            }
            None => EMBEDDED
                .iter()
                .find(|(embedded, _)| *embedded == name)
                .map(|(_, source)| (*source).to_owned())
                .unwrap_or_default(),
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
