//! Marquee's HTTP server: the JSON API (auth, catalog, admin) and its OpenAPI document.
//!
//! Routers are split by resource under [`api`]; this module wires them with shared state.

pub mod api;
pub mod auth;
pub mod background;
pub mod body;
pub mod cache;
pub mod error;
pub mod extras;
pub mod ladder;
pub mod listen;
pub mod oidc;
pub mod openapi;
pub mod packaging;
pub mod plans;
pub mod range;
pub mod signing;
pub mod streams;
pub mod web;

use std::path::PathBuf;
use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use marquee_library::Scanner;
use marquee_store::Store;
use tower_http::trace::TraceLayer;

/// Target segment duration for HLS and DASH.
pub const DEFAULT_SEGMENT_SECS: u64 = 6;
/// Target duration of the first segment: a player starts once it has one, and a just-in-time
/// transcode of 2 s is ready in about a third of the time of 6 s.
pub const DEFAULT_FIRST_SEGMENT_SECS: u64 = 2;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub scanner: Scanner,
    /// Canonical media roots: the only places files are served from.
    pub media_roots: Arc<Vec<PathBuf>>,
    /// Signs and checks playback URLs.
    pub signer: Arc<signing::Signer>,
    /// Sample indexes, plans and manifests of recently played files.
    pub packaging: Arc<packaging::PackagingCache>,
    /// Catalog answers, until the catalog changes.
    pub responses: Arc<cache::ResponseCache>,
    /// Recently checked sessions.
    pub sessions: Arc<auth::SessionCache>,
    /// Failed sign-ins, per account and per address.
    pub login_throttle: Arc<auth::LoginThrottle>,
    /// ffmpeg jobs and the transcoded-segment cache.
    pub transcoder: Arc<marquee_transcode::Transcoder>,
    /// Stills, scrub thumbnails, chapters and skip markers made in the background.
    pub extras: Arc<extras::Extras>,
    /// Sign-in through an OpenID Connect provider, when one is configured.
    pub oidc: Option<Arc<oidc::Oidc>>,
    /// Active playback sessions, for concurrent stream limits.
    pub streams: Arc<streams::StreamTracker>,
    /// Plans configuration, and entitlements cached for the stream path.
    pub plans: Arc<plans::Plans>,
    /// Progress writes (batched) and the watched rule's threshold.
    pub viewing: api::viewer::Viewing,
    /// The search index (`DATA/search`); `marquee_search::keep_in_sync` keeps it current.
    pub search: Arc<marquee_search::SearchIndex>,
    /// Ahead-of-time ladders: the jobs running and the finished renditions on disk.
    pub ladders: Arc<ladder::Ladders>,
}

impl AppState {
    /// State for a server whose data folder is `data` (it holds the URL-signing key, the
    /// sample-index cache and the search index).
    pub fn new(
        store: Store,
        scanner: Scanner,
        data: &std::path::Path,
    ) -> std::io::Result<AppState> {
        let media_roots = scanner
            .roots()
            .iter()
            .filter_map(|r| r.canonicalize().ok())
            .collect();
        let signer = signing::Signer::load_or_create(&data.join("playback-keys"))?;
        let packaging = packaging::PackagingCache::new(
            data.join("index"),
            std::time::Duration::from_secs(DEFAULT_SEGMENT_SECS),
            std::time::Duration::from_secs(DEFAULT_FIRST_SEGMENT_SECS),
        );
        // MARQUEE_FFMPEG: a path, or `none` to turn transcoding off.
        let ffmpeg =
            marquee_transcode::ffmpeg::locate(std::env::var("MARQUEE_FFMPEG").ok().as_deref())
                .map_err(|e| e.to_string());
        let transcoder = marquee_transcode::Transcoder::new(
            ffmpeg,
            marquee_transcode::TranscodeConfig::from_env(data),
        )?;
        api::transcode::announce(&transcoder);
        let search = marquee_search::SearchIndex::open(&data.join("search"))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(AppState {
            viewing: api::viewer::Viewing::new(store.clone()),
            store,
            scanner,
            media_roots: Arc::new(media_roots),
            signer: Arc::new(signer),
            packaging: Arc::new(packaging),
            responses: Arc::default(),
            sessions: Arc::default(),
            login_throttle: Arc::default(),
            transcoder: Arc::new(transcoder),
            extras: Arc::new(extras::Extras::new(data)),
            oidc: None,
            streams: Arc::new(streams::StreamTracker::new(60, None)),
            plans: Arc::default(),
            search: Arc::new(search),
            ladders: Arc::new(ladder::Ladders::new(data, 1)),
        })
    }

    /// Sets the share (0–1] of a title's duration past which it counts as watched.
    pub fn with_watched_threshold(mut self, threshold: f64) -> AppState {
        self.viewing.watched_threshold = threshold;
        self
    }

    /// `path` resolved (links followed) if it lies inside a media root.
    pub fn inside_media_roots(&self, path: &std::path::Path) -> Option<PathBuf> {
        let real = path.canonicalize().ok()?;
        self.media_roots
            .iter()
            .any(|root| real.starts_with(root))
            .then_some(real)
    }
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub(crate) fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// Liveness: no authentication.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi::serve))
        .nest("/api/v1", api::router())
        .merge(api::stream_router())
        .fallback(web::fallback)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until `shutdown` resolves, with the connection limits of [`listen`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    extras::spawn(state.store.clone(), state.extras.clone());
    ladder::spawn(state.clone());
    let limits = listen::Limits::from_fd_limit(listen::raise_fd_limit()).with_env();
    listen::serve(listener, router(state), limits, shutdown).await
}
