//! Catalog: series, movies, items, people, genres, artwork.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use marquee_store::views::*;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;

type QueryResult<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

fn query<T>(q: QueryResult<T>) -> ApiResult<T> {
    q.map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))
}

type IdPath = Result<Path<i64>, axum::extract::rejection::PathRejection>;

fn id(p: IdPath) -> ApiResult<i64> {
    p.map(|Path(id)| id)
        .map_err(|_| ApiError::bad_request("the id in the path must be a whole number"))
}

/// Series, filtered, sorted and paged.
#[utoipa::path(get, path = "/api/v1/series", tag = "catalog", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<TitleSummary>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_series(
    State(state): State<AppState>,
    user: AuthUser,
    q: QueryResult<ListQuery>,
    uri: Uri,
) -> ApiResult<Response> {
    let q = query(q)?;
    let store = &state.store;
    let access = user.access();
    state
        .responses
        .json(key(&uri, &access), store.generation(), async {
            Ok(store.list_titles("series", &q, &access).await?)
        })
        .await
}

/// Movies, filtered, sorted and paged.
#[utoipa::path(get, path = "/api/v1/movies", tag = "catalog", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<TitleSummary>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_movies(
    State(state): State<AppState>,
    user: AuthUser,
    q: QueryResult<ListQuery>,
    uri: Uri,
) -> ApiResult<Response> {
    let q = query(q)?;
    let store = &state.store;
    let access = user.access();
    state
        .responses
        .json(key(&uri, &access), store.generation(), async {
            Ok(store.list_titles("movie", &q, &access).await?)
        })
        .await
}

/// A 404 for an item the viewer's profile may not see: it is not there for them.
pub(crate) async fn check_visible(state: &AppState, user: &AuthUser, id: i64) -> ApiResult<()> {
    let access = user.access();
    if access.is_unrestricted() || state.store.item_visible(id, &access).await? {
        return Ok(());
    }
    Err(ApiError::not_found(format!(
        "item {id} is not available on this profile"
    )))
}

async fn detail_of_kind(
    state: &AppState,
    user: &AuthUser,
    id: i64,
    kind: &str,
    uri: &Uri,
) -> ApiResult<Response> {
    check_visible(state, user, id).await?;
    let store = &state.store;
    state
        .responses
        .json(key(uri, &Default::default()), store.generation(), async {
            let item = store.item_detail(id).await?;
            if item.kind != kind {
                return Err(ApiError::not_found(format!(
                    "{kind} {id} not found (item {id} is a {})",
                    item.kind
                )));
            }
            Ok(item)
        })
        .await
}

/// Cache key of a GET: its path and query, and the viewer's access class (a kids profile's
/// list is not an adult's).
fn key(uri: &Uri, access: &marquee_store::Access) -> String {
    let pq = uri.path_and_query().map_or("", |pq| pq.as_str());
    format!("{}|{pq}", access.tag())
}

/// A series with its seasons and episodes, credits, reviews and artwork.
#[utoipa::path(get, path = "/api/v1/series/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = i64, Path, description = "series id")),
    responses((status = 200, body = ItemDetail), (status = 404, body = ErrorBody)))]
pub async fn series_detail(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
    uri: Uri,
) -> ApiResult<Response> {
    detail_of_kind(&state, &user, id(p)?, "series", &uri).await
}

/// A movie with credits, reviews, artwork, extras and its file.
#[utoipa::path(get, path = "/api/v1/movies/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = i64, Path, description = "movie id")),
    responses((status = 200, body = ItemDetail), (status = 404, body = ErrorBody)))]
pub async fn movie_detail(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
    uri: Uri,
) -> ApiResult<Response> {
    detail_of_kind(&state, &user, id(p)?, "movie", &uri).await
}

/// Any item: series, season, episode, movie or extra.
#[utoipa::path(get, path = "/api/v1/items/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = i64, Path, description = "item id")),
    responses((status = 200, body = ItemDetail), (status = 404, body = ErrorBody)))]
