//! The `impl AuthModel` for a struct that matched its model, and the skeleton for one that did
//! not.

use std::path::Path;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use super::check::Checked;
use crate::schema::FieldType;

pub(super) fn implementation(
    ident: &Ident,
    model: &str,
    tracked: Option<&Path>,
    checked: &Checked,
) -> TokenStream {
    let track = track(tracked);
    let rust_of = |index: usize| {
        checked
            .fields
            .iter()
            .find(|(_, i)| *i == index)
            .map(|(ident, _)| ident.to_string().trim_start_matches("r#").to_owned())
            .unwrap_or_default()
    };
    let specs = checked.columns.iter().enumerate().map(|(index, column)| {
        let field = &column.field;
        let rust = rust_of(index);
        let ty = field_type(column.ty);
        let (required, input, returned) = (column.required, column.input, column.returned);
        let has_default = column.default.is_some();
        quote! {
            ::auth_core::model::FieldSpec {
                field: #field,
                rust: #rust,
                ty: ::auth_core::schema::FieldType::#ty,
                required: #required,
                input: #input,
                returned: #returned,
                has_default: #has_default,
            }
        }
    });
    // Values in auth.toml order, whatever the struct's order.
    let to_values = (0..checked.columns.len()).filter_map(|index| {
        let (member, _) = checked.fields.iter().find(|(_, i)| *i == index)?;
        let field = &checked.columns[index].field;
        Some(quote! {
            (#field, ::auth_core::model::FieldValue::to_value(&self.#member))
        })
    });
    let reads = checked.fields.iter().map(|(member, index)| {
        let index = proc_macro2::Literal::usize_unsuffixed(*index);
        quote! {
            #member: ::auth_core::model::read(values, Self::MODEL, &Self::FIELDS[#index])?
        }
    });
    quote! {
        #track
        impl ::auth_core::model::AuthModel for #ident {
            const MODEL: &'static str = #model;
            const FIELDS: &'static [::auth_core::model::FieldSpec] = &[#(#specs),*];

            fn to_values(&self) -> ::std::vec::Vec<(&'static str, ::auth_core::model::Value)> {
                ::std::vec::Vec::from([#(#to_values),*])
            }

            fn from_values(
                values: &::auth_core::model::Map<::std::string::String, ::auth_core::model::Value>,
            ) -> ::core::result::Result<Self, ::auth_core::model::ModelError> {
                ::core::result::Result::Ok(Self { #(#reads),* })
            }
        }
    }
}

/// A do-nothing impl next to the errors, so uses of the struct elsewhere do not add their own.
pub(super) fn skeleton(ident: &Ident, model: &str, tracked: Option<&Path>) -> TokenStream {
    let track = track(tracked);
    quote! {
        #track
        impl ::auth_core::model::AuthModel for #ident {
            const MODEL: &'static str = #model;
            const FIELDS: &'static [::auth_core::model::FieldSpec] = &[];

            fn to_values(&self) -> ::std::vec::Vec<(&'static str, ::auth_core::model::Value)> {
                ::std::vec::Vec::new()
            }

            fn from_values(
                _: &::auth_core::model::Map<::std::string::String, ::auth_core::model::Value>,
            ) -> ::core::result::Result<Self, ::auth_core::model::ModelError> {
                ::core::unreachable!("#[derive(AuthModel)] failed to compile")
            }
        }
    }
}

/// `include_bytes!` of the config makes cargo rebuild the crate when `auth.toml` changes
/// (`proc_macro::tracked_path` is not stable).
fn track(tracked: Option<&Path>) -> TokenStream {
    match tracked.and_then(Path::to_str) {
        Some(path) => quote! {
            const _: &[u8] = ::core::include_bytes!(#path);
        },
        None => TokenStream::new(),
    }
}

fn field_type(ty: FieldType) -> Ident {
    format_ident!(
        "{}",
        match ty {
            FieldType::String => "String",
            FieldType::Number => "Number",
            FieldType::Boolean => "Boolean",
            FieldType::Date => "Date",
            FieldType::Json => "Json",
            FieldType::StringArray => "StringArray",
            FieldType::NumberArray => "NumberArray",
        }
    )
}
