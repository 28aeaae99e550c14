#[derive(auth_macros::AuthModel)]
#[auth(model = "usr")]
struct UserFields {
    plan: Option<String>,
}

fn main() {}
