// A mistake in auth.toml is reported at its line and column, on the `config` attribute.
#[derive(auth_macros::AuthModel)]
#[auth(model = "user", config = "other/broken.toml")]
pub struct UserFields {
    pub plan: Option<String>,
}

fn main() {}
