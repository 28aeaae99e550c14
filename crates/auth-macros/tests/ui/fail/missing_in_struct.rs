// `notificationTokens` and `tenantId` are declared in auth.toml but not here: one error on the
// struct, listing what to add.
#[derive(auth_macros::AuthModel)]
#[auth(model = "user")]
pub struct UserFields {
    pub plan: Option<String>,
}

fn main() {}
