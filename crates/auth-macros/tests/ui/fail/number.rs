#[derive(auth_macros::AuthModel)]
#[auth(model = "organization")]
struct OrganizationFields {
    seats: String,
    verified: bool,
    renews_at: Option<u64>,
    settings: Option<serde_json::Value>,
    quotas: Option<Vec<f64>>,
}

fn main() {}
