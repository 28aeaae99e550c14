//! The expansion, pretty-printed and snapshotted; errors as the `compile_error!`s they become.

use std::path::Path;

use quote::quote;

use super::expand_in;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The expansion as Rust source, with the machine's path to the crate redacted.
fn expand(input: proc_macro2::TokenStream) -> String {
    let tokens = expand_in(input, manifest_dir());
    let file: syn::File = match syn::parse2(tokens.clone()) {
        Ok(file) => file,
        Err(error) => panic!("the expansion does not parse ({error}): {tokens}"),
    };
    prettyplease::unparse(&file).replace(
        manifest_dir().to_str().unwrap_or("<non-utf8>"),
        "$CARGO_MANIFEST_DIR",
    )
}

/// The messages of the `compile_error!`s in an expansion.
fn errors(input: proc_macro2::TokenStream) -> Vec<String> {
    let tokens = expand_in(input, manifest_dir());
    let file: syn::File = match syn::parse2(tokens) {
        Ok(file) => file,
        Err(error) => panic!("the expansion does not parse: {error}"),
    };
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Macro(mac) if mac.mac.path.segments.last()?.ident == "compile_error" => {
                syn::parse2::<syn::LitStr>(mac.mac.tokens.clone())
                    .ok()
                    .map(|lit| lit.value())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn user_fields_from_the_issue() {
    insta::assert_snapshot!(expand(quote! {
        #[auth(model = "user", config = "src/derive/fixtures/auth.toml")]
        pub struct UserFields {
            pub plan: Option<String>,
            pub notification_tokens: Vec<String>,
            #[auth(rename = "tenantId")]
            pub tenant: Option<String>,
        }
    }));
}

#[test]
fn every_type_and_flag_in_struct_order() {
    insta::assert_snapshot!(expand(quote! {
        #[auth(config = "src/derive/fixtures/auth.toml", model = "organization")]
        struct OrganizationFields {
            quotas: Option<Vec<f64>>,
            settings: Option<serde_json::Value>,
            renews_at: Option<std::time::SystemTime>,
            verified: bool,
            seats: u32,
        }
    }));
}

#[test]
fn mismatches_are_all_reported_with_a_skeleton() {
    insta::assert_snapshot!(expand(quote! {
        #[auth(model = "organization", config = "src/derive/fixtures/auth.toml")]
        struct OrganizationFields {
            quotas: Vec<f64>,
            settings: Option<String>,
            renews_at: Option<time::OffsetDateTime>,
            verified: Option<bool>,
            name: String,
            seat: i64,
        }
    }));
}

#[test]
fn type_mismatches_name_the_expected_type_and_the_line() {
    let cases = [
        (
            quote!(plan: Option<bool>),
            "`plan` is a string in auth.toml (src/derive/fixtures/auth.toml:4:21), but this type holds a boolean\n  help: use `Option<String>`",
        ),
        (
            quote!(plan: String),
            "`plan` is optional (required = false) in auth.toml (src/derive/fixtures/auth.toml:4:21), so the field is an Option\n  help: use `Option<String>`",
        ),
        (
            quote!(notification_tokens: Option<Vec<String>>),
            "`notificationTokens` is required (required = true) in auth.toml (src/derive/fixtures/auth.toml:7:21), so the field is a value, not an Option\n  help: use `Vec<String>`",
        ),
        (
            quote!(notification_tokens: Vec<i32>),
            "`notificationTokens` is a string[] in auth.toml (src/derive/fixtures/auth.toml:7:21), but this type holds a number[]\n  help: use `Vec<String>`",
        ),
        (
            quote!(notification_tokens: serde_json::Value),
            "`notificationTokens` is a string[] in auth.toml (src/derive/fixtures/auth.toml:7:21), but this type holds json\n  help: use `Vec<String>`",
        ),
        (
            quote!(plan: Option<std::time::SystemTime>),
            "`plan` is a string in auth.toml (src/derive/fixtures/auth.toml:4:21), but this type holds a date\n  help: use `Option<String>`",
        ),
    ];
    for (field, expected) in cases {
        let name = if field.to_string().starts_with("plan") {
            "plan"
        } else {
            "notification_tokens"
        };
        let others = [
            quote!(plan: Option<String>),
            quote!(notification_tokens: Vec<String>),
            quote!(tenant_id: Option<String>),
        ]
        .into_iter()
        .filter(|other| !other.to_string().starts_with(name));
        let messages = errors(quote! {
            #[auth(model = "user", config = "src/derive/fixtures/auth.toml")]
            struct UserFields { #field, #(#others),* }
        });
        assert_eq!(messages, vec![expected.to_owned()], "{field}");
    }
}

#[test]
fn unsupported_types_say_what_is() {
    for ty in [
        quote!(&'static str),
        quote!(Vec<bool>),
        quote!(Option<Option<String>>),
        quote!(my::String),
        quote!(std::collections::HashMap<String, String>),
    ] {
        let messages = errors(quote! {
            #[auth(model = "user", config = "src/derive/fixtures/auth.toml")]
            struct UserFields {
                plan: #ty,
                notification_tokens: Vec<String>,
                tenant_id: Option<String>,
            }
        });
        assert_eq!(messages.len(), 1, "{ty}: {messages:?}");
        assert!(
            messages[0].contains("auth.toml type")
                || messages[0].contains("arrays in auth.toml")
                || messages[0].contains("Option<Option"),
            "{ty}: {}",
            messages[0]
        );
    }
}

#[test]
fn config_errors_point_into_the_file() {
    assert_eq!(
        errors(quote! {
            #[auth(model = "user", config = "src/derive/fixtures/broken.toml")]
            struct UserFields { plan: Option<String> }
        }),
        vec![
            "src/derive/fixtures/broken.toml:3:8: unknown value `strng`\n  help: did you mean `string`?"
                .to_owned()
        ]
    );
    let missing = errors(quote! {
        #[auth(model = "user", config = "src/derive/fixtures/absent.toml")]
        struct UserFields { plan: Option<String> }
    });
    assert_eq!(missing.len(), 1);
    assert!(
        missing[0].starts_with(
            "cannot read src/derive/fixtures/absent.toml (relative to CARGO_MANIFEST_DIR): "
        ),
        "{}",
        missing[0]
    );
}

#[test]
fn unknown_models_and_attribute_mistakes() {
    let cases = [
        (
            quote! { #[auth(model = "usr", config = "src/derive/fixtures/auth.toml")] struct S {} },
            "unknown model `usr` in src/derive/fixtures/auth.toml\n  help: did you mean `user`?",
        ),
        (
            quote! { struct S { plan: Option<String> } },
            "#[derive(AuthModel)] needs the model: add #[auth(model = \"user\")] (a model key of auth.toml)",
        ),
        (
            quote! { #[auth(model = "user", table = "x")] struct S {} },
            "unknown #[auth] key: the struct takes `model = \"…\"` and `config = \"…\"`",
        ),
        (
            quote! { #[auth(model = "user", model = "user")] struct S {} },
            "given twice",
        ),
        (
            quote! { #[auth(rename = "x")] struct S {} },
            "`rename` belongs on a field, not on the struct",
        ),
        (
            quote! { #[auth(model = 1)] struct S {} },
            "expected string literal",
        ),
        (
            quote! { #[auth(model = "user")] enum S { A } },
            "AuthModel can only be derived for a struct with named fields",
        ),
        (
            quote! { #[auth(model = "user")] struct S<T>(T); },
            "an AuthModel struct cannot be generic: its fields are fixed by auth.toml",
        ),
    ];
    for (input, expected) in cases {
        let messages = errors(input.clone());
        assert_eq!(
            messages.first().map(String::as_str),
            Some(expected),
            "{input}"
        );
    }
}

#[test]
fn field_attribute_mistakes() {
    let messages = errors(quote! {
        #[auth(model = "user", config = "src/derive/fixtures/auth.toml")]
        struct UserFields {
            #[auth(model = "user")]
            plan: Option<String>,
            #[auth(rename = "plan")]
            also_plan: Option<String>,
            #[auth(rename = "notificationTokenz")]
            tokens: Vec<String>,
            email: String,
            tenant_id: Option<String>,
        }
    });
    assert_eq!(
        messages,
        vec![
            "`model` and `config` belong on the struct, not on a field",
            "`plan` and `also_plan` both hold `plan`",
            "`user` has no additional field `notificationTokenz` in auth.toml\n  help: did you mean `notificationTokens`? (#[auth(rename = \"notificationTokens\")] maps a Rust name to it)",
            "`user.email` belongs to better-auth's core, not to auth.toml's additional fields: the runtime owns it; remove it from this struct",
            "`UserFields` lacks a field of `user` declared in src/derive/fixtures/auth.toml: `notificationTokens`\n  help: add\n      pub notification_tokens: Vec<String>,  // src/derive/fixtures/auth.toml:7:21",
        ]
    );
}

#[test]
fn plugin_fields_belong_to_the_runtime() {
    let messages = errors(quote! {
        #[auth(model = "session", config = "src/derive/fixtures/auth.toml")]
        struct SessionFields { active_organization_id: Option<String> }
    });
    assert_eq!(
        messages,
        vec![
            "`session.activeOrganizationId` belongs to the organization plugin, not to auth.toml's additional fields: the runtime owns it; remove it from this struct"
        ]
    );
}

#[test]
fn the_config_is_tracked_even_when_it_is_wrong() {
    let expansion = expand(quote! {
        #[auth(model = "user", config = "src/derive/fixtures/broken.toml")]
        struct UserFields { plan: Option<String> }
    });
    assert!(
        expansion.contains("include_bytes!(")
            && expansion.contains("\"$CARGO_MANIFEST_DIR/src/derive/fixtures/broken.toml\""),
        "{expansion}"
    );
}

/// `api!`'s expansion as Rust source.
fn expand_api(input: proc_macro2::TokenStream) -> String {
    let tokens = super::expand_api_in(input, manifest_dir());
    let file: syn::File = match syn::parse2(tokens.clone()) {
        Ok(file) => file,
        Err(error) => panic!("the expansion does not parse ({error}): {tokens}"),
    };
    prettyplease::unparse(&file).replace(
        manifest_dir().to_str().unwrap_or("<non-utf8>"),
        "$CARGO_MANIFEST_DIR",
    )
}

#[test]
fn api_module_for_email_username_and_a_field() {
    let source = expand_api(quote! { pub mod auth_api, config = "src/derive/fixtures/api.toml" });
    insta::assert_snapshot!(source);
}

/// A plugin left out of auth.toml has no method: calling its endpoint does not compile.
#[test]
fn api_methods_follow_the_enabled_plugins() {
    let with = expand_api(quote! { mod auth_api, config = "src/derive/fixtures/api.toml" });
    assert!(with.contains("pub async fn sign_in_username("), "{with}");
    assert!(with.contains("pub plan: Option<String>"), "{with}");
    let without = expand_api(quote! { mod auth_api, config = "src/derive/fixtures/auth.toml" });
    assert!(!without.contains("sign_in_username"), "{without}");
    assert!(without.contains("pub async fn get_session("), "{without}");
}

#[test]
fn api_errors_name_the_config() {
    let missing = expand_api(quote! { mod auth_api, config = "no/such/auth.toml" });
    assert!(missing.contains("compile_error"), "{missing}");
    assert!(
        missing.contains("cannot read no/such/auth.toml"),
        "{missing}"
    );
    assert!(
        missing.contains("api!(pub mod auth_api, config"),
        "{missing}"
    );
    let tokens = super::expand_api_in(quote! { auth_api }, manifest_dir()).to_string();
    assert!(tokens.contains("compile_error"), "{tokens}");
    let tokens =
        super::expand_api_in(quote! { mod auth_api, path = "x" }, manifest_dir()).to_string();
    assert!(tokens.contains("expected `config"), "{tokens}");
}
