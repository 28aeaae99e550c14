#[derive(auth_macros::AuthModel)]
#[auth(model = "user", config = "nowhere/auth.toml")]
pub struct UserFields {
    pub plan: Option<String>,
}

fn main() {}
