#[derive(auth_macros::AuthModel)]
#[auth(model = "user")]
enum Plan {
    Free,
}

#[derive(auth_macros::AuthModel)]
#[auth(model = "user")]
struct Tuple(Option<String>);

#[derive(auth_macros::AuthModel)]
#[auth(model = "user")]
struct Generic<T> {
    plan: T,
}

fn main() {}
