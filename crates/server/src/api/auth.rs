//! Sign-in, sign-out, the current user.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{self, AuthUser};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// A name for this device, shown in the list of sessions.
    #[serde(default)]
    pub device: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub user: marquee_store::User,
    pub expires_at: i64,
}

/// A hash to verify against when the user does not exist, so that a wrong name and a wrong
/// password take the same time.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| auth::hash_password("marquee-dummy-password").unwrap_or_default());

/// Signs in with a user name and password; answers a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    body: Result<Json<LoginRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<LoginResponse>> {
    let Json(req) = body.map_err(|e| {
        ApiError::bad_request(format!("expected JSON {{\"username\", \"password\"}}: {e}"))
    })?;
    let user = state.store.user_by_name(req.username.trim()).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.clone());
    let password = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::internal(format!("password check failed: {e}")))?;
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        Some(u) if ok && u.disabled => {
            return Err(ApiError::forbidden(
                "this account is disabled; ask an administrator",
            ))
        }
        _ => return Err(ApiError::unauthorized("wrong user name or password")),
    };
    let token = auth::new_token();
    let session = state
        .store
        .create_session(
            user.id,
            &auth::token_hash(&token),
            req.device.as_deref(),
            auth::SESSION_TTL_SECS,
        )
        .await?;
    tracing::info!(user = %user.username, "signed in");
    Ok(Json(LoginResponse {
        token,
        user,
        expires_at: session.expires_at,
    }))
}

/// Ends the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    state.store.delete_session(user.session.id).await?;
    state.sessions.evict(Some(user.session.id), None);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: marquee_store::User,
    pub session: marquee_store::SessionInfo,
}

/// The signed-in user and session.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(user: AuthUser) -> Json<Me> {
    Json(Me {
        user: user.user,
        session: user.session,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the signed-in user's password (at least 8 characters).
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])),
    request_body = ChangePassword,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    user: AuthUser,
    body: Result<Json<ChangePassword>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<StatusCode> {
    let Json(req) = body.map_err(|e| {
        ApiError::bad_request(format!(
            "expected JSON {{\"current_password\", \"new_password\"}}: {e}"
        ))
    })?;
    if req.new_password.chars().count() < 8 {
        return Err(ApiError::bad_request(
            "the new password needs at least 8 characters",
        ));
    }
    let hash = user.user.password_hash.clone();
    let current = req.current_password.clone();
    let new = req.new_password.clone();
    let new_hash = tokio::task::spawn_blocking(move || {
        if auth::verify_password(&current, &hash) {
            auth::hash_password(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(ApiError::internal)?
    .ok_or_else(|| ApiError::unauthorized("the current password is wrong"))?;
    state.store.set_password(user.user.id, &new_hash).await?;
    state.sessions.evict(None, Some(user.user.id));
    Ok(StatusCode::NO_CONTENT)
}
