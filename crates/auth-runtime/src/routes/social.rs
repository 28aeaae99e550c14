//! Social sign-in: `/sign-in/social` (redirect with state and PKCE, or an ID token),
//! `/callback/:id`, `/link-social`, and the provider tokens of linked accounts.

use auth_core::errors::base;
use auth_core::schema::names::{account, user, verification};
use http::StatusCode;
use serde_json::{Value as Json, json};

use super::text;
use crate::Auth;
use crate::http::{ApiError, Ctx, Reply};
use crate::oauth::{
    AuthorizationRequest, OAuthError, Provider, ProviderUser, Tokens, generate_code_verifier,
    generate_state,
};
use crate::session::SessionCtx;
use crate::store::{Row, Timestamp, Value, Where};

/// The OAuth state cookie (signed), as better-auth names it.
const STATE_COOKIE: &str = "state";
/// How long a sign-in may take at the provider.
const STATE_SECONDS: i64 = 600;
/// The state cookie's lifetime.
const STATE_COOKIE_SECONDS: u64 = 300;

fn date_of(at: Option<time::OffsetDateTime>) -> Value {
    at.and_then(Timestamp::from_offset_date_time)
        .map_or(Value::Null, Value::Date)
}

impl Auth {
    fn provider(&self, id: &str) -> Option<&Provider> {
        self.inner.providers.iter().find(|p| p.id() == id)
    }

    /// The account columns a provider's tokens fill.
    fn token_fields(tokens: &Tokens, row: &mut Row) {
        row.insert(
            account::ACCESS_TOKEN.into(),
            Value::String(tokens.access_token.clone()),
        );
        if let Some(refresh) = &tokens.refresh_token {
            row.insert(
                account::REFRESH_TOKEN.into(),
                Value::String(refresh.clone()),
            );
        }
        if let Some(id_token) = &tokens.id_token {
            row.insert(account::ID_TOKEN.into(), Value::String(id_token.clone()));
        }
        row.insert(
            account::ACCESS_TOKEN_EXPIRES_AT.into(),
            date_of(tokens.access_token_expires_at),
        );
        if tokens.refresh_token_expires_at.is_some() {
            row.insert(
                account::REFRESH_TOKEN_EXPIRES_AT.into(),
                date_of(tokens.refresh_token_expires_at),
            );
        }
        if !tokens.scopes.is_empty() {
            row.insert(
                account::SCOPE.into(),
                Value::String(tokens.scopes.join(",")),
            );
        }
    }

