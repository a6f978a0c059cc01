//! The viewer's own state, per profile: playback progress (resume, watched), continue watching,
//! up next, My List and thumbs.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use marquee_store::viewing::{
    reached_end, ContinueItem, NextEpisode, ProgressQueue, ProgressReport, ProgressState,
    SavedTitle, Viewer, ViewerItemState, DEFAULT_WATCHED_THRESHOLD,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::catalog::check_visible;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;

type IdPath = Result<Path<i64>, axum::extract::rejection::PathRejection>;
type Body<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

fn id(p: IdPath) -> ApiResult<i64> {
    p.map(|Path(id)| id)
        .map_err(|_| ApiError::bad_request("the id in the path must be a whole number"))
}

fn body<T>(b: Body<T>) -> ApiResult<T> {
    b.map(|Json(b)| b)
        .map_err(|e| ApiError::bad_request(format!("bad request body: {}", e.body_text())))
}

/// Progress writes and the watched rule's setting.
#[derive(Clone)]
pub struct Viewing {
    pub queue: ProgressQueue,
    /// Share (0–1] of the duration past which an item counts as watched.
    pub watched_threshold: f64,
}

impl Viewing {
    pub fn new(store: marquee_store::Store) -> Viewing {
        Viewing {
            queue: ProgressQueue::new(store),
            watched_threshold: DEFAULT_WATCHED_THRESHOLD,
        }
    }
}

pub(crate) fn viewer_of(user: &AuthUser) -> Viewer {
    Viewer {
        user_id: user.user.id,
        profile_id: user.profile.as_ref().map(|p| p.id),
    }
}

/// The routes of this module, nested under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/progress", post(report_progress))
        .route("/me/continue-watching", get(continue_watching))
        .route("/me/watched/{id}", put(mark_watched).delete(mark_unwatched))
        .route("/me/items/{id}", get(item_state))
        .route("/me/list", get(my_list))
        .route("/me/list/{id}", put(add_to_list).delete(remove_from_list))
        .route("/me/ratings", get(my_ratings))
        .route("/me/ratings/{id}", put(rate).delete(unrate))
        .route("/items/{id}/next", get(up_next))
}

/// A player's position report.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProgressRequest {
    /// The episode, movie or extra being played.
    pub item_id: i64,
    /// Where playback is, in milliseconds from the start.
    pub position_ms: i64,
    /// The duration the player sees; used only when the server does not know the file's.
    pub duration_ms: Option<i64>,
}

/// Records where a player is (send every ~10 s and on pause and stop). The answer comes once the
/// report is committed to the database; it says where to resume and whether the item now counts
/// as watched (past the watched threshold, default 90 %, or past its end credits).
#[utoipa::path(post, path = "/api/v1/me/progress", tag = "viewer", security(("bearer" = [])),
    request_body = ProgressRequest,
    responses((status = 200, body = ProgressState), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn report_progress(
    State(state): State<AppState>,
    user: AuthUser,
    req: Body<ProgressRequest>,
) -> ApiResult<Json<ProgressState>> {
    let req = body(req)?;
    if req.position_ms < 0 || req.duration_ms.is_some_and(|d| d <= 0) {
        return Err(ApiError::bad_request(
            "position_ms must be 0 or more and duration_ms more than 0",
        ));
    }
    check_visible(&state, &user, req.item_id).await?;
    let timing = state.store.item_timing(req.item_id).await?;
    if !matches!(timing.kind.as_str(), "episode" | "movie" | "extra") {
        return Err(ApiError::bad_request(format!(
            "item {} is a {}; report progress on the episode, movie or extra being played",
            req.item_id, timing.kind
        )));
    }
    let duration_ms = timing.duration_ms.or(req.duration_ms);
    let completed = reached_end(
        req.position_ms,
        duration_ms,
        timing.credits_start_ms,
        state.viewing.watched_threshold,
    );
    let report = ProgressReport {
        viewer: viewer_of(&user),
        item_id: req.item_id,
        position_ms: req.position_ms,
        duration_ms,
        completed,
        at_ms: marquee_store::viewing::now_ms(),
    };
    Ok(Json(state.viewing.queue.submit(report).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LimitQuery {
    /// How many entries (default 20, at most 100).
    pub limit: Option<usize>,
}

/// Continue watching, newest first: episodes and movies started and not finished, and the next
/// unwatched episode of each series whose last played episode was finished (one entry per
/// series). Only what the profile may see and can play.
#[utoipa::path(get, path = "/api/v1/me/continue-watching", tag = "viewer", security(("bearer" = [])),
    params(LimitQuery), responses((status = 200, body = [ContinueItem])))]
pub async fn continue_watching(
    State(state): State<AppState>,
    user: AuthUser,
    q: Result<Query<LimitQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<ContinueItem>>> {
    let Query(q) =
        q.map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))?;
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    Ok(Json(
        state
            .store
            .continue_watching(viewer_of(&user), &user.access(), limit)
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedView {
    /// How many episodes or movies changed.
    pub items: u64,
}

async fn mark(
    state: &AppState,
    user: &AuthUser,
    item_id: i64,
    watched: bool,
) -> ApiResult<Json<MarkedView>> {
    check_visible(state, user, item_id).await?;
    let items = state
        .store
        .mark_watched(viewer_of(user), item_id, watched, &user.access())
        .await?;
    Ok(Json(MarkedView { items }))
}

/// Marks an episode or movie watched — or every episode of a season or series.
#[utoipa::path(put, path = "/api/v1/me/watched/{id}", tag = "viewer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "episode, season, series or movie id")),
    responses((status = 200, body = MarkedView), (status = 404, body = ErrorBody)))]
pub async fn mark_watched(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
) -> ApiResult<Json<MarkedView>> {
    mark(&state, &user, id(p)?, true).await
}

/// Marks an episode or movie unwatched (its progress is cleared) — or every episode of a season
/// or series.
#[utoipa::path(delete, path = "/api/v1/me/watched/{id}", tag = "viewer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "episode, season, series or movie id")),
    responses((status = 200, body = MarkedView), (status = 404, body = ErrorBody)))]
