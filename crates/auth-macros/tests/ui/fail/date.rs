#[derive(auth_macros::AuthModel)]
#[auth(model = "organization")]
struct OrganizationFields {
    seats: i64,
    verified: bool,
    renews_at: Option<String>,
    settings: Option<serde_json::Value>,
    quotas: Option<Vec<f64>>,
}

#[derive(auth_macros::AuthModel)]
#[auth(model = "user")]
pub struct UserFields {
    pub plan: Option<time::OffsetDateTime>,
    pub notification_tokens: Vec<String>,
    pub tenant_id: Option<std::time::Duration>,
}

fn main() {}
