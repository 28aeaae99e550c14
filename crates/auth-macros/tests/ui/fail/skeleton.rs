// A failed derive still implements the trait: only the real error is reported, not one more
// at every use of the struct.
use auth_core::model::AuthModel;

#[derive(auth_macros::AuthModel)]
#[auth(model = "user")]
pub struct UserFields {
    pub plan: Option<bool>,
    pub notification_tokens: Vec<String>,
    pub tenant_id: Option<String>,
}

fn uses<M: AuthModel>() -> &'static str {
    M::MODEL
}

fn main() {
    let _ = uses::<UserFields>();
}
