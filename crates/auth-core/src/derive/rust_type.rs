//! Which `auth.toml` type a Rust field type holds, read from its syntax. The runtime conversions
//! (`model::FieldValue`) back the same table with trait impls, so a type that merely looks right
//! still fails to compile.

use syn::{GenericArgument, PathArguments, Type};

use crate::schema::FieldType;

/// A field's type as `auth.toml` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Shape {
    pub(super) ty: FieldType,
    /// `Option<T>`: `required = false`.
    pub(super) optional: bool,
}

const SUPPORTED: &str = "String (string), bool (boolean), an integer or float type (number), \
std::time::SystemTime or time::OffsetDateTime (date), serde_json::Value (json), Vec<String> \
(string[]), a Vec of numbers (number[]), or Option<…> of one of these (required = false)";

const NUMBERS: [&str; 12] = [
    "i8", "i16", "i32", "i64", "isize", "u8", "u16", "u32", "u64", "usize", "f32", "f64",
];

pub(super) fn shape(ty: &Type) -> syn::Result<Shape> {
    if let Some(inner) = generic_of(ty, "Option") {
        let inner = inner?;
        if generic_of(inner, "Option").is_some() {
            return Err(syn::Error::new_spanned(
                ty,
                "Option<Option<…>> has no meaning here: a field is either present or null",
            ));
        }
        return Ok(Shape {
            ty: plain(inner)?,
            optional: true,
        });
    }
    Ok(Shape {
        ty: plain(ty)?,
        optional: false,
    })
}

fn plain(ty: &Type) -> syn::Result<FieldType> {
    let unsupported = || {
        syn::Error::new_spanned(
            ty,
            format!("this type has no auth.toml type; use {SUPPORTED}"),
        )
    };
    if let Some(item) = generic_of(ty, "Vec") {
        let item = item?;
        return match plain(item) {
            Ok(FieldType::String) => Ok(FieldType::StringArray),
            Ok(FieldType::Number) => Ok(FieldType::NumberArray),
            _ => Err(syn::Error::new_spanned(
                ty,
                "only Vec<String> (string[]) and a Vec of numbers (number[]) are arrays in auth.toml; use serde_json::Value (json) for anything else",
            )),
        };
    }
    let Some(path) = type_path(ty) else {
        return Err(unsupported());
    };
    let Some(last) = path.segments.last() else {
        return Err(unsupported());
    };
    if !last.arguments.is_none() {
        return Err(unsupported());
    }
    let prefix: Vec<String> = path
        .segments
        .iter()
        .rev()
        .skip(1)
        .map(|s| s.ident.to_string())
        .collect();
    let qualified_by =
        |crates: &[&str]| prefix.is_empty() || prefix.iter().any(|p| crates.contains(&p.as_str()));
    let name = last.ident.to_string();
    match name.as_str() {
        "String" if qualified_by(&["string", "std", "alloc"]) => Ok(FieldType::String),
        "bool" if qualified_by(&["primitive"]) => Ok(FieldType::Boolean),
        n if NUMBERS.contains(&n) && qualified_by(&["primitive"]) => Ok(FieldType::Number),
        "Value" if qualified_by(&["serde_json", "model"]) => Ok(FieldType::Json),
        "SystemTime" if qualified_by(&["time", "std"]) => Ok(FieldType::Date),
        "OffsetDateTime" if qualified_by(&["time"]) => Ok(FieldType::Date),
        _ => Err(unsupported()),
    }
}

fn type_path(ty: &Type) -> Option<&syn::Path> {
    match ty {
        Type::Path(path) if path.qself.is_none() => Some(&path.path),
        Type::Group(group) => type_path(&group.elem),
        Type::Paren(paren) => type_path(&paren.elem),
        _ => None,
    }
}

/// `Some(T)` when `ty` is `name<T>` (`Option`, `Vec`), an error when it has the name but not
/// exactly one type argument.
fn generic_of<'a>(ty: &'a Type, name: &str) -> Option<syn::Result<&'a Type>> {
    let last = type_path(ty)?.segments.last()?;
    if last.ident != name {
        return None;
    }
    let argument = match &last.arguments {
        PathArguments::AngleBracketed(args) if args.args.len() == 1 => args.args.first(),
        _ => None,
    };
    Some(match argument {
        Some(GenericArgument::Type(inner)) => Ok(inner),
        _ => Err(syn::Error::new_spanned(
            ty,
            format!("{name} takes exactly one type here"),
        )),
    })
}

/// The Rust type to write for a field of this type.
pub(super) fn spelling(ty: FieldType, required: bool) -> String {
    let plain = match ty {
        FieldType::String => "String",
        FieldType::Number => "i64",
        FieldType::Boolean => "bool",
        FieldType::Date => "std::time::SystemTime",
        FieldType::Json => "serde_json::Value",
        FieldType::StringArray => "Vec<String>",
        FieldType::NumberArray => "Vec<f64>",
    };
    if required {
        plain.to_owned()
    } else {
        format!("Option<{plain}>")
    }
}

/// A type name for messages: "a string", "a number", …
pub(super) fn described(ty: FieldType) -> &'static str {
    match ty {
        FieldType::String => "a string",
        FieldType::Number => "a number",
        FieldType::Boolean => "a boolean",
        FieldType::Date => "a date",
        FieldType::Json => "json",
        FieldType::StringArray => "a string[]",
        FieldType::NumberArray => "a number[]",
    }
}
