#[derive(auth_macros::AuthModel)]
#[auth(model = "organization")]
struct OrganizationFields {
    seats: bool,
    verified: u8,
    renews_at: Option<std::time::SystemTime>,
    settings: Option<serde_json::Value>,
    quotas: Option<Vec<f64>>,
}

fn main() {}
