#[derive(auth_macros::AuthModel)]
struct UserFields {
    plan: Option<String>,
}

fn main() {}
