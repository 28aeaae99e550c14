//! `--database-url`: which engine, and where.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use auth_core::Dialect;

use super::MigrateError;

/// A database named by URL. Shown (`Display`, `Debug`) with any password replaced by `***`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite:PATH`, `sqlite://PATH` (query parameters dropped) or a bare path ending in `.db`,
    /// `.sqlite` or `.sqlite3`.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, as given.
    Postgres(String),
    /// `mysql://…`, or `mariadb://…` with its scheme rewritten to `mysql://`.
    Mysql(String),
}

impl DatabaseUrl {
    /// Tells the database apart by its URL: `sqlite:PATH` (or a path ending in `.db`, `.sqlite`, `.sqlite3`), `postgres://`, `postgresql://`, `mysql://`, `mariadb://`.
    pub fn parse(url: &str) -> Result<Self, MigrateError> {
        let url = url.trim();
        let lower = url.to_ascii_lowercase();
        let rest = |scheme: &str| &url[scheme.len()..];
        if lower.starts_with("sqlite:") {
            let path = if lower.starts_with("sqlite://") {
                rest("sqlite://")
            } else {
                rest("sqlite:")
            };
            let path = path.split_once('?').map_or(path, |(path, _)| path);
            if path.is_empty() {
                return Err(MigrateError::Url(redact(url)));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if lower.starts_with("mysql://") {
            return Ok(Self::Mysql(url.to_owned()));
        }
        if lower.starts_with("mariadb://") {
            return Ok(Self::Mysql(format!("mysql://{}", rest("mariadb://"))));
        }
        let is_file = [".db", ".sqlite", ".sqlite3"]
            .iter()
            .any(|ext| lower.ends_with(ext));
        if is_file && !lower.contains("://") {
            return Ok(Self::Sqlite(PathBuf::from(url)));
        }
        Err(MigrateError::Url(redact(url)))
    }

    /// The dialect whose migrations folder applies (`<dir>/<dialect>`).
    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres(_) => Dialect::Postgres,
            Self::Mysql(_) => Dialect::Mysql,
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = MigrateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Postgres(url) | Self::Mysql(url) => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// `scheme://user:secret@host/…` → `scheme://user:***@host/…`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let Some((user, _password)) = userinfo.split_once(':') else {
        return url.to_owned();
    };
    format!("{scheme}://{user}:***@{host}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> DatabaseUrl {
        DatabaseUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn recognises_every_spelling() {
        let sqlite = |p: &str| DatabaseUrl::Sqlite(PathBuf::from(p));
        assert_eq!(parse("sqlite:app.db"), sqlite("app.db"));
        assert_eq!(
            parse("sqlite://data/app.db?mode=rwc"),
            sqlite("data/app.db")
        );
        assert_eq!(parse("sqlite:///tmp/app.db"), sqlite("/tmp/app.db"));
        assert_eq!(parse("./x/app.sqlite3"), sqlite("./x/app.sqlite3"));
        assert_eq!(parse("APP.DB"), sqlite("APP.DB"));
        assert_eq!(parse("postgresql://h/db").dialect(), Dialect::Postgres);
        assert_eq!(parse("postgres://h/db").dialect(), Dialect::Postgres);
        assert_eq!(
            parse("mariadb://root@h:3306/db"),
            DatabaseUrl::Mysql("mysql://root@h:3306/db".to_owned())
        );
        for bad in ["", "sqlite:", "app.txt", "oracle://h/x.db", "redis://h"] {
            assert!(DatabaseUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn never_shows_a_password() {
        let url = parse("postgres://me:s3cret@db.example:5432/app?sslmode=require");
        assert_eq!(
            url.to_string(),
            "postgres://me:***@db.example:5432/app?sslmode=require"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(redact("mysql://root@h/db"), "mysql://root@h/db");
        let error = DatabaseUrl::parse("oracle://u:pw@h/db")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("oracle://u:***@h/db"), "{error}");
    }
}
