//! Editorial: reviews (administrators write, edit and delete them; audit-logged), "more from
//! this reviewer / publication", and "more like this".

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use marquee_store::viewing::{ReviewFields, ReviewedTitle, SimilarTitle};
use marquee_store::views::ReviewView;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::audit_by;
use super::catalog::check_visible;
use crate::auth::{AdminUser, AuthUser, ClientAddress};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;

type IdPath = Result<Path<i64>, axum::extract::rejection::PathRejection>;
type Body<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;
type QueryOf<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

fn id(p: IdPath) -> ApiResult<i64> {
    p.map(|Path(id)| id)
        .map_err(|_| ApiError::bad_request("the id in the path must be a whole number"))
}

fn query<T>(q: QueryOf<T>) -> ApiResult<T> {
    q.map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))
}

/// The routes of this module, nested under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/items/{id}/reviews", post(create_review))
        .route(
            "/admin/reviews/{id}",
            put(update_review).delete(delete_review),
        )
        .route("/reviews", get(reviews_by))
        .route("/items/{id}/similar", get(similar))
        .route("/people/{id}/photo", get(person_photo))
}

/// A review as an administrator writes it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReviewRequest {
    pub author: String,
    pub publication: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    /// 0–100.
    pub score: Option<f64>,
    /// The score as the publication shows it ("4/5", "B+").
    pub score_text: Option<String>,
    /// The review in Markdown; it is shown as sanitised HTML (`body_html`).
    pub body_markdown: String,
    /// An http(s) address of the full review.
    pub url: Option<String>,
}

/// Longest review body accepted.
const MAX_BODY: usize = 64 * 1024;

