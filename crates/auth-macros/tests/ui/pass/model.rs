//! `#[auth(model = "…")]` with the default config, `CARGO_MANIFEST_DIR/auth.toml`: the struct
//! from the issue.
use auth_core::model::{AuthModel, Map};

#[derive(auth_macros::AuthModel)]
#[auth(model = "user")]
pub struct UserFields {
    pub plan: Option<String>,
    pub notification_tokens: Vec<String>,
    #[auth(rename = "tenantId")]
    pub tenant: Option<String>,
}

fn main() {
    assert_eq!(UserFields::MODEL, "user");
    let fields: Vec<&str> = UserFields::FIELDS.iter().map(|f| f.field).collect();
    assert_eq!(fields, ["plan", "notificationTokens", "tenantId"]);
    let user = UserFields {
        plan: Some("pro".to_owned()),
        notification_tokens: vec!["t1".to_owned()],
        tenant: None,
    };
    let values: Map<String, _> = user
        .to_values()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let back = UserFields::from_values(&values).unwrap();
    assert_eq!(back.plan.as_deref(), Some("pro"));
    assert_eq!(back.notification_tokens, ["t1"]);
    assert_eq!(back.tenant, None);
}
