//! Administration: libraries, scans and their progress, failed files, users.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use marquee_library::ProgressSnapshot;
use marquee_store::views::{FailedFile, LibraryView};
use marquee_store::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{self, AdminUser};
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
pub async fn start_scan(State(state): State<AppState>, _admin: AdminUser) -> ApiResult<StatusCode> {
    if state.scanner.progress().is_running() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "a scan is already running",
        ));
    }
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
    _admin: AdminUser,
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
    Ok((StatusCode::CREATED, Json(user)))
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
