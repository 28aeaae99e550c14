//! Every auth.toml type with each Rust spelling the derive accepts, in any struct order; the
//! trait impls agree with the derive's reading of the syntax.
use auth_core::model::{AuthModel, FieldValue};
use auth_core::schema::FieldType;

#[derive(auth_macros::AuthModel)]
#[auth(model = "organization")]
struct OrganizationFields {
    quotas: Option<Vec<u16>>,
    settings: Option<serde_json::Value>,
    renews_at: Option<time::OffsetDateTime>,
    verified: bool,
    seats: std::primitive::u32,
}

#[derive(auth_macros::AuthModel)]
#[auth(model = "organization")]
struct Spelled {
    seats: f64,
    verified: bool,
    renews_at: ::std::option::Option<std::time::SystemTime>,
    settings: Option<auth_core::model::Value>,
    quotas: Option<Vec<i64>>,
}

fn main() {
    let types: Vec<FieldType> = OrganizationFields::FIELDS.iter().map(|f| f.ty).collect();
    assert_eq!(
        types,
        [FieldType::Number, FieldType::Boolean, FieldType::Date, FieldType::Json, FieldType::NumberArray]
    );
    assert_eq!(<Option<Vec<u16>> as FieldValue>::TYPE, FieldType::NumberArray);
    assert_eq!(<Option<time::OffsetDateTime> as FieldValue>::TYPE, FieldType::Date);
    assert_eq!(Spelled::FIELDS, OrganizationFields::FIELDS.iter().map(|f| auth_core::model::FieldSpec { rust: f.rust, ..*f }).collect::<Vec<_>>().as_slice());
}