pub async fn mark_unwatched(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
) -> ApiResult<Json<MarkedView>> {
    mark(&state, &user, id(p)?, false).await
}

/// This profile's state for an item: in My List, thumb, and progress (the item's own, or each
/// episode's under a series or season).
#[utoipa::path(get, path = "/api/v1/me/items/{id}", tag = "viewer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "item id")),
    responses((status = 200, body = ViewerItemState), (status = 404, body = ErrorBody)))]
pub async fn item_state(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
) -> ApiResult<Json<ViewerItemState>> {
    let item_id = id(p)?;
    state.store.visible_kind(item_id, &user.access()).await?;
    Ok(Json(
        state
            .store
            .viewer_item_state(viewer_of(&user), item_id)
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UpNext {
    /// The next episode to play, or null after the last one (and for movies).
    pub next: Option<NextEpisode>,
}

/// Up next after an episode: the following episode in watch order, crossing seasons. Specials
/// with an air date come after the last regular episode aired on or before it; specials without
/// one only lead to the next undated special. (Continue watching, unlike this, skips episodes the
/// profile already watched.)
#[utoipa::path(get, path = "/api/v1/items/{id}/next", tag = "viewer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "episode id")),
    responses((status = 200, body = UpNext), (status = 404, body = ErrorBody)))]
pub async fn up_next(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
) -> ApiResult<Json<UpNext>> {
    let item_id = id(p)?;
    state.store.visible_kind(item_id, &user.access()).await?;
    let next = state
        .store
        .next_episode(item_id, None, &user.access())
        .await?;
    Ok(Json(UpNext { next }))
}

/// My List, most recently added first.
#[utoipa::path(get, path = "/api/v1/me/list", tag = "viewer", security(("bearer" = [])),
    responses((status = 200, body = [SavedTitle])))]
pub async fn my_list(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Vec<SavedTitle>>> {
    Ok(Json(
        state
            .store
            .my_list(viewer_of(&user), &user.access())
            .await?,
    ))
}

/// The kind of an item the viewer may see, checked against the kinds an action accepts.
async fn kind_in(
    state: &AppState,
    user: &AuthUser,
    item_id: i64,
    kinds: &[&str],
    what: &str,
) -> ApiResult<()> {
    let kind = state.store.visible_kind(item_id, &user.access()).await?;
    if kinds.contains(&kind.as_str()) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "item {item_id} is a {kind}; {what} {}",
            kinds.join(", ")
        )))
    }
}

/// Adds a series or movie to My List (adding it again changes nothing).
#[utoipa::path(put, path = "/api/v1/me/list/{id}", tag = "viewer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "series or movie id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_to_list(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
) -> ApiResult<StatusCode> {
    let item_id = id(p)?;
    kind_in(
        &state,
        &user,
        item_id,
        &["series", "movie"],
        "My List holds",
    )
    .await?;
    state.store.my_list_add(viewer_of(&user), item_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a title from My List.
#[utoipa::path(delete, path = "/api/v1/me/list/{id}", tag = "viewer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "series or movie id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_from_list(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
) -> ApiResult<StatusCode> {
    let item_id = id(p)?;
    if !state
        .store
        .my_list_remove(viewer_of(&user), item_id)
        .await?
    {
        return Err(ApiError::not_found(format!(
            "item {item_id} is not in My List"
        )));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// This profile's thumbs, most recent first.
#[utoipa::path(get, path = "/api/v1/me/ratings", tag = "viewer", security(("bearer" = [])),
    responses((status = 200, body = [SavedTitle])))]
pub async fn my_ratings(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Vec<SavedTitle>>> {
    Ok(Json(
        state.store.thumbs(viewer_of(&user), &user.access()).await?,
    ))
}

/// Thumbs up or down.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RatingRequest {
    /// `up` or `down`.
    pub thumb: Thumb,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Thumb {
    Up,
    Down,
}

/// Rates a series, movie or episode: thumbs up or down (rating again replaces the thumb).
#[utoipa::path(put, path = "/api/v1/me/ratings/{id}", tag = "viewer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "series, movie or episode id")), request_body = RatingRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn rate(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
    req: Body<RatingRequest>,
) -> ApiResult<StatusCode> {
    let item_id = id(p)?;
    let req = body(req)?;
    kind_in(
        &state,
        &user,
        item_id,
        &["series", "movie", "episode"],
        "rate only",
    )
    .await?;
    state
        .store
        .set_thumb(viewer_of(&user), item_id, matches!(req.thumb, Thumb::Up))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Withdraws a thumb.
#[utoipa::path(delete, path = "/api/v1/me/ratings/{id}", tag = "viewer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "item id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn unrate(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
) -> ApiResult<StatusCode> {
    let item_id = id(p)?;
    if !state.store.clear_thumb(viewer_of(&user), item_id).await? {
        return Err(ApiError::not_found(format!(
            "item {item_id} has no thumb from this profile"
        )));
    }
    Ok(StatusCode::NO_CONTENT)
}
