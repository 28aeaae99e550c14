#[derive(auth_macros::AuthModel)]
#[auth(model = "user")]
pub struct UserFields {
    pub plan: Option<Vec<String>>,
    pub notification_tokens: String,
    pub tenant_id: Option<Vec<bool>>,
}

#[derive(auth_macros::AuthModel)]
#[auth(model = "organization")]
struct OrganizationFields {
    seats: i64,
    verified: bool,
    renews_at: Option<std::time::SystemTime>,
    settings: Option<serde_json::Value>,
    quotas: Option<Vec<String>>,
}

fn main() {}
