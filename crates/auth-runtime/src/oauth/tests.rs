use super::*;

const STATE: &str = "5yFypmYhefy15CW4Xug6uLeSLANlXtSE";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn provider(id: &str, kind: ProviderKind) -> Provider {
    let config = ProviderConfig::new(
        id,
        kind,
        "client-123",
        "secret-456",
        format!("http://127.0.0.1:3000/api/auth/callback/{id}"),
    );
    match Provider::new(config, reqwest::Client::new()) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

async fn url_for(p: &Provider, request: AuthorizationRequest<'_>) -> String {
    match p.authorization_url(request).await {
        Ok(url) => url.to_string(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn pkce_challenge_is_rfc7636_s256() {
    // RFC 7636 appendix B.
    assert_eq!(
        code_challenge(VERIFIER),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn state_and_verifier_have_better_auths_shape() {
    for _ in 0..200 {
        let state = generate_state();
        assert_eq!(state.len(), 32);
        assert!(
            state
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{state}"
        );
        let verifier = generate_code_verifier();
        assert_eq!(verifier.len(), 128);
        assert!(
            verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)),
            "{verifier}"
        );
    }
    assert_ne!(generate_state(), generate_state());
}

#[tokio::test]
async fn github_url_matches_the_capture() {
    let p = provider("github", ProviderKind::Github);
    let url = url_for(&p, AuthorizationRequest::new(STATE, VERIFIER)).await;
    // The parameter order and encoding of the captured better-auth answer (wire doc §2.15).
    let expected = format!(
        "https://github.com/login/oauth/authorize?response_type=code&client_id=client-123&state={STATE}&scope=read%3Auser+user%3Aemail&redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fapi%2Fauth%2Fcallback%2Fgithub&code_challenge_method=S256&code_challenge={}",
        code_challenge(VERIFIER)
    );
    assert_eq!(url, expected);
}

#[tokio::test]
async fn authorization_urls() {
    let extra = vec!["extra:scope".to_owned()];
    let params = vec![("foo".to_owned(), "bar".to_owned())];
    let mut request = AuthorizationRequest::new(STATE, VERIFIER);
    request.scopes = &extra;
    request.login_hint = Some("alice@example.com");
    request.additional_params = &params;
    let kinds = [
        ("github", ProviderKind::Github),
        ("google", ProviderKind::Google),
        (
            "microsoft",
            ProviderKind::Microsoft {
                tenant: "common".to_owned(),
            },
        ),
        ("discord", ProviderKind::Discord),
        ("apple", ProviderKind::Apple),
    ];
    for (id, kind) in kinds {
        let p = provider(id, kind);
        let plain = url_for(&p, AuthorizationRequest::new(STATE, VERIFIER)).await;
        let full = url_for(&p, request).await;
        insta::assert_snapshot!(format!("{id}_url"), format!("{plain}\n{full}"));
    }
}

#[tokio::test]
async fn scopes_configuration() {
    let mut config = ProviderConfig::new(
        "google",
        ProviderKind::Google,
        "id",
        "secret",
        "http://localhost/api/auth/callback/google",
    );
    config.scopes = vec!["https://www.googleapis.com/auth/drive".to_owned()];
    config.access_type = Some("offline".to_owned());
    config.prompt = Some("select_account consent".to_owned());
    let p = Provider::new(config.clone(), reqwest::Client::new()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        p.requested_scopes(&["x".to_owned()]),
        [
            "email",
            "profile",
            "openid",
            "https://www.googleapis.com/auth/drive",
            "x"
        ]
    );
    let url = url_for(&p, AuthorizationRequest::new(STATE, VERIFIER)).await;
    assert!(
        url.contains(
            "&prompt=select_account+consent&access_type=offline&code_challenge_method=S256"
        ),
        "{url}"
    );
    config.disable_default_scopes = true;
    let p = Provider::new(config, reqwest::Client::new()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        p.requested_scopes(&[]),
        ["https://www.googleapis.com/auth/drive"]
    );

    let mut discord =
        ProviderConfig::new("discord", ProviderKind::Discord, "id", "s", "http://l/cb");
    discord.scopes = vec!["guilds".to_owned()];
    let p = Provider::new(discord, reqwest::Client::new()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        p.requested_scopes(&["bot".to_owned()]),
        ["identify", "email", "bot", "guilds"]
    );
}

#[test]
fn configuration_errors() {
    let http = reqwest::Client::new();
    let ok = ProviderConfig::new(
        "github",
        ProviderKind::Github,
        "id",
        "secret",
        "http://l/cb",
    );
    let mut c = ok.clone();
    c.client_secret.clear();
    assert!(matches!(
        Provider::new(c, http.clone()),
        Err(OAuthError::Config(_))
    ));
    let mut c = ok.clone();
    c.redirect_uri = "not a url".to_owned();
    assert!(matches!(
        Provider::new(c, http.clone()),
        Err(OAuthError::Config(_))
    ));
    let mut c = ok;
    c.kind = ProviderKind::Oidc {
        issuer: "nope".to_owned(),
    };
    assert!(matches!(
        Provider::new(c, http.clone()),
        Err(OAuthError::Config(_))
    ));
    // Microsoft public clients have no secret.
    let c = ProviderConfig::new(
        "microsoft",
        ProviderKind::Microsoft {
            tenant: "common".to_owned(),
        },
        "id",
        "",
        "http://l/cb",
    );
    assert!(Provider::new(c, http).is_ok());
}

#[test]
fn token_responses() {
    let op = Operation::CodeExchange;
    let parse = |json: &str| {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) else {
            panic!("{json}")
        };
        parse_tokens(&map, "https://t", op)
    };
    let t = parse(r#"{"access_token":"a","token_type":"bearer","scope":"read:user,user:email","expires_in":"3600","refresh_token":"r","refresh_token_expires_in":15897600}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.access_token, "a");
    assert_eq!(t.refresh_token.as_deref(), Some("r"));
    assert!(t.access_token_expires_at.is_some() && t.refresh_token_expires_at.is_some());
    assert_eq!(t.scopes, ["read:user,user:email"]);
    let t = parse(r#"{"access_token":"a","scope":["a","b"],"expires_in":1e300}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.scopes, ["a", "b"]);
    assert_eq!(t.access_token_expires_at, None);
    let e = parse(
        r#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}"#,
    );
    assert!(
        matches!(&e, Err(OAuthError::Provider { error, .. }) if error == "bad_verification_code")
    );
    assert_eq!(e.err().map(|e| e.redirect_code()), Some("invalid_code"));
    assert!(matches!(
        parse(r#"{"token_type":"bearer"}"#),
        Err(OAuthError::BadResponse { .. })
    ));
    assert!(matches!(
        parse(r#"{"access_token":7}"#),
        Err(OAuthError::BadResponse { .. })
    ));

    let form = Body {
        text: "access_token=gho_x&scope=read%3Auser%2Cuser%3Aemail&token_type=bearer".to_owned(),
        form: true,
    };
    let t = parse_tokens(
        &form.object("u", op).unwrap_or_else(|e| panic!("{e}")),
        "u",
        op,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.access_token, "gho_x");
    let garbage = Body {
        text: "<html>".to_owned(),
        form: false,
    };
    assert!(matches!(
        garbage.object("u", op),
        Err(OAuthError::BadResponse { .. })
    ));
}

#[test]
fn discord_avatars() {
    assert_eq!(
        discord_avatar(
            "80351110224678912",
            Some("a_1269e74af4df7417b13759eae50c83dc"),
            Some("0")
        ),
        "https://cdn.discordapp.com/avatars/80351110224678912/a_1269e74af4df7417b13759eae50c83dc.gif"
    );
    assert_eq!(
        discord_avatar(
            "80351110224678912",
            Some("8342729096ea3675442027381ff50dfe"),
            None
        ),
        "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"
    );
    // (80351110224678912 >> 22) % 6 = 19157160750 % 6 = 0... computed, not assumed:
    let n = (80_351_110_224_678_912_u64 >> 22) % 6;
    assert_eq!(
        discord_avatar("80351110224678912", None, Some("0")),
        format!("https://cdn.discordapp.com/embed/avatars/{n}.png")
    );
    assert_eq!(
        discord_avatar("1", None, Some("1337")),
        "https://cdn.discordapp.com/embed/avatars/2.png"
    );
    assert_eq!(
        discord_avatar("x", None, Some("zz")),
        "https://cdn.discordapp.com/embed/avatars/0.png"
    );
}

#[test]
fn redirect_codes() {
    let e = OAuthError::InvalidIdToken {
        operation: Operation::UserInfo,
        reason: String::new(),
    };
    assert_eq!(e.redirect_code(), "unable_to_get_user_info");
    assert_eq!(
        OAuthError::MissingIdToken.redirect_code(),
        "unable_to_get_user_info"
    );
    assert_eq!(
        OAuthError::Config(String::new()).redirect_code(),
        "internal_server_error"
    );
}

#[tokio::test]
async fn id_token_not_supported_for_github_and_discord() {
    for (id, kind) in [
        ("github", ProviderKind::Github),
        ("discord", ProviderKind::Discord),
    ] {
        let p = provider(id, kind);
        assert!(matches!(
            p.verify_id_token("a.b.c", None).await,
            Err(OAuthError::IdTokenNotSupported)
        ));
    }
}