    /// Starts a redirect flow: a state row (`auth-state:<state>`) holding the PKCE verifier and
    /// the URLs to come back to, the signed state cookie, and the provider's authorization URL.
    async fn start_redirect(
        &self,
        ctx: &mut Ctx,
        provider: &Provider,
        link: Option<&SessionCtx>,
    ) -> Result<Reply, ApiError> {
        let body = &ctx.body;
        let callback = body
            .opt_str("callbackURL")?
            .map_or_else(|| self.inner.base_origin.clone(), str::to_owned);
        let error_url = body.opt_str("errorCallbackURL")?.map(str::to_owned);
        let new_user_url = body.opt_str("newUserCallbackURL")?.map(str::to_owned);
        let disable_redirect = body.opt_bool("disableRedirect")?.unwrap_or(false);
        let login_hint = body.opt_str("loginHint")?.map(str::to_owned);
        let scopes: Vec<String> = match body.get("scopes") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(items)) if items.iter().all(Json::is_string) => items
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
            Some(_) => {
                return Err(ApiError::validation(
                    "[body.scopes] Invalid input: expected array of strings",
                ));
            }
        };
        let state = generate_state();
        let verifier = generate_code_verifier();
        let expires = Timestamp::now().plus_millis(STATE_SECONDS * 1000);
        let mut value = json!({
            "callbackURL": callback,
            "codeVerifier": verifier,
            "errorURL": error_url,
            "newUserURL": new_user_url,
            "expiresAt": expires.millis(),
        });
        if let Some(session) = link {
            value["link"] = json!({
                "email": text(&session.user, user::EMAIL),
                "userId": session.user_id(),
            });
        }
        let mut request = AuthorizationRequest::new(&state, &verifier);
        request.scopes = &scopes;
        request.login_hint = login_hint.as_deref();
        let url = provider
            .authorization_url(request)
            .await
            .map_err(|error| provider_error(&error))?;
        self.verifications()
            .create(&format!("auth-state:{state}"), &value.to_string(), expires)
            .await?;
        let inner = &self.inner;
        let mut attributes = inner.cookies.attributes();
        attributes.max_age = Some(STATE_COOKIE_SECONDS);
        ctx.set_cookies.push(crate::wire::cookie::SetCookie::signed(
            inner.cookies.name(STATE_COOKIE),
            &state,
            &inner.secret,
            attributes,
        ));
        let url = url.to_string();
        let reply = Reply::json(json!({ "url": url, "redirect": !disable_redirect }));
        Ok(if disable_redirect {
            reply
        } else {
            reply.with_location(url)
        })
    }

    /// Finds or creates the user of a provider account and links the account: an existing
    /// account signs its user in; a user with the same email gets the account linked when the
    /// provider vouches for the email (or is trusted); otherwise a new user. Returns the user
    /// and whether it is new; `Err` carries better-auth's redirect error code.
    async fn user_for(
        &self,
        ctx: &Ctx,
        provider: &Provider,
        profile: &ProviderUser,
        tokens: &Tokens,
    ) -> Result<Result<(Row, bool), &'static str>, ApiError> {
        let store = &self.inner.store;
        let Some(email) = profile.email.as_deref().map(str::to_lowercase) else {
            return Ok(Err("email_not_found"));
        };
        let account = store
            .find_one(
                account::MODEL,
                &[
                    Where::eq(account::PROVIDER_ID, provider.id()),
                    Where::eq(account::ACCOUNT_ID, profile.id.as_str()),
                ],
            )
            .await?;
        if let Some(account) = account {
            let mut changes = Row::new();
            Self::token_fields(tokens, &mut changes);
            store
                .update(
                    account::MODEL,
                    &[Where::eq(
                        account::ID,
                        account.get(account::ID).cloned().unwrap_or(Value::Null),
                    )],
                    changes,
                )
                .await?;
            let user = store
                .find_one(
                    user::MODEL,
                    &[Where::eq(user::ID, text(&account, account::USER_ID))],
                )
                .await?;
            return Ok(user.map(|u| (u, false)).ok_or("user_not_found"));
        }
        let mut account = Row::new();
        account.insert(
            account::PROVIDER_ID.into(),
            Value::String(provider.id().to_owned()),
        );
        account.insert(
            account::ACCOUNT_ID.into(),
            Value::String(profile.id.clone()),
        );
        Self::token_fields(tokens, &mut account);
        if let Some(user) = self.find_user_by_email(&email).await? {
            let options = &self.inner.config.account;
            let trusted = options.trusted_providers.iter().any(|p| p == provider.id());
            if !options.linking || !(profile.email_verified || trusted) {
                return Ok(Err("account_not_linked"));
            }
            account.insert(
                account::USER_ID.into(),
                user.get(user::ID).cloned().unwrap_or(Value::Null),
            );
            store.insert(account::MODEL, account).await?;
            return Ok(Ok((user, false)));
        }
        let mut user = Row::new();
        user.insert(user::NAME.into(), Value::String(profile.name.clone()));
        user.insert(user::EMAIL.into(), Value::String(email));
        user.insert(
            user::EMAIL_VERIFIED.into(),
            Value::Boolean(profile.email_verified),
        );
        user.insert(
            user::IMAGE.into(),
            profile.image.clone().map_or(Value::Null, Value::String),
        );
        match self.create_user_with_account(ctx, user, account).await {
            Ok(user) => Ok(Ok((user, true))),
            Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
                Ok(Err("unable_to_create_user"))
            }
            Err(error) => Err(error),
        }
    }
}

fn provider_error(error: &OAuthError) -> ApiError {
    tracing::warn!(%error, "provider");
    ApiError::coded(
        StatusCode::BAD_GATEWAY,
        base::PROVIDER_ERROR,
        error.to_string(),
    )
}

fn not_found() -> ApiError {
    ApiError::base(StatusCode::NOT_FOUND, base::PROVIDER_NOT_FOUND)
}