fn trimmed(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

fn fields(req: ReviewRequest) -> ApiResult<ReviewFields> {
    let author = req.author.trim().to_string();
    if author.is_empty() || author.chars().count() > 200 {
        return Err(ApiError::bad_request("author needs 1 to 200 characters"));
    }
    if req.body_markdown.len() > MAX_BODY {
        return Err(ApiError::bad_request(format!(
            "body_markdown is longer than {} KiB",
            MAX_BODY / 1024
        )));
    }
    let date = trimmed(req.date);
    if date.as_deref().is_some_and(|d| !is_date(d)) {
        return Err(ApiError::bad_request("date must be YYYY-MM-DD"));
    }
    if req
        .score
        .is_some_and(|s| !s.is_finite() || !(0.0..=100.0).contains(&s))
    {
        return Err(ApiError::bad_request(
            "score must be from 0 to 100 (write \"4/5\" as score 80 and score_text \"4/5\")",
        ));
    }
    let url = trimmed(req.url);
    if url
        .as_deref()
        .is_some_and(|u| !(u.starts_with("https://") || u.starts_with("http://")))
    {
        return Err(ApiError::bad_request(
            "url must be an http or https address",
        ));
    }
    Ok(ReviewFields {
        author,
        publication: trimmed(req.publication),
        date,
        score: req.score,
        score_text: trimmed(req.score_text),
        body_markdown: req.body_markdown.trim().to_string(),
        url,
    })
}

/// Adds an editorial review to a series, season, episode or movie.
#[utoipa::path(post, path = "/api/v1/admin/items/{id}/reviews", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "series, season, episode or movie id")), request_body = ReviewRequest,
    responses((status = 201, body = ReviewView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_review(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ClientAddress(address): ClientAddress,
    p: IdPath,
    req: Body<ReviewRequest>,
) -> ApiResult<(StatusCode, Json<ReviewView>)> {
    let item_id = id(p)?;
    let req = req
        .map(|Json(r)| r)
        .map_err(|e| ApiError::bad_request(format!("bad request body: {}", e.body_text())))?;
    let f = fields(req)?;
    let kind = state
        .store
        .visible_kind(item_id, &marquee_store::Access::EVERYTHING)
        .await?;
    if !matches!(kind.as_str(), "series" | "season" | "episode" | "movie") {
        return Err(ApiError::bad_request(format!(
            "item {item_id} is a {kind}; reviews go on series, seasons, episodes and movies"
        )));
    }
    let review = state
        .store
        .create_review(item_id, &f, admin.user.id)
        .await?;
    audit_by(
        &state,
        &admin.user,
        address.as_deref(),
        "review_created",
        Some(format!("review:{}", review.id)),
        Some(serde_json::json!({"item_id": item_id, "author": review.author})),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(review)))
}

/// Replaces a review. Editing a review that came from a sidecar makes it the administrators':
/// rescans no longer change it.
#[utoipa::path(put, path = "/api/v1/admin/reviews/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "review id")), request_body = ReviewRequest,
    responses((status = 200, body = ReviewView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_review(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ClientAddress(address): ClientAddress,
    p: IdPath,
    req: Body<ReviewRequest>,
) -> ApiResult<Json<ReviewView>> {
    let review_id = id(p)?;
    let req = req
        .map(|Json(r)| r)
        .map_err(|e| ApiError::bad_request(format!("bad request body: {}", e.body_text())))?;
    let f = fields(req)?;
    let (item_id, before) = state.store.review(review_id).await?;
    let review = state
        .store
        .update_review(review_id, &f, admin.user.id)
        .await?;
    audit_by(
        &state,
        &admin.user,
        address.as_deref(),
        "review_updated",
        Some(format!("review:{review_id}")),
        Some(serde_json::json!({"item_id": item_id, "was_source": before.source})),
    )
    .await?;
    Ok(Json(review))
}

/// Deletes a review. A review from a sidecar stays deleted across rescans.
#[utoipa::path(delete, path = "/api/v1/admin/reviews/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "review id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_review(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ClientAddress(address): ClientAddress,
    p: IdPath,
) -> ApiResult<StatusCode> {
    let review_id = id(p)?;
    let (item_id, before) = state.store.review(review_id).await?;
    state.store.delete_review(review_id, admin.user.id).await?;
    audit_by(
        &state,
        &admin.user,
        address.as_deref(),
        "review_deleted",
        Some(format!("review:{review_id}")),
        Some(serde_json::json!({"item_id": item_id, "author": before.author, "source": before.source})),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReviewsQuery {
    /// Reviews by this critic (case-insensitive).
    pub author: Option<String>,
    /// Reviews in this publication (case-insensitive). With `author` too, either matches.
    pub publication: Option<String>,
    /// At most this many (default 50, at most 200).
    pub limit: Option<i64>,
}

/// More from this reviewer or publication: their reviews with the titles, newest first.
#[utoipa::path(get, path = "/api/v1/reviews", tag = "catalog", security(("bearer" = [])),
    params(ReviewsQuery),
    responses((status = 200, body = [ReviewedTitle]), (status = 400, body = ErrorBody)))]
pub async fn reviews_by(
    State(state): State<AppState>,
    user: AuthUser,
    q: QueryOf<ReviewsQuery>,
) -> ApiResult<Json<Vec<ReviewedTitle>>> {
    let q = query(q)?;
    let given = |s: &Option<String>| s.as_deref().is_some_and(|v| !v.trim().is_empty());
    if !given(&q.author) && !given(&q.publication) {
        return Err(ApiError::bad_request("give author, publication or both"));
    }
    Ok(Json(
        state
            .store
            .reviews_by(
                q.author.as_deref(),
                q.publication.as_deref(),
                &user.access(),
                q.limit.unwrap_or(50),
            )
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SimilarQuery {
    /// At most this many (default 20, at most 100).
    pub limit: Option<i64>,
}

/// More like this: series and movies sharing people (weight 3 each), studios (2), tags (1),
/// genres (1) and reviewers or publications (0.5) with this title — an episode or season stands
/// for its series — best first, with what each shares.
#[utoipa::path(get, path = "/api/v1/items/{id}/similar", tag = "catalog", security(("bearer" = [])),
    params(("id" = i64, Path, description = "item id"), SimilarQuery),
    responses((status = 200, body = [SimilarTitle]), (status = 404, body = ErrorBody)))]
pub async fn similar(
    State(state): State<AppState>,
    user: AuthUser,
    p: IdPath,
    q: QueryOf<SimilarQuery>,
) -> ApiResult<Json<Vec<SimilarTitle>>> {
    let item_id = id(p)?;
    let q = query(q)?;
    check_visible(&state, &user, item_id).await?;
    Ok(Json(
        state
            .store
            .similar_titles(item_id, &user.access(), q.limit.unwrap_or(20))
            .await?,
    ))
}

/// A person's photo when it is a local file (sidecar `photo` paths, Kodi's `.actors/`); a web
/// address is given to clients as it is instead. ETag, 304 and ranges work.
#[utoipa::path(get, path = "/api/v1/people/{id}/photo", tag = "catalog", security(("bearer" = [])),
    params(("id" = i64, Path, description = "person id")),
    responses((status = 200, description = "the image", content_type = "image/jpeg"), (status = 304), (status = 404, body = ErrorBody)))]
pub async fn person_photo(
    State(state): State<AppState>,
    _user: AuthUser,
    method: Method,
    headers: HeaderMap,
    p: IdPath,
) -> ApiResult<Response> {
    let person = id(p)?;
    let missing = || ApiError::not_found(format!("person {person} has no photo file"));
    let path = state
        .store
        .person_photo_path(person)
        .await?
        .ok_or_else(missing)?;
    // Only files inside a media root are ever served, whatever the database says.
    let real = state.inside_media_roots(&path).ok_or_else(missing)?;
    let md = tokio::fs::metadata(&real).await.map_err(|_| missing())?;
    let mtime = md
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    let content_type = match real
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "image/jpeg",
    };
    let mut body = crate::body::SliceBody::whole_file(
        real,
        md.len(),
        format!("\"{:x}-{mtime:x}\"", md.len()),
        content_type,
    );
    body.cache_control = "private, max-age=86400";
    body.respond(&method, &headers)
}