pub async fn item_detail(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
    uri: Uri,
) -> ApiResult<Response> {
    let id = id(p)?;
    check_visible(&state, &user, id).await?;
    let store = &state.store;
    state
        .responses
        .json(key(&uri, &Default::default()), store.generation(), async {
            Ok(store.item_detail(id).await?)
        })
        .await
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PeopleQuery {
    /// Substring of the name.
    pub q: Option<String>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

/// People in the catalog, by name.
#[utoipa::path(get, path = "/api/v1/people", tag = "catalog", security(("bearer" = [])), params(PeopleQuery),
    responses((status = 200, body = Page<PersonSummary>)))]
pub async fn list_people(
    State(state): State<AppState>,
    user: AuthUser,
    q: QueryResult<PeopleQuery>,
) -> ApiResult<Json<Page<PersonSummary>>> {
    let q = query(q)?;
    Ok(Json(
        state
            .store
            .list_people(
                q.q.as_deref(),
                q.offset.unwrap_or(0),
                q.limit.unwrap_or(50),
                &user.access(),
            )
            .await?,
    ))
}

/// A person and their credits across the catalog, grouped by role and ordered by date.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = PersonDetail), (status = 404, body = ErrorBody)))]
pub async fn person_detail(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
) -> ApiResult<Json<PersonDetail>> {
    Ok(Json(
        state.store.person_detail(id(p)?, &user.access()).await?,
    ))
}

/// Genres with the number of titles in each.
#[utoipa::path(get, path = "/api/v1/genres", tag = "catalog", security(("bearer" = [])),
    responses((status = 200, body = [GenreCount])))]
pub async fn genres(
    State(state): State<AppState>,
    _user: AuthUser,
) -> ApiResult<Json<Vec<GenreCount>>> {
    Ok(Json(state.store.genres().await?))
}

const ARTWORK_KINDS: [&str; 5] = ["poster", "backdrop", "thumb", "logo", "banner"];

/// An item's artwork image (poster, backdrop, thumb, logo, banner).
#[utoipa::path(get, path = "/api/v1/items/{id}/artwork/{kind}", tag = "catalog", security(("bearer" = [])),
    params(("id" = i64, Path, description = "item id"), ("kind" = String, Path, description = "poster, backdrop, thumb, logo or banner"), super::extras::ArtworkQuery),
    responses((status = 200, description = "the image (a sidecar image, else for a poster or thumb a still generated from the video)", content_type = "image/jpeg"), (status = 304), (status = 404, body = ErrorBody)))]
pub async fn artwork(
    State(state): State<AppState>,
    _user: AuthUser,
    p: Result<Path<(i64, String)>, axum::extract::rejection::PathRejection>,
    q: QueryResult<super::extras::ArtworkQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let Path((item_id, kind)) = p.map_err(|_| {
        ApiError::bad_request("expected /items/{id}/artwork/{kind} with a numeric id")
    })?;
    if !ARTWORK_KINDS.contains(&kind.as_str()) {
        return Err(ApiError::bad_request(format!(
            "unknown artwork kind {kind:?}; use one of {}",
            ARTWORK_KINDS.join(", ")
        )));
    }
    let q = query(q)?;
    let Some(path) = state.store.artwork_path(item_id, &kind).await? else {
        return super::extras::generated_artwork(&state, item_id, &kind, &q, &headers).await;
    };
    // Only files inside a media root are ever served, whatever the database says.
    let real = state
        .inside_media_roots(&path)
        .ok_or_else(|| ApiError::not_found(format!("item {item_id} has no {kind}")))?;
    if q.wants_extras() {
        return super::extras::sidecar_artwork(&state, item_id, &kind, real, &q, &headers).await;
    }
    let md = tokio::fs::metadata(&real)
        .await
        .map_err(|_| ApiError::not_found(format!("the {kind} image of item {item_id} is gone")))?;
    let mtime = md
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let etag = format!("\"{:x}-{:x}\"", md.len(), mtime);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let bytes = tokio::fs::read(&real)
        .await
        .map_err(|e| ApiError::internal(format!("cannot read the {kind} image: {e}")))?;
    let content_type = match real
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        _ => "image/jpeg",
    };
    let mut resp = Response::new(Body::from(bytes));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(resp)
}
