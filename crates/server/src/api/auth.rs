//! Sign-in, sign-out, the current user and their sessions ("your devices").

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use marquee_store::{AuditEvent, NewSession};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{self, AuthUser, ClientAddress};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// A name for this device, shown in the list of sessions.
    #[serde(default)]
    pub device: Option<String>,
    /// `true` for a browser: the session goes into an HttpOnly cookie (SameSite=Lax, Secure over
    /// HTTPS) instead of the answer, and every request that changes something must echo the
    /// `marquee_csrf` cookie in an `X-CSRF-Token` header. `false` (default): a bearer token for
    /// apps and scripts.
    #[serde(default)]
    pub cookie: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`; absent for cookie sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// For cookie sessions: the value to send in `X-CSRF-Token` (also in the `marquee_csrf` cookie).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    pub user: marquee_store::User,
    pub expires_at: i64,
}

/// Over HTTPS (directly or behind a proxy that says so) cookies get `Secure`.
pub(crate) fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

fn session_cookies(token: &str, max_age: i64, secure: bool) -> [HeaderValue; 2] {
    let secure = if secure { "; Secure" } else { "" };
    let session = format!(
        "{}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}",
        auth::SESSION_COOKIE
    );
    let csrf = format!(
        "{}={}; Path=/; Max-Age={max_age}; SameSite=Lax{secure}",
        auth::CSRF_COOKIE,
        if max_age > 0 {
            auth::csrf_token(token)
        } else {
            String::new()
        }
    );
    [session, csrf].map(|c| HeaderValue::from_str(&c).unwrap_or(HeaderValue::from_static("")))
}

/// A failed or refused sign-in, recorded in the audit log.
async fn audit_refusal(state: &AppState, name: &str, address: &Option<String>, action: &str) {
    let _ = state
        .store
        .audit(AuditEvent {
            actor_name: Some(name),
            action,
            address: address.as_deref(),
            ..Default::default()
        })
        .await;
}

/// A hash to verify against when the user does not exist, so that a wrong name and a wrong
/// password take the same time.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| auth::hash_password("marquee-dummy-password").unwrap_or_default());

/// A name for a new session's device: the one the client gave, else its User-Agent.
pub(crate) fn device_name(given: Option<&str>, headers: &HeaderMap) -> Option<String> {
    given
        .map(|d| d.chars().take(100).collect::<String>())
        .or_else(|| {
            headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(100).collect())
        })
}

/// Opens a session for a user who has just proven who they are (`method`: `password`, `oidc`)
/// and records the sign-in. Answers the token to hand over and the session.
pub(crate) async fn open_session(
    state: &AppState,
    user: &marquee_store::User,
    cookie: bool,
    device: Option<&str>,
    address: Option<&str>,
    method: &str,
) -> ApiResult<(String, marquee_store::SessionInfo)> {
    let token = auth::new_token();
    let session = state
        .store
        .create_session(NewSession {
            user_id: user.id,
            token_hash: &auth::token_hash(&token),
            device,
            kind: if cookie { "cookie" } else { "bearer" },
            address,
            ttl_secs: auth::SESSION_TTL_SECS,
        })
        .await?;
    super::audit_by(
        state,
        user,
        address,
        "sign_in",
        Some(format!("session:{}", session.id)),
        Some(serde_json::json!({ "kind": session.kind, "method": method })),
    )
    .await?;
    tracing::info!(user = %user.username, kind = %session.kind, method, "signed in");
    Ok((token, session))
}

/// Puts a new cookie session (and its CSRF cookie) on a response.
pub(crate) fn add_session_cookies(res: &mut Response, token: &str, headers: &HeaderMap) {
    for c in session_cookies(token, auth::SESSION_TTL_SECS, is_https(headers)) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
}

/// Signs in with a user name and password: a bearer token, or a cookie session for browsers.
/// Repeated failures for one account (or from one address) make the next try wait: the answer is
/// 429 with `Retry-After` and says how long.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "the account is disabled"),
        (status = 429, body = ErrorBody, description = "too many failed sign-ins: wait Retry-After seconds")))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Json<LoginRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Response> {
    let Json(req) = body.map_err(|e| {
        ApiError::bad_request(format!("expected JSON {{\"username\", \"password\"}}: {e}"))
    })?;
    let name = req.username.trim();
    let wait = state
        .login_throttle
        .wait_secs(name, address.as_deref(), crate::unix_now_ms());
    if wait > 0 {
        audit_refusal(&state, name, &address, "sign_in_throttled").await;
        let body = ErrorBody {
            error: format!("too many failed sign-ins; try again in {wait} s"),
        };
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, wait.to_string())],
            Json(body),
        )
            .into_response());
    }
    let user = state.store.user_by_name(name).await?;
    // Accounts made by an identity provider have no password until an administrator sets one;
    // they take as long to refuse as anyone else.
    let real_hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .filter(|h| h != marquee_store::NO_PASSWORD);
    let has_password = real_hash.is_some();
    let hash = real_hash.unwrap_or_else(|| DUMMY_HASH.clone());
    let password = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::internal(format!("password check failed: {e}")))?
        && has_password;
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        Some(u) if ok && u.disabled => {
            audit_refusal(&state, name, &address, "sign_in_refused_disabled").await;
            return Err(ApiError::forbidden(
                "this account is disabled; ask an administrator",
            ));
        }
        _ => {
            state
                .login_throttle
                .record_failure(name, address.as_deref(), crate::unix_now_ms());
            audit_refusal(&state, name, &address, "sign_in_failed").await;
            return Err(ApiError::unauthorized("wrong user name or password"));
        }
    };
    state.login_throttle.record_success(name);
    let device = device_name(req.device.as_deref(), &headers);
    let (token, session) = open_session(
        &state,
        &user,
        req.cookie,
        device.as_deref(),
        address.as_deref(),
        "password",
    )
    .await?;
    if req.cookie {
        let body = LoginResponse {
            token: None,
            csrf_token: Some(auth::csrf_token(&token)),
            user,
            expires_at: session.expires_at,
        };
        let mut res = Json(body).into_response();
        add_session_cookies(&mut res, &token, &headers);
        return Ok(res);
    }
    Ok(Json(LoginResponse {
        token: Some(token),
        csrf_token: None,
        user,
        expires_at: session.expires_at,
    })
    .into_response())
}

/// Ends the current session (and clears the session cookies).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
) -> ApiResult<Response> {
    state.store.delete_session(user.session.id).await?;
    state.sessions.evict(Some(user.session.id), None);
    let mut res = StatusCode::NO_CONTENT.into_response();
    if user.session.kind == "cookie" {
        for c in session_cookies("", 0, is_https(&headers)) {
            res.headers_mut().append(header::SET_COOKIE, c);
        }
    }
    Ok(res)
}

/// A session as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    #[serde(flatten)]
    pub session: marquee_store::SessionInfo,
    /// The session this request was made with.
    pub current: bool,
}

/// The signed-in user's sessions (devices), most recently used first.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = [SessionView]), (status = 401, body = ErrorBody)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Vec<SessionView>>> {
    let sessions = state.store.sessions_of(user.user.id).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| SessionView {
                current: s.id == user.session.id,
                session: s,
            })
            .collect(),
    ))
}

/// Signs one of the user's sessions out (a lost phone, a friend's TV).
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = i64, Path, description = "session id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    user: AuthUser,
    ClientAddress(address): ClientAddress,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> ApiResult<StatusCode> {
    let Path(id) =
        id.map_err(|_| ApiError::bad_request("the session id must be a whole number"))?;
    if !state.store.delete_session_of(user.user.id, id).await? {
        return Err(ApiError::not_found(format!("you have no session {id}")));
    }
    state.sessions.evict(Some(id), None);
    super::audit_by(
        &state,
        &user.user,
        address.as_deref(),
        "session_revoked",
        Some(format!("session:{id}")),
        None,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct SignOutEverywhere {
    /// Keep the session making this request (sign out every *other* device).
    #[serde(default)]
    pub keep_current: bool,
}

/// "Sign out everywhere": ends every session of the user, or every other one.
#[utoipa::path(delete, path = "/api/v1/me/sessions", tag = "auth", security(("bearer" = [])),
    params(SignOutEverywhere),
    responses((status = 200, body = RevokedCount), (status = 401, body = ErrorBody)))]
pub async fn revoke_all_sessions(
    State(state): State<AppState>,
    user: AuthUser,
    ClientAddress(address): ClientAddress,
    q: Result<axum::extract::Query<SignOutEverywhere>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<RevokedCount>> {
    let axum::extract::Query(q) =
        q.map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))?;
    let keep = q.keep_current.then_some(user.session.id);
    let revoked = state.store.delete_sessions_of(user.user.id, keep).await?;
    state.sessions.evict(None, Some(user.user.id));
    super::audit_by(
        &state,
        &user.user,
        address.as_deref(),
        "sessions_revoked",
        Some(format!("user:{}", user.user.id)),
        Some(serde_json::json!({ "count": revoked, "kept_current": q.keep_current })),
    )
    .await?;
    Ok(Json(RevokedCount { revoked }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedCount {
    pub revoked: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: marquee_store::User,
    pub session: marquee_store::SessionInfo,
    /// Who is watching on this device, when a profile was chosen.
    pub profile: Option<marquee_store::Profile>,
}

/// The signed-in user and session.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(user: AuthUser) -> Json<Me> {
    Json(Me {
        user: user.user,
        session: user.session,
        profile: user.profile,
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
    // Everyone who knew the old password is signed out; this device stays signed in.
    state
        .store
        .set_password(user.user.id, &new_hash, Some(user.session.id))
        .await?;
    state.sessions.evict(None, Some(user.user.id));
    super::audit_by(
        &state,
        &user.user,
        None,
        "password_changed",
        Some(format!("user:{}", user.user.id)),
        None,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
