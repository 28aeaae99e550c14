//! The logic of `auth_macros::api!(pub mod auth_api)`: a module with the project's types (models
//! with their additional and plugin fields, the request and response of every endpoint its
//! `auth.toml` enables) and `Api`, a typed method per endpoint over the running server
//! ([`crate::emit::rust_server`]). An endpoint of a plugin `auth.toml` leaves out has no method:
//! calling it does not compile.

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token, Visibility};

use super::{DEFAULT_CONFIG, load};

/// `pub mod auth_api` and, optionally, `, config = "auth.toml"`.
struct Input {
    vis: Visibility,
    name: Ident,
    config: Option<LitStr>,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let vis = input.parse()?;
        input.parse::<Token![mod]>()?;
        let name = input.parse()?;
        let mut config = None;
        if input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
            let key: Ident = input.parse()?;
            if key != "config" {
                return Err(syn::Error::new(
                    key.span(),
                    "expected `config = \"path/to/auth.toml\"`",
                ));
            }
            input.parse::<Token![=]>()?;
            config = Some(input.parse()?);
            input.parse::<Option<Token![,]>>()?;
        }
        Ok(Self { vis, name, config })
    }
}

/// Expands `api!` for the crate being compiled (`CARGO_MANIFEST_DIR`).
pub fn expand_api(input: TokenStream) -> TokenStream {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    expand_api_in(input, &manifest_dir)
}

/// Expands with the config path taken relative to `manifest_dir`.
pub fn expand_api_in(input: TokenStream, manifest_dir: &Path) -> TokenStream {
    let Input { vis, name, config } = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    let config = config.unwrap_or_else(|| LitStr::new(DEFAULT_CONFIG, name.span()));
    let absolute = manifest_dir.join(config.value());
    let hint = "name it with `api!(pub mod auth_api, config = \"…\")`";
    let items = load(&absolute, &config.value(), &config, hint).and_then(|(config, schema)| {
        let endpoints = crate::endpoints::endpoints(&config);
        let code = crate::emit::rust_server(&schema, &endpoints)
            .map_err(|error| syn::Error::new(name.span(), error))?;
        code.parse::<TokenStream>()
            .map_err(|error| syn::Error::new(name.span(), error.to_string()))
    });
    let items = items.unwrap_or_else(syn::Error::into_compile_error);
    // Depend on the file, so a change to auth.toml re-runs the macro.
    let tracked = absolute
        .is_file()
        .then(|| absolute.display().to_string())
        .map(|path| quote! { const _: &[u8] = include_bytes!(#path); });
    quote! {
        #[allow(dead_code, unreachable_pub, missing_docs, missing_debug_implementations, clippy::all)]
        #vis mod #name {
            #tracked
            #items
        }
    }
}
