#[derive(auth_macros::AuthModel)]
#[auth(model = "user")]
pub struct UserFields {
    pub plan: String,
    pub notification_tokens: Option<Vec<String>>,
    pub tenant_id: Option<Option<String>>,
}

fn main() {}