pub(super) async fn sign_in_social(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.body.str("provider")?.to_owned();
    let provider = auth.provider(&id).ok_or_else(not_found)?.clone();
    let Some(id_token) = ctx.body.get("idToken").cloned() else {
        return auth.start_redirect(ctx, &provider, None).await;
    };
    let token = id_token
        .get("token")
        .and_then(Json::as_str)
        .ok_or_else(|| {
            ApiError::validation("[body.idToken.token] Invalid input: expected string")
        })?;
    let nonce = id_token.get("nonce").and_then(Json::as_str);
    let profile = match provider.verify_id_token(token, nonce).await {
        Ok(profile) => profile,
        Err(OAuthError::IdTokenNotSupported) => {
            return Err(ApiError::base(
                StatusCode::NOT_FOUND,
                base::ID_TOKEN_NOT_SUPPORTED,
            ));
        }
        Err(error) => {
            tracing::info!(%error, "id token refused");
            return Err(ApiError::base(
                StatusCode::UNAUTHORIZED,
                base::INVALID_TOKEN,
            ));
        }
    };
    let tokens = Tokens {
        access_token: id_token
            .get("accessToken")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned(),
        token_type: None,
        refresh_token: id_token
            .get("refreshToken")
            .and_then(Json::as_str)
            .map(str::to_owned),
        id_token: Some(token.to_owned()),
        access_token_expires_at: None,
        refresh_token_expires_at: None,
        scopes: Vec::new(),
    };
    let (user, _) = match auth.user_for(ctx, &provider, &profile, &tokens).await? {
        Ok(found) => found,
        Err(code) => {
            return Err(ApiError::coded(
                StatusCode::UNAUTHORIZED,
                base::OAUTH_LINK_ERROR,
                code.replace('_', " "),
            ));
        }
    };
    let token = auth
        .start_session(ctx, &text(&user, user::ID), true)
        .await?;
    Ok(Reply::json(json!({
        "redirect": false,
        "token": token,
        "user": auth.output(user::MODEL, &user),
    })))
}

pub(super) async fn link_social(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    let id = ctx.body.str("provider")?.to_owned();
    let provider = auth.provider(&id).ok_or_else(not_found)?.clone();
    auth.start_redirect(ctx, &provider, Some(session)).await
}

/// `POST /callback/:id` (form_post): 302 to the GET form with the body's parameters.
pub(super) fn callback_post(auth: &Auth, ctx: &Ctx) -> Reply {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in &ctx.body.0 {
        if let Some(v) = value.as_str() {
            query.append_pair(key, v);
        }
    }
    let id = ctx.param.clone().unwrap_or_default();
    Reply::redirect(format!(
        "{}/callback/{id}?{}",
        auth.inner.api_url,
        query.finish()
    ))
}

