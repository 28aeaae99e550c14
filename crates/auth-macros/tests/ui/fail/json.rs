#[derive(auth_macros::AuthModel)]
#[auth(model = "organization")]
struct OrganizationFields {
    seats: serde_json::Value,
    verified: bool,
    renews_at: Option<std::time::SystemTime>,
    settings: Option<String>,
    quotas: Option<Vec<f64>>,
}

// Named `Value` but not serde_json's: the derive's reading of the syntax is backed by a trait.
struct Value;

#[derive(auth_macros::AuthModel)]
#[auth(model = "organization")]
struct NotSerdeJson {
    seats: i64,
    verified: bool,
    renews_at: Option<std::time::SystemTime>,
    settings: Option<Value>,
    quotas: Option<Vec<f64>>,
}

fn main() {}
