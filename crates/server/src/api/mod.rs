//! `/api/v1`: routers by resource.

pub mod admin;
pub mod auth;
pub mod catalog;
pub mod editorial;
pub mod extras;
pub mod ladder;
pub mod oidc;
pub mod plans;
pub mod playback;
pub mod profiles;
pub mod search;
pub mod streams;
pub mod transcode;
pub mod viewer;

use axum::routing::{delete, get, patch, post, put};
use axum::Router;

use crate::AppState;

/// Records what a signed-in user did in the audit log.
pub(crate) async fn audit_by(
    state: &AppState,
    actor: &marquee_store::User,
    address: Option<&str>,
    action: &str,
    target: Option<String>,
    detail: Option<serde_json::Value>,
) -> crate::error::ApiResult<()> {
    state
        .store
        .audit(marquee_store::AuditEvent {
            actor_id: Some(actor.id),
            actor_name: Some(&actor.username),
            action,
            target,
            address,
            detail,
        })
        .await?;
    Ok(())
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/password", post(auth::change_password))
        .route("/me", get(auth::me))
        .route(
            "/me/sessions",
            get(auth::list_sessions).delete(auth::revoke_all_sessions),
        )
        .route("/me/sessions/{id}", delete(auth::revoke_session))
        .route("/me/profiles", get(profiles::list).post(profiles::create))
        .route(
            "/me/profiles/{id}",
            put(profiles::update).delete(profiles::delete),
        )
        .route("/me/profile", post(profiles::choose))
        .route("/series", get(catalog::list_series))
        .route("/series/{id}", get(catalog::series_detail))
        .route("/movies", get(catalog::list_movies))
        .route("/movies/{id}", get(catalog::movie_detail))
        .route("/items/{id}", get(catalog::item_detail))
        .route("/items/{id}/artwork/{kind}", get(catalog::artwork))
        .route("/items/{id}/direct", get(playback::direct))
        .route("/items/{id}/playback", get(playback::playback_info))
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
        .route("/admin/users/{id}", patch(admin::change_user))
        .route("/admin/users/{id}/password", post(admin::reset_password))
        .route("/admin/audit", get(admin::audit_log))
        .route(
            "/admin/playback-keys/rotate",
            post(admin::rotate_playback_key),
        )
        // Sign-in through an OpenID Connect provider; concurrent streams.
        .route("/auth/oidc", get(oidc::info))
        .route("/auth/oidc/start", get(oidc::start))
        .route("/auth/oidc/callback", get(oidc::callback))
        .route("/me/streams", get(streams::list))
        .route("/me/streams/{id}", delete(streams::stop))
        .route("/me/streams/{id}/heartbeat", post(streams::heartbeat))
        .merge(plans::router())
        .merge(viewer::router())
        .merge(editorial::router())
        .route("/search", get(search::search))
        // Ahead-of-time transcoding ladders.
        .merge(ladder::router())
}

/// `/stream/…`: signed URLs for players, readable from any origin.
pub fn stream_router() -> Router<AppState> {
    use axum::http::{header, Method};
    use tower_http::cors::{Any, CorsLayer};
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD])
        .allow_headers([header::RANGE, header::IF_NONE_MATCH, header::IF_RANGE])
        .expose_headers([
            header::CONTENT_RANGE,
            header::CONTENT_LENGTH,
            header::ACCEPT_RANGES,
            header::ETAG,
        ]);
    Router::new()
        .route("/stream/{id}/{token}/{*rest}", get(playback::stream))
        .layer(cors)
}