pub(super) async fn callback(auth: &Auth, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let default_error = format!("{}/error", auth.inner.api_url);
    let fail = |base: &str, code: &str| Reply::redirect(auth.with_query(base, "error", code));
    let Some(state) = ctx.query.get("state").map(str::to_owned) else {
        return Ok(fail(&default_error, "state_not_found"));
    };
    let store = &auth.inner.store;
    let identifier = format!("auth-state:{state}");
    let row = auth.verifications().find(&identifier).await?;
    let Some(row) = row else {
        return Ok(fail(&default_error, "state_not_found"));
    };
    let saved: Json = serde_json::from_str(&text(&row, verification::VALUE)).unwrap_or(Json::Null);
    let field = |k: &str| saved.get(k).and_then(Json::as_str).map(str::to_owned);
    let error_url = field("errorURL").unwrap_or_else(|| default_error.clone());
    let inner = &auth.inner;
    let cookie = ctx
        .cookies
        .get_signed(&inner.cookies.name(STATE_COOKIE), &inner.secret);
    if cookie.as_deref() != Some(state.as_str()) {
        return Ok(fail(&error_url, "state_mismatch"));
    }
    // Single use: of concurrent callbacks with this state, one goes on.
    if !auth.verifications().remove(&identifier).await? {
        return Ok(fail(&default_error, "state_not_found"));
    }
    ctx.set_cookies
        .push(crate::wire::cookie::SetCookie::expired(
            inner.cookies.name(STATE_COOKIE),
            inner.cookies.attributes(),
        ));
    let live = saved
        .get("expiresAt")
        .and_then(Json::as_i64)
        .is_some_and(|at| at > Timestamp::now().millis());
    if !live {
        return Ok(fail(&error_url, "state_invalid"));
    }
    if let Some(error) = ctx.query.get("error") {
        let mut url = auth.with_query(&error_url, "error", error);
        if let Some(description) = ctx.query.get("error_description") {
            url = format!(
                "{url}&error_description={}",
                crate::wire::cookie::encode_uri_component(description)
            );
        }
        return Ok(Reply::redirect(url));
    }
    let Some(code) = ctx.query.get("code").map(str::to_owned) else {
        return Ok(fail(&error_url, "no_code"));
    };
    let id = ctx.param.clone().unwrap_or_default();
    let Some(provider) = auth.provider(&id).cloned() else {
        return Ok(fail(&error_url, "oauth_provider_not_found"));
    };
    let verifier = field("codeVerifier").unwrap_or_default();
    let tokens = match provider.exchange_code(&code, &verifier).await {
        Ok(tokens) => tokens,
        Err(error) => {
            tracing::warn!(%error, "code exchange");
            return Ok(fail(&error_url, error.redirect_code()));
        }
    };
    let profile = match provider.user_info(&tokens).await {
        Ok(profile) => profile,
        Err(error) => {
            tracing::warn!(%error, "user info");
            return Ok(fail(&error_url, "unable_to_get_user_info"));
        }
    };
    let callback = field("callbackURL").unwrap_or_else(|| inner.base_origin.clone());
    if let Some(link) = saved.get("link") {
        let user_id = link
            .get("userId")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let email = link.get("email").and_then(Json::as_str).unwrap_or_default();
        let same_email = profile.email.as_deref().map(str::to_lowercase).as_deref() == Some(email);
        if !same_email && !inner.config.account.allow_different_emails {
            return Ok(fail(&error_url, "email_does_not_match"));
        }
        let existing = store
            .find_one(
                account::MODEL,
                &[
                    Where::eq(account::PROVIDER_ID, provider.id()),
                    Where::eq(account::ACCOUNT_ID, profile.id.as_str()),
                ],
            )
            .await?;
        let mut account = Row::new();
        Auth::token_fields(&tokens, &mut account);
        match existing {
            Some(found) if text(&found, account::USER_ID) != user_id => {
                return Ok(fail(&error_url, "account_already_linked_to_different_user"));
            }
            Some(found) => {
                let row_id = found.get(account::ID).cloned().unwrap_or(Value::Null);
                store
                    .update(account::MODEL, &[Where::eq(account::ID, row_id)], account)
                    .await?;
            }
            None => {
                account.insert(
                    account::PROVIDER_ID.into(),
                    Value::String(provider.id().to_owned()),
                );
                account.insert(
                    account::ACCOUNT_ID.into(),
                    Value::String(profile.id.clone()),
                );
                account.insert(account::USER_ID.into(), Value::String(user_id.to_owned()));
                store.insert(account::MODEL, account).await?;
            }
        }
        return Ok(Reply::redirect(callback));
    }
    let (user, is_new) = match auth.user_for(ctx, &provider, &profile, &tokens).await? {
        Ok(found) => found,
        Err(code) => return Ok(fail(&error_url, code)),
    };
    if let Err(refused) = auth.start_session(ctx, &text(&user, user::ID), true).await {
        // A session refused with a code (admin's ban) sends the browser to the error page,
        // as better-auth's `redirectOnError(code, message)` does.
        let Some(code) = refused.code.filter(|_| refused.status.is_client_error()) else {
            return Err(refused);
        };
        let url = auth.with_query(&error_url, "error", code);
        let url = auth.with_query(&url, "error_description", &refused.message);
        return Ok(Reply::redirect(url));
    }
    let target = if is_new {
        field("newUserURL").unwrap_or(callback)
    } else {
        callback
    };
    Ok(Reply::redirect(target))
}

/// The caller's account with a provider (and a provider account id, when given).
async fn linked_account(
    auth: &Auth,
    ctx: &Ctx,
    session: Option<&SessionCtx>,
) -> Result<(Provider, Row), ApiError> {
    let session = session.ok_or_else(ApiError::unauthorized)?;
    let provider_id = ctx.body.str("providerId")?.to_owned();
    let account_id = ctx.body.opt_str("accountId")?.map(str::to_owned);
    let provider = auth.provider(&provider_id).ok_or_else(not_found)?.clone();
    let mut conditions = vec![
        Where::eq(account::USER_ID, session.user_id()),
        Where::eq(account::PROVIDER_ID, provider_id.as_str()),
    ];
    if let Some(account_id) = account_id {
        conditions.push(Where::eq(account::ACCOUNT_ID, account_id));
    }
    let account = auth
        .inner
        .store
        .find_one(account::MODEL, &conditions)
        .await?
        .ok_or_else(|| ApiError::bad_request(base::ACCOUNT_NOT_FOUND))?;
    Ok((provider, account))
}

/// Refreshes an account's tokens at the provider and stores them.
async fn refresh_account(auth: &Auth, provider: &Provider, account: &Row) -> Result<Row, ApiError> {
    let refresh = account
        .get(account::REFRESH_TOKEN)
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::coded(
                StatusCode::BAD_REQUEST,
                base::REFRESH_TOKEN_NOT_FOUND,
                "Refresh token not found",
            )
        })?;
    let tokens = provider.refresh(refresh).await.map_err(|error| {
        tracing::warn!(%error, "refresh");
        ApiError::coded(
            StatusCode::BAD_REQUEST,
            base::FAILED_TO_REFRESH_ACCESS_TOKEN,
            "Failed to refresh access token",
        )
    })?;
    let mut changes = Row::new();
    Auth::token_fields(&tokens, &mut changes);
    let id = account.get(account::ID).cloned().unwrap_or(Value::Null);
    auth.inner
        .store
        .update(
            account::MODEL,
            &[Where::eq(account::ID, id)],
            changes.clone(),
        )
        .await?;
    let mut updated = account.clone();
    updated.extend(changes);
    Ok(updated)
}

