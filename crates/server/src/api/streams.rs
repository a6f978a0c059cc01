//! Concurrent stream limits: the signed-in user's playback sessions (list, heartbeat, stop) and
//! the checks playback makes when a stream opens and on every signed request.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{AuthUser, ClientAddress};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::signing::Viewer;
use crate::streams::{ActiveStream, BeatError, NewStream, OverLimit};
use crate::AppState;

/// The answer when one more stream would pass the plan's limit.
#[derive(Debug, Serialize, ToSchema)]
pub struct TooManyStreams {
    pub error: String,
    /// How many streams the plan allows at once.
    pub limit: u32,
    /// The streams playing now, oldest first; stop one with `DELETE /api/v1/me/streams/{id}`.
    pub streams: Vec<ActiveStream>,
}

/// A playback failure: an ordinary API error, or the stream limit with the streams in the way.
#[derive(Debug)]
pub enum PlayError {
    Api(ApiError),
    TooMany(OverLimit),
}

pub type PlayResult<T> = Result<T, PlayError>;

impl From<ApiError> for PlayError {
    fn from(e: ApiError) -> PlayError {
        PlayError::Api(e)
    }
}

impl From<marquee_store::StoreError> for PlayError {
    fn from(e: marquee_store::StoreError) -> PlayError {
        PlayError::Api(e.into())
    }
}

impl IntoResponse for PlayError {
    fn into_response(self) -> Response {
        match self {
            PlayError::Api(e) => e.into_response(),
            PlayError::TooMany(o) => {
                let error = format!(
                    "your plan allows {} stream{} at once and {} playing now; stop one (DELETE /api/v1/me/streams/{{id}}) to watch here",
                    o.limit,
                    if o.limit == 1 { "" } else { "s" },
                    if o.streams.len() == 1 { "one is".to_string() } else { format!("{} are", o.streams.len()) },
                );
                (
                    StatusCode::CONFLICT,
                    Json(TooManyStreams {
                        error,
                        limit: o.limit,
                        streams: o.streams,
                    }),
                )
                    .into_response()
            }
        }
    }
}

/// How many streams a user may play at once (`None`: no limit): their plan's `max_streams`
/// (administrators: none). Plans are opt-in: until one is defined, the configured default.
pub(crate) async fn stream_limit(
    state: &AppState,
    user: &marquee_store::User,
) -> ApiResult<Option<u32>> {
    if state.store.plans().await?.is_empty() {
        return Ok(state.streams.default_limit);
    }
    Ok(state.store.entitlement(user.id).await?.max_streams)
}

/// Opens (or renews) the stream of this device playing `item_id`.
pub(crate) async fn open(
    state: &AppState,
    user: &AuthUser,
    item_id: i64,
) -> PlayResult<ActiveStream> {
    let now = crate::unix_now();
    let mut new = NewStream {
        user_id: user.user.id,
        session_id: user.session.id,
        profile_id: user.profile.as_ref().map(|p| p.id),
        item_id,
        title: String::new(),
        device: user.session.device.clone(),
    };
    // Renewing asks nothing of the database (direct play renews on every range request).
    if let Some(s) = state.streams.renew(&new, now) {
        return Ok(s);
    }
    let limit = stream_limit(state, &user.user).await?;
    new.title = state
        .store
        .display_title(item_id)
        .await?
        .unwrap_or_else(|| format!("item {item_id}"));
    state
        .streams
        .open(new, limit, now)
        .map_err(PlayError::TooMany)
}

fn stopped() -> PlayError {
    PlayError::Api(ApiError::forbidden(
        "this stream was stopped; ask for playback again (GET /api/v1/items/{id}/playback)",
    ))
}

