use std::time::{Duration, SystemTime};

use serde_json::json;

use super::*;

fn round_trip<T: FieldValue + PartialEq + std::fmt::Debug>(value: T, ty: FieldType) {
    assert_eq!(T::TYPE, ty);
    let logical = value.to_value();
    assert_eq!(T::from_value(&logical).ok(), Some(value), "{logical}");
}

#[test]
fn rust_types_hold_their_auth_toml_types() {
    round_trip("pro".to_owned(), FieldType::String);
    round_trip(true, FieldType::Boolean);
    round_trip(-3_i32, FieldType::Number);
    round_trip(u64::MAX, FieldType::Number);
    round_trip(1.5_f64, FieldType::Number);
    round_trip(vec!["a".to_owned(), "b".to_owned()], FieldType::StringArray);
    round_trip(vec![1_i64, 2], FieldType::NumberArray);
    round_trip(json!({"a": [1, null]}), FieldType::Json);
    round_trip(
        SystemTime::UNIX_EPOCH + Duration::from_millis(1_738_324_800_123),
        FieldType::Date,
    );
    round_trip(Some("x".to_owned()), FieldType::String);
    round_trip(None::<Vec<String>>, FieldType::StringArray);
}

#[test]
fn values_are_logical_not_encoded() {
    // Arrays stay arrays and dates are better-auth's ISO text: the dialect codec encodes (B13).
    assert_eq!(vec!["a".to_owned()].to_value(), json!(["a"]));
    assert_eq!(
        SystemTime::UNIX_EPOCH.to_value(),
        json!("1970-01-01T00:00:00.000Z")
    );
}

#[test]
fn legacy_double_encoded_arrays_are_read() {
    let once = json!("[\"a\",\"b\"]");
    let twice = json!("\"[\\\"a\\\",\\\"b\\\"]\"");
    for legacy in [once, twice] {
        assert_eq!(
            Vec::<String>::from_value(&legacy).ok(),
            Some(vec!["a".to_owned(), "b".to_owned()]),
            "{legacy}"
        );
    }
    assert!(Vec::<String>::from_value(&json!("a,b")).is_err());
    assert_eq!(
        Vec::<f64>::from_value(&json!("[1, 2.5]")).ok(),
        Some(vec![1.0, 2.5])
    );
}

#[test]
fn wrong_values_are_described() {
    assert_eq!(
        String::from_value(&json!(3)),
        Err("found the number 3".to_owned())
    );
    assert_eq!(
        u8::from_value(&json!(300)),
        Err("found the number 300 (expected a u8)".to_owned())
    );
    assert_eq!(
        Vec::<String>::from_value(&json!(["a", 1])),
        Err("an array item: found the number 1".to_owned())
    );
    assert!(SystemTime::from_value(&json!("yesterday")).is_err());
    assert_eq!(
        SystemTime::from_value(&json!(1000)).ok(),
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1))
    );
}

#[test]
fn clients_values_are_type_checked() {
    assert!(value::check_type(FieldType::Date, &json!("2025-01-31T12:00:00.000Z")).is_ok());
    assert!(value::check_type(FieldType::Date, &json!("soon")).is_err());
    assert!(value::check_type(FieldType::StringArray, &json!(["a"])).is_ok());
    assert!(value::check_type(FieldType::StringArray, &json!("[\"a\"]")).is_err());
    assert!(value::check_type(FieldType::NumberArray, &json!([1, "2"])).is_err());
    assert!(value::check_type(FieldType::Json, &json!(null)).is_ok());
}
