//! Administration: libraries, scans and their progress, failed files, users.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use marquee_library::ProgressSnapshot;
use marquee_store::views::{FailedFile, LibraryView};
use marquee_store::{AuditEntry, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{self, AdminUser, ClientAddress};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;

/// Media libraries with file counts.
#[utoipa::path(get, path = "/api/v1/admin/libraries", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = [LibraryView]), (status = 403, body = ErrorBody)))]
pub async fn libraries(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<Vec<LibraryView>>> {
    Ok(Json(state.store.libraries().await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScanStatus {
    #[schema(value_type = Object)]
    pub progress: ProgressSnapshot,
    /// Summaries of recent scans (newest first), as JSON objects.
    #[schema(value_type = Vec<Object>)]
    pub recent: Vec<serde_json::Value>,
}

/// Live scan progress and recent scan summaries.
#[utoipa::path(get, path = "/api/v1/admin/scan", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = ScanStatus), (status = 403, body = ErrorBody)))]
pub async fn scan_status(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<ScanStatus>> {
    let recent = state
        .store
        .recent_scans(10)
        .await?
        .into_iter()
        .map(|(started, finished, summary)| {
            serde_json::json!({
                "started_at": started,
                "finished_at": finished,
                "summary": summary.and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok()),
            })
        })
        .collect();
    Ok(Json(ScanStatus {
        progress: state.scanner.progress().snapshot(),
        recent,
    }))
}

/// Starts a full scan in the background (202), unless one is running (409).
#[utoipa::path(post, path = "/api/v1/admin/scan", tag = "admin", security(("bearer" = [])),
    responses((status = 202), (status = 409, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn start_scan(
    State(state): State<AppState>,
    admin: AdminUser,
    ClientAddress(address): ClientAddress,
) -> ApiResult<StatusCode> {
    if state.scanner.progress().is_running() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "a scan is already running",
        ));
    }
    audit(&state, &admin, &address, "scan_started", None, None).await?;
    let scanner = state.scanner.clone();
    tokio::spawn(async move {
        if let Err(e) = scanner.scan_all().await {
            tracing::error!(error = %e, "scan failed");
        }
    });
    Ok(StatusCode::ACCEPTED)
}

/// Files that could not be read as media, with the reason.
#[utoipa::path(get, path = "/api/v1/admin/failures", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = [FailedFile]), (status = 403, body = ErrorBody)))]
pub async fn failures(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<Vec<FailedFile>>> {
    Ok(Json(state.store.failed_files().await?))
}

/// All users.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = [User]), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(state.store.list_users().await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub is_admin: bool,
}

/// Creates a user.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])), request_body = NewUser,
    responses((status = 201, body = User), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    admin: AdminUser,
    ClientAddress(address): ClientAddress,
    body: Result<Json<NewUser>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let Json(req) = body.map_err(|e| {
        ApiError::bad_request(format!(
            "expected JSON {{\"username\", \"password\", \"is_admin\"}}: {e}"
        ))
    })?;
    let name = validate_username(&req.username)?;
    if req.password.chars().count() < 8 {
        return Err(ApiError::bad_request(
            "the password needs at least 8 characters",
        ));
    }
    let password = req.password.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::internal)?;
    let user = state.store.create_user(name, &hash, req.is_admin).await?;
    let detail = serde_json::json!({ "username": user.username, "is_admin": user.is_admin });
    audit(
        &state,
        &admin,
        &address,
        "user_created",
        Some(user.id),
        Some(detail),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Records an administrator's action on a user (or on nothing in particular).
async fn audit(
    state: &AppState,
    admin: &AdminUser,
    address: &Option<String>,
    action: &str,
    user_id: Option<i64>,
    detail: Option<serde_json::Value>,
) -> ApiResult<()> {
    let target = user_id.map(|id| format!("user:{id}"));
    super::audit_by(
        state,
        &admin.0.user,
        address.as_deref(),
        action,
        target,
        detail,
    )
    .await
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserChange {
    /// A disabled account cannot sign in, and its sessions end at once.
    pub disabled: Option<bool>,
    pub is_admin: Option<bool>,
}

type IdPath = Result<Path<i64>, axum::extract::rejection::PathRejection>;

/// Disables or enables an account, grants or takes back administrator rights. The last enabled
/// administrator cannot be disabled or demoted.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")), request_body = UserChange,
    responses((status = 200, body = User), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "it would leave no administrator")))]
pub async fn change_user(
    State(state): State<AppState>,
    admin: AdminUser,
    ClientAddress(address): ClientAddress,
    id: IdPath,
    body: Result<Json<UserChange>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<User>> {
    let Path(id) = id.map_err(|_| ApiError::bad_request("the user id must be a whole number"))?;
    let Json(change) = body.map_err(|e| {
        ApiError::bad_request(format!("expected JSON {{\"disabled\", \"is_admin\"}}: {e}"))
    })?;
    let user = state.store.user_by_id(id).await?;
    let loses_admin = user.is_admin
        && !user.disabled
        && (change.disabled == Some(true) || change.is_admin == Some(false));
    if loses_admin && state.store.count_active_admins().await? <= 1 {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "this is the last enabled administrator; make another one first",
        ));
    }
    if let Some(disabled) = change.disabled.filter(|d| *d != user.disabled) {
        state.store.set_disabled(id, disabled).await?;
        state.sessions.evict(None, Some(id));
        let action = if disabled {
            "user_disabled"
        } else {
            "user_enabled"
        };
        audit(&state, &admin, &address, action, Some(id), None).await?;
    }
    if let Some(is_admin) = change.is_admin.filter(|a| *a != user.is_admin) {
        state.store.set_admin(id, is_admin).await?;
        state.sessions.evict(None, Some(id));
        state.plans.forget(Some(id));
        let action = if is_admin {
            "user_admin_granted"
        } else {
            "user_admin_revoked"
        };
        audit(&state, &admin, &address, action, Some(id), None).await?;
    }
    Ok(Json(state.store.user_by_id(id).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordReset {
    /// A new password to hand to the user. Until they choose their own, their user says
    /// `must_change_password` (the web app asks them to).
    pub password: String,
}

/// Resets a user's password to a generated one-time password and signs them out everywhere.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/password", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses((status = 200, body = PasswordReset), (status = 404, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    admin: AdminUser,
    ClientAddress(address): ClientAddress,
    id: IdPath,
) -> ApiResult<Json<PasswordReset>> {
    let Path(id) = id.map_err(|_| ApiError::bad_request("the user id must be a whole number"))?;
    let user = state.store.user_by_id(id).await?;
    let password = auth::new_password();
    let p = password.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&p))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::internal)?;
    state.store.set_password(user.id, &hash, None).await?;
    state.store.require_password_change(user.id).await?;
    state.sessions.evict(None, Some(user.id));
    audit(
        &state,
        &admin,
        &address,
        "user_password_reset",
        Some(user.id),
        None,
    )
    .await?;
    Ok(Json(PasswordReset { password }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// At most this many entries (1–500, default 100).
    pub limit: Option<i64>,
    /// Entries older than this id (for the next page).
    pub before: Option<i64>,
}

/// The audit log, newest first: sign-ins, failed and throttled sign-ins, sign-outs of other
/// devices, password changes and administrators' changes.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, body = [AuditEntry]), (status = 403, body = ErrorBody)))]
pub async fn audit_log(
    State(state): State<AppState>,
    _admin: AdminUser,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    let Query(q) =
        q.map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))?;
    Ok(Json(
        state
            .store
            .audit_log(q.limit.unwrap_or(100), q.before)
            .await?,
    ))
}

/// User names: 1–64 characters, no control characters or surrounding spaces.
pub fn validate_username(name: &str) -> ApiResult<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "a user name has 1 to 64 characters and no control characters",
        ));
    }
    Ok(name)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedKey {
    /// The id of the key that signs playback links from now on.
    pub key_id: u32,
}

/// Rotates the key that signs playback URLs. Links signed with the previous key keep working until
/// they expire (6 h), so nobody watching is cut off; after that the old key is forgotten.
#[utoipa::path(post, path = "/api/v1/admin/playback-keys/rotate", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = RotatedKey), (status = 403, body = ErrorBody)))]
pub async fn rotate_playback_key(
    State(state): State<AppState>,
    admin: AdminUser,
    ClientAddress(address): ClientAddress,
) -> ApiResult<Json<RotatedKey>> {
    let signer = state.signer.clone();
    let key_id = tokio::task::spawn_blocking(move || signer.rotate(crate::unix_now()))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(format!("cannot write the new key: {e}")))?;
    let detail = serde_json::json!({ "key_id": key_id });
    audit(
        &state,
        &admin,
        &address,
        "playback_key_rotated",
        None,
        Some(detail),
    )
    .await?;
    Ok(Json(RotatedKey { key_id }))
}
