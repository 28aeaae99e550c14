//! The logic of `#[derive(AuthModel)]`, on `proc_macro2` so it is unit-tested without a compiler
//! in the loop; `auth-macros` only forwards to [`expand`]. Semver-exempt: its only caller is
//! `auth-macros` of the same version.
//!
//! The derive reads `auth.toml` at compile time, checks the struct against the model's
//! additional fields (those with `Origin::Config`; core and plugin fields are the runtime's), and
//! reports every mismatch with a span on the offending field. On success it implements
//! [`crate::model::AuthModel`].

mod api;
mod attrs;
mod check;
mod generate;
mod rust_type;

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use syn::{Data, DeriveInput, Fields, LitStr};

use crate::config::Config;
use crate::schema::Schema;

pub use api::{expand_api, expand_api_in};

/// The config file when the struct names none, relative to `CARGO_MANIFEST_DIR`.
const DEFAULT_CONFIG: &str = "auth.toml";

/// Expands `#[derive(AuthModel)]` for the crate being compiled (`CARGO_MANIFEST_DIR`).
pub fn expand(input: TokenStream) -> TokenStream {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    expand_in(input, &manifest_dir)
}

/// Expands with `config = "…"` paths taken relative to `manifest_dir`.
pub fn expand_in(input: TokenStream, manifest_dir: &Path) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    let fields = match struct_fields(&input) {
        Ok(fields) => fields,
        Err(error) => return error.into_compile_error(),
    };
    let attrs = match attrs::model_attrs(&input.ident, &input.attrs) {
        Ok(attrs) => attrs,
        Err(error) => {
            return failed(&input.ident, "", None, error);
        }
    };
    let model = attrs.model.value();
    let (relative, config_span) = match &attrs.config {
        Some(config) => (config.value(), config),
        None => (DEFAULT_CONFIG.to_owned(), &attrs.model),
    };
    let absolute = manifest_dir.join(&relative);
    let loaded = load(
        &absolute,
        &relative,
        config_span,
        "point #[auth(config = \"…\")] at your auth.toml",
    );
    // Depend on the file whenever it exists, so fixing auth.toml re-runs the derive.
    let tracked = absolute.is_file().then_some(absolute.as_path());
    let (config, schema) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return failed(&input.ident, &model, tracked, error),
    };
    let fields = match check::check(&input.ident, &attrs.model, fields, &config, &schema) {
        Ok(fields) => fields,
        Err(error) => return failed(&input.ident, &model, tracked, error),
    };
    generate::implementation(&input.ident, &model, tracked, &fields)
}

fn struct_fields(input: &DeriveInput) -> syn::Result<&syn::FieldsNamed> {
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "an AuthModel struct cannot be generic: its fields are fixed by auth.toml",
        ));
    }
    match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => Ok(named),
            _ => Err(syn::Error::new(
                input.ident.span(),
                "AuthModel needs a struct with named fields (one per additional field in auth.toml)",
            )),
        },
        _ => Err(syn::Error::new(
            input.ident.span(),
            "AuthModel can only be derived for a struct with named fields",
        )),
    }
}

/// Reads, parses and resolves the config; an error names `auth.toml:line:col`.
fn load(
    absolute: &Path,
    relative: &str,
    span: &LitStr,
    hint: &str,
) -> syn::Result<(Config, Schema)> {
    let source = std::fs::read_to_string(absolute).map_err(|error| {
        syn::Error::new(
            span.span(),
            format!("cannot read {relative} (relative to CARGO_MANIFEST_DIR): {error}; {hint}"),
        )
    })?;
    let wrap = |error: crate::ConfigError| {
        let help = error
            .help()
            .map(|help| format!("\n  help: {help}"))
            .unwrap_or_default();
        syn::Error::new(span.span(), format!("{error}{help}"))
    };
    let config = Config::parse(relative, source).map_err(wrap)?;
    let schema = Schema::build(&config).map_err(wrap)?;
    Ok((config, schema))
}

/// The errors, plus a skeleton impl so the user sees them and not a flood of "AuthModel is not
/// implemented" errors where the struct is used.
fn failed(
    ident: &syn::Ident,
    model: &str,
    tracked: Option<&Path>,
    error: syn::Error,
) -> TokenStream {
    let mut tokens = error.into_compile_error();
    tokens.extend(generate::skeleton(ident, model, tracked));
    tokens
}

#[cfg(test)]
mod tests;
