//! Permission guards for your own routes: [`RequirePermission<P>`] lets a handler run only for a
//! signed-in user whom `P` — a marker type declared with [`permission!`](crate::permission) —
//! allows, checked as the admin or organization plugin checks its own endpoints.
//!
//! ```no_run
//! use auth_runtime::{Auth, RequirePermission, permission};
//! use axum::{Router, routing::post};
//!
//! permission! {
//!     /// Admins who may ban users (`[plugins.admin.roles]` of auth.toml).
//!     pub struct BanUsers: admin { "user": ["ban"] } else YOU_ARE_NOT_ALLOWED_TO_BAN_USERS;
//! }
//! permission! {
//!     /// Members of the active organization who may invite.
//!     pub struct Invite: organization { "invitation": ["create"] }
//!         else YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION;
//! }
//!
//! async fn ban(guard: RequirePermission<BanUsers>) -> String {
//!     format!("{} may ban", guard.user.email)
//! }
//!
//! fn app(auth: Auth) -> Router {
//!     auth.router().merge(Router::new().route("/ban", post(ban)).with_state(auth))
//! }
//! ```
//!
//! Without a session the guard answers 401 `UNAUTHORIZED`, as [`CurrentUser`](crate::CurrentUser)
//! does (and shares its one session lookup per request: cookie, cookie cache, bearer, API key).
//! Otherwise, when `P` is not granted, 403 with `P`'s better-auth code. `admin` reads the user's
//! roles (`admin-user-ids` may everything) against `[plugins.admin.roles]`; `organization` the
//! caller's membership in the session's active organization against
//! `[plugins.organization.roles]` and that organization's stored roles (dynamic access
//! control): 403 `NO_ACTIVE_ORGANIZATION` without one, 403
//! `YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION` when not a member. A guard whose plugin is not
//! enabled refuses everyone (403): it fails closed.

use std::marker::PhantomData;

pub use auth_core::errors::ErrorCode;
use auth_core::model::AuthModel;
use auth_core::plugins::access::Statements;
use auth_core::plugins::organization::{
    NO_ACTIVE_ORGANIZATION, YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION,
};
use auth_core::schema::names::{session, user};
use axum::extract::{FromRef, FromRequestParts};
use http::request::Parts;

use super::extract::{User, resolved};
use crate::Auth;
use crate::error::ApiError;
use crate::plugins::member_may;
use crate::store::{Row, Value};

/// Which plugin's access control decides a [`Permission`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionScope {
    /// The admin plugin: the signed-in user's roles (`user.role`).
    Admin,
    /// The organization plugin: the caller's role in the session's active organization.
    Organization,
}

/// A permission a route requires: what [`permission!`](crate::permission) implements for a
/// marker type.
pub trait Permission: Send + Sync + 'static {
    /// Whose access control decides.
    const SCOPE: PermissionScope;
    /// Resource → actions, every one of them required.
    const REQUIRED: &'static [(&'static str, &'static [&'static str])];
    /// The code of the 403 when it is not granted.
    const DENIED: ErrorCode;
}

/// Declares a marker type that implements [`Permission`]: its scope (`admin` or
/// `organization`), the actions it requires per resource and, after `else`, the name of that
/// plugin's better-auth error code a refusal answers with (403).
#[macro_export]
macro_rules! permission {
    (@scope admin) => { $crate::http::permission::PermissionScope::Admin };
    (@scope organization) => { $crate::http::permission::PermissionScope::Organization };
    ($(#[$meta:meta])* $vis:vis struct $name:ident : $scope:ident {
        $($resource:literal : [$($action:literal),* $(,)?]),+ $(,)?
    } else $code:ident;) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        $vis struct $name;

        impl $crate::http::permission::Permission for $name {
            const SCOPE: $crate::http::permission::PermissionScope =
                $crate::permission!(@scope $scope);
            const REQUIRED: &'static [(&'static str, &'static [&'static str])] =
                &[$(($resource, &[$($action),*])),+];
            const DENIED: $crate::http::permission::ErrorCode =
                $crate::http::permission::codes::$scope::$code;
        }
    };
}

/// The error codes a [`permission!`](crate::permission) may name, per scope.
pub mod codes {
    /// The admin plugin's codes.
    pub mod admin {
        pub use auth_core::plugins::admin::*;
    }
    /// The organization plugin's codes.
    pub mod organization {
        pub use auth_core::plugins::organization::*;
    }
}

/// The signed-in user, whom `P` allows; 401 without a session, 403 with `P`'s code otherwise.
#[derive(Debug, Clone)]
pub struct RequirePermission<P, F = ()> {
    /// The signed-in user `P` allowed.
    pub user: User<F>,
    /// The organization `P` was checked in (its scope `organization`: the active one).
    pub organization_id: Option<String>,
    permission: PhantomData<fn() -> P>,
}

fn required<P: Permission>() -> Statements {
    P::REQUIRED
        .iter()
        .map(|(resource, actions)| {
            let actions = actions.iter().map(|a| (*a).to_owned()).collect();
            ((*resource).to_owned(), actions)
        })
        .collect()
}

/// Does `P` allow the user of `user_row` with `session_row`? `Ok(Some(org))` allowed (in
/// `org` for the organization scope), `Err` a refusal.
async fn check<P: Permission>(
    auth: &Auth,
    user_row: &Row,
    session_row: &Row,
) -> Result<Option<String>, ApiError> {
    let wanted = required::<P>();
    let plugins = &auth.inner.config.plugins;
    let user_id = user_row
        .get(user::ID)
        .and_then(Value::as_str)
        .unwrap_or_default();
    match P::SCOPE {
        PermissionScope::Admin => {
            let role = user_row.get(user::ROLE).and_then(Value::as_str);
            let granted = plugins.admin.is_some()
                && plugins
                    .admin_options()
                    .has_permission(user_id, role, &wanted);
            if granted {
                Ok(None)
            } else {
                Err(ApiError::forbidden(P::DENIED))
            }
        }
        PermissionScope::Organization => {
            if plugins.organization.is_none() {
                return Err(ApiError::forbidden(P::DENIED));
            }
            let Some(organization_id) = session_row
                .get(session::ACTIVE_ORGANIZATION_ID)
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty())
            else {
                return Err(ApiError::forbidden(NO_ACTIVE_ORGANIZATION));
            };
            match member_may(auth, user_id, organization_id, &wanted).await? {
                None => Err(ApiError::forbidden(
                    YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION,
                )),
                Some(false) => Err(ApiError::forbidden(P::DENIED)),
                Some(true) => Ok(Some(organization_id.to_owned())),
            }
        }
    }
}

impl<St, P, F> FromRequestParts<St> for RequirePermission<P, F>
where
    Auth: FromRef<St>,
    St: Send + Sync,
    P: Permission,
    F: AuthModel + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_ref(state);
        let found = resolved(parts, &auth).await?;
        let Some((user_row, session_row)) = found.as_ref() else {
            return Err(ApiError::unauthorized());
        };
        let organization_id = check::<P>(&auth, user_row, session_row).await?;
        Ok(Self {
            user: User::from_row(user_row)?,
            organization_id,
            permission: PhantomData,
        })
    }
}