/// A request on a signed link is a heartbeat of the stream the link belongs to. A stream this
/// server does not know (it restarted) registers again, within the limit.
pub(crate) async fn beat_link(state: &AppState, viewer: Viewer, item_id: i64) -> PlayResult<()> {
    if viewer.stream <= 0 {
        return Err(ApiError::forbidden("the playback link belongs to no stream").into());
    }
    let now = crate::unix_now();
    match state
        .streams
        .beat(viewer.stream, viewer.user, Some(item_id), now)
    {
        Ok(_) => return Ok(()),
        Err(BeatError::Stopped) => return Err(stopped()),
        Err(BeatError::OverLimit(o)) => return Err(PlayError::TooMany(o)),
        Err(BeatError::Unknown) => {}
    }
    let user = state.store.user_by_id(viewer.user).await?;
    if user.disabled {
        return Err(ApiError::forbidden("this account is disabled").into());
    }
    let limit = stream_limit(state, &user).await?;
    let title = state
        .store
        .display_title(item_id)
        .await?
        .unwrap_or_else(|| format!("item {item_id}"));
    let new = NewStream {
        user_id: user.id,
        session_id: 0,
        profile_id: (viewer.profile != 0).then_some(viewer.profile),
        item_id,
        title,
        device: None,
    };
    match state.streams.resume(viewer.stream, new, limit, now) {
        Ok(_) => Ok(()),
        Err(BeatError::Stopped) => Err(stopped()),
        Err(BeatError::OverLimit(o)) => Err(PlayError::TooMany(o)),
        Err(BeatError::Unknown) => {
            Err(ApiError::forbidden("the playback link is not valid for this stream").into())
        }
    }
}

type IdPath = Result<Path<i64>, axum::extract::rejection::PathRejection>;

fn stream_id(p: IdPath) -> ApiResult<i64> {
    let Path(id) = p.map_err(|_| ApiError::bad_request("the stream id must be a whole number"))?;
    Ok(id)
}

/// The signed-in user's streams playing now (every device and profile), oldest first.
#[utoipa::path(get, path = "/api/v1/me/streams", tag = "playback", security(("bearer" = [])),
    responses((status = 200, body = [ActiveStream]), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, user: AuthUser) -> Json<Vec<ActiveStream>> {
    Json(state.streams.list(user.user.id, crate::unix_now()))
}

/// Keeps a stream active (players send one every `heartbeat_secs` of the playback info, also
/// while paused; segment requests count too). A stream that lapsed comes back if a screen is free.
#[utoipa::path(post, path = "/api/v1/me/streams/{id}/heartbeat", tag = "playback", security(("bearer" = [])),
    params(("id" = i64, Path, description = "stream id (`stream_id` of the playback info)")),
    responses((status = 200, body = ActiveStream), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no such stream of yours"),
        (status = 409, body = TooManyStreams, description = "it lapsed and every screen of the plan is taken"),
        (status = 410, body = ErrorBody, description = "the stream was stopped")))]
pub async fn heartbeat(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
) -> PlayResult<Json<ActiveStream>> {
    let id = stream_id(p)?;
    match state
        .streams
        .beat(id, user.user.id, None, crate::unix_now())
    {
        Ok(s) => Ok(Json(s)),
        Err(BeatError::Unknown) => Err(ApiError::not_found(format!(
            "you have no stream {id}; ask for playback again"
        ))
        .into()),
        Err(BeatError::Stopped) => Err(ApiError::new(
            StatusCode::GONE,
            format!("stream {id} was stopped; ask for playback again"),
        )
        .into()),
        Err(BeatError::OverLimit(o)) => Err(PlayError::TooMany(o)),
    }
}

/// Stops one of the user's streams (on this device or another): its playback links are refused
/// from now on and its screen is free at once.
#[utoipa::path(delete, path = "/api/v1/me/streams/{id}", tag = "playback", security(("bearer" = [])),
    params(("id" = i64, Path, description = "stream id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn stop(
    State(state): State<AppState>,
    user: AuthUser,
    ClientAddress(address): ClientAddress,
    p: IdPath,
) -> ApiResult<StatusCode> {
    let id = stream_id(p)?;
    if !state.streams.stop(id, user.user.id) {
        return Err(ApiError::not_found(format!("you have no stream {id}")));
    }
    super::audit_by(
        &state,
        &user.user,
        address.as_deref(),
        "stream_stopped",
        Some(format!("stream:{id}")),
        None,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