/// `account.scope` ("a,b", as better-auth stores it) as a list.
pub(super) fn scopes_of(account: &Row) -> Vec<String> {
    text(account, account::SCOPE)
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn date_json(account: &Row, field: &str) -> Json {
    account.get(field).map_or(Json::Null, Value::to_json)
}

pub(super) async fn get_access_token(
    auth: &Auth,
    ctx: &mut Ctx,
    session: Option<&SessionCtx>,
) -> Result<Reply, ApiError> {
    let (provider, mut account) = linked_account(auth, ctx, session).await?;
    let soon = Timestamp::now().millis() + 5_000;
    let expired = account
        .get(account::ACCESS_TOKEN_EXPIRES_AT)
        .and_then(Value::as_date)
        .is_some_and(|at| at.millis() < soon);
    if expired
        && account
            .get(account::REFRESH_TOKEN)
            .is_some_and(|v| !v.is_null())
    {
        account = refresh_account(auth, &provider, &account).await?;
    }
    let mut out = serde_json::Map::new();
    out.insert(
        "accessToken".into(),
        text(&account, account::ACCESS_TOKEN).into(),
    );
    out.insert(
        "accessTokenExpiresAt".into(),
        date_json(&account, account::ACCESS_TOKEN_EXPIRES_AT),
    );
    out.insert("scopes".into(), scopes_of(&account).into());
    if let Some(id_token) = account.get(account::ID_TOKEN).and_then(Value::as_str) {
        out.insert("idToken".into(), id_token.into());
    }
    Ok(Reply::json(Json::Object(out)))
}

pub(super) async fn refresh_token(
    auth: &Auth,
    ctx: &mut Ctx,
    session: Option<&SessionCtx>,
) -> Result<Reply, ApiError> {
    let (provider, account) = linked_account(auth, ctx, session).await?;
    let account = refresh_account(auth, &provider, &account).await?;
    Ok(Reply::json(json!({
        "accessToken": text(&account, account::ACCESS_TOKEN),
        "refreshToken": account.get(account::REFRESH_TOKEN).map_or(Json::Null, Value::to_json),
        "accessTokenExpiresAt": date_json(&account, account::ACCESS_TOKEN_EXPIRES_AT),
        "refreshTokenExpiresAt": date_json(&account, account::REFRESH_TOKEN_EXPIRES_AT),
        "scope": account.get(account::SCOPE).map_or(Json::Null, Value::to_json),
        "idToken": account.get(account::ID_TOKEN).map_or(Json::Null, Value::to_json),
        "providerId": provider.id(),
        "accountId": text(&account, account::ACCOUNT_ID),
    })))
}

pub(super) async fn account_info(
    auth: &Auth,
    ctx: &mut Ctx,
    session: &SessionCtx,
) -> Result<Reply, ApiError> {
    let store = &auth.inner.store;
    let mut conditions = vec![Where::eq(account::USER_ID, session.user_id())];
    if let Some(id) = ctx.query.get("accountId") {
        conditions.push(Where::eq(account::ACCOUNT_ID, id));
    }
    let accounts = store
        .find_many(account::MODEL, &conditions, None, None, None)
        .await?;
    let Some((provider, account)) = accounts.into_iter().find_map(|a| {
        auth.provider(&text(&a, account::PROVIDER_ID))
            .cloned()
            .map(|p| (p, a))
    }) else {
        return Err(ApiError::bad_request(base::ACCOUNT_NOT_FOUND));
    };
    let tokens = Tokens {
        access_token: text(&account, account::ACCESS_TOKEN),
        token_type: None,
        refresh_token: None,
        id_token: account
            .get(account::ID_TOKEN)
            .and_then(Value::as_str)
            .map(str::to_owned),
        access_token_expires_at: None,
        refresh_token_expires_at: None,
        scopes: scopes_of(&account),
    };
    let profile = provider.user_info(&tokens).await.map_err(|error| {
        tracing::warn!(%error, "account info");
        ApiError::bad_request(base::FAILED_TO_GET_USER_INFO)
    })?;
    let user = json!({
        "id": profile.id,
        "name": profile.name,
        "email": profile.email,
        "image": profile.image,
        "emailVerified": profile.email_verified,
    });
    Ok(Reply::json(json!({ "user": user, "data": user })))
}
