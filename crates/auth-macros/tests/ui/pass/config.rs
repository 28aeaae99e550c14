//! `#[auth(config = "…")]`: another file, relative to CARGO_MANIFEST_DIR, in either order.
#[derive(auth_macros::AuthModel)]
#[auth(config = "other/auth.toml", model = "session")]
struct SessionFields {
    device: String,
}

#[derive(auth_macros::AuthModel)]
#[auth(model = "session")]
#[auth(config = "other/auth.toml")]
struct SameInTwoAttributes {
    device: String,
}

fn main() {
    use auth_core::model::AuthModel;
    assert_eq!(SessionFields::FIELDS[0].field, "device");
    assert!(SameInTwoAttributes::FIELDS[0].required);
    let _ = (SessionFields { device: String::new() }, SameInTwoAttributes { device: String::new() });
}
