#[derive(auth_macros::AuthModel)]
#[auth(model = "user", table = "users")]
struct UnknownKey {
    plan: Option<String>,
}

#[derive(auth_macros::AuthModel)]
#[auth(model = user)]
struct NotAString {
    plan: Option<String>,
}

#[derive(auth_macros::AuthModel)]
#[auth(model = "user", rename = "x")]
struct RenameOnStruct {
    plan: Option<String>,
}

#[derive(auth_macros::AuthModel)]
#[auth(model = "user")]
struct FieldMistakes {
    #[auth(model = "user")]
    plan: Option<String>,
    #[auth(rename = "notificationTokens", rename = "tokens")]
    notification_tokens: Vec<String>,
    #[auth(skip)]
    tenant_id: Option<String>,
}

fn main() {}
