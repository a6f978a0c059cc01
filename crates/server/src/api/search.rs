//! `GET /api/v1/search`: the catalog search, grouped by kind, for what the viewer may see.

use axum::extract::State;
use axum::Json;
use marquee_search::{SearchResults, MAX_LIMIT};
use serde::Deserialize;
use utoipa::IntoParams;

use super::catalog::{query, QueryResult};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;

/// Longest query accepted, in characters.
const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// What to look for: words of titles, original titles, episode titles, synopses, people's
    /// names, reviews. Case, accents and small typos do not matter; the last word may be
    /// unfinished (search as you type). An empty query finds nothing.
    pub q: Option<String>,
    /// Hits per group (default 10, at most 50).
    pub limit: Option<i64>,
}

/// Search the catalog: series, movies, episodes, people and reviews, each group best first.
#[utoipa::path(get, path = "/api/v1/search", tag = "catalog", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    user: AuthUser,
    q: QueryResult<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    let q = query(q)?;
    let text = q.q.ok_or_else(|| {
        ApiError::bad_request("the query parameter q (what to search for) is missing")
    })?;
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_request(format!(
            "the query is too long: at most {MAX_QUERY_CHARS} characters"
        )));
    }
    let limit = q.limit.unwrap_or(10);
    if !(1..=MAX_LIMIT as i64).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let results = state
        .search
        .search_visible(&state.store, &text, limit as usize, &user.access())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "search failed");
            ApiError::internal(format!("the search failed: {e}"))
        })?;
    Ok(Json(results))
}
