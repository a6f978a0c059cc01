//! Profiles: who is watching on this device. A kids profile has a content-rating ceiling that
//! every catalog and playback answer honours; a PIN guards leaving a kids profile or entering a
//! grown-up one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use marquee_store::{rating_level, Profile, ProfileFields, RATINGS};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{self, AuthUser, ClientAddress};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;

/// Profiles per account.
pub const MAX_PROFILES: i64 = 5;
/// The ceiling a kids profile gets when none is given.
const KIDS_DEFAULT_RATING: &str = "TV-PG";

type IdPath = Result<Path<i64>, axum::extract::rejection::PathRejection>;
type Body<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfileRequest {
    pub name: String,
    /// A kids profile: a rating ceiling (default TV-PG) and no unrated titles unless allowed.
    #[serde(default)]
    pub kids: bool,
    /// The highest rating it may watch: TV-Y, TV-Y7, G, TV-G, PG, TV-PG, PG-13, TV-14, R, NC-17,
    /// TV-MA.
    pub max_rating: Option<String>,
    /// Whether titles without a known rating are shown (default: yes, no for kids profiles).
    pub allow_unrated: Option<bool>,
    /// 4 to 8 digits; an empty string removes the PIN.
    pub pin: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfilesView {
    pub profiles: Vec<Profile>,
    /// The profile chosen on this device, if any.
    pub current: Option<i64>,
}

fn managing(user: &AuthUser) -> ApiResult<()> {
    if user.in_kids_profile() {
        return Err(ApiError::forbidden(
            "a kids profile cannot change profiles; switch to a grown-up profile first",
        ));
    }
    Ok(())
}

/// Validates a request into the stored fields (hashing the PIN).
async fn fields(req: ProfileRequest) -> ApiResult<ProfileFields> {
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 40 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "a profile name has 1 to 40 characters",
        ));
    }
    let max_rating = match req.max_rating.as_deref().map(str::trim) {
        Some(r) if rating_level(r).is_none() => {
            return Err(ApiError::bad_request(format!(
                "unknown rating '{r}'; use one of {}",
                RATINGS.join(", ")
            )))
        }
        Some(r) => Some(r.to_ascii_uppercase()),
        None if req.kids => Some(KIDS_DEFAULT_RATING.to_string()),
        None => None,
    };
    let pin_hash = match req.pin {
        None => None,
        Some(p) if p.is_empty() => Some(None),
        Some(p) => {
            if !(4..=8).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::bad_request("a PIN has 4 to 8 digits"));
            }
            let hash = tokio::task::spawn_blocking(move || auth::hash_password(&p))
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?
                .map_err(ApiError::internal)?;
            Some(Some(hash))
        }
    };
    Ok(ProfileFields {
        name,
        kids: req.kids,
        max_rating,
        allow_unrated: req.allow_unrated.unwrap_or(!req.kids),
        pin_hash,
    })
}

/// The account's profiles and the one chosen on this device.
#[utoipa::path(get, path = "/api/v1/me/profiles", tag = "profiles", security(("bearer" = [])),
    responses((status = 200, body = ProfilesView), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<ProfilesView>> {
    Ok(Json(ProfilesView {
        profiles: state.store.profiles_of(user.user.id).await?,
        current: user.profile.map(|p| p.id),
    }))
}

/// Adds a profile (at most 5 per account; not from a kids profile).
#[utoipa::path(post, path = "/api/v1/me/profiles", tag = "profiles", security(("bearer" = [])),
    request_body = ProfileRequest,
    responses((status = 201, body = Profile), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "too many profiles, or the name is taken")))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    body: Body<ProfileRequest>,
) -> ApiResult<(StatusCode, Json<Profile>)> {
    managing(&user)?;
    let Json(req) = body.map_err(|e| ApiError::bad_request(format!("expected a profile: {e}")))?;
    let f = fields(req).await?;
    let p = state
        .store
        .create_profile(user.user.id, &f, MAX_PROFILES)
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Changes a profile (not from a kids profile).
#[utoipa::path(put, path = "/api/v1/me/profiles/{id}", tag = "profiles", security(("bearer" = [])),
    params(("id" = i64, Path, description = "profile id")), request_body = ProfileRequest,
    responses((status = 200, body = Profile), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    id: IdPath,
    body: Body<ProfileRequest>,
) -> ApiResult<Json<Profile>> {
    managing(&user)?;
    let Path(id) =
        id.map_err(|_| ApiError::bad_request("the profile id must be a whole number"))?;
    let Json(req) = body.map_err(|e| ApiError::bad_request(format!("expected a profile: {e}")))?;
    let f = fields(req).await?;
    let p = state.store.update_profile(user.user.id, id, &f).await?;
    state.sessions.evict(None, Some(user.user.id));
    Ok(Json(p))
}

/// Deletes a profile (not from a kids profile). Devices watching as it go back to no profile.
#[utoipa::path(delete, path = "/api/v1/me/profiles/{id}", tag = "profiles", security(("bearer" = [])),
    params(("id" = i64, Path, description = "profile id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    id: IdPath,
) -> ApiResult<StatusCode> {
    managing(&user)?;
    let Path(id) =
        id.map_err(|_| ApiError::bad_request("the profile id must be a whole number"))?;
    state.store.delete_profile(user.user.id, id).await?;
    state.sessions.evict(None, Some(user.user.id));
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChooseProfile {
    /// The profile to watch as on this device.
    pub profile_id: i64,
    /// The PIN, when the profile being left (a kids profile) or entered (a grown-up one) has one.
    pub pin: Option<String>,
}

/// Chooses who is watching on this device. Leaving a kids profile that has a PIN, or entering a
/// grown-up profile that has one, needs that PIN; wrong PINs are throttled like passwords.
#[utoipa::path(post, path = "/api/v1/me/profile", tag = "profiles", security(("bearer" = [])),
    request_body = ChooseProfile,
    responses((status = 200, body = Profile), (status = 403, body = ErrorBody, description = "PIN missing or wrong"),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn choose(
    State(state): State<AppState>,
    user: AuthUser,
    ClientAddress(address): ClientAddress,
    body: Body<ChooseProfile>,
) -> ApiResult<Json<Profile>> {
    let Json(req) = body
        .map_err(|e| ApiError::bad_request(format!("expected {{\"profile_id\", \"pin\"}}: {e}")))?;
    let target = state.store.profile_of(user.user.id, req.profile_id).await?;
    // The PIN that guards this move: the kids profile being left, else the one being entered.
    let guard = match &user.profile {
        Some(current) if current.kids && current.id != target.id && current.pin_hash.is_some() => {
            current.pin_hash.clone()
        }
        _ if !target.kids => target.pin_hash.clone(),
        _ => None,
    };
    if let Some(hash) = guard {
        let key = format!("pin:{}", user.user.id);
        let now = crate::unix_now_ms();
        let wait = state
            .login_throttle
            .wait_secs(&key, address.as_deref(), now);
        if wait > 0 {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many wrong PINs; try again in {wait} s"),
            ));
        }
        let pin = req.pin.clone().unwrap_or_default();
        let ok = tokio::task::spawn_blocking(move || auth::verify_password(&pin, &hash))
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        if !ok {
            state
                .login_throttle
                .record_failure(&key, address.as_deref(), now);
            return Err(ApiError::forbidden(if req.pin.is_none() {
                "this needs the profile's PIN"
            } else {
                "wrong PIN"
            }));
        }
        state.login_throttle.record_success(&key);
    }
    state
        .store
        .set_session_profile(user.session.id, Some(target.id))
        .await?;
    state.sessions.evict(Some(user.session.id), None);
    Ok(Json(target))
}
