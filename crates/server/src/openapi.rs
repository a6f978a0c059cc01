//! The OpenAPI 3 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::{
    admin, auth, catalog, editorial, ladder, oidc, plans, playback, profiles, search, streams,
    viewer,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Marquee API", description = "Browse and administer a Marquee catalog. Sign in with POST /api/v1/auth/login and send the token as `Authorization: Bearer <token>`."),
    paths(
        crate::healthz,
        auth::login, auth::logout, auth::me, auth::change_password,
        auth::list_sessions, auth::revoke_session, auth::revoke_all_sessions,
        profiles::list, profiles::create, profiles::update, profiles::delete, profiles::choose,
        catalog::list_series, catalog::series_detail, catalog::list_movies, catalog::movie_detail,
        catalog::item_detail, catalog::artwork, catalog::list_people, catalog::person_detail, catalog::genres,
        playback::direct, playback::playback_info,
        admin::libraries, admin::scan_status, admin::start_scan, admin::failures, admin::list_users, admin::create_user,
        admin::change_user, admin::reset_password, admin::audit_log, admin::rotate_playback_key,
        oidc::info, oidc::start, oidc::callback, streams::list, streams::heartbeat, streams::stop,
        plans::my_subscription, plans::list_plans, plans::get_plan, plans::create_plan, plans::update_plan,
        plans::delete_plan, plans::set_free, plans::user_subscription, plans::grant_subscription,
        plans::end_subscription, plans::billing_webhook,
        viewer::report_progress, viewer::continue_watching, viewer::mark_watched, viewer::mark_unwatched,
        viewer::item_state, viewer::up_next, viewer::my_list, viewer::add_to_list, viewer::remove_from_list,
        viewer::my_ratings, viewer::rate, viewer::unrate,
        editorial::create_review, editorial::update_review, editorial::delete_review,
        editorial::reviews_by, editorial::similar, editorial::person_photo,
        search::search,
        ladder::list_jobs, ladder::queue_jobs, ladder::get_job, ladder::cancel_job,
    ),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "profiles"), (name = "catalog"), (name = "playback"), (name = "admin"), (name = "health"), (name = "plans"), (name = "viewer"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/openapi.json`
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
