//! `#[auth(...)]` on the struct (`model`, `config`) and on fields (`rename`).

use syn::{Attribute, LitStr};

/// The struct's `#[auth(model = "…", config = "…")]`.
pub(super) struct ModelAttrs {
    pub(super) model: LitStr,
    pub(super) config: Option<LitStr>,
}

pub(super) fn model_attrs(ident: &syn::Ident, attrs: &[Attribute]) -> syn::Result<ModelAttrs> {
    let mut model = None;
    let mut config = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("auth")) {
        attr.parse_nested_meta(|meta| {
            let slot = if meta.path.is_ident("model") {
                &mut model
            } else if meta.path.is_ident("config") {
                &mut config
            } else if meta.path.is_ident("rename") {
                return Err(meta.error("`rename` belongs on a field, not on the struct"));
            } else {
                return Err(meta.error(
                    "unknown #[auth] key: the struct takes `model = \"…\"` and `config = \"…\"`",
                ));
            };
            if slot.is_some() {
                return Err(meta.error("given twice"));
            }
            *slot = Some(meta.value()?.parse::<LitStr>()?);
            Ok(())
        })?;
    }
    let model = model.ok_or_else(|| {
        syn::Error::new(
            ident.span(),
            "#[derive(AuthModel)] needs the model: add #[auth(model = \"user\")] (a model key of auth.toml)",
        )
    })?;
    Ok(ModelAttrs { model, config })
}

/// A field's `#[auth(rename = "…")]`.
pub(super) fn rename(attrs: &[Attribute]) -> syn::Result<Option<LitStr>> {
    let mut rename = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("auth")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                if rename.is_some() {
                    return Err(meta.error("given twice"));
                }
                rename = Some(meta.value()?.parse::<LitStr>()?);
                Ok(())
            } else if meta.path.is_ident("model") || meta.path.is_ident("config") {
                Err(meta.error("`model` and `config` belong on the struct, not on a field"))
            } else {
                Err(meta.error(
                    "unknown #[auth] key: a field takes `rename = \"…\"` (its logical name in auth.toml)",
                ))
            }
        })?;
    }
    Ok(rename)
}
