//! `#[auth(rename = "…")]`: any Rust name for a logical field; without it snake_case maps to
//! camelCase, raw identifiers included.
#[derive(auth_macros::AuthModel)]
#[auth(model = "user")]
struct UserFields {
    #[auth(rename = "plan")]
    r#type: Option<String>,
    #[auth(rename = "notificationTokens")]
    tokens: Vec<String>,
    tenant_id: Option<String>,
}

fn main() {
    use auth_core::model::AuthModel;
    let rust: Vec<&str> = UserFields::FIELDS.iter().map(|f| f.rust).collect();
    assert_eq!(rust, ["type", "tokens", "tenant_id"]);
    let _ = UserFields { r#type: None, tokens: Vec::new(), tenant_id: None };
}
