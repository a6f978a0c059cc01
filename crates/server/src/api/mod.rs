//! `/api/v1`: routers by resource.

pub mod admin;
pub mod auth;
pub mod catalog;

use axum::http::{StatusCode, Uri};
use axum::routing::{get, post};
use axum::Router;

use crate::error::ApiError;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/password", post(auth::change_password))
        .route("/me", get(auth::me))
        .route("/series", get(catalog::list_series))
        .route("/series/{id}", get(catalog::series_detail))
        .route("/movies", get(catalog::list_movies))
        .route("/movies/{id}", get(catalog::movie_detail))
        .route("/items/{id}", get(catalog::item_detail))
        .route("/items/{id}/artwork/{kind}", get(catalog::artwork))
        .route("/people", get(catalog::list_people))
        .route("/people/{id}", get(catalog::person_detail))
        .route("/genres", get(catalog::genres))
        .route("/admin/libraries", get(admin::libraries))
        .route(
            "/admin/scan",
            get(admin::scan_status).post(admin::start_scan),
        )
        .route("/admin/failures", get(admin::failures))
        .route(
            "/admin/users",
            get(admin::list_users).post(admin::create_user),
        )
}

pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no such endpoint: {}", uri.path()),
    )
}
