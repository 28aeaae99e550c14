#[derive(auth_macros::AuthModel)]
#[auth(model = "user")]
pub struct UserFields {
    pub plan: Option<String>,
    pub notification_tokens: Vec<String>,
    pub tenant_id: Option<String>,
    pub nickname: Option<String>,
    #[auth(rename = "tenantID")]
    pub tenant: Option<String>,
    pub email: String,
    pub active_organization_id: Option<String>,
}

fn main() {}
