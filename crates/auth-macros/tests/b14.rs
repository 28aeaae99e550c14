//! B14 `returned-false` (derive half): `input` governs writes and `returned` governs reads,
//! independently — all 8 combinations of input × returned × required, through the derive.

use auth_core::model::{AuthModel, Map, ModelError, Value, Write};
use auth_core::{Config, Schema};

#[derive(Debug, PartialEq, auth_macros::AuthModel)]
#[auth(model = "user", config = "tests/fixtures/b14.toml")]
struct UserFields {
    write_shown_required: String,
    write_shown_optional: Option<String>,
    write_hidden_required: String,
    write_hidden_optional: Option<String>,
    fixed_shown_required: String,
    fixed_shown_optional: Option<String>,
    fixed_hidden_required: String,
    fixed_hidden_optional: Option<String>,
}

/// (field, input, returned, required), read off the name.
fn combinations() -> Vec<(&'static str, bool, bool, bool)> {
    UserFields::FIELDS
        .iter()
        .map(|f| {
            (
                f.field,
                f.field.starts_with("write"),
                f.field.contains("Shown"),
                f.field.ends_with("Required"),
            )
        })
        .collect()
}

fn full() -> UserFields {
    let s = |v: &str| v.to_owned();
    UserFields {
        write_shown_required: s("a"),
        write_shown_optional: Some(s("b")),
        write_hidden_required: s("c"),
        write_hidden_optional: Some(s("d")),
        fixed_shown_required: s("e"),
        fixed_shown_optional: Some(s("f")),
        fixed_hidden_required: s("g"),
        fixed_hidden_optional: Some(s("h")),
    }
}

fn names(values: &[(&'static str, Value)]) -> Vec<&'static str> {
    values.iter().map(|(field, _)| *field).collect()
}

fn body(fields: &[&str]) -> Map<String, Value> {
    fields
        .iter()
        .map(|f| ((*f).to_owned(), Value::String("x".to_owned())))
        .collect()
}

#[test]
fn b14_returned_false() {
    let combinations = combinations();
    assert_eq!(combinations.len(), 8);
    let mut seen: Vec<(bool, bool, bool)> = combinations.iter().map(|c| (c.1, c.2, c.3)).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 8, "every combination once");
    for (spec, (field, input, returned, required)) in UserFields::FIELDS.iter().zip(&combinations) {
        assert_eq!(
            (spec.input, spec.returned, spec.required),
            (*input, *returned, *required),
            "{field}: the IR fragment carries auth.toml's flags"
        );
    }

    let user = full();
    let writable: Vec<&str> = combinations.iter().filter(|c| c.1).map(|c| c.0).collect();
    let shown: Vec<&str> = combinations.iter().filter(|c| c.2).map(|c| c.0).collect();
    assert_eq!(
        names(&user.input_values()),
        writable,
        "input alone decides writes"
    );
    assert_eq!(
        names(&user.returned_values()),
        shown,
        "returned alone decides reads"
    );
    assert_eq!(
        user.to_values().len(),
        8,
        "the runtime itself writes every field"
    );

    // A client may write every input field, returned or not (#7489: returned = false blocked it).
    let accepted = UserFields::validate_input(&body(&writable), Write::Create);
    assert_eq!(accepted.as_deref().map(names), Ok(writable.clone()));
    // …and no field with input = false, returned or not.
    for (field, input, _, _) in &combinations {
        if !input {
            let mut attempt = body(&writable);
            attempt.insert((*field).to_owned(), Value::String("x".to_owned()));
            assert_eq!(
                UserFields::validate_input(&attempt, Write::Create),
                Err(ModelError::NotInput {
                    model: "user",
                    field
                })
            );
        }
    }
    // Required applies to input fields on create only; optional ones may be left out.
    for (field, input, _, required) in &combinations {
        let without: Vec<&str> = writable.iter().copied().filter(|w| w != field).collect();
        let create = UserFields::validate_input(&body(&without), Write::Create);
        let update = UserFields::validate_input(&body(&without), Write::Update);
        if *input && *required {
            assert_eq!(
                create,
                Err(ModelError::Missing {
                    model: "user",
                    field
                })
            );
        } else {
            assert!(create.is_ok(), "{field}: {create:?}");
        }
        assert!(update.is_ok(), "{field}: {update:?}");
    }

    // Reading a row sees every column, hidden ones included: returned shapes responses only.
    let row: Map<String, Value> = user
        .to_values()
        .into_iter()
        .map(|(field, value)| (field.to_owned(), value))
        .collect();
    assert_eq!(UserFields::from_values(&row), Ok(full()));
    let mut sparse = row.clone();
    for (field, _, _, required) in &combinations {
        if !required {
            sparse.remove(*field);
        }
    }
    let read = UserFields::from_values(&sparse).map(|u| u.to_values().len());
    assert_eq!(read, Ok(8));
    let mut incomplete = row;
    incomplete.insert("fixedHiddenRequired".to_owned(), Value::Null);
    assert_eq!(
        UserFields::from_values(&incomplete),
        Err(ModelError::Missing {
            model: "user",
            field: "fixedHiddenRequired"
        })
    );
}

#[test]
fn the_struct_agrees_with_the_schema_built_at_run_time() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/b14.toml");
    let config = Config::load(path)?;
    assert_eq!(UserFields::check_against(&Schema::build(&config)?), Ok(()));

    let changed = config.source.replace(
        "[models.user.fields.writeShownOptional]\ntype = \"string\"",
        "[models.user.fields.writeShownOptional]\ntype = \"number\"",
    );
    let drifted = Schema::build(&Config::parse("auth.toml", changed)?)?;
    let error = UserFields::check_against(&drifted)
        .err()
        .map(|e| e.to_string());
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("`writeShownOptional` was compiled as type = \"string\"")),
        "{error:?}"
    );

    let fewer = Schema::build(&Config::parse("auth.toml", "")?)?;
    let error = UserFields::check_against(&fewer)
        .err()
        .map(|e| e.to_string());
    assert!(
        error.as_deref().is_some_and(
            |e| e.contains("`writeShownRequired` is in the struct but not in the schema")
        ),
        "{error:?}"
    );
    Ok(())
}
